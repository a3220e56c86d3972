# fish completion for quark(8)
#
# Options per command, matching `quark help CMD` (tests/bats/docs.bats).

set -l quark_commands watch snapshot lookup btf help

complete -c quark -f
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -s h -d 'print the usage'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -s V -d 'print the version'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -a watch -d 'stream process events as NDJSON'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -a snapshot -d 'print the current process table from /proc'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -a lookup -d 'print what is known about processes'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -a btf -d 'report the kernel facts quark relies on'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -a help -d 'print the usage of a command'

complete -c quark -n '__fish_seen_subcommand_from watch' -s h -d 'print the usage'
complete -c quark -n '__fish_seen_subcommand_from watch' -l no-aggregate -d 'print every raw event as its own record'
complete -c quark -n '__fish_seen_subcommand_from watch' -l threads -d 'also report thread creation and exit'
complete -c quark -n '__fish_seen_subcommand_from watch' -l env -d 'capture environments (they hold secrets)'
complete -c quark -n '__fish_seen_subcommand_from watch' -l stats -d 'print counters to stderr on exit and SIGUSR1'
complete -c quark -n '__fish_seen_subcommand_from watch' -l hold -x -d 'hold time for ordering (ms)'
complete -c quark -n '__fish_seen_subcommand_from watch' -l reorder -x -d 'reorder window for complete records (ms)'
complete -c quark -n '__fish_seen_subcommand_from watch' -l max-length -x -d 'bound of the queue (records)'
complete -c quark -n '__fish_seen_subcommand_from watch' -l ring-size -x -d 'BPF ring buffer size (bytes)'
complete -c quark -n '__fish_seen_subcommand_from watch' -l argv-cap -x -d 'argv bytes captured per exec'
complete -c quark -n '__fish_seen_subcommand_from watch' -l grace -x -d 'time exited processes stay cached (ms)'
complete -c quark -n '__fish_seen_subcommand_from watch' -l backend -x -a 'auto ebpf kprobe netlink' -d 'capture backend'
complete -c quark -n '__fish_seen_subcommand_from watch' -l output -r -F -d 'append records to a file, reopened on SIGHUP'

complete -c quark -n '__fish_seen_subcommand_from snapshot' -s h -d 'print the usage'
complete -c quark -n '__fish_seen_subcommand_from snapshot' -l threads -d 'also print threads'
complete -c quark -n '__fish_seen_subcommand_from snapshot' -l tree -d 'print a process tree for humans'
complete -c quark -n '__fish_seen_subcommand_from snapshot' -l no-kthreads -d 'leave kernel threads out'
complete -c quark -n '__fish_seen_subcommand_from snapshot' -l env -d 'also read environments'

complete -c quark -n '__fish_seen_subcommand_from lookup' -s h -d 'print the usage'
complete -c quark -n '__fish_seen_subcommand_from lookup' -l ancestors -d 'follow each process with its ancestors'
complete -c quark -n '__fish_seen_subcommand_from lookup' -l env -d 'also read environments'
complete -c quark -n '__fish_seen_subcommand_from lookup' -a '(__fish_complete_pids)'

complete -c quark -n '__fish_seen_subcommand_from btf' -s h -d 'print the usage'
complete -c quark -n '__fish_seen_subcommand_from btf' -l table -d 'print a table for humans'
complete -c quark -n '__fish_seen_subcommand_from btf' -l json -d 'print NDJSON'
complete -c quark -n '__fish_seen_subcommand_from btf' -l btf -r -F -d 'read BTF from a file'

complete -c quark -n '__fish_seen_subcommand_from help' -a "$quark_commands"
