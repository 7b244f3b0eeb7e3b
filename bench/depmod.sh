#!/bin/bash
# bench/depmod.sh: depmod on the Debian 6.1 (plain .ko) and 6.12 (.ko.xz) trees, kmod 30
# against rkmod as `depmod`, in one run on the same tree copies: hyperfine medians (warm
# page cache) from scratch, for a no-change re-run and for a re-run after one module
# changed (touched: rkmod reads it again), and peak RSS from /usr/bin/time; then the size
# of rkmod's cache against the index files. The trees are `-b` copies, so rkmod is asked
# to keep its cache there (RKMOD_DEPMOD_CACHE=1; by default only the live tree has one).
# RKMOD_BIN=path measures another rkmod binary (e.g. an older build) instead of this
# tree's. Prints markdown for BENCHMARKS.md. Needs tests/scripts/fetch-kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine
[ -x /usr/bin/time ] || apt-get install -y -qq time
bin=${RKMOD_BIN:-}
[ -n "$bin" ] || { cargo build --release -q; bin=$PWD/target/release/rkmod; }
export RKMOD_DEPMOD_CACHE=1
cache=${RKMOD_CACHE:-$HOME/.cache/rkmod}
work=$(mktemp -d "$cache/bench.XXXXXX"); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/cfg"
ln -s "$bin" "$work/bin/depmod"
kmod=$(command -v depmod || echo /usr/sbin/depmod)

median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.1f" % (x["median"]*1000) for x in r))' "$1"; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1; }

sizes=()
echo "| tree | run | kmod 30 | rkmod | speed-up | peak RSS kmod | peak RSS rkmod |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for tag in amd64-6.1 amd64-6.12; do
  src=$cache/kernels/$tag; ver=$(cat "$src/VERSION")
  root=$work/$tag; dir=$root/lib/modules/$ver
  mkdir -p "$dir"
  cp -al "$src/lib/modules/$ver/kernel" "$dir/"
  cp "$src/lib/modules/$ver/"modules.{order,builtin,builtin.modinfo} "$dir/"
  # The module the "one module changed" row touches: a copy of its own, so the cached
  # tree's hard-linked file keeps its times.
  one=$(find "$dir/kernel" -name 'e1000e.ko*' | head -n1)
  cp "$one" "$one.copy" && mv "$one.copy" "$one"
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
  reruns=20; [ "$tag" = amd64-6.12 ] && reruns=5
  hyperfine -N -w 2 -r "$reruns" --export-json "$json" "$k" "$r" >/dev/null 2>&1
  read -r km rm <<<"$(median "$json")"
  rrss=$(rss $r)
  echo "| $tag | no-change re-run | ${km} ms | ${rm} ms | $(python3 -c "print('%.1fx' % ($km/$rm))") | ${krss} KB | ${rrss} KB |"
  hyperfine -N -w 1 -r "$reruns" --export-json "$json" --prepare "touch $one" "$k" "$r" >/dev/null 2>&1
  read -r km rm <<<"$(median "$json")"
  touch "$one"; rrss=$(rss $r)
  echo "| $tag | one module changed | ${km} ms | ${rm} ms | $(python3 -c "print('%.1fx' % ($km/$rm))") | ${krss} KB | ${rrss} KB |"
  sizes+=("$tag: cache $(stat -c %s "$dir/modules.rkmod.cache") bytes, index files $(cat "$dir"/modules.{dep,dep.bin,alias,alias.bin,softdep,weakdep,symbols,symbols.bin,devname,builtin.bin,builtin.alias.bin} | wc -c) bytes")
done
echo
printf '%s\n' "${sizes[@]}"
