# 20-modprobe.sh: modprobe on the tree (the kernel's modules + the test modules in
# extra/, indexed on the host by kmod's depmod): dependencies (msdos -> fat, the chain
# a -> b -> c), removal (-r, in use), the options -v -n -q -a -i -b -D --first-time,
# aliases, and a modprobe.d file with options, install and blacklist lines.
. /vm/suite/lib.sh
cd /root
mark_modules

step modprobe.msdos -e 'rc_is 0 && live msdos && used_by fat msdos' -- modprobe msdos
step modprobe.msdos.lsmod -- lsmod
step rmmod.fat-in-use -e 'rc_is 1 && live fat' -- rmmod fat
step modprobe.r-fat-in-use -e 'rc_is 1 && live fat' -- modprobe -r fat
step modprobe.msdos-again -e 'rc_is 0 && out_empty && err_empty' -- modprobe msdos
step modprobe.r-msdos -e 'rc_is 0 && gone msdos && gone fat' -- modprobe -r msdos
step modprobe.v-msdos -e 'rc_is 0 && live msdos && out_has fat' -- modprobe -v msdos
step modprobe.rv-msdos -e 'rc_is 0 && gone msdos && gone fat' -- modprobe -r -v msdos
step modprobe.nv-msdos -e 'rc_is 0 && gone msdos && gone fat' -- modprobe -n -v msdos
step modprobe.show-depends-msdos -e 'rc_is 0 && gone fat' -- modprobe -D msdos
step modprobe.vfat-name-dash -e 'rc_is 0 && live vfat' -- modprobe -v vfat
step modprobe.r-several -e 'rc_is 0 && gone vfat && gone fat' -- modprobe -r -v vfat
unload_all msdos vfat fat
# with -r every argument is a module, -a or not
step modprobe.two-loaded -e 'rc_is 0 && live dummy && live msdos' -- modprobe -a dummy msdos
step modprobe.nrv-two \
  --rk "a dry run shows what the removal would do: fat is left unused once msdos goes, so rkmod lists it; kmod 30 checks fat's refcount, which a dry run does not change, and leaves it out" \
       'rc_is 0 && out_has "rmmod dummy" && out_has "rmmod msdos" && ! out_has "rmmod fat" && live dummy && live fat' \
       'rc_is 0 && out_has "rmmod dummy" && out_has "rmmod msdos" && out_has "rmmod fat" && live dummy && live fat' \
  -- modprobe -n -v -r dummy msdos
step modprobe.r-two -e 'rc_is 0 && gone dummy && gone msdos && gone fat' -- modprobe -r -v dummy msdos
unload_all dummy msdos fat

# the chain a -> b -> c (by symbols)
step modprobe.chain -e 'rc_is 0 && live chain_a && used_by chain_b chain_a && used_by chain_c chain_b' -- modprobe -v chain_a
step modprobe.chain.lsmod -- lsmod
step rmmod.chain-middle -e 'rc_is 1 && live chain_b' -- rmmod chain_b
step modprobe.r-chain-middle -e 'rc_is 1 && live chain_b' -- modprobe -r chain_b
step modprobe.r-chain \
  --rk "modprobe -r removes the dependencies that became unused: kmod 30 walks modules.dep once, deepest first, and leaves chain_c (still held by chain_b when checked); rkmod removes all three" \
       'rc_is 0 && gone chain_a && gone chain_b && live chain_c' \
       'rc_is 0 && gone chain_a && gone chain_b && gone chain_c' \
  -- modprobe -r chain_a
step modprobe.r-chain.after --rk "what modprobe -r chain_a left loaded (see modprobe.r-chain)" \
  'out_is chain_c' 'out_empty' --sh 'modules_now | grep "^chain_"'

unload_all chain_a chain_b chain_c
step modprobe.chain-v-again -e 'rc_is 0' -- modprobe -v chain_a
step modprobe.r-chain-v \
  --rk "as modprobe.r-chain, with -v: kmod 30 prints only what it removes" \
       'rc_is 0 && live chain_c && gone chain_b' \
       'rc_is 0 && gone chain_c && gone chain_b' \
  -- modprobe -r -v chain_a
unload_all chain_a chain_b chain_c
step modprobe.nv-chain -e 'rc_is 0 && gone chain_c' -- modprobe -n -v chain_a
step modprobe.show-depends-chain -e 'rc_is 0 && gone chain_c' -- modprobe -D chain_a
step modprobe.chain-c-first -e 'rc_is 0' --sh 'modprobe chain_c && modprobe -v chain_a'
step modprobe.r-chain-all -e 'rc_is 0 && gone chain_a && gone chain_b && gone chain_c' -- modprobe -r chain_a chain_b chain_c
unload_all chain_a chain_b chain_c

# --first-time, -q, not found, not loaded, -a with a failing name in the middle
step modprobe.first-time -e 'rc_is 0 && live hello_soft' -- modprobe --first-time hello_soft
step modprobe.first-time-again -e 'rc_is 1' -- modprobe --first-time hello_soft
step modprobe.again -e 'rc_is 0 && out_empty && err_empty' -- modprobe hello_soft
step modprobe.r-first-time -e 'rc_is 0 && gone hello_soft' -- modprobe -r --first-time hello_soft
step modprobe.r-first-time-again -e 'rc_is 1' -- modprobe -r --first-time hello_soft
step modprobe.r-not-loaded -e 'rc_is 0' -- modprobe -r hello_soft
step modprobe.r-not-loaded-v -- modprobe -r -v chain_b
step modprobe.not-found -e 'rc_is 1' -- modprobe no_such_module_xyz
step modprobe.not-found-q -e 'rc_is 1 && out_empty && err_empty' -- modprobe -q no_such_module_xyz
step modprobe.r-not-found -e 'rc_is 1' -- modprobe -r no_such_module_xyz
step modprobe.r-not-found-q -e 'rc_is 1 && err_empty' -- modprobe -r -q no_such_module_xyz
step modprobe.builtin -e 'rc_is 0' -- modprobe af_packet
step modprobe.builtin-first-time -e 'rc_is 1' -- modprobe --first-time af_packet
step modprobe.r-builtin -e 'rc_is 1' -- modprobe -r af_packet
step modprobe.missing-arg -e 'rc_is 1' -- modprobe
step modprobe.a-middle-fails -e 'rc_is 1 && live hello_soft && live chain_c' -- modprobe -a hello_soft no_such_module_xyz chain_c
step modprobe.a-lsmod -- lsmod
step modprobe.ra-middle-fails -e 'rc_is 1' -- modprobe -r -a hello_soft no_such_module_xyz chain_c
step modprobe.ra-after --sh 'modules_new'
step modprobe.r-stops-at-first-failure -e 'out_has "rc 1"' --sh 'modprobe -a hello_soft chain_c && modprobe -r no_such_module_xyz chain_c hello_soft; echo "rc $?"; modules_new'
unload_all hello_soft chain_c
step modprobe.params -e 'rc_is 0 && param_is hello myint 11 && live hello_soft' -- modprobe -v hello myint=11
step modprobe.alias-loaded -e 'rc_is 0 && out_empty' -- modprobe -v hello-alias
step modprobe.r-alias -e 'rc_is 0 && gone hello' -- modprobe -r -v hello-alias
unload_all hello hello_soft
step modprobe.alias -e 'rc_is 0 && live hello' -- modprobe -v char-major-250-17
step modprobe.resolve-alias -e 'rc_is 0 && out_is hello' -- modprobe -R hello-alias
unload_all hello hello_soft
step modprobe.dep-user -e 'rc_is 0 && live hello && live hello_user' -- modprobe -v hello_user
step modprobe.r-dep-user -e 'rc_is 0 && gone hello_user' -- modprobe -r -v hello_user
step modprobe.r-dep-user.after --sh 'modules_new'
unload_all hello_user hello hello_soft

# modprobe.d: options, install (with $CMDLINE_OPTS), blacklist
cat > /etc/modprobe.d/rkmod-suite.conf <<'CONF'
options hello myint=7 mystring=conf
install hello_soft /bin/echo installing $CMDLINE_OPTS
blacklist chain_c
alias suite-alias chain_b
CONF
step conf.options -e 'rc_is 0 && param_is hello myint 7 && param_is hello mystring conf' -- modprobe -v hello
step conf.options.soft-not-loaded -e 'gone hello_soft' --sh 'modules_new'
unload_all hello
step conf.options-override -e 'rc_is 0 && param_is hello myint 9' -- modprobe -v hello myint=9
unload_all hello
step conf.nv-options -e 'rc_is 0 && gone hello' -- modprobe -n -v hello myint=2
step conf.install -e 'rc_is 0 && gone hello_soft' -- modprobe -v hello_soft a=1 b=2
step conf.install-nv -e 'rc_is 0' -- modprobe -n -v hello_soft
step conf.ignore-install -e 'rc_is 0 && live hello_soft' -- modprobe -v -i hello_soft
unload_all hello_soft
step conf.show-depends -e 'rc_is 0' -- modprobe -D hello
step conf.blacklist-direct -e 'rc_is 0 && live chain_c' -- modprobe -v chain_c
unload_all chain_c
step conf.blacklist-b -e 'rc_is 0 && gone chain_c' -- modprobe -v -b chain_c
step conf.blacklist-dep -e 'rc_is 0 && live chain_c' -- modprobe -v -b chain_b
unload_all chain_b chain_c
step conf.alias -e 'rc_is 0 && live chain_b' -- modprobe -v suite-alias
step conf.r-alias -e 'rc_is 0 && gone chain_b' -- modprobe -r -v suite-alias
unload_all chain_b chain_c
step conf.resolve-alias -- modprobe -R suite-alias
step conf.c-grep --sh 'modprobe -c | grep -E "^(options|install|blacklist|alias suite-alias|softdep hello)"'
step conf.options-in-cmdline-q -e 'rc_is 1' -- modprobe -q hello myint=abc
step conf.bad-value -e 'rc_is 1 && gone hello' -- modprobe hello myint=abc
rm -f /etc/modprobe.d/rkmod-suite.conf
unload_all hello hello_soft chain_a chain_b chain_c
