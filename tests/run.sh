#!/bin/sh
# run.sh BUILD [SANBUILD] - run every unit test (in each build) and the bats
# suite (and the live command suites again against SANBUILD), then print
# one closing line "N passed, N failed, N skipped" over all of them.
# Then the kernel matrix (tests/vm/matrix.sh on build/static, `make
# static`) unless KERNELS is set and empty; KERNELS and SCENARIOS choose
# its kernels and scenarios (see the Makefile).  Each of its checks counts.
# Exit status 0 only when nothing failed and something ran.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
pass=0 fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for build in "$@"; do
	for t in "$build"/tests/t_*; do
		[ -x "$t" ] || continue
		case $t in *.o|*.d) continue ;; esac
		printf '== %s\n' "$t"
		# A sanitizer report makes the binary exit non-zero.
		if "$t" >"$log" 2>&1; then st=0; else st=$?; fi
		cat "$log"
		line=$(grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
		if [ -z "$line" ]; then
			echo "$t: no closing line (status $st)"
			fail=$((fail + 1)); continue
		fi
		p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
		pass=$((pass + p)); fail=$((fail + f))
		if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "$t: exit status $st"
			fail=$((fail + 1))
		fi
	done
done

# run_bats BUILD FILE...: the bats files against BUILD's quark; adds to
# the totals.  A skipped test ("ok N ... # skip") is not a pass.  The
# workload programs always come from the first build: instrumented ones
# would not behave like the programs users run.
skipped=0
run_bats() {
	b=$1
	shift
	QUARK="$top/$b/quark"; export QUARK
	QUARK_HELPERS="$top/${first:-build}/tests/helpers"; export QUARK_HELPERS
	bats --tap "$@" >"$log" 2>&1
	cat "$log"
	bp=$(grep -c '^ok ' "$log")
	bf=$(grep -c '^not ok ' "$log")
	bs=$(grep -c '^ok .* # skip' "$log")
	# A bats that ran nothing (a syntax error in a file) is a failure.
	[ $((bp + bf)) -gt 0 ] || bf=1
	pass=$((pass + bp - bs)); fail=$((fail + bf))
	skipped=$((skipped + bs))
}

first=${1:-build}
printf '== bats (%s)\n' "$first"
run_bats "${1:-build}" tests/bats
# The commands that read /proc and the kernel, once more under ASan+UBSan:
# a memory error or leak on a live path makes quark exit non-zero.
if [ -n "${2:-}" ] && [ -x "$top/$2/quark" ]; then
	printf '== bats (%s)\n' "$2"
	run_bats "$2" tests/bats/snapshot.bats tests/bats/lookup.bats \
	    tests/bats/watch.bats
fi

# The kernel matrix: one TAP line per check of every guest.
KERNELS=${KERNELS-all}
if [ -n "$KERNELS" ]; then
	printf '== kernel matrix (KERNELS=%s; KERNELS= skips it)\n' "$KERNELS"
	KERNELS=$KERNELS tests/vm/matrix.sh build/static 2>&1 | tee "$log"
	vp=$(grep -c '^ok ' "$log")
	vf=$(grep -c '^not ok ' "$log")
	# A matrix that ran nothing failed.
	[ $((vp + vf)) -gt 0 ] || vf=1
	pass=$((pass + vp)); fail=$((fail + vf))
else
	echo "== kernel matrix skipped (KERNELS is empty): not counted"
fi
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
