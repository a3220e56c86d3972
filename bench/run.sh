#!/bin/sh
# run.sh BUILD - the benchmarks; figures on stdout.  Not a timed test.
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
st=0

echo "== engine: synthetic raw events through order + aggregate + cache"
"$build/bench/bench_engine" "${BENCH_PROCS:-1000000}" || st=1

echo "== ndjson: the writer on a fixed event mix through the fake backend"
"$build/bench/bench_ndjson" "${BENCH_LINES:-200000}" || st=1

echo "== clock: noticing a step of the wall clock"
"$build/bench/bench_clock" || st=1

echo "== watch: spawn storm (bare, quark, execsnoop+exitsnoop): CPU ns per process, BPF ns per run"
bench/storm.sh "$build" || st=1

if [ "$(id -u)" -eq 0 ]; then
	echo "== watch: exit-to-output latency, idle and busy, default and --sorted"
	for load in idle busy; do
		b=; [ $load = busy ] && b=busy
		bench/latency.py "$build/quark" "${load}_default" 50 $b || st=1
		bench/latency.py "$build/quark" "${load}_sorted" 50 $b \
		    --sorted || st=1
	done
	echo "== watch: aggregation ratio, a parallel make of quark"
	bench/aggwork.sh "$build/quark" || st=1
	echo "== watch: own cost, idle and with a trickle of 4 processes/s"
	bench/idle.sh "$build/quark" || st=1
fi

exit $st
