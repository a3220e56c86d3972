# watch_helpers.bash - run `quark watch` in the background of a bats test
# and find its records.
#
# An instance lives in a directory DIR: DIR/out (stdout), DIR/err
# (stderr), DIR/pid (quark's pid) and, once quark has ended, DIR/rc (its
# exit status as wait(1) reports it: 128+N when killed by signal N).
#
# Records are found by something unique to the test (a marker argument or
# an exe path) and only among the lines written after the test began
# (`from`): pids are reused quickly here (pid_max can be 32768).

# mono_s: whole seconds of the boot clock.  Timeouts use it, not bash's
# SECONDS, which follows the wall clock: a test that steps the clock
# (watch-clock.bats) must not time out every wait running meanwhile.
mono_s() {
	local up

	read -r up _ </proc/uptime
	echo "${up%.*}"
}

QUARK=${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}
QUARK_HELPERS=${QUARK_HELPERS:-$BATS_TEST_DIRNAME/../../build/tests/helpers}
SCHEMA_CHECK=$BATS_TEST_DIRNAME/../schema-check
# Seconds to wait for quark to be ready, or for a record to show up.
WATCH_TIMEOUT=${WATCH_TIMEOUT:-20}

# watch_launch DIR [OPTION...]: `quark watch OPTION...` in the background,
# its files in DIR; returns once DIR/pid is written.
watch_launch() {
	local dir=$1

	shift
	mkdir -p "$dir"
	rm -f "$dir/out" "$dir/err" "$dir/pid" "$dir/rc"
	# fd 3 closed: bats waits for every holder of it before ending.
	(
		rc=0
		"$QUARK" watch "$@" >"$dir/out" 2>"$dir/err" &
		echo $! >"$dir/pid"
		wait $! || rc=$?
		echo "$rc" >"$dir/rc"
	) </dev/null >/dev/null 2>&1 3>&- &
	while [ ! -s "$dir/pid" ]; do
		sleep 0.01
	done
}

# watch_waiting DIR T0 WHY [OPTION...]: while waiting for quark watch
# OPTION... in DIR to be ready since T0 (mono_s): fail (and return 1) if
# it exited, or if WATCH_TIMEOUT passed (killing it; WHY says more).
watch_waiting() {
	local dir=$1 t0=$2 why=$3

	shift 3
	if [ -s "$dir/rc" ]; then
		fail "quark watch $* exited $(cat "$dir/rc") before it was ready: $(cat "$dir/err")"
		return 1
	fi
	if (( $(mono_s) - t0 >= WATCH_TIMEOUT )); then
		kill -KILL "$(cat "$dir/pid")" 2>/dev/null || true
		fail "quark watch $* not ready after $WATCH_TIMEOUT s${why:+ $why}: $(cat "$dir/err")"
		return 1
	fi
}

# watch_start DIR [OPTION...]: start `quark watch OPTION...`; return once
# a marker process run after the start has its record in DIR/out.
watch_start() {
	local dir=$1 prefix i=0 t0=$(mono_s)

	shift
	watch_launch "$dir" "$@"
	prefix="quark-ready-$$-$RANDOM-"
	for (( ;; i++ )); do
		# The proc connector reads args from /proc after the exec: a
		# marker that lives a moment has them (a bare true may not).
		case " $* " in
		*" netlink "*) sh -c 'sleep 0.1; :' "$prefix$i" ;;
		*) /bin/true "$prefix$i" ;;
		esac
		if grep -qF -f <(printf '%s\n' "$prefix") "$dir/out"; then
			echo "# quark watch $* ready after $(($(mono_s) - t0)) s," \
			    "$i markers" >&3
			return 0
		fi
		watch_waiting "$dir" "$t0" "(no record of $prefix*)" "$@" ||
		    return 1
		sleep 0.2
	done
}

# watch_start_ready DIR [OPTION...]: like watch_start, but done once
# quark says "ready" on stderr (attached, cache seeded).  For the netlink
# backend, whose records of short-lived markers may lack their args.
watch_start_ready() {
	local dir=$1 t0=$(mono_s)

	shift
	watch_launch "$dir" "$@"
	until grep -q '^quark: watch: ready$' "$dir/err" 2>/dev/null; do
		watch_waiting "$dir" "$t0" "" "$@" || return 1
		sleep 0.05
	done
}

# watch_stop DIR [SIGNAL]: send SIGNAL (INT) and fail unless quark exits
# 0 within 10 s.
watch_stop() {
	local dir=$1 sig=${2:-INT} i rc

	[ -s "$dir/pid" ] || return 0
	kill -s "$sig" "$(cat "$dir/pid")" 2>/dev/null || true
	for (( i = 0; i < 1000; i++ )); do
		[ -s "$dir/rc" ] && break
		sleep 0.01
	done
	if [ ! -s "$dir/rc" ]; then
		kill -KILL "$(cat "$dir/pid")" 2>/dev/null || true
		fail "quark watch did not exit within 10 s of SIG$sig"
		return 1
	fi
	rc=$(cat "$dir/rc")
	if [ "$rc" -ne 0 ]; then
		fail "quark watch exited $rc after SIG$sig; stderr: $(cat "$dir/err")"
		return 1
	fi
}

# watch_kill DIR: end an instance without asserting anything (cleanup).
watch_kill() {
	local dir=$1 i

	[ -s "$dir/pid" ] && [ ! -s "$dir/rc" ] || return 0
	kill -INT "$(cat "$dir/pid")" 2>/dev/null || true
	for (( i = 0; i < 300; i++ )); do
		[ -s "$dir/rc" ] && return 0
		sleep 0.01
	done
	kill -KILL "$(cat "$dir/pid")" 2>/dev/null || true
}

# watch_lines DIR: how many complete lines DIR/out has now.
watch_lines() {
	wc -l <"$1/out"
}

# lines_after DIR FROM: the complete lines after line FROM (a line being
# written has no newline yet and is left out).
lines_after() {
	local n

	n=$(wc -l <"$1/out")
	[ "$n" -gt "$2" ] || return 0
	sed -n "$(($2 + 1)),${n}p" "$1/out"
}

# jq_env FILTER [--arg NAME VALUE | --argjson NAME JSON]...: run jq -c
# with FILTER on stdin, the values passed through the environment and
# not as arguments.  A marker in jq's own arguments would put it in jq's
# own record, which the search would then find.  A subshell: the
# exports stay in it.
jq_env() (
	local filter=$1 pre= n=0 opts=-c

	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--arg)
			export "QJ_$2=$3"
			pre="$pre\$ENV.QJ_$2 as \$$2 | "
			shift 3 ;;
		--argjson)
			export "QJ_$2=$3"
			pre="$pre(\$ENV.QJ_$2 | fromjson) as \$$2 | "
			shift 3 ;;
		-e)
			opts="$opts -e"
			shift ;;
		*)
			echo "jq_env: bad argument $1" >&2
			return 2 ;;
		esac
	done
	jq $opts "$pre$filter"
)

# find_recs DIR FROM STRING FILTER [JQ_ARG...]: the lines after FROM that
# contain STRING and for which the jq FILTER is true, one per line.
# STRING reaches grep through a file, for the reason given above jq_env.
find_recs() {
	local dir=$1 from=$2 str=$3 filter=$4

	shift 4
	lines_after "$dir" "$from" | grep -F -f <(printf '%s\n' "$str") |
	    jq_env "select($filter)" "$@"
	return 0
}

# wait_recs DIR FROM STRING FILTER [JQ_ARG...]: wait until find_recs has
# a record; fail after WATCH_TIMEOUT s.  Leaves the records in $RECS and
# the last one in $REC.
wait_recs() {
	local t0=$(mono_s)

	for (( ;; )); do
		RECS=$(find_recs "$@")
		if [ -n "$RECS" ]; then
			REC=$(tail -n 1 <<<"$RECS")
			return 0
		fi
		if [ -s "$1/rc" ]; then
			fail "quark watch exited $(cat "$1/rc") while waiting for select($4): $(cat "$1/err")"
			return 1
		fi
		if (( $(mono_s) - t0 >= WATCH_TIMEOUT )); then
			fail "no record with '$3' and select($4) after $WATCH_TIMEOUT s; records with '$3': $(lines_after "$1" "$2" | grep -F -f <(printf '%s\n' "$3") | head -c 4000)"
			return 1
		fi
		sleep 0.1
	done
}

# barrier DIR: run a marker process and wait for its record.  A record
# leaves once it is whole and its events are in the cache, which happens
# in time order: every record that was whole before the marker ran (a
# process that exited, a thread record) is out once the marker's is
# (unless marked late).  A process still running may not be.
barrier() {
	local m="quark-barrier-$$-$RANDOM$RANDOM"

	/bin/true "$m"
	wait_recs "$1" 0 "$m" 'any(.process.args[]?; . == $m)' --arg m "$m"
}

# has_arg MARK: the jq filter for "an event record whose args hold MARK"
# (MARK given as $m).
HAS_M='.kind == "event" and any(.process.args[]?; . == $m)'

# assert_jq JSON FILTER [JQ_ARG...]: fail, showing JSON, unless FILTER is
# true for it.
assert_jq() {
	local json=$1 filter=$2

	shift 2
	if ! jq_env "$filter" -e "$@" <<<"$json" >/dev/null; then
		fail "$(printf 'false: %s\nfor: %s' "$filter" "$json" | head -c 4000)"
		return 1
	fi
}

# schema_ok FILE: every line of FILE validates against the schema.
schema_ok() {
	run "$SCHEMA_CHECK" <"$1"
	if [ "$status" -ne 0 ]; then
		fail "$1 does not validate: $output"
		return 1
	fi
}

# argv_size ARG...: bytes of the argument vector, NULs included.
argv_size() {
	printf '%s\0' "$@" | wc -c
}
