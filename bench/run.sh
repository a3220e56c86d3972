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

echo "== watch: spawn storm (bare, quark, execsnoop+exitsnoop), latency"
bench/storm.sh "$build" || st=1

exit $st
