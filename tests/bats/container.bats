#!/usr/bin/env bats
# Containers named only in v1 cgroup hierarchies (a v1 or hybrid host
# with a cgroupfs driver: memory:/docker/ID while the v2 path says
# nothing).  The test makes such a container: /docker/ID in every v1
# controller hierarchy where it sits at the root (mounting one if the
# host has none), and runs a workload in it.  The eBPF backend (from the
# kernel), the proc connector and lookup (from /proc) must all name it.
# Needs root.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'watch_helpers'

bats_require_minimum_version 1.5.0

# The v1 controller hierarchies (not named ones) mounted now.
v1_mounts() {
	awk '{ for (i = 7; $i != "-"; i++) ; if ($(i + 1) == "cgroup" &&
	    $(i + 3) !~ /name=/) print $5 }' /proc/self/mountinfo
}

setup_file() {
	local m c

	export CID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	export STATE="$BATS_FILE_TMPDIR/state"
	: >"$STATE"
	if [ -z "$(v1_mounts)" ]; then
		# A v2-only host: a controller v2 does not use can go to v1.
		mkdir -p "$BATS_FILE_TMPDIR/v1"
		for c in net_cls net_prio perf_event hugetlb pids freezer; do
			if mount -t cgroup -o "$c" quark-test \
			    "$BATS_FILE_TMPDIR/v1" 2>/dev/null; then
				echo "umount $BATS_FILE_TMPDIR/v1" >>"$STATE"
				break
			fi
		done
	fi
	# /docker/CID where this shell is at the root (others are someone
	# else's placement, like a resource manager's memory cgroup).
	: >"$BATS_FILE_TMPDIR/dirs"
	for m in $(v1_mounts); do
		grep -qx "$$" "$m/cgroup.procs" 2>/dev/null || continue
		if [ ! -d "$m/docker" ]; then
			mkdir "$m/docker" || continue
			echo "rmdir $m/docker" >>"$STATE"
		fi
		mkdir "$m/docker/$CID" || continue
		echo "rmdir $m/docker/$CID" >>"$STATE"
		# cpuset takes no task before it has cpus and mems.
		for c in cpus mems; do
			if [ -e "$m/cpuset.$c" ]; then
				cat "$m/cpuset.$c" >"$m/docker/cpuset.$c"
				cat "$m/cpuset.$c" >"$m/docker/$CID/cpuset.$c"
			fi
		done
		echo "$m/docker/$CID" >>"$BATS_FILE_TMPDIR/dirs"
	done
	export W="$BATS_FILE_TMPDIR/w" N="$BATS_FILE_TMPDIR/n"
	watch_start "$W" || true
	watch_start "$N" --backend netlink || true
}

teardown_file() {
	watch_kill "$W"
	watch_kill "$N"
	# Undo in reverse order; the workloads are gone by now.
	tac "$STATE" | while read -r cmd arg; do
		$cmd "$arg" 2>/dev/null || true
	done
}

teardown() {
	if [ -n "${BG:-}" ]; then
		kill "$BG" 2>/dev/null || true
		wait "$BG" 2>/dev/null || true
	fi
}

setup() {
	m="quark-ctr-$$-$BATS_TEST_NUMBER-$RANDOM$RANDOM"
	[ -s "$BATS_FILE_TMPDIR/dirs" ] ||
	    skip "no v1 controller hierarchy can exist on this kernel"
}

# in_container CMD...: run CMD in the test's container (every v1 dir).
JOIN='while read -r d; do echo $$ >"$d/cgroup.procs"; done <"$1"; shift
    exec "$@"'
in_container() {
	sh -c "$JOIN" sh "$BATS_FILE_TMPDIR/dirs" "$@"
}

@test "a container only in v1 hierarchies: the v2 path does not name it" {
	run -0 in_container cat /proc/self/cgroup
	assert_output --partial ":/docker/$CID"
	refute_output --regexp "^0::.*$CID"
}

@test "eBPF: a process in a container named only by v1 hierarchies has it" {
	in_container /bin/sh -c 'sleep 0.3' "$m"
	# The record of the exec in the container (not the joining shell's).
	wait_recs "$W" 0 "$m" "$HAS_M and .process.args[0] == \"/bin/sh\"" \
	    --arg m "$m"
	assert_jq "$REC" '.process.container == {"id": $id, "runtime": "docker"}' \
	    --arg id "$CID"
	# Outside it: no container.
	/bin/sh -c 'sleep 0.3' "$m-out"
	wait_recs "$W" 0 "$m-out" "$HAS_M" --arg m "$m-out"
	assert_jq "$REC" 'has("process") and (.process | has("container") | not)'
}

@test "proc connector: a process in a container named only by v1 hierarchies has it" {
	# "; :" keeps sh alive beside its sleep (dash execs a last lone
	# command): the proc connector reads sh's args from /proc after the
	# exec, and a process gone by then has none (never its parent's).
	in_container /bin/sh -c 'sleep 0.3; :' "$m"
	wait_recs "$N" 0 "$m" "$HAS_M and .process.args[0] == \"/bin/sh\"" \
	    --arg m "$m"
	assert_jq "$REC" '.process.container == {"id": $id, "runtime": "docker"}' \
	    --arg id "$CID"
}

@test "lookup and snapshot: a process in a container named only by v1 hierarchies has it" {
	sh -c "$JOIN" sh "$BATS_FILE_TMPDIR/dirs" /bin/sleep 10 &
	BG=$! pid=$!
	sleep 0.2
	run -0 "$QUARK" lookup "$pid"
	assert_jq "$output" '.process.container == {"id": $id, "runtime": "docker"}' \
	    --arg id "$CID"
	run -0 "$QUARK" snapshot
	assert_jq "$(jq -c --argjson p "$pid" 'select(.process.pid == $p)' <<<"$output")" \
	    '.process.container == {"id": $id, "runtime": "docker"}' --arg id "$CID"
}
