#!/usr/bin/env bats
# quark watch without an optional hook says so on stderr and in --stats:
# a blind spot is never hidden.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	QUARK=${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}
}

@test "watch: without syscall tracepoints, credential changes are said to be off" {
	# A private mount namespace where /sys/kernel/tracing is an empty
	# tmpfs: tracefs looks mounted, but holds no syscall tracepoint.
	run unshare -m sh -c '
	    mount -t tmpfs none /sys/kernel/tracing &&
	    mkdir /sys/kernel/tracing/events &&
	    timeout --preserve-status -s INT 3 "$1" watch --stats 2>&1 >/dev/null' sh "$QUARK"
	assert_success
	assert_line "quark: watch: capture without credential changes: no syscalls:sys_exit_setuid tracepoint"
	assert_line "quark: watch: ready"
	assert_line --partial '"kind":"stats"'
	assert_line --partial '"features_off":"credential changes: no syscalls:sys_exit_setuid tracepoint"'
}

@test "watch: with every hook on, nothing is said to be off" {
	run sh -c 'timeout --preserve-status -s INT 2 "$1" watch --stats 2>&1 >/dev/null' sh "$QUARK"
	assert_success
	refute_output --partial "capture without"
	refute_output --partial "features_off"
	assert_line "quark: watch: ready"
}
