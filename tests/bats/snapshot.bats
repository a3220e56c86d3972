#!/usr/bin/env bats
# quark snapshot: every line is valid JSON and valid against the schema,
# the table matches /proc, odd names and huge arguments come out whole.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	QUARK=${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}
	CHECK="$BATS_TEST_DIRNAME/../schema-check"
	OUT="$BATS_TEST_TMPDIR/out"
	ERR="$BATS_TEST_TMPDIR/err"
}

teardown() {
	if [ -n "${WEIRD_PID:-}" ]; then
		kill "$WEIRD_PID" 2>/dev/null || true
		wait "$WEIRD_PID" 2>/dev/null || true
	fi
}

nproc_entries() {
	ls /proc | grep -c '^[0-9]'
}

@test "snapshot: exits 0, nothing on stderr, every line parses with jq -e" {
	"$QUARK" snapshot >"$OUT" 2>"$ERR"
	[ ! -s "$ERR" ]
	lines=$(wc -l <"$OUT")
	[ "$lines" -gt 0 ]
	# Each line on its own (jq -e fails on the first bad one).
	run jq -e -c 'select(.kind == "snapshot" and (.process.pid | type) == "number") | .process.pid' "$OUT"
	assert_success
	[ "${#lines[@]}" -eq "$(wc -l <"$OUT")" ]
}

@test "snapshot: every line validates against the JSON Schema" {
	"$QUARK" snapshot >"$OUT"
	run "$CHECK" <"$OUT"
	assert_success
	"$QUARK" snapshot --threads --env >"$OUT"
	run "$CHECK" <"$OUT"
	assert_success
}

@test "snapshot: as many processes as /proc has, allowing for churn" {
	before=$(nproc_entries)
	"$QUARK" snapshot >"$OUT"
	after=$(nproc_entries)
	n=$(wc -l <"$OUT")
	lo=$(( (before < after ? before : after) - 5 ))
	hi=$(( (before > after ? before : after) + 5 ))
	echo "snapshot $n, /proc $before..$after"
	[ "$n" -ge "$lo" ] && [ "$n" -le "$hi" ]
	# No pid twice.
	[ "$(jq -r '.process.pid' "$OUT" | sort | uniq -d | wc -l)" -eq 0 ]
}

@test "snapshot: the test shell's pid, ppid, exe, cwd and args match /proc" {
	me=$BASHPID
	"$QUARK" snapshot >"$OUT"
	jq -c "select(.process.pid == $me)" "$OUT" >"$BATS_TEST_TMPDIR/me"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/me")" -eq 1 ]
	ppid=$(sed -E 's/.*\) . ([0-9]+) .*/\1/' /proc/$me/stat)
	run jq -r '.process.ppid' "$BATS_TEST_TMPDIR/me"
	assert_output "$ppid"
	run jq -r '.parent.pid' "$BATS_TEST_TMPDIR/me"
	assert_output "$ppid"
	run jq -r '.process.exe' "$BATS_TEST_TMPDIR/me"
	assert_output "$(readlink /proc/$me/exe)"
	run jq -r '.process.cwd' "$BATS_TEST_TMPDIR/me"
	assert_output "$(readlink /proc/$me/cwd)"
	run jq -r '.process.args[]' "$BATS_TEST_TMPDIR/me"
	assert_output "$(tr '\0' '\n' </proc/$me/cmdline)"
	run jq -r '.process.argc' "$BATS_TEST_TMPDIR/me"
	assert_output "$(tr -cd '\0' </proc/$me/cmdline | wc -c)"
	run jq -r '.process.comm' "$BATS_TEST_TMPDIR/me"
	assert_output "$(cat /proc/$me/comm)"
	run jq -r '.process.uid' "$BATS_TEST_TMPDIR/me"
	assert_output "$(id -u)"
}

@test "snapshot: a weird name and a 100 KiB argument come out whole and valid" {
	dir="$BATS_TEST_TMPDIR/bin"
	mkdir -p "$dir"
	name=$'w\xff\n"q\\'
	ln -s /bin/sh "$dir/$name"
	big=$(head -c 102400 /dev/zero | tr '\0' x)
	weird=$'a\xfe\n"b\\\t'
	# Blocks in open(2) on a fifo nobody writes: no child process, and
	# no fd of bats's kept open after the test.
	mkfifo "$dir/fifo"
	FIFO="$dir/fifo" "$dir/$name" -c 'read x <"$FIFO"; :' "$weird" "$big" \
	    </dev/null >/dev/null 2>&1 3>&- &
	WEIRD_PID=$!
	# Wait for the exec: comm becomes the link's name.
	for _ in $(seq 100); do
		[ "$(cat /proc/$WEIRD_PID/comm)" = "$name" ] && break
		sleep 0.05
	done
	[ "$(cat /proc/$WEIRD_PID/comm)" = "$name" ]
	"$QUARK" snapshot >"$OUT"
	run "$CHECK" <"$OUT"
	assert_success
	jq -c "select(.process.pid == $WEIRD_PID)" "$OUT" >"$BATS_TEST_TMPDIR/w"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/w")" -eq 1 ]
	# Five arguments, the last one whole.
	run jq -e '.process.args | length == 5 and .[4] == ("x" * 102400)' "$BATS_TEST_TMPDIR/w"
	assert_success
	run jq -e '.process.argc == 5 and .process.args[1] == "-c"' "$BATS_TEST_TMPDIR/w"
	assert_success
	# Newline, quote, backslash and tab survive; the bad bytes are marked.
	run jq -e '.process.args[3] == "a\ufffd\n\"b\\\t"' "$BATS_TEST_TMPDIR/w"
	assert_success
	run jq -e '.process.comm == "w\ufffd\n\"q\\"' "$BATS_TEST_TMPDIR/w"
	assert_success
	run jq -e '.process.sanitized | index("comm") != null and index("args") != null' "$BATS_TEST_TMPDIR/w"
	assert_success
	# The tree escapes them for the terminal, on one line.
	"$QUARK" snapshot --tree >"$OUT"
	grep -F " $WEIRD_PID w\\xff\\n\"q\\\\  " "$OUT"
}

@test "snapshot --tree: C1 controls and bidirectional overrides escaped, as the text format does" {
	# argv[0] with a CSI, an RLO and an Arabic letter mark.
	name=$'q\xc2\x9b2J\xe2\x80\xaeX\xd8\x9cZ'
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	(exec -a "$name" sh -c 'read x <"$0"; :' "$BATS_TEST_TMPDIR/fifo") \
	    </dev/null >/dev/null 2>&1 3>&- &
	WEIRD_PID=$!
	for _ in $(seq 100); do
		grep -q 2J "/proc/$WEIRD_PID/cmdline" 2>/dev/null && break
		sleep 0.05
	done
	"$QUARK" snapshot --tree >"$OUT"
	run grep -F " $WEIRD_PID " "$OUT"
	assert_success
	assert_output --partial 'q\u{9b}2J\u{202e}X\u{61c}Z'
	# None of the three reaches the terminal as itself.
	run grep -c $'\xc2\x9b\\|\xe2\x80\xae\\|\xd8\x9c' "$OUT"
	assert_output 0
	run "$QUARK" lookup --format text "$WEIRD_PID"
	assert_output --partial 'q\u{9b}2J\u{202e}X\u{61c}Z'
}

@test "snapshot: whole lines, many to a write(2)" {
	command -v strace >/dev/null || fail "strace is not installed"
	# (LeakSanitizer cannot run under ptrace: off, for the ASan build.)
	ASAN_OPTIONS=detect_leaks=0 strace -qq -s 1000000 -e trace=write \
	    -e signal=none -o "$BATS_TEST_TMPDIR/st" "$QUARK" snapshot >"$OUT"
	lines=$(wc -l <"$OUT")
	bytes=$(wc -c <"$OUT")
	[ "$lines" -ge 10 ] || fail "only $lines processes"
	# Each write(2) to stdout: whole lines (its bytes end with a newline).
	writes=$(grep -c '^write(1, ' "$BATS_TEST_TMPDIR/st")
	[ "$(grep '^write(1, ' "$BATS_TEST_TMPDIR/st" | grep -vc '\\n", [0-9]*) = [0-9]*$')" -eq 0 ] ||
	    fail "a write that does not end a line: $(grep '^write(1' "$BATS_TEST_TMPDIR/st" | head -3)"
	# Batches of up to 64 KiB, not one write per line: a batch is written
	# when the next line would not fit, so any two writes in a row carry
	# more than 64 KiB together, whatever the lines' sizes.
	[ "$writes" -le $(( 2 * bytes / 65536 + 1 )) ] ||
	    fail "$writes writes for $lines lines ($bytes bytes)"
}

@test "snapshot | head -1 exits 0 with nothing on stderr" {
	run bash -c '"$1" snapshot --env 2>"$2" | head -1 >/dev/null; echo "${PIPESTATUS[0]}"' _ "$QUARK" "$ERR"
	assert_output "0"
	[ ! -s "$ERR" ]
}

@test "snapshot --tree: pid 1 and the test shell, indented under their parents" {
	me=$BASHPID
	"$QUARK" snapshot --tree >"$OUT"
	grep -qE '^1 ' "$OUT"
	grep -qE "^ +$me " "$OUT"
	# Our shell is deeper than its parent.
	parent=$(sed -E 's/.*\) . ([0-9]+) .*/\1/' /proc/$me/stat)
	pind=$(grep -E "^ *$parent " "$OUT" | head -1 | sed -E 's/[^ ].*//' | wc -c)
	mind=$(grep -E "^ *$me " "$OUT" | head -1 | sed -E 's/[^ ].*//' | wc -c)
	[ "$mind" -eq $((pind + 2)) ]
	# No JSON in tree mode.
	! grep -q '"kind"' "$OUT"
}

@test "snapshot --tree --threads: a thread of a threaded process is listed" {
	"$QUARK" snapshot --tree --threads >"$OUT"
	# {comm} marks threads.
	grep -qE '^ +[0-9]+ \{' "$OUT" || {
		# Only when some process has more than one thread.
		! "$QUARK" snapshot | jq -e -s 'any(.[]; .process.threads > 1)' >/dev/null
	}
}

@test "snapshot --threads: thread records carry pid and tid, and belong to a listed process" {
	"$QUARK" snapshot --threads >"$OUT"
	nthr=$(jq -s '[.[] | select(.process.tid != null)] | length' "$OUT")
	want=$(jq -s '[.[] | select(.process.tid == null) | .process.threads - 1] | add' "$OUT")
	echo "thread records $nthr, expected about $want"
	[ "$nthr" -gt 0 ]
	[ $((nthr - want)) -le 20 ] && [ $((want - nthr)) -le 20 ]
	run jq -e -s '[.[] | select(.process.tid == null) | .process.pid] as $p | all(.[] | select(.process.tid != null); .process.pid as $x | $p | index($x) != null)' "$OUT"
	assert_success
}

@test "snapshot --no-kthreads leaves kernel threads out" {
	"$QUARK" snapshot >"$OUT"
	# kthreadd is pid 2 on a host (not in a container's pid namespace).
	run jq -e -s 'map(select(.process.pid == 2)) | length == 1 and .[0].process.kthread == true' "$OUT"
	assert_success
	"$QUARK" snapshot --no-kthreads >"$OUT"
	run jq -e -s 'all(.[]; .process.kthread != true) and length > 0' "$OUT"
	assert_success
}

@test "snapshot --env: the environment of the test shell" {
	FOO_QUARK_TEST=bar$BASHPID "$QUARK" snapshot --env >"$OUT"
	# The variable is quark's own, not the shell's: look for quark itself.
	run jq -e -s "[.[] | select(.process.env != null) | .process.env[]] | index(\"FOO_QUARK_TEST=bar$BASHPID\") != null" "$OUT"
	assert_success
	"$QUARK" snapshot >"$OUT"
	run jq -e -s 'all(.[]; .process.env == null)' "$OUT"
	assert_success
}

@test "snapshot: usage errors exit 2, -h exits 0" {
	run "$QUARK" snapshot --bogus
	assert_failure 2
	assert_output --partial "usage: quark snapshot"
	run "$QUARK" snapshot extra
	assert_failure 2
	assert_output --partial "usage: quark snapshot"
	run "$QUARK" snapshot -h
	assert_success
	assert_line --index 0 "usage: quark snapshot [-h] [--threads] [--tree] [--no-kthreads] [--env] [--format NAME]"
	assert_line --regexp '^  --tree +print an indented process tree for humans$'
}
