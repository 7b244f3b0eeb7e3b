# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rkmod_global_optspecs
    string join \n h/help V/version
end

function __fish_rkmod_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rkmod_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rkmod_using_subcommand
    set -l cmd (__fish_rkmod_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rkmod -n "__fish_rkmod_needs_command" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_needs_command" -s V -l version -d 'Print version'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "info" -d 'Show information about kernel modules (modinfo)'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "insert" -d 'Insert a module file into the kernel (insmod)'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "remove" -d 'Remove modules from the kernel (rmmod)'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "probe" -d 'Load or remove modules with their dependencies (modprobe)'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "deps" -d 'Generate modules.dep and the other module indexes (depmod)'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "list" -d 'List loaded modules (lsmod)'
complete -c rkmod -n "__fish_rkmod_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s F -l field -d 'Print only the values of FIELD' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s k -l set-version -d 'Use VERSION instead of `uname -r`' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s b -l basedir -d 'Use DIR as filesystem root for /lib/modules' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s a -l author -d 'Print only \'author\''
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s d -l description -d 'Print only \'description\''
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s l -l license -d 'Print only \'license\''
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s p -l parameters -d 'Print only \'parm\''
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s n -l filename -d 'Print only \'filename\''
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s 0 -l null -d 'Use \\0 instead of \\n'
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s m -l modname -d 'Handle arguments as module names, not aliases or files'
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -l json -d 'Print JSON (schema rkmod.info/1)'
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand info" -s V -l version -d 'Print version'
complete -c rkmod -n "__fish_rkmod_using_subcommand insert" -s f -l force -d 'Ignore the version magic and symbol versions (both kernel checks)'
complete -c rkmod -n "__fish_rkmod_using_subcommand insert" -l force-vermagic -d 'Ignore the version magic only'
complete -c rkmod -n "__fish_rkmod_using_subcommand insert" -l force-modversion -d 'Ignore symbol versions only'
complete -c rkmod -n "__fish_rkmod_using_subcommand insert" -s v -l verbose -d 'Say how the module was handed to the kernel'
complete -c rkmod -n "__fish_rkmod_using_subcommand insert" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand insert" -s V -l version -d 'Print version'
complete -c rkmod -n "__fish_rkmod_using_subcommand remove" -s f -l force -d 'Remove even when in use (needs CONFIG_MODULE_FORCE_UNLOAD; dangerous)'
complete -c rkmod -n "__fish_rkmod_using_subcommand remove" -s v -l verbose -d 'Say what was removed'
complete -c rkmod -n "__fish_rkmod_using_subcommand remove" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand remove" -s V -l version -d 'Print version'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s C -l config -d 'Read this configuration file or directory instead of the default ones' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s d -l dirname -d 'Root directory for /lib/modules' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s S -l set-version -d 'Kernel version instead of `uname -r`' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s w -l wait -d 'With -r: wait up to MSEC for the module to become unused' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s r -l remove -d 'Remove instead of load (with what became unused, all the way down)'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s a -l all -d 'Every argument is a module name'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s n -l dry-run -d 'Do nothing, print what would be done (with -v)'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s v -l verbose -d 'Print each action (-vv: more)'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s q -l quiet -d 'No messages'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s b -l use-blacklist -d 'Apply the blacklist to names too, not only to aliases'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s i -l ignore-install -d 'Ignore install/remove commands and softdeps of the named module'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s f -l force -d 'Ignore the version magic and symbol versions (both kernel checks)'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -l force-vermagic -d 'Ignore the version magic only'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -l force-modversion -d 'Ignore symbol versions only'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -l first-time -d 'Fail if the module is already loaded (or, with -r, not loaded)'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s D -l show-depends -d 'Print the insmod/install/builtin lines that loading would run'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s R -l show-alias -d 'Print the module names an alias resolves to'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s c -l show-config -d 'Print the configuration and the alias and symbol indexes'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -l show-modversions -d 'Print a module file\'s __versions CRCs'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -l show-exports -d 'Print a module file\'s exported symbols'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -l remove-holders -d 'With -r: remove the modules holding it first'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -l explain -d 'Explain each name\'s resolution (with the file and line of every config entry used or shadowed) and the plan; load nothing'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -l json -d 'Print the resolution and plan as JSON (schema rkmod.probe/1; with -R rkmod.alias/1); load nothing'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand probe" -s V -l version -d 'Print version'
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s b -l basedir -d 'Use DIR as the root of the module tree' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s m -l moduledir -d 'Module directory under the root (default lib/modules)' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s o -l outdir -d 'Write the indexes under DIR instead of the input root' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s C -l config -d 'Read depmod.d configuration from PATH (file or directory; repeatable)' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s E -l symvers -d 'Check symbol versions against this Module.symvers' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s F -l filesyms -d 'Take the kernel\'s symbols from this System.map' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s P -l symbol-prefix -d 'Architecture symbol prefix character' -r
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s a -l all -d 'Probe all modules (the default)'
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s A -l quick -d 'Do nothing if no module is newer than modules.dep'
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s e -l errsyms -d 'Report symbols no module or kernel supplies (with -E or -F)'
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s n -l dry-run -d 'Print the text files to stdout, write nothing'
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s v -l verbose -d 'Print each dependency found'
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s w -l warn -d 'Warn about duplicate index entries'
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rkmod -n "__fish_rkmod_using_subcommand deps" -s V -l version -d 'Print version'
complete -c rkmod -n "__fish_rkmod_using_subcommand list" -l json -d 'Print JSON (schema rkmod.list/1)'
complete -c rkmod -n "__fish_rkmod_using_subcommand list" -s h -l help -d 'Print help'
complete -c rkmod -n "__fish_rkmod_using_subcommand list" -s V -l version -d 'Print version'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from info insert remove probe deps list help" -f -a "info" -d 'Show information about kernel modules (modinfo)'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from info insert remove probe deps list help" -f -a "insert" -d 'Insert a module file into the kernel (insmod)'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from info insert remove probe deps list help" -f -a "remove" -d 'Remove modules from the kernel (rmmod)'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from info insert remove probe deps list help" -f -a "probe" -d 'Load or remove modules with their dependencies (modprobe)'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from info insert remove probe deps list help" -f -a "deps" -d 'Generate modules.dep and the other module indexes (depmod)'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from info insert remove probe deps list help" -f -a "list" -d 'List loaded modules (lsmod)'
complete -c rkmod -n "__fish_rkmod_using_subcommand help; and not __fish_seen_subcommand_from info insert remove probe deps list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
