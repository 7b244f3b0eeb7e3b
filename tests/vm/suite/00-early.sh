# 00-early.sh: what early.sh (vm-run --early: no /dev, fds 0-2 closed) left in /tmp:
# the kernel's own /sbin/modprobe call and the modules loaded then. Puts the tool back
# as /sbin/modprobe and unloads what the early steps loaded.
. /vm/suite/lib.sh

step early.exit -e 'out_is 0' -- cat /tmp/vm-early.rc
step early.calls -e 'out_has "argv: /sbin/modprobe -q -- rtnl-link-ifb" && out_has "open fds 0-2: none; /dev/null absent" && out_has "  exit 0"' \
  -- cat /tmp/early-calls.ifb
step early.modules-after-ip -e 'out_has ifb' --sh 'cut -d" " -f1 /tmp/early-modules | sort'
step early.log --info "the early script's own log, for reading" -- cat /tmp/early.log

[ ! -f /usr/lib/suite/real-modprobe ] || mv /usr/lib/suite/real-modprobe /usr/sbin/modprobe
for d in /sys/class/net/ifb*; do [ ! -e "$d" ] || ip link del "${d##*/}" 2>/dev/null; done
unload_all ifb nlmon hello_soft
