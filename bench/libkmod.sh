#!/bin/bash
# bench/libkmod.sh: rkmod's libkmod.so.2 against Debian's, in one run, same program
# (bench/libkmod-udev.c, linked against Debian's libkmod-dev; LD_LIBRARY_PATH picks
# ours):
# - udev's pattern: one context, indexes loaded, a lookup and a dry-run probe with
#   udev's flags for one concrete modalias per pattern of the 6.1 tree's
#   modules.alias (`*` -> "", `?` -> "x", `[...]` -> its first character);
# - a process's start cost: kmod_new + kmod_load_resources + one lookup (e1000e).
# hyperfine medians (warm page cache), peak RSS from GNU time. Dry runs make no
# module system call. Prints a markdown table for BENCHMARKS.md. Needs
# tests/scripts/fetch-kernels + index-kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
for p in hyperfine time libkmod-dev gcc; do
  dpkg -s "$p" >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done
cargo xtask libkmod --release >/dev/null
ours=$PWD/target/release/libkmod
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -Werror -o "$work/libkmod-udev" bench/libkmod-udev.c $(pkg-config --cflags --libs libkmod)
cache=${RKMOD_CACHE:-$HOME/.cache/rkmod}/kernels
t61=$cache/amd64-6.1/lib/modules/$(cat "$cache/amd64-6.1/VERSION")
awk '$1 == "alias" { s = $2; out = "";
       while (length(s) > 0) {
         c = substr(s, 1, 1)
         if (c == "*") { s = substr(s, 2) }
         else if (c == "?") { out = out "x"; s = substr(s, 2) }
         else if (c == "[") { e = index(s, "]"); if (e == 0) { out = out s; s = "" }
                             else { out = out substr(s, 2, 1); s = substr(s, e + 1) } }
         else { out = out c; s = substr(s, 2) } }
       print out }' "$t61/modules.alias" > "$work/strings"
n=$(wc -l < "$work/strings")
prog=$work/libkmod-udev
deb_out=$("$prog" udev "$t61" "$work/strings")
our_out=$(LD_LIBRARY_PATH=$ours "$prog" udev "$t61" "$work/strings")
[ "$deb_out" = "$our_out" ] || { echo "bench/libkmod.sh: the libraries disagree: $deb_out / $our_out" >&2; exit 1; }
median() {  # median seconds of hyperfine's JSON
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"
}
rss() {  # peak RSS in KiB
  /usr/bin/time -f %M env "$@" 2>&1 >/dev/null | tail -n1
}
row() {  # label, runs, args...
  local label=$1 runs=$2; shift 2
  hyperfine -N -w 3 -r "$runs" --export-json "$work/d.json" "$prog $*" >/dev/null
  hyperfine -N -w 3 -r "$runs" --export-json "$work/o.json" "env LD_LIBRARY_PATH=$ours $prog $*" >/dev/null
  local d o rd ro
  d=$(median "$work/d.json"); o=$(median "$work/o.json")
  rd=$(rss "$prog" "$@"); ro=$(rss LD_LIBRARY_PATH="$ours" "$prog" "$@")
  python3 -c 'import sys; d,o=float(sys.argv[2]),float(sys.argv[3]); print(f"| {sys.argv[1]} | {d*1000:.1f} ms | {o*1000:.1f} ms | {d/o:.2f}x | {sys.argv[4]} KiB | {sys.argv[5]} KiB |")' \
    "$label" "$d" "$o" "$rd" "$ro"
}
echo "| libkmod call pattern | Debian 12 libkmod (kmod 30) | rkmod | speed-up | RSS kmod | RSS rkmod |"
echo "| --- | --- | --- | --- | --- | --- |"
row "udev: lookup + dry-run probe of $n modaliases ($deb_out)" 10 udev "$t61" "$work/strings"
row "start: kmod_new + load_resources + one lookup" 60 start "$t61" e1000e
