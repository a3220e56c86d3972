#!/usr/bin/env bats
# quark watch: a child that never execs has the image (exe, args) its
# parent had when it forked, never one its parent exec'd afterwards.
#
# Seen live: a bash subshell P forks C (a background job, no exec), then
# execs grep; P's record (fork+exec) leaves the queue at its fork's place
# in time order, before C's, and C came out as exe /usr/bin/grep with
# grep's args while its comm said bash.
#
# Needs root; as root a broken capture fails, it never skips.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'watch_helpers'

bats_require_minimum_version 1.5.0

setup_file() {
	export W="$BATS_FILE_TMPDIR/ebpf"
	export SH_EXE TRUE_EXE
	SH_EXE=$(readlink -f /bin/sh)
	TRUE_EXE=$(readlink -f /bin/true)
	watch_start "$W" || true
}

teardown_file() {
	watch_kill "$W"
	[ -z "${NL:-}" ] || watch_kill "$NL"
}

setup() {
	# The background job: ~20,000 shell loop turns, so that it is still
	# running when its parent execs, and ends by itself.
	job='{ i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; }'
}

teardown() {
	[ -z "${I:-}" ] || watch_kill "$I"
}

# ready DIR: quark said so on stderr (watch_start saw a marker record).
ready() {
	run grep -cx 'quark: watch: ready' "$1/err"
	assert_output 1
}

# run_job DIR FORM: run `sh -c SCRIPT` (FORM with @M@ replaced by a fresh
# marker $m; sh's pid in $shpid, the first line after it in $from) and
# wait for the job's record ($JOB): a fork and an exit, $m in its args.  No such
# record in 10 s (the machine busy with a spawn storm, losses) and the
# run is tried again, 3 times at most; a record found is never retried.
run_job() {
	local dir=$1 form=$2 try t0

	for try in 1 2 3; do
		m="quark-inherit-$$-$BATS_TEST_NUMBER-$try-$RANDOM$RANDOM"
		script=${form//@M@/$m}
		from=$(watch_lines "$dir")
		sh -c "$script" &
		shpid=$!
		wait "$shpid"
		t0=$(mono_s)
		while (( $(mono_s) - t0 < 10 )); do
			JOB=$(find_recs "$dir" "$from" "$m" '.kind == "event" and
			    .events == ["fork", "exit"]')
			[ -z "$JOB" ] || return 0
			sleep 0.1
		done
		echo "# try $try: no record of the job in 10 s" >&3
	done
	fail "no record of the job in 3 tries; with $m: $(lines_after "$dir" "$from" | grep -F -f <(printf '%s\n' "$m") | head -c 3000)"
}

# check_job PID...: the job's record ($JOB, one line: it never execs;
# its ppid is 1 by then, its parent exited first) has sh's image: exe,
# and args ["sh", "-c", $script]; its pid is none of PID...  With the
# bug it had true's exe and args [/bin/true, $m]; with no image at all,
# no args and so no $m: run_job found nothing.
check_job() {
	local pid

	run echo "$JOB"
	assert_equal "${#lines[@]}" 1
	assert_jq "$JOB" '.process.exe == $e' --arg e "$SH_EXE"
	assert_jq "$JOB" '.process.args == ["sh", "-c", $s]' --arg s "$script"
	assert_jq "$JOB" '.process.comm == "sh"'
	for pid in "$@"; do
		assert_jq "$JOB" '.process.pid != $p' --argjson p "$pid"
	done
}

@test "watch-inherit: ready on stderr, and a marker shows up" {
	ready "$W"
}

@test "watch-inherit: sh's background job forked before sh execs true has sh's exe and args" {
	run_job "$W" "$job & exec /bin/true @M@"
	check_job "$shpid"
	# sh itself: the record of its exit shows true's image, sh's in
	# process.previous when the record holds both execs.
	wait_recs "$W" "$from" "$m" '.process.pid == $p and
	    any(.events[]; . == "exit")' --argjson p "$shpid"
	assert_jq "$REC" '.process.exe == $t and .process.args == ["/bin/true", $m]' \
	    --arg t "$TRUE_EXE" --arg m "$m"
	assert_jq "$REC" '[.process.previous[]? | .exe] | all(. == $s)' \
	    --arg s "$(readlink -f /bin/sh)"
}

# The live case: the subshell P is forked and execs in one record.  "; :"
# so that dash forks the subshell rather than becoming it.
@test "watch-inherit: a subshell's job forked before the subshell execs true has sh's image, not true's" {
	run_job "$W" "( $job & exec /bin/true @M@ ); :"
	wait_recs "$W" "$from" "$m" '.process.ppid == $p and
	    .process.exe == $t' --argjson p "$shpid" --arg t "$TRUE_EXE"
	sub=$REC
	assert_jq "$sub" '.events == ["fork", "exec", "exit"]'
	assert_jq "$sub" '.process.args == ["/bin/true", $m]' --arg m "$m"
	check_job "$shpid" "$(jq .process.pid <<<"$sub")"
}

# The proc connector reads exe and args from /proc at exec: a process
# gone by then has none (the subshell's true may well).  sh stays a
# second, so that its image is known; the job's comes from the cache.
@test "watch-inherit: the proc connector backend too" {
	I="$BATS_TEST_TMPDIR/netlink"
	# Ready by its stderr line: watch_start's short /bin/true markers may
	# all be gone before the proc connector reads their args from /proc.
	watch_start_ready "$I" --backend netlink
	ready "$I"
	run_job "$I" "( $job & exec /bin/true @M@ ); sleep 1"
	check_job "$shpid"
	watch_stop "$I"
	schema_ok "$I/out"
	I=
}

@test "watch-inherit: SIGINT stops watch with status 0, and every line validates" {
	watch_stop "$W"
	schema_ok "$W/out"
}
