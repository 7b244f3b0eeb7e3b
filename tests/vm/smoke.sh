# smoke.sh: the first real-kernel scenario, run in the VM by tests/vm/run-smoke (as the
# main script of tests/vm/vm-run, after smoke-early.sh ran as its --early script).
#
# Expects: the tool under test installed as /usr/sbin/{insmod,rmmod,lsmod,modprobe}
# (smoke-early.sh has moved modprobe to /usr/lib/vm-real/ behind a logging wrapper), the
# test modules built for this kernel in /root/ko, and msdos, fat, dummy and ifb in the
# module tree. Prints each command with its output, "ok:"/"FAIL:" per check, and a
# closing "smoke: N passed, N failed"; exits 1 if a check failed.

pass=0 fail=0
run() {  # run CMD...: show it, run it, show a non-zero exit status
  echo "+ $*"
  "$@"
  local rc=$?
  [ $rc = 0 ] || echo "(exit $rc)"
  return $rc
}
check() {  # check WHAT CMD...: one check, counted
  local what=$1; shift
  if "$@"; then echo "ok: $what"; pass=$((pass + 1)); else echo "FAIL: $what"; fail=$((fail + 1)); fi
}
loaded() { grep -q "^$1 " /proc/modules; }
gone() { ! grep -q "^$1 " /proc/modules && [ ! -e "/sys/module/$1" ]; }
used_by() { awk -v m="$1" -v h="$2" '$1 == m { n = split($4, u, ","); for (i = 1; i <= n; i++) if (u[i] == h) f = 1 } END { exit !f }' /proc/modules; }
has_line() { grep -qF -- "$2" "$1"; }

echo "== kernel $(uname -r); /proc/sys/kernel/modprobe = $(cat /proc/sys/kernel/modprobe)"
if [ -r /sys/module/compression ]; then echo "module compression: $(cat /sys/module/compression)"; fi

echo
echo "== early boot: the kernel runs /sbin/modprobe before /dev is populated"
cat /tmp/early.log
echo "-- /sbin/modprobe calls logged then:"
cat /tmp/early-modprobe-calls.log 2>/dev/null
check "early script exited 0" [ "$(cat /tmp/vm-early.rc 2>/dev/null)" = 0 ]
check "early script started with fds 0-2 closed and no /dev/null" \
  has_line /tmp/early.log "open fds 0-2 at start: none; /dev: console"
check "kernel ran /sbin/modprobe -q -- rtnl-link-ifb" \
  has_line /tmp/early-modprobe-calls.log "argv: /sbin/modprobe -q -- rtnl-link-ifb"
check "... with fds 0-2 closed and no /dev/null" \
  has_line /tmp/early-modprobe-calls.log "open fds 0-2: none; /dev/null absent"
check "ifb was loaded before devtmpfs was mounted" grep -q '^ifb ' /tmp/early-modules
check "ifb is loaded" loaded ifb

echo
echo "== insmod with a parameter"
run insmod ko/hello.ko myint=50
check "insmod hello.ko myint=50 exits 0" [ $? = 0 ]
run cat /sys/module/hello/parameters/myint
check "/sys/module/hello/parameters/myint = 50" [ "$(cat /sys/module/hello/parameters/myint 2>&1)" = 50 ]
check "hello's init saw myint=50" eval 'dmesg | grep -q "hello: init myint=50"'

echo
echo "== modprobe msdos: fat first"
run modprobe -v msdos
check "modprobe -v msdos exits 0" [ $? = 0 ]
run lsmod
check "msdos is loaded" loaded msdos
check "fat is loaded, used by msdos" used_by fat msdos

echo
echo "== rmmod msdos fat"
run rmmod msdos fat
check "rmmod msdos fat exits 0" [ $? = 0 ]
check "msdos and fat are gone" eval 'gone msdos && gone fat'

echo
echo "== kernel auto-loading: ip link add type dummy -> request_module -> /sbin/modprobe"
: > /tmp/modprobe-calls.log
run ip link add type dummy
check "ip link add type dummy exits 0" [ $? = 0 ]
cat /tmp/modprobe-calls.log
check "kernel ran /sbin/modprobe -q -- rtnl-link-dummy" \
  has_line /tmp/modprobe-calls.log "argv: /sbin/modprobe -q -- rtnl-link-dummy"
check "dummy is loaded" loaded dummy
check "a dummy interface exists" eval 'ls -d /sys/class/net/dummy* >/dev/null 2>&1'

echo "-- again with the tool itself as /sbin/modprobe (no wrapper)"
mv /usr/lib/vm-real/modprobe /usr/sbin/modprobe
for d in /sys/class/net/dummy*; do [ ! -e "$d" ] || ip link del "${d##*/}"; done
run rmmod dummy
check "dummy is gone" gone dummy
run ip link add type dummy
check "dummy was auto-loaded again" loaded dummy

echo
echo "== lsmod"
run lsmod
check "lsmod lists hello, dummy and ifb" eval 'lsmod | grep -q "^hello " && lsmod | grep -q "^dummy " && lsmod | grep -q "^ifb "'

echo
echo "smoke: $pass passed, $fail failed"
[ $fail = 0 ]
