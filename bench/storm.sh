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
bpf_stats_was=
restore() {
	[ -n "$bpf_stats_was" ] &&
	    sysctl -qw kernel.bpf_stats_enabled="$bpf_stats_was"
	rm -rf "$tmp"
}
trap restore EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "storm: needs root (BPF); skipped" >&2
	exit 0
fi
# execsnoop attaches to syscall tracepoints: tracefs must be mounted.
[ -e /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
wait_ready() { sleep "${1:-2}"; }

# user + system CPU of a command and all it waited for, in ns: out in $tmp/cpu.
cpu_of() {
	python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%d" % ((r.ru_utime + r.ru_stime) * 1e9))' \
	    "$tmp/cpu" "$@"
}

tick_ns=$((1000000000 / $(getconf CLK_TCK)))
cpu_of $storm $workers "$secs" >"$tmp/bare"
bare=$(awk '{ print $2 }' "$tmp/bare")
nb=$(awk '{ print $1 }' "$tmp/bare")
echo "storm_bare_spawns_per_s $bare"
echo "storm_bare_cpu_ns_per_process $(( $(cat "$tmp/cpu") / (nb > 0 ? nb : 1) ))"

# BPF run time per program: counted only while bpf_stats_enabled is 1.
bpf_stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null)
[ -n "$bpf_stats_was" ] && sysctl -qw kernel.bpf_stats_enabled=1

"$quark" watch --stats >/dev/null 2>"$tmp/stats" &
qpid=$!
wait_ready 3
c0=$(cpu_ticks $qpid)
bench/bpfstats.py snap $qpid "$tmp/bpf0"
out=$($storm $workers "$secs")
bench/bpfstats.py snap $qpid "$tmp/bpf1"
sleep 2		# let quark drain what it holds
c1=$(cpu_ticks $qpid)
hwm=$(hwm_kb $qpid)
kill -INT $qpid; wait $qpid
n=$(echo "$out" | awk '{ print $1 }')
rate=$(echo "$out" | awk '{ print $2 }')
lost=$(sed -n 's/.*"lost": *\([0-9]*\).*/\1/p' "$tmp/stats" | tail -n 1)
echo "storm_quark_spawns_per_s $rate"
echo "storm_quark_ratio $(echo "$rate $bare" | awk '{ printf "%.3f", $1 / $2 }')"
echo "storm_quark_cpu_ns_per_process $(( (c1 - c0) * tick_ns / (n > 0 ? n : 1) ))"
echo "storm_quark_peak_rss_kib $hwm"
echo "storm_quark_lost ${lost:-unknown}"
bench/bpfstats.py diff "$tmp/bpf0" "$tmp/bpf1" "${n:-0}"

/usr/sbin/execsnoop >/dev/null 2>&1 &
e1=$!
/usr/sbin/exitsnoop >/dev/null 2>&1 &
e2=$!
wait_ready 3
s0=$(( $(cpu_ticks $e1) + $(cpu_ticks $e2) ))
out2=$($storm $workers "$secs")
sleep 2
s1=$(( $(cpu_ticks $e1) + $(cpu_ticks $e2) ))
kill -INT $e1 $e2; wait $e1 $e2 2>/dev/null
rate2=$(echo "$out2" | awk '{ print $2 }')
n2=$(echo "$out2" | awk '{ print $1 }')
echo "storm_snoops_spawns_per_s $rate2"
echo "storm_snoops_cpu_ns_per_process $(( (s1 - s0) * tick_ns / (n2 > 0 ? n2 : 1) ))"
echo "storm_snoops_ratio $(echo "$rate2 $bare" | awk '{ printf "%.3f", $1 / $2 }')"
