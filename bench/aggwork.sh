#!/bin/sh
# aggwork.sh QUARK - the aggregation ratio on a real workload: a parallel
# make of quark itself, in a scratch copy of the tree, under quark watch
# (default options, hold 1000 ms).  Prints figures (see aggratio.py).
set -u
quark=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/src"
tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$tmp/src" -xf -
"$quark" watch >"$tmp/out" 2>/dev/null &
qpid=$!
sleep 3
t0=$(date +%s)
make -C "$tmp/src" -j4 all >"$tmp/make.log" 2>&1 ||
    { echo "aggwork: make failed" >&2; tail -5 "$tmp/make.log" >&2; }
echo "agg_make_seconds $(( $(date +%s) - t0 ))"
sleep 3
kill -INT "$qpid"
wait "$qpid"
/usr/bin/python3 "$top/bench/aggratio.py" 1000 ${AGG_VERBOSE:+-v} <"$tmp/out"
