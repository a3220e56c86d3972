#!/usr/bin/env bats
# quark watch --output FILE: records appended to FILE, nothing on stdout;
# SIGHUP reopens FILE by name, as log rotation needs.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	QUARK=${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}
	CHECK="$BATS_TEST_DIRNAME/../schema-check"
	D=$BATS_TEST_TMPDIR
	QPID=
}

teardown() {
	[ -z "$QPID" ] || kill -KILL "$QPID" 2>/dev/null || true
	[ -z "${RPID:-}" ] || kill -KILL "$RPID" 2>/dev/null || true
}

# wait_marker FILE MARKER: run /bin/true MARKER until its record is in
# FILE (20 s at most).  The marker reaches grep through a file, so that
# grep's own record does not match.
wait_marker() {
	local i

	printf '%s\n' "\"$2\"" >"$D/pattern"
	for (( i = 0; i < 100; i++ )); do
		/bin/true "$2"
		grep -q -F -f "$D/pattern" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	fail "no record of $2 in $1"
}

@test "watch --output: records go to the file, appended, and SIGHUP reopens it" {
	echo '{"kind":"lost","time":"2026-01-01T00:00:00.000000000Z","time_ns":1,"lost":1}' >"$D/q.ndjson"
	"$QUARK" watch --output "$D/q.ndjson" >"$D/stdout" 2>"$D/stderr" &
	QPID=$!
	wait_marker "$D/q.ndjson" "quark-out-one-$$"
	# Appended: the line that was there first is still the first.
	run head -n 1 "$D/q.ndjson"
	assert_output --partial '"lost":1}'
	run stat -c %a "$D/q.ndjson"
	# An existing file keeps its mode.
	assert_output "$(printf '%o' $(( 0666 & ~0$(umask) )))"
	mv "$D/q.ndjson" "$D/q.ndjson.1"
	kill -HUP "$QPID"
	wait_marker "$D/q.ndjson" "quark-out-two-$$"
	run stat -c %a "$D/q.ndjson"
	# Created by quark: 0640 less the umask.
	assert_output "$(printf '%o' $(( 0640 & ~0$(umask) )))"
	kill -INT "$QPID"
	wait "$QPID"
	QPID=
	run grep -c -F "quark-out-two-$$" "$D/q.ndjson.1"
	assert_output "0"
	run "$CHECK" <"$D/q.ndjson"
	assert_success
	run "$CHECK" <"$D/q.ndjson.1"
	assert_success
	run cat "$D/stdout"
	assert_output ""
	run cat "$D/stderr"
	assert_output "quark: watch: ready"
}

@test "watch --output into a directory that does not exist: one line, exit 1" {
	run "$QUARK" watch --output /nonexistent/dir/q.ndjson
	assert_failure 1
	assert_output "quark: watch: /nonexistent/dir/q.ndjson: No such file or directory"
}

@test "watch --output: a SIGHUP reopen that fails says quark keeps writing to the old file, and it does" {
	"$QUARK" watch --output "$D/q.ndjson" >"$D/stdout" 2>"$D/stderr" &
	QPID=$!
	wait_marker "$D/q.ndjson" "quark-hup-one-$$"
	mv "$D/q.ndjson" "$D/q.ndjson.1"
	# A directory in its place: open(2) for writing fails (EISDIR), even
	# for root.
	mkdir "$D/q.ndjson"
	kill -HUP "$QPID"
	wait_marker "$D/q.ndjson.1" "quark-hup-two-$$"
	kill -INT "$QPID"
	wait "$QPID"
	QPID=
	run cat "$D/stderr"
	assert_line --index 0 "quark: watch: ready"
	assert_line --index 1 "quark: watch: cannot reopen $D/q.ndjson on SIGHUP (Is a directory): still writing to the file opened before"
	run "$CHECK" <"$D/q.ndjson.1"
	assert_success
}

@test "watch --output FIFO: a SIGHUP reopen onto a FIFO nobody reads fails at once; capture goes on" {
	mkfifo "$D/q.fifo"
	cat <"$D/q.fifo" >"$D/q.ndjson" 3>&- &
	RPID=$!
	"$QUARK" watch --output "$D/q.fifo" >"$D/stdout" 2>"$D/stderr" 3>&- &
	QPID=$!
	wait_marker "$D/q.ndjson" "quark-fifo-one-$$"
	# A new FIFO in its place, without a reader: open(2) would block.
	mv "$D/q.fifo" "$D/q.fifo.1"
	mkfifo "$D/q.fifo"
	kill -HUP "$QPID"
	wait_marker "$D/q.ndjson" "quark-fifo-two-$$"
	kill -INT "$QPID"
	wait "$QPID"
	QPID=
	wait "$RPID"
	RPID=
	run cat "$D/stderr"
	assert_line --index 1 "quark: watch: cannot reopen $D/q.fifo on SIGHUP (No such device or address): still writing to the file opened before"
	run "$CHECK" <"$D/q.ndjson"
	assert_success
}

@test "watch: records cost no bpf(2) call: the lost counters are read from memory" {
	command -v strace >/dev/null || fail "strace is not installed"
	# (LeakSanitizer cannot run under ptrace: off, for an ASan build.)
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=bpf -o "$D/st" \
	    "$QUARK" watch --output "$D/q.ndjson" 2>"$D/stderr" &
	spid=$!
	wait_marker "$D/q.ndjson" "quark-sys-ready-$$"
	QPID=$(pgrep -P "$spid" -x quark)
	n0=$(grep -c 'BPF_MAP_LOOKUP_ELEM' "$D/st" || true)
	for (( i = 0; i < 30; i++ )); do
		/bin/true "quark-sys-$$-$i"
	done
	wait_marker "$D/q.ndjson" "quark-sys-end-$$"
	n1=$(grep -c 'BPF_MAP_LOOKUP_ELEM' "$D/st" || true)
	kill -INT "$QPID"
	wait "$spid"
	QPID=
	[ "$(grep -c "quark-sys-$$-" "$D/q.ndjson")" -eq 30 ] ||
	    fail "not every record: $(grep -c "quark-sys-$$-" "$D/q.ndjson")"
	[ "$n1" -eq "$n0" ] ||
	    fail "$((n1 - n0)) map look-ups for 31 records"
}

# pipe_full FIFO: wait (20 s at most) until the writer into FIFO is
# blocked: the pipe holds data and has not grown for 1 s, although far
# more is due than any pipe holds (FIONREAD through a reader that takes
# nothing).  A full pipe holds 64 KiB at most, less when writes leave
# its pages part-filled: its size is no sign.
pipe_full() {
	/usr/bin/python3 - "$1" <<'PY' || fail "the pipe never filled"
import fcntl, os, struct, sys, termios, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
last, same = -1, 0
for _ in range(200):
    n = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
    same = same + 1 if n == last and n > 0 else 0
    if same >= 10:
        sys.exit(0)
    last = n
    time.sleep(0.1)
sys.exit(1)
PY
}

# stop_and_wait SIGNAL: send SIGNAL to quark, wait for it (30 s at most);
# its status in $rc.
stop_and_wait() {
	local i

	kill -s "$1" "$QPID"
	for (( i = 0; i < 300; i++ )); do
		kill -0 "$QPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$QPID" 2>/dev/null && fail "quark still runs 30 s after SIG$1"
	rc=0
	wait "$QPID" || rc=$?
	QPID=
}

# fill_behind FIFO READER...: quark watch writing into FIFO, READER... reading
# it; once ready, 600 records' worth of processes, then wait for a full pipe.
fill_behind() {
	local fifo=$1 i

	shift
	mkfifo "$fifo"
	"$@" <"$fifo" 3>&- &
	RPID=$!
	"$QUARK" watch >"$fifo" 2>"$D/err" 3>&- &
	QPID=$!
	for (( i = 0; i < 400; i++ )); do
		grep -q '^quark: watch: ready$' "$D/err" && break
		sleep 0.05
	done
	grep -q '^quark: watch: ready$' "$D/err" || fail "not ready: $(cat "$D/err")"
	for (( i = 0; i < 600; i++ )); do
		/bin/true "quark-fill-$$-$i"
	done
	pipe_full "$fifo"
}

# gave_up WHY: quark ended 1 (stop_and_wait's $rc), saying "WHY: records
# left unwritten"; the reader that took nothing is ended.
gave_up() {
	kill "$RPID" 2>/dev/null || true
	wait "$RPID" 2>/dev/null || true
	RPID=
	[ "$rc" -eq 1 ] || fail "exit $rc: $(cat "$D/err")"
	run cat "$D/err"
	assert_line "quark: watch: $1: records left unwritten"
}

@test "watch: SIGTERM with a reader that takes nothing: gives up after a while, says so, exit 1" {
	fill_behind "$D/fifo" sleep 120
	stop_and_wait TERM
	gave_up "after the stop, a write to the output was blocked for 5 s"
}

@test "watch: a second SIGTERM with a reader that takes nothing: gives up at once, says so, exit 1" {
	fill_behind "$D/fifo" sleep 120
	kill -TERM "$QPID"
	sleep 0.5
	stop_and_wait TERM
	gave_up "a second signal while a write to the output was blocked"
}

@test "watch: SIGTERM with a slow reader: every record written, exit 0" {
	fill_behind "$D/fifo" sh -c 'sleep 6; exec cat >"$1"' _ "$D/out"
	stop_and_wait TERM
	wait "$RPID"
	RPID=
	[ "$rc" -eq 0 ] || fail "exit $rc: $(cat "$D/err")"
	run jq -e . "$D/out"
	assert_success
	assert_equal "$(grep -c "\"quark-fill-$$-[0-9]*\"" "$D/out")" 600
	run cat "$D/err"
	refute_output --partial "blocked"
}
