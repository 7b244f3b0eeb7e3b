# smoke-early.sh: the early half of the smoke scenario (tests/vm/run-smoke), run by
# `vm-run --early` from /init before devtmpfs is mounted (so no /dev/null) with fds 0-2
# closed. It leaves its findings in /tmp for smoke.sh, which prints and checks them.
#
# 1. Puts a logging wrapper at /sbin/modprobe (the tool under test moves to
#    /usr/lib/vm-real/modprobe): each time the kernel's request_module runs it, the
#    wrapper appends its argv, environment, which of fds 0-2 are open and whether
#    /dev/null exists to /tmp/modprobe-calls.log, then runs the real tool with the same
#    argv[0], fds and environment, and logs its exit status.
# 2. Makes the kernel load ifb by itself (`ip link add type ifb` -> request_module
#    "rtnl-link-ifb" -> /sbin/modprobe -q -- rtnl-link-ifb), while /dev has no null.

fds=
for i in 0 1 2; do [ -e "/proc/$$/fd/$i" ] && fds+=" $i"; done
exec >/tmp/early.log 2>&1
echo "early: open fds 0-2 at start:${fds:- none}; /dev: $(ls /dev | tr '\n' ' ')"

mkdir -p /usr/lib/vm-real
mv /usr/sbin/modprobe /usr/lib/vm-real/modprobe
cat > /usr/sbin/modprobe <<'EOF'
#!/bin/bash
# logging wrapper, put here by tests/vm/smoke-early.sh
fds=
for i in 0 1 2; do [ -e "/proc/$$/fd/$i" ] && fds+=" $i"; done
{
  echo "argv: $0 $*"
  echo "  env: $(tr '\0' ' ' < "/proc/$$/environ")"
  echo "  open fds 0-2:${fds:- none}; /dev/null $([ -e /dev/null ] && echo present || echo absent)"
} >> /tmp/modprobe-calls.log
(exec -a "$0" /usr/lib/vm-real/modprobe "$@")
rc=$?
echo "  exit $rc$( [ $rc -le 128 ] || echo " (signal $((rc - 128)))")" >> /tmp/modprobe-calls.log
exit $rc
EOF
chmod 0755 /usr/sbin/modprobe

ip link add type ifb
rc=$?
echo "early: ip link add type ifb: exit $rc"
cp /proc/modules /tmp/early-modules
if [ -f /tmp/modprobe-calls.log ]; then mv /tmp/modprobe-calls.log /tmp/early-modprobe-calls.log; fi
exit $rc   # (never use /dev/null here: it does not exist yet)
