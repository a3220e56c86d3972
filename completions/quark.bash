# bash completion for quark(8)
#
# The options of each command are listed once, in _quark_opts; they must
# match `quark help CMD` and the man page (tests/bats/docs.bats checks).

declare -gA _quark_opts=(
	[quark]="-h -V"
	[watch]="-h --no-aggregate --sorted --threads --env --stats --hold --reorder --max-length --ring-size --argv-cap --grace --backend --output --format --user --btf"
	[snapshot]="-h --threads --tree --no-kthreads --env --format"
	[lookup]="-h --ancestors --env --format"
	[btf]="-h --table --json --btf"
	[help]="-h"
)
_quark_commands="watch snapshot lookup btf help"

_quark_pids()
{
	local p
	for p in /proc/[0-9]*; do
		printf '%s\n' "${p#/proc/}"
	done
}

_quark()
{
	local cur prev cmd i
	COMPREPLY=()
	cur="${COMP_WORDS[COMP_CWORD]}"
	prev="${COMP_WORDS[COMP_CWORD-1]}"

	# The command is the first word after the global options.
	cmd=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		case "${COMP_WORDS[i]}" in
		-*) ;;
		*) cmd="${COMP_WORDS[i]}"; break ;;
		esac
	done

	if [[ -z "$cmd" ]]; then
		if [[ "$cur" == -* ]]; then
			COMPREPLY=($(compgen -W "${_quark_opts[quark]}" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_quark_commands" -- "$cur"))
		fi
		return 0
	fi

	# Options that take a value.
	case "$prev" in
	--hold|--reorder|--grace|--max-length|--ring-size|--argv-cap)
		return 0 ;;
	--btf|--output)
		# One name per line, whatever spaces it holds; readline
		# quotes them, adds "/" to a directory and no space after it.
		compopt -o filenames 2>/dev/null
		local IFS=$'\n'
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0 ;;
	--format)
		COMPREPLY=($(compgen -W "ndjson ecs text" -- "$cur"))
		return 0 ;;
	--backend)
		COMPREPLY=($(compgen -W "auto ebpf kprobe netlink" -- "$cur"))
		return 0 ;;
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return 0 ;;
	esac

	case "$cmd" in
	help)
		COMPREPLY=($(compgen -W "$_quark_commands" -- "$cur"))
		return 0 ;;
	watch|snapshot|lookup|btf)
		if [[ "$cur" == -* || "$cmd" != lookup ]]; then
			COMPREPLY=($(compgen -W "${_quark_opts[$cmd]}" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_quark_pids)" -- "$cur"))
		fi
		return 0 ;;
	esac
	return 0
}

complete -F _quark quark
