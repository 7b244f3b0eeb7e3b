# consumers/main.sh: runs in the VM (tests/vm/run-consumers). Real programs that link
# libkmod.so.2 load modules into the kernel: systemd-modules-load, systemd-udevd coldplug
# (udev's `kmod load` builtin), ndctl. With /opt/rkmod-lib/libkmod.so.2 present they run
# with LD_LIBRARY_PATH=/opt/rkmod-lib (rkmod's library), else with Debian's.
#
# /out/*: compared between the two boots (byte for byte); /out/info/*: shown, not compared.
# There is no /sbin/modprobe in the VM: every module is loaded by a libkmod consumer (a
# request_module from the kernel fails), so what is loaded is what the library did.
set -u
mkdir -p /out/info
if [ -f /opt/rkmod-lib/libkmod.so.2 ]; then
  lib=rkmod; export LD_LIBRARY_PATH=/opt/rkmod-lib
else
  lib=debian; unset LD_LIBRARY_PATH
fi
echo "$lib" > /out/info/library
mods() { cut -d' ' -f1 /proc/modules | sort; }
# the libkmod.so.2 a running process has mapped
maps_lib() { grep -o '/[^ ]*libkmod\.so[^ ]*' "/proc/$1/maps" 2>/dev/null | sort -u | head -n1; }
note() { echo "consumers: $*"; }

mods > /out/boot.modules

# --- configuration ---------------------------------------------------------------------
mkdir -p /etc/modprobe.d /etc/modules-load.d /etc/consumers /run /run/udev
cat > /etc/modprobe.d/consumers.conf <<'EOF'
options dummy numdummies=3
blacklist ifb
options loop max_loop=notanumber
softdep msdos pre: nls_cp437
install consumers-fake /bin/sh -c 'echo ran > /run/consumers-fake-install'
EOF
# systemd-modules-load's normal search path; the names in an order with every case:
# options, dependency (msdos -> fat) + softdep, alias (fs-vfat), builtin, blacklisted,
# missing, install command only, an alias of a blacklisted module
cat > /etc/modules-load.d/consumers.conf <<'EOF'
# comment
dummy
msdos
ifb
no_such_module_xyz
fs-vfat
af_packet
; another comment
consumers-fake
rtnl-link-ifb
EOF
echo loop > /etc/consumers/bad.conf

# --- 1. systemd-modules-load -----------------------------------------------------------
# stderr is its log (SYSTEMD_LOG_TARGET=console); exit status is the first failure
ml() {  # ml NAME [ARGS]: one run, its outputs in /out/NAME.*
  local n=$1; shift
  SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_COLOR=0 /lib/systemd/systemd-modules-load "$@" \
    > "/out/$n.out" 2> "/out/$n.err"
  echo $? > "/out/$n.rc"
}
ml modload
mods > /out/modload.modules
# numdummies has no sysfs file (mode 0): the module made dummy0..dummyN-1
ls /sys/class/net | grep -c '^dummy' > /out/modload.numdummies
cat /run/consumers-fake-install > /out/modload.install 2>&1
ml modload-bad /etc/consumers/bad.conf            # loop with a bad option: EINVAL, exit 1
ml modload-again                                  # everything there already
SYSTEMD_LOG_LEVEL=debug ml modload-debug          # the same, with libkmod's own log lines
mods > /out/modload-after.modules
# libkmod's own messages (KMOD_LOG=info: libkmod's log priority, passed to systemd's log
# at debug level). Not compared (they are the library's internals), shown by run-consumers
SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_COLOR=0 SYSTEMD_LOG_LEVEL=debug KMOD_LOG=info \
  /lib/systemd/systemd-modules-load > /out/info/modload-kmodlog.out 2> /out/info/modload-kmodlog.err
echo $? > /out/info/modload-kmodlog.rc
# which libkmod.so.2 a short-lived program maps (LD_DEBUG: the library whose init runs)
ldlib() { LD_DEBUG=libs "$@" 2>&1 >/dev/null | grep -o 'calling init: [^ ]*libkmod[^ ]*' | sed 's/calling init: //' | head -n1; }
ldlib /lib/systemd/systemd-modules-load /dev/null > /out/info/modload.libkmod

# --- 2. systemd-udevd coldplug ---------------------------------------------------------
mods > /tmp/before
SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_COLOR=0 /lib/systemd/systemd-udevd --daemon > /tmp/udevd.log 2>&1
echo $? > /out/udev.daemon.rc
sleep 0.5
pid=$(pidof systemd-udevd | cut -d' ' -f1)
maps_lib "$pid" > /out/info/udevd.libkmod
/usr/bin/udevadm trigger --type=subsystems --action=add > /dev/null 2>&1
/usr/bin/udevadm trigger --type=devices --action=add > /dev/null 2>&1
/usr/bin/udevadm settle --timeout=120; echo $? > /out/udev.settle.rc
# new devices keep appearing while drivers bind (virtio, USB, HDA codecs): settle again
# until the loaded modules stay the same for two rounds
prev='' same=0
for i in $(seq 1 40); do
  sleep 1
  /usr/bin/udevadm settle --timeout=60
  cur=$(mods | md5sum)
  if [ "$cur" = "$prev" ]; then same=$((same + 1)); [ $same -lt 2 ] || break; else same=0; fi
  prev=$cur
done
note "udev settled after $i rounds"
mods > /out/udev.modules
mods | awk 'NR == FNR { b[$0]; next } !($0 in b)' /tmp/before - > /out/udev.new-modules
# stop udevd and its workers (all named systemd-udevd): from here on nothing loads a
# module for a uevent, so what ndctl needs it must load itself
/usr/bin/udevadm control --exit; echo $? > /out/udev.exit.rc
for i in $(seq 1 150); do pidof systemd-udevd > /dev/null || break; sleep 0.2; done
if pidof systemd-udevd > /dev/null; then
  echo "still running after 30 s: killed" > /out/udev.stopped; kill -9 $(pidof systemd-udevd)
else echo stopped > /out/udev.stopped; fi
# udevd's log, for reading (timing-dependent)
cp /tmp/udevd.log /out/info/udevd.log
grep -iE 'kmod|module|libkmod' /tmp/udevd.log | sort > /out/info/udevd.kmod-lines

# --- 3. ndctl / daxctl (qemu nvdimm, ACPI NFIT) ----------------------------------------
# udev loaded nfit, libnvdimm, nd_pmem (namespace0.0's driver), dax_pmem. Unbind, remove them,
# then ndctl itself loads the namespace's driver through libkmod (ndctl_bind:
# kmod_module_new_from_lookup(modalias) + kmod_module_probe_insert_module).
nd() {  # nd NAME CMD...: /out/NAME.{out,err,rc}
  local n=$1; shift
  "$@" > "/out/$n.out" 2> "/out/$n.err"; echo $? > "/out/$n.rc"
}
if [ -d /sys/bus/nd ]; then
  ldlib ndctl version > /out/info/ndctl.libkmod
  ldlib daxctl version > /out/info/daxctl.libkmod
  nd nd.list-before ndctl list -N -R
  nd nd.disable-region ndctl disable-region all
  nd nd.rmmod /usr/lib/consumers/rmmod nd_pmem nd_btt dax_pmem
  mods > /out/nd.modules-removed
  nd nd.enable-region ndctl enable-region all
  nd nd.enable-namespace ndctl enable-namespace all
  mods > /out/nd.modules-enabled
  [ -b /dev/pmem0 ] && echo yes > /out/nd.pmem0 || echo no > /out/nd.pmem0
  # devdax: ndctl writes an info block and binds the dax device: dax_pmem through libkmod
  nd nd.devdax ndctl create-namespace -f -e namespace0.0 --mode=devdax --align=2M
  mods > /out/nd.modules-devdax
  # daxctl: device_dax for dax0.0 through libdaxctl's libkmod
  nd dax.list daxctl list
  nd dax.reconfigure daxctl reconfigure-device --mode=devdax -f dax0.0
  mods > /out/nd.modules-daxctl
  nd nd.list-after ndctl list -N -R
  # the info block's uuid is random
  sed -i -E 's/"uuid":"[0-9a-f-]+"/"uuid":"UUID"/' /out/nd.devdax.out /out/nd.list-after.out
else
  echo "no /sys/bus/nd" > /out/nd.missing
fi
mods > /out/final.modules
ps > /out/info/ps.final 2>&1; dmesg > /out/info/dmesg 2>&1
note "library $lib; udevd mapped $(cat /out/info/udevd.libkmod); modules-load mapped $(cat /out/info/modload.libkmod)"
exit 0
