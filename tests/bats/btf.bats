#!/usr/bin/env bats
# quark btf: members, facilities, verdict; --btf; bad input.
# Runs as root in CI.  What the kernel offers is found here without quark
# (the kprobe PMU and tracefs, bpftool's feature probe, a load of an fentry
# program with bpftool) and compared with what quark btf says: these tests
# pass on any kernel quark's eBPF backend runs on, and fail when quark's
# report disagrees with the kernel under test.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup_file() {
	: "${QUARK:=$BATS_TEST_DIRNAME/../../build/quark}"
	export QUARK
	bpftool btf dump file /sys/kernel/btf/vmlinux \
	    > "$BATS_FILE_TMPDIR/dump.txt"
	"$QUARK" btf --json > "$BATS_FILE_TMPDIR/out.json"
	kernel_facts > "$BATS_FILE_TMPDIR/kernel.txt"
}

# kernel_facts: "NAME STATE" for the facilities checked below, found
# without quark.
kernel_facts() {
	local t=$BATS_FILE_TMPDIR tracefs=/sys/kernel/tracing
	[ -e "$tracefs/events" ] || tracefs=/sys/kernel/debug/tracing
	# kprobe: the kprobe PMU (4.17+) or tracefs' kprobe_events.
	if [ -r /sys/bus/event_source/devices/kprobe/type ] ||
	    [ -e "$tracefs/kprobe_events" ]; then
		echo "kprobe available"
	else
		echo "kprobe absent"
	fi
	# fentry and tp_btf: whether the kernel loads such a program
	# (bpftool, not quark).
	if tried_load fentry/do_exit; then
		echo "fentry available"
	else
		echo "fentry refused"
	fi
	if tried_load tp_btf/sched_process_exec; then
		echo "tp_btf available"
	else
		echo "tp_btf refused"
	fi
	# ringbuf: bpftool's feature probe.
	if bpftool feature probe kernel -j 2>/dev/null |
	    jq -e '.map_types.have_ringbuf_map_type' >/dev/null; then
		echo "ringbuf available"
	else
		echo "ringbuf absent"
	fi
}

# tried_load HOOK: tests/fixtures/hook.bpf.c built for HOOK loads
tried_load() {
	local t=$BATS_FILE_TMPDIR pin=/sys/fs/bpf/quark-btf-bats-$$ r=0
	"${BPF_CLANG:-clang-19}" -g -O2 -target bpf \
	    -I"/usr/include/$(uname -m)-linux-gnu" -DHOOK="\"$1\"" \
	    -c "$BATS_TEST_DIRNAME/../fixtures/hook.bpf.c" -o "$t/hook.bpf.o" ||
	    return 2
	bpftool prog load "$t/hook.bpf.o" "$pin" 2>>"$t/load.err" || r=1
	rm -f "$pin"
	return $r
}

# kernel NAME: the state of facility NAME found without quark
kernel() {
	awk -v n="$1" '$1 == n { print $2 }' "$BATS_FILE_TMPDIR/kernel.txt"
}

setup() {
	: "${QUARK:=$BATS_TEST_DIRNAME/../../build/quark}"
	OUT=$BATS_FILE_TMPDIR/out.json
}

# offset STRUCT MEMBER: what quark says, in bytes
offset() {
	jq -r --arg s "$1" --arg m "$2" 'select(.kind == "btf_member" and
	    .struct == $s and .member == $m) | .offset' "$OUT"
}

# bpftool_offset STRUCT MEMBER: what bpftool's raw dump says
bpftool_offset() {
	awk -v s="$1" -v m="$2" -f "$BATS_TEST_DIRNAME/btf_offset.awk" \
	    "$BATS_FILE_TMPDIR/dump.txt"
}

facility() {
	jq -r --arg n "$1" 'select(.kind == "facility" and .name == $n) |
	    .state' "$OUT"
}

@test "btf -h prints the usage and exits 0" {
	run "$QUARK" btf -h
	assert_success
	assert_line --index 0 "usage: quark btf [-h] [--table | --json] [--btf FILE]"
	assert_line --regexp '^  --btf FILE +read BTF from FILE .*\(default: /sys/kernel/btf/vmlinux\)$'
}

@test "btf with a bad option exits 2" {
	run "$QUARK" btf --nope
	assert_failure 2
	run "$QUARK" btf extra
	assert_failure 2
	run "$QUARK" btf --table --json
	assert_failure 2
}

@test "btf output is NDJSON when not a terminal: members, facilities, one verdict" {
	run "$QUARK" btf
	assert_success
	[ "$(printf '%s\n' "$output" | jq -c . | wc -l)" -eq "${#lines[@]}" ]
	[ "$(jq -r .kind "$OUT" | grep -cvE '^(btf_member|btf_type|btf_enumval|facility|verdict)$')" -eq 0 ]
	[ "$(jq -r 'select(.kind == "verdict") | .kind' "$OUT" | wc -l)" -eq 1 ]
	[ "$(jq -r 'select(.kind == "facility") | .name' "$OUT" | wc -l)" -ge 15 ]
	[ "$(jq -r 'select(.kind == "btf_member") | .kind' "$OUT" | wc -l)" -ge 40 ]
}

@test "btf NDJSON validates against the JSON Schema: default, --btf, unprivileged" {
	check=$BATS_TEST_DIRNAME/../schema-check
	# Not a terminal, no option: NDJSON.
	run bash -c "set -o pipefail; '$QUARK' btf | '$check'"
	assert_success
	assert_output --regexp '^schema-check: [0-9]+ lines valid$'
	run bash -c "set -o pipefail; '$QUARK' btf --btf /sys/kernel/btf/vmlinux | '$check'"
	assert_success
	assert_output --regexp '^schema-check: [0-9]+ lines valid$'
	# No backend: hooks and mode are null.
	[ "$(id -u)" -eq 0 ]
	run bash -c "set -o pipefail; setpriv --reuid=65534 --regid=65534 --clear-groups \
	    --inh-caps=-all '$QUARK' btf | '$check'"
	assert_success
	assert_output --regexp '^schema-check: [0-9]+ lines valid$'
}

@test "btf records the schema must refuse: misspelt key, details of an absent member, wrong state" {
	check=$BATS_TEST_DIRNAME/../schema-check
	good=$(jq -c 'select(.kind == "btf_member" and .struct == "cred" and
	    .member == "euid")' "$OUT")
	[ -n "$good" ]
	run "$check" <<<"$good"
	assert_success
	for bad in \
	    "${good/\"offset\"/\"ofset\"}" \
	    "$(jq -c '.present = false' <<<"$good")" \
	    "$(jq -c 'del(.source)' <<<"$good")" \
	    "$(jq -c 'select(.kind == "facility" and .state != "available") |
		.available = true' "$OUT" | head -n 1)" \
	    "$(jq -c 'select(.kind == "verdict") | .features.extra =
		{"on": true, "reason": "x"}' "$OUT")"; do
		run "$check" <<<"$bad"
		assert_failure
		assert_output --partial "line 1:"
	done
}

@test "btf offsets equal bpftool's for task_struct.tgid, real_parent, cred.euid, mm_struct.arg_start" {
	for sm in task_struct:tgid task_struct:real_parent cred:euid \
	    mm_struct:arg_start dentry:d_parent; do
		s=${sm%%:*} m=${sm##*:}
		want=$(bpftool_offset "$s" "$m")
		got=$(offset "$s" "$m")
		echo "$s.$m: quark '$got' bpftool '$want'"
		[ -n "$want" ]
		[ "$got" = "$want" ]
	done
}

@test "btf reports a renamed member under its old name with the name matched" {
	run jq -c 'select(.kind == "btf_member" and .struct == "task_struct"
	    and .member == "state") | [.present, .matched, .offset]' "$OUT"
	assert_output "[true,\"__state\",$(bpftool_offset task_struct __state)]"
}

@test "btf members come from the BPF object's CO-RE relocations when it has any" {
	obj=$BATS_TEST_DIRNAME/../../build/bpf/quark.bpf.o
	nbpf=$(jq -r 'select(.kind == "btf_member" and
	    (.source | index("bpf"))) | .member' "$OUT" | wc -l)
	if llvm-readelf-19 -S "$obj" | grep -q '\.BTF\.ext'; then
		[ "$nbpf" -gt 0 ]
		run jq -r 'select(.struct == "task_struct" and
		    .member == "tgid") | .source | join(",")' "$OUT"
		assert_output "bpf,required"
	else
		[ "$nbpf" -eq 0 ]
	fi
}

@test "btf facilities agree with the kernel: kprobe, fentry, ringbuf, tp_btf" {
	cat "$BATS_FILE_TMPDIR/kernel.txt"
	[ "$(facility kprobe)" = "$(kernel kprobe)" ]
	# quark says "unusable" or "absent" when the kernel refuses a load
	if [ "$(kernel fentry)" = available ]; then
		[ "$(facility fentry)" = available ]
	else
		[ "$(facility fentry)" != available ]
	fi
	[ "$(facility ringbuf)" = "$(kernel ringbuf)" ]
	if [ "$(kernel tp_btf)" = available ]; then
		[ "$(facility tp_btf)" = available ]
	else
		[ "$(facility tp_btf)" != available ]
	fi
}

@test "btf verdict: eBPF with tp_btf, the optional hooks off exactly where the kernel lacks them" {
	# the eBPF backend needs both
	[ "$(kernel tp_btf)" = available ]
	[ "$(kernel ringbuf)" = available ]
	fentry=$(kernel fentry) kprobe=$(kernel kprobe)
	# mode: what watch loads (tracepoint programs only), whatever the
	# kernel offers besides
	mode=tracepoint-only
	case "$fentry $kprobe" in
	"available available") off= ;;
	"available absent") off=kprobe_extras ;;
	"refused available") off=fentry_extras ;;
	*) off=fentry_extras,kprobe_extras ;;
	esac
	run jq -r 'select(.kind == "verdict") |
	    "\(.backend) \(.hooks) \(.mode)"' "$OUT"
	assert_output "ebpf tp_btf $mode"
	run jq -r 'select(.kind == "verdict") | .off | join(",")' "$OUT"
	assert_output "$off"
	if [ "$fentry" != available ]; then
		run jq -r 'select(.kind == "verdict") |
		    .features.fentry_extras.reason' "$OUT"
		assert_output --partial "fentry unusable"
	fi
}

@test "btf --table prints a human table" {
	run "$QUARK" btf --table
	assert_success
	assert_line --regexp '^MEMBER +MATCHED +OFFSET +SIZE +FROM$'
	assert_line --regexp "^task_struct\.tgid +tgid +$(bpftool_offset task_struct tgid) +4 +"
	assert_line --regexp "^fentry +$(facility fentry) "
	assert_line --regexp "^kprobe +$(facility kprobe) "
	assert_line --partial "verdict: backend ebpf (tp_btf, $(jq -r 'select(.kind == "verdict") | .mode' "$OUT"))"
}

@test "btf --btf FILE with a good file reports members and enum values only" {
	cp /sys/kernel/btf/vmlinux "$BATS_TEST_TMPDIR/vmlinux"
	run "$QUARK" btf --json --btf "$BATS_TEST_TMPDIR/vmlinux"
	assert_success
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out.json"
	# No facility or verdict: those are about the running kernel.
	[ "$(jq -r .kind "$BATS_TEST_TMPDIR/out.json" | sort -u | tr '\n' ' ')" = "btf_enumval btf_member " ]
	OUT=$BATS_TEST_TMPDIR/out.json
	[ "$(offset task_struct tgid)" = "$(bpftool_offset task_struct tgid)" ]
	[ "$(offset cred euid)" = "$(bpftool_offset cred euid)" ]
}

@test "btf --btf with a missing file: one error line, exit 1" {
	run "$QUARK" btf --btf /nonexistent/vmlinux
	assert_failure 1
	assert_output "quark: btf: /nonexistent/vmlinux: No such file or directory"
}

@test "btf --btf with corrupt files: one error line each, exit 1" {
	t=$BATS_TEST_TMPDIR
	head -c 100000 /sys/kernel/btf/vmlinux > "$t/truncated"
	: > "$t/empty"
	cp /sys/kernel/btf/vmlinux "$t/badversion"
	printf '\x07' | dd of="$t/badversion" bs=1 seek=2 conv=notrunc 2>/dev/null
	cp /sys/kernel/btf/vmlinux "$t/badhdrlen"
	printf '\xff\xff\xff\xff' | dd of="$t/badhdrlen" bs=1 seek=4 conv=notrunc 2>/dev/null
	run "$QUARK" btf --btf "$t/truncated"
	assert_failure 1
	assert_output --regexp "^quark: btf: $t/truncated: truncated: header describes [0-9]+ bytes, 100000 present$"
	run "$QUARK" btf --btf "$t/empty"
	assert_failure 1
	assert_output "quark: btf: $t/empty: empty file"
	run "$QUARK" btf --btf /etc/passwd
	assert_failure 1
	assert_output "quark: btf: /etc/passwd: not BTF (no BTF magic, not ELF)"
	run "$QUARK" btf --btf "$t/badversion"
	assert_failure 1
	assert_output "quark: btf: $t/badversion: unsupported BTF version 7"
	run "$QUARK" btf --btf "$t/badhdrlen"
	assert_failure 1
	assert_output --regexp "^quark: btf: $t/badhdrlen: corrupt BTF header"
	run "$QUARK" btf --btf "$BATS_TEST_TMPDIR"
	assert_failure 1
	assert_output "quark: btf: $BATS_TEST_TMPDIR: Is a directory"
}

@test "btf --btf reads the .BTF of an ELF file" {
	obj=$BATS_TEST_DIRNAME/../../build/bpf/quark.bpf.o
	run "$QUARK" btf --json --btf "$obj"
	assert_success
	run "$QUARK" btf --btf /bin/true
	assert_failure 1
	assert_output "quark: btf: /bin/true: ELF file without a .BTF section"
}

@test "btf unprivileged still reports members, and says why there is no backend" {
	[ "$(id -u)" -eq 0 ]	# CI runs as root; setpriv needs it
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    --inh-caps=-all "$QUARK" btf --json
	assert_success
	printf '%s\n' "$output" > "$BATS_TEST_TMPDIR/out.json"
	OUT=$BATS_TEST_TMPDIR/out.json
	[ "$(offset task_struct tgid)" = "$(bpftool_offset task_struct tgid)" ]
	run jq -r 'select(.kind == "verdict") | "\(.backend): \(.reason)"' "$OUT"
	assert_output "none: loading BPF needs root (CAP_BPF and CAP_PERFMON); try sudo"
	[ "$(facility cap_bpf)" = absent ]
	[ "$(facility ringbuf)" = unknown ]
	# the kprobe PMU is world-readable; tracefs is not
	if [ -r /sys/bus/event_source/devices/kprobe/type ]; then
		[ "$(facility kprobe)" = available ]
	else
		[ "$(facility kprobe)" = absent ]
	fi
}

@test "btf with tracefs unmounted says mountable and leaves nothing mounted" {
	run unshare -m sh -c '
	    umount /sys/kernel/debug/tracing 2>/dev/null
	    umount /sys/kernel/tracing 2>/dev/null
	    "$1" btf --json | jq -r "(select(.kind == \"facility\" and
		(.name == \"tracefs\" or .name == \"syscall_tracepoints\")) |
		\"\(.name) \(.state)\"),
		(select(.kind == \"verdict\") |
		\"creds \(.features.credential_changes.on)\")"
	    grep -c " - tracefs " /proc/self/mountinfo || :' sh "$QUARK"
	assert_success
	# libbpf attaches tracepoint/syscalls/* through a mounted tracefs,
	# which quark watch mounts when it is mountable (lib/ebpf.c)
	assert_output "syscall_tracepoints available
tracefs mountable
creds true
0"
}
