#!/bin/sh
# run.sh BUILD [SANBUILD] - run every unit test (in each build) and the bats
# suite, then print one closing line "N passed, N failed" over all of them.
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

printf '== bats\n'
QUARK="$top/${1:-build}/quark"; export QUARK
QUARK_HELPERS="$top/${1:-build}/tests/helpers"; export QUARK_HELPERS
bats --tap tests/bats >"$log" 2>&1
cat "$log"
bp=$(grep -c '^ok ' "$log")
bf=$(grep -c '^not ok ' "$log")
# bats reports a skipped test as "ok N ... # skip": it is not a pass.
bs=$(grep -c '^ok .* # skip' "$log")
pass=$((pass + bp - bs)); fail=$((fail + bf))
echo "$pass passed, $fail failed, $bs skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
