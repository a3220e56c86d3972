#!/usr/bin/env bats
# The systemd unit that `make install` installs: systemd-analyze verify
# finds nothing to say, it asks for the hardening quark(8) promises, and
# its ExecStart run as a non-root user with exactly the unit's
# capabilities (setpriv, as systemd would: ambient, bounded, no new
# privileges) gives complete records, with either backend.  The unit
# itself cannot be started here (PID 1 need not be systemd).

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
QUARK=${QUARK:-$TOP/build/quark}

setup_file() {
	local build

	build=$(cd "$(dirname "$QUARK")" && pwd)
	build=${build#"$TOP"/}
	# Installed for real under a prefix of its own: verify checks that
	# ExecStart exists and that the Documentation= man page is found.
	export P="$BATS_FILE_TMPDIR/prefix"
	make -s -C "$TOP" install BUILD="$build" PREFIX="$P" >&2
	export UNIT="$P/lib/systemd/system/quark.service"
}

setup() {
	# Reachable by nobody without CAP_DAC_READ_SEARCH (bats' own
	# directories are root's, 0700).
	D=$(mktemp -d /tmp/quark-service.XXXXXX)
	chmod 0755 "$D"
	QPID=
}

teardown() {
	[ -z "$QPID" ] || kill -KILL "$QPID" 2>/dev/null || true
	rm -rf "$D"
}

# key NAME: the value of NAME= in the unit (the last one wins, as for
# systemd).
key() {
	sed -nE "s/^$1=//p" "$UNIT" | tail -n 1
}

# cap_bit NAME: the number of capability NAME (CAP_BPF -> 39), from the
# kernel headers.
cap_bit() {
	awk -v n="$1" '$1 == "#define" && $2 == n && $3 ~ /^[0-9]+$/ { print $3 }' \
	    /usr/include/linux/capability.h
}

@test "service: make install installs a unit that systemd-analyze verify accepts silently" {
	[ -f "$UNIT" ] || fail "no $UNIT"
	run env MANPATH="$P/share/man" systemd-analyze verify "$UNIT"
	assert_success
	assert_output ""
	assert_equal "$(key ExecStart | cut -d' ' -f1)" "$P/sbin/quark"
}

@test "service: the unit runs unprivileged and hardened, restarting on failure" {
	assert_equal "$(key DynamicUser)" yes
	[ -z "$(key User)" ] || fail "User=$(key User)"
	assert_equal "$(key NoNewPrivileges)" yes
	assert_equal "$(key ProtectSystem)" strict
	assert_equal "$(key ProtectHome)" yes
	assert_equal "$(key PrivateTmp)" yes
	assert_equal "$(key Restart)" on-failure
	# The log's directory, and only it, is writable.
	out=$(key ExecStart | sed -nE 's/.*--output ([^ ]+).*/\1/p')
	[ -n "$out" ] || fail "ExecStart has no --output: $(key ExecStart)"
	assert_equal "$(key ReadWritePaths)" "$(dirname "$out")"
	# The ambient set is the bounding set: nothing more can be had.
	assert_equal "$(key CapabilityBoundingSet)" "$(key AmbientCapabilities)"
	run key CapabilityBoundingSet
	refute_output --partial CAP_SYS_ADMIN
}

# run_unit_caps [OPTION...]: ExecStart, its log moved to $D/log, run as
# nobody with exactly the unit's capabilities; waits for "ready".
run_unit_caps() {
	local caps= c cmd i

	for c in $(key AmbientCapabilities); do
		[ "$c" != "${WITHOUT:-}" ] || continue
		c=${c#CAP_}
		caps="$caps,+${c,,}"
	done
	caps=${caps#,}
	CAPS=$caps
	mkdir -p "$D/log"
	chown nobody "$D/log"
	LOG="$D/log/quark.ndjson"
	# The unit's command line, as words; only the log's path changed.
	read -r -a cmd <<<"$(key ExecStart)"
	for (( i = 0; i < ${#cmd[@]}; i++ )); do
		[ "${cmd[$i]}" != "--output" ] || cmd[$((i + 1))]=$LOG
	done
	cmd[0]=$QUARK		# the binary under test (ASan build too)
	: >"$D/err"
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    --no-new-privs --inh-caps="-all,$caps" --ambient-caps="-all,$caps" \
	    --bounding-set="-all,$caps" "${cmd[@]}" "$@" \
	    2>"$D/err" </dev/null 3>&- &
	QPID=$!
	for (( i = 0; i < 200; i++ )); do
		grep -q 'quark: watch: ready' "$D/err" && return 0
		kill -0 "$QPID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "${WITHOUT:-}" ] ||
	    fail "quark under the unit's capabilities did not start: $(cat "$D/err")"
	wait "$QPID" || STATUS=$?
	QPID=
}

# check_caps: quark runs as nobody with the unit's set, no more.
check_caps() {
	local want=0 c eff

	for c in $(key AmbientCapabilities); do
		[ "$c" != "${WITHOUT:-}" ] || continue
		want=$(( want | (1 << $(cap_bit "$c")) ))
	done
	eff=$(( 0x$(sed -nE 's/^CapEff:[[:space:]]*//p' "/proc/$QPID/status") ))
	assert_equal "$(printf '%x' "$eff")" "$(printf '%x' "$want")"
	assert_equal "$(sed -nE 's/^Uid:[[:space:]]*([0-9]+).*/\1/p' "/proc/$QPID/status")" \
	    "$(id -u nobody)"
	assert_equal "$(sed -nE 's/^NoNewPrivs:[[:space:]]*//p' "/proc/$QPID/status")" 1
}

# wait_rec MARK: the last exec record of a process whose args hold MARK
# (and run as `sh -c 'sleep 1' MARK`: it lives long enough for the
# netlink backend to read it).
wait_rec() {
	local i

	for (( i = 0; i < 200; i++ )); do
		REC=$(grep -F -f <(printf '"%s"\n' "$1") "$LOG" 2>/dev/null |
		    env M="$1" jq -c 'select(.kind == "event" and
		    (.events | index("exec")) != null and
		    any(.process.args[]?; . == $ENV.M))' | tail -n 1)
		[ -z "$REC" ] || return 0
		sleep 0.1
	done
	fail "no record of $1 in $LOG: $(tail -c 2000 "$LOG")"
}

# A root process started before quark, in /root, that starts MARK's
# process once $D/go exists: the record's parent is known from /proc
# only, read as nobody.
start_pre() {
	(cd /root && exec sh -c 'while [ ! -e "$1" ]; do sleep 0.1; done
	    sh -c "sleep 1" "$0"; :' "quark-svc-pre-$1-$$" "$D/go") 3>&- &
	PRE=$!
}

# The records of root's processes, and of the child of a process started
# before quark, have what root's quark would give.
check_records() {
	local m="quark-svc-$1-$$" pre="quark-svc-pre-$1-$$"

	(cd /root && sh -c 'sleep 1' "$m")
	wait_rec "$m"
	env M="$m" jq -e '.process.exe != null and .process.cwd == "/root" and
	    .process.args == ["sh", "-c", "sleep 1", $ENV.M] and
	    .process.user == "root" and .process.ns.mnt > 0 and
	    .process.cap.effective != null and .parent.exe != null' \
	    <<<"$REC" >/dev/null || fail "incomplete: $REC"
	touch "$D/go"
	wait "$PRE"
	wait_rec "$pre"
	env P="$PRE" jq -e '.process.exe != null and .process.cwd == "/root" and
	    .parent.pid == ($ENV.P | tonumber) and .parent.exe != null and
	    .parent.args[0] == "sh"' \
	    <<<"$REC" >/dev/null || fail "parent incomplete: $REC"
	run cat "$D/err"
	assert_output "quark: watch: ready"
}

# tracefs is mounted by systemd at boot (the unit Wants= it).
mount_tracefs() {
	local t=/sys/kernel/tracing

	[ -d "$t/events" ] || mount -t tracefs nodev "$t" ||
	    fail "cannot mount tracefs at $t"
}

# run_backend NAME: the checks above with --backend NAME.
run_backend() {
	mount_tracefs
	start_pre "$1"
	run_unit_caps --backend "$1"
	check_caps
	check_records "$1"
	kill -INT "$QPID"
	wait "$QPID" || fail "quark exited $?"
	QPID=
	run "$TOP/tests/schema-check" <"$LOG"
	assert_success
}

@test "service: quark watch as nobody with exactly the unit's capabilities gives complete records (eBPF)" {
	run_backend ebpf
}

@test "service: quark watch as nobody with exactly the unit's capabilities gives complete records (netlink)" {
	run_backend netlink
}

# Each capability of the unit, and what quark cannot do without it.
@test "service: each of the unit's capabilities is needed (without it quark fails or says what it misses)" {
	mount_tracefs
	for WITHOUT in $(key AmbientCapabilities); do
		STATUS=0
		rm -f "$D/go" "$D/log/quark.ndjson"
		case $WITHOUT in
		CAP_BPF|CAP_PERFMON)
			run_unit_caps --backend ebpf
			[ "$STATUS" -eq 1 ] || fail "ebpf without $WITHOUT: $STATUS"
			;;
		CAP_NET_ADMIN)
			# Needed before Linux 6.6, which lets any user
			# listen to the proc connector.
			run_unit_caps --backend netlink
			if [ -z "$QPID" ]; then
				[ "$STATUS" -eq 1 ] || fail "netlink without $WITHOUT: $STATUS"
				run cat "$D/err"
				assert_output --partial "CAP_NET_ADMIN"
			else
				echo "# this kernel lets anyone listen to the proc connector" >&3
			fi
			;;
		CAP_DAC_READ_SEARCH)
			run_unit_caps --backend ebpf
			check_caps
			run cat "$D/err"
			assert_output --partial "capture without credential changes"
			;;
		CAP_SYS_PTRACE)
			start_pre ptrace
			run_unit_caps --backend ebpf
			check_caps
			touch "$D/go"
			wait "$PRE"
			wait_rec "quark-svc-pre-ptrace-$$"
			# Read from /proc: another user's exe is out of reach.
			env P="$PRE" jq -e '.parent.pid == ($ENV.P | tonumber) and
			    .parent.exe == null' <<<"$REC" >/dev/null ||
			    fail "without CAP_SYS_PTRACE: $REC"
			;;
		*)
			fail "the unit has $WITHOUT: what is it for? (add it here)"
			;;
		esac
		[ -z "$QPID" ] || { kill -INT "$QPID"; wait "$QPID" || true; QPID=; }
	done
}
