# mapping.jq - the quark -> ECS mapping, written again apart from
# output/ecs.c (and from quark-schema(7)'s table), as a check.
#
# Input: {"q": a record in quark's schema, "e": the same record with
# --format ecs}.  Output: one string per disagreement (none: they agree).
# Each row: quark's key, the ECS key (both dotted), and how the value
# becomes the ECS one.  A quark key that is present must be there in ECS;
# keys quark leaves out are not looked at.

def hex2num: ltrimstr("0x") | ascii_downcase | explode
    | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
def bits: [recurse(if . >= 2 then (. / 2 | floor) else empty end) | . % 2];
def popcount: bits | add;

def rows: [
  ["time",                   "@timestamp",                          "time"],
  ["time_ns",                "quark.time_ns",                       "ns"],
  ["events",                 "quark.events",                        "same"],
  ["late",                   "quark.late",                          "same"],
  ["stale",                  "quark.stale",                         "same"],
  ["thread",                 "quark.thread",                        "same"],
  ["changes_dropped",        "quark.changes_dropped",               "same"],
  ["lost",                   "quark.lost",                          "same"],
  ["process.pid",            "process.pid",                         "same"],
  ["process.tid",            "process.thread.id",                   "tid"],
  ["process.ppid",           "process.parent.pid",                  "same"],
  ["process.comm",           "process.name",                        "same"],
  ["process.exe",            "process.executable",                  "same"],
  ["process.exe_truncated",  "quark.process.exe_truncated",         "same"],
  ["process.exe_deleted",    "quark.process.exe_deleted",           "same"],
  ["process.filename",       "quark.process.filename",              "same"],
  ["process.args",           "process.args",                        "same"],
  ["process.args",           "process.command_line",                "join"],
  ["process.argc",           "process.args_count",                  "same"],
  ["process.args_size",      "quark.process.args_size",             "same"],
  ["process.args_truncated", "quark.process.args_truncated",        "same"],
  ["process.cwd",            "process.working_directory",           "same"],
  ["process.cwd_truncated",  "quark.process.cwd_truncated",         "same"],
  ["process.state",          "quark.process.state",                 "same"],
  ["process.kthread",        "quark.process.kthread",               "same"],
  ["process.threads",        "quark.process.threads",               "same"],
  ["process.uid",            "process.real_user.id",                "string"],
  ["process.gid",            "process.real_group.id",               "string"],
  ["process.euid",           "process.user.id",                     "string"],
  ["process.euid",           "user.id",                             "string"],
  ["process.egid",           "process.group.id",                    "string"],
  ["process.egid",           "group.id",                            "string"],
  ["process.suid",           "process.saved_user.id",               "string"],
  ["process.sgid",           "process.saved_group.id",              "string"],
  ["process.fsuid",          "quark.process.fsuid",                 "same"],
  ["process.fsgid",          "quark.process.fsgid",                 "same"],
  ["process.user",           "process.real_user.name",              "same"],
  ["process.group",          "process.real_group.name",             "same"],
  ["process.euser",          "process.user.name",                   "same"],
  ["process.euser",          "user.name",                           "same"],
  ["process.egroup",         "process.group.name",                  "same"],
  ["process.egroup",         "group.name",                          "same"],
  ["process.loginuid",       "quark.process.loginuid",              "same"],
  ["process.pgid",           "process.group_leader.pid",            "same"],
  ["process.sid",            "process.session_leader.pid",          "same"],
  ["process.tty.major",      "process.tty.char_device.major",       "same"],
  ["process.tty.minor",      "process.tty.char_device.minor",       "same"],
  ["process.tty.name",       "quark.process.tty_name",              "same"],
  ["process.start_time",     "process.start",                       "time"],
  ["process.start_boottime_ns", "quark.process.start_boottime_ns",  "same"],
  ["process.entity_id",      "process.entity_id",                   "same"],
  ["process.cgroup",         "quark.process.cgroup",                "same"],
  ["process.cgroup_truncated", "quark.process.cgroup_truncated",    "same"],
  ["process.container.id",   "container.id",                        "same"],
  ["process.container.runtime", "container.runtime",                "same"],
  ["process.ns",             "quark.process.ns",                    "same"],
  ["process.cap.effective",  "process.thread.capabilities.effective", "caps"],
  ["process.cap.permitted",  "process.thread.capabilities.permitted", "caps"],
  ["process.cap.inheritable", "quark.process.cap.inheritable",      "caps"],
  ["process.cap.bounding",   "quark.process.cap.bounding",          "caps"],
  ["process.cap.ambient",    "quark.process.cap.ambient",           "caps"],
  ["process.env",            "process.env_vars",                    "same"],
  ["process.envc",           "quark.process.envc",                  "same"],
  ["process.env_truncated",  "quark.process.env_truncated",         "same"],
  ["process.exit.code",      "process.exit_code",                   "same"],
  ["process.exit.signal",    "quark.process.exit.signal",           "same"],
  ["process.exit.core_dumped", "quark.process.exit.core_dumped",    "same"],
  ["process.exit.time",      "process.end",                         "time"],
  ["process.exit.time_ns",   "quark.process.exit.time_ns",          "ns"],
  ["process.previous_dropped", "quark.process.previous_dropped",    "same"],
  ["parent.pid",             "process.parent.pid",                  "same"],
  ["parent.entity_id",       "process.parent.entity_id",            "same"],
  ["parent.comm",            "process.parent.name",                 "same"],
  ["parent.exe",             "process.parent.executable",           "same"],
  ["parent.args",            "process.parent.args",                 "same"],
  ["parent.argc",            "process.parent.args_count",           "same"],
  ["parent.start_time",      "process.parent.start",                "time"],
  ["parent.uid",             "process.parent.real_user.id",         "string"],
  ["parent.euid",            "process.parent.user.id",              "string"]
];

def path_of: split(".");

# RFC 3339 with nanoseconds -> seconds (a double: about 0.1 us).
def secs: capture("^(?<s>[^.Z]+)(?<f>\\.[0-9]+)?Z$")
    | (.s + "Z" | fromdateiso8601) + ((.f // ".0") | "0" + . | tonumber);

# The ECS value a quark value becomes.
def conv($how; $ecs):
  if $how == "same" then .
  elif $how == "string" then tostring
  elif $how == "join" then join(" ")
  elif $how == "tid" then .
  else . end;

.q as $q | .e as $e
| (rows[] as [$qk, $ek, $how]
   | ($q | getpath($qk | path_of)) as $qv
   | ($e | getpath($ek | path_of)) as $ev
   | select($qv != null)
   | if $how == "caps" then
       select(($ev | type) != "array" or ($ev | length) != ($qv | hex2num | popcount)
              or any($ev[]; test("^(CAP_[A-Z_]+|[0-9]+)$") | not))
       | "\($qk) = \($qv) but \($ek) = \($ev)"
     elif $how == "time" then
       # Two quark processes turn boot time into wall time each with its
       # own reading of the clocks: equal within 1 ms.  A snapshot's time
       # is when it was written.
       select($q.kind != "snapshot" or $qk != "time")
       | select($ev == null or (($qv | secs) - ($ev | secs) | fabs) > 0.001)
       | "\($qk) = \($qv) but \($ek) = \($ev)"
     elif $how == "ns" then
       # The same, as boot nanoseconds: each quark's BPF programs read
       # the clock on their own.
       select($ev == null or ($qv - $ev | fabs) > 1000000)
       | "\($qk) = \($qv) but \($ek) = \($ev)"
     elif $how == "tid" then
       # A thread's own id; the leader's (tid == pid) is not repeated.
       select(($qv != $q.process.pid) and $ev != $qv)
       | "\($qk) = \($qv) but \($ek) = \($ev)"
     else
       select(($qv | conv($how; $ek)) != $ev)
       | "\($qk) = \($qv | tojson | .[0:200]) but \($ek) = \($ev | tojson | .[0:200])"
     end),
  # Every altered quark key is named, by its ECS name, in quark.sanitized.
  (([$q.sanitized[]?], [$q.process.sanitized[]? | "process." + .],
    [$q.parent.sanitized[]? | "parent." + .]) | .[] as $k
   | (rows[] | select(.[0] == $k or (.[0] | startswith($k + "."))) | .[1]) as $ek
   | select(($e.quark.sanitized // []) | index($ek) | not)
   | "\($k) was sanitized but \($ek) is not in quark.sanitized: \($e.quark.sanitized)"),
  # Each earlier image, process.previous[i]: ECS has executable, args and
  # args_count in process.previous[i]; the rest is in
  # quark.process.previous[i], at the same index.
  (($q.process.previous // []) | to_entries[] | .key as $i | .value as $p
   | ($e.process.previous[$i]? // {}) as $pe
   | ($e.quark.process.previous[$i]? // {}) as $pq
   | ((["exe", "executable"], ["args", "args"], ["argc", "args_count"])
      as [$a, $b]
      | select($p[$a] != null and $p[$a] != $pe[$b])
      | "process.previous[\($i)].\($a) = \($p[$a] | tojson | .[0:200]) but process.previous[\($i)].\($b) = \($pe[$b] | tojson | .[0:200])"),
     (("comm", "exe_truncated", "exe_deleted", "filename",
       "filename_truncated", "args_size", "args_truncated") as $a
      | select($p[$a] != null and $p[$a] != $pq[$a])
      | "process.previous[\($i)].\($a) = \($p[$a] | tojson) but quark.process.previous[\($i)].\($a) = \($pq[$a] | tojson)"),
     (select($pq.time_ns == null or ($p.time_ns - $pq.time_ns | fabs) > 1000000)
      | "process.previous[\($i)].time_ns = \($p.time_ns) but quark.process.previous[\($i)].time_ns = \($pq.time_ns)"),
     ($p.sanitized[]? | {exe: "process.previous.executable",
       args: "process.previous.args"}[.] // "quark.process.previous." + .
      | . as $ek
      | select(($e.quark.sanitized // []) | index($ek) | not)
      | "process.previous[\($i)]: \($ek) was sanitized but is not in quark.sanitized: \($e.quark.sanitized)"))
