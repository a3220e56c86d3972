#!/usr/bin/env bats
# The JSON Schema and tests/schema-check themselves: good records pass,
# each kind of bad line fails with its line number.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	CHECK="$BATS_TEST_DIRNAME/../schema-check"
	T='"time":"2026-01-02T03:04:05.123456789Z"'
	GOOD_SNAP='{"kind":"snapshot",'$T',"process":{"pid":1,"ppid":0,"comm":"init","args":["/sbin/init",""],"argc":2,"uid":0,"user":"root","tty":{"major":136,"minor":0,"name":"pts/0"},"entity_id":"00000000000000ff","cap":{"inheritable":"0x0000000000000000","permitted":"0x000001ffffffffff","effective":"0x000001ffffffffff","bounding":"0x000001ffffffffff","ambient":"0x0000000000000000"},"ns":{"pid":4026531836},"sanitized":["comm"]},"parent":{"pid":0}}'
	GOOD_EVENT='{"kind":"event",'$T',"time_ns":5,"events":["fork","exec","exit"],"changes":[{"type":"exec",'$T',"old_pid":7}],"process":{"pid":7,"exit":{"signal":9,"core_dumped":true}}}'
	GOOD_LOST='{"kind":"lost",'$T',"time_ns":5,"lost":3}'
}

@test "schema-check: valid records of every kind pass" {
	run "$CHECK" <<<"$GOOD_SNAP
$GOOD_EVENT
$GOOD_LOST"
	assert_success
	assert_output --partial "3 lines valid"
}

@test "schema-check: empty input fails unless --allow-empty" {
	run "$CHECK" </dev/null
	assert_failure
	assert_output --partial "empty input"
	run "$CHECK" --allow-empty </dev/null
	assert_success
}

@test "schema-check: a misspelt key fails and names the line" {
	run "$CHECK" <<<"$GOOD_LOST
${GOOD_SNAP/\"ppid\"/\"ppdi\"}"
	assert_failure
	assert_output --partial "line 2:"
	assert_output --partial "ppdi"
}

@test "schema-check: missing pid, bad time, bad kind, code with signal" {
	for bad in \
	    '{"kind":"snapshot",'"$T"',"process":{"comm":"x"}}' \
	    '{"kind":"lost","time":"2026-01-02 03:04:05","lost":1}' \
	    '{"kind":"other",'"$T"'}' \
	    '{"kind":"event",'"$T"',"events":["exec"],"process":{"pid":1,"exit":{"code":0,"signal":9,"core_dumped":false}}}' \
	    '{"kind":"event",'"$T"',"events":["spawn"],"process":{"pid":1}}' \
	    '{"kind":"snapshot",'"$T"',"process":{"pid":1,"cap":{"permitted":"0x1"}}}'; do
		run "$CHECK" <<<"$bad"
		assert_failure
		assert_output --partial "line 1:"
	done
}

@test "schema-check: invalid UTF-8, non-JSON and a missing final newline fail" {
	run "$CHECK" < <(printf '{"kind":"lost",%s,"lost":1,"x":"\xff"}\n' "$T")
	assert_failure
	assert_output --partial "not UTF-8"
	run "$CHECK" < <(printf '{"kind":\n')
	assert_failure
	assert_output --partial "not JSON"
	run "$CHECK" < <(printf '%s' "$GOOD_LOST")
	assert_failure
	assert_output --partial "no final newline"
}

@test "schema: the writer's records (every field set) validate" {
	local t="${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}"
	t="$(dirname "$t")/tests/t_ndjson"
	[ -x "$t" ] || fail "$t not built (make tests)"
	run bash -c "'$t' --sample | '$CHECK'"
	assert_success
	assert_output --partial "4 lines valid"
}
