# 70-static-nodes.sh: kmod static-nodes on the tree's modules.devname (the kernel's 17-18
# entries + devnode's "rkmod/devnode c250:42", a node in a subdirectory): the three
# formats, -o FILE (its parent directories are created), no modules.devname, a bad line.
. /vm/suite/lib.sh
cd /root
step sn.devname-file -e 'out_has "devnode rkmod/devnode c250:42"' -- cat "$MODDIR/modules.devname"
step sn.default -e 'rc_is 0' -- kmod static-nodes
step sn.human -e 'rc_is 0' -- kmod static-nodes --format=human
step sn.tmpfiles -e 'rc_is 0 && out_has "d /dev/rkmod 0755 - - -"' -- kmod static-nodes --format=tmpfiles
step sn.devname -e 'rc_is 0' -- kmod static-nodes --format=devname
step sn.short-f -e 'rc_is 0' -- kmod static-nodes -f tmpfiles
step sn.output -e 'rc_is 0 && out_empty' -- kmod static-nodes --format=tmpfiles -o /tmp/sn/a/b/static-nodes.conf
step sn.output.file -- cat /tmp/sn/a/b/static-nodes.conf
step sn.output-long -e 'rc_is 0' -- kmod static-nodes --output=/tmp/sn/c.conf --format=devname
step sn.output-long.file -- cat /tmp/sn/c.conf
step sn.bad-format -e 'rc_is 1' -- kmod static-nodes --format=nosuch
step sn.extra-arg -- kmod static-nodes extra
cp "$MODDIR/modules.devname" /tmp/devname.saved
printf '# comment\nfoo foo c10:1\nbad line\n' > "$MODDIR/modules.devname"
step sn.bad-line -e 'rc_is 1' -- kmod static-nodes
step sn.bad-line-tmpfiles -- kmod static-nodes --format=tmpfiles
printf 'blk disk/blk b7:3\n' > "$MODDIR/modules.devname"
step sn.block -- kmod static-nodes --format=tmpfiles
step sn.block-human -- kmod static-nodes
: > "$MODDIR/modules.devname"
step sn.empty -e 'rc_is 0' -- kmod static-nodes
rm "$MODDIR/modules.devname"
step sn.missing -e 'rc_is 0' -- kmod static-nodes
step sn.missing-o -e 'rc_is 0' -- kmod static-nodes -o /tmp/sn/missing.conf
step sn.missing-o.file --sh 'cat /tmp/sn/missing.conf 2>&1; true'
cp /tmp/devname.saved "$MODDIR/modules.devname"
# no /dev/stdout (devtmpfs does not make it; udev and systemd do): kmod 30 opens the path
# "/dev/stdout" for writing when there is no -o, so it creates a regular file there
rm /dev/stdout
step sn.no-dev-stdout \
  --rk "without a /dev/stdout symlink, kmod 30 creates a regular file /dev/stdout and writes into it; rkmod writes to its standard output" \
  'rc_is 0 && out_empty && [ -f /dev/stdout ] && [ -s /dev/stdout ]' \
  'rc_is 0 && out_has "devnode rkmod/devnode c250:42" && [ ! -e /dev/stdout ]' \
  -- kmod static-nodes --format=devname
rm -f /dev/stdout; ln -s /proc/self/fd/1 /dev/stdout
step kmod.no-command -e 'rc_is 1' -- kmod
step kmod.bad-command -e 'rc_is 1' -- kmod nosuch
step kmod.help -e 'rc_is 0' --info "help texts list the tool's own commands" -- kmod --help
rm -rf /tmp/sn /tmp/devname.saved
