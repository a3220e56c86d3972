#!/usr/bin/env bats
# quark watch --backend netlink: the proc connector fallback, live.
# One watcher for the whole file (started in setup_file, ready once a
# marker process shows up); each test runs a workload and waits for its
# record.  Needs root; as root a broken backend fails, it never skips.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup_file() {
	QUARK=${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}
	export QUARK
	D="$BATS_FILE_TMPDIR"
	export OUT="$D/out" WERR="$D/err"
	# Uniquely named copies: their records cannot be anyone else's.
	export TRUE="$D/qnl-true-$$" SLEEP="$D/qnl-sleep-$$" SH="$D/qnl-sh-$$"
	cp /bin/true "$TRUE"
	cp /bin/sleep "$SLEEP"
	cp /bin/sh "$SH"
	"$QUARK" watch --backend netlink --reorder 10 >"$OUT" 2>"$WERR" 3>&- &
	echo $! >"$D/pid"
	wait_ready
}

teardown_file() {
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

setup() {
	CHECK="$BATS_TEST_DIRNAME/../schema-check"
	q=
}

# A test's own watcher ($q), whatever failed before it was stopped.
teardown() {
	[ -z "$q" ] || kill -KILL "$q" 2>/dev/null || true
}

# The records about pid, one per line (compact).
records_of() {
	jq -c --argjson p "$1" \
	    'select(.kind == "event" and .process.pid == $p)' "$OUT"
}

# Waits up to 20 s for a record about pid that has "exit" in events.
wait_exit_of() {
	local i
	for i in $(seq 200); do
		# (jq -e succeeds on empty input: test for a line instead.)
		if records_of "$1" | jq -c 'select(.events | index("exit"))' \
		    2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	echo "no exit record for pid $1 within 20 s; stderr:" >&2
	cat "$WERR" >&2
	return 1
}

# only_record PID WHY FILTER [JQ-ARG...]: once pid's exit is out, pid has
# one record and jq's FILTER holds for it; else the test fails, saying WHY.
only_record() {
	local p=$1 why=$2 filter=$3

	shift 3
	wait_exit_of "$p"
	[ "$(records_of "$p" | jq -s "$@" "length == 1 and (.[0] | $filter)")" = true ] ||
	    fail "$why: $(records_of "$p")"
}

# own_watch [OPTION...]: a test's own `quark watch --backend netlink
# OPTION...` ($q), its records in $BATS_TEST_TMPDIR/out; returns once it
# said it is ready (fails after 30 s).
own_watch() {
	local i

	"$QUARK" watch --backend netlink "$@" \
	    >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	q=$!
	for (( i = 0; i < 600; i++ )); do
		grep -q '^quark: watch: ready$' "$BATS_TEST_TMPDIR/err" && return 0
		sleep 0.05
	done
	fail "not ready: $(cat "$BATS_TEST_TMPDIR/err")"
}

# Runs /bin/true copies with a marker until one is seen (timeout 20 s).
wait_ready() {
	local i p
	for i in $(seq 100); do
		"$TRUE" "marker-$i" &
		p=$!
		wait "$p"
		sleep 0.2
		if [ -s "$OUT" ] && records_of "$p" | grep -q .; then
			return 0
		fi
		if ! kill -0 "$(cat "$BATS_FILE_TMPDIR/pid")" 2>/dev/null; then
			echo "quark watch died:" >&2
			cat "$WERR" >&2
			return 1
		fi
	done
	echo "quark watch --backend netlink never showed the marker" >&2
	cat "$WERR" >&2
	return 1
}

@test "netlink: the watcher started and said only that it is ready" {
	run cat "$WERR"
	assert_output "quark: watch: ready"
}

@test "netlink: a /bin/true copy with args: one record, fork+exec+exit, code 0" {
	cd "$BATS_TEST_TMPDIR"
	"$TRUE" one "two words" &
	p=$!
	wait "$p"
	wait_exit_of "$p"
	run records_of "$p"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	rec=${lines[0]}
	run jq -r '.events | join(",")' <<<"$rec"
	assert_output "fork,exec,exit"
	run jq -r '"\(.process.ppid) \(.process.exit.code) \(.process.exit.signal // "none") \(.parent.pid)"' <<<"$rec"
	assert_output "$BASHPID 0 none $BASHPID"
	# true may be gone before /proc is read: then exe and args are
	# absent, never wrong (never the parent's shell).
	run jq -r --arg t "$TRUE" '(.process.exe // $t) == $t and
	    ((.process.args // [$t, "one", "two words"]) ==
	    [$t, "one", "two words"])' <<<"$rec"
	assert_output "true"
}

@test "netlink: a sleep copy (0.3 s) is enriched from /proc: exe, args, cwd, creds, parent; no filename" {
	cd "$BATS_TEST_TMPDIR"
	cwd=$(pwd -P)
	"$SLEEP" 0.3 &
	p=$!
	wait "$p"
	wait_exit_of "$p"
	run records_of "$p"
	[ "${#lines[@]}" -eq 1 ]
	rec=${lines[0]}
	run jq -r '.events | join(",")' <<<"$rec"
	assert_output "fork,exec,exit"
	run jq -r '.process.exe' <<<"$rec"
	assert_output "$SLEEP"
	run jq -c '.process.args' <<<"$rec"
	assert_output "[\"$SLEEP\",\"0.3\"]"
	run jq -r '.process.cwd' <<<"$rec"
	assert_output "$cwd"
	# The proc connector never says what execve was given: no filename,
	# even with the exe known.
	run jq -e '.process | has("filename") | not' <<<"$rec"
	assert_success
	run jq -r '"\(.process.comm) \(.process.uid) \(.process.euid) \(.process.ppid) \(.parent.pid) \(.process.exit.code)"' <<<"$rec"
	assert_output "$(basename "$SLEEP") 0 0 $BASHPID $BASHPID 0"
	# The start time comes from /proc: the same entity id as lookup's.
	run jq -e '.process.start_time and .process.entity_id and
	    .process.exit.time' <<<"$rec"
	assert_success
}

@test "netlink: exit code 3" {
	"$SH" -c 'exit 3' &
	p=$!
	wait "$p" || true
	wait_exit_of "$p"
	run records_of "$p"
	[ "${#lines[@]}" -eq 1 ]
	run jq -r '"\(.process.exit.code) \(.process.exit.signal // "none") \(.process.exit.core_dumped)"' <<<"${lines[0]}"
	assert_output "3 none false"
}

@test "netlink: a fork without exec: fork+exit, the exit code, the shell's image" {
	( exit 7 ) &
	p=$!
	wait "$p" || true
	wait_exit_of "$p"
	run records_of "$p"
	[ "${#lines[@]}" -eq 1 ]
	rec=${lines[0]}
	run jq -r '"\(.events | join(",")) \(.process.exit.code) \(.process.ppid)"' <<<"$rec"
	assert_output "fork,exit 7 $BASHPID"
	run jq -r '.process.exe' <<<"$rec"
	assert_output "$(readlink /proc/$BASHPID/exe)"
}

@test "netlink: SIGKILL is reported as a signal, not as code 0" {
	"$SLEEP" 30 &
	p=$!
	sleep 0.3
	kill -KILL "$p"
	wait "$p" || true
	wait_exit_of "$p"
	run records_of "$p"
	# fork+exec may have left the queue before the exit: take the last.
	rec=${lines[-1]}
	run jq -r '"\(.process.exit.signal) \(.process.exit.code // "none") \(.process.exe)"' <<<"$rec"
	assert_output "9 none $SLEEP"
	run jq -s '[.[].events[] | select(. == "exit")] | length' \
	    < <(records_of "$p")
	assert_output "1"
}

@test "netlink: setsid is reported, with the new session and group" {
	# setsid(1) forks when it leads a group; run it in the background so
	# that it does not, and exec the sleep copy after the setsid.
	setsid "$SLEEP" 0.3 &
	p=$!
	wait "$p"
	wait_exit_of "$p"
	run jq -rs '[.[].events[]] | join(",")' < <(records_of "$p")
	assert_output --partial "setsid"
	run jq -rs 'map(select(.events | index("exit"))) | .[0].process |
	    "\(.sid) \(.pgid)"' < <(records_of "$p")
	assert_output "$p $p"
}

@test "netlink: a comm change (write to /proc/self/comm) is reported" {
	# (echo would put its newline into the name: the kernel keeps it.)
	"$SH" -c 'printf qnlrenamed >/proc/self/comm; exit 4' &
	p=$!
	wait "$p" || true
	wait_exit_of "$p"
	run jq -rs 'map(.changes // [] | .[] | select(.type == "comm")) |
	    .[0].comm' < <(records_of "$p")
	assert_output "qnlrenamed"
	run jq -rs 'map(select(.events | index("exit"))) | .[0].process |
	    "\(.comm) \(.exit.code)"' < <(records_of "$p")
	assert_output "qnlrenamed 4"
}

@test "netlink: setuid/setgid (setpriv) are reported with all four ids" {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$SLEEP" 0.3 &
	p=$!
	wait "$p" || true
	wait_exit_of "$p"
	run jq -rs 'map(.changes // [] | .[] | select(.type == "setuid")) |
	    .[0] | "\(.uid) \(.euid) \(.suid) \(.fsuid)"' < <(records_of "$p")
	assert_output "65534 65534 65534 65534"
	run jq -rs 'map(.changes // [] | .[] | select(.type == "setgid")) |
	    .[0] | "\(.gid) \(.egid) \(.sgid) \(.fsgid)"' < <(records_of "$p")
	assert_output "65534 65534 65534 65534"
	run jq -rs 'map(select(.events | index("exit"))) | .[0].process |
	    "\(.uid) \(.gid)"' < <(records_of "$p")
	assert_output "65534 65534"
}

# dropids sets its gid and uid and exits at once: mostly gone before quark
# reads /proc.  Each change is still reported, with the kernel's real and
# effective id; whatever /proc could not confirm is absent, never the ids
# before the change (issue 9: uid 0 after a setuid to 65534).
@test "netlink: a namespace and a process group changed before the exec: the process's or absent, never the parent's" {
	host_net=$(stat -Lc %i /proc/self/ns/net)
	for run in 1 2 3 4 5 6; do
		# unshare(2) then exec: no event says the new namespace.
		unshare -n "$TRUE" "ns-$run" &
		p=$!
		wait "$p"
		only_record "$p" "run $run: the host's net namespace" \
		    '(.process.ns.net // 0) != $h' --argjson h "$host_net"
		# A job of its own process group (setpgid(2): no event).
		p=$(bash -mc '"$1" "pg-$2" & echo $!; wait' _ "$TRUE" "$run")
		only_record "$p" "run $run: not its own process group" \
		    '(.process.pgid // $p) == $p' --argjson p "$p"
	done
}

@test "netlink: set*id by a process gone at once: reported, the kernel's ids or absent, never the old ones" {
	helper="${QUARK_HELPERS:-$BATS_TEST_DIRNAME/../../build/tests/helpers}/dropids"
	local i p pids=()
	for i in $(seq 30); do
		"$helper" 65534 65534 qnl-dropids &
		p=$!
		wait "$p"
		pids+=("$p")
	done
	for p in "${pids[@]}"; do
		wait_exit_of "$p"
		run jq -rs '[.[].events[]] | join(",")' < <(records_of "$p")
		assert_output "fork,exec,setgid,setuid,exit"
		# the kernel's ids in each change; the rest 65534 or absent
		run jq -rs '[.[].changes // [] | .[] |
		    select(.type == "setuid" or .type == "setgid") |
		    [.uid, .euid, .gid, .egid] | map(select(. != null)) | .[]] |
		    unique | join(" ")' < <(records_of "$p")
		assert_output "65534"
		run jq -rs '[.[].changes // [] | .[] | .suid, .fsuid, .sgid,
		    .fsgid | select(. != null and . != 65534)] | length' \
		    < <(records_of "$p")
		assert_output "0"
		# the process: every id 65534 or absent, no capabilities (a
		# uid change the connector does not say them for)
		run jq -rs 'map(select(.events | index("exit"))) | .[0].process |
		    [.uid, .euid, .suid, .fsuid, .gid, .egid, .sgid, .fsgid] |
		    map(select(. != null and . != 65534)) | length' \
		    < <(records_of "$p")
		assert_output "0"
		run jq -rs 'map(select(.events | index("exit"))) | .[0].process |
		    has("cap")' < <(records_of "$p")
		assert_output "false"
	done
}

@test "netlink: a thread that is not the leader execs: one record, one exit (the leader's end is not the process's)" {
	helper="${QUARK_HELPERS:-$BATS_TEST_DIRNAME/../../build/tests/helpers}/thread_exec"
	[ -x "$helper" ]
	# An image that is gone before /proc is read, and one that is not.
	for run in 1 2 3 4 5 6; do
		if (( run % 2 )); then
			read -r p tid < <("$helper" "$TRUE" "te-$run")
		else
			read -r p tid < <("$helper" "$SLEEP" 0.3)
		fi
		[ -n "$tid" ] && [ "$p" != "$tid" ]
		wait_exit_of "$p"
		# Both execs said, in whatever records they are.
		for (( i = 0; i < 100; i++ )); do
			[ "$(records_of "$p" |
			    jq -s '[.[].events[] | select(. == "exec")] | length')" -ge 2 ] &&
			    break
			sleep 0.1
		done
		run records_of "$p"
		printf '%s\n' "${lines[@]}"
		[ "${#lines[@]}" -eq 1 ] || fail "run $run: ${#lines[@]} records"
		jq -e '.events == ["fork", "exec", "exec", "exit"] and
		    .process.exit.code == 0' <<<"${lines[0]}" >/dev/null ||
		    fail "run $run: ${lines[0]}"
		# The image is the thread's, or absent (gone too soon).
		if (( run % 2 == 0 )); then
			jq -e --arg s "$SLEEP" '(.process.exe // $s) == $s and
			    (.process.args // [$s, "0.3"]) == [$s, "0.3"]' \
			    <<<"${lines[0]}" >/dev/null ||
			    fail "run $run: another image: ${lines[0]}"
		fi
	done
}

@test "netlink: a pid taken again in the same clock tick by a process that runs on: both exits" {
	helper="${QUARK_HELPERS:-$BATS_TEST_DIRNAME/../../build/tests/helpers}/samepid"
	[ -x "$helper" ]
	# The second child lives 300 ms: it runs while the first's exit
	# is looked at, started in that exit's tick, on its pid.
	run "$helper" -s 300
	assert_success
	read -r p ticks pp <<<"$output"
	for (( i = 0; i < 100; i++ )); do
		n=$(records_of "$p" | jq -s --argjson pp "$pp" '[.[] |
		    select(.process.ppid == $pp and (.events | index("exit")))] |
		    length')
		[ "$n" -ge 2 ] && break
		sleep 0.2
	done
	[ "$n" -eq 2 ] || fail "$n exit records: $(records_of "$p")"
}

@test "netlink: a leader that exits first, its last thread moments later: one exit, that thread's" {
	helper="${QUARK_HELPERS:-$BATS_TEST_DIRNAME/../../build/tests/helpers}/leader_exit"
	[ -x "$helper" ]
	# Both gone before /proc is looked at, for the leader's exit.  (Not
	# at once: when the thread's message comes before the leader's, the
	# leader's code is taken, a limit said in quark(8).)
	for d in 2000 5000 10000; do
		"$helper" -d "$d" 13 &
		p=$!
		wait "$p" || true
		only_record "$p" "thread $d us after the leader" \
		    '.process.exit.code == 13 and
		    ([.events[] | select(. == "exit")] | length) == 1'
	done
}

@test "netlink: a leader that exits first: the process exit is its last thread's" {
	# leader_exit: the leader leaves at once, a thread exit(5)s 200 ms on.
	helper="${QUARK_HELPERS:-$BATS_TEST_DIRNAME/../../build/tests/helpers}/leader_exit"
	[ -x "$helper" ]
	"$helper" 5 &
	p=$!
	wait "$p" || true
	wait_exit_of "$p"
	run jq -s '[.[].events[] | select(. == "exit")] | length' \
	    < <(records_of "$p")
	assert_output "1"
	run jq -rs 'map(select(.events | index("exit"))) | .[0].process.exit |
	    "\(.code) \(.signal // "none")"' < <(records_of "$p")
	assert_output "5 none"
	# The exit is the group's, 200 ms after start, not the leader's.
	run jq -rs 'map(select(.events | index("exit"))) | .[0] |
	    (.process.exit.time_ns - .time_ns) >= 150000000' \
	    < <(records_of "$p")
	assert_output "true"
}

@test "netlink: --argv-cap cuts the arguments read from /proc, as the kernel backends do" {
	own_watch --argv-cap 5
	"$SH" -c 'sleep 0.3; :' "cap-$$" &
	p=$!
	wait "$p"
	for (( i = 0; i < 100; i++ )); do
		grep -q "\"pid\":$p,.*\"exit\"" "$BATS_TEST_TMPDIR/out" && break
		sleep 0.1
	done
	kill -TERM "$q"
	wait "$q"
	q=
	run jq -c --argjson p "$p" 'select(.process.pid == $p)' \
	    "$BATS_TEST_TMPDIR/out"
	assert_success
	[ "${#lines[@]}" -eq 1 ] || fail "${#lines[@]} records"
	# argc and args_size still say the whole vector (NULs included).
	size=$(( ${#SH} + 1 + 3 + 13 + 4 + ${#$} + 1 ))
	jq -e --arg s "$SH" --argjson n "$size" '
	    .process.args == [$s[0:5]] and .process.args_truncated == true and
	    .process.argc == 4 and .process.args_size == $n' \
	    <<<"${lines[0]}" >/dev/null || fail "not cut at 5 bytes: ${lines[0]}"
}

@test "netlink: an overflowing socket makes an in-band lost record" {
	# A stopped reader with a tiny socket buffer: the kernel drops.
	# Subscribed (stopped before, it would miss the burst, not drop it).
	own_watch --ring-size 4096 --stats
	kill -STOP "$q"
	for i in $(seq 300); do "$TRUE"; done
	kill -CONT "$q"
	sleep 1.5
	kill -TERM "$q"
	wait "$q"
	q=
	run jq -r 'select(.kind == "lost") | .lost' "$BATS_TEST_TMPDIR/out"
	assert_success
	[ -n "$output" ]
	[ "$(echo "$output" | head -n 1)" -ge 1 ]
	# stderr: the ready line, then the stats line.
	run sh -c "grep '^{' '$BATS_TEST_TMPDIR/err' | jq -r 'select(.kind == \"stats\") | \"\\(.backend) \\(.lost >= 1)\"'"
	assert_output "netlink true"
	run "$CHECK" <"$BATS_TEST_TMPDIR/out"
	assert_success
}

@test "netlink: every line of the watcher's output is valid against the schema" {
	run "$CHECK" <"$OUT"
	assert_success
}

@test "netlink: --backend bogus is a usage error (exit 2)" {
	run "$QUARK" watch --backend bogus
	assert_failure 2
	assert_line --partial "unknown backend 'bogus'"
}
