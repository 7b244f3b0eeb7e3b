# lib.sh: the step recorder shared by the oracle suite's scenario scripts (tests/vm/suite/
# *.sh, run in the VM by tests/vm/run-suite). Source it; then
#
#   step NAME [OPTIONS] -- CMD [ARG...]      run CMD, record what it did
#   step NAME [OPTIONS] --sh 'SHELL CODE'    the same for a snippet (run in a subshell)
#   quiet CMD...                             setup/cleanup: run, show on the console only
#
# Each step writes /out/NAME.cmd (the command), .out (stdout), .err (stderr), .rc (exit
# status) and .meta (how the host compares it), and appends NAME to /out/steps. The
# scenario does not know which tool it runs: the host boots the same scripts once with
# kmod and once with the tool under test and compares the two /out directories.
#
# OPTIONS
#   -e COND         an expectation both tools must meet (shell code, evaluated after the
#                   step; RC, OUT and ERR are the exit status and the stdout/stderr files)
#   --rk REASON OCOND TCOND
#                   a step where rkmod is meant to do better than kmod 30: the outputs are
#                   not compared; the oracle's run must meet OCOND (what kmod 30 really
#                   does) and the tool's run TCOND (what rkmod does)
#   --info REASON   record only, never compare (e.g. version strings)
#   --norm NAME     normalise before comparing (host side; names in run-suite --help)
#   --closed        run CMD with fds 0-2 closed (only the exit status is recorded)
#   --in FILE       stdin from FILE (default /dev/null, or closed when there is none)
#
# NAME: [a-z0-9._-]+, unique; by convention "scenario.what".

SUITE_OUT=${SUITE_OUT:-/out}
KVER=${KVER:-$(uname -r)}
MODDIR=/lib/modules/$KVER
KO=/root/ko
ORACLE=/usr/lib/suite/oracle   # kmod's rmmod/modprobe/insmod, for setup and cleanup only

_lib_err() { echo "lib.sh: $*"; echo "$*" >> "$SUITE_OUT/errors"; }

# --- conditions (for -e and --rk) ---------------------------------------------------------
# Mostly bash builtins: under TCG every process start costs ~0.1 s.
rc_is() { [ "$RC" = "$1" ]; }
out_is() { [ "$(< "$OUT")" = "$1" ]; }
err_is() { [ "$(< "$ERR")" = "$1" ]; }
out_has() { [[ $(< "$OUT") == *"$1"* ]]; }
err_has() { [[ $(< "$ERR") == *"$1"* ]]; }
out_empty() { [ ! -s "$OUT" ]; }
err_empty() { [ ! -s "$ERR" ]; }
err_match() { grep -qE -- "$1" "$ERR"; }   # an extended regex matches a line
out_match() { grep -qE -- "$1" "$OUT"; }
loaded() {  # loaded MOD: in /proc/modules
  local n r
  while read -r n r; do [ "$n" != "$1" ] || return 0; done < /proc/modules
  return 1
}
gone() { ! loaded "$1" && [ ! -e "/sys/module/$1/initstate" ]; }
live() { local s=''; read -r s < "/sys/module/$1/initstate"; [ "$s" = live ]; }
param_is() { local v=''; read -r v < "/sys/module/$1/parameters/$2"; [ "$v" = "$3" ]; }
used_by() {  # used_by MOD HOLDER: HOLDER is in MOD's "used by" column of /proc/modules
  local n a b users r
  while read -r n a b users r; do
    if [ "$n" = "$1" ]; then [[ ,$users, == *,"$2",* ]]; return; fi
  done < /proc/modules
  return 1
}
modules_now() { cut -d' ' -f1 /proc/modules | sort; }   # the loaded modules' names, sorted
# modules_new: those loaded now that were not when mark_modules ran (the kernel may have
# loaded some by itself at boot: 6.12 asks for aesni_intel and its dependencies)
# (no comm in the VM; the "#" line keeps the pattern file non-empty: busybox grep -v -f
# with an empty file prints nothing)
mark_modules() { { echo '#'; modules_now; } > /tmp/.suite-modules-mark; }
modules_new() { modules_now | grep -vxF -f /tmp/.suite-modules-mark; return 0; }

_cond() {  # _cond RC OUT ERR CODE: pass or fail
  local log=/tmp/.suite-cond.log
  if (RC=$1 OUT=$2 ERR=$3; eval "$4") > "$log" 2>&1; then echo pass; else echo fail; fi
}

# --- step -----------------------------------------------------------------------------------
step() {
  local name=$1 kind=cmp reason='' norms='' expect='' ocond='' tcond='' closed=0 sh=0 in=''
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      -e) expect=$2; shift 2 ;;
      --rk) kind=rk reason=$2 ocond=$3 tcond=$4; shift 4 ;;
      --info) kind=info reason=$2; shift 2 ;;
      --norm) norms+=" $2"; shift 2 ;;
      --closed) closed=1; shift ;;
      --in) in=$2; shift 2 ;;
      --sh) sh=1; shift; break ;;
      --) shift; break ;;
      *) _lib_err "step $name: unknown option $1"; return 1 ;;
    esac
  done
  [[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || { _lib_err "bad step name '$name'"; return 1; }
  [ $# -gt 0 ] || { _lib_err "step $name: no command"; return 1; }
  local f=$SUITE_OUT/$name
  [ ! -e "$f.meta" ] || { _lib_err "duplicate step name $name"; return 1; }
  echo "$name" >> "$SUITE_OUT/steps"
  if [ $sh = 1 ]; then printf '%s\n' "$1" > "$f.cmd"; else printf '%s\n' "$*" > "$f.cmd"; fi
  if [ -z "$in" ]; then in=/dev/null; [ -e /dev/null ] || in=-; fi
  local t0=$EPOCHREALTIME rc
  if [ $closed = 1 ]; then
    : > "$f.out"; : > "$f.err"
    if [ $sh = 1 ]; then (eval "$1") <&- >&- 2>&-; else "$@" <&- >&- 2>&-; fi
    rc=$?
  elif [ "$in" = - ]; then
    if [ $sh = 1 ]; then (eval "$1") <&- > "$f.out" 2> "$f.err"; else "$@" <&- > "$f.out" 2> "$f.err"; fi
    rc=$?
  else
    if [ $sh = 1 ]; then (eval "$1") < "$in" > "$f.out" 2> "$f.err"; else "$@" < "$in" > "$f.out" 2> "$f.err"; fi
    rc=$?
  fi
  local t1=$EPOCHREALTIME
  echo "$rc" > "$f.rc"
  # a scenario bug, not a tool's answer: a command the VM does not have
  [ "$rc" != 127 ] || _lib_err "step $name: exit 127 (a command not found in the VM?): $(head -c 200 "$f.err")"
  {
    echo "kind=$kind"
    [ -z "$reason" ] || echo "reason=$reason"
    [ -z "$norms" ] || echo "norm=${norms# }"
    [ $closed = 0 ] || echo "closed=1"
    [ -z "$expect" ] || { echo "expect=$expect"; echo "expect_result=$(_cond "$rc" "$f.out" "$f.err" "$expect")"; }
    if [ "$kind" = rk ]; then
      echo "oracle=$ocond"; echo "oracle_result=$(_cond "$rc" "$f.out" "$f.err" "$ocond")"
      echo "tool=$tcond"; echo "tool_result=$(_cond "$rc" "$f.out" "$f.err" "$tcond")"
    fi
    echo "ms=$(( (${t1/[.,]/} - ${t0/[.,]/}) / 1000 ))"
  } > "$f.meta"
  printf '  %-40s rc=%s\n' "$name" "$rc"
  return 0
}

quiet() {  # quiet CMD...: setup or cleanup, not compared; its output goes to the console
  local rc out
  out=$("$@" 2>&1 < /dev/null); rc=$?
  echo "  (quiet) $* -> $rc${out:+: $(echo "$out" | head -n 3 | tr '\n' ' ')}"
  return $rc
}

unload_all() {  # unload_all MOD...: remove those loaded (with kmod's rmmod: cleanup must not
                #   depend on the tool under test); three rounds, so holders can go first
  local m n r i want
  for i in 1 2 3 4; do
    want=()
    for m in "$@"; do loaded "${m//-/_}" && want+=("${m//-/_}"); done
    [ ${#want[@]} -gt 0 ] || return 0
    [ $i = 4 ] || "$ORACLE/rmmod" "${want[@]}" > /dev/null 2>&1
  done
  echo "  (cleanup) still loaded: ${want[*]}"
}

# kernel messages: clear_dmesg empties the ring buffer; kmsg PATTERN prints the lines since
# then that match (the host strips the timestamps with --norm dmesg)
clear_dmesg() { dmesg -c > /dev/null 2>&1; }
kmsg() { dmesg | grep -E -- "$1"; }
