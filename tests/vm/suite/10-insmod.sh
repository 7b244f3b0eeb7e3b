# 10-insmod.sh: insmod and rmmod on the test modules in /root/ko (built for this kernel):
# parameters, every error insmod maps (bad value, unknown symbol, exists, bad format,
# missing file), unknown parameter names, rmmod by name and by path, in use, not loaded,
# builtin, several names with a failure among them.
. /vm/suite/lib.sh
cd /root
printf 'this is plainly not an ELF file, but long enough to look at\n' > ko/not-elf.ko
: > ko/empty.ko
head -c 3000 ko/hello.ko > ko/truncated.ko
mkdir -p ko/dir.ko

clear_dmesg
step insmod.params -e 'rc_is 0 && out_empty && err_empty && live hello' \
  -- insmod ko/hello.ko myint=50 mystring=hi myarray=1,4,3
step insmod.params.sysfs -e 'out_is "$(printf "50\nhi\n1,4,3")"' \
  --sh 'cd /sys/module/hello/parameters && cat myint mystring myarray'
step insmod.params.dmesg --norm dmesg -e 'out_has "hello: init myint=50"' -- kmsg '^.{0,20}hello'
step insmod.lsmod -e 'out_has hello' -- lsmod
step insmod.exists -e 'rc_is 1' -- insmod ko/hello.ko
step insmod.exists-abs -e 'rc_is 1' -- insmod /root/ko/hello.ko myint=1
step insmod.exists-verbose \
  --rk "kmod 30's insmod has no -v (\"invalid option -- 'v'\"); rkmod accepts -v/--verbose like kmod 34" \
  'rc_is 1 && err_is "insmod: invalid option -- '"'v'"'"' \
  'rc_is 1 && err_is "insmod: ERROR: could not insert module ko/hello.ko: File exists"' \
  -- insmod -v ko/hello.ko
step rmmod.name -e 'rc_is 0 && gone hello' -- rmmod hello
step rmmod.not-loaded -e 'rc_is 1' -- rmmod hello
step rmmod.not-loaded-v -e 'rc_is 1' -- rmmod -v hello
step rmmod.no-such -e 'rc_is 1' -- rmmod no_such_module_xyz
step rmmod.dash-name -e 'rc_is 1' -- rmmod no-such-module-xyz
step rmmod.builtin -e 'rc_is 1' -- rmmod af_packet
step rmmod.missing-arg -e 'rc_is 1' -- rmmod

clear_dmesg
step insmod.bad-value -e 'rc_is 1 && gone hello' -- insmod ko/hello.ko myint=abc
step insmod.bad-value.dmesg --norm dmesg -- kmsg 'hello|myint'
step insmod.bad-array -e 'rc_is 1 && gone hello' -- insmod ko/hello.ko myarray=1,2,3,4,5,6,7,8,9
clear_dmesg
step insmod.unknown-param -e 'rc_is 0 && live hello' -- insmod ko/hello.ko nosuchparam=1 myint=3
step insmod.unknown-param.dmesg --norm dmesg -e 'out_has "nosuchparam"' -- kmsg 'hello'
step insmod.unknown-param.myint -e 'out_is 3' -- cat /sys/module/hello/parameters/myint
step rmmod.path -e 'rc_is 0 && gone hello' -- rmmod ko/hello.ko
step rmmod.abs-path -e 'rc_is 1' -- rmmod /root/ko/hello.ko

# a value with a space: kmod 30 joins the arguments with spaces and does not quote it, so
# the kernel sets mystring=a and ignores a parameter "b"; kmod 34 and rkmod pass mystring="a b"
clear_dmesg
step insmod.quoted-space -e 'rc_is 0 && live hello' -- insmod ko/hello.ko 'mystring=a b'
step insmod.quoted-space.value --rk "a parameter value with a space: kmod 30 does not quote it (the kernel gets mystring=a b); rkmod quotes it like kmod 34 (mystring=\"a b\")" \
  'out_is a' 'out_is "a b"' -- cat /sys/module/hello/parameters/mystring
step insmod.quoted-space.dmesg --norm dmesg --rk "as insmod.quoted-space.value: with kmod 30 the kernel ignores a parameter 'b'" \
  "out_has \"unknown parameter 'b' ignored\"" "! out_has \"unknown parameter\" && out_has 'hello: init'" -- kmsg 'hello'
quiet "$ORACLE/rmmod" hello
step insmod.quoted-already -e 'rc_is 0' -- insmod ko/hello.ko 'mystring="c d"' myint=-5
step insmod.quoted-already.value --sh 'cat /sys/module/hello/parameters/mystring /sys/module/hello/parameters/myint'
quiet "$ORACLE/rmmod" hello

clear_dmesg
step insmod.unknown-symbol -e 'rc_is 1 && gone hello_user' -- insmod ko/hello_user.ko
step insmod.unknown-symbol.dmesg --norm dmesg -e 'out_has "Unknown symbol"' -- kmsg 'hello_user'
step insmod.not-elf -e 'rc_is 1' -- insmod ko/not-elf.ko
step insmod.empty -e 'rc_is 1' -- insmod ko/empty.ko
step insmod.truncated -e 'rc_is 1' -- insmod ko/truncated.ko
step insmod.directory -e 'rc_is 1' -- insmod ko/dir.ko
step insmod.missing-file -e 'rc_is 1' -- insmod ko/no-such-file.ko
step insmod.missing-file-abs -e 'rc_is 1' -- insmod /nonexistent/dir/x.ko
step insmod.missing-arg -e 'rc_is 1' -- insmod
step insmod.stdin -e 'rc_is 1' --in ko/hello.ko -- insmod -
step insmod.bad-option -e 'rc_is 1' -- insmod --no-such-option ko/hello.ko

# a module in use: hello_user holds hello
step insmod.dep-order.hello -e 'rc_is 0' -- insmod ko/hello.ko
step insmod.dep-order.user -e 'rc_is 0 && used_by hello hello_user' -- insmod ko/hello_user.ko
step insmod.lsmod-holders -- lsmod
step kmod.list-holders -- kmod list
step rmmod.in-use -e 'rc_is 1 && live hello' -- rmmod hello
step rmmod.in-use-v -e 'rc_is 1 && live hello' -- rmmod -v hello
step rmmod.several-first-fails -e 'rc_is 1 && gone hello_user && live hello' -- rmmod hello hello_user
step rmmod.several-missing-middle -e 'rc_is 1 && gone hello' -- rmmod no_such_module_xyz hello
step insmod.reload -e 'rc_is 0' --sh 'insmod ko/hello.ko && insmod ko/hello_user.ko && insmod ko/hello_soft.ko'
step rmmod.several -e 'rc_is 0 && gone hello && gone hello_user && gone hello_soft' -- rmmod hello_user hello hello_soft
step lsmod.extra-arg -e 'rc_is 1' -- lsmod hello
step kmod.list-extra-arg -e 'rc_is 1' -- kmod list hello
step lsmod.empty -- lsmod
step kmod.version --info "kmod -V and rkmod's version text differ by design" -- kmod -V
step insmod.version --info "version text differs by design" -- insmod -V

unload_all hello_user hello hello_soft
rm -rf ko/not-elf.ko ko/empty.ko ko/truncated.ko ko/dir.ko
