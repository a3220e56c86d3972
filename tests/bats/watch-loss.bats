#!/usr/bin/env bats
# quark watch after a loss: a tiny ring (--ring-size) and a reader that
# stalls (quark blocks writing to a full pipe, the kernel side drops what
# does not fit).  Once quark reads again, the loss is in the stream, and
# the reconcile adds the live processes whose fork was in the gap, from
# /proc: their later records, and their children's, have their context.
# On both backends.  Needs root.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'watch_helpers'

bats_require_minimum_version 1.5.0

setup() {
	m="quark-test-$$-$BATS_TEST_NUMBER-$RANDOM$RANDOM"
	cd "$BATS_TEST_TMPDIR"
	cp /bin/true "./storm-$$"
}

teardown() {
	[ -s qpid ] && kill -INT "$(cat qpid)" 2>/dev/null || true
	[ -n "${SHPID:-}" ] && kill "$SHPID" 2>/dev/null || true
	wait 2>/dev/null || true
}

# gap BACKEND: quark watch with a 16 KiB ring whose output is not read
# for 10 s; a storm fills the pipe and the ring; then a shell is started
# (its fork and exec lost) that sleeps past the stall, forks a child and
# exits 5.  Leaves the records in ./out, the shell's pid in $sh.
gap() {
	sh -c 'echo $$ >qpid; exec "$0" watch --backend "$1" \
	    --ring-size 16384 --stats 2>err' "$QUARK" "$1" |
	    (sleep 10; cat >out) &
	# Attached (the storm below must find the ring), not a guessed delay.
	for (( i = 0; i < 600; i++ )); do
		grep -q '^quark: watch: ready$' err 2>/dev/null && break
		sleep 0.05
	done
	grep -q '^quark: watch: ready$' err || fail "not ready: $(cat err)"
	for (( i = 0; i < 1000; i++ )); do
		"./storm-$$" "$m-storm"
	done
	# Still in the stall (the storm takes about 2 s).
	[ -s out ] && fail "the reader did not stall"
	(exec -a "$m-sh" sh -c 'sleep 14; /bin/true "$0-child"; exit 5' "$m") &
	SHPID=$!
	sh=$SHPID
	wait "$SHPID" || true
	SHPID=
	for (( i = 0; i < 100; i++ )); do
		jq -e --arg m "$m" 'select(.kind == "event" and
		    .process.args[1]? == $m + "-child")' out >/dev/null 2>&1 &&
		    jq -e --argjson p "$sh" 'select(.kind == "event" and
		    .process.pid == $p and any(.events[]; . == "exit"))' \
		    out >/dev/null 2>&1 && break
		sleep 0.2
	done
}

loss_test() {
	gap "$1"
	grep -q '"kind":"lost"' out || fail "no loss: $(head -c 2000 err)"
	# The shell: its fork and exec were lost; known from /proc since.
	# (The first exit on its pid: on a busy host the pid may be reused.)
	r=$(jq -c --argjson p "$sh" 'select(.kind == "event" and
	    .process.pid == $p and any(.events[]; . == "exit"))' out |
	    head -n 1)
	assert_jq "$r" '.process.exit.code == 5'
	# Said so: its start was not seen, its context came from /proc.
	assert_jq "$r" '.from_proc == true'
	assert_jq "$r" '.process.args[0] == $m + "-sh" and
	    (.process.exe | test("/(da)?sh$"))' --arg m "$m"
	# Its child, forked after the stall: a parent object.
	c=$(jq -c --arg m "$m" 'select(.kind == "event" and
	    .process.args[1]? == $m + "-child")' out | tail -n 1)
	assert_jq "$c" '.parent.pid == $p and .parent.args[0] == $m + "-sh"' \
	    --argjson p "$sh" --arg m "$m"
	# Its fork was seen.
	assert_jq "$c" 'has("from_proc") | not'

}

@test "watch (ebpf): after a loss, a live process whose fork was lost is known from /proc" {
	loss_test ebpf
}

@test "watch (netlink): after a loss, a live process whose fork was lost is known from /proc" {
	loss_test netlink
}
