#!/usr/bin/env bats
# quark watch: paths as /proc gives them, on both backends (eBPF: the
# kernel's path walk in bpf/path.bpf.h; netlink: /proc read at exec).
#  - a file with no path of its own (memfd, O_TMPFILE, a detached mount,
#    another mount namespace's root): exe as /proc/PID/exe says it,
#    without " (deleted)", and exe_deleted when /proc says "(deleted)";
#  - long paths: whole up to PATH_MAX whatever the number of components;
#    a path really cut is flagged and does not read as a path ("…/...");
#  - a removed working directory: cwd_deleted, in watch, snapshot, lookup.
# Every workload stays alive for a while, so that the netlink backend,
# which reads /proc after the exec, can see it.  Needs root.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'watch_helpers'

bats_require_minimum_version 1.5.0

setup_file() {
	export E="$BATS_FILE_TMPDIR/ebpf" N="$BATS_FILE_TMPDIR/netlink"
	watch_start "$E" --backend ebpf || true
	watch_start "$N" --backend netlink || true
}

teardown_file() {
	watch_kill "$E"
	watch_kill "$N"
}

setup() {
	H=$QUARK_HELPERS
	m="quark-test-$$-$BATS_TEST_NUMBER-$RANDOM$RANDOM"
	from_e=$(watch_lines "$E")
	from_n=$(watch_lines "$N")
	cd "$BATS_TEST_TMPDIR"
}

# exe_of PID: /proc/PID/exe once PID runs something else than the helper
# (its exec done), as /proc says it, " (deleted)" included.
proc_exe() {
	local i e

	for (( i = 0; i < 500; i++ )); do
		e=$(readlink "/proc/$1/exe" 2>/dev/null) || e=
		case $e in
		''|*/fileless|/usr/bin/bash|/bin/bash) sleep 0.01 ;;
		*) echo "$e"; return 0 ;;
		esac
	done
	return 1
}

# rec_of DIR FROM: the record of the exec carrying $m, in $REC.
rec_of() {
	wait_recs "$1" "$2" "$m" '.kind == "event" and .process.args[0] == $m and
	    any(.events[]; . == "exec")' --arg m "$m"
}

# both FILTER [JQ_ARG...]: FILTER holds for the exec record of $m on
# both backends.
both() {
	rec_of "$E" "$from_e"
	assert_jq "$REC" "$@"
	rec_of "$N" "$from_n"
	assert_jq "$REC" "$@"
}

# fileless MODE: runs sleep through the helper; checks exe against
# /proc's on both backends.
fileless() {
	local pid pe

	"$H/fileless" "$1" /bin/sleep "$m" 1 &
	pid=$!
	pe=$(proc_exe "$pid")
	wait "$pid"
	both '.process.exe == ($pe | sub(" \\(deleted\\)$"; "")) and
	    (.process.exe_deleted // false) == ($pe | endswith(" (deleted)")) and
	    (.process | has("exe_truncated") | not)' --arg pe "$pe"
}

@test "watch: a memfd run with fexecve has exe /memfd:NAME and exe_deleted, as /proc says" {
	fileless memfd
	assert_jq "$REC" '.process.exe == "/memfd:quark-memfd" and
	    .process.exe_deleted == true'
}

@test "watch: an O_TMPFILE file run through /proc/self/fd has the exe /proc gives, deleted" {
	fileless tmpfile
	assert_jq "$REC" '.process.exe == ($d + "/#" + (.process.exe |
	    ltrimstr($d + "/#"))) and .process.exe_deleted == true' \
	    --arg d "$(pwd -P)"
}

@test "watch: a file on a detached (umount -l) mount has its path on that mount" {
	fileless detached
	assert_jq "$REC" '.process.exe == "/prog"'
}

@test "watch: a file in another mount namespace's root has the path in that root" {
	fileless newroot
	assert_jq "$REC" '.process.exe == "/prog" and .process.cwd == "/"'
}

# deep DIR COUNT NAME: COUNT nested directories NAME under DIR; prints
# the deepest one's path.
deep() {
	local d=$1 i

	for (( i = 0; i < $2; i++ )); do
		d="$d/$3"
	done
	mkdir -p "$d"
	echo "$d"
}

@test "watch: a cwd of 1900 components (over 3800 bytes) is whole, not cut" {
	d=$(deep "$(pwd -P)/c" 1900 a)
	[ "$(printf %s "$d" | wc -c)" -gt 3800 ]
	[ "$(printf %s "$d" | wc -c)" -lt 4096 ]
	(cd "$d" && exec -a "$m" /bin/sleep 1)
	both '.process.cwd == $d and (.process | has("cwd_truncated") | not)' \
	    --arg d "$d"
}

@test "watch: an exe of 1500 components is whole; filename as given" {
	d=$(deep "$(pwd -P)/e" 1500 b)
	cp /bin/sleep "$d/s"
	(exec -a "$m" "$d/s" 1)
	both '.process.exe == $e and (.process | has("exe_truncated") | not)' \
	    --arg e "$d/s"
	rec_of "$E" "$from_e"
	assert_jq "$REC" '.process.filename == $e and
	    (.process | has("filename_truncated") | not)' --arg e "$d/s"
}

@test "watch: a cwd and exe longer than PATH_MAX are cut at the front: \"…/\", *_truncated" {
	name=$(head -c 200 /dev/zero | tr '\0' d)
	d=$(deep "$(pwd -P)" 6 "$name")
	cd "$d"
	d=$(deep . 18 "$name")
	cd "$d"
	real=$(pwd -P)
	[ "$(printf %s "$real" | wc -c)" -gt 4096 ]
	cp /bin/sleep ./s
	"$H/fileless" path ./s "$m" 1
	cd /
	rec_of "$E" "$from_e"
	# The end of the real path, after the mark: never a path of its own.
	assert_jq "$REC" '.process.cwd_truncated == true and
	    (.process.cwd | startswith("…/")) and
	    (.process.cwd as $c | $r | endswith($c | ltrimstr("…"))) and
	    (.process.cwd | utf8bytelength) > 3000' --arg r "$real"
	assert_jq "$REC" '.process.exe_truncated == true and
	    (.process.exe | startswith("…/")) and
	    (.process.exe as $e | $r + "/s" | endswith($e | ltrimstr("…")))' \
	    --arg r "$real"
	assert_jq "$REC" '.process.filename == "./s"'
	# /proc cannot give such a path: the netlink backend says nothing.
	rec_of "$N" "$from_n"
	assert_jq "$REC" '(.process | has("cwd") | not) and
	    (.process | has("exe") | not)'
}

@test "watch: a process whose cwd was removed has cwd_deleted, the old path" {
	mkdir gone
	d=$(pwd -P)/gone
	(cd gone && rmdir "$d" && exec -a "$m" /bin/sleep 1)
	both '.process.cwd == $d and .process.cwd_deleted == true' --arg d "$d"
	# A cwd that is a mount's root (never hashed) is not deleted.
	m="$m-root"
	(cd / && exec -a "$m" /bin/sleep 1)
	both '.process.cwd == "/" and (.process | has("cwd_deleted") | not)'
}

@test "snapshot and lookup: a process whose cwd was removed has cwd_deleted" {
	mkdir gone
	d=$(pwd -P)/gone
	(cd gone && rmdir "$d" && exec -a "$m" /bin/sleep 30) &
	pid=$!
	for (( i = 0; i < 500; i++ )); do
		[[ $(readlink "/proc/$pid/cwd") == *"(deleted)" ]] &&
		    [[ $(readlink "/proc/$pid/exe") == */sleep ]] && break
		sleep 0.01
	done
	run -0 "$QUARK" lookup "$pid"
	assert_jq "$output" '.process.cwd == $d and .process.cwd_deleted == true' \
	    --arg d "$d"
	run -0 "$QUARK" snapshot
	r=$(jq -c --argjson p "$pid" 'select(.process.pid == $p)' <<<"$output")
	assert_jq "$r" '.process.cwd == $d and .process.cwd_deleted == true' \
	    --arg d "$d"
	assert_jq "$(quark_lookup_self)" '(.process | has("cwd_deleted") | not)'
	kill "$pid"
	wait "$pid" || true
}

quark_lookup_self() {
	"$QUARK" lookup $$
}

@test "watch-paths: both instances stop on SIGINT and exit 0" {
	watch_stop "$E"
	watch_stop "$N"
}
