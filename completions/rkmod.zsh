#compdef rkmod

autoload -U is-at-least

_rkmod() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_rkmod_commands" \
"*::: :->rkmod" \
&& ret=0
    case $state in
    (rkmod)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:rkmod-command-$line[1]:"
        case $line[1] in
            (info)
_arguments "${_arguments_options[@]}" : \
'-F+[Print only the values of FIELD]:FIELD:_default' \
'--field=[Print only the values of FIELD]:FIELD:_default' \
'-k+[Use VERSION instead of \`uname -r\`]:VERSION:_default' \
'--set-version=[Use VERSION instead of \`uname -r\`]:VERSION:_default' \
'-b+[Use DIR as filesystem root for /lib/modules]:DIR:_default' \
'--basedir=[Use DIR as filesystem root for /lib/modules]:DIR:_default' \
'-a[Print only '\''author'\'']' \
'--author[Print only '\''author'\'']' \
'-d[Print only '\''description'\'']' \
'--description[Print only '\''description'\'']' \
'-l[Print only '\''license'\'']' \
'--license[Print only '\''license'\'']' \
'-p[Print only '\''parm'\'']' \
'--parameters[Print only '\''parm'\'']' \
'-n[Print only '\''filename'\'']' \
'--filename[Print only '\''filename'\'']' \
'-0[Use \\0 instead of \\n]' \
'--null[Use \\0 instead of \\n]' \
'-m[Handle arguments as module names, not aliases or files]' \
'--modname[Handle arguments as module names, not aliases or files]' \
'(-F --field -0 --null -a --author -d --description -l --license -p --parameters -n --filename)--json[Print JSON (schema rkmod.info/1)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::modules -- Module files, names or aliases:_default' \
&& ret=0
;;
(insert)
_arguments "${_arguments_options[@]}" : \
'-f[Ignore the version magic and symbol versions (both kernel checks)]' \
'--force[Ignore the version magic and symbol versions (both kernel checks)]' \
'--force-vermagic[Ignore the version magic only]' \
'--force-modversion[Ignore symbol versions only]' \
'-v[Say how the module was handed to the kernel]' \
'--verbose[Say how the module was handed to the kernel]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':file -- The module file (.ko, .ko.xz, .ko.zst, .ko.gz):_files' \
'*::params -- Module parameters (name=value):_default' \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
'-f[Remove even when in use (needs CONFIG_MODULE_FORCE_UNLOAD; dangerous)]' \
'--force[Remove even when in use (needs CONFIG_MODULE_FORCE_UNLOAD; dangerous)]' \
'-v[Say what was removed]' \
'--verbose[Say what was removed]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::modules -- Module names (or module files\: their name is used):_default' \
&& ret=0
;;
(probe)
_arguments "${_arguments_options[@]}" : \
'*-C+[Read this configuration file or directory instead of the default ones]:PATH:_default' \
'*--config=[Read this configuration file or directory instead of the default ones]:PATH:_default' \
'-d+[Root directory for /lib/modules]:DIR:_default' \
'--dirname=[Root directory for /lib/modules]:DIR:_default' \
'-S+[Kernel version instead of \`uname -r\`]:VERSION:_default' \
'--set-version=[Kernel version instead of \`uname -r\`]:VERSION:_default' \
'-w+[With -r\: wait up to MSEC for the module to become unused]:MSEC:_default' \
'--wait=[With -r\: wait up to MSEC for the module to become unused]:MSEC:_default' \
'-r[Remove instead of load (with what became unused, all the way down)]' \
'--remove[Remove instead of load (with what became unused, all the way down)]' \
'-a[Every argument is a module name]' \
'--all[Every argument is a module name]' \
'-n[Do nothing, print what would be done (with -v)]' \
'--dry-run[Do nothing, print what would be done (with -v)]' \
'*-v[Print each action (-vv\: more)]' \
'*--verbose[Print each action (-vv\: more)]' \
'-q[No messages]' \
'--quiet[No messages]' \
'-b[Apply the blacklist to names too, not only to aliases]' \
'--use-blacklist[Apply the blacklist to names too, not only to aliases]' \
'-i[Ignore install/remove commands and softdeps of the named module]' \
'--ignore-install[Ignore install/remove commands and softdeps of the named module]' \
'-f[Ignore the version magic and symbol versions (both kernel checks)]' \
'--force[Ignore the version magic and symbol versions (both kernel checks)]' \
'--force-vermagic[Ignore the version magic only]' \
'--force-modversion[Ignore symbol versions only]' \
'--first-time[Fail if the module is already loaded (or, with -r, not loaded)]' \
'-D[Print the insmod/install/builtin lines that loading would run]' \
'--show-depends[Print the insmod/install/builtin lines that loading would run]' \
'-R[Print the module names an alias resolves to]' \
'--show-alias[Print the module names an alias resolves to]' \
'-c[Print the configuration and the alias and symbol indexes]' \
'--show-config[Print the configuration and the alias and symbol indexes]' \
'--show-modversions[Print a module file'\''s __versions CRCs]' \
'--show-exports[Print a module file'\''s exported symbols]' \
'--remove-holders[With -r\: remove the modules holding it first]' \
'--explain[Explain each name'\''s resolution (with the file and line of every config entry used or shadowed) and the plan; load nothing]' \
'--json[Print the resolution and plan as JSON (schema rkmod.probe/1; with -R rkmod.alias/1); load nothing]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::names -- Module name or alias, then its parameters (with -a or -r\: several names):_default' \
&& ret=0
;;
(deps)
_arguments "${_arguments_options[@]}" : \
'-b+[Use DIR as the root of the module tree]:DIR:_default' \
'--basedir=[Use DIR as the root of the module tree]:DIR:_default' \
'-m+[Module directory under the root (default lib/modules)]:DIR:_default' \
'--moduledir=[Module directory under the root (default lib/modules)]:DIR:_default' \
'-o+[Write the indexes under DIR instead of the input root]:DIR:_default' \
'--outdir=[Write the indexes under DIR instead of the input root]:DIR:_default' \
'*-C+[Read depmod.d configuration from PATH (file or directory; repeatable)]:PATH:_default' \
'*--config=[Read depmod.d configuration from PATH (file or directory; repeatable)]:PATH:_default' \
'-E+[Check symbol versions against this Module.symvers]:FILE:_default' \
'--symvers=[Check symbol versions against this Module.symvers]:FILE:_default' \
'-F+[Take the kernel'\''s symbols from this System.map]:FILE:_default' \
'--filesyms=[Take the kernel'\''s symbols from this System.map]:FILE:_default' \
'-P+[Architecture symbol prefix character]:C:_default' \
'--symbol-prefix=[Architecture symbol prefix character]:C:_default' \
'-a[Probe all modules (the default)]' \
'--all[Probe all modules (the default)]' \
'-A[Do nothing if no module is newer than modules.dep]' \
'--quick[Do nothing if no module is newer than modules.dep]' \
'-e[Report symbols no module or kernel supplies (with -E or -F)]' \
'--errsyms[Report symbols no module or kernel supplies (with -E or -F)]' \
'-n[Print the text files to stdout, write nothing]' \
'--dry-run[Print the text files to stdout, write nothing]' \
'-v[Print each dependency found]' \
'--verbose[Print each dependency found]' \
'-w[Warn about duplicate index entries]' \
'--warn[Warn about duplicate index entries]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
'::kernel_version -- Kernel version (default\: the running kernel); module files may follow:_default' \
'*::files -- Index only these module files (absolute paths), not the whole tree:_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'--json[Print JSON (schema rkmod.list/1)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_rkmod__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:rkmod-help-command-$line[1]:"
        case $line[1] in
            (info)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(insert)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(probe)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(deps)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_rkmod_commands] )) ||
_rkmod_commands() {
    local commands; commands=(
'info:Show information about kernel modules (modinfo)' \
'insert:Insert a module file into the kernel (insmod)' \
'remove:Remove modules from the kernel (rmmod)' \
'probe:Load or remove modules with their dependencies (modprobe)' \
'deps:Generate modules.dep and the other module indexes (depmod)' \
'list:List loaded modules (lsmod)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'rkmod commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__deps_commands] )) ||
_rkmod__subcmd__deps_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod deps commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__help_commands] )) ||
_rkmod__subcmd__help_commands() {
    local commands; commands=(
'info:Show information about kernel modules (modinfo)' \
'insert:Insert a module file into the kernel (insmod)' \
'remove:Remove modules from the kernel (rmmod)' \
'probe:Load or remove modules with their dependencies (modprobe)' \
'deps:Generate modules.dep and the other module indexes (depmod)' \
'list:List loaded modules (lsmod)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'rkmod help commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__help__subcmd__deps_commands] )) ||
_rkmod__subcmd__help__subcmd__deps_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod help deps commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__help__subcmd__help_commands] )) ||
_rkmod__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod help help commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__help__subcmd__info_commands] )) ||
_rkmod__subcmd__help__subcmd__info_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod help info commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__help__subcmd__insert_commands] )) ||
_rkmod__subcmd__help__subcmd__insert_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod help insert commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__help__subcmd__list_commands] )) ||
_rkmod__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod help list commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__help__subcmd__probe_commands] )) ||
_rkmod__subcmd__help__subcmd__probe_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod help probe commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__help__subcmd__remove_commands] )) ||
_rkmod__subcmd__help__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod help remove commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__info_commands] )) ||
_rkmod__subcmd__info_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod info commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__insert_commands] )) ||
_rkmod__subcmd__insert_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod insert commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__list_commands] )) ||
_rkmod__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod list commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__probe_commands] )) ||
_rkmod__subcmd__probe_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod probe commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__remove_commands] )) ||
_rkmod__subcmd__remove_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod remove commands' commands "$@"
}

if [ "$funcstack[1]" = "_rkmod" ]; then
    _rkmod "$@"
else
    compdef _rkmod rkmod
fi
