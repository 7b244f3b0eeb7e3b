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
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::args:_default' \
&& ret=0
;;
(remove)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::args:_default' \
&& ret=0
;;
(probe)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::args:_default' \
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
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'::version -- Kernel version (default\: the running kernel); module files may follow:_default' \
'*::files -- Index only these module files (absolute paths), not the whole tree:_default' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
'*::args:_default' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':dir:_files' \
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
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
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
'completions:Print a shell completion script' \
'man:Write man pages into a directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'rkmod commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__completions_commands] )) ||
_rkmod__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod completions commands' commands "$@"
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
'completions:Print a shell completion script' \
'man:Write man pages into a directory' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'rkmod help commands' commands "$@"
}
(( $+functions[_rkmod__subcmd__help__subcmd__completions_commands] )) ||
_rkmod__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod help completions commands' commands "$@"
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
(( $+functions[_rkmod__subcmd__help__subcmd__man_commands] )) ||
_rkmod__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod help man commands' commands "$@"
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
(( $+functions[_rkmod__subcmd__man_commands] )) ||
_rkmod__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'rkmod man commands' commands "$@"
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
