#!/usr/bin/env bats
# quark lookup: live, dead and invalid pids, --ancestors.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	QUARK=${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}
	CHECK="$BATS_TEST_DIRNAME/../schema-check"
	OUT="$BATS_TEST_TMPDIR/out"
	ERR="$BATS_TEST_TMPDIR/err"
}

# A pid that existed a moment ago and exists no more.
dead_pid() {
	true &
	local p=$!
	wait "$p"
	echo "$p"
}

@test "lookup: a live pid prints one valid line about it" {
	me=$BASHPID
	"$QUARK" lookup "$me" >"$OUT" 2>"$ERR"
	[ ! -s "$ERR" ]
	[ "$(wc -l <"$OUT")" -eq 1 ]
	run "$CHECK" <"$OUT"
	assert_success
	run jq -e --argjson me "$me" '.kind == "snapshot" and .process.pid == $me and .process.exe == "'"$(readlink /proc/$me/exe)"'"' "$OUT"
	assert_success
	ppid=$(sed -E 's/.*\) . ([0-9]+) .*/\1/' /proc/$me/stat)
	run jq -r '.parent.pid' "$OUT"
	assert_output "$ppid"
}

@test "lookup: a dead pid is reported on stderr, status 1, nothing on stdout" {
	d=$(dead_pid)
	run "$QUARK" lookup "$d"
	assert_failure 1
	assert_output "quark: lookup: $d: no such process"
}

@test "lookup: a dead pid among live ones: the live ones are still printed" {
	d=$(dead_pid)
	me=$BASHPID
	set +e
	"$QUARK" lookup 1 "$d" "$me" >"$OUT" 2>"$ERR"
	st=$?
	set -e
	[ "$st" -eq 1 ]
	[ "$(cat "$ERR")" = "quark: lookup: $d: no such process" ]
	run jq -r '.process.pid' "$OUT"
	assert_output "1
$me"
}

@test "lookup: abc, 12abc, 0, -5 and huge numbers are usage errors (status 2)" {
	for bad in abc 12abc 0 -5 99999999999 ''; do
		run "$QUARK" lookup "$bad"
		echo "arg '$bad': $status"
		assert_failure 2
		assert_output --partial "usage: quark lookup"
	done
	# Nothing is printed for the good pids before a bad one.
	run "$QUARK" lookup 1 abc
	assert_failure 2
	refute_output --partial '"kind"'
}

@test "lookup: no pid, or a bad option, is a usage error; -h is not" {
	run "$QUARK" lookup
	assert_failure 2
	assert_output --partial "usage: quark lookup"
	run "$QUARK" lookup --bogus 1
	assert_failure 2
	run "$QUARK" lookup -h
	assert_success
	assert_line --index 0 "usage: quark lookup [-h] [--ancestors] [--env] [--format NAME] PID ..."
	assert_line --regexp '^  --ancestors +follow each process with its ancestors$'
}

@test "lookup --ancestors: from the test shell up to pid 1, each line's parent is the next" {
	me=$BASHPID
	"$QUARK" lookup --ancestors "$me" >"$OUT"
	run "$CHECK" <"$OUT"
	assert_success
	run jq -r '.process.pid' "$OUT"
	[ "${lines[0]}" = "$me" ]
	[ "${lines[${#lines[@]} - 1]}" = "1" ]
	[ "${#lines[@]}" -ge 2 ]
	# ppid of line i is the pid of line i+1, and the parent object agrees.
	run jq -e -s '. as $a | all(range(0; length - 1); $a[.].process.ppid == $a[. + 1].process.pid and $a[.].parent.pid == $a[. + 1].process.pid)' "$OUT"
	assert_success
	# Each pid once.
	[ "$(jq -r '.process.pid' "$OUT" | sort | uniq -d | wc -l)" -eq 0 ]
}

@test "lookup --ancestors 1: pid 1 alone, with no parent" {
	"$QUARK" lookup --ancestors 1 >"$OUT"
	[ "$(wc -l <"$OUT")" -eq 1 ]
	run jq -e '.process.pid == 1 and .parent == null' "$OUT"
	assert_success
}

@test "lookup --env: the environment is there only when asked" {
	QUARK_LOOKUP_T=1 sh -c 'exec sleep 30' </dev/null >/dev/null 2>&1 3>&- &
	p=$!
	for _ in $(seq 100); do
		grep -q sleep /proc/$p/comm 2>/dev/null && break
		sleep 0.05
	done
	run jq -e '.process.env | index("QUARK_LOOKUP_T=1") != null' < <("$QUARK" lookup --env "$p")
	st1=$status
	run jq -e '.process.env == null' < <("$QUARK" lookup "$p")
	st2=$status
	kill "$p"; wait "$p" || true
	[ "$st1" -eq 0 ] && [ "$st2" -eq 0 ]
}

@test "lookup | head -1 exits 0 with nothing on stderr" {
	run bash -c 'pids=$(ls /proc | grep "^[0-9]" | head -50); "$1" lookup --ancestors $pids 2>"$2" | head -1 >/dev/null; echo "${PIPESTATUS[0]}"' _ "$QUARK" "$ERR"
	assert_output "0"
	# Processes that exit meanwhile are reported; nothing else.
	run grep -v 'no such process' "$ERR"
	assert_failure
}
