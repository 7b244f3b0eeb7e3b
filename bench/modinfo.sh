#!/bin/bash
# bench/modinfo.sh: modinfo per call, kmod 30 against rkmod as `modinfo`, in one run
# (hyperfine medians, warm page cache). Prints a markdown table for BENCHMARKS.md.
# Needs the kernel trees of tests/scripts/fetch-kernels + index-kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/per-call.sh
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine
cargo build --release -q
cache=${RKMOD_CACHE:-$HOME/.cache/rkmod}/kernels
t61=$cache/amd64-6.1 v61=$(cat "$t61/VERSION")
t612=$cache/amd64-6.12 v612=$(cat "$t612/VERSION")
bin=$(mktemp -d); trap 'rm -rf "$bin"' EXIT
ln -s "$PWD/target/release/rkmod" "$bin/modinfo"
xzmod=$(find "$t612/lib/modules/$v612" -name fat.ko.xz)
kmod=$(command -v modinfo || echo /usr/sbin/modinfo)
rows=(
  "by name (6.1 tree)|-b $t61 -k $v61 fat"
  "by alias, PCI modalias (6.1 tree)|-b $t61 -k $v61 pci:v00008086d00001572sv*sd*bc*sc*i*"
  "builtin by name (6.1 tree)|-b $t61 -k $v61 ext4"
  "path to a .ko.xz (6.12 tree)|$xzmod"
  "path to a signed .ko (6.1 tree)|$t61/lib/modules/$v61/kernel/fs/fat/fat.ko"
)
echo "| modinfo call | kmod 30 median | rkmod median | speed-up |"
echo "| --- | --- | --- | --- |"
for row in "${rows[@]}"; do
  label=${row%%|*} args=${row#*|}
  per_call_row "$label" "$kmod $args" "$bin/modinfo $args"
done
