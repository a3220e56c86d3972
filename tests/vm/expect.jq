# expect.jq - what the record of each workload step of tests/vm/init must
# say.  Used by tests/vm/checks.sh:
#     jq -rn --slurpfile recs watch.out --argjson pid PID \
#        --arg step NAME --arg mode exact|known|kernel -f expect.jq
# prints nothing when the record is right, else one line per mismatch.
#
# mode "exact": every field below is present and equal (the eBPF backend
# reads them from the kernel at the event).  mode "known": a field is
# equal or absent, never another value (the proc connector reads /proc
# after the fact: a process gone by then has unknown fields, never its
# parent's); the events must be among those listed and include fork, exec
# and exit; the exit status is the kernel's, exact in every mode.  mode
# "kernel": only the events and the exit status.  mode "kprobe": as
# exact, but the cwd of deepcwd may be absent (deeper than the kprobe
# backend's walk reaches: left unknown, never cut; see quark(8)).
#
# A key whose wanted value is null must be absent.  Step memfd execs
# twice (fileless, then the memfd): one record, fileless's image in
# process.previous (previous_exes: the exes of process.previous; in
# modes known and kernel, as many images, each exe right or absent).
# Step threadexec: a thread that is not the leader execs (the kernel
# ends the old leader first): one record, one exit.

def ids($i): {uid: $i, euid: $i, suid: $i, fsuid: $i,
    gid: $i, egid: $i, sgid: $i, fsgid: $i};

def step($s; $pid):
	{cwd: "/tmp", cwd_deleted: null, exe_deleted: null} +
	if $s | startswith("marker-") then
		{comm: "true", exe: "/bin/busybox", filename: "/bin/true",
		 args: ["/bin/true", $s], events: ["fork", "exec", "exit"],
		 exit: {code: 0, signal: null}}
	elif $s == "exit42" then
		{comm: "exitcode", exe: "/bin/exitcode",
		 filename: "/bin/exitcode",
		 args: ["/bin/exitcode", "42", "marker-42"],
		 events: ["fork", "exec", "exit"], exit: {code: 42, signal: null}}
	elif $s == "exit3" then
		{comm: "sh", exe: "/bin/busybox", filename: "/bin/sh",
		 args: ["/bin/sh", "-c", "exit 3", "marker-3"],
		 events: ["fork", "exec", "exit"], exit: {code: 3, signal: null}}
	elif $s == "setids" then
		{comm: "dropids", exe: "/bin/dropids", filename: "/bin/dropids",
		 args: ["/bin/dropids", "65534", "65534", "marker-ids"],
		 events: ["fork", "exec", "setgid", "setuid", "exit"],
		 exit: {code: 0, signal: null}} + ids(65534)
	elif $s == "setsid" then
		{comm: "newsid", exe: "/bin/newsid", filename: "/bin/newsid",
		 args: ["/bin/newsid", "marker-sid"], sid: $pid,
		 events: ["fork", "exec", "setsid", "exit"],
		 exit: {code: 0, signal: null}}
	elif $s == "sigkill" then
		{comm: "sleep", exe: "/bin/busybox", filename: "/bin/sleep",
		 args: ["/bin/sleep", "31"], events: ["fork", "exec", "exit"],
		 exit: {code: null, signal: 9}}
	elif $s == "memfd" then
		{exe: "/memfd:quark-memfd", exe_deleted: true,
		 args: ["/bin/exitcode", "5", "marker-memfd"],
		 previous_exes: ["/bin/fileless"],
		 events: ["fork", "exec", "exec", "exit"],
		 exit: {code: 5, signal: null}}
	elif $s == "threadexec" then
		{comm: "exitcode", exe: "/bin/exitcode",
		 filename: "/bin/exitcode",
		 args: ["/bin/exitcode", "8", "marker-te"],
		 previous_exes: ["/bin/thread_exec"],
		 events: ["fork", "exec", "exec", "exit"],
		 exit: {code: 8, signal: null}}
	elif $s == "cwdgone" then
		{cwd: "/tmp/gone", cwd_deleted: true, comm: "exitcode",
		 exe: "/bin/exitcode", filename: "/bin/exitcode",
		 args: ["/bin/exitcode", "6", "marker-gone"],
		 events: ["fork", "exec", "exit"], exit: {code: 6, signal: null}}
	elif $s == "deepcwd" then
		{cwd: "/tmp/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12",
		 cwd_truncated: null, comm: "exitcode", exe: "/bin/exitcode",
		 filename: "/bin/exitcode",
		 args: ["/bin/exitcode", "7", "marker-deep"],
		 events: ["fork", "exec", "exit"], exit: {code: 7, signal: null}}
	else error("expect.jq: unknown step \($s)") end;

[$recs[] | select(.kind == "event" and .process.pid == $pid)] as $r |
step($step; $pid) as $want |
if ($r | length) != 1 then
	"\($step) (pid \($pid)): \($r | length) records, want 1"
else
	$r[0] as $rec | $rec.process as $p |
	($want | to_entries[]) as {key: $k, value: $v} |
	if $k == "events" then
		if $mode == "exact" or $mode == "kprobe" then
			select($rec.events != $v)
		else
			select(($rec.events - $v) != [] or
			    (["fork", "exec", "exit"] - $rec.events) != [])
		end |
		"\($step) (pid \($pid)): events \($rec.events | tojson), want \($v | tojson)"
	elif $k == "exit" then
		$v | to_entries[] |
		select($p.exit[.key] != .value) |
		"\($step) (pid \($pid)): exit.\(.key) \($p.exit[.key] | tojson), want \(.value | tojson)"
	elif $k == "previous_exes" then
		[$p.previous[]?.exe] as $got |
		select(if $mode == "exact" or $mode == "kprobe" then $got != $v
		    else ($got | length) != ($v | length) or
		    any(range($v | length); $got[.] != null and
		    $got[.] != $v[.]) end) |
		"\($step) (pid \($pid)): previous images' exes \([$p.previous[]?.exe] | tojson), want \($v | tojson)"
	elif $mode != "kernel" then
		select($p[$k] != $v and ($mode == "exact" or $p[$k] != null or
		    ($mode == "kprobe" and
		    ($k != "cwd" or $step != "deepcwd")))) |
		"\($step) (pid \($pid)): \($k) \($p[$k] | tojson), want \($v | tojson)"
	else
		empty
	end
end
