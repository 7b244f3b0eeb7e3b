#!/bin/bash
# bench/size.sh: the rkmod binary's size and speed under build settings, for the
# "Binary size" table of BENCHMARKS.md. Builds each variant into its own target
# directory (minutes each), then prints one markdown row per variant: size unstripped,
# stripped, xz -9 and zstd -19 of the stripped file (what an initramfs stores), and
# instruction counts (callgrind, one thread: repeatable on a loaded machine) of depmod -n
# on the 6.1 tree, modinfo of a .ko.xz module by name on the 6.12 tree, and modprobe -D
# vfat. Needs tests/scripts/fetch-kernels + index-kernels, valgrind, libzstd-dev and
# liblzma-dev (for the "system libraries" variant).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${RKMOD_SIZE_WORK:-/tmp/rkmod-size}
mkdir -p "$work"
cache=${RKMOD_CACHE:-$HOME/.cache/rkmod}/kernels
t61=$cache/amd64-6.1 v61=$(cat "$t61/VERSION")
t612=$cache/amd64-6.12 v612=$(cat "$t612/VERSION")
variants=(
  "release profile (thin LTO, 4 codegen units)|release|"
  "dist profile (fat LTO, 1 codegen unit)|dist|"
  "dist + opt-level s|dist|CARGO_PROFILE_DIST_OPT_LEVEL=s"
  "dist + system libzstd/liblzma (dynamic)|dist|ZSTD_SYS_USE_PKG_CONFIG=1 RKMOD_SYSTEM_LZMA=1"
)
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }
echo "| build | unstripped | stripped | xz -9 | zstd -19 | depmod 6.1 (instr.) | modinfo .ko.xz | modprobe -D |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for v in "${variants[@]}"; do
  IFS='|' read -r label profile envs <<<"$v"
  dir=$work/$(echo "$label" | tr -c 'a-z0-9' '-')
  extra=()
  if [[ $envs == *RKMOD_SYSTEM_LZMA* ]]; then
    # liblzma-sys links the system library only with its version check turned off
    # (Debian 12 has 5.4; the crate wants 5.8): done on a copy of the engine manifest.
    mkdir -p "$dir/src"; git ls-files -z | xargs -0 cp --parents -t "$dir/src"
    sed -i 's|^liblzma = "0.4"|liblzma = { version = "0.4", features = ["uncheck_liblzma_version"] }|' "$dir/src/engine/Cargo.toml"
    (cd "$dir/src" && env $envs cargo build -q --profile "$profile" -p rkmod-cli --target-dir "$dir/target")
  else
    env $envs cargo build -q --profile "$profile" -p rkmod-cli --target-dir "$dir/target"
  fi
  bin=$dir/target/$profile/rkmod
  strip -o "$dir/rkmod.stripped" "$bin"
  mkdir -p "$dir/bin"; for a in depmod modinfo modprobe; do ln -sf "$bin" "$dir/bin/$a"; done
  d=$(RAYON_NUM_THREADS=1 count "$dir/bin/depmod" -n -C /dev/null -b "$t61" "$v61")
  x=$(count "$dir/bin/modinfo" -b "$t612" -k "$v612" e1000e)
  p=$(count "$dir/bin/modprobe" -C /dev/null -d "$t61" -S "$v61" -D vfat)
  printf '| %s | %s | %s | %s | %s | %sM | %sM | %sk |\n' "$label" "$(stat -c %s "$bin")" "$(stat -c %s "$dir/rkmod.stripped")" \
    "$(xz -9 -c "$dir/rkmod.stripped" | wc -c)" "$(zstd -19 -q -c "$dir/rkmod.stripped" | wc -c)" \
    "$((d / 1000000))" "$((x / 1000000))" "$((p / 1000))"
done
