/*
 * verdict.c - the backend ladder, and what `quark watch` would do with
 * what probe.c found.
 *
 * Policy as data: the ladder (which backends, in which order, and what
 * each needs), the facilities the eBPF backend cannot do without, and
 * for each optional feature the facilities that can carry it.  One
 * function, probe_ladder(), walks the ladder for watch's AUTO choice
 * (lib/queue.c, opening each rung) and for `quark btf`'s verdict (taking
 * the probe's word), so the two cannot disagree while the probe tells
 * the truth; PROBE_BPF_OBJECT (quark's object loaded once) makes it tell
 * the truth about what the kernel lets the real programs do.
 *
 * When eBPF cannot work for a reason other than privilege, watch falls
 * back to kprobes without BPF (lib/kprobe.c), then to the netlink proc
 * connector: the verdict names the first rung that probed usable.
 */
#include <errno.h>
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
 * loader (lib/ebpf.c) mounts it when it is mountable.
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

enum { RUNG_OK, RUNG_NEXT, RUNG_STOP };

/* eBPF: privileges, the needs above, a hook type, and the object loads. */
static int
ebpf_usable(const struct quark_probe *p, char *why, size_t len, int *err)
{
	size_t	i;

	if (!p->privileged) {
		snprintf(why, len, "loading BPF needs root "
		    "(CAP_BPF and CAP_PERFMON); try sudo");
		*err = EPERM;
		return (RUNG_STOP);
	}
	for (i = 0; i < nitems(ebpf_needs); i++) {
		if (p->state[ebpf_needs[i].f] != PROBE_OK) {
			snprintf(why, len, "needs %s: %s",
			    ebpf_needs[i].what, p->why[ebpf_needs[i].f]);
			*err = ebpf_needs[i].f == PROBE_BTF ? ENOENT : ENOSYS;
			return (RUNG_NEXT);
		}
	}
	if (p->state[PROBE_TP_BTF] != PROBE_OK &&
	    p->state[PROBE_RAW_TP] != PROBE_OK) {
		snprintf(why, len, "needs tp_btf or raw tracepoint programs: "
		    "%s", p->why[PROBE_RAW_TP]);
		*err = ENOSYS;
		return (RUNG_NEXT);
	}
	/* Unknown: not probed (AUTO), the backend's own load will tell. */
	if (p->state[PROBE_BPF_OBJECT] != PROBE_OK &&
	    p->state[PROBE_BPF_OBJECT] != PROBE_UNKNOWN) {
		snprintf(why, len, "the kernel refuses quark's BPF programs: "
		    "%s", p->why[PROBE_BPF_OBJECT]);
		*err = EOPNOTSUPP;
		return (RUNG_NEXT);
	}
	snprintf(why, len, "BTF, bpf(2), ring buffer and sched tracepoints "
	    "available; attaching with %s", p->state[PROBE_TP_BTF] ==
	    PROBE_OK ? "tp_btf" : "raw_tp");
	return (RUNG_OK);
}

static int
kprobe_usable(const struct quark_probe *p, char *why, size_t len, int *err)
{
	size_t	i;

	for (i = 0; i < nitems(kprobe_needs); i++) {
		if (p->state[kprobe_needs[i].f] != PROBE_OK) {
			snprintf(why, len, "needs %s: %.100s",
			    kprobe_needs[i].what, p->why[kprobe_needs[i].f]);
			*err = ENOSYS;
			return (RUNG_NEXT);
		}
	}
	if (!p->kprobe_events) {
		snprintf(why, len, "needs kprobe_events in tracefs: %s",
		    p->why[PROBE_KPROBE]);
		*err = ENOSYS;
		return (RUNG_NEXT);
	}
	snprintf(why, len, "kprobes, perf and BTF available");
	return (RUNG_OK);
}

static int
netlink_usable(const struct quark_probe *p, char *why, size_t len, int *err)
{
	if (p->state[PROBE_PROC_CONNECTOR] == PROBE_OK) {
		snprintf(why, len, "the proc connector is usable");
		return (RUNG_OK);
	}
	snprintf(why, len, "%s", p->why[PROBE_PROC_CONNECTOR]);
	*err = p->state[PROBE_PROC_CONNECTOR] == PROBE_ABSENT ?
	    EPROTONOSUPPORT : EPERM;
	return (RUNG_NEXT);
}

/*
 * The ladder, first choice first.  `label` names the rung in the reasons
 * ("eBPF unusable (...)"), `to` when falling back to it ("falling back to
 * the proc connector").
 */
static const struct rung {
	int		 backend;	/* enum quark_backend_id */
	const char	*name;
	const char	*label, *to;
	int		(*usable)(const struct quark_probe *, char *, size_t,
			    int *);
} ladder[] = {
	{ QUARK_BACKEND_EBPF,	 "ebpf",    "eBPF", "eBPF", ebpf_usable },
	{ QUARK_BACKEND_KPROBE,	 "kprobe",  "kprobes", "kprobes without BPF",
	  kprobe_usable },
	{ QUARK_BACKEND_NETLINK, "netlink", "the proc connector",
	  "the proc connector", netlink_usable },
};

size_t
probe_ladder_len(void)
{
	return (nitems(ladder));
}

int
probe_ladder_backend(size_t rung)
{
	return (rung < nitems(ladder) ? ladder[rung].backend : -1);
}

int
probe_ladder(const struct quark_probe *p,
    int (*try)(void *, size_t, int, char *, size_t), void *arg,
    struct probe_choice *c)
{
	char	why[PROBE_LADDER_MAX][160];
	size_t	i, k, off, n = nitems(ladder);
	int	r, err, first_err = 0;

	memset(c, 0, sizeof(*c));
	c->backend = -1;
	c->name = "none";
	if (n > PROBE_LADDER_MAX)
		n = PROBE_LADDER_MAX;
	for (i = 0; i < n; i++) {
		err = 0;
		r = ladder[i].usable(p, why[i], sizeof(why[i]), &err);
		snprintf(c->note[i], sizeof(c->note[i]), "%s: %s",
		    ladder[i].name, why[i]);
		if (r == RUNG_OK && try != NULL && try(arg, i,
		    ladder[i].backend, c->note[i], sizeof(c->note[i])) == -1) {
			err = errno;
			snprintf(why[i], sizeof(why[i]), "%s", strerror(err));
			r = (err == EPERM || err == EACCES) &&
			    !p->cap_sys_admin ? RUNG_STOP : RUNG_NEXT;
		}
		if (i == 0)
			first_err = err;
		if (r != RUNG_OK)
			c->nnotes = i + 1;
		if (r == RUNG_STOP) {
			c->err = err;
			snprintf(c->why, sizeof(c->why), "%s", why[i]);
			return (-1);
		}
		if (r == RUNG_NEXT)
			continue;
		c->backend = ladder[i].backend;
		c->name = ladder[i].name;
		c->rung = i;
		if (i == 0) {
			snprintf(c->why, sizeof(c->why), "%s", why[0]);
			return (0);
		}
		for (k = 0, off = 0; k < i && off < sizeof(c->why); k++)
			off += (size_t)snprintf(c->why + off,
			    sizeof(c->why) - off, "%s unusable (%.150s); ",
			    ladder[k].label, why[k]);
		if (off < sizeof(c->why))
			snprintf(c->why + off, sizeof(c->why) - off,
			    "falling back to %s", ladder[i].to);
		return (0);
	}
	c->err = first_err != 0 ? first_err : ENOSYS;
	snprintf(c->why, sizeof(c->why), "%s", why[0]);
	return (-1);
}

/* What the proc connector carries, per feature; NULL: not with it. */
static const char *const netlink_features[FEAT_COUNT] = {
	[FEAT_CREDS] = "proc connector UID/GID events (saved/fs ids from /proc)",
	[FEAT_COMM] = "proc connector COMM events",
};

static void
netlink_verdict(struct probe_verdict *v)
{
	int	i;

	for (i = 0; i < FEAT_COUNT; i++) {
		v->on[i] = netlink_features[i] != NULL;
		snprintf(v->feat_why[i], sizeof(v->feat_why[i]), "%s",
		    v->on[i] ? netlink_features[i] :
		    "not with the netlink backend");
	}
}

static void
kprobe_verdict(const struct quark_probe *p, struct probe_verdict *v)
{
	int	i;

	for (i = 0; i < FEAT_COUNT; i++) {
		v->on[i] = kprobe_features[i] != NULL &&
		    (i != FEAT_CREDS || p->state[PROBE_SYSCALL_TP] == PROBE_OK);
		snprintf(v->feat_why[i], sizeof(v->feat_why[i]), "%s",
		    v->on[i] ? kprobe_features[i] : kprobe_features[i] != NULL ?
		    p->why[PROBE_SYSCALL_TP] : "not with the kprobe backend");
	}
}

static void
ebpf_verdict(const struct quark_probe *p, struct probe_verdict *v)
{
	int	i, f;

	v->hooks = p->state[PROBE_TP_BTF] == PROBE_OK ? "tp_btf" : "raw_tp";
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
	/* What watch loads: tracepoint programs, never fentry or kprobes. */
	v->mode = "tracepoint-only";
}

void
probe_verdict(const struct quark_probe *p, struct probe_verdict *v)
{
	struct probe_choice	c;
	int			i;

	memset(v, 0, sizeof(*v));
	v->backend = "none";
	if (probe_ladder(p, NULL, NULL, &c) == -1) {
		snprintf(v->why, sizeof(v->why), "%s", c.why);
		for (i = 0; i < FEAT_COUNT; i++)
			snprintf(v->feat_why[i], sizeof(v->feat_why[i]),
			    "no capture backend");
		return;
	}
	v->backend = c.name;
	snprintf(v->why, sizeof(v->why), "%s", c.why);
	switch (c.backend) {
	case QUARK_BACKEND_EBPF:
		ebpf_verdict(p, v);
		break;
	case QUARK_BACKEND_KPROBE:
		kprobe_verdict(p, v);
		break;
	case QUARK_BACKEND_NETLINK:
		netlink_verdict(v);
		break;
	}
}
