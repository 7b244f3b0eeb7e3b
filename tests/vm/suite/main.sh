# main.sh: the oracle suite's entry point in the VM (vm-run's SCRIPT; tests/vm/run-suite).
# Installs the test modules and the host-made indexes into the module tree, then runs
# each selected scenario as `bash /vm/suite/NAME.sh` and records the loaded set (lsmod)
# after each one, so every scenario also checks that the one before left the same state.
. /vm/suite/lib.sh
echo "suite: kernel $KVER; /proc/sys/kernel/modprobe = $(cat /proc/sys/kernel/modprobe);" \
  "compression: $(cat /sys/module/compression 2>/dev/null || echo none)"

# The tree: the kernel package's modules (vm-run --modules all) + extra/ (the test
# modules) and the indexes kmod's depmod made for both on the host (run-suite).
cp -a /vm/tree/. "$MODDIR/"
mkdir -p /etc/modprobe.d /mnt
# what udev or systemd make on a real system (kmod static-nodes writes to "/dev/stdout")
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
: > "$SUITE_OUT/errors"

for scn in $(cat /vm/selected); do
  echo "== $scn"
  t0=$EPOCHREALTIME
  bash "/vm/suite/$scn.sh"
  rc=$?
  echo "scenario $scn: exit $rc" >> "$SUITE_OUT/scenarios"
  [ $rc = 0 ] || _lib_err "scenario $scn exited $rc"
  # after coldplug, sorted: the kernel loads some modules itself while devices probe
  # in parallel (snd_hda_codec_generic), so their place in /proc/modules varies
  if [ "$scn" = 80-coldplug ]; then step "state.after-$scn" --norm lsmod-sorted -- lsmod
  else step "state.after-$scn" -- lsmod; fi
  awk -v a="${t0/,/.}" -v b="${EPOCHREALTIME/,/.}" -v s="$scn" 'BEGIN { printf "== %s: %.1fs\n", s, b - a }'
done
exit 0
