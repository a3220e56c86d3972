#!/usr/bin/env bats
# quark watch --backend kprobe, and the ladder eBPF -> kprobe -> proc
# connector, on this machine's kernel.  What the kernel has is read from
# it (tracefs), never assumed: on a kernel without kprobes the kprobe
# backend must fail clearly, and AUTO must pass it by with that reason.
# The kprobe backend's records are checked under qemu, on kernels that
# have kprobes (tests/vm/).  Needs root.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	QUARK=${QUARK:-$BATS_TEST_DIRNAME/../../build/quark}
	H=${QUARK_HELPERS:-$BATS_TEST_DIRNAME/../../build/tests/helpers}
	T=/sys/kernel/tracing
	[ -d "$T/events" ] || T=/sys/kernel/debug/tracing
}

@test "watch --backend kprobe: without kprobe_events, fails with exit 1 saying so" {
	[ -e "$T/kprobe_events" ] && skip "this kernel has kprobe_events"
	run "$QUARK" watch --backend kprobe
	assert_failure 1
	assert_output "quark: watch: cannot capture with kprobes: no $T/kprobe_events (a kernel without CONFIG_KPROBE_EVENTS)"
}

@test "watch --backend kprobe: an unknown backend name is still a usage error" {
	run "$QUARK" watch --backend kprobes
	assert_failure 2
	assert_line --index 0 "quark: watch: unknown backend 'kprobes' (one of: auto, ebpf, kprobe, netlink)"
}

@test "watch auto, bpf(2) refused by seccomp: passes eBPF and kprobes by, each with its reason" {
	[ -e "$T/kprobe_events" ] && skip "this kernel has kprobe_events: see tests/vm/"
	run sh -c 'timeout --preserve-status -s INT 3 "$1" "$2" watch --stats 2>&1 >/dev/null' \
	    sh "$H/nobpf" "$QUARK"
	assert_success
	# The reasons are the backend ladder's, the same quark btf gives.
	assert_line --regexp "^quark: watch: using the netlink backend \(ebpf: .*bpf\(2\) refused although privileged \(a seccomp filter or a security policy forbids BPF\): Operation not permitted; kprobe: .*no $T/kprobe_events .*\)\)$"
	assert_line "quark: watch: ready"
}

@test "watch auto, bpf(2) refused by seccomp: the backend used is the one quark btf predicts" {
	local predicted used
	predicted=$("$H/nobpf" "$QUARK" btf --json |
	    jq -r 'select(.kind == "verdict") | .backend')
	[ -n "$predicted" ]
	# (--stats writes its line on standard error.)
	used=$(timeout --preserve-status -s INT 3 "$H/nobpf" "$QUARK" watch \
	    --stats 2>&1 >/dev/null | grep '^{' |
	    jq -r 'select(.kind == "stats") | .backend')
	[ "$used" = "$predicted" ] || {
		echo "btf predicts '$predicted', watch used '$used'" >&2
		return 1
	}
	# The verdict says why kprobes were not it, when they were not.
	if [ "$predicted" != kprobe ]; then
		run sh -c '"$1" "$2" btf --json | jq -r "select(.kind == \"verdict\") | .reason"' \
		    sh "$H/nobpf" "$QUARK"
		assert_output --partial "kprobes unusable"
	fi
}

@test "watch --backend ebpf, bpf(2) refused by seccomp: says so, not that root is needed" {
	run "$H/nobpf" "$QUARK" watch --backend ebpf
	assert_failure 1
	assert_output "quark: watch: cannot capture with eBPF: bpf(2) refused although privileged (a seccomp filter or a security policy forbids BPF): Operation not permitted"
}

@test "watch auto with BPF allowed: nothing said about a fallback" {
	run sh -c 'timeout --preserve-status -s INT 2 "$1" watch --stats 2>&1 >/dev/null' sh "$QUARK"
	assert_success
	refute_output --partial "using the"
	assert_line "quark: watch: ready"
}

@test "no probe of quark's group stays in kprobe_events" {
	[ -e "$T/kprobe_events" ] || skip "this kernel has no kprobe_events"
	run grep -c '^[pr][0-9]*:quark/' "$T/kprobe_events"
	assert_output 0
}
