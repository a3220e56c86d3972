#!/usr/bin/env bats
# make install: the binary, both man pages, the three completions and the
# schema land at their conventional places under DESTDIR and PREFIX.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	QUARK=${QUARK:-$TOP/build/quark}
	# Install the binary under test, whichever build it is.
	BUILD=$(cd "$(dirname "$QUARK")" && pwd)
	BUILD=${BUILD#"$TOP"/}
}

@test "install: DESTDIR and PREFIX place every file" {
	run make -s -C "$TOP" install BUILD="$BUILD" PREFIX=/opt/q \
	    DESTDIR="$BATS_TEST_TMPDIR/root"
	assert_success
	run sh -c "cd '$BATS_TEST_TMPDIR/root' && find . -type f | sort"
	assert_output "./opt/q/lib/systemd/system/quark.service
./opt/q/sbin/quark
./opt/q/share/bash-completion/completions/quark
./opt/q/share/doc/quark/examples/logrotate-quark
./opt/q/share/doc/quark/examples/rsyslog-quark.conf
./opt/q/share/fish/vendor_completions.d/quark.fish
./opt/q/share/man/man7/quark-schema.7
./opt/q/share/man/man8/quark.8
./opt/q/share/quark/quark.schema.json
./opt/q/share/zsh/site-functions/_quark"
	run "$BATS_TEST_TMPDIR/root/opt/q/sbin/quark" -V
	assert_success
	assert_output --regexp '^quark [0-9]+\.[0-9]+\.[0-9]+$'
	run test -x "$BATS_TEST_TMPDIR/root/opt/q/sbin/quark"
	assert_success
	run mandoc -Tascii "$BATS_TEST_TMPDIR/root/opt/q/share/man/man8/quark.8"
	assert_success
	assert_output --partial "quark watch"
}

@test "make run: quark watch, with nothing but records on stdout" {
	# As a user types it, not as a sub-make of `make check`: under
	# another make, make itself prints "make[1]: Entering directory" on
	# stdout before it reads the Makefile.
	local mk="env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS make"
	local out="$BATS_TEST_TMPDIR/run.out" marker="quark-make-run-$$"
	# Something to report while it runs: markers, every 0.2 s.
	( for i in $(seq 25); do /bin/true "$marker"; sleep 0.2; done ) &
	run sh -c "cd '$TOP' && timeout --preserve-status -s INT 5 $mk run \
	    BUILD='$BUILD' 2>/dev/null >'$out'"
	wait
	run "$BATS_TEST_DIRNAME/../schema-check" <"$out"
	assert_success
	run jq -r 'select(.kind != "event" and .kind != "lost") | .kind' "$out"
	assert_success
	assert_output ""
	run env M="$marker" jq -r 'select(.process.args[1]? == $ENV.M) |
	    .process.comm' "$out"
	assert_success
	assert_line "true"
}
