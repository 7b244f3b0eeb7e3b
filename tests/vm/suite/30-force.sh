# 30-force.sh: forcing. hello-badmagic.ko is hello.ko with one byte of its vermagic's
# flags part changed on the host ("SMP" -> "SMQ", same length; the kernel version part
# alone would not do: with modversions the kernel only compares what follows the first
# space), so plain insmod must fail and insmod -f load it (CONFIG_MODULE_FORCE_LOAD=y).
# pinned holds a reference on itself (refcnt 1, no holders): rmmod refuses it, rmmod -f
# removes it (CONFIG_MODULE_FORCE_UNLOAD=y) and nothing can call into it afterwards.
. /vm/suite/lib.sh
cd /root
T="strace -f -qq -e trace=finit_module,init_module,delete_module"

step force.vermagic.modinfo -- modinfo -F vermagic ko/hello-badmagic.ko
clear_dmesg
step force.insmod-badmagic -e 'rc_is 1 && gone hello' -- insmod ko/hello-badmagic.ko
step force.insmod-badmagic.dmesg --norm dmesg -e 'out_has "version magic"' -- kmsg 'hello'
step force.insmod-f -e 'rc_is 0 && live hello' --norm strace -- $T insmod -f ko/hello-badmagic.ko myint=5
step force.insmod-f.myint -e 'out_is 5' -- cat /sys/module/hello/parameters/myint
step force.insmod-f.taint --sh 'cat /sys/module/hello/taint'
step force.lsmod -- lsmod
step force.rmmod -e 'rc_is 0 && gone hello' --norm strace -- $T rmmod hello
step force.insmod-f-long --norm strace \
  --rk "kmod 30's insmod has no --force (only -f); rkmod accepts the long option like kmod 34" \
  "rc_is 1 && err_has \"unrecognized option '--force'\" && gone hello" \
  "rc_is 0 && live hello && err_match '^finit_module\([0-9]+, \"\", MODULE_INIT_IGNORE_MODVERSIONS\|MODULE_INIT_IGNORE_VERMAGIC\) += 0\$'" \
  -- $T insmod --force ko/hello.ko
unload_all hello

# removal of modules in use
step force.pinned -e 'rc_is 0 && live pinned' --norm strace -- $T insmod ko/pinned.ko
step force.pinned.refcnt -e 'out_is 1' -- cat /sys/module/pinned/refcnt
step force.pinned.lsmod -- lsmod
step force.rmmod-pinned -e 'rc_is 1 && live pinned' -- rmmod pinned
step force.modprobe-r-pinned -e 'rc_is 1 && live pinned' -- modprobe -r pinned
step force.modprobe-r-pinned-v -e 'rc_is 1 && live pinned' -- modprobe -r -v pinned
clear_dmesg
step force.rmmod-f-pinned -e 'rc_is 0 && gone pinned' --norm strace -- $T rmmod -f pinned
step force.rmmod-f-pinned.dmesg --norm dmesg -e 'out_has "pinned: exit"' -- kmsg 'pinned|forc|taint'
step force.rmmod-f-missing -e 'rc_is 1' -- rmmod -f pinned
step force.holders -e 'rc_is 0 && used_by hello hello_user' --sh 'insmod ko/hello.ko && insmod ko/hello_user.ko'
step force.rmmod-f-with-holder -e 'rc_is 1 && live hello' --norm strace -- $T rmmod -f hello
step force.rmmod-f-order -e 'rc_is 0 && gone hello && gone hello_user' -- rmmod -f hello_user hello
step force.taint --sh 'cat /proc/sys/kernel/tainted'
unload_all hello_user hello pinned
