# early.sh: the early-boot half of the oracle suite, run by `vm-run --early` from /init
# after /proc, /sys and /tmp are mounted and BEFORE devtmpfs is: /dev holds only
# `console`, there is no /dev/null, and this script starts with fds 0-2 closed. That is
# where a distribution's initramfs (and systemd's kmod-static-nodes) runs the tools, and
# where the kernel's request_module may run /sbin/modprobe. 00-early.sh checks the rest.
#
# 1. the kernel runs /sbin/modprobe itself: a logging wrapper replaces it (the tool moves
#    to /usr/lib/suite/real-modprobe) and records argv, env, open fds, /dev/null and the
#    tool's exit status (a crash shows as a signal) in /tmp/modprobe-calls.log;
#    `ip link add type ifb` -> request_module("rtnl-link-ifb");
# 2. the tools run directly with fds 0-2 closed (--closed: only the status is recorded),
#    and with stdout/stderr to files but no stdin and no /dev/null.
fds=
for i in 0 1 2; do [ -e "/proc/$$/fd/$i" ] && fds+=" $i"; done
exec > /tmp/early.log 2>&1     # the console is not ours yet; never touch /dev/null here
. /vm/suite/lib.sh
echo "early: open fds 0-2 at start:${fds:- none}; /dev: $(ls /dev | tr '\n' ' ')"
step early.start -e 'out_has "open fds 0-2: none" && out_has "no /dev/null"' \
  --sh 'echo "open fds 0-2:${fds:- none}"; echo "/dev: $(ls /dev | tr "\n" " ")"; [ -e /dev/null ] || echo "no /dev/null"'

# what the kernel had the tool (as /sbin/modprobe) load during boot, before /init
step early.modules-at-boot --sh 'cut -d" " -f1 /proc/modules | sort'

mkdir -p /usr/lib/suite
mv /usr/sbin/modprobe /usr/lib/suite/real-modprobe
cat > /usr/sbin/modprobe <<'EOF'
#!/bin/bash
# logging wrapper (tests/vm/suite/early.sh): what the kernel ran, and how it ended
fds=
for i in 0 1 2; do [ -e "/proc/$$/fd/$i" ] && fds+=" $i"; done
{
  echo "argv: $0 $*"
  echo "  env: $(tr '\0' ' ' < "/proc/$$/environ")"
  echo "  open fds 0-2:${fds:- none}; /dev/null $([ -e /dev/null ] && echo present || echo absent)"
} >> /tmp/modprobe-calls.log
(exec -a "$0" /usr/lib/suite/real-modprobe "$@")
rc=$?
echo "  exit $rc$( [ $rc -le 128 ] || echo " (signal $((rc - 128)))")" >> /tmp/modprobe-calls.log
exit $rc
EOF
chmod 0755 /usr/sbin/modprobe

# 1. the kernel's own request: ip -> rtnl-link-ifb -> /sbin/modprobe -q -- rtnl-link-ifb
step early.ip-link-ifb -e 'rc_is 0 && loaded ifb' -- ip link add type ifb
if [ -f /tmp/modprobe-calls.log ]; then mv /tmp/modprobe-calls.log /tmp/early-calls.ifb; else : > /tmp/early-calls.ifb; fi
cp /proc/modules /tmp/early-modules

# 2. the tools with fds 0-2 closed and no /dev/null
M=/usr/lib/suite/real-modprobe   # the tool itself (argv[0] "modprobe" below)
step early.modprobe-closed --closed -e 'rc_is 0 && loaded nlmon' --sh "exec -a modprobe $M nlmon"
step early.modprobe-missing-closed --closed -e 'rc_is 1' --sh "exec -a modprobe $M no_such_module_xyz"
step early.modprobe-q-missing-closed --closed -e 'rc_is 1' --sh "exec -a modprobe $M -q no_such_module_xyz"
step early.insmod-closed --closed -e 'rc_is 0 && loaded hello_soft' -- insmod /root/ko/hello_soft.ko
step early.insmod-exists-closed --closed -e 'rc_is 1' -- insmod /root/ko/hello_soft.ko
step early.lsmod-closed --closed -- lsmod
step early.kmod-list-closed --closed -- kmod list
step early.rmmod-closed --closed -e 'rc_is 0 && gone hello_soft' -- rmmod hello_soft
step early.rmmod-missing-closed --closed -e 'rc_is 1' -- rmmod hello_soft
step early.modprobe-r-closed --closed -e 'rc_is 0 && gone nlmon' --sh "exec -a modprobe $M -r nlmon"
step early.static-nodes-closed --closed -e 'rc_is 0' -- kmod static-nodes --format=tmpfiles -o /tmp/early-static-nodes.conf
step early.static-nodes-file -- cat /tmp/early-static-nodes.conf

# 3. stdout/stderr to files, stdin closed, still no /dev/null
step early.modprobe-v -e 'rc_is 0 && loaded nlmon' --sh "exec -a modprobe $M -v nlmon"
step early.modprobe-missing -e 'rc_is 1' --sh "exec -a modprobe $M no_such_module_xyz"
step early.lsmod -- lsmod
step early.rmmod-v -e 'rc_is 0 && gone nlmon' -- rmmod -v nlmon
step early.insmod-bad -e 'rc_is 1' -- insmod /root/ko/no-such-file.ko
exit 0   # (never use /dev/null here: it does not exist yet)
