# 40-autoload.sh: the kernel runs the tool as /sbin/modprobe (request_module: argv
# "/sbin/modprobe -q -- NAME", fds 0-2 closed). A logging wrapper (early.sh's, put back
# here) records each call and its exit status; then the same without the wrapper.
#   ip link add type dummy   -> rtnl-link-dummy
#   open a char-major-10-237 node (/dev/loop-control's number)  -> char-major-10-237 -> loop
#   mount -t msdos /dev/loop0 (a FAT image made with busybox mkdosfs) -> fs-msdos -> msdos, fat
#   mount -t vfat            -> fs-vfat, and the codepage/iocharset NLS modules
. /vm/suite/lib.sh
cd /root
mark_modules
wrap() {  # put the logging wrapper in front of the tool
  mv /usr/sbin/modprobe /usr/lib/suite/real-modprobe
  sed -n '/^cat > \/usr\/sbin\/modprobe/,/^EOF$/p' /vm/suite/early.sh | sed '1d;$d' > /usr/sbin/modprobe
  chmod 0755 /usr/sbin/modprobe
}
unwrap() { mv /usr/lib/suite/real-modprobe /usr/sbin/modprobe; }
calls() { cat /tmp/modprobe-calls.log 2>/dev/null; rm -f /tmp/modprobe-calls.log; }

wrap
rm -f /tmp/modprobe-calls.log
step auto.dummy -e 'rc_is 0 && live dummy' -- ip link add type dummy
step auto.dummy.calls -e 'out_has "argv: /sbin/modprobe -q -- rtnl-link-dummy" && out_has "  exit 0"' -- calls
step auto.dummy.links --sh 'ls /sys/class/net | grep dummy'

mknod /tmp/loop-control c 10 237
step auto.loop-control -e 'rc_is 0 && live loop' --sh 'exec 3< /tmp/loop-control && echo opened'
step auto.loop-control.calls -e 'out_has "-- char-major-10-237" && out_has "  exit 0"' -- calls
rm -f /tmp/loop-control
truncate -s 2M /tmp/fat.img
quiet mkdosfs /tmp/fat.img
quiet losetup /dev/loop0 /tmp/fat.img
step auto.mount-msdos -e 'rc_is 0 && live msdos && used_by fat msdos' -- mount -t msdos /dev/loop0 /mnt
step auto.mount-msdos.calls -e 'out_has "-- fs-msdos" && out_has "  exit 0"' -- calls
step auto.mount-msdos.write --sh 'echo hi > /mnt/hello.txt && cat /mnt/hello.txt && umount /mnt'
step auto.msdos.lsmod -- lsmod
step auto.mount-vfat -e 'rc_is 0 && live vfat' -- mount -t vfat /dev/loop0 /mnt
step auto.mount-vfat.calls -e 'out_has "-- fs-vfat" && out_has "  exit 0"' -- calls
step auto.mount-vfat.ls --sh 'ls /mnt && umount /mnt'
step auto.vfat.modules --sh 'modules_new'
quiet losetup -d /dev/loop0

# a request that finds nothing: the tool's status is 1, quietly (the kernel logs nothing)
step auto.unknown-fs -e '! rc_is 0' -- mount -t nosuchfs_xyz none /mnt
step auto.unknown-fs.calls -e 'out_has "-- fs-nosuchfs_xyz" && out_has "  exit 1"' -- calls
unwrap

# the tool itself as /sbin/modprobe, no wrapper
for d in /sys/class/net/dummy*; do [ ! -e "$d" ] || ip link del "${d##*/}" 2>/dev/null; done
unload_all dummy msdos vfat fat loop nls_cp437 nls_iso8859_1 nls_utf8 nls_ascii
step auto.bare.dummy -e 'rc_is 0 && live dummy' -- ip link add type dummy
step auto.bare.msdos -e '! rc_is 0 && live msdos' -- mount -t msdos none /mnt
step auto.bare.modules -- modules_new
for d in /sys/class/net/dummy*; do [ ! -e "$d" ] || ip link del "${d##*/}" 2>/dev/null; done
unload_all dummy msdos vfat fat loop nls_cp437 nls_iso8859_1 nls_utf8 nls_ascii
