#!/usr/bin/env bats
# quark watch --threads: thread creation and thread exits are records of
# their own, flagged "thread" and carrying the tid; the process's own
# record is unchanged (one exit, the group's).  Without --threads no
# thread record is printed.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'watch_helpers'

setup() {
	DIR=$BATS_TEST_TMPDIR/w
}

teardown() {
	watch_kill "$DIR"
}

# run_leader_exit: the leader pthread_exit()s, its second thread exits
# the process with 7 200 ms later.  Sets P (pid) and RECS (its records).
run_leader_exit() {
	local from m="quark-threads-$$-$RANDOM$RANDOM"

	from=$(watch_lines "$DIR")
	"$QUARK_HELPERS/leader_exit" 7 "$m" &
	P=$!
	wait "$P" || true
	wait_recs "$DIR" "$from" "$m" \
	    "$HAS_M and (.thread | not) and (.events | index(\"exit\"))" \
	    --arg m "$m"
	barrier "$DIR"
	RECS=$(find_recs "$DIR" "$from" "$m" "$HAS_M" --arg m "$m")
}

@test "watch --threads: a thread's creation and the leader's exit are thread records" {
	watch_start "$DIR" --threads
	run_leader_exit
	run jq -r 'select(.thread == true) |
	    "\(.events | join(",")) \(.process.pid == $p) \(.process.tid != $p)"' \
	    --argjson p "$P" <<<"$RECS"
	assert_output "fork true true
exit true false"
	# The process itself: one record, one exit, the group's code.
	run jq -r 'select(.thread != true) |
	    "\(.events | join(",")) \(.process.exit.code)"' <<<"$RECS"
	assert_output "fork,exec,exit 7"
	watch_stop "$DIR"
	schema_ok "$DIR/out"
}

@test "watch without --threads: no thread record" {
	watch_start "$DIR"
	run_leader_exit
	run jq -r 'select(.thread == true) | .events' <<<"$RECS"
	assert_output ""
	run jq -r '"\(.events | join(",")) \(.process.exit.code)"' <<<"$RECS"
	assert_output "fork,exec,exit 7"
	watch_stop "$DIR"
	schema_ok "$DIR/out"
}
