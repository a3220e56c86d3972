#!/bin/sh
# idle.sh QUARK - quark watch's own cost on a quiet host: CPU ms per
# second (from /proc/PID/schedstat, ns on CPU) and wakeups per second
# (voluntary context switches: each sleep in poll(2) that ends), idle and
# with a trickle of 4 processes a second.  Prints figures, and the
# records per second quark printed meanwhile: on a host where other things
# run, "quiet" is not idle, and wakeups are to be read against records.
set -u
quark=$1
# 30 s: the periodic reconcile (every 30 s) falls once in each window.
secs=${IDLE_SECONDS:-30}

cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
vcsw() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"; }

# measure NAME PID CMD...: run CMD for $secs seconds, print NAME figures.
measure() {
	name=$1 pid=$2
	shift 2
	c0=$(cpu_ns "$pid") w0=$(vcsw "$pid") r0=$(wc -l <"$out")
	"$@"
	c1=$(cpu_ns "$pid") w1=$(vcsw "$pid") r1=$(wc -l <"$out")
	echo "idle_${name}_cpu_ms_per_s $(echo "$c0 $c1 $secs" |
	    awk '{ printf "%.3f", ($2 - $1) / 1e6 / $3 }')"
	echo "idle_${name}_wakeups_per_s $(echo "$w0 $w1 $secs" |
	    awk '{ printf "%.1f", ($2 - $1) / $3 }')"
	echo "idle_${name}_records_per_s $(echo "$r0 $r1 $secs" |
	    awk '{ printf "%.1f", ($2 - $1) / $3 }')"
}

# 4 processes a second and nothing else (a shell loop would add a sleep
# process for each), from a driver started before the window opens (a
# python3 found in PATH may be a shim that runs dozens of processes).
trickle() {
	/usr/bin/python3 -c 'import subprocess, sys, time
t = time.monotonic()
for i in range(int(sys.argv[1]) * 4):
	subprocess.run(["/bin/true", "trickle"])
	t += 0.25
	time.sleep(max(0, t - time.monotonic()))' "$1"
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$quark" watch >"$out" 2>/dev/null &
qpid=$!
# Past start-up, and past the grace time of what ran before (5 s).
sleep 7
measure quiet "$qpid" sleep "$secs"
trickle $((secs + 3)) &
tpid=$!
sleep 1.5
measure trickle4 "$qpid" sleep "$secs"
wait "$tpid"
kill -INT "$qpid"
wait "$qpid"
