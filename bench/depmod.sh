#!/bin/bash
# bench/depmod.sh: depmod on the Debian 6.1 (plain .ko) and 6.12 (.ko.xz) trees, kmod 30
# against rkmod as `depmod`, in one run on the same tree copies: hyperfine medians (warm
# page cache) from scratch and for a no-change re-run, and peak RSS from /usr/bin/time.
# Prints a markdown table for BENCHMARKS.md. Needs tests/scripts/fetch-kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine
[ -x /usr/bin/time ] || apt-get install -y -qq time
cargo build --release -q
cache=${RKMOD_CACHE:-$HOME/.cache/rkmod}
work=$(mktemp -d "$cache/bench.XXXXXX"); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/cfg"
ln -s "$PWD/target/release/rkmod" "$work/bin/depmod"
kmod=$(command -v depmod || echo /usr/sbin/depmod)

median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.1f" % (x["median"]*1000) for x in r))' "$1"; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1; }

echo "| tree | run | kmod 30 | rkmod | speed-up | peak RSS kmod | peak RSS rkmod |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for tag in amd64-6.1 amd64-6.12; do
  src=$cache/kernels/$tag; ver=$(cat "$src/VERSION")
  root=$work/$tag; dir=$root/lib/modules/$ver
  mkdir -p "$dir"
  cp -al "$src/lib/modules/$ver/kernel" "$dir/"
  cp "$src/lib/modules/$ver/"modules.{order,builtin,builtin.modinfo} "$dir/"
  k="$kmod -C $work/cfg -b $root $ver"
  r="$work/bin/depmod -C $work/cfg -b $root $ver"
  runs=10; [ "$tag" = amd64-6.12 ] && runs=5
  json=$work/scratch.json
  hyperfine -N -w 1 -r "$runs" --export-json "$json" \
    --prepare "rm -f $dir/modules.rkmod.cache" "$k" "$r" >/dev/null 2>&1
  read -r km rm <<<"$(median "$json")"
  krss=$(rss $k); rm -f "$dir/modules.rkmod.cache"; rrss=$(rss $r)
  echo "| $tag | from scratch | ${km} ms | ${rm} ms | $(python3 -c "print('%.1fx' % ($km/$rm))") | ${krss} KB | ${rrss} KB |"
  $r >/dev/null 2>&1
  hyperfine -N -w 2 -r 20 --export-json "$json" "$k" "$r" >/dev/null 2>&1
  read -r km rm <<<"$(median "$json")"
  rrss=$(rss $r)
  echo "| $tag | no-change re-run | ${km} ms | ${rm} ms | $(python3 -c "print('%.1fx' % ($km/$rm))") | ${krss} KB | ${rrss} KB |"
done
