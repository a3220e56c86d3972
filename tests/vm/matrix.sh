#!/bin/sh
# matrix.sh STATIC_BUILD - the kernel matrix: every scenario of
# tests/vm/scenarios on every kernel of tests/vm/kernels, each one guest
# boot under qemu (tests/vm/boot.sh) with STATIC_BUILD's quark and workload
# helpers (`make BUILD=build/static LDFLAGS=-static quark tests`).
#
# Environment:
#     KERNELS     kernel names to run (default "all"; empty: run nothing)
#     SCENARIOS   scenario names to run (default "all")
#     QUARK_VM_JOBS      guests at a time (default 2: thread=single
#                        TCG uses one host core per guest)
#     QUARK_VM_TIMEOUT   seconds per guest (default 120)
#     QUARK_KERNEL_CACHE where kernels are cached (tests/vm/fetch-kernels.sh)
#     QUARK_VM_KEEP      set: keep the guests' logs even when all passed
#
# Prints the exact kernels, one TAP line per check ("ok N - KERNEL
# SCENARIO: CHECK" or "not ok N - ...: CHECK: why"), a table kernel x
# scenario, and a closing line "matrix: N passed, N failed".  Exits 0 only
# when every check ran and passed.  A guest that did not reach its result
# line fails all of its checks.  Logs of failed runs are kept and named.
set -u
vm=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$vm/../.." && pwd)

# --- one guest (run by xargs, 2 at a time) ------------------------------
if [ "${1:-}" = --boot ]; then
	# --boot WORK KERNEL SCENARIO VMLINUZ CMDLINE
	w=$2 k=$3 s=$4 vmlinuz=$5 cmdline=$(echo "$6" | tr , ' ')
	[ "$cmdline" = - ] && cmdline=
	d=$w/$k.$s
	mkdir -p "$d"
	t0=$(date +%s.%N)
	# A guest that never reached /init (its first result line) failed
	# before quark ran: qemu or the kernel's boot, not quark.  It boots
	# once more, and the report says so; anything later is final.
	for try in 1 2; do
		"$vm/boot.sh" "$vmlinuz" "$w/initrd.gz" "$cmdline" \
		    "$d/console.log" "$d/result.log"
		echo "$?" >"$d/qemu.rc"
		grep -q '^@@ BEGIN' "$d/result.log" && break
		[ "$try" = 2 ] && break
		mv "$d/console.log" "$d/console.1.log"
		echo "qemu status $(cat "$d/qemu.rc"); console: $(tail -n 1 "$d/console.1.log")" >"$d/rebooted"
	done
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' >"$d/seconds"
	# Split the framed sections (tests/vm/init) into files.
	tr -d '\r' <"$d/result.log" | awk -v d="$d" '
	    /^@@ BEGIN / { f = d "/" $3; printf "" > f; next }
	    /^@@ END / { close(f); f = ""; next }
	    /^@@ DONE$/ { print "" > (d "/done"); next }
	    f != "" { print >> f }'
	echo "  $k $s: $(cat "$d/seconds") s" >&2
	if [ -f "$d/rebooted" ]; then
		echo "  $k $s: the first boot never reached /init ($(cat "$d/rebooted")); booted again" >&2
	fi
	exit 0
fi

build=${1:?usage: matrix.sh STATIC_BUILD}
case $build in /*) ;; *) build=$top/$build ;; esac
KERNELS=${KERNELS-all}
SCENARIOS=${SCENARIOS-all}
jobs=${QUARK_VM_JOBS:-2}

if [ -z "$KERNELS" ]; then
	echo "matrix: KERNELS is empty: no kernel run"
	exit 0
fi
for f in quark tests/helpers/exitcode tests/helpers/dropids \
    tests/helpers/newsid tests/helpers/nobpf tests/helpers/fileless; do
	# static: no program interpreter (ld.so) to ask for
	if [ ! -x "$build/$f" ] || readelf -l "$build/$f" 2>/dev/null |
	    grep -q 'program interpreter'; then
		echo "not ok 1 - matrix: $build/$f is missing or not static"
		echo "matrix: 0 passed, 1 failed"
		exit 1
	fi
done

w=$(mktemp -d "${TMPDIR:-/tmp}/quark-vm.XXXXXX")
start=$(date +%s)
names=
[ "$KERNELS" = all ] || names=$KERNELS
# shellcheck disable=SC2086
if ! "$vm/fetch-kernels.sh" $names >"$w/kernels"; then
	echo "not ok 1 - matrix: fetching the kernels failed ($vm/fetch-kernels.sh $names)"
	echo "matrix: 0 passed, 1 failed"
	exit 1
fi
for k in $names; do
	if ! awk -v k="$k" '$1 == k { f = 1 } END { exit !f }' "$w/kernels"; then
		echo "not ok 1 - matrix: no kernel named '$k' in $vm/kernels"
		echo "matrix: 0 passed, 1 failed"
		exit 1
	fi
done
"$vm/mkinitramfs.sh" "$w/initrd.gz" "$build/quark" "$build/tests/helpers" ||
    { echo "not ok 1 - matrix: mkinitramfs failed"; echo "matrix: 0 passed, 1 failed"; exit 1; }

# The scenarios wanted, as "NAME CMDLINE CHECKS" lines.
grep -v '^[[:space:]]*\(#\|$\)' "$vm/scenarios" | while read -r s c checks; do
	[ "$SCENARIOS" = all ] || case " $SCENARIOS " in *" $s "*) ;; *) continue ;; esac
	echo "$s $c $checks"
done >"$w/scenarios"
if [ ! -s "$w/scenarios" ]; then
	echo "not ok 1 - matrix: no scenario named '$SCENARIOS'"
	echo "matrix: 0 passed, 1 failed"
	exit 1
fi

nk=$(wc -l <"$w/kernels")
ns=$(wc -l <"$w/scenarios")
echo "== kernel matrix: $nk kernels x $ns scenarios, $jobs guests at a time (qemu -accel tcg,thread=single -smp 2)"
while read -r k abi pkg dir; do
	echo "  $k: $abi ($pkg)"
done <"$w/kernels"

# Every boot, slowest kernels first is not worth guessing: table order.
while read -r k abi pkg dir; do
	while read -r s c checks; do
		echo "$w $k $s $dir/vmlinuz $c"
	done <"$w/scenarios"
done <"$w/kernels" | xargs -P "$jobs" -L 1 "$0" --boot

# --- the checks ---------------------------------------------------------
. "$vm/checks.sh"
n=0 pass=0 fail=0
: >"$w/table"
while read -r k abi pkg dir; do
	row=$k
	while read -r s c checks; do
		d=$w/$k.$s
		cell=pass
		[ -f "$d/rebooted" ] &&
		    echo "# $k $s: the first boot never reached /init ($(cat "$d/rebooted")); booted again"
		for ch in result $(echo "$checks" | tr , ' '); do
			n=$((n + 1))
			if [ "$ch" != result ] && [ ! -f "$d/done" ]; then
				r=1 why="no result line"
			elif "check_$ch" "$d"; then
				r=0
			else
				r=1
			fi
			if [ "$r" -eq 0 ]; then
				pass=$((pass + 1))
				echo "ok $n - $k $s: $ch"
			else
				fail=$((fail + 1))
				echo "not ok $n - $k $s: $ch: $why"
				[ "$cell" = pass ] && cell="FAIL:$ch"
			fi
		done
		row="$row $cell"
		[ "$cell" = pass ] || echo "#   logs: $d" >&2
	done <"$w/scenarios"
	echo "$row" >>"$w/table"
done <"$w/kernels"
echo "1..$n"

# The table: kernel x scenario.
{
	printf '%-8s' kernel
	while read -r s c checks; do printf ' %-20s' "$s"; done <"$w/scenarios"
	echo
	while read -r k cells; do
		printf '%-8s' "$k"
		for c in $cells; do printf ' %-20s' "$c"; done
		echo
	done <"$w/table"
} | sed 's/^/# /'
# Guest boot-to-poweroff times
for d in "$w"/*.*/; do
	[ -f "$d/seconds" ] || continue
	printf '%s=%ss ' "$(basename "$d")" "$(cat "$d/seconds")"
done | fold -s -w 100 | sed 's/^/# /'
echo
echo "matrix: $pass passed, $fail failed ($(($(date +%s) - start)) s)"
if [ "$fail" -eq 0 ] && [ "$pass" -gt 0 ] && [ -z "${QUARK_VM_KEEP:-}" ]; then
	rm -rf "$w"
	exit 0
fi
echo "# guest logs kept in $w"
exit 1
