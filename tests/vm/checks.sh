# checks.sh - the host-side checks of one kernel-matrix guest run, sourced
# by tests/vm/matrix.sh.  tests/vm/scenarios names them (check_NAME).
#
# Each check_NAME DIR looks at what the guest wrote (DIR/btf.json,
# DIR/watch.out, DIR/watch.err, DIR/pids, ...: the sections of
# tests/vm/init's output), returns 0 when right and otherwise 1 with the
# reason in $why.  Kernel facts are checked against what this guest's
# kernel did, never against the host's.
# shellcheck shell=sh

vm_dir=$(cd "$(dirname "$0")" && pwd)

# verdict DIR FIELD: the verdict's FIELD in quark btf's output
verdict() {
	jq -r "select(.kind == \"verdict\") | .$2 // empty" "$1/btf.json" \
	    2>/dev/null
}

# pid DIR STEP: the pid of workload STEP (tests/vm/init's run lines)
pid() {
	awk -v s="$2" '$1 == s { print $2; exit }' "$1/pids" 2>/dev/null
}

# steps DIR MODE STEP...: expect.jq on each step's record
steps() {
	_d=$1 _m=$2
	shift 2
	why=
	for _s in "$@"; do
		_p=$(pid "$_d" "$_s")
		if [ -z "$_p" ]; then
			why="$why${why:+; }$_s: the guest did not run it"
			continue
		fi
		_r=$(jq -rn --slurpfile recs "$_d/watch.out" --argjson pid "$_p" \
		    --arg step "$_s" --arg mode "$_m" \
		    -f "$vm_dir/expect.jq" 2>&1 | paste -sd ';' -)
		[ -z "$_r" ] || why="$why${why:+; }$_r"
	done
	[ -z "$why" ]
}

all_steps="marker-1 marker-2 marker-3 marker-4 marker-5 exit42 exit3 setids setsid sigkill threadexec"

# The guest reached its result line: no panic, hang or timeout.
check_result() {
	why="no result line from the guest (panic, hang or timeout: see the console log)"
	[ -f "$1/done" ]
}

# quark btf and quark watch exited 0, watch after seeing the whole workload.
check_watch_rc() {
	why="quark btf exited $(cat "$1/btf.rc" 2>/dev/null)"
	[ "$(cat "$1/btf.rc" 2>/dev/null)" = 0 ] || return 1
	why="quark watch exited $(cat "$1/watch.rc" 2>/dev/null): $(grep -v '^{' "$1/watch.err" | paste -sd ' ' -)"
	[ "$(cat "$1/watch.rc" 2>/dev/null)" = 0 ] || return 1
	why="$(cat "$1/guest.err" 2>/dev/null)"
	[ ! -s "$1/guest.err" ]
}

# Every line quark wrote (btf, watch's records) is valid against
# schema/quark.schema.json.
check_schema() {
	for _f in btf.json watch.out; do
		why="$_f: $("$vm_dir/../schema-check" <"$1/$_f" 2>&1 | head -n 2 | paste -sd ' ' -)"
		"$vm_dir/../schema-check" <"$1/$_f" >/dev/null 2>&1 ||
		    return 1
	done
}

# quark btf's verdict
# mode: what watch loads, tracepoint programs only, although these kernels
# offer fentry and kprobes too.
check_btf_ebpf() {
	why="verdict: $(verdict "$1" backend) $(verdict "$1" hooks) $(verdict "$1" mode), want ebpf tp_btf tracepoint-only: $(verdict "$1" reason)"
	[ "$(verdict "$1" backend) $(verdict "$1" hooks) $(verdict "$1" mode)" = "ebpf tp_btf tracepoint-only" ]
}
check_btf_nobtf() {
	why="verdict: $(verdict "$1" backend): $(verdict "$1" reason); want netlink because of the missing BTF"
	[ "$(verdict "$1" backend)" = netlink ] &&
	    verdict "$1" reason | grep -q '/sys/kernel/btf/vmlinux'
}
check_btf_lockdown() {
	why="verdict: $(verdict "$1" backend): $(verdict "$1" reason); want netlink: eBPF unusable, the kernel refuses quark's BPF programs"
	[ "$(verdict "$1" backend)" = netlink ] &&
	    verdict "$1" reason | grep -q '^eBPF unusable (the kernel refuses quark.s BPF programs'
}
# The guest really ran under lockdown=confidentiality.
check_lockdown_on() {
	why="/sys/kernel/security/lockdown: $(cat "$1/lockdown" 2>/dev/null)"
	grep -q '\[confidentiality\]' "$1/lockdown" 2>/dev/null
}

# The backend watch used, from its --stats line.
backend_is() {
	_b=$(grep '^{' "$1/watch.err" | jq -r 'select(.kind == "stats") |
	    .backend' 2>/dev/null | tail -n 1)
	why="watch used backend '$_b', want $2"
	[ "$_b" = "$2" ]
}
check_backend_ebpf() { backend_is "$1" ebpf; }
check_backend_netlink() { backend_is "$1" netlink; }
check_backend_kprobe() { backend_is "$1" kprobe; }

# bpf(2) refused (QNOBPF): the verdict is kprobes, because of bpf(2).
check_btf_kprobe() {
	why="verdict: $(verdict "$1" backend): $(verdict "$1" reason); want kprobe because bpf(2) is refused"
	[ "$(verdict "$1" backend)" = kprobe ] &&
	    verdict "$1" reason | grep -q 'bpf(2)'
}

# watch said on stderr that it uses kprobes, and that eBPF was refused.
check_fallback_kprobe_said() {
	why="stderr does not say watch fell back to kprobes because bpf(2) was refused: $(grep -v '^{' "$1/watch.err" | paste -sd ' ' -)"
	grep -v '^{' "$1/watch.err" |
	    grep -q '^quark: watch: using the kprobe backend (ebpf: .*bpf(2) refused'
}

# QSTALE: the SIGKILLed quark left its probes; the next quark removed
# them at its start, and its own at its exit: no quark probe stays.
check_probes_removed() {
	_k=$(cat "$1/stale.pid" 2>/dev/null)
	why="the SIGKILLed quark (pid $_k) left no probe: nothing was checked"
	[ -n "$_k" ] && grep -q "quark/[a-z0-9]*_$_k " "$1/probes.killed" ||
	    return 1
	why="the SIGKILLed quark's probes were still there while the next one ran: $(grep "_$_k " "$1/probes.running" | head -n 1 | cut -c 1-80)"
	! grep -q "quark/[a-z0-9]*_$_k " "$1/probes.running" || return 1
	why="the running quark's probes were not in kprobe_events"
	grep -q 'quark/' "$1/probes.running" || return 1
	why="probes stayed after quark exited: $(head -n 1 "$1/probes.end" | cut -c 1-80)"
	[ -f "$1/probes.end" ] && ! grep -q 'quark/' "$1/probes.end"
}

# watch said on stderr which backend it fell back to, and why eBPF was
# not used, in words that quark btf's verdict gives too (one decision, not
# two): "quark: watch: using the netlink backend (ebpf: WHY; ...)".
check_fallback_said() {
	_l=$(grep '^quark: watch: .*netlink' "$1/watch.err" | head -n 1)
	_e=$(printf '%s\n' "$_l" | sed -n 's/.*(ebpf: \([^;]*\).*/\1/p')
	why="stderr does not say which backend watch fell back to and why not eBPF: $(grep -v '^{' "$1/watch.err" | paste -sd ' ' -)"
	[ -n "$_e" ] || return 1
	why="watch's reason (ebpf: $_e) is not quark btf's: $(verdict "$1" reason)"
	verdict "$1" reason | grep -qF -- "$_e"
}

# eBPF: every record exact (argv, exe, filename, cwd, comm, events, exit
# status, ids, session).
check_markers() {
	steps "$1" exact marker-1 marker-2 marker-3 marker-4 marker-5
}
check_exit_codes() { steps "$1" exact exit42 exit3; }
check_sigkill() { steps "$1" exact sigkill; }
check_setids() { steps "$1" exact setids; }
check_setsid() { steps "$1" exact setsid; }
check_thread_exec() { steps "$1" exact threadexec; }

# Paths: a memfd's exe (/memfd:NAME, exe_deleted), a removed cwd (its
# path, cwd_deleted), a cwd 12 directories deep (exact; with kprobes
# exact or absent, never cut: deeper than the kprobe walk reaches).
check_paths() { steps "$1" exact memfd cwdgone deepcwd; }
check_kp_paths() { steps "$1" kprobe memfd cwdgone deepcwd; }

# The proc connector: one record per process with the kernel's events and
# exit status (kernel_exits); every field it has is right (absent when
# quark could not read /proc in time, never another process's value:
# fields_known).
# shellcheck disable=SC2086
check_kernel_exits() { steps "$1" kernel $all_steps; }
# shellcheck disable=SC2086
check_fields_known() { steps "$1" known $all_steps; }
