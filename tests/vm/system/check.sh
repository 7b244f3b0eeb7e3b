#!/bin/bash
# check.sh: runs inside the Debian 12 guest of tests/vm/run-system, once per boot, as
# /usr/local/sbin/rkmod-check from rkmod-check.service (a simple service of
# multi-user.target, so the boot finishes while it waits for it). The phase in
# /etc/rkmod-check/phase says which system this boot is and what to do after the checks:
#
#   prepare Debian's kmod, with the image's MODULES=most initramfs: only sets MODULES=dep
#           (a most initramfs takes many minutes to build under TCG) and builds one with
#           `update-initramfs -u` and kmod's tools (the oracle initramfs and messages)
#   kmod    Debian's kmod, booted with that initramfs; afterwards `apt install
#           ./rkmod_*.deb` (whose trigger runs update-initramfs -u with rkmod's tools)
#   rkmod   switched to rkmod, booted with the initramfs rkmod's tools built; afterwards
#           `depmod -a`, switch back to kmod, switch again, `update-initramfs -u`
#   rkmod2  the same, booted with the initramfs of that update-initramfs on the running
#           system
#
# Each check writes files under /run/rkmod-check/out; at the end they go as a tar archive
# onto the second disk (/dev/vdb, read by the host) and the guest powers off. Every
# command's exit status is written, never judged here: tests/vm/system/compare judges.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
phase=$(cat /etc/rkmod-check/phase)
out=/run/rkmod-check/out
mkdir -p "$out"
kver=$(uname -r)
say() { echo "rkmod-check[$phase]: $*" > /dev/console; }

# loaded: the names of the loaded modules, sorted
loaded() { cut -d' ' -f1 /proc/modules | sort; }
# packages NAME: the states of kmod, libkmod2 and rkmod in NAME.txt
packages() { dpkg-query -W -f='${Package} ${Status}\n' kmod libkmod2 rkmod > "$out/$1.txt" 2>&1; }
# index_sums DIR NAME: the hashes of DIR's modules.* files in NAME.txt
index_sums() { (cd "$1" && md5sum modules.*) > "$out/$2.txt" 2>&1; }
# module_names DIR: the names of the module files under DIR
module_names() { find "$1" -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*//' | sort; }

# run NAME CMD...: CMD's stdout and stderr in NAME.log, its exit status in NAME.rc
run() {
  local name=$1 start=$SECONDS rc; shift
  say "$name: $(echo "$*" | cut -c1-120)"
  timeout -k 10 1200 "$@" > "$out/$name.log" 2>&1
  rc=$?
  echo $rc > "$out/$name.rc"
  # timed out: what was still running
  [ $rc != 124 ] || ps -eo pid,ppid,etime,time,stat,wchan:20,args >> "$out/$name.log"
  echo $((SECONDS - start)) > "$out/$name.secs"
  say "$name: exit $rc after $((SECONDS - start))s"
}

# update-initramfs -u does nothing while this is "no" (initramfs-tools' own switch): the
# switch back and forth is about packages; their triggers would only cost time.
initramfs_updates() {
  sed -i "s/^update_initramfs=.*/update_initramfs=$1/" /etc/initramfs-tools/update-initramfs.conf
}

finish() {
  say "done"
  echo "$phase" > "$out/phase"
  sync
  tar -C "$out" -cf /dev/vdb . && sync
  systemctl poweroff
  exit 0
}

if [ "$phase" = prepare ]; then
  say "MODULES=dep, update-initramfs -u with kmod's tools"
  systemctl is-system-running --wait > "$out/system-running.txt" 2>&1
  sed -i 's/^MODULES=.*/MODULES=dep/' /etc/initramfs-tools/initramfs.conf
  run depmod-kmod depmod -a
  run update-initramfs-kmod update-initramfs -u
  echo kmod > /etc/rkmod-check/phase
  finish
fi

say "waiting for the boot to finish"
systemctl is-system-running --wait > "$out/system-running.txt" 2>&1
systemd-analyze time > "$out/analyze.txt" 2>&1
systemd-analyze blame --no-pager 2>&1 | head -n 12 > "$out/analyze-blame.txt"
udevadm settle
systemctl --failed --no-legend --plain > "$out/failed.txt" 2>&1
loaded > "$out/modules-boot.txt"

# Which package set this is, and which tools answer.
packages packages
readlink -f /sbin/modprobe /usr/lib/x86_64-linux-gnu/libkmod.so.2 > "$out/tools.txt" 2>&1

# Every journal line of this boot about modules (kernel, udev, systemd, the tools).
journalctl -b -o cat --no-pager | grep -iE 'modul|modprobe|kmod|insmod|depmod|rkmod' \
  | grep -v '^rkmod-check' | sort -u > "$out/journal-modules.txt"

# systemd-modules-load: /etc/modules-load.d/rkmod-test.conf with options of modprobe.d
systemctl show -p Result -p ExecMainStatus systemd-modules-load.service > "$out/modules-load.txt"
{
  for m in ifb nbd; do echo "$m loaded: $([ -d "/sys/module/$m" ] && echo yes || echo no)"; done
  echo "nbds_max=$(cat /sys/module/nbd/parameters/nbds_max 2>&1)"
  echo "nbd devices: $(ls /sys/block | grep -c '^nbd')"
  echo "net devices: $(ls /sys/class/net | tr '\n' ' ')"
} >> "$out/modules-load.txt"

# modprobe@.service instances
for m in loop dm_mod fuse; do
  systemctl start "modprobe@$m.service"
  echo "$m: start=$? $(systemctl show -p Result -p ExecMainStatus "modprobe@$m.service" | tr '\n' ' ')" \
    "loaded=$([ -d "/sys/module/$m" ] && echo yes || echo no)"
done > "$out/modprobe-at.txt" 2>&1

# The kernel's request_module: fs-vfat (and the nls modules), rtnl-link-dummy and
# rtnl-link-veth, and a char-major alias through the static node /dev/net/tun (kmod
# static-nodes).
before=$(loaded)
{
  truncate -s 8M /tmp/fat.img && mkfs.vfat /tmp/fat.img > /dev/null && mkdir -p /mnt/fat
  mount -o loop -t vfat /tmp/fat.img /mnt/fat; echo "mount vfat: $?"
  touch /mnt/fat/x; echo "write: $?"; umount /mnt/fat
  ip link add rkd0 type dummy; echo "dummy: $?"
  ip link add rkv0 type veth peer name rkv1; echo "veth: $?"
  exec 3<> /dev/net/tun; echo "tun: $?"; exec 3>&-
  ls -l /dev/net/tun | cut -c1-10
} > "$out/request-module.txt" 2>&1
loaded > "$out/modules-after.txt"
comm -13 <(echo "$before") "$out/modules-after.txt" > "$out/request-module-loaded.txt"

# kmod's own modprobe, from kmod's package (unpacked, not installed): the reader of the
# indexes rkmod writes.
kx=/tmp/kmod-x
mkdir -p "$kx" && for d in /root/debs/kmod_*.deb /root/debs/libkmod2_*.deb; do dpkg -x "$d" "$kx"; done
ln -sf "$kx/bin/kmod" "$kx/modprobe"
# a program, not a function, so that `run` (timeout) can start it
printf '#!/bin/sh\nLD_LIBRARY_PATH=%s/usr/lib/x86_64-linux-gnu exec %s/modprobe "$@"\n' "$kx" "$kx" > "$kx/kmod-modprobe"
chmod 755 "$kx/kmod-modprobe"

# inspect_initramfs NAME: the initramfs in /boot now, unpacked: its size, module files and
# firmware (NAME-files.txt), index files' hashes (NAME-indexes.txt), module tools
# (NAME-tools.txt), and kmod's modprobe reading its indexes for every module in it
# (NAME-show-depends.log).
inspect_initramfs() {
  local name=$1 ir=/tmp/initramfs-$1 main mods names
  echo "$(stat -c %s "/boot/initrd.img-$kver")" > "$out/$name-size.txt"
  run "$name-unpack" unmkinitramfs "/boot/initrd.img-$kver" "$ir"
  main=$ir; [ -d "$ir/main" ] && main=$ir/main
  mods=$main/usr/lib/modules/$kver; [ -d "$mods" ] || mods=$main/lib/modules/$kver
  (cd "$main" && find . \( -path '*/lib/modules/*' -o -path '*/lib/firmware/*' \) ! -type d \
     ! -name 'modules.*' | sed 's|^\./usr/|./|' | sort) > "$out/$name-files.txt"
  index_sums "$mods" "$name-indexes"
  ls -l "$main/usr/sbin/modprobe" "$main/sbin/modprobe" "$main/bin/kmod" "$main/usr/bin/kmod" 2>/dev/null \
    | awk '{print $1, $NF}' > "$out/$name-tools.txt"
  names=$(module_names "$mods")
  run "$name-show-depends" "$kx/kmod-modprobe" -d "$main" -S "$kver" --show-depends -a $names
  sed -i "s|$main|/INITRAMFS|g" "$out/$name-show-depends.log"
  rm -rf "$ir"
}

# The system's own indexes (kmod's depmod wrote them at the kernel's installation), and
# what kmod's modprobe reads in them: every module's dependencies (modules.dep.bin) and
# every device's modalias (modules.alias.bin, as udev asks).
index_sums "/lib/modules/$kver" indexes
read_indexes() {  # read_indexes NAME: kmod's modprobe on /lib/modules/$kver, into NAME.log
  local all aliases
  all=$(module_names "/lib/modules/$kver")
  aliases=$(cat /sys/devices/*/modalias /sys/devices/*/*/modalias /sys/devices/*/*/*/modalias 2>/dev/null | sort -u)
  {
    "$kx/kmod-modprobe" -S "$kver" --show-depends -a $all
    echo "show-depends: $?"
    for a in $aliases; do
      echo "$a: $("$kx/kmod-modprobe" -S "$kver" -R "$a" 2>&1 | tr '\n' ' ')"
    done
  } > "$out/$1.log" 2>&1
}
read_indexes system-indexes

case $phase in
  kmod)
    say "switching to rkmod"
    inspect_initramfs built-kmod
    # its trigger runs update-initramfs -u with rkmod's tools
    run install-rkmod apt-get install -y /root/debs/rkmod_*.deb
    inspect_initramfs built-rkmod
    packages packages-after-install
    run apt-check apt-get check
    echo rkmod > /etc/rkmod-check/phase
    ;;
  rkmod)
    say "depmod -a, switching back and again, update-initramfs -u"
    run depmod depmod -a
    index_sums "/lib/modules/$kver" indexes-after-depmod
    read_indexes system-indexes-after-depmod
    initramfs_updates no
    run switch-back apt-get install -y /root/debs/kmod_*.deb /root/debs/libkmod2_*.deb
    packages packages-switched-back
    run apt-check-back apt-get check
    run kmod-version kmod --version
    run switch-again apt-get install -y /root/debs/rkmod_*.deb
    packages packages-switched-again
    run apt-check-again apt-get check
    initramfs_updates yes
    run update-initramfs update-initramfs -u
    inspect_initramfs built-rkmod-running
    echo rkmod2 > /etc/rkmod-check/phase
    ;;
  rkmod2)
    # the kernel postrm hook: a purged kernel's directory loses rkmod's extra files
    k=/lib/modules/0.0.0-rkmod-test
    mkdir -p "$k" && touch "$k/modules.rkmod.cache" "$k/modules.weakdep" "$k/modules.order"
    DEB_MAINT_PARAMS="remove" run postrm-hook-remove /etc/kernel/postrm.d/rkmod 0.0.0-rkmod-test /boot/vmlinuz-0.0.0-rkmod-test
    ls "$k" > "$out/postrm-hook-remove.txt"
    DEB_MAINT_PARAMS="purge" run postrm-hook-purge /etc/kernel/postrm.d/rkmod 0.0.0-rkmod-test /boot/vmlinuz-0.0.0-rkmod-test
    ls "$k" > "$out/postrm-hook-purge.txt"
    rm -rf "$k"
    ;;
esac
finish
