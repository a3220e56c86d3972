#!/usr/bin/env bats
# quark watch: user and group names as of the record's moment.  A user
# deleted right after running something keeps its name in that record; a
# uid without an entry gets no name created right after; and a change of
# /etc/passwd and /etc/group while quark runs is seen by later records.
# Needs root (useradd, userdel).  The users are the test's own, removed
# in teardown.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'watch_helpers'

bats_require_minimum_version 1.5.0

# The record of /bin/true MARK (not of setpriv, whose args hold MARK too).
TRUE_M="$HAS_M and .process.args[0] == \"/bin/true\""

setup_file() {
	export W="$BATS_FILE_TMPDIR/w"
	watch_start "$W" || true
}

teardown_file() {
	watch_kill "$W"
}

setup() {
	m="quark-names-$$-$BATS_TEST_NUMBER-$RANDOM$RANDOM"
	u="qn$$x$BATS_TEST_NUMBER"
	from=$(watch_lines "$W")
}

teardown() {
	userdel "$u" 2>/dev/null || true
	groupdel "$u" 2>/dev/null || true
}

# free_id: an id that neither /etc/passwd nor /etc/group has.
free_id() {
	local id

	for (( id = 40000 + RANDOM % 20000; ; id++ )); do
		getent passwd "$id" >/dev/null || getent group "$id" >/dev/null ||
		    break
	done
	echo "$id"
}

# as ID CMD...: run CMD with uid and gid ID.
as() {
	local id=$1

	shift
	setpriv --reuid="$id" --regid="$id" --clear-groups "$@"
}

@test "watch: a user deleted right after running something keeps its name in that record" {
	id=$(free_id)
	useradd -M -N -u "$id" "$u"
	groupadd -g "$id" "$u"
	# A record out after the change: quark has noticed it.
	barrier "$W"
	as "$id" /bin/true "$m"
	userdel "$u"
	groupdel "$u"
	wait_recs "$W" "$from" "$m" "$TRUE_M" --arg m "$m"
	assert_jq "$REC" '.process.uid == $id and .process.user == $u and
	    .process.group == $u and .process.euser == $u and
	    .process.egroup == $u' --argjson id "$id" --arg u "$u"
	# Later records of the uid have no name: the change was seen.
	as "$id" /bin/true "$m-after"
	wait_recs "$W" "$from" "$m-after" "$TRUE_M" --arg m "$m-after"
	assert_jq "$REC" '.process.uid == $id and
	    (.process | has("user") or has("group") | not)' --argjson id "$id"
}

@test "watch: a uid with no entry does not show the name of a user created right after" {
	id=$(free_id)
	as "$id" /bin/true "$m"
	useradd -M -N -u "$id" "$u"
	groupadd -g "$id" "$u"
	wait_recs "$W" "$from" "$m" "$TRUE_M" --arg m "$m"
	assert_jq "$REC" '.process.uid == $id and
	    (.process | has("user") or has("group") or has("euser") or
	    has("egroup") | not)' --argjson id "$id"
	# Later records of the uid have the name, with no restart.
	barrier "$W"
	as "$id" /bin/true "$m-after"
	wait_recs "$W" "$from" "$m-after" "$TRUE_M" --arg m "$m-after"
	assert_jq "$REC" '.process.user == $u and .process.group == $u' \
	    --arg u "$u"
}
