#!/usr/bin/env bats
# quark watch across steps of the wall clock: a record's times are the
# wall clock's at the moment they describe, after a step forward or back
# and for a record still held when the clock steps.  Needs root (it sets
# the clock).
#
# The clock is stepped twice per test (+-1 h, then back), by
# tests/helpers/clockstep, which steps it back itself as soon as the test
# is done on the stepped clock (about 0.1 s; 5 s at most): other programs
# on the host see the stepped clock meanwhile.  teardown_file steps it
# back should the helper have been killed in between.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'watch_helpers'

bats_require_minimum_version 1.5.0

# realtime - boottime, whole seconds.
wall_off() {
	local up

	read -r up _ </proc/uptime
	echo $(( $(date +%s) - ${up%.*} ))
}

setup_file() {
	export W="$BATS_FILE_TMPDIR/w"
	export OFF0=$(wall_off)
	watch_start "$W" || true
}

teardown_file() {
	local d

	watch_kill "$W"
	# Never leave the clock stepped: put back a step of >= 30 min.
	d=$(( OFF0 - $(wall_off) ))
	if (( d > 1800 || d < -1800 )); then
		"$QUARK_HELPERS/clockstep" "$d"
		echo "# the clock was left stepped by $(( -d )) s: stepped back" >&3
	fi
}

setup() {
	from=$(watch_lines "$W")
	tick=$(( 1000000000 / $(getconf CLK_TCK) ))
}

# ns RFC3339: its nanoseconds since the epoch.
ns() {
	date -u -d "$1" +%s%N
}

# between KEY VALUE LO HI: LO <= VALUE <= HI, within 1 ms.
between() {
	local v
	v=$(ns "$2")
	if (( v < $3 - 1000000 || v > $4 + 1000000 )); then
		fail "$1 $2 is $(( v < $3 ? ($3 - v) / 1000000 : (v - $4) / 1000000 )) ms outside [$(date -u -d @$(( $3 / 1000000000 )) +%T), $(date -u -d @$(( $4 / 1000000000 )) +%T)]"
		return 1
	fi
}

# times_in REC LO HI: the record's time, start and exit times.
times_in() {
	between time "$(jq -r .time <<<"$1")" "$2" "$3" &&
	between exit.time "$(jq -r .process.exit.time <<<"$1")" "$2" "$3" &&
	between start_time "$(jq -r .process.start_time <<<"$1")" \
	    $(( $2 - tick - 1000000 )) "$3"
}

# now_ns: the wall clock, as `date` tells it.
now_ns() {
	date +%s%N
}

# wait_fast DIR STRING: wait_recs for one marker, polling every 20 ms
# (the clock is stepped meanwhile: keep that short).
wait_fast() {
	local i

	for (( i = 0; i < 1000; i++ )); do
		REC=$(find_recs "$1" "$from" "$2" "$HAS_M" --arg m "$2" | tail -n 1)
		[ -z "$REC" ] || return 0
		sleep 0.02
	done
	fail "no record of $2"
}

# step_and_check SECONDS: a marker run right before the step (its record
# still held when the clock steps, at least on an idle host), then the
# clock stepped and, once quark has noticed (a probe marker's record has
# the stepped wall time; the probes that did not are the wake-up's
# latency), one run on the stepped clock.  Each record's times must lie
# between `date`s taken around its run.
step_and_check() {
	local ma="quark-clock-a-$$-$RANDOM$RANDOM" mb="quark-clock-b-$$-$RANDOM$RANDOM"
	local hold="$BATS_TEST_TMPDIR/hold" held="$BATS_TEST_TMPDIR/held"
	local t0 t1 t2 t3 p0 p1 mp a b i hp rc=0

	mkfifo "$hold"
	t0=$(now_ns); /bin/true "$ma"; t1=$(now_ns)
	"$QUARK_HELPERS/clockstep" "$1" 5000 <"$hold" >"$held" &
	hp=$!
	exec 5>"$hold"
	until grep -q stepped "$held"; do sleep 0.005; done
	for (( i = 0; i < 10; i++ )); do
		mp="quark-clock-p$i-$$-$RANDOM$RANDOM"
		p0=$(now_ns); /bin/true "$mp"; p1=$(now_ns)
		wait_fast "$W" "$mp"
		between probe "$(jq -r .time <<<"$REC")" "$p0" "$p1" \
		    2>/dev/null && break
	done
	t2=$(now_ns); /bin/true "$mb"; t3=$(now_ns)
	exec 5>&-
	wait "$hp" || rc=$?
	echo "# stepped $1 s; $i probe(s) before quark had noticed" >&3
	[ "$rc" -eq 0 ] || fail "clockstep exited $rc: $(cat "$held")"
	wait_recs "$W" "$from" "$ma" "$HAS_M" --arg m "$ma"
	a=$REC
	wait_recs "$W" "$from" "$mb" "$HAS_M" --arg m "$mb"
	b=$REC
	assert_jq "$a" '.events == ["fork", "exec", "exit"]'
	assert_jq "$b" '.events == ["fork", "exec", "exit"]'
	times_in "$a" "$t0" "$t1"
	times_in "$b" "$t2" "$t3"
}

@test "watch: after the clock steps 1 h forward, records have the wall time of their moment" {
	step_and_check 3600
}

@test "watch: after the clock steps 1 h back, records have the wall time of their moment" {
	step_and_check -3600
}

@test "watch: a clock step prints nothing" {
	watch_stop "$W"
	run grep -v '^quark: watch: ready$' "$W/err"
	assert_output ''
}
