#!/usr/bin/env bats
# A real log shipper behind `quark watch --output FILE`: rsyslog, run with
# the configuration quark ships (dist/rsyslog-quark.conf, only its paths
# changed), tails FILE, parses each line as JSON and writes what it
# parsed.  Rotated twice by logrotate with the shipped snippet
# (dist/logrotate-quark, its postrotate aimed at this quark) and
# restarted once, the shipper must deliver every record quark wrote,
# once, equal as JSON: unicode, sanitized bytes and long argv intact.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
QUARK=${QUARK:-$TOP/build/quark}

setup() {
	command -v rsyslogd >/dev/null ||
	    fail "rsyslogd not installed (make deps installs rsyslog)"
	command -v logrotate >/dev/null ||
	    fail "logrotate not installed (make deps installs it)"
	D=$BATS_TEST_TMPDIR
	L=$D/log
	mkdir -p "$L" "$D/work"
	chmod 0755 "$L"
	QPID= RPID=
	# The shipped files with the test's paths.
	{
		printf 'global(workDirectory="%s/work")\n' "$D"
		sed "s|/var/log/quark/|$L/|g" "$TOP/dist/rsyslog-quark.conf"
	} >"$D/rsyslog.conf"
	sed -e "s|/var/log/quark/|$L/|g" \
	    -e "s|systemctl kill .*|kill -HUP \$(cat $D/quark.pid)|" \
	    "$TOP/dist/logrotate-quark" >"$D/logrotate.conf"
}

teardown() {
	[ -z "$QPID" ] || kill -KILL "$QPID" 2>/dev/null || true
	[ -z "$RPID" ] || kill -KILL "$RPID" 2>/dev/null || true
}

# in_file FILE STRING: FILE holds STRING (passed through a file, so that
# grep's own record does not match).
in_file() {
	grep -q -F -f <(printf '%s\n' "$2") "$1" 2>/dev/null
}

# wait_for FILE STRING: up to 20 s.
wait_for() {
	local i

	for (( i = 0; i < 200; i++ )); do
		in_file "$1" "$2" && return 0
		sleep 0.1
	done
	fail "no '$2' in $1 after 20 s"
}

rsyslog_start() {
	rsyslogd -n -f "$D/rsyslog.conf" -i "$D/rsyslog.pid" \
	    >>"$D/rsyslog.err" 2>&1 </dev/null 3>&- &
	RPID=$!
}

rsyslog_stop() {
	kill -TERM "$RPID"
	wait "$RPID" || fail "rsyslogd exited $? after SIGTERM"
	RPID=
}

# A 60,000-byte argument of one repeated character.
long_arg() {
	head -c 60000 /dev/zero | tr '\0' "$1"
}

# phase N: processes with hostile arguments, marked quark-ship-N-*; wait
# until quark has written the last one.
phase() {
	local n=$1 i m

	for (( i = 0; i < 5; i++ )); do
		m="quark-ship-$n-$i-$$"
		/bin/true "$m" 'héllo ☃ 日本 🦀' $'bad\xff\xfe\xc3bytes' \
		    $'tab\there new\nline' 'quote" back\slash' \
		    "$(long_arg a)" "$(long_arg b)" "$(long_arg c)"
	done
	wait_for "$L/quark.ndjson" "\"quark-ship-$n-4-$$\""
}

# rotate: logrotate, forced, with the shipped snippet; its postrotate
# sends quark SIGHUP.  Wait for quark to have reopened the file.
rotate() {
	local m="quark-ship-reopen-$1-$$"

	logrotate -f -s "$D/logrotate.state" "$D/logrotate.conf" ||
	    fail "logrotate failed"
	/bin/true "$m"
	wait_for "$L/quark.ndjson" "\"$m\""
}

@test "rsyslog ships every record quark writes, once and intact, across two logrotate rotations and a restart" {
	"$QUARK" watch --argv-cap 262144 --output "$L/quark.ndjson" \
	    2>"$D/quark.err" </dev/null 3>&- &
	QPID=$!
	echo "$QPID" >"$D/quark.pid"
	/bin/true "quark-ship-start-$$"
	for (( i = 0; i < 100; i++ )); do
		in_file "$D/quark.err" "quark: watch: ready" && break
		sleep 0.1
	done
	rsyslog_start
	phase 1
	rotate 1
	phase 2
	rsyslog_stop
	phase 3		# written while the shipper is down
	rsyslog_start
	phase 4
	rotate 2
	phase 5
	kill -INT "$QPID"
	wait "$QPID" || fail "quark exited $?: $(cat "$D/quark.err")"
	QPID=
	# What quark wrote, in the order written: the oldest rotation first.
	[ -f "$L/quark.ndjson.2.gz" ] || fail "no second rotation: $(ls "$L")"
	{ zcat "$L/quark.ndjson.2.gz"; cat "$L/quark.ndjson.1" \
	    "$L/quark.ndjson"; } >"$D/written"
	want=$(wc -l <"$D/written")
	for (( i = 0; i < 300; i++ )); do
		[ "$(wc -l <"$L/shipped.ndjson")" -ge "$want" ] && break
		sleep 0.1
	done
	sleep 1		# anything more would be a duplicate: let it come
	rsyslog_stop
	run cat "$D/rsyslog.err"
	refute_output --partial "error"
	[ ! -e "$L/unparsed.log" ] ||
	    fail "lines rsyslog could not parse: $(head -c 2000 "$L/unparsed.log")"
	# Every record, once: the same multiset of JSON values.
	jq -c -S . "$D/written" | sort >"$D/want"
	jq -c -S . "$L/shipped.ndjson" | sort >"$D/got"
	[ "$(wc -l <"$D/want")" -eq "$want" ] || fail "quark wrote a line that is not JSON"
	if ! cmp -s "$D/want" "$D/got"; then
		fail "$(printf 'shipped != written (%s vs %s lines):\n' \
		    "$(wc -l <"$D/got")" "$want"; diff "$D/want" "$D/got" |
		    cut -c 1-300 | head -n 20)"
	fi
	# ... and those records are the processes above, intact.
	for n in 1 2 3 4 5; do
		for (( i = 0; i < 5; i++ )); do
			m="quark-ship-$n-$i-$$"
			r=$(env M="$m" jq -c 'select(.kind == "event" and
			    .process.args[1]? == $ENV.M)' "$L/shipped.ndjson")
			[ "$(grep -c . <<<"$r")" -eq 1 ] ||
			    fail "$m: $(grep -c . <<<"$r") shipped records"
			env A="$(long_arg a)" B="$(long_arg b)" C="$(long_arg c)" \
			    jq -e '.process.args[2:] == ["héllo ☃ 日本 🦀",
			    "bad\ufffd\ufffd\ufffdbytes", "tab\there new\nline",
			    "quote\" back\\slash", $ENV.A, $ENV.B, $ENV.C] and
			    (.process.sanitized | index("args")) != null and
			    .process.argc == 9' <<<"$r" >/dev/null ||
			    fail "$m: not intact: $(cut -c 1-600 <<<"$r")"
		done
	done
}
