#!/usr/bin/env bats
# The command table (`quark help`), the man pages and the shell
# completions must agree: a command or option added to one and not the
# others fails here, with the difference.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	QUARK="${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}"
	TOP="$BATS_TEST_DIRNAME/../.."
	MAN8="$TOP/man/quark.8"
	MAN7="$TOP/man/quark-schema.7"
	BASHC="$TOP/completions/quark.bash"
	ZSHC="$TOP/completions/_quark"
	FISHC="$TOP/completions/quark.fish"
}

# --- extractors: each prints a sorted set of option tokens ------------

# Option tokens (-x, --long) in words on stdin.
opt_tokens() {
	tr ' \t[]|' '\n\n\n\n\n' | grep -E '^-{1,2}[A-Za-z][A-Za-z0-9-]*$' |
	    sort -u
}

# The command names in `quark help`.
commands() {
	"$QUARK" help | sed -n '/^commands:/,$p' | sed -nE 's/^  ([a-z]+) .*/\1/p'
}

# The usage line of CMD ("quark" for the global one), after "usage: ".
usage_of() {
	if [ "$1" = quark ]; then
		"$QUARK" -h | sed -n '1s/^usage: //p'
	else
		"$QUARK" help "$1" | sed -n '1s/^usage: //p'
	fi
}

# The rendered SYNOPSIS line of CMD in quark(8).
synopsis_of() {
	mandoc -Tascii -Owidth=1000 "$MAN8" | col -bx |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed -E 's/^ +//' |
	    if [ "$1" = quark ]; then
		grep -E '^quark \['
	    else
		grep -E "^quark $1( |$)"
	    fi
}

# The help lines of CMD: "OPTION|ARG|MEANING|DEFAULT", one per
# option, from `quark help CMD` (the short name when there is one).
help_rows() {
	if [ "$1" = quark ]; then "$QUARK" -h; else "$QUARK" help "$1"; fi |
	    sed -nE 's/^  (-[A-Za-z], )?(--[a-z][a-z0-9-]*)( [A-Z]+)?  +(.*)$/\1|\2|\3|\4/p' |
	    while IFS='|' read -r short long arg rest; do
		opt=${short%, }; [ -n "$opt" ] || opt=$long
		meaning=$(sed -E 's/ \((one of: [^)]*; )?default: .*\)$//; s/ \(one of: [^)]*\)$//' <<<"$rest")
		def=$(sed -nE 's/.*[(;] ?default: (.*)\)$/\1/p' <<<"$rest")
		printf '%s|%s|%s|%s\n' "$opt" "${arg# }" "$meaning" "$def"
	    done
}

# The description zsh gives OPT of CMD.
zsh_desc() {
	sed -n "/^_quark_$1() {/,/^}/p" "$ZSHC" |
	    sed -nE "s/^[[:space:]]*'(\([^)]*\))?$2\[([^]]*)\].*/\2/p"
}

# The description fish gives OPT of CMD.
fish_desc() {
	local cond flag
	if [ "$1" = quark ]; then
		cond='"not __fish_seen_subcommand_from'
	else
		cond="'__fish_seen_subcommand_from $1'"
	fi
	case $2 in
	--*) flag="-l ${2#--}" ;;
	*) flag="-s ${2#-}" ;;
	esac
	grep -F -- "-n $cond" "$FISHC" | grep -E -- " $flag( |$)" |
	    sed -nE "s/.* -d '([^']*)'.*/\1/p"
}

# The entry of OPT in quark(8)'s DESCRIPTION, as one line.
man_entry() {
	mandoc -Tascii -Owidth=1000 "$MAN8" | col -bx |
	    sed -n '/^DESCRIPTION/,/^OUTPUT/p' |
	    awk -v o="$1" 'f && /^$/ { exit } f { print } $1 == o { f = 1; print }' |
	    tr -s ' \n' '  '
}

bash_opts() {
	sed -nE "s/^[[:space:]]*\[$1\]=\"([^\"]*)\".*/\1/p" "$BASHC" |
	    opt_tokens
}

zsh_opts() {
	sed -n "/^_quark_$1() {/,/^}/p" "$ZSHC" |
	    sed -nE "s/^[[:space:]]*'(\([^)]*\))?(-{1,2}[A-Za-z][A-Za-z0-9-]*).*/\2/p" |
	    sort -u
}

fish_opts() {
	local cond
	if [ "$1" = quark ]; then
		cond='"not __fish_seen_subcommand_from'
	else
		cond="'__fish_seen_subcommand_from $1'"
	fi
	grep -F -- "-n $cond" "$FISHC" |
	    sed -nE 's/.* -s ([A-Za-z]).*/-\1/p; s/.* -l ([A-Za-z0-9-]+).*/--\1/p' |
	    sort -u
}

# Compare two sets; on difference print which side has what.
same_set() {
	local what="$1" want="$2" got="$3"
	if [ "$want" != "$got" ]; then
		echo "$what differs from quark help:"
		diff <(echo "$want") <(echo "$got") | sed 's/^/  /'
		return 1
	fi
}

# --- tests ----------------------------------------------------------

@test "docs: man pages are mandoc -Tlint clean" {
	run mandoc -Tlint -Wwarning "$MAN8" "$MAN7"
	assert_success
	assert_output ""
}

@test "docs: quark help lists the commands" {
	run commands
	assert_success
	for c in watch snapshot lookup btf help; do
		assert_line "$c"
	done
}

@test "docs: man SYNOPSIS has exactly the commands of quark help" {
	want=$(commands | sort)
	got=$(mandoc -Tascii -Owidth=1000 "$MAN8" | col -bx |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
	    sed -nE 's/^ +quark ([a-z]+).*/\1/p' | sort)
	same_set "man SYNOPSIS commands" "$want" "$got"
}

@test "docs: man SYNOPSIS says the same words as the usage of each command" {
	for c in quark $(commands); do
		want=$(usage_of "$c")
		got=$(synopsis_of "$c")
		[ -n "$want" ] || fail "no usage for $c"
		if [ "$c" = quark ]; then
			# The table lists the commands; the page names them.
			want=${want/COMMAND \[options\]/COMMAND [options]}
		fi
		[ "$want" = "$got" ] ||
		    fail "$(printf 'SYNOPSIS of %s differs from its usage:\n  usage:    %s\n  SYNOPSIS: %s' "$c" "$want" "$got")"
	done
}

@test "docs: each command's options agree: help, man, bash, zsh, fish" {
	for c in quark $(commands); do
		want=$(usage_of "$c" | opt_tokens)
		same_set "$c: man SYNOPSIS" "$want" \
		    "$(synopsis_of "$c" | opt_tokens)"
		same_set "$c: completions/quark.bash" "$want" "$(bash_opts "$c")"
		same_set "$c: completions/_quark" "$want" "$(zsh_opts "$c")"
		same_set "$c: completions/quark.fish" "$want" "$(fish_opts "$c")"
	done
}

@test "docs: every option is described in quark(8) DESCRIPTION" {
	desc=$(mandoc -Tascii -Owidth=1000 "$MAN8" | col -bx |
	    sed -n '/^DESCRIPTION/,/^OUTPUT/p')
	for c in quark $(commands); do
		for o in $(usage_of "$c" | opt_tokens); do
			grep -qE -- "^ +$o( |$)" <<<"$desc" ||
			    fail "option $o of $c is not described in DESCRIPTION"
		done
	done
}

@test "docs: quark CMD -h gives every option of its usage one line with a meaning" {
	for c in quark $(commands); do
		rows=$(help_rows "$c")
		same_set "$c: options in the help" "$(usage_of "$c" | opt_tokens)" \
		    "$(cut -d'|' -f1 <<<"$rows" | sort -u)"
		while IFS='|' read -r opt arg meaning def; do
			[ -n "$meaning" ] || fail "$c $opt: no meaning in the help"
			# An option that takes a value says its default.
			[ -z "$arg" ] || [ -n "$def" ] ||
			    fail "$c $opt $arg: no default in the help"
		done <<<"$rows"
	done
}

@test "docs: zsh and fish describe each option in the words of quark CMD -h" {
	for c in quark $(commands); do
		while IFS='|' read -r opt arg meaning def; do
			got=$(zsh_desc "$c" "$opt")
			[ "$got" = "$meaning" ] ||
			    fail "$c $opt: _quark says '$got', the help '$meaning'"
			got=$(fish_desc "$c" "$opt")
			[ "$got" = "$meaning" ] ||
			    fail "$c $opt: quark.fish says '$got', the help '$meaning'"
		done <<<"$(help_rows "$c")"
	done
}

@test "docs: quark(8) gives each option the default quark CMD -h prints" {
	n=0
	for c in $(commands); do
		while IFS='|' read -r opt arg meaning def; do
			[ -n "$arg" ] && [ -n "$def" ] || continue
			entry=$(man_entry "$opt")
			[ -n "$entry" ] || fail "$c $opt: no entry in quark(8)"
			grep -qF -- "$def" <<<"$entry" ||
			    fail "$c $opt: the help's default '$def' is not in quark(8): $entry"
			n=$((n + 1))
		done <<<"$(help_rows "$c")"
	done
	[ "$n" -ge 8 ] || fail "only $n defaults checked"
}

# The values bash, zsh and fish offer for OPT (of CMD), sorted.
bash_values() {
	awk -v o="$1" '
	    /^\t[^\t].*\)$/ { n = split(substr($1, 1, length($1) - 1), w, "|")
		f = 0; for (i = 1; i <= n; i++) if (w[i] == o) f = 1; next }
	    f && match($0, /compgen -W "[^"]*"/) {
		print substr($0, RSTART + 12, RLENGTH - 13); exit }' "$BASHC" |
	    tr ' ' '\n' | sort
}
zsh_values() {
	sed -n "/^_quark_$1() {/,/^}/p" "$ZSHC" |
	    sed -nE "s/^[[:space:]]*'(\([^)]*\))?$2\[[^]]*\]:[^:]*:\(([^)]*)\).*/\2/p" |
	    tr ' ' '\n' | sort
}
fish_values() {
	grep -F -- "'__fish_seen_subcommand_from $1'" "$FISHC" |
	    grep -E -- " -l ${2#--} " | sed -nE "s/.* -a '([^']*)'.*/\1/p" |
	    tr ' ' '\n' | sort
}

@test "docs: the completions offer exactly the values quark CMD -h names for an option" {
	n=0
	for c in $(commands); do
		"$QUARK" help "$c" |
		    sed -nE 's/^  (--[a-z][a-z0-9-]*) [A-Z]+ .*\(one of: ([^;)]*)[;)].*/\1 \2/p' >"$BATS_TEST_TMPDIR/choices"
		while read -r opt values; do
			want=$(tr -d ',' <<<"$values" | tr ' ' '\n' | sort)
			same_set "$c $opt: quark.bash" "$want" "$(bash_values "$opt")"
			same_set "$c $opt: _quark" "$want" "$(zsh_values "$c" "$opt")"
			same_set "$c $opt: quark.fish" "$want" "$(fish_values "$c" "$opt")"
			n=$((n + 1))
		done <"$BATS_TEST_TMPDIR/choices"
	done
	[ "$n" -ge 1 ] || fail "no option with choices found in the help"
}

@test "docs: zsh and fish describe each command in the words of quark help" {
	"$QUARK" help | sed -n '/^commands:/,$p' | sed -nE 's/^  ([a-z]+) +(.*)/\1\t\2/p' |
	    while IFS=$'\t' read -r c desc; do
		grep -qF -- "$c\\:\"$desc\"" "$ZSHC" ||
		    fail "$c: _quark does not say '$desc'"
		grep -qF -- "-a $c -d '$desc'" "$FISHC" ||
		    fail "$c: quark.fish does not say '$desc'"
	    done
}

@test "docs: every completion file names every command" {
	for c in $(commands); do
		grep -qw -- "$c" "$BASHC" || fail "$c missing from quark.bash"
		grep -q -- "_quark_$c()" "$ZSHC" || fail "$c missing from _quark"
		grep -q -- "-a $c " "$FISHC" || fail "$c missing from quark.fish"
	done
}

@test "docs: every key of the JSON Schema is described in quark-schema(7)" {
	keys=$(/usr/bin/python3 - "$TOP/schema/quark.schema.json" <<'EOF'
import json, sys
keys = set()
def walk(o):
    if isinstance(o, dict):
        for k, v in o.get("properties", {}).items():
            keys.add(k)
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(json.load(open(sys.argv[1])))
print("\n".join(sorted(keys)))
EOF
)
	[ -n "$keys" ] || fail "no keys found in the schema"
	page=$(mandoc -Tascii "$MAN7" | col -bx)
	for k in $keys; do
		grep -qE -- "(^|[^a-z_])$k([^a-z_]|$)" <<<"$page" ||
		    fail "schema key $k is not in quark-schema(7)"
	done
}

@test "docs: bash completion completes commands and options" {
	run bash -c '
		source "'"$BASHC"'"
		COMP_WORDS=(quark wa); COMP_CWORD=1; _quark; echo "1:${COMPREPLY[*]}"
		COMP_WORDS=(quark watch --ho); COMP_CWORD=2; _quark; echo "2:${COMPREPLY[*]}"
		COMP_WORDS=(quark btf --b); COMP_CWORD=2; _quark; echo "3:${COMPREPLY[*]}"
		COMP_WORDS=(quark help sn); COMP_CWORD=2; _quark; echo "4:${COMPREPLY[*]}"
		COMP_WORDS=(quark -); COMP_CWORD=1; _quark; echo "5:${COMPREPLY[*]}"
		COMP_WORDS=(quark lookup 1); COMP_CWORD=2; _quark; echo "6:${COMPREPLY[*]}"'
	assert_success
	assert_line "1:watch"
	assert_line "2:--hold"
	assert_line "3:--btf"
	assert_line "4:snapshot"
	assert_line "5:-h -V"
	assert_line --regexp '^6:.*\b1\b'
}

# zsh and fish are test dependencies (make deps installs them).
@test "docs: zsh completion parses" {
	run zsh -n "$ZSHC"
	assert_success
}

@test "docs: fish completion completes commands and options" {
	run fish -n "$FISHC"
	assert_success
	run fish -c "source '$FISHC'; complete -C 'quark '; complete -C 'quark watch --ho'; complete -C 'quark btf --j'; complete -C 'quark -'"
	assert_success
	assert_line --regexp '^watch\s'
	assert_line --regexp '^snapshot\s'
	assert_line --regexp '^--hold\s'
	assert_line --regexp '^--json\s'
	assert_line --regexp '^-V\s'
}

@test "cli: quark -h prints the usage and the commands, exit 0" {
	run "$QUARK" -h
	assert_success
	assert_line --index 0 "usage: quark [-h] [-V] COMMAND [options]"
	assert_line --regexp '^  watch +'
}

@test "cli: quark -V prints the version, exit 0" {
	run "$QUARK" -V
	assert_success
	assert_output --regexp '^quark [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "cli: an unknown command exits 2 with a message and the usage" {
	run "$QUARK" frobnicate
	assert_failure 2
	assert_output --partial "frobnicate"
	assert_output --partial "usage: quark"
	# Exact names only: no prefix matching.
	run "$QUARK" snap
	assert_failure 2
}

@test "cli: an unknown global option and no command exit 2" {
	run "$QUARK" --bogus
	assert_failure 2
	run "$QUARK"
	assert_failure 2
	assert_line --index 0 "quark: a command is needed"
	assert_line --index 1 --partial "usage: quark"
}

@test "cli: quark help CMD prints CMD's usage, exit 0" {
	for c in $(commands); do
		run "$QUARK" help "$c"
		assert_success
		assert_output --regexp "^usage: quark $c( |$)"
	done
	run "$QUARK" help nosuch
	assert_failure 2
}

@test "cli: quark help -h prints the help of help, exit 0" {
	run "$QUARK" help -h
	assert_success
	assert_line --index 0 "usage: quark help [-h] [COMMAND]"
	assert_line --regexp '^  -h, --help +print this help and exit$'
	run "$QUARK" help watch snapshot
	assert_failure 2
}

@test "cli: quark CMD -h prints the same usage as quark help CMD, exit 0" {
	for c in $(commands); do
		[ "$c" = help ] && continue
		want=$("$QUARK" help "$c")
		run "$QUARK" "$c" -h
		[ "$status" -eq 0 ] ||
		    fail "quark $c -h exited $status: $output"
		[ "$output" = "$want" ] ||
		    fail "quark $c -h printed '$output', want '$want'"
	done
}
