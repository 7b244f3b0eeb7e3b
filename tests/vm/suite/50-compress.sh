# 50-compress.sh: which syscall loads a compressed module, proved with strace (from the
# host). ko/variants (fixtures/build.sh): hello.ko.xz (kernel style: CRC32, 1 MiB dict),
# hello-crc64.ko.xz (xz defaults: CRC64, which the kernel's decoder rejects),
# hello.ko.zst, hello.ko.gz. 6.12 has /sys/module/compression = xz (in-kernel
# decompression of xz only); 6.1 has none. kmod 30 always decompresses in userspace
# and calls init_module, and cannot read .gz at all (built without zlib). rkmod: finit_module
# with MODULE_INIT_COMPRESSED_FILE for a kernel-style xz when the kernel does xz, init_module
# after userspace decompression for the rest (CRC64 xz, zstd, gzip), gzip included.
# Each file by path (insmod) and, in a small tree of its own indexed by the tool's depmod,
# by name (modprobe -d).
. /vm/suite/lib.sh
cd /root
T="strace -f -qq -e trace=finit_module,init_module"
kcomp=$(cat /sys/module/compression 2>/dev/null)
FINIT4='^finit_module\([0-9]+, "", MODULE_INIT_COMPRESSED_FILE\) += 0$'
INIT='^init_module\(0x[0-9a-f]+, [0-9]+, ""\) += 0$'
step comp.kernel --sh 'cat /sys/module/compression 2>&1; true'

step comp.plain -e "rc_is 0 && live hello && err_match '^finit_module\([0-9]+, \"\", 0\) += 0\$'" --norm strace -- $T insmod ko/hello.ko
unload_all hello
if [ "$kcomp" = xz ]; then
  step comp.xz --norm strace \
    --rk "a kernel-style .ko.xz on a kernel that decompresses xz: kmod 30 decompresses it itself and calls init_module; rkmod hands the file to the kernel (finit_module, flags MODULE_INIT_COMPRESSED_FILE = 4)" \
    "rc_is 0 && live hello && err_match '$INIT' && ! err_has finit_module" \
    "rc_is 0 && live hello && err_match '$FINIT4' && ! err_has 'init_module(0x'" \
    -- $T insmod ko/variants/hello.ko.xz
else
  step comp.xz -e "rc_is 0 && live hello && err_match '$INIT'" --norm strace -- $T insmod ko/variants/hello.ko.xz
fi
step comp.xz.myint -e 'out_is 42' -- cat /sys/module/hello/parameters/myint
unload_all hello
if [ "$kcomp" = xz ]; then
  step comp.xz-params --norm strace --rk "as comp.xz, with parameters" \
    "rc_is 0 && param_is hello myint 8 && err_has 'init_module(0x' && ! err_has finit_module" \
    "rc_is 0 && param_is hello myint 8 && err_has '\"myint=8 mystring=x\", MODULE_INIT_COMPRESSED_FILE) = 0'" \
    -- $T insmod ko/variants/hello.ko.xz myint=8 mystring=x
else
  step comp.xz-params -e "rc_is 0 && param_is hello myint 8 && err_has 'init_module(0x'" --norm strace \
    -- $T insmod ko/variants/hello.ko.xz myint=8 mystring=x
fi
unload_all hello
step comp.crc64 -e "rc_is 0 && live hello && err_match '$INIT'" --norm strace -- $T insmod ko/variants/hello-crc64.ko.xz
unload_all hello
step comp.zst -e "rc_is 0 && live hello && err_match '$INIT'" --norm strace -- $T insmod ko/variants/hello.ko.zst
unload_all hello
step comp.gz --norm strace \
  --rk "kmod 30 is built without zlib: it cannot decompress a .ko.gz (it passes the gzip bytes to the kernel, which refuses them); rkmod decompresses it and calls init_module" \
  'rc_is 1 && gone hello' \
  "rc_is 0 && live hello && err_match '$INIT'" \
  -- $T insmod ko/variants/hello.ko.gz
unload_all hello
step comp.lsmod -- lsmod

# each variant as the only hello of a small tree, indexed by the tool's depmod
for v in xz crc64 zst gz; do
  case $v in
    xz) f=hello.ko.xz src=ko/variants/hello.ko.xz ;;
    crc64) f=hello.ko.xz src=ko/variants/hello-crc64.ko.xz ;;
    zst) f=hello.ko.zst src=ko/variants/hello.ko.zst ;;
    gz) f=hello.ko.gz src=ko/variants/hello.ko.gz ;;
  esac
  r=/tmp/roots/$v d=/tmp/roots/$v/lib/modules/$KVER
  mkdir -p "$d/extra"
  cp "$src" "$d/extra/$f"; cp ko/hello_soft.ko "$d/extra/"
  cp "$MODDIR/modules.builtin" "$MODDIR/modules.builtin.modinfo" "$d/"
  printf 'extra/%s\nextra/hello_soft.ko\n' "$f" > "$d/modules.order"
  step "comp.tree-$v.depmod" -e 'rc_is 0' -- depmod -b "$r" "$KVER"
  if [ $v = gz ]; then
    step "comp.tree-$v.dep" --rk "kmod 30's depmod skips .ko.gz files (no zlib); rkmod's indexes them" \
      '! out_has hello.ko.gz' 'out_has "extra/hello.ko.gz:"' -- cat "$d/modules.dep"
  else
    step "comp.tree-$v.dep" -- cat "$d/modules.dep"
  fi
  if [ $v = gz ]; then
    step "comp.tree-$v.modprobe" --norm strace \
      --rk "a .ko.gz found by name: kmod 30 has no index entry (its depmod skipped it); rkmod loads it through init_module" \
      'rc_is 1 && gone hello && err_has "not found"' \
      "rc_is 0 && live hello && err_match '$INIT'" \
      -- $T modprobe -d "$r" -v hello
  elif [ $v = xz ] && [ "$kcomp" = xz ]; then
    step "comp.tree-$v.modprobe" --norm strace \
      --rk "as comp.xz, found by name through modprobe" \
      "rc_is 0 && live hello && err_match '$INIT' && err_match '^finit_module\([0-9]+, \"\", 0\) += 0\$'" \
      "rc_is 0 && live hello && err_match '$FINIT4'" \
      -- $T modprobe -d "$r" -v hello
  else
    step "comp.tree-$v.modprobe" -e "rc_is 0 && live hello && live hello_soft && err_match '$INIT'" --norm strace \
      -- $T modprobe -d "$r" -v hello
  fi
  if [ $v = gz ]; then
    step "comp.tree-$v.modprobe-r" --rk "removing the .ko.gz by name: kmod 30 has no index entry for it" \
      'rc_is 1 && err_has "not found"' 'rc_is 0 && gone hello' -- modprobe -d "$r" -r -v hello
  else
    step "comp.tree-$v.modprobe-r" -e 'rc_is 0 && gone hello' -- modprobe -d "$r" -r -v hello
  fi
  unload_all hello hello_soft
done

# a module of the kernel's own tree (6.12: .ko.xz, 6.1: .ko): the same question by name
if [ "$kcomp" = xz ]; then
  step comp.tree-fat --norm strace \
    --rk "the kernel's own .ko.xz modules (fat, msdos): kmod 30 init_module, rkmod finit_module with MODULE_INIT_COMPRESSED_FILE" \
    "rc_is 0 && live msdos && err_match '$INIT' && ! err_has finit_module" \
    "rc_is 0 && live msdos && err_match '$FINIT4' && ! err_has 'init_module(0x'" \
    -- $T modprobe -v msdos
else
  step comp.tree-fat -e "rc_is 0 && live msdos && ! err_has 'init_module(0x'" --norm strace -- $T modprobe -v msdos
fi
unload_all msdos fat
rm -rf /tmp/roots
