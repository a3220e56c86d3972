#!/usr/bin/env bats
# quark watch: run known workloads under a live `quark watch` (the eBPF
# backend) and assert the exact records.  Needs root; as root every test
# fails, never skips, when capture does not work.
#
# One instance ($W, with --stats) serves most tests and is stopped by the
# last test; tests that need other options start their own.  Each test
# finds its records by a marker of its own among the lines written after
# it began.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'watch_helpers'

bats_require_minimum_version 1.5.0

setup_file() {
	export W="$BATS_FILE_TMPDIR/shared"
	# A process that predates quark, killed by a test while quark runs.
	export PRE_MARK="0.0$RANDOM$RANDOM"
	sleep 1000 "$PRE_MARK" </dev/null >/dev/null 2>&1 3>&- &
	export PRE_PID=$!
	export TRACEFS_MOUNTS=$(grep -c ' /sys/kernel/tracing ' /proc/self/mounts)
	"$QUARK" lookup "$PRE_PID" >"$BATS_FILE_TMPDIR/pre.lookup"
	# A failed start fails every test that uses $W (the reason is in
	# $W/err), not the others.
	watch_start "$W" --stats || true
}

teardown_file() {
	kill "$PRE_PID" 2>/dev/null || true
	watch_kill "$W"
}

setup() {
	H=$QUARK_HELPERS
	m="quark-test-$$-$BATS_TEST_NUMBER-$RANDOM$RANDOM"
	from=$(watch_lines "$W")
	st=0
}

# not_ready FILE: stderr without the line saying capture has started.
not_ready() {
	grep -v '^quark: watch: ready$' "$1" || true
}

# Bytes of argv a truncated record kept: the last argument, cut, has no NUL.
KEPT='([.process.args[:-1][] | utf8bytelength + 1] | add) +
    (.process.args[-1] | utf8bytelength)'

teardown() {
	# A test's own instance must stop on SIGINT and exit 0.
	if [ -n "${I:-}" ]; then
		watch_stop "$I"
	fi
	if [ -n "${BG:-}" ]; then
		kill -KILL "$BG" 2>/dev/null || true
		wait "$BG" 2>/dev/null || true
	fi
}

@test "watch: a copy of true run as ./true-N is one fork+exec+exit record: exe absolute, filename relative, args, cwd, ppid, uids, exit 0, parent" {
	d=$(mktemp -d "$BATS_TEST_TMPDIR/cwd.XXXXXX")
	d=$(cd "$d" && pwd -P)
	name="true-$RANDOM$RANDOM"
	copy="$d/$name"
	cp /bin/true "$copy"
	me=$BASHPID
	cd "$d"
	"./$name" one "two words" "" "$m" &
	pid=$!
	wait "$pid"
	cd /
	wait_recs "$W" "$from" "$copy" '.process.pid == $p and
	    any(.events[]; . == "exit")' --argjson p "$pid"
	run find_recs "$W" "$from" "$copy" '.process.exe == $c' --arg c "$copy"
	assert_equal "${#lines[@]}" 1
	r=$REC
	assert_jq "$r" '.kind == "event" and .events == ["fork", "exec", "exit"]'
	# exe resolved, filename as given to execve(2).
	assert_jq "$r" '.process.exe == $c' --arg c "$copy"
	assert_jq "$r" '.process.filename == $f' --arg f "./$name"
	assert_jq "$r" '.process.args == [$f, "one", "two words", "", $m]' \
	    --arg f "./$name" --arg m "$m"
	assert_jq "$r" '.process.argc == 5 and .process.args_size == $n and
	    (has("args_truncated") | not)' \
	    --argjson n "$(argv_size "./$name" one "two words" "" "$m")"
	assert_jq "$r" '.process.cwd == $d and (.process | has("cwd_truncated") | not)' \
	    --arg d "$d"
	assert_jq "$r" '.process.comm == $n' --arg n "${name:0:15}"
	assert_jq "$r" '.process.ppid == $me and .parent.pid == $me' \
	    --argjson me "$me"
	assert_jq "$r" '.parent.exe == $e' --arg e "$(readlink /proc/$me/exe)"
	assert_jq "$r" '.process.uid == $u and .process.euid == $u and
	    .process.gid == $g and .process.egid == $g' \
	    --argjson u "$(id -u)" --argjson g "$(id -g)"
	assert_jq "$r" '.process.exit == (.process.exit | {code, core_dumped,
	    time, time_ns}) and .process.exit.code == 0 and
	    .process.exit.core_dumped == false'
	assert_jq "$r" '.process | has("start_time") and has("entity_id") and
	    has("start_boottime_ns")'
	assert_jq "$r" '(has("late") or has("stale")) | not'
}

# sh execs env, which execs true: one record, the process as true made
# it, the images sh and env installed in process.previous, in time order,
# each as its exec reported it.
@test "watch: a process that execs twice more is one record, the earlier images in process.previous" {
	sh_exe=$(readlink -f /bin/sh)
	env_exe=$(readlink -f /usr/bin/env)
	true_exe=$(readlink -f /bin/true)
	script='exec /usr/bin/env /bin/true "$0"'
	/bin/sh -c "$script" "$m" &
	pid=$!
	wait "$pid"
	wait_recs "$W" "$from" "$m" '.process.pid == $p and
	    any(.events[]; . == "exit")' --argjson p "$pid"
	barrier "$W"
	run find_recs "$W" "$from" "$m" '.kind == "event" and .process.pid == $p' \
	    --argjson p "$pid"
	assert_equal "${#lines[@]}" 1
	r=${lines[0]}
	echo "# $(jq -c '{events, previous: .process.previous}' <<<"$r")" >&3
	assert_jq "$r" '.events == ["fork", "exec", "exec", "exec", "exit"]'
	assert_jq "$r" '.process.exe == $e and .process.filename == "/bin/true" and
	    .process.args == ["/bin/true", $m] and .process.argc == 2 and
	    .process.comm == "true" and .process.exit.code == 0' \
	    --arg e "$true_exe" --arg m "$m"
	assert_jq "$r" '.process.previous | length == 2'
	assert_jq "$r" '.process.previous[0] | .exe == $e and
	    .filename == "/bin/sh" and .comm == "sh" and
	    .args == ["/bin/sh", "-c", $s, $m] and .argc == 4 and
	    .args_size == $n' --arg e "$sh_exe" --arg s "$script" --arg m "$m" \
	    --argjson n "$(argv_size /bin/sh -c "$script" "$m")"
	assert_jq "$r" '.process.previous[1] | .exe == $e and
	    .filename == "/usr/bin/env" and .comm == "env" and
	    .args == ["/usr/bin/env", "/bin/true", $m] and .argc == 3' \
	    --arg e "$env_exe" --arg m "$m"
	assert_jq "$r" '.process.previous[0].time_ns < .process.previous[1].time_ns
	    and .process.previous[1].time_ns <= .process.exit.time_ns and
	    .time_ns <= .process.previous[0].time_ns'
	assert_jq "$r" '.process | has("previous_dropped") | not'
}

@test "watch: a #!/bin/sh script: exe is the interpreter, filename the script, args as the kernel rewrites them" {
	d=$(mktemp -d "$BATS_TEST_TMPDIR/script.XXXXXX")
	d=$(cd "$d" && pwd -P)
	name="script-$RANDOM$RANDOM.sh"
	s="$d/$name"
	printf '#!/bin/sh\nexit 0\n' >"$s"
	chmod +x "$s"
	interp=$(readlink -f /bin/sh)
	[ "$interp" != /bin/sh ] || fail "cannot resolve /bin/sh"
	"$s" one "$m" &
	pid=$!
	wait "$pid"
	wait_recs "$W" "$from" "$m" "$HAS_M and .process.pid == \$p and
	    any(.events[]; . == \"exit\")" --arg m "$m" --argjson p "$pid"
	assert_jq "$REC" '.events == ["fork", "exec", "exit"] and
	    .process.exit.code == 0'
	assert_jq "$REC" '.process.exe == $i' --arg i "$interp"
	assert_jq "$REC" '.process.filename == $s' --arg s "$s"
	# The kernel puts the interpreter (as the #! line names it) and the
	# script's path before the caller's arguments.
	assert_jq "$REC" '.process.args == ["/bin/sh", $s, "one", $m] and
	    .process.argc == 4' --arg s "$s" --arg m "$m"
	assert_jq "$REC" '.process.comm == $n' --arg n "${name:0:15}"
}

@test "watch: exec through a symbolic link: exe is the target, filename the link" {
	d=$(mktemp -d "$BATS_TEST_TMPDIR/link.XXXXXX")
	d=$(cd "$d" && pwd -P)
	ln -s /bin/true "$d/link-to-true"
	target=$(readlink -f /bin/true)
	"$d/link-to-true" "$m"
	wait_recs "$W" "$from" "$m" "$HAS_M and any(.events[]; . == \"exit\")" \
	    --arg m "$m"
	assert_jq "$REC" '.process.exe == $t and .process.filename == $l and
	    .process.args == [$l, $m]' --arg t "$target" \
	    --arg l "$d/link-to-true" --arg m "$m"
}

@test "watch: exit code 3" {
	sh -c 'exit 3' "$m" &
	pid=$!
	wait "$pid" || st=$?
	assert_equal "$st" 3
	wait_recs "$W" "$from" "$m" "$HAS_M and any(.events[]; . == \"exit\")" \
	    --arg m "$m"
	assert_jq "$REC" '.events == ["fork", "exec", "exit"] and
	    .process.pid == $p' --argjson p "$pid"
	assert_jq "$REC" '.process.exit.code == 3 and
	    (.process.exit | has("signal") | not) and
	    .process.exit.core_dumped == false'
}

@test "watch: a process killed by SIGKILL reports signal 9 and no code" {
	sh -c 'kill -KILL $$' "$m" &
	pid=$!
	wait "$pid" || st=$?
	assert_equal "$st" 137
	wait_recs "$W" "$from" "$m" "$HAS_M and any(.events[]; . == \"exit\")" \
	    --arg m "$m"
	assert_jq "$REC" '.events == ["fork", "exec", "exit"] and
	    .process.pid == $p' --argjson p "$pid"
	assert_jq "$REC" '.process.exit.signal == 9 and
	    (.process.exit | has("code") | not) and
	    .process.exit.core_dumped == false'
}

@test "watch: a core dump is flagged" {
	cd "$BATS_TEST_TMPDIR"
	read -r pid dumped < <("$H/coredump" "$m")
	cd /
	[ -n "$pid" ]
	wait_recs "$W" "$from" "$m" '.process.pid == $p and
	    any(.events[]; . == "exit")' --argjson p "$pid"
	assert_jq "$REC" '.events == ["fork", "exit"]'
	assert_jq "$REC" '.process.exit.signal == 6 and
	    (.process.exit | has("code") | not)'
	if [ "$dumped" != core ]; then
		assert_jq "$REC" '.process.exit.core_dumped == false'
		skip "no core dump here (core_pattern '$(cat /proc/sys/kernel/core_pattern)', RLIMIT_CORE hard limit $(ulimit -Hc))"
	fi
	assert_jq "$REC" '.process.exit.core_dumped == true'
}

@test "watch: 5,000 arguments under the cap come out whole, argc and args_size exact" {
	set -- /bin/true "$m" $(seq 1 4998)
	size=$(argv_size "$@")
	[ "$size" -lt 32768 ]
	"$@"
	wait_recs "$W" "$from" "$m" "$HAS_M" --arg m "$m"
	assert_jq "$REC" '.events == ["fork", "exec", "exit"]'
	assert_jq "$REC" '.process.argc == 5000 and .process.args_size == $n and
	    (.process | has("args_truncated") | not)' --argjson n "$size"
	assert_equal "$(jq -r '.process.args[]' <<<"$REC")" "$(printf '%s\n' "$@")"
}

@test "watch: a 100 KiB argument is cut at the default 32 KiB cap, flagged, argc and args_size real" {
	big=$(head -c 102400 /dev/zero | tr '\0' x)
	size=$(argv_size /bin/true "$m" "$big")
	/bin/true "$m" "$big"
	wait_recs "$W" "$from" "$m" "$HAS_M" --arg m "$m"
	assert_jq "$REC" '.process.argc == 3 and .process.args_size == $n and
	    .process.args_truncated == true' --argjson n "$size"
	assert_jq "$REC" '.process.args[0:2] == ["/bin/true", $m]' --arg m "$m"
	# What is kept fits in the cap, NULs counted (the cut one has none).
	assert_jq "$REC" "$KEPT <= 32768"
	assert_jq "$REC" 'all(.process.args[2:][]; test("^x*$"))'
}

@test "watch: 5,000 arguments over the 32 KiB cap: a whole prefix is kept, flagged, argc and args_size real" {
	set -- /bin/true "$m" $(seq -f 'arg-%06g' 1 4998)
	size=$(argv_size "$@")
	[ "$size" -gt 32768 ]
	"$@"
	wait_recs "$W" "$from" "$m" "$HAS_M" --arg m "$m"
	assert_jq "$REC" '.process.argc == 5000 and .process.args_size == $n and
	    .process.args_truncated == true' --argjson n "$size"
	assert_jq "$REC" "$KEPT <= 32768"
	# Every argument kept is the real one; the last may be cut short.
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/real"
	jq -r '.process.args[]' <<<"$REC" >"$BATS_TEST_TMPDIR/kept"
	k=$(wc -l <"$BATS_TEST_TMPDIR/kept")
	[ "$k" -gt 2 ] && [ "$k" -lt 5000 ]
	assert_equal "$(head -n $((k - 1)) "$BATS_TEST_TMPDIR/kept")" \
	    "$(head -n $((k - 1)) "$BATS_TEST_TMPDIR/real")"
	last=$(tail -n 1 "$BATS_TEST_TMPDIR/kept")
	real=$(sed -n "${k}p" "$BATS_TEST_TMPDIR/real")
	assert_equal "$last" "${real:0:${#last}}"
}

@test "watch: truncation is flagged exactly when the vector is over the 32 KiB cap" {
	# /bin/true, the marker and a pad of x: exactly 32768 bytes, then 32769.
	pad=$(( 32768 - $(argv_size /bin/true "$m") - 1 ))
	x=$(head -c "$pad" /dev/zero | tr '\0' x)
	assert_equal "$(argv_size /bin/true "$m" "$x")" 32768
	/bin/true "$m" "$x"
	wait_recs "$W" "$from" "$m" "$HAS_M and .process.args_size == 32768" \
	    --arg m "$m"
	assert_jq "$REC" '(.process | has("args_truncated") | not) and
	    .process.argc == 3 and .process.args[2] == $x' --arg x "$x"
	/bin/true "$m" "${x}x"
	wait_recs "$W" "$from" "$m" "$HAS_M and .process.args_size == 32769" \
	    --arg m "$m"
	assert_jq "$REC" '.process.args_truncated == true and .process.argc == 3'
	assert_jq "$REC" "$KEPT <= 32768"
}

@test "watch --argv-cap 262144 --env: a 100 KiB argument and 5,000 long arguments come out whole; the environment too" {
	I="$BATS_TEST_TMPDIR/cap"
	watch_start "$I" --argv-cap 262144 --env
	from=0
	big=$(head -c 102400 /dev/zero | tr '\0' x)
	/bin/true "$m" "$big"
	wait_recs "$I" "$from" "$m" "$HAS_M" --arg m "$m"
	assert_jq "$REC" '.process.argc == 3 and .process.args_size == $n and
	    (.process | has("args_truncated") | not)' \
	    --argjson n "$(argv_size /bin/true "$m" "$big")"
	assert_jq "$REC" '.process.args[2] == ("x" * 102400)'
	m2="$m-many"
	set -- /bin/true "$m2" $(seq -f 'argument-%015g' 1 4998)
	size=$(argv_size "$@")
	[ "$size" -gt 102400 ]
	"$@"
	wait_recs "$I" "$from" "$m2" "$HAS_M" --arg m "$m2"
	assert_jq "$REC" '.process.argc == 5000 and .process.args_size == $n and
	    (.process | has("args_truncated") | not)' --argjson n "$size"
	assert_equal "$(jq -r '.process.args[]' <<<"$REC")" "$(printf '%s\n' "$@")"
	m3="$m-env"
	env -i "QUARK_T=$m3" "EMPTY=" /bin/true "$m3"
	wait_recs "$I" "$from" "$m3" "$HAS_M and .process.args[0] == \"/bin/true\"" \
	    --arg m "$m3"
	assert_jq "$REC" '.process.env == ["QUARK_T=" + $m, "EMPTY="] and
	    .process.envc == 2 and (.process | has("env_truncated") | not)' \
	    --arg m "$m3"
	watch_stop "$I"
	schema_ok "$I/out"
	I=
}

@test "watch --argv-cap 1K: a cut inside a character drops it, and nothing is marked sanitized" {
	I="$BATS_TEST_TMPDIR/cut"
	watch_start "$I" --argv-cap 1K
	from=0
	euros=$(printf '\342\202\254%.0s' $(seq 400))
	# Three shifts: the cut falls after each byte of a character.
	for pre in a ab abc; do
		/bin/true "$m-$pre" "$pre$euros"
		wait_recs "$I" "$from" "$m-$pre" "$HAS_M" --arg m "$m-$pre"
		assert_jq "$REC" '.process.args_truncated == true and
		    (.process | has("sanitized") | not) and
		    (.process.args[2] | test("^" + $p + "(\u20ac)*$"))' \
		    --arg p "$pre"
	done
	watch_stop "$I"
	schema_ok "$I/out"
	I=
}

@test "watch: a comm change (prctl PR_SET_NAME) is in events and changes, the process shows the new comm" {
	new="qc$RANDOM$RANDOM"
	new=${new:0:15}
	"$H/setcomm" "$new" "$m"
	wait_recs "$W" "$from" "$m" "$HAS_M and any(.events[]; . == \"exit\")" \
	    --arg m "$m"
	assert_jq "$REC" '.events == ["fork", "exec", "comm", "exit"]'
	assert_jq "$REC" '[.changes[] | select(.type == "comm")] |
	    length == 1 and .[0].comm == $n' --arg n "$new"
	assert_jq "$REC" '.process.comm == $n and .process.exit.code == 0' \
	    --arg n "$new"
}

@test "watch: setuid and setgid via setpriv are in events and changes, the process shows the new ids" {
	setpriv --reuid=65534 --regid=65534 --clear-groups /bin/true "$m" &
	pid=$!
	wait "$pid"
	wait_recs "$W" "$from" "$m" '.process.pid == $p and
	    any(.events[]; . == "exit")' --argjson p "$pid"
	run find_recs "$W" "$from" "$m" '.process.pid == $p' --argjson p "$pid"
	# One record: setpriv's fork, exec and changes, then its exec of
	# /bin/true; setpriv's image in process.previous.
	assert_equal "${#lines[@]}" 1
	r=${lines[0]}
	assert_jq "$r" '.events[0:2] == ["fork", "exec"] and
	    (.events[2:4] | sort) == ["setgid", "setuid"] and
	    .events[4:] == ["exec", "exit"]'
	assert_jq "$r" '[.changes[] | select(.type == "setuid")][0] |
	    .uid == 65534 and .euid == 65534 and .suid == 65534 and
	    .fsuid == 65534'
	assert_jq "$r" '[.changes[] | select(.type == "setgid")][0] |
	    .gid == 65534 and .egid == 65534 and .sgid == 65534 and
	    .fsgid == 65534'
	assert_jq "$r" '.process.previous[0] | .comm == "setpriv" and
	    .args == ["setpriv", "--reuid=65534", "--regid=65534",
	    "--clear-groups", "/bin/true", $m]' --arg m "$m"
	assert_jq "$r" '.process.args == ["/bin/true", $m]' --arg m "$m"
	assert_jq "$r" '.process.uid == 65534 and .process.euid == 65534 and
	    .process.suid == 65534 and .process.fsuid == 65534 and
	    .process.gid == 65534 and .process.exit.code == 0'
}

@test "watch: a refused setuid (EPERM) is no change" {
	st=0
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	    setpriv --reuid=0 /bin/true "$m" 2>/dev/null || st=$?
	[ "$st" -ne 0 ]
	wait_recs "$W" "$from" "$m" "$HAS_M and .process.args[0:2] ==
	    [\"setpriv\", \"--reuid=0\"] and any(.events[]; . == \"exit\")" \
	    --arg m "$m"
	# The outer setpriv's exec and changes, then the inner one's exec:
	# nothing between it and the exit, one setuid (the outer's).
	assert_jq "$REC" '.events[-2:] == ["exec", "exit"] and
	    ([.events[] | select(. == "setuid")] | length) == 1 and
	    ([.changes[] | select(.type == "setuid" and .uid == 0)] |
	    length) == 0'
	assert_jq "$REC" '.process.previous[0].args[0:2] ==
	    ["setpriv", "--reuid=65534"]'
	assert_jq "$REC" '.process.uid == 65534 and .process.euid == 65534'
}

@test "watch: a setsid is in events and changes, the process shows the new session" {
	sid=$("$H/newsid" "$m")
	[ -n "$sid" ]
	wait_recs "$W" "$from" "$m" "$HAS_M and any(.events[]; . == \"exit\")" \
	    --arg m "$m"
	assert_jq "$REC" '.events == ["fork", "exec", "setsid", "exit"]'
	assert_jq "$REC" '.process.pid == $s and .process.sid == $s and
	    .process.pgid == $s' --argjson s "$sid"
	assert_jq "$REC" '[.changes[] | select(.type == "setsid")] |
	    length == 1 and .[0].sid == $s' --argjson s "$sid"
}

@test "watch: with tracefs unmounted, quark mounts it itself and still sees credential changes" {
	# In a private mount namespace, so the machine's tracefs is left be.
	cat >"$BATS_TEST_TMPDIR/notracefs" <<-'EOF'
	#!/bin/sh
	exec unshare -m --propagation private sh -c '
		umount /sys/kernel/tracing 2>/dev/null
		umount /sys/kernel/debug/tracing 2>/dev/null
		[ ! -e /sys/kernel/tracing/events ] || exit 99
		exec "$0" "$@"' "$REAL_QUARK" "$@"
	EOF
	export REAL_QUARK=$QUARK
	chmod +x "$BATS_TEST_TMPDIR/notracefs"
	I="$BATS_TEST_TMPDIR/notracefs.d"
	QUARK="$BATS_TEST_TMPDIR/notracefs" watch_start "$I"
	sid=$("$H/newsid" "$m")
	wait_recs "$I" 0 "$m" "$HAS_M and any(.events[]; . == \"exit\")" \
	    --arg m "$m"
	assert_jq "$REC" '.events == ["fork", "exec", "setsid", "exit"] and
	    .process.sid == $s' --argjson s "$sid"
	watch_stop "$I"
	schema_ok "$I/out"
	I=
	# The host's tracefs is as it was.
	assert_equal "$(grep -c ' /sys/kernel/tracing ' /proc/self/mounts)" \
	    "$TRACEFS_MOUNTS"
}

@test "watch: a thread that is not the leader execs: old_pid is its tid, the pid stays, one exit" {
	read -r pid tid < <("$H/thread_exec" /bin/true "$m")
	[ -n "$tid" ] && [ "$pid" != "$tid" ]
	wait_recs "$W" "$from" "$m" '.process.pid == $p and
	    .process.args == ["/bin/true", $m] and
	    any(.events[]; . == "exit")' --argjson p "$pid" --arg m "$m"
	# thread_exec's fork and exec, its thread's exec, the exit: one
	# record, thread_exec's image in process.previous.
	assert_jq "$REC" '.events == ["fork", "exec", "exec", "exit"] and
	    .process.exit.code == 0'
	assert_jq "$REC" '.process.previous[0].args[1:] == ["/bin/true", $m]' \
	    --arg m "$m"
	assert_jq "$REC" '[.changes[] | select(.type == "exec")] |
	    length == 1 and .[0].old_pid == $t' --argjson t "$tid"
	barrier "$W"
	# Every record of the process (and none under the thread's id).
	run find_recs "$W" "$from" '' '.kind == "event" and
	    (.process.pid == $p or .process.pid == $t)' \
	    --argjson p "$pid" --argjson t "$tid"
	printf '%s\n' "${lines[@]}"
	assert_equal "$(printf '%s\n' "${lines[@]}" |
	    jq -s '[.[] | select(.process.pid == $t)] | length' --argjson t "$tid")" 0
	assert_equal "$(printf '%s\n' "${lines[@]}" |
	    jq -s '[.[].events[] | select(. == "exit")] | length')" 1
	assert_equal "$(printf '%s\n' "${lines[@]}" |
	    jq -s '[.[].events[] | select(. == "exec")] | length')" 2
}

@test "watch: a leader that leaves first: one exit, when the last thread goes, with its code" {
	"$H/leader_exit" 7 "$m" &
	pid=$!
	wait "$pid" || st=$?
	assert_equal "$st" 7
	wait_recs "$W" "$from" "$m" '.process.pid == $p and
	    any(.events[]; . == "exit")' --argjson p "$pid"
	barrier "$W"
	run find_recs "$W" "$from" '' '.kind == "event" and .process.pid == $p' \
	    --argjson p "$pid"
	printf '%s\n' "${lines[@]}"
	assert_equal "${#lines[@]}" 1
	assert_jq "${lines[0]}" '.events == ["fork", "exec", "exit"] and
	    .process.exit.code == 7 and (.process.exit | has("signal") | not)'
}

@test "watch: exec of a file already deleted: the path without ' (deleted)', exe_deleted" {
	d=$(mktemp -d "$BATS_TEST_TMPDIR/gone.XXXXXX")
	d=$(cd "$d" && pwd -P)
	copy="$d/true-$RANDOM$RANDOM"
	cp /bin/true "$copy"
	exec 7<"$copy"
	rm "$copy"
	/proc/self/fd/7 "$m"
	exec 7<&-
	wait_recs "$W" "$from" "$m" "$HAS_M" --arg m "$m"
	assert_jq "$REC" '.events == ["fork", "exec", "exit"] and
	    .process.args == ["/proc/self/fd/7", $m]' --arg m "$m"
	assert_jq "$REC" '.process.exe == $c and .process.exe_deleted == true' \
	    --arg c "$copy"
}

@test "watch: an exe deleted while it runs: the exit record names its path" {
	d=$(mktemp -d "$BATS_TEST_TMPDIR/del.XXXXXX")
	d=$(cd "$d" && pwd -P)
	copy="$d/sleep-$RANDOM$RANDOM"
	cp /bin/sleep "$copy"
	"$copy" 0.7 &
	pid=$!
	BG=$pid
	for (( i = 0; i < 500; i++ )); do
		[ "$(readlink /proc/$pid/exe)" = "$copy" ] && break
		sleep 0.01
	done
	assert_equal "$(readlink /proc/$pid/exe)" "$copy"
	rm "$copy"
	wait "$pid"
	wait_recs "$W" "$from" '' '.kind == "event" and .process.pid == $p and
	    any(.events[]; . == "exit")' --argjson p "$pid"
	assert_jq "$REC" '.process.exe == $c and .process.args == [$c, "0.7"]' \
	    --arg c "$copy"
	assert_jq "$REC" '.process.exit.code == 0 and
	    (.process | has("start_time"))'
}

@test "watch: a cwd deeper than 4096 bytes is flagged truncated" {
	mkdir "$BATS_TEST_TMPDIR/deep"
	cd "$BATS_TEST_TMPDIR/deep"
	name=$(head -c 200 /dev/zero | tr '\0' d)
	for (( i = 0; i < 24; i++ )); do
		mkdir "$name"
		cd "$name"
	done
	[ "$(pwd -P | wc -c)" -gt 4096 ]
	/bin/true "$m"
	cd /
	wait_recs "$W" "$from" "$m" "$HAS_M" --arg m "$m"
	assert_jq "$REC" '.events == ["fork", "exec", "exit"] and
	    .process.cwd_truncated == true'
	assert_jq "$REC" '(.process.cwd // "") | utf8bytelength <= 4096'
}

@test "watch: a process started before quark is enriched at its exit" {
	[ -d "/proc/$PRE_PID" ]
	kill -TERM "$PRE_PID"
	wait_recs "$W" "$from" '' '.kind == "event" and .process.pid == $p and
	    any(.events[]; . == "exit")' --argjson p "$PRE_PID"
	l=$(cat "$BATS_FILE_TMPDIR/pre.lookup")
	assert_jq "$REC" '.events == ["exit"] and .process.exit.signal == 15 and
	    (.process.exit | has("code") | not)'
	assert_jq "$REC" '.process.args == ["sleep", "1000", $m] and
	    .process.argc == 3' --arg m "$PRE_MARK"
	assert_jq "$REC" '.process.exe == $e' --arg e "$(readlink -f "$(command -v sleep)")"
	# The same process as `quark lookup` saw; start_time compared to the
	# tick (each run converts boot time to wall time with its own offset,
	# measured to a few ns).
	assert_jq "$REC" '.process.start_time[0:22] == $l.process.start_time[0:22] and
	    .process.entity_id == $l.process.entity_id and
	    .process.ppid == $l.process.ppid and .parent.pid == $l.process.ppid' \
	    --argjson l "$l"
}

@test "watch: 2,000 processes spawned fast all appear, or lost records account for the missing" {
	"$H/spawn" 2000 /bin/true "$m"
	barrier "$W"
	n=$(find_recs "$W" "$from" "$m" '.kind == "event" and .process.args[1] == $m and
	    .events == ["fork", "exec", "exit"] and .process.exit.code == 0' \
	    --arg m "$m" | jq -r '.process.args[2]' | sort -u | wc -l)
	lost=$(lines_after "$W" "$from" | grep '"kind":"lost"' |
	    jq -s 'map(.lost) | add // 0')
	echo "# $n of 2000 seen, $lost lost" >&3
	if [ "$lost" -eq 0 ]; then
		assert_equal "$n" 2000
	else
		# A process missing from the output lost at least one event.
		[ $(( 2000 - n )) -le "$lost" ]
	fi
}

@test "watch: as a user without privileges, one clear line and exit 1" {
	d=$(mktemp -d /tmp/quark-nonroot.XXXXXX)
	chmod 755 "$d"
	cp "$QUARK" "$d/quark"
	st=0
	timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups \
	    --inh-caps=-all "$d/quark" watch >"$BATS_TEST_TMPDIR/out" \
	    2>"$BATS_TEST_TMPDIR/err" || st=$?
	rm -rf "$d"
	cat "$BATS_TEST_TMPDIR/err"
	assert_equal "$st" 1
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/err")" 1
	grep -q '^quark: watch: .*needs root' "$BATS_TEST_TMPDIR/err"
}

@test "watch --no-aggregate: separate fork, exec and exit records" {
	I="$BATS_TEST_TMPDIR/noagg"
	watch_start "$I" --no-aggregate
	d=$(mktemp -d "$BATS_TEST_TMPDIR/na.XXXXXX")
	copy="$d/true-$RANDOM$RANDOM"
	cp /bin/true "$copy"
	"$copy" "$m" &
	pid=$!
	wait "$pid"
	wait_recs "$I" 0 "$m" "$HAS_M and any(.events[]; . == \"exit\")" \
	    --arg m "$m"
	barrier "$I"
	run find_recs "$I" 0 '' '.kind == "event" and .process.pid == $p' \
	    --argjson p "$pid"
	printf '%s\n' "${lines[@]}"
	assert_equal "${#lines[@]}" 3
	assert_jq "${lines[0]}" '.events == ["fork"] and .process.ppid == $me' \
	    --argjson me "$BASHPID"
	assert_jq "${lines[1]}" '.events == ["exec"] and .process.exe == $c and
	    .process.args == [$c, $m]' --arg c "$copy" --arg m "$m"
	assert_jq "${lines[2]}" '.events == ["exit"] and .process.exe == $c and
	    .process.exit.code == 0' --arg c "$copy"
	watch_stop "$I"
	schema_ok "$I/out"
	I=
}

@test "watch: SIGTERM flushes the records still held and exits 0" {
	I="$BATS_TEST_TMPDIR/term"
	# Records leave in order: a longer hold would also hold back the
	# ready markers behind any process that started and still runs.
	watch_start "$I" --hold 5000
	d=$(mktemp -d "$BATS_TEST_TMPDIR/term.XXXXXX")
	copy="$d/sleep-$RANDOM$RANDOM"
	cp /bin/sleep "$copy"
	"$copy" 60 &
	BG=$!
	# Still running: its fork+exec record is held for 5 s.
	sleep 1
	run find_recs "$I" 0 "$copy" '.process.exe == $c' --arg c "$copy"
	assert_equal "${#lines[@]}" 0
	watch_stop "$I" TERM
	I=
	run find_recs "$BATS_TEST_TMPDIR/term" 0 "$copy" '.process.pid == $p' \
	    --argjson p "$BG"
	assert_equal "${#lines[@]}" 1
	assert_jq "${lines[0]}" '.events == ["fork", "exec"] and
	    .process.exe == $c and .process.args == [$c, "60"] and
	    (.process | has("exit") | not)' --arg c "$copy"
	schema_ok "$BATS_TEST_TMPDIR/term/out"
}

@test "watch --ring-size 4096: a ring too small for the load reports its losses in band, as --stats counts them" {
	I="$BATS_TEST_TMPDIR/small"
	watch_start "$I" --ring-size 4096 --stats
	d=$(mktemp -d "$BATS_TEST_TMPDIR/small.XXXXXX")
	copy="$d/true-$RANDOM$RANDOM"
	cp /bin/true "$copy"
	pad=$(head -c 3000 /dev/zero | tr '\0' p)
	# Exec records of about 3.5 KiB each, 4 at a time: a 4 KiB ring
	# cannot keep up.
	seq 1 300 | xargs -P 4 -I{} "$copy" {} "$pad"
	watch_stop "$I"
	schema_ok "$I/out"
	inband=$(jq -s '[.[] | select(.kind == "lost") | .lost] | add // 0' "$I/out")
	stats=$(not_ready "$I/err" | jq -s '.[-1].lost')
	seen=$(find_recs "$I" 0 "$copy" '.process.exe == $c' --arg c "$copy" |
	    jq -r '.process.args[1]' | sort -u | wc -l)
	echo "# in band $inband, --stats $stats, seen $seen of 300" >&3
	I=
	[ "$inband" -gt 0 ]
	assert_equal "$inband" "$stats"
	# A process whose exec record was lost is not found by its exe.
	[ $(( 300 - seen )) -le "$inband" ]
}

@test "watch: bad options are usage errors (exit 2)" {
	for o in "--ring-size 1000" "--ring-size 0" "--argv-cap 1048576" \
	    "--hold abc" "--max-length 0" "extra"; do
		run -2 "$QUARK" watch $o
		assert_output --partial "usage: quark watch"
	done
}

@test "watch: killed by SIGKILL, quark leaves no BPF program, link or map behind" {
	I="$BATS_TEST_TMPDIR/kill"
	watch_start "$I"
	pid=$(cat "$I/pid")
	ids=$(cat /proc/$pid/fdinfo/* 2>/dev/null |
	    awk '$1 ~ /^(prog|link|map)_id:$/ { sub(/_id:/, "", $1); print $1, $2 }' |
	    sort -u)
	echo "$ids"
	[ "$(grep -c '^prog ' <<<"$ids")" -ge 3 ]
	[ "$(grep -c '^link ' <<<"$ids")" -ge 3 ]
	[ "$(grep -c '^map ' <<<"$ids")" -ge 1 ]
	kill -KILL "$pid"
	for (( i = 0; i < 500; i++ )); do
		[ -s "$I/rc" ] && break
		sleep 0.01
	done
	assert_equal "$(cat "$I/rc")" 137
	I=
	# The kernel frees them after an RCU grace period: allow 5 s.
	for (( i = 0; i < 50; i++ )); do
		left=$(while read -r kind id; do
			if bpftool "$kind" show id "$id" >/dev/null 2>&1; then
				echo "$kind $id"
			fi
		done <<<"$ids")
		[ -z "$left" ] && break
		sleep 0.1
	done
	assert_equal "$left" ""
}

@test "watch | head -1: exits 0 quietly when the reader goes away" {
	o="$BATS_TEST_TMPDIR/head"
	mkdir "$o"
	(
		"$QUARK" watch 2>"$o/err" | head -n 1 >"$o/out"
		echo "${PIPESTATUS[0]}" >"$o/rc"
	) </dev/null 3>&- &
	for (( i = 0; i < 200; i++ )); do
		[ -s "$o/rc" ] && break
		/bin/true "$m"
		sleep 0.1
	done
	[ -s "$o/rc" ] || { cat "$o/err"; false; }
	assert_equal "$(cat "$o/rc")" 0
	run not_ready "$o/err"
	assert_output ""
	assert_equal "$(wc -l <"$o/out")" 1
	schema_ok "$o/out"
}

# Last: it stops the shared instance.
@test "watch: SIGINT ends the shared run with 0, every line validates, --stats prints one stats line" {
	watch_stop "$W"
	schema_ok "$W/out"
	[ "$(wc -l <"$W/out")" -gt 2000 ]
	# The environment is captured only with --env.
	run jq -c 'select(.process.env? or .process.envc?)' "$W/out"
	assert_output ""
	assert_equal "$(head -n 1 "$W/err")" "quark: watch: ready"
	s=$(not_ready "$W/err")
	assert_equal "$(wc -l <<<"$s")" 1
	assert_jq "$s" '.kind == "stats" and .backend == "ebpf" and
	    .lost == 0 and .bad_records == 0 and .insertions >= 6000'
}
