#!/usr/bin/env bats
# quark watch across steps of the wall clock: a record's times are the
# wall clock's at the moment they describe, after a step forward or back
# and for a record still held when the clock steps.  Needs root (it sets
# the clock).
#
# The clock is stepped twice per test (+-1 h, then back), by
# tests/helpers/clockstep, which steps it back itself and keeps it
# stepped for about 0.1 s: other programs on the host see the stepped
# clock meanwhile.  teardown_file steps it back should the helper have
# been killed in between.

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

# step_and_check SECONDS: a marker run right before the step (its record
# still held when the clock steps) and one run on the stepped clock.
step_and_check() {
	local ma="quark-clock-a-$$-$RANDOM$RANDOM" mb="quark-clock-b-$$-$RANDOM$RANDOM"
	local t a b

	run -0 "$QUARK_HELPERS/clockstep" "$1" 100 /bin/true "$ma" -- \
	    /bin/true "$mb"
	mapfile -t t <<<"$output"
	[ "${#t[@]}" -eq 4 ]
	wait_recs "$W" "$from" "$ma" "$HAS_M" --arg m "$ma"
	a=$REC
	wait_recs "$W" "$from" "$mb" "$HAS_M" --arg m "$mb"
	b=$REC
	assert_jq "$a" '.events == ["fork", "exec", "exit"]'
	assert_jq "$b" '.events == ["fork", "exec", "exit"]'
	times_in "$a" "${t[0]}" "${t[1]}"
	times_in "$b" "${t[2]}" "${t[3]}"
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
