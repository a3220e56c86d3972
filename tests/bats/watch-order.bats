#!/usr/bin/env bats
# quark watch: when records come out on a busy host, in both modes.
#
# A process that keeps running (its record held until --hold) must not
# hold the records of short processes that start after it: by default
# they come out as soon as they are whole, before the held one; with
# --sorted they come out behind it, in time order.  Asserted by the order
# of lines, not by timing: --hold 3000 leaves seconds of margin on a
# loaded machine.  The parent object is the parent as it was at the fork.
#
# Needs root; as root a broken capture fails, it never skips.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'watch_helpers'

bats_require_minimum_version 1.5.0

setup() {
	m="quark-order-$$-$BATS_TEST_NUMBER-$RANDOM$RANDOM"
	SH_EXE=$(readlink -f /bin/sh)
	BG=
	LOOP=
}

teardown() {
	[ -z "${I:-}" ] || watch_kill "$I"
	for p in $BG $LOOP; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# line_of DIR FILTER [JQ_ARG...]: the line number (1-based) of the first
# record in DIR/out for which FILTER is true, or nothing.
line_of() {
	local dir=$1 filter=$2

	shift 2
	jq_env "select($filter) | input_line_number" "$@" <"$dir/out" |
	    head -n 1
}

# busy_run DIR OPTION...: start watch with OPTION..., a background loop
# of short sleeps (a busy host), a long-lived `sleep` ($BG, held), then
# 5 short markers; wait until the held record of the long one is out.
busy_run() {
	local dir=$1 i

	shift
	watch_start "$dir" --hold 3000 "$@"
	# The host is busy: a shell loop of short sleeps.
	sh -c 'while :; do sleep 0.25; done' </dev/null >/dev/null 2>&1 3>&- &
	LOOP=$!
	# sleep takes no marker argument: a copy of it named after one.
	cp /bin/sleep "$BATS_TEST_TMPDIR/$m-long"
	"$BATS_TEST_TMPDIR/$m-long" 30 </dev/null >/dev/null 2>&1 3>&- &
	BG=$!
	sleep 0.2
	for i in 1 2 3 4 5; do
		/bin/true "$m-short-$i"
		sleep 0.05
	done
	# The long one's partial record: fork and exec, at its hold.
	wait_recs "$dir" 0 "$m-long" '.process.pid == $p' --argjson p "$BG"
	assert_jq "$REC" '.events == ["fork", "exec"]'
	long=$(line_of "$dir" '.process.pid == $p' --argjson p "$BG")
	for i in 1 2 3 4 5; do
		wait_recs "$dir" 0 "$m-short-$i" '.process.args == ["/bin/true", $a]' \
		    --arg a "$m-short-$i"
		assert_jq "$REC" '.events == ["fork", "exec", "exit"]'
		short[$i]=$(line_of "$dir" '.process.args == ["/bin/true", $a]' \
		    --arg a "$m-short-$i")
	done
}

@test "watch: a long-running process's held record delays no short process's record" {
	I="$BATS_TEST_TMPDIR/default"
	busy_run "$I"
	for i in 1 2 3 4 5; do
		echo "# short $i at line ${short[$i]}, the long one at $long" >&3
		[ "${short[$i]}" -lt "$long" ]
	done
	# Out of time order: the long one began first.
	assert_jq "$(sed -n "${long}p" "$I/out")" '.time_ns < $s.time_ns' \
	    --argjson s "$(sed -n "${short[1]}p" "$I/out")"
	watch_stop "$I"
	schema_ok "$I/out"
	I=
}

@test "watch --sorted: records in strict time order, behind the held one" {
	I="$BATS_TEST_TMPDIR/sorted"
	busy_run "$I" --sorted
	for i in 1 2 3 4 5; do
		[ "${short[$i]}" -gt "$long" ]
	done
	watch_stop "$I"
	# Every record (but late ones) in time order of its first event.
	run jq -s '[.[] | select(.kind == "event" and (.late | not)) |
	    .time_ns] | . == sort' "$I/out"
	assert_output true
	schema_ok "$I/out"
	I=
}

# One process's records never swap: sh lives past --hold 200 (its record
# leaves partial at the hold), then execs true (a record of its own),
# which exits; the exec record is never before the fork's.
@test "watch: the records of one process come out in their order" {
	I="$BATS_TEST_TMPDIR/chain"
	watch_start "$I" --hold 200
	sh -c "sleep 1; exec /bin/true $m" &
	pid=$!
	wait "$pid"
	wait_recs "$I" 0 "$m" '.process.pid == $p and any(.events[]; . == "exit")' \
	    --argjson p "$pid"
	barrier "$I"
	run jq -c 'select(.kind == "event" and .process.pid == $p) | .events' \
	    --argjson p "$pid" "$I/out"
	printf '%s\n' "${lines[@]}"
	assert_equal "${lines[0]}" '["fork","exec"]'
	assert_equal "${lines[-1]}" '["exec","exit"]'
	watch_stop "$I"
	I=
}

# The parent forks a child, then execs something else and exits while the
# child still runs: the child's parent object is the parent before its
# exec.
@test "watch: the parent object is the parent as it was at the child's fork" {
	c="$BATS_TEST_TMPDIR/$m-child"
	p="$BATS_TEST_TMPDIR/$m-parent"
	cp /bin/sleep "$c"
	cp /bin/sleep "$p"
	script="$c 0.5 & exec $p 0.2"
	for mode in "" --sorted; do
		I="$BATS_TEST_TMPDIR/parent$mode"
		watch_start "$I" $mode
		sh -c "$script" &
		pid=$!
		wait "$pid"
		wait_recs "$I" 0 "$m-child" '.process.args == [$c, "0.5"] and
		    any(.events[]; . == "exit")' --arg c "$c"
		child=$REC
		echo "# $mode: $(jq -c .parent <<<"$child")" >&3
		# The parent exits first: the child is reparented (ppid),
		# the parent object stays the process that forked it.
		assert_jq "$child" '.parent.pid == $p' --argjson p "$pid"
		assert_jq "$child" '.parent.exe == $e and
		    .parent.args == ["sh", "-c", $s]' --arg e "$SH_EXE" \
		    --arg s "$script"
		# The parent itself did exec sleep: one record, sh's image in
		# process.previous, the one the child's parent object shows.
		wait_recs "$I" 0 "$m-parent" '.process.pid == $p and
		    any(.events[]; . == "exit")' --argjson p "$pid"
		assert_jq "$REC" '.process.args == [$p, "0.2"]' --arg p "$p"
		assert_jq "$REC" '.events == ["fork", "exec", "exec", "exit"] and
		    [.process.previous[] | {exe, args, argc}] ==
		    [$c.parent | {exe, args, argc}]' --argjson c "$child"
		watch_stop "$I"
		I=
	done
}
