/*
 * verdict.c - what `quark watch` would do with what probe_kernel() found.
 *
 * Policy as data: the facilities the eBPF backend cannot do without,
 * and for each optional feature the facilities that can carry it.  The
 * eBPF loader and `quark btf` read the same tables, so the report and
 * what is loaded cannot disagree.
 */
#include <stdio.h>
#include <string.h>

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

/* Optional features: on when one of `by` is available, first wins. */
static const struct {
	const char	*name;
	int		 by[2];		/* facilities, -1 for none */
	const char	*via[2];
} features[FEAT_COUNT] = {
	[FEAT_CREDS] = { "credential_changes",
	    { PROBE_SYSCALL_TP, PROBE_RAW_SYSCALLS },
	    { "syscalls:sys_exit_set* tracepoints",
	      "raw_syscalls:sys_exit" } },
	[FEAT_COMM] = { "comm_changes",
	    { PROBE_TASK_RENAME, -1 }, { "task_rename tracepoint", NULL } },
	[FEAT_FENTRY] = { "fentry_extras",
	    { PROBE_FENTRY, -1 }, { "fentry/fexit programs", NULL } },
	[FEAT_KPROBE] = { "kprobe_extras",
	    { PROBE_KPROBE, -1 }, { "kprobes", NULL } },
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

void
probe_verdict(const struct quark_probe *p, struct probe_verdict *v)
{
	int	i, j, f;

	memset(v, 0, sizeof(*v));
	v->backend = "none";
	if (!backend(p, v)) {
		for (i = 0; i < FEAT_COUNT; i++)
			snprintf(v->feat_why[i], sizeof(v->feat_why[i]),
			    "no capture backend");
		return;
	}
	v->backend = "ebpf";
	snprintf(v->why, sizeof(v->why), "BTF, bpf(2), ring buffer and "
	    "sched tracepoints available; attaching with %s", v->hooks);
	for (i = 0; i < FEAT_COUNT; i++) {
		for (j = 0; j < 2 && (f = features[i].by[j]) != -1; j++) {
			if (p->state[f] == PROBE_OK) {
				v->on[i] = 1;
				snprintf(v->feat_why[i], sizeof(v->feat_why[i]),
				    "via %s", features[i].via[j]);
				break;
			}
		}
		if (!v->on[i])
			snprintf(v->feat_why[i], sizeof(v->feat_why[i]),
			    "%s %s: %s", probe_name(features[i].by[0]),
			    probe_state_name(p->state[features[i].by[0]]),
			    p->why[features[i].by[0]]);
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
