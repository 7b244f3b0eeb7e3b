#!/bin/bash
# bench/modprobe.sh: modprobe per call, kmod 30 against rkmod as `modprobe`, in one run
# (hyperfine medians of 60 runs, warm page cache, no shell). Calls that finish without
# a system call, as udev and the kernel make them: a module that is already loaded, a
# builtin one, a name that is not found, a PCI modalias resolving to a loaded module,
# -D on a module with dependencies, and -D at the top of a 1,500-module dependency
# chain (examples/deep-chain.rs: planning must stay linear in the closure). "Already loaded" is staged in a private mount
# namespace (root: unshare -m), where /sys/module is a tmpfs holding the live state
# both tools read; the host kernel is never asked to load anything.
# Prints a markdown table for BENCHMARKS.md. Needs tests/scripts/fetch-kernels +
# index-kernels.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/per-call.sh
[ "$(id -u)" = 0 ] || { echo "bench/modprobe.sh: needs root (unshare -m)" >&2; exit 1; }
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine
if [ "${1:-}" != --inside ]; then
  cargo build --release -q --examples
  exec unshare -m "$0" --inside
fi
cache=${RKMOD_CACHE:-$HOME/.cache/rkmod}/kernels
t61=$cache/amd64-6.1 v61=$(cat "$t61/VERSION")
bin=$(mktemp -d); trap 'rm -rf "$bin"' EXIT
ln -s "$PWD/target/release/rkmod" "$bin/modprobe"
mkdir -p "$bin/conf"
mount -t tmpfs none /sys/module
for m in fat msdos e1000e; do
  mkdir -p /sys/module/$m/holders; echo live > /sys/module/$m/initstate; echo 0 > /sys/module/$m/refcnt
done
kmod=$(command -v modprobe || echo /usr/sbin/modprobe)
common="-C $bin/conf -d $t61 -S $v61"
chain=$(mktemp -d); trap 'rm -rf "$bin" "$chain"' EXIT
top=$(target/release/examples/deep-chain "$chain" 1.0 1500)
rows=(
  "already loaded (msdos)|$common msdos"
  "builtin (af_packet)|$common af_packet"
  "not found, quiet|$common -q no_such_module_xyz"
  "PCI modalias of a loaded driver (e1000e)|$common -q pci:v00008086d000015B8sv00001028sd000007BEbc02sc00i00"
  "-D, module with dependencies (vfat)|$common -D vfat"
  "-D, top of a 1,500-module chain|-C $bin/conf -d $chain -S 1.0 -D $top"
)
echo "| modprobe call | kmod 30 median | rkmod median | speed-up |"
echo "| --- | --- | --- | --- |"
for row in "${rows[@]}"; do
  label=${row%%|*} args=${row#*|}
  # Every call but "not found" must succeed without a system call; a failing one would
  # be measuring an error path (and asking the host kernel for a module).
  ignore=(); case $label in "not found"*) ignore=(-i) ;; esac
  per_call_row "$label" "$kmod $args" "$bin/modprobe $args" "${ignore[@]}"
done
