#!/usr/bin/env bats
# --format ecs: watch, snapshot and lookup in the Elastic Common Schema.
# Every leaf field of real output (hostile names, an exit code, a signal,
# a lost record, the stats line) is checked against ECS's own definitions
# by tests/ecs-check (EcsFlat of @elastic/ecs, pinned, fetched once); and
# each record says what the same record in quark's schema says, by the
# mapping written again in tests/ecs/mapping.jq.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load watch_helpers

ECS_CHECK=$BATS_TEST_DIRNAME/../ecs-check
MAPPING=$BATS_TEST_DIRNAME/../ecs/mapping.jq

setup_file() {
	# Fetch (or find cached) the pinned @elastic/ecs before any test.
	echo '{}' | "$BATS_TEST_DIRNAME/../ecs-check" >/dev/null 2>&1 || true
}

setup() {
	D=$BATS_TEST_TMPDIR
	Q=$D/q E=$D/e
	BG=
}

teardown() {
	watch_kill "$Q"
	watch_kill "$E"
	[ -z "$BG" ] || kill "$BG" 2>/dev/null || true
}

# ecs_ok FILE: every line of FILE is ECS.
ecs_ok() {
	run "$ECS_CHECK" <"$1"
	if [ "$status" -ne 0 ]; then
		fail "$(printf '%s is not ECS:\n%s' "$1" "$(head -c 4000 <<<"$output")")"
		return 1
	fi
	echo "# $(tail -n 1 <<<"$output")" >&3
}

# same_record QUARK_JSON ECS_JSON: the mapping holds between them.
same_record() {
	local diffs

	diffs=$(jq -n -r --argjson q "$1" --argjson e "$2" '{q: $q, e: $e}' |
	    jq -r -f "$MAPPING") || { fail "mapping.jq failed"; return 1; }
	[ -z "$diffs" ] || fail "$(printf 'ECS disagrees with quark:\n%s\nquark: %s\necs: %s' \
	    "$diffs" "$(head -c 1500 <<<"$1")" "$(head -c 1500 <<<"$2")")"
}

# hostile_dir: a directory and a copy of sleep whose names are not UTF-8,
# with a quote, a newline and non-ASCII letters; sets HDIR and HEXE.
hostile_dir() {
	HDIR="$D/$(printf 'dir-\xff-é-"q"\nx')"
	HEXE="$HDIR/$(printf 'sl\xfeép-日本')"
	mkdir -p "$HDIR"
	cp /bin/sleep "$HEXE"
}

@test "ecs: the ECS check rejects what is not ECS (it can fail)" {
	run "$ECS_CHECK" <<<'{"ecs":{"version":"0"},"process":{"pid":"1","pgid":3,"exit_code":[1],"parent":[{"pid":1}],"previous":[{"executable":"/a","name":"a","args_count":"1"}]},"event":{"kind":"bogus"}}'
	assert_failure
	assert_line --partial 'process.pid: long wants an integer'
	assert_line --partial 'process.pgid: not an ECS field'
	assert_line --partial 'process.exit_code: an array'
	assert_line --partial 'process.parent: an array of objects'
	assert_line --partial 'process.previous.name: not an ECS field'
	assert_line --partial 'process.previous.args_count: long wants an integer'
	assert_line --partial 'event.kind: "bogus" is not an allowed value'
	assert_line --partial 'ecs.version: not'
}

@test "ecs: snapshot --format ecs: every field of every process is ECS or under quark." {
	"$QUARK" snapshot --format ecs --env >"$D/snap"
	ecs_ok "$D/snap"
	run jq -e -s 'all(.event.kind == "state" and
	    .event.category == ["process"] and .event.type == ["info"])' "$D/snap"
	assert_success
	[ "$(jq -s 'map(select(.process.pid == 1)) | length' "$D/snap")" -eq 1 ]
}

@test "ecs: lookup --format ecs of a process with hostile names says what lookup says, sanitized fields named" {
	hostile_dir
	(cd "$HDIR" && exec -a "$(printf 'ar\xffg0 "\n')" "$HEXE" 30) 3>&- &
	BG=$!
	sleep 0.3
	"$QUARK" lookup --format ecs --env --ancestors "$BG" >"$D/ecs"
	"$QUARK" lookup --env --ancestors "$BG" >"$D/q"
	ecs_ok "$D/ecs"
	[ "$(wc -l <"$D/ecs")" -eq "$(wc -l <"$D/q")" ]
	same_record "$(head -n 1 "$D/q")" "$(head -n 1 "$D/ecs")"
	rec=$(head -n 1 "$D/ecs")
	assert_jq "$rec" '.process.pid == ($p | tonumber)' --arg p "$BG"
	assert_jq "$rec" '.process.executable | endswith("sl\ufffdép-日本")'
	assert_jq "$rec" '.quark.sanitized | index("process.executable") and
	    index("process.args") and index("process.working_directory")'
	assert_jq "$rec" '.event.kind == "state" and .event.action == "snapshot"'
}

@test "ecs: watch --format ecs gives, for the same processes, what watch gives: exec, exit code, signal, hostile names" {
	hostile_dir
	watch_start "$Q"
	watch_start "$E" --format ecs
	m="quark-ecs-$$-$RANDOM"
	(cd "$HDIR" && exec -a "$m" "$HEXE" 0.1)
	sh -c 'exit 3' "$m" || true
	sh -c 'kill -9 $$' "$m" 2>/dev/null || true
	/bin/sh -c 'exec /usr/bin/env /bin/true "$0"' "$m"
	barrier "$Q"
	barrier "$E"
	# Both are eBPF; the records are matched by pid and events.
	n=0
	while read -r q; do
		k=$(jq -c '[.process.pid, .events]' <<<"$q")
		e=$(env K="$k" jq -c 'select(([.process.pid, .quark.events] | tojson) == $ENV.K)' "$E/out" | tail -n 1)
		[ -n "$e" ] || fail "no ECS record for $k"
		same_record "$q" "$e"
		n=$((n + 1))
	done < <(find_recs "$Q" 0 "$m" "$HAS_M" --arg m "$m")
	[ "$n" -ge 4 ] || fail "only $n records of $m"
	# sh execs env, which execs true: the earlier images, ECS's fields in
	# process.previous, the rest in quark.process.previous.
	r=$(grep -F -- "$m" "$E/out" | jq -c 'select(.process.previous? != null)')
	assert_jq "$r" '.quark.events == ["fork", "exec", "exec", "exec", "exit"]'
	assert_jq "$r" '.process.executable == $t and .process.previous == [
	    {executable: $sh, args: ["/bin/sh", "-c", "exec /usr/bin/env /bin/true \"$0\"", $m],
	     args_count: 4},
	    {executable: $env, args: ["/usr/bin/env", "/bin/true", $m], args_count: 3}]' \
	    --arg t "$(readlink -f /bin/true)" --arg sh "$(readlink -f /bin/sh)" \
	    --arg env "$(readlink -f /usr/bin/env)" --arg m "$m"
	assert_jq "$r" '[.quark.process.previous[] | .filename] ==
	    ["/bin/sh", "/usr/bin/env"] and .quark.process.previous[0].comm == "sh"'
	assert_jq "$r" '.event.action == "exec" and .event.type == ["start", "end"]'

	r=$(grep -F -- "$m" "$E/out" | jq -c 'select(.process.args[0]? == "sh" and .process.exit_code == 3)')
	assert_jq "$r" '.event.type == ["start", "end"] and .event.action == "exec"'
	r=$(grep -F -- "$m" "$E/out" | jq -c 'select(.quark.process.exit.signal? == 9)')
	assert_jq "$r" '(.process | has("exit_code") | not) and .process.end != null'
	r=$(grep -F -- "$m" "$E/out" | jq -c 'select(.process.args[1]? == "0.1")')
	assert_jq "$r" '.quark.sanitized | index("process.executable") and index("process.working_directory")'
	watch_stop "$Q"
	watch_stop "$E"
	ecs_ok "$E/out"
}

@test "ecs: watch --backend netlink --format ecs: thin events enriched from /proc are ECS too" {
	hostile_dir
	watch_start_ready "$E" --backend netlink --format ecs
	m="quark-ecs-nl-$$-$RANDOM"
	(cd "$HDIR" && exec -a "$m" "$HEXE" 0.5)
	sh -c 'sleep 0.5; exit 4' "$m" || true
	wait_recs "$E" 0 "$m" '.process.exit_code == 4' --arg m "$m"
	assert_jq "$REC" '.process.args == ["sh", "-c", "sleep 0.5; exit 4", $m]' --arg m "$m"
	watch_stop "$E"
	ecs_ok "$E/out"
}

@test "ecs: a lost record is an ECS event counting the loss, and --stats is an ECS metric that agrees" {
	watch_start "$E" --format ecs --ring-size 4096 --stats
	# A stopped reader and a 4 KiB ring: the kernel drops.
	pad=$(head -c 3000 /dev/zero | tr '\0' p)
	kill -STOP "$(cat "$E/pid")"
	for i in $(seq 100); do /bin/true "$pad"; done
	kill -CONT "$(cat "$E/pid")"
	# Markers until one gets through: a 4 KiB ring on a busy machine
	# may drop any one of them.
	for (( i = 0; i < 100; i++ )); do
		/bin/true "quark-ecs-after-$$-$i"
		grep -qF -f <(printf '"quark-ecs-after-%s-' "$$") "$E/out" && break
		sleep 0.2
	done
	[ "$i" -lt 100 ] || fail "no record after the reader went on"
	watch_stop "$E"
	ecs_ok "$E/out"
	lost=$(jq -s '[.[] | select(.event.action == "lost") | .quark.lost] | add // 0' "$E/out")
	[ "$lost" -gt 0 ] || fail "no lost record"
	r=$(jq -c 'select(.event.action == "lost")' "$E/out" | head -n 1)
	assert_jq "$r" '.event.kind == "event" and .event.category == ["host"] and
	    .event.type == ["info"] and (.quark.lost > 0) and (has("process") | not)'
	grep '^{' "$E/err" | tail -n 1 >"$D/stats"
	ecs_ok "$D/stats"
	assert_jq "$(cat "$D/stats")" '.event.kind == "metric" and .quark.stats.lost == ($l | tonumber)' --arg l "$lost"
}

@test "ecs: --format with an unknown name is a usage error naming the formats" {
	run "$QUARK" snapshot --format nope
	assert_failure 2
	assert_line --partial "unknown format 'nope' (one of: ndjson, ecs"
}
