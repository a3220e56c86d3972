#!/usr/bin/env bats
# quark watch: a field is what the kernel did, or absent; never inherited
# past a change quark did not see, never a moment shown as current.  On
# both backends (the netlink one reads /proc after the fact: what it could
# not read must be absent, not the parent's).  Needs root.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'watch_helpers'

bats_require_minimum_version 1.5.0

setup_file() {
	export E="$BATS_FILE_TMPDIR/ebpf" N="$BATS_FILE_TMPDIR/netlink"
	# Predates both: its only record is its exit.
	export PRE_MARK="0.0$RANDOM$RANDOM"
	sleep 1000 "$PRE_MARK" </dev/null >/dev/null 2>&1 3>&- &
	export PRE_PID=$!
	watch_start "$E" --backend ebpf || true
	watch_start "$N" --backend netlink || true
}

teardown_file() {
	kill "$PRE_PID" 2>/dev/null || true
	watch_kill "$E"
	watch_kill "$N"
}

# children DIR FROM FILTER...: the exec records of the children of
# "$m-sh" (FILTER more), once all 300 are out or after WATCH_TIMEOUT s;
# in $lines.
children() {
	local t0=$SECONDS

	for (( ;; )); do
		run find_recs "$1" "$2" "$m" '.kind == "event" and
		    .parent.args[0]? == $m + "-sh" and
		    any(.events[]; . == "exec")'"$3" --arg m "$m" "${@:4}"
		(( ${#lines[@]} >= 300 || SECONDS - t0 >= WATCH_TIMEOUT )) &&
		    break
		sleep 0.2
	done
	echo "# $1: ${#lines[@]} records" >&3
}

setup() {
	H=$QUARK_HELPERS
	m="quark-test-$$-$BATS_TEST_NUMBER-$RANDOM$RANDOM"
	from_e=$(watch_lines "$E")
	from_n=$(watch_lines "$N")
	cd "$BATS_TEST_TMPDIR"
}

@test "watch: a storm of short execs: comm, exe, args, cwd are the child's or absent, never the parent's" {
	cp /bin/true "./storm-$$"
	mkdir sub
	# 300 children of a shell named $m-sh in another directory.
	(cd sub && exec -a "$m-sh" bash -c '
	    for (( i = 0; i < 300; i++ )); do "$0" "$1"; done' \
	    "$BATS_TEST_TMPDIR/storm-$$" "$m")
	for d in "$E:$from_e" "$N:$from_n"; do
		wait_recs "${d%%:*}" "${d#*:}" "$m" \
		    '.kind == "event" and .process.args[0] == $m + "-sh" and
		    any(.events[]; . == "exit")' --arg m "$m"
		children "${d%%:*}" "${d#*:}" ''
		[ "${#lines[@]}" -ge 250 ]
		for l in "${lines[@]}"; do
			assert_jq "$l" '(.process.comm // "storm") | startswith("storm")'
			assert_jq "$l" '(.process.exe // $x) == $x' \
			    --arg x "$BATS_TEST_TMPDIR/storm-$$"
			assert_jq "$l" '(.process.args // [$x, $m]) == [$x, $m]' \
			    --arg x "$BATS_TEST_TMPDIR/storm-$$" --arg m "$m"
			assert_jq "$l" '(.process.cwd // $d) == $d' \
			    --arg d "$BATS_TEST_TMPDIR/sub"
		done
	done
}

@test "watch: a set-uid binary run 300 times: euid is the new one or absent, never the parent's" {
	cp /usr/bin/id "./suid-$$"
	chown nobody "./suid-$$"
	chmod 4755 "./suid-$$"
	# The file system honours set-uid here (else the test means nothing).
	[ "$("./suid-$$" -u)" = "$(id -u nobody)" ]
	(exec -a "$m-sh" bash -c 'for (( i = 0; i < 300; i++ )); do
	    "$0" -u "$1" >/dev/null 2>&1; done' "./suid-$$" "$m") || true
	for d in "$E:$from_e" "$N:$from_n"; do
		wait_recs "${d%%:*}" "${d#*:}" "$m" \
		    '.kind == "event" and .process.args[0] == $m + "-sh" and
		    any(.events[]; . == "exit")' --arg m "$m"
		children "${d%%:*}" "${d#*:}" ''
		[ "${#lines[@]}" -ge 250 ]
		n=0
		for l in "${lines[@]}"; do
			assert_jq "$l" '(.process.euid // $u) == $u' \
			    --argjson u "$(id -u nobody)"
			jq -e '.process | has("euid")' <<<"$l" >/dev/null &&
			    n=$((n + 1))
		done
		echo "# ${d%%:*}: $n of ${#lines[@]} with euid" >&3
	done
	# eBPF: the kernel says it at every exec.
	children "$E" "$from_e" ' and .process.euid == $u' \
	    --argjson u "$(id -u nobody)"
	[ "${#lines[@]}" -ge 250 ]
}

@test "watch: a process that predates quark and exits has no state or threads on its exit record" {
	[ -d "/proc/$PRE_PID" ]
	kill -TERM "$PRE_PID"
	for d in "$E:$from_e" "$N:$from_n"; do
		wait_recs "${d%%:*}" "${d#*:}" '' '.kind == "event" and
		    .process.pid == $p and any(.events[]; . == "exit")' \
		    --argjson p "$PRE_PID"
		assert_jq "$REC" '.process.args == ["sleep", "1000", $m]' \
		    --arg m "$PRE_MARK"
		assert_jq "$REC" '(.process | has("state") | not) and
		    (.process | has("threads") | not)'
	done
	# lookup and snapshot read them now: they have them.
	run -0 "$QUARK" lookup $$
	assert_jq "$output" '.process.state == "S" or .process.state == "R"'
	assert_jq "$output" '.process.threads >= 1'
}

@test "watch: two processes on one pid in one clock tick have two entity_ids" {
	run -0 "$H/samepid" "$m"
	read -r pid ticks ppid <<<"$output"
	# The children of samepid (the netlink backend may not know its
	# args: found by ppid).
	sel='.kind == "event" and .process.pid == $p and .process.ppid == $pp
	    and any(.events[]; . == "exit")'
	for d in "$E:$from_e" "$N:$from_n"; do
		wait_recs "${d%%:*}" "${d#*:}" '' "$sel" \
		    --argjson p "$pid" --argjson pp "$ppid"
		t0=$SECONDS
		while [ "$(wc -l <<<"$RECS")" -lt 2 ] &&
		    (( SECONDS - t0 < WATCH_TIMEOUT )); do
			sleep 0.2
			RECS=$(find_recs "${d%%:*}" "${d#*:}" '' "$sel" \
			    --argjson p "$pid" --argjson pp "$ppid")
		done
		echo "# ${d%%:*}: $(jq -c '[.process.entity_id, .process.start_time, .process.start_boottime_ns]' <<<"$RECS" | tr '\n' ' ')" >&3
		[ "$(wc -l <<<"$RECS")" -eq 2 ]
		# Ids never shared (the netlink backend may not have them:
		# the children are gone before /proc is read).
		jq -s -e '[.[].process.entity_id | select(. != null)] |
		    length == (unique | length)' <<<"$RECS"
	done
	# The kernel knows both starts: two ids, the same start tick.
	RECS=$(find_recs "$E" "$from_e" '' "$sel" --argjson p "$pid" \
	    --argjson pp "$ppid")
	jq -s -e 'length == 2 and .[0].process.start_time ==
	    .[1].process.start_time and .[0].process.entity_id !=
	    .[1].process.entity_id and .[0].process.start_boottime_ns !=
	    .[1].process.start_boottime_ns' <<<"$RECS"
}

@test "watch, lookup and snapshot: a live process has one entity_id" {
	(exec -a "$m" sleep 30) &
	pid=$!
	for d in "$E:$from_e" "$N:$from_n"; do
		wait_recs "${d%%:*}" "${d#*:}" "$m" '.kind == "event" and
		    .process.pid == $p and .process.args[0] == $m' \
		    --arg m "$m" --argjson p "$pid"
		w=$(jq -r .process.entity_id <<<"$REC")
		[ "$w" != null ]
		run -0 "$QUARK" lookup "$pid"
		assert_jq "$output" '.process.entity_id == $w' --arg w "$w"
		run -0 "$QUARK" snapshot
		r=$(jq -c --argjson p "$pid" 'select(.process.pid == $p)' \
		    <<<"$output")
		assert_jq "$r" '.process.entity_id == $w' --arg w "$w"
	done
	kill "$pid"
}

@test "watch-fields: both instances stop on SIGINT and exit 0" {
	watch_stop "$E"
	watch_stop "$N"
}
