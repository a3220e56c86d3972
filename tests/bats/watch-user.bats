#!/usr/bin/env bats
# quark watch --user USER: once attached and seeded, quark runs as USER
# (uid, gid, supplementary groups) with CAP_SYS_PTRACE and
# CAP_DAC_READ_SEARCH only (CAP_BPF too where the kernel checks it on map
# reads), and its records stay as complete as root's, other users'
# processes included.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load watch_helpers

# The capabilities --user keeps, as /proc/PID/status masks.
CAP_DAC_READ_SEARCH=2
CAP_SYS_PTRACE=19
CAP_BPF=39

setup() {
	D=$BATS_TEST_TMPDIR/w
	# A user that is neither root nor nobody, for "another user".
	OTHER=daemon
	id -u "$OTHER" >/dev/null || skip "no user $OTHER"
}

teardown() {
	watch_kill "$D"
}

# status_field PID NAME: the value of NAME: in /proc/PID/status.
status_field() {
	sed -nE "s/^$2:[[:space:]]*//p" "/proc/$1/status" | sed -E 's/[[:space:]]+$//'
}

# check_switched PID BACKEND: quark PID runs as nobody with only the kept
# capabilities.
check_switched() {
	local pid=$1 backend=$2 uid gid groups eff prm bnd want extra

	uid=$(id -u nobody) gid=$(id -g nobody)
	assert_equal "$(status_field "$pid" Uid)" "$uid	$uid	$uid	$uid"
	assert_equal "$(status_field "$pid" Gid)" "$gid	$gid	$gid	$gid"
	groups=$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')
	assert_equal "$(status_field "$pid" Groups | tr ' ' '\n' | sort -n |
	    tr '\n' ' ' | sed 's/ $//')" "$groups"
	eff=$(( 0x$(status_field "$pid" CapEff) ))
	prm=$(( 0x$(status_field "$pid" CapPrm) ))
	bnd=$(( 0x$(status_field "$pid" CapBnd) ))
	assert_equal "$(status_field "$pid" CapAmb)" 0000000000000000
	assert_equal "$(status_field "$pid" NoNewPrivs)" 1
	assert_equal "$eff" "$prm"
	assert_equal "$bnd" "$prm"
	want=$(( (1 << CAP_DAC_READ_SEARCH) | (1 << CAP_SYS_PTRACE) ))
	extra=$(( eff & ~want ))
	# Kernels that check CAP_BPF on every bpf(2) call (before 6.5, with
	# unprivileged BPF off) keep it for the eBPF backend's lost counter.
	if [ "$backend" = ebpf ] && [ "$extra" -eq $(( 1 << CAP_BPF )) ]; then
		extra=0
	fi
	assert_equal "$(( eff & want ))" "$want"
	assert_equal "$extra" 0
}

# check_complete KIND MARK USER VALUE: the exec record of `sh -c 'sleep 1'
# MARK` run as USER in /root with FOO=VALUE has what root's quark gives.
check_complete() {
	local m=$1 user=$2 val=$3

	wait_recs "$D" 0 "$m" "$HAS_M and .process.exe != null" --arg m "$m"
	assert_jq "$REC" '.process.exe == "/usr/bin/dash" or .process.exe == "/bin/dash" or (.process.exe | endswith("sh"))'
	assert_jq "$REC" '.process.cwd == $d' --arg d "$4"
	assert_jq "$REC" '.process.user == $u' --arg u "$user"
	assert_jq "$REC" '.process.uid == ($id | tonumber)' --arg id "$(id -u "$user")"
	assert_jq "$REC" '.process.args == ["sh", "-c", "sleep 1", $m]' --arg m "$m"
	assert_jq "$REC" '.process.ns.mnt > 0 and .process.ns.pid > 0'
	assert_jq "$REC" '.process.cap.effective | test("^0x[0-9a-f]{16}$")'
	assert_jq "$REC" 'any(.process.env[]?; . == "QUARK_T=" + $v)' --arg v "$val"
	assert_jq "$REC" '.parent.exe != null and .parent.pid > 0'
}

run_user_test() {
	local b=$1 pid m1 m2

	# Ready: attached, seeded and switched (the netlink backend's
	# records of short-lived markers may lack the marker).
	watch_start_ready "$D" --backend "$b" --env --user nobody
	pid=$(cat "$D/pid")
	check_switched "$pid" "$b"
	m1="quark-user-root-$b-$$-$RANDOM"
	m2="quark-user-other-$b-$$-$RANDOM"
	(cd /root && QUARK_T=r1 sh -c 'sleep 1' "$m1")
	mkdir -p "$BATS_TEST_TMPDIR/o" && chmod 0755 "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/o"
	(cd "$BATS_TEST_TMPDIR/o" && setpriv --reuid="$OTHER" --regid="$(id -g "$OTHER")" \
	    --init-groups env QUARK_T=o2 sh -c 'sleep 1' "$m2")
	check_complete "$m1" root r1 /root
	check_complete "$m2" "$OTHER" o2 "$BATS_TEST_TMPDIR/o"
	# Still switched at the end: nothing took privileges back.
	check_switched "$pid" "$b"
	watch_stop "$D"
	run cat "$D/err"
	assert_output "quark: watch: ready"
	schema_ok "$D/out"
}

@test "watch --user nobody (eBPF): runs as nobody with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH; root's and another user's processes come complete" {
	run_user_test ebpf
}

@test "watch --user nobody (netlink): runs as nobody with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH; root's and another user's processes come complete" {
	run_user_test netlink
}

@test "watch --user with an unknown user: one line, exit 1, nothing captured" {
	run "$QUARK" watch --user quark-no-such-user-$$
	assert_failure 1
	assert_output "quark: watch: unknown user 'quark-no-such-user-$$'"
}

@test "watch --user without CAP_SETUID: one line, exit 1" {
	run setpriv --bounding-set=-setuid,-setgid --inh-caps=-all \
	    "$QUARK" watch --user nobody
	assert_failure 1
	assert_output --partial "quark: watch: --user needs CAP_SETUID and CAP_SETGID"
}
