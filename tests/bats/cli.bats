#!/usr/bin/env bats
# The edges of the command line: every value checked where it is parsed,
# sizes with units, messages that say "quark: CMD:" whatever argv[0] is,
# descriptors 0, 1 and 2 closed by the caller.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load watch_helpers
bats_require_minimum_version 1.5.0

setup() {
	QUARK="${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}"
	I=
}

teardown() {
	[ -z "$I" ] || watch_kill "$I"
}

# bad_value OPTION VALUE RANGE: a usage error naming the option, the value
# and the allowed range, before anything is started.
bad_value() {
	run -2 "$QUARK" watch "$1" "$2"
	assert_line --index 0 --regexp "^quark: watch: $1 $2: .*, $3\$"
	assert_line --index 1 --regexp '^usage: quark watch '
	refute_output --partial ready
}

@test "cli: every watch value out of range is a usage error that gives the range" {
	bad_value --hold 0 "1ms to 60s"
	bad_value --hold 60001 "1ms to 60s"
	bad_value --hold 61s "1ms to 60s"
	bad_value --hold 12abc "1ms to 60s"
	bad_value --hold -5 "1ms to 60s"
	bad_value --reorder 60001ms "0ms to 60s"
	bad_value --grace 3600001 "0ms to 3600s"
	bad_value --max-length 0 "1 to 10000000"
	bad_value --max-length 10000001 "1 to 10000000"
	bad_value --max-length 1k "1 to 10000000"
	bad_value --ring-size 1000 "4KiB to 1GiB"
	bad_value --ring-size 2G "4KiB to 1GiB"
	bad_value --ring-size 12K "4KiB to 1GiB"
	bad_value --ring-size 8X "4KiB to 1GiB"
	bad_value --ring-size 99999999999999999999999 "4KiB to 1GiB"
	bad_value --argv-cap 257K "0 to 256KiB"
	bad_value --argv-cap 1M "0 to 256KiB"
}

@test "cli: a bad PID is a usage error that gives the range, before any output" {
	for v in 0 99999999999 12abc abc "" +5 " 5" 0x10; do
		run -2 "$QUARK" lookup 1 "$v"
		re=$(printf '%s' "$v" | sed 's/[+]/\\+/g')
		assert_line --index 0 --regexp "^quark: lookup: PID $re: (out of range|not a decimal number), 1 to 2147483647\$"
		assert_line --index 1 --regexp '^usage: quark lookup '
		refute_output --partial '{'
	done
}

@test "cli: a message quotes a hostile argument escaped, as text output does" {
	run -2 "$QUARK" lookup $'\e[31mRED\xff'
	assert_line --index 0 'quark: lookup: PID \x1b[31mRED\xff: not a decimal number, 1 to 2147483647'
	run -2 "$QUARK" watch $'--x\e]0;t\a'
	assert_line --index 0 "quark: watch: unknown option '--x\\x1b]0;t\\x07'"
	refute_output --partial $'\e'
}

@test "cli: a bad choice names the choices; an empty --output is refused" {
	run -2 "$QUARK" watch --backend bogus
	assert_line --index 0 "quark: watch: unknown backend 'bogus' (one of: auto, ebpf, kprobe, netlink)"
	run -2 "$QUARK" watch --output ''
	assert_line --index 0 "quark: watch: --output: an empty FILE"
}

@test "cli: sizes take K, M, G and KiB, MiB, GiB (powers of 1024)" {
	for v in 8M 8MiB 8192K 8192KiB 8388608; do
		I="$BATS_TEST_TMPDIR/ring-$v"
		watch_start "$I" --ring-size "$v" --argv-cap 1K
		watch_stop "$I"
		I=
	done
}

@test "cli: option names are written in full, never abbreviated" {
	run -2 "$QUARK" watch --ho 5
	assert_line --index 0 "quark: watch: unknown option '--ho' (did you mean --hold?)"
	run -2 "$QUARK" snapshot --tr
	assert_line --index 0 "quark: snapshot: unknown option '--tr' (did you mean --tree?)"
	run -2 "$QUARK" --vers
	assert_line --index 0 "quark: unknown option '--vers' (did you mean --version?)"
}

@test "cli: a missing argument, an unwanted one, an unknown option: usage errors" {
	run -2 "$QUARK" watch --hold
	assert_line --index 0 "quark: watch: option --hold needs an argument (MS)"
	run -2 "$QUARK" watch --stats=1
	assert_line --index 0 "quark: watch: option --stats takes no argument"
	run -2 "$QUARK" lookup -x 1
	assert_line --index 0 "quark: lookup: unknown option '-x'"
	run -2 "$QUARK" btf --table --json
	assert_line --index 0 "quark: btf: --table and --json exclude each other"
}

@test "cli: every message says quark: CMD:, whatever argv[0] is" {
	ln -s "$QUARK" "$BATS_TEST_TMPDIR/other-name"
	for argv0 in "$BATS_TEST_TMPDIR/other-name" "build/quark" "x"; do
		run -2 bash -c 'exec -a "$1" "$2" watch --bogus' _ "$argv0" "$QUARK"
		assert_line --index 0 "quark: watch: unknown option '--bogus'"
		run -2 bash -c 'exec -a "$1" "$2" frob' _ "$argv0" "$QUARK"
		assert_line --index 0 "quark: unknown command 'frob'"
		run -2 bash -c 'exec -a "$1" "$2" --bogus' _ "$argv0" "$QUARK"
		assert_line --index 0 "quark: unknown option '--bogus'"
		run -1 bash -c 'exec -a "$1" "$2" lookup 2147483647' _ "$argv0" "$QUARK"
		assert_line --index 0 "quark: lookup: 2147483647: no such process"
	done
}

@test "cli: closed stdin, stdout or stderr: every command runs on /dev/null" {
	for c in "snapshot" "lookup 1" "btf --json" "help" "-V"; do
		run bash -c "\"\$1\" $c >&- 2>\"\$2\"" _ "$QUARK" "$BATS_TEST_TMPDIR/err"
		[ "$status" -eq 0 ] ||
		    fail "quark $c >&- exited $status: $(cat "$BATS_TEST_TMPDIR/err")"
		[ ! -s "$BATS_TEST_TMPDIR/err" ] ||
		    fail "quark $c >&- said: $(cat "$BATS_TEST_TMPDIR/err")"
		run bash -c "\"\$1\" $c <&- 2>&- | wc -l" _ "$QUARK"
		assert_success
		[ "$output" -gt 0 ]
	done
}

@test "cli: watch with stdout closed writes its records nowhere, not into a BPF map" {
	I="$BATS_TEST_TMPDIR/closed"
	mkdir -p "$I"
	(
		"$QUARK" watch >&- 2>"$I/err" &
		echo $! >"$I/pid"
		wait $!
		echo $? >"$I/rc"
	) </dev/null >/dev/null 2>&1 3>&- &
	for (( i = 0; i < 1000; i++ )); do
		grep -q 'quark: watch: ready' "$I/err" 2>/dev/null && break
		[ -s "$I/rc" ] && break
		sleep 0.01
	done
	assert_equal "$(grep -c ready "$I/err")" 1
	# Records flow (processes run), and none goes wrong.
	for (( i = 0; i < 20; i++ )); do /bin/true; done
	sleep 0.5
	[ ! -s "$I/rc" ] || fail "watch ended: $(cat "$I/err")"
	kill -INT "$(cat "$I/pid")"
	for (( i = 0; i < 1000; i++ )); do
		[ -s "$I/rc" ] && break
		sleep 0.01
	done
	assert_equal "$(cat "$I/rc")" 0
	refute grep -q -v -e 'ready' -e 'capture without' "$I/err"
	I=
}
