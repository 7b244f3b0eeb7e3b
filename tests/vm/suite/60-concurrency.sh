# 60-concurrency.sh: 50 modprobe processes at once, of one module (hello from the tree:
# its init must run once, so "hello: init" appears once in dmesg) and of 50 different
# modules (the first 50 with no dependencies in modules.dep under kernel/fs/nls/, then
# kernel/lib/, in path order: code pages, character sets, CRCs; trivial init, no hardware;
# minus nls_euc-jp and nls_koi8-ru, whose init loads another NLS table through
# request_module and holds it, so they are not independent). Every process must exit 0
# with nothing on stderr, and every module be live afterwards.
. /vm/suite/lib.sh
cd /root
burst() {  # burst NAME...: one modprobe per argument, all at once; prints a summary
  local i=0 m
  rm -rf /tmp/burst; mkdir -p /tmp/burst
  for m in "$@"; do
    i=$((i + 1))
    (modprobe "$m" > /tmp/burst/$i.out 2> /tmp/burst/$i.err; echo $? > /tmp/burst/$i.rc) &
  done
  wait
  echo "processes: $i"
  echo "exit statuses: $(cat /tmp/burst/*.rc | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')"
  echo "stdout bytes: $(cat /tmp/burst/*.out | wc -c)"
  echo "stderr bytes: $(cat /tmp/burst/*.err | wc -c)"
  cat /tmp/burst/*.err | sort | uniq -c | head -n 20
}
not_live() {  # not_live NAME...: those whose initstate is not "live"
  local m
  for m in "$@"; do m=${m//-/_}; live "$m" || echo "$m: $(cat /sys/module/$m/initstate 2>&1)"; done
}

mark_modules
clear_dmesg
step conc.same -e 'out_has "exit statuses: 0 x50" && out_has "stderr bytes: 0" && live hello && live hello_soft' \
  --sh 'burst $(for i in $(seq 50); do echo hello; done)'
step conc.same.init-once -e 'out_is 1' --sh 'dmesg | grep -c "hello: init"'
step conc.same.modules -- modules_new
unload_all hello hello_soft

nls=$(awk -F: '$2 == "" && $1 ~ /^kernel\/(fs\/nls|lib)\// && $1 !~ /\/nls_(euc-jp|koi8-ru)\.ko/ { print $1 }' \
  "$MODDIR/modules.dep" | sort | head -n 50 | sed 's,.*/,,; s,\.ko.*,,')
step conc.names -e '[ "$(wc -l < "$OUT")" = 50 ]' --sh 'echo "$nls"'
step conc.different -e 'out_has "exit statuses: 0 x50" && out_has "stderr bytes: 0"' -- burst $nls
step conc.different.live -e 'out_empty' -- not_live $nls
step conc.different.modules -- modules_new
step conc.rmmod-all -e 'rc_is 0' -- rmmod $nls
step conc.after -e 'out_empty' -- modules_new
unload_all $nls

# the same 50 at once again, through one modprobe -a each in 5 processes of 10 names
step conc.modprobe-a --sh 'set -- $nls; for i in 0 10 20 30 40; do (shift $i; modprobe -a ${@:1:10}) & done; wait; echo done'
step conc.modprobe-a.live -e 'out_empty' -- not_live $nls
step conc.modprobe-ra -e 'rc_is 0' -- modprobe -r -a $nls
step conc.modprobe-ra.after -e 'out_empty' -- modules_new
unload_all $nls
