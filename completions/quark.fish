# fish completion for quark(8)
#
# Options per command, matching `quark help CMD` (tests/bats/docs.bats).

set -l quark_commands watch snapshot lookup btf help

complete -c quark -f
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -s h -d 'print this help and exit'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -s V -d 'print the version and exit'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -a watch -d 'stream process events as NDJSON'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -a snapshot -d 'print the current process table from /proc'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -a lookup -d 'print what is known about processes'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -a btf -d 'report the kernel facts quark relies on'
complete -c quark -n "not __fish_seen_subcommand_from $quark_commands" -a help -d 'print the help of a command'

complete -c quark -n '__fish_seen_subcommand_from watch' -s h -d 'print this help and exit'
complete -c quark -n '__fish_seen_subcommand_from watch' -l no-aggregate -d 'print every raw event as its own record'
complete -c quark -n '__fish_seen_subcommand_from watch' -l sorted -d 'print records in strict time order (a held record holds all)'
complete -c quark -n '__fish_seen_subcommand_from watch' -l threads -d 'also report the creation and exit of threads'
complete -c quark -n '__fish_seen_subcommand_from watch' -l env -d 'capture environments (they hold secrets)'
complete -c quark -n '__fish_seen_subcommand_from watch' -l stats -d 'print counters to stderr on exit and on SIGUSR1'
complete -c quark -n '__fish_seen_subcommand_from watch' -l hold -x -d 'hold a record up to MS for its exec and exit to join it'
complete -c quark -n '__fish_seen_subcommand_from watch' -l reorder -x -d 'wait MS for older events; print a complete record once it is MS old'
complete -c quark -n '__fish_seen_subcommand_from watch' -l max-length -x -d 'bound the queue to N records'
complete -c quark -n '__fish_seen_subcommand_from watch' -l ring-size -x -d 'size of the BPF ring buffer, or of the netlink socket buffer'
complete -c quark -n '__fish_seen_subcommand_from watch' -l argv-cap -x -d 'capture at most BYTES of the arguments of each exec'
complete -c quark -n '__fish_seen_subcommand_from watch' -l grace -x -d 'keep exited processes cached for MS'
complete -c quark -n '__fish_seen_subcommand_from watch' -l backend -x -a 'auto ebpf kprobe netlink' -d 'the capture backend'
complete -c quark -n '__fish_seen_subcommand_from watch' -l output -r -F -d 'append records to FILE, reopened on SIGHUP'
complete -c quark -n '__fish_seen_subcommand_from watch' -l format -x -a 'ndjson ecs text' -d 'the output format'
complete -c quark -n '__fish_seen_subcommand_from watch' -l user -x -a '(__fish_complete_users)' -d 'switch to USER once attached'
complete -c quark -n '__fish_seen_subcommand_from watch' -l btf -r -F -d 'read the kprobe offsets from this kernel BTF'

complete -c quark -n '__fish_seen_subcommand_from snapshot' -s h -d 'print this help and exit'
complete -c quark -n '__fish_seen_subcommand_from snapshot' -l threads -d 'also print one record per thread'
complete -c quark -n '__fish_seen_subcommand_from snapshot' -l tree -d 'print an indented process tree for humans'
complete -c quark -n '__fish_seen_subcommand_from snapshot' -l no-kthreads -d 'leave kernel threads out'
complete -c quark -n '__fish_seen_subcommand_from snapshot' -l env -d 'also read the environment of each process'
complete -c quark -n '__fish_seen_subcommand_from snapshot' -l format -x -a 'ndjson ecs text' -d 'the output format'

complete -c quark -n '__fish_seen_subcommand_from lookup' -s h -d 'print this help and exit'
complete -c quark -n '__fish_seen_subcommand_from lookup' -l ancestors -d 'follow each process with its ancestors'
complete -c quark -n '__fish_seen_subcommand_from lookup' -l env -d 'also read the environments'
complete -c quark -n '__fish_seen_subcommand_from lookup' -l format -x -a 'ndjson ecs text' -d 'the output format'
complete -c quark -n '__fish_seen_subcommand_from lookup' -a '(__fish_complete_pids)'

complete -c quark -n '__fish_seen_subcommand_from btf' -s h -d 'print this help and exit'
complete -c quark -n '__fish_seen_subcommand_from btf' -l table -d 'print a table for humans'
complete -c quark -n '__fish_seen_subcommand_from btf' -l json -d 'print NDJSON'
complete -c quark -n '__fish_seen_subcommand_from btf' -l btf -r -F -d 'read BTF from FILE (members only)'

complete -c quark -n '__fish_seen_subcommand_from help' -s h -d 'print this help and exit'
complete -c quark -n '__fish_seen_subcommand_from help' -a "$quark_commands"
