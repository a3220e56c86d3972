#!/usr/bin/env bats
# quark watch: known workloads under a live eBPF capture, exact records.
#
# Each test starts `quark watch`, waits for "quark: watch: ready" on its
# stderr, runs a workload made of uniquely named copies of system binaries
# (so that other activity on the machine cannot match), stops quark with
# SIGINT (which flushes every held record) and asserts on the records.
# Every output is also validated against the JSON Schema.  These need root
# and a working BPF: they fail, not skip, when capture is broken.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	QUARK=${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}
	CHECK="$BATS_TEST_DIRNAME/../schema-check"
	OUT="$BATS_TEST_TMPDIR/out"
	ERR="$BATS_TEST_TMPDIR/err"
	WD="$BATS_TEST_TMPDIR/wd"
	mkdir -p "$WD"
	TAG="qw$$_${BATS_TEST_NUMBER}_$RANDOM"
	WATCH_PID=
}

teardown() {
	if [ -n "$WATCH_PID" ]; then
		kill -KILL "$WATCH_PID" 2>/dev/null || true
		wait "$WATCH_PID" 2>/dev/null || true
	fi
	if [ -n "${BG_PID:-}" ]; then
		kill -KILL "$BG_PID" 2>/dev/null || true
		wait "$BG_PID" 2>/dev/null || true
	fi
}

# start_watch [OPTIONS]: quark watch in the background, ready when this
# returns (or the test fails).
start_watch() {
	"$QUARK" watch "$@" >"$OUT" 2>"$ERR" 3>&- &
	WATCH_PID=$!
	for _ in $(seq 200); do
		grep -q '^quark: watch: ready$' "$ERR" && return 0
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$ERR" >&2
	echo "quark watch did not become ready" >&2
	return 1
}

# stop_watch [SIGNAL]: stop, expect exit 0, validate every line.
stop_watch() {
	kill -"${1:-INT}" "$WATCH_PID"
	st=0
	wait "$WATCH_PID" || st=$?
	WATCH_PID=
	cat "$ERR" >&2
	[ "$st" -eq 0 ]
	run "$CHECK" --allow-empty <"$OUT"
	assert_success
}

# A uniquely named copy of a system binary in $WD; prints its path.
copy_of() {
	cp "$1" "$WD/$TAG-$(basename "$1")"
	echo "$WD/$TAG-$(basename "$1")"
}

# The records whose process.exe is $1, one JSON per line.
records_of() {
	jq -c --arg exe "$1" 'select(.kind == "event" and .process.exe == $exe)' "$OUT"
}

@test "watch: a copy of /bin/true from a known cwd is one fork+exec+exit record" {
	exe=$(copy_of /bin/true)
	me=$BASHPID
	start_watch
	cd "$WD"
	"$exe" one "two words" 3>&-
	cd /
	stop_watch
	records_of "$exe" >"$BATS_TEST_TMPDIR/r"
	cat "$BATS_TEST_TMPDIR/r"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/r")" -eq 1 ]
	run jq -e --arg exe "$exe" --arg wd "$WD" --argjson me "$me" \
	    --argjson uid "$(id -u)" --argjson gid "$(id -g)" '
	    .events == ["fork", "exec", "exit"] and
	    .process.args == [$exe, "one", "two words"] and
	    .process.argc == 3 and
	    .process.args_size == ($exe | length) + 15 and
	    (.process.args_truncated | not) and
	    .process.cwd == $wd and (.process.cwd_truncated | not) and
	    .process.ppid == $me and
	    .process.uid == $uid and .process.euid == $uid and
	    .process.suid == $uid and .process.fsuid == $uid and
	    .process.gid == $gid and .process.egid == $gid and
	    .process.exit.code == 0 and .process.exit.core_dumped == false and
	    (.process.exit.signal | not) and
	    (.process.start_time | type) == "string" and
	    (.process.entity_id | type) == "string" and
	    .parent.pid == $me and (.parent.entity_id | type) == "string" and
	    .parent.comm == "bash"' "$BATS_TEST_TMPDIR/r"
	assert_success
	[ "$(jq -r '.parent.exe' "$BATS_TEST_TMPDIR/r")" = "$(readlink /proc/$me/exe)" ]
}

@test "watch: exit code 3" {
	exe=$(copy_of /bin/dash)
	start_watch
	"$exe" -c 'exit 3' 3>&- || true
	stop_watch
	run jq -e '.process.exit.code == 3 and (.process.exit.signal | not) and
	    (.events | index("exit")) != null' <(records_of "$exe")
	assert_success
}

@test "watch: a process killed by SIGKILL reports the signal, not code 0" {
	exe=$(copy_of /bin/sleep)
	start_watch
	"$exe" 30 3>&- &
	pid=$!
	sleep 0.2
	kill -KILL "$pid"
	wait "$pid" || true
	stop_watch
	run jq -e --argjson pid "$pid" '.process.pid == $pid and
	    .process.exit.signal == 9 and (.process.exit.code | not) and
	    .process.exit.core_dumped == false' <(records_of "$exe")
	assert_success
}

@test "watch: a core dump is reported exactly when the kernel dumped one" {
	exe=$(copy_of /bin/sleep)
	start_watch
	# The ground truth is WCOREDUMP from waitpid(2), whatever core_pattern
	# and limits allow on this machine.
	core=$(cd "$WD" && /usr/bin/python3 -c '
import os, resource, signal, sys, time
resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
pid = os.spawnv(os.P_NOWAIT, sys.argv[1], [sys.argv[1], "30"])
time.sleep(0.2)
os.kill(pid, signal.SIGSEGV)
_, st = os.waitpid(pid, 0)
print("true" if os.WCOREDUMP(st) else "false")' "$exe" 3>&-)
	stop_watch
	echo "kernel says core dumped: $core"
	run jq -e --argjson core "$core" '.process.exit.signal == 11 and
	    .process.exit.core_dumped == $core' <(records_of "$exe")
	assert_success
}

@test "watch: a 100 KiB argument is truncated at the default cap, whole under a bigger one" {
	exe=$(copy_of /bin/true)
	big=$(head -c 102400 /dev/zero | tr '\0' a)
	size=$(( ${#exe} + 1 + 102400 + 1 ))
	start_watch
	"$exe" "$big" 3>&-
	stop_watch
	run jq -e --argjson size "$size" '.process.argc == 2 and
	    .process.args_size == $size and .process.args_truncated == true' \
	    <(records_of "$exe")
	assert_success

	start_watch --argv-cap 262144
	"$exe" "$big" 3>&-
	stop_watch
	run jq -e --argjson size "$size" '.process.argc == 2 and
	    .process.args_size == $size and (.process.args_truncated | not) and
	    (.process.args[1] | length) == 102400' <(records_of "$exe")
	assert_success
}

@test "watch: 5,000 arguments: argc, size and no truncation under the cap" {
	exe=$(copy_of /bin/true)
	# shellcheck disable=SC2046
	size=$(( ${#exe} + 1 + $(seq 1 5000 | wc -c) ))
	start_watch
	"$exe" $(seq 1 5000) 3>&-
	stop_watch
	run jq -e --argjson size "$size" '.process.argc == 5001 and
	    .process.args_size == $size and (.process.args_truncated | not) and
	    (.process.args | length) == 5001 and .process.args[5000] == "5000"' \
	    <(records_of "$exe")
	assert_success
}

@test "watch: a comm change (prctl PR_SET_NAME) is in the record" {
	exe=$(copy_of /usr/bin/python3)
	start_watch
	"$exe" -c 'import ctypes; ctypes.CDLL(None).prctl(15, b"qrenamed", 0, 0, 0)' 3>&-
	stop_watch
	run jq -e '(.events | index("comm")) != null and
	    .process.comm == "qrenamed" and
	    ([.changes[] | select(.type == "comm")][0].comm == "qrenamed")' \
	    <(records_of "$exe")
	assert_success
	# exec renames the task too: that is not a comm change.
	run jq -e '[.events[] | select(. == "comm")] | length == 1' <(records_of "$exe")
	assert_success
}

@test "watch: setuid through setpriv" {
	exe=$(copy_of /usr/bin/setpriv)
	start_watch
	"$exe" --reuid=65534 --regid=65534 --clear-groups /bin/true 3>&-
	stop_watch
	run jq -e '(.events | index("setuid")) != null and
	    (.events | index("setgid")) != null and
	    .process.uid == 65534 and .process.euid == 65534 and
	    ([.changes[] | select(.type == "setuid")][0].euid == 65534)' \
	    <(records_of "$exe")
	assert_success
}

@test "watch: setsid" {
	exe=$(copy_of /usr/bin/setsid)
	start_watch
	"$exe" /bin/true 3>&-
	stop_watch
	run jq -e '(.events | index("setsid")) != null and
	    .process.sid == .process.pid and
	    ([.changes[] | select(.type == "setsid")][0].sid == .process.pid)' \
	    <(records_of "$exe")
	assert_success
}

@test "watch: with tracefs unmounted, quark mounts it and still sees setsid" {
	exe=$(copy_of /usr/bin/setsid)
	# A private mount namespace, so the machine's tracefs is left alone.
	unshare -m --propagation private sh -c '
		umount /sys/kernel/tracing 2>/dev/null
		[ ! -e /sys/kernel/tracing/events ] || exit 99
		exec "$1" watch' _ "$QUARK" >"$OUT" 2>"$ERR" 3>&- &
	WATCH_PID=$!
	for _ in $(seq 200); do
		grep -q '^quark: watch: ready$' "$ERR" && break
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.05
	done
	"$exe" /bin/true 3>&-
	stop_watch
	run jq -e '(.events | index("setsid")) != null' <(records_of "$exe")
	assert_success
}

@test "watch: a non-leader thread that execs: old pid handled, one exit" {
	py=$(copy_of /usr/bin/python3)
	target=$(copy_of /bin/true)
	start_watch
	"$py" -c '
import os, sys, threading
def f():
    os.execv(sys.argv[1], [sys.argv[1], "from-thread"])
t = threading.Thread(target=f)
t.start()
t.join()' "$target" 3>&-
	stop_watch
	pid=$(records_of "$py" | jq -r '.process.pid' | head -1)
	[ -n "$pid" ]
	# The exec record is the thread group's pid, with the thread's old tid.
	run jq -e --argjson pid "$pid" '.process.pid == $pid and
	    .process.args == [.process.exe, "from-thread"] and
	    ([.changes[] | select(.type == "exec")][0].old_pid) != $pid and
	    ([.changes[] | select(.type == "exec")][0].old_pid) > 0' \
	    <(records_of "$target")
	assert_success
	# Exactly one exit for that pid across every record.
	n=$(jq -s --argjson pid "$pid" '[.[] | select(.kind == "event" and
	    .process.pid == $pid) | .events[] | select(. == "exit")] | length' "$OUT")
	[ "$n" -eq 1 ]
}

@test "watch: an exe deleted after start is still the record's exe" {
	exe=$(copy_of /bin/sleep)
	start_watch
	"$exe" 0.5 3>&- &
	BG_PID=$!
	sleep 0.2
	rm -f "$exe"
	wait "$BG_PID"
	BG_PID=
	stop_watch
	run jq -e '.events == ["fork", "exec", "exit"] and
	    .process.exit.code == 0' <(records_of "$exe")
	assert_success
}

@test "watch: a cwd deeper than 4096 bytes is flagged truncated" {
	exe=$(copy_of /bin/true)
	comp=$(printf 'd%.0s' $(seq 1 200))
	start_watch
	(
		cd "$WD"
		for _ in $(seq 1 25); do
			mkdir "$comp" && cd "$comp"
		done
		"$exe" deep 3>&-
	)
	stop_watch
	run jq -e --arg wd "$WD" '.process.cwd_truncated == true and
	    (.process.cwd | startswith($wd)) and (.process.cwd | length) < 4096 and
	    .process.exit.code == 0' <(records_of "$exe")
	assert_success
}

@test "watch: a process started before quark has an enriched exit record" {
	exe=$(copy_of /bin/sleep)
	"$exe" 1.5 3>&- &
	BG_PID=$!
	start_watch
	wait "$BG_PID"
	pid=$BG_PID
	BG_PID=
	stop_watch
	run jq -e --argjson pid "$pid" --arg exe "$exe" '.events == ["exit"] and
	    .process.pid == $pid and .process.args == [$exe, "1.5"] and
	    .process.exit.code == 0 and (.parent.pid | type) == "number"' \
	    <(records_of "$exe")
	assert_success
}

@test "watch: 2,000 processes spawned fast all appear, or losses account for them" {
	exe=$(copy_of /bin/true)
	start_watch --stats
	seq 1 2000 | xargs -P 4 -n 1 "$exe" 3>&-
	stop_watch
	n=$(jq -r --arg exe "$exe" 'select(.kind == "event" and .process.exe == $exe and
	    (.events | index("exit")) != null) | .process.args[1]' "$OUT" | sort -u | wc -l)
	lost=$(jq -s '[.[] | select(.kind == "lost") | .lost] | add // 0' "$OUT")
	echo "seen $n of 2000, lost $lost"
	# With an 8 MiB ring nothing should be lost; if the machine was busy
	# enough to lose some, every missing process must be covered by a
	# lost raw event (a missing one lost at least one of its three).
	if [ "$lost" -eq 0 ]; then
		[ "$n" -eq 2000 ]
	else
		[ $((n + lost)) -ge 2000 ]
	fi
}

@test "watch: a ring too small for the load reports its losses in band" {
	exe=$(copy_of /bin/true)
	pad=$(head -c 3000 /dev/zero | tr '\0' p)
	start_watch --ring-size 4096 --stats
	# Exec records of ~3.5 KiB each: a 4 KiB ring cannot keep up.
	seq 1 300 | xargs -P 4 -I{} "$exe" {} "$pad" 3>&-
	stop_watch
	inband=$(jq -s '[.[] | select(.kind == "lost") | .lost] | add // 0' "$OUT")
	stats=$(grep '"kind":"stats"' "$ERR" | tail -1 | jq '.lost')
	seen=$(records_of "$exe" | jq -r '.process.args[1]' | sort -u | wc -l)
	echo "in band $inband, stats $stats, seen $seen of 300"
	[ "$inband" -gt 0 ]
	[ "$inband" -eq "$stats" ]
}

@test "watch: SIGTERM flushes held records and exits 0" {
	exe=$(copy_of /bin/true)
	start_watch --hold 60s --reorder 60s
	"$exe" held 3>&-
	sleep 0.5
	# Nothing yet: the record is held for a minute...
	[ "$(records_of "$exe" | wc -l)" -eq 0 ]
	stop_watch TERM
	# ...yet flushed at SIGTERM.
	run jq -e '.events == ["fork", "exec", "exit"]' <(records_of "$exe")
	assert_success
}

@test "watch: a closed stdout pipe (| head -1) ends quietly with 0" {
	st="$BATS_TEST_TMPDIR/st"
	( "$QUARK" watch 2>"$ERR"; echo $? >"$st" ) 3>&- | head -1 >/dev/null &
	p=$!
	for _ in $(seq 100); do
		[ -s "$st" ] && break
		/bin/true
		sleep 0.1
	done
	wait "$p"
	[ "$(cat "$st")" -eq 0 ]
	run cat "$ERR"
	assert_output 'quark: watch: ready'
}

@test "watch: SIGKILL leaves no program behind" {
	start_watch
	# The programs quark holds: prog_id in the fdinfo of its BPF fds.
	ids=$(cat /proc/"$WATCH_PID"/fdinfo/* 2>/dev/null |
	    awk '$1 == "prog_id:" { print $2 }' | sort -u)
	echo "programs of $WATCH_PID: $ids"
	[ "$(echo "$ids" | wc -w)" -ge 3 ]
	kill -KILL "$WATCH_PID"
	wait "$WATCH_PID" || true
	WATCH_PID=
	for _ in $(seq 50); do
		left=0
		for id in $ids; do
			bpftool prog show id "$id" >/dev/null 2>&1 && left=$((left + 1))
		done
		[ "$left" -eq 0 ] && break
		sleep 0.1
	done
	[ "$left" -eq 0 ]
}

@test "watch: as a non-root user, a clear message and exit 1" {
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$QUARK" watch 3>&-
	assert_failure 1
	assert_output 'quark: watch: loading BPF needs root (CAP_BPF and CAP_PERFMON); try sudo'
}

@test "watch: bad options are usage errors (exit 2)" {
	run "$QUARK" watch --ring-size 1000
	assert_failure 2
	run "$QUARK" watch --argv-cap 1048576
	assert_failure 2
	run "$QUARK" watch --hold abc
	assert_failure 2
	run "$QUARK" watch extra
	assert_failure 2
}
