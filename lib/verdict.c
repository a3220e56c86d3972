/*
 * verdict.c - what `quark watch` would do with what probe_kernel() found.
 *
 * Policy as data: the facilities the eBPF backend cannot do without,
 * and for each optional feature the facilities that can carry it.  The
 * eBPF loader can read the same tables (probe_verdict()), so the report
 * and what is loaded need not disagree.
 *
 * When eBPF cannot work for a reason other than privilege, `quark watch`
 * falls back to kprobes without BPF, then to the netlink proc connector
 * (lib/queue.c): the verdict says "kprobe" or "netlink" when that one
 * probed usable.
 */
#include <stdio.h>
#include <string.h>

#include <bsd/string.h>

#include "quark_int.h"

/* The eBPF backend needs every one of these (hooks are checked apart). */
static const struct {
	int		 f;
	const char	*what;
} ebpf_needs[] = {
	{ PROBE_BTF,		"kernel BTF for CO-RE" },
	{ PROBE_BPF_SYSCALL,	"the bpf(2) syscall" },
	{ PROBE_RINGBUF,	"BPF ring buffers (Linux 5.8+)" },
	{ PROBE_SCHED_TP,	"the sched_process_{fork,exec,exit} "
				"tracepoints" },
};

/*
 * Optional features: on when `by` is available.  bpf/quark.bpf.c attaches
 * the credential hooks as "tracepoint/syscalls/sys_exit_*": libbpf finds
 * those through a mounted tracefs, so that one needs tracefs too; the
 * loader (lib/ring.c) mounts it when it is mountable.
 */
static const struct {
	const char	*name;
	int		 by;
	int		 tracefs;	/* needs tracefs mounted */
	const char	*via;
} features[FEAT_COUNT] = {
	[FEAT_CREDS] = { "credential_changes", PROBE_SYSCALL_TP, 1,
	    "syscalls:sys_exit_set* tracepoints" },
	[FEAT_COMM] = { "comm_changes", PROBE_TASK_RENAME, 0,
	    "task_rename tracepoint" },
	[FEAT_FENTRY] = { "fentry_extras", PROBE_FENTRY, 0,
	    "fentry/fexit programs" },
	[FEAT_KPROBE] = { "kprobe_extras", PROBE_KPROBE, 0, "kprobes" },
};

const char *
probe_feature_name(int f)
{
	return (f >= 0 && f < FEAT_COUNT ? features[f].name : "?");
}

static int
backend(const struct quark_probe *p, struct probe_verdict *v)
{
	size_t	i;

	if (!p->privileged) {
		snprintf(v->why, sizeof(v->why), "loading BPF needs root "
		    "(CAP_BPF and CAP_PERFMON); try sudo");
		return (0);
	}
	for (i = 0; i < nitems(ebpf_needs); i++) {
		if (p->state[ebpf_needs[i].f] != PROBE_OK) {
			snprintf(v->why, sizeof(v->why), "needs %s: %s",
			    ebpf_needs[i].what, p->why[ebpf_needs[i].f]);
			return (0);
		}
	}
	if (p->state[PROBE_TP_BTF] == PROBE_OK)
		v->hooks = "tp_btf";
	else if (p->state[PROBE_RAW_TP] == PROBE_OK)
		v->hooks = "raw_tp";
	else {
		snprintf(v->why, sizeof(v->why), "needs tp_btf or raw "
		    "tracepoint programs: %s", p->why[PROBE_RAW_TP]);
		return (0);
	}
	return (1);
}

/* What the proc connector carries, per feature; NULL: not with it. */
static const char *const netlink_features[FEAT_COUNT] = {
	[FEAT_CREDS] = "proc connector UID/GID events (saved/fs ids from /proc)",
	[FEAT_COMM] = "proc connector COMM events",
};

/*
 * The kprobe backend (lib/kprobe.c) needs these: kprobes it creates in
 * tracefs, read through perf, at offsets from BTF.
 */
static const struct {
	int		 f;
	const char	*what;
} kprobe_needs[] = {
	{ PROBE_KPROBE,		"kprobes" },
	{ PROBE_PERF_TP,	"perf_event_open on trace events" },
	{ PROBE_BTF,		"kernel BTF for offsets" },
};

/* What the kprobe backend carries, per feature; NULL: not with it. */
static const char *const kprobe_features[FEAT_COUNT] = {
	[FEAT_CREDS] = "commit_creds kprobe and syscalls:sys_exit_set* "
	    "tracepoints",
	[FEAT_COMM] = "perf comm records",
};

/* 1 when the kprobe backend can work, else 0 and why in buf. */
static int
kprobe_ok(const struct quark_probe *p, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < nitems(kprobe_needs); i++) {
		if (p->state[kprobe_needs[i].f] != PROBE_OK) {
			snprintf(buf, len, "needs %s: %.100s",
			    kprobe_needs[i].what, p->why[kprobe_needs[i].f]);
			return (0);
		}
	}
	if (!p->kprobe_btf) {
		snprintf(buf, len, "needs the members its probes read: %.100s",
		    p->kprobe_btf_why);
		return (0);
	}
	if (!p->kprobe_events) {
		snprintf(buf, len, "needs kprobe_events in tracefs: %s",
		    p->why[PROBE_KPROBE]);
		return (0);
	}
	return (1);
}

static void
kprobe_verdict(const struct quark_probe *p, struct probe_verdict *v)
{
	char	ebpf_why[sizeof(v->why)];
	int	i;

	strlcpy(ebpf_why, v->why, sizeof(ebpf_why));
	v->backend = "kprobe";
	snprintf(v->why, sizeof(v->why), "eBPF unusable (%.180s); falling "
	    "back to kprobes without BPF", ebpf_why);
	for (i = 0; i < FEAT_COUNT; i++) {
		v->on[i] = kprobe_features[i] != NULL &&
		    (i != FEAT_CREDS || p->state[PROBE_SYSCALL_TP] == PROBE_OK);
		snprintf(v->feat_why[i], sizeof(v->feat_why[i]), "%s",
		    v->on[i] ? kprobe_features[i] : kprobe_features[i] != NULL ?
		    p->why[PROBE_SYSCALL_TP] : "not with the kprobe backend");
	}
}

static void
netlink_verdict(const struct quark_probe *p, struct probe_verdict *v,
    const char *kprobe_why)
{
	char	ebpf_why[sizeof(v->why)];
	int	i;

	strlcpy(ebpf_why, v->why, sizeof(ebpf_why));
	v->backend = "netlink";
	snprintf(v->why, sizeof(v->why), "eBPF unusable (%.150s); kprobes "
	    "unusable (%.150s); falling back to the proc connector", ebpf_why,
	    kprobe_why);
	for (i = 0; i < FEAT_COUNT; i++) {
		v->on[i] = netlink_features[i] != NULL;
		snprintf(v->feat_why[i], sizeof(v->feat_why[i]), "%s",
		    v->on[i] ? netlink_features[i] :
		    "not with the netlink backend");
	}
}

void
probe_verdict(const struct quark_probe *p, struct probe_verdict *v)
{
	char	kwhy[160];
	int	i, f;

	memset(v, 0, sizeof(*v));
	v->backend = "none";
	if (!backend(p, v)) {
		/*
		 * Not root: no fallback either (lib/queue.c's AUTO policy,
		 * the same ladder: eBPF, kprobes, the proc connector).
		 */
		if (p->privileged && kprobe_ok(p, kwhy, sizeof(kwhy))) {
			kprobe_verdict(p, v);
			return;
		}
		if (p->privileged &&
		    p->state[PROBE_PROC_CONNECTOR] == PROBE_OK) {
			netlink_verdict(p, v, kwhy);
			return;
		}
		for (i = 0; i < FEAT_COUNT; i++)
			snprintf(v->feat_why[i], sizeof(v->feat_why[i]),
			    "no capture backend");
		return;
	}
	v->backend = "ebpf";
	snprintf(v->why, sizeof(v->why), "BTF, bpf(2), ring buffer and "
	    "sched tracepoints available; attaching with %s", v->hooks);
	for (i = 0; i < FEAT_COUNT; i++) {
		f = features[i].by;
		if (p->state[f] != PROBE_OK)
			snprintf(v->feat_why[i], sizeof(v->feat_why[i]),
			    "%s %s: %s", probe_name(f),
			    probe_state_name(p->state[f]), p->why[f]);
		else if (features[i].tracefs &&
		    p->state[PROBE_TRACEFS] != PROBE_OK &&
		    p->state[PROBE_TRACEFS] != PROBE_MOUNTABLE)
			snprintf(v->feat_why[i], sizeof(v->feat_why[i]),
			    "tracefs %s: %s", probe_state_name(
			    p->state[PROBE_TRACEFS]), p->why[PROBE_TRACEFS]);
		else {
			v->on[i] = 1;
			snprintf(v->feat_why[i], sizeof(v->feat_why[i]),
			    "via %s%s", features[i].via, features[i].tracefs &&
			    p->state[PROBE_TRACEFS] == PROBE_MOUNTABLE ?
			    " (quark watch mounts tracefs)" : "");
		}
	}
	if (v->on[FEAT_FENTRY] && v->on[FEAT_KPROBE])
		v->mode = "tracepoints+fentry+kprobe";
	else if (v->on[FEAT_FENTRY])
		v->mode = "tracepoints+fentry";
	else if (v->on[FEAT_KPROBE])
		v->mode = "tracepoints+kprobe";
	else
		v->mode = "tracepoint-only";
}
