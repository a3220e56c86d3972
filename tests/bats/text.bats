#!/usr/bin/env bats
# --format text, as a person at a terminal sees it: script(1) gives quark a
# pseudo-terminal, stty its width.  On a terminal: coloured (not with
# NO_COLOR) and cut to the width; on a pipe: whole and plain; NDJSON stays
# the default on a terminal too.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

setup() {
	QUARK=${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}
	D=$BATS_TEST_TMPDIR
	# A process with a long command line that holds control characters.
	pad=$(printf 'x%.0s' $(seq 1 150))
	sh -c 'sleep 60' "quark-text-$$" "$(printf 'a\tb\033[31mc')" "$pad" &
	LPID=$!
	QPID=
	# Until the fork has exec'd sh: before, it is still this bash.
	for (( i = 0; i < 500; i++ )); do
		grep -q "quark-text-$$" "/proc/$LPID/cmdline" 2>/dev/null && break
		sleep 0.01
	done
}

teardown() {
	kill "$LPID" 2>/dev/null || true
	[ -z "$QPID" ] || kill -KILL "$QPID" 2>/dev/null || true
}

# on_tty COLS COMMAND: COMMAND's output on a terminal COLS wide, without
# the terminal's carriage returns.
on_tty() {
	local cols=$1
	shift
	# A terminal that can colour, whatever CI's environment says.
	env -u NO_COLOR TERM=xterm \
	    script -qec "stty cols $cols; $*" /dev/null </dev/null | tr -d '\r'
}

# Visible columns of each line (colour sequences take none).
widths() {
	sed 's/\x1b\[[0-9;]*m//g' | awk '{ print length($0) }'
}

@test "text: on a terminal, a line is cut to the width and coloured" {
	out=$(on_tty 60 "$QUARK" lookup --format text "$LPID")
	echo "$out"
	assert_equal "$(widths <<<"$out")" 60
	[[ $out == *$'\033['* ]] || fail "no colour on a terminal"
	[[ $out == *" $LPID "* ]] || fail "no pid $LPID"
	out=$(on_tty 100 "$QUARK" lookup --format text "$LPID")
	assert_equal "$(widths <<<"$out")" 100
}

@test "text: NO_COLOR set: no colour on a terminal; still cut" {
	out=$(on_tty 60 NO_COLOR=1 "$QUARK" lookup --format text "$LPID")
	[[ $out != *$'\033'* ]] || fail "colour with NO_COLOR set: $out"
	assert_equal "$(widths <<<"$out")" 60
}

@test "text: on a pipe, the whole line, plain, control characters escaped" {
	run "$QUARK" lookup --format text "$LPID"
	assert_success
	[[ $output != *$'\033'* ]] || fail "colour on a pipe"
	assert_output --regexp "^[0-9:.]{12} +$LPID +$$ +[^ ]+ +snapshot +- +- sh -c 'sleep 60' quark-text-$$ a\\\\tb\\\\x1b\\[31mc x{150}\$"
}

@test "text: NDJSON stays the default, on a terminal too" {
	out=$(on_tty 60 "$QUARK" lookup "$LPID")
	[[ $out == '{"kind":"snapshot"'* ]] || fail "not NDJSON on a terminal: $out"
	out=$(on_tty 60 "$QUARK" snapshot | head -n 1)
	[[ $out == '{"kind":"snapshot"'* ]] || fail "not NDJSON on a terminal: $out"
}

@test "text: watch --format text: a record per process, its exit code, signal and duration" {
	"$QUARK" watch --format text >"$D/out" 2>"$D/err" &
	QPID=$!
	for (( i = 0; i < 500; i++ )); do
		grep -q ready "$D/err" && break
		sleep 0.02
	done
	grep -q ready "$D/err" || fail "watch not ready: $(cat "$D/err")"
	for (( i = 0; i < 100; i++ )); do
		sh -c 'exit 3' "quark-exit-$$-$i" || true
		sh -c 'kill -SEGV $$' "quark-segv-$$-$i" || true
		grep -q "quark-segv-$$-" "$D/out" && break
		sleep 0.2
	done
	sleep 1
	kill -INT "$QPID"
	wait "$QPID"
	QPID=
	grep -a "quark-exit-$$-" "$D/out" | head -n 1 >"$D/exit"
	grep -a "quark-segv-$$-" "$D/out" | head -n 1 >"$D/segv"
	run cat "$D/exit"
	assert_output --regexp "^[0-9:.]{12} +[0-9]+ +$$ +[^ ]+ +[a-z+]*exit +exit 3 +[0-9.]+(us|ms|s) sh -c 'exit 3' quark-exit-$$-[0-9]+\$"
	run cat "$D/segv"
	# (" core" when the host dumps core: a piped core_pattern ignores
	# RLIMIT_CORE; watch.bats checks the core dump itself.)
	assert_output --regexp " SIGSEGV( core)? +[0-9.]+(us|ms|s) sh -c 'kill -SEGV \\\$\\\$' quark-segv-$$-[0-9]+\$"
	run grep -c -v -E '^[0-9:.]{12} ' "$D/out"
	assert_output 0
}
