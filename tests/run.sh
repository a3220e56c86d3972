#!/bin/sh
# run.sh BUILD [SANBUILD] - run every unit test (in each build) and the bats
# suites (and the live command suites again against SANBUILD), streaming
# one TAP line per test as it ends, numbered across the whole run and
# named with its suite:
#
#	ok 12 t_agg: pair                      a unit test (a T_CASE)
#	ok 640 [build/san] t_agg: pair         the same under ASan+UBSan
#	ok 700 watch.bats: watch: ...          a bats test
#
# then the skipped tests (a skip is not a pass), the fuzz iterations, and
# one closing line "N passed, N failed" (", N skipped" when any were).
# Counts are tests, not checks.  Exit status 0 only when nothing failed
# and something ran.
#
# Then the kernel matrix (tests/vm/matrix.sh on build/static, `make
# static`), one TAP line per check of each guest ("ok 900 kernel 6.1 ebpf:
# markers"), unless KERNELS is set and empty; KERNELS and SCENARIOS choose
# its kernels and scenarios (see the Makefile).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
tally=$(mktemp)
trap 'rm -f "$tally"' EXIT
# mawk (Debian's awk) reads a pipe in blocks unless told otherwise.
awk=awk
if awk -W version 2>&1 | head -n 1 | grep -q mawk; then
	awk="awk -W interactive"
fi

# tap LABEL KIND [NAME]: renumber the TAP lines of one suite (on stdin, ending
# with "#exit STATUS"), print them at once, and add each result to the
# tally: "pass", "fail LINE", "skip LINE", "iter N".  KIND "unit" expects
# the closing line "NAME: N passed, N failed" of tests/test.h, NAME being
# the binary's name (its TAP lines carry it).
tap() {
	$awk -v label="$1" -v kind="$2" -v name="${3:+$3: }" -v tally="$tally" \
	    -v n="$(grep -c -E '^(pass|fail|skip)' "$tally")" '
	function result(line) {
		print line
		fflush()
	}
	/^(not )?ok [0-9]+/ {
		ok = $1 == "ok"
		sub(/^(not )?ok [0-9]+ (- )?/, "")
		line = sprintf("%s %d %s%s", ok ? "ok" : "not ok", ++n,
		    label, $0)
		if (!ok) {
			print "fail " line >> tally
			failed++
		} else if ($0 ~ / # [Ss][Kk][Ii][Pp]/)
			print "skip " line >> tally
		else
			print "pass" >> tally
		seen++
		result(line)
		next
	}
	/^[0-9]+\.\.[0-9]+$/ { next }
	/^#exit [0-9]+$/ { status = $2; next }
	kind == "unit" && /: [0-9]+ fuzz iterations$/ {
		print "iter " $(NF - 2) >> tally
	}
	kind == "unit" && /: [0-9]+ passed, [0-9]+ failed/ {
		closing = $0
		split($0, w, " ")
		want = w[2] + w[4]
	}
	/^#/ { result($0); next }
	{ result("# " $0) }
	END {
		why = ""
		if (kind == "unit" && closing == "")
			why = "no closing line"
		else if (kind == "unit" && want != seen)
			why = "closing line counts " want " tests, " seen " ran"
		else if (seen == 0)
			why = "ran nothing"
		else if (status != 0 && failed == 0)
			why = "exit status " status
		if (why != "") {
			line = sprintf("not ok %d %s%s%s (exit status %d)",
			    ++n, label, name, why, status)
			print "fail " line >> tally
			result(line)
		}
	}'
}

# Unit tests: each binary of each build.
for build in "$@"; do
	printf '# == unit tests (%s)\n' "$build"
	label=
	[ "$build" = "${1:-build}" ] || label="[$build] "
	for t in "$build"/tests/t_*; do
		[ -x "$t" ] || continue
		case $t in *.o|*.d) continue ;; esac
		# A sanitizer report makes the binary exit non-zero.
		{ "$t" 2>&1; echo "#exit $?"; } | tap "$label" unit "${t##*/}"
	done
done

# run_bats BUILD FILE...: each bats file against BUILD's quark, streamed
# (bats --tap prints each test as it ends).  The workload programs always
# come from the first build: instrumented ones would not behave like the
# programs users run.
run_bats() {
	b=$1
	shift
	QUARK="$top/$b/quark"; export QUARK
	QUARK_HELPERS="$top/${first}/tests/helpers"; export QUARK_HELPERS
	label=
	[ "$b" = "$first" ] || label="[$b] "
	for f in "$@"; do
		{ bats --tap "$f" 2>&1; echo "#exit $?"; } |
		    tap "$label$(basename "$f"): " bats
	done
}

first=${1:-build}
printf '# == bats (%s)\n' "$first"
run_bats "$first" tests/bats/*.bats
# The commands that read /proc and the kernel, once more under ASan+UBSan:
# a memory error or leak on a live path makes quark exit non-zero.
if [ -n "${2:-}" ] && [ -x "$top/$2/quark" ]; then
	printf '# == bats (%s)\n' "$2"
	run_bats "$2" tests/bats/snapshot.bats tests/bats/lookup.bats \
	    tests/bats/watch.bats tests/bats/ecs.bats tests/bats/text.bats
fi

# The kernel matrix: every scenario on every kernel, in qemu guests.
KERNELS=${KERNELS-all}
if [ -n "$KERNELS" ]; then
	printf '# == kernel matrix (KERNELS=%s; KERNELS= skips it)\n' "$KERNELS"
	{ KERNELS=$KERNELS tests/vm/matrix.sh build/static 2>&1
	    echo "#exit $?"; } | tap "kernel " matrix
else
	echo "# == kernel matrix not run (KERNELS is empty): nothing counted"
fi

pass=$(grep -c '^pass' "$tally")
fail=$(grep -c '^fail' "$tally")
skip=$(grep -c '^skip' "$tally")
iter=$(awk '/^iter / { n += $2 } END { print n + 0 }' "$tally")
if [ "$fail" -gt 0 ]; then
	echo "# failed:"
	sed -n 's/^fail /#   /p' "$tally"
fi
if [ "$skip" -gt 0 ]; then
	echo "# skipped:"
	sed -n 's/^skip /#   /p' "$tally"
fi
[ "$iter" -eq 0 ] || echo "# fuzz: $iter iterations (in the tests above)"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
