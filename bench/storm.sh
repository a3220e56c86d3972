#!/bin/sh
# storm.sh BUILD - spawn storm without quark, with `quark watch`, and with
# execsnoop + exitsnoop (Debian's libbpf-tools).  Prints figures; asserts
# nothing.
set -u
build=${1:-build}
quark=$build/quark
storm=$build/bench/storm
secs=${STORM_SECONDS:-5}
workers=2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "storm: needs root (BPF); skipped" >&2
	exit 0
fi
# execsnoop attaches to syscall tracepoints: tracefs must be mounted.
[ -e /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
wait_ready() { sleep "${1:-2}"; }

bare=$($storm $workers "$secs" | awk '{ print $2 }')
echo "storm_bare_spawns_per_s $bare"

"$quark" watch --stats >/dev/null 2>"$tmp/stats" &
qpid=$!
wait_ready 3
c0=$(cpu_ticks $qpid)
out=$($storm $workers "$secs")
sleep 2		# let quark drain what it holds
c1=$(cpu_ticks $qpid)
hwm=$(hwm_kb $qpid)
kill -INT $qpid; wait $qpid
n=$(echo "$out" | awk '{ print $1 }')
rate=$(echo "$out" | awk '{ print $2 }')
lost=$(sed -n 's/.*"lost": *\([0-9]*\).*/\1/p' "$tmp/stats" | tail -n 1)
tick_ns=$((1000000000 / $(getconf CLK_TCK)))
echo "storm_quark_spawns_per_s $rate"
echo "storm_quark_ratio $(echo "$rate $bare" | awk '{ printf "%.3f", $1 / $2 }')"
echo "storm_quark_cpu_ns_per_process $(( (c1 - c0) * tick_ns / (n > 0 ? n : 1) ))"
echo "storm_quark_peak_rss_kib $hwm"
echo "storm_quark_lost ${lost:-unknown}"

/usr/sbin/execsnoop >/dev/null 2>&1 &
e1=$!
/usr/sbin/exitsnoop >/dev/null 2>&1 &
e2=$!
wait_ready 3
rate2=$($storm $workers "$secs" | awk '{ print $2 }')
kill -INT $e1 $e2; wait $e1 $e2 2>/dev/null
echo "storm_snoops_spawns_per_s $rate2"
echo "storm_snoops_ratio $(echo "$rate2 $bare" | awk '{ printf "%.3f", $1 / $2 }')"
