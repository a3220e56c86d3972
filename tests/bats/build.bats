#!/usr/bin/env bats
# The Makefile: every target that makes no file is phony, and every
# phony target exists.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	MK=$BATS_TEST_DIRNAME/../../Makefile
}

# Targets named by a rule at the start of a line: "name:" or "name: deps",
# not a file path, a pattern or a variable.
rule_targets() {
	sed -n 's/^\([a-z][a-z0-9-]*\):\([^=].*\)\{0,1\}$/\1/p' "$MK" | sort -u
}

phony() {
	sed -n 's/^\.PHONY:[[:space:]]*//p' "$MK" | tr ' \t' '\n\n' |
	    sed '/^$/d' | sort -u
}

@test "Makefile: .PHONY lists every target that makes no file" {
	run comm -23 <(rule_targets) <(phony)
	assert_success
	assert_output ""
}

@test "Makefile: every .PHONY target has a rule" {
	run comm -13 <(rule_targets) <(phony)
	assert_success
	assert_output ""
	# The lists are not empty: the test reads the Makefile it means.
	run rule_targets
	assert_line check
	assert_line tests
}
