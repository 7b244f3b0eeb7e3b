# 80-coldplug.sh: coldplug as an initramfs does it without udev: every modalias (all under
# /sys/devices) through `modprobe -a -b -q`, repeated while it brings new devices (a bus driver
# reveals the devices behind it: virtio, USB, HID, HDA codecs). The VM has extra qemu
# devices for it (run-suite: e1000, virtio-net, virtio-rng, xhci + USB keyboard and
# tablet, intel-hda + codec). Compared: the modules loaded at the end; per round (only
# for reading) the number of modaliases and the exit status.
. /vm/suite/lib.sh
cd /root
aliases() { find /sys/devices -name modalias -type f -exec cat {} + 2>/dev/null | sort -u; }
settle() {  # wait until the set of modaliases stops changing (USB, HDA probe late)
  local a b i
  a=$(aliases | md5sum)
  for i in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.5; b=$(aliases | md5sum)
    [ "$a" != "$b" ] || return 0
    a=$b
  done
}
coldplug() {
  local round prev='' cur rc
  for round in 1 2 3 4 5 6; do
    cur=$(aliases)
    [ "$cur" != "$prev" ] || break
    modprobe -a -b -q $cur
    rc=$?
    echo "round $round: $(echo "$cur" | wc -l) modaliases, exit $rc" >&2
    prev=$cur
    settle
  done
  modules_now
}
step cold.modaliases --info "the modaliases before coldplug (timing-dependent details)" -- aliases
step cold.plug -e 'out_has e1000 && out_has virtio_net && out_has virtio_rng && out_has xhci_pci && out_has snd_hda_intel && out_has usbhid' \
  --norm no-stderr -- coldplug
step cold.lsmod --norm lsmod-sorted -- lsmod
step cold.again -e 'rc_is 1 && err_empty && out_empty' --sh 'modprobe -a -b -q $(aliases)'
step cold.modaliases-after --info "the modaliases after coldplug" -- aliases
