/*
 * probe.h - what the kernel lets quark do, asked once, in one place.
 *
 * probe.c probes the facilities (a trivial program load, a map create, a
 * socket, quark's own BPF object loaded once without attaching);
 * verdict.c turns the answers into a verdict by walking the backend
 * ladder (eBPF, then the proc connector).  The same walk chooses the
 * backend of `quark watch --backend auto` (lib/backend.c) and writes the
 * verdict of `quark btf`, so the two cannot disagree; the eBPF loader
 * (ebpf.c) takes its capability, tracefs and tracepoint facts from here
 * too.
 *
 * btfinfo.c and btfmember.c: BTF files and the kernel members the BPF
 * object reads, for `quark btf`.
 *
 * Nothing here prints: reasons are strings in the results.
 */
#ifndef QUARK_PROBE_H
#define QUARK_PROBE_H

#include <stddef.h>
#include <stdint.h>

struct btf;

/* Facilities in report order; probe.c has a name for each. */
enum probe_facility {
	PROBE_BTF, PROBE_BPF_SYSCALL, PROBE_RINGBUF, PROBE_RAW_TP,
	PROBE_TP_BTF, PROBE_SCHED_TP, PROBE_TASK_RENAME, PROBE_SYSCALL_TP,
	PROBE_RAW_SYSCALLS, PROBE_FENTRY, PROBE_KPROBE, PROBE_BPF_LSM,
	PROBE_PERF_TP, PROBE_PROC_CONNECTOR, PROBE_TRACEFS, PROBE_CAP_BPF,
	PROBE_CAP_PERFMON, PROBE_CAP_SYS_ADMIN,
	PROBE_BPF_OBJECT,	/* quark's own BPF object loads (not attached) */
	PROBE_COUNT
};

enum probe_state {
	PROBE_ABSENT,		/* the kernel lacks it */
	PROBE_OK,		/* present and usable by us */
	PROBE_UNUSABLE,		/* present, but refused to us */
	PROBE_UNKNOWN,		/* could not tell (e.g. unprivileged) */
	PROBE_MOUNTABLE,	/* tracefs: not mounted, but can be */
	PROBE_STATE_COUNT
};

/*
 * Kernel facilities (probe.c): trivial programs and maps, and quark's own
 * BPF object loaded once and never attached (PROBE_BPF_OBJECT: the
 * verifier, the helpers the programs call, CO-RE relocations; what a
 * security policy such as lockdown=confidentiality refuses).
 */
struct quark_probe {
	int	btf;		/* /sys/kernel/btf/vmlinux readable and parses */
	int	bpf_syscall;	/* bpf(2) usable by us */
	int	ringbuf;	/* BPF_MAP_TYPE_RINGBUF */
	int	raw_tp;		/* raw tracepoints */
	int	tp_btf;		/* BTF-enabled tracepoints */
	int	fentry;		/* fentry/fexit actually loads */
	int	kprobe;		/* kprobes (kprobe_events in tracefs, or PMU) */
	int	kprobe_events;	/* tracefs kprobe_events (the kprobe backend) */
	int	kprobe_btf;	/* its probes can be written from the BTF */
	char	kprobe_btf_why[160];
	int	bpf_lsm;
	int	perf_tp;	/* perf_event_open on tracepoints */
	int	proc_connector;	/* netlink proc connector */
	int	tracefs;	/* tracefs mounted (or mounted by us) */
	int	syscall_tp;	/* syscalls:sys_exit_* tracepoints exist */
	int	cap_bpf, cap_perfmon, cap_sys_admin;
	char	tracefs_path[64];
	char	btf_path[256];
	/* Added with `quark btf`: */
	int	sched_tp;	/* sched_process_{fork,exec,exit} tracepoints */
	int	task_rename;	/* task_rename tracepoint */
	int	raw_syscalls;	/* raw_syscalls:sys_exit (btf_trace_sys_exit) */
	int	privileged;	/* CAP_BPF+CAP_PERFMON, or CAP_SYS_ADMIN */
	int	exit_group_dead; /* sched_process_exit passes group_dead */
	uint8_t	state[PROBE_COUNT];	/* enum probe_state, per facility */
	char	why[PROBE_COUNT][128];	/* the reason, one line, never "" */
};
/*
 * Fills *p; never fails as a whole: each int member says usable (1) or
 * not (0), state[] and why[] say more.  Probing loads trivial programs
 * and quark's BPF object (never attached) and, when tracefs is not
 * mounted, mounts it in a child's private mount namespace: nothing is
 * left behind.  Takes about half a second, most of it the verifier
 * checking the object.
 */
int	probe_kernel(struct quark_probe *);
/* The same with a kernel BTF already loaded (NULL: load it). */
int	probe_kernel_btf(struct quark_probe *, const struct btf *);
/*
 * What the backend ladder needs, for watch's AUTO choice: privileges,
 * BTF, bpf(2), ring buffers, the hook programs and tracepoints, tracefs
 * and kprobes, the proc connector.  PROBE_BPF_OBJECT is left PROBE_UNKNOWN: the eBPF
 * backend's own load is that probe (no second load).  Facilities not
 * asked are PROBE_UNKNOWN "not probed".
 */
int	probe_kernel_ladder(struct quark_probe *);
const char *probe_name(int);		/* enum probe_facility -> "ringbuf" */
const char *probe_state_name(int);	/* enum probe_state -> "absent" */

/*
 * For the eBPF loader (ebpf.c), so that it decides from the same facts:
 * probe_caps() fills the cap_* members and privileged (CapEff of
 * /proc/self/status; CAP_PERFMON counted).  probe_exit_group_dead() says
 * whether sched_process_exit passes group_dead (its BTF prototype; NULL:
 * the running kernel's BTF).  probe_syscall_tp_ready() makes the
 * syscalls:sys_exit_set* tracepoints usable, mounting tracefs at
 * /sys/kernel/tracing when it is not mounted and we may (the loader's
 * libbpf attaches them through tracefs): NULL, or why they cannot be had.
 */
void	probe_caps(struct quark_probe *);
int	probe_exit_group_dead(const struct btf *);
const char *probe_syscall_tp_ready(void);

/* What `quark watch` would do with what probe_kernel() found. */
enum probe_feature {
	FEAT_CREDS,		/* credential changes: setuid & co. */
	FEAT_COMM,		/* comm changes: task_rename */
	FEAT_FENTRY,		/* fentry/fexit extras */
	FEAT_KPROBE,		/* kprobe extras */
	FEAT_COUNT
};

/*
 * The verdict of `quark btf`.  mode names what watch loads: eBPF loads
 * tracepoint programs only ("tracepoint-only"); the fentry and kprobe
 * features say what the kernel would allow, watch loads neither.
 */
struct probe_verdict {
	const char	*backend;	/* "ebpf", "kprobe", "netlink", "none" */
	const char	*hooks;		/* "tp_btf", "raw_tp", or NULL */
	const char	*mode;		/* "tracepoint-only", or NULL */
	char		 why[384];	/* why this backend (or none) */
	int		 on[FEAT_COUNT];
	char		 feat_why[FEAT_COUNT][160];
};
void	probe_verdict(const struct quark_probe *, struct probe_verdict *);
const char *probe_feature_name(int);	/* enum probe_feature -> name */

/*
 * The backend ladder (verdict.c): eBPF, then kprobes without BPF, then
 * the proc connector.  One function walks it for both `quark btf`'s
 * verdict and watch's AUTO choice (lib/backend.c).  A rung is skipped when
 * the probe says it cannot work, and the walk stops at one that says "not
 * allowed" (no privileges: falling back would hide that root is needed).
 * With try non-NULL, each rung the probe lets through is opened with
 * try(arg, rung, backend, note, notelen): 0 opened, or -1 with errno and
 * a line for users in note ("ebpf: ...").  A failure with EPERM or EACCES
 * stops the walk unless we hold CAP_SYS_ADMIN (as root it is a policy
 * against that one interface, such as a seccomp filter on bpf(2)); any
 * other goes on to the next rung.  With try NULL the probe's word is
 * taken (the verdict).
 *
 * Returns 0 with c filled, or -1 when no rung works: c->err is the errno
 * for the caller (the one that stopped the walk, else the first rung's),
 * c->why the reason.  When the chosen rung is not the first, c->why says
 * why each rung above it was passed over ("eBPF unusable (...); falling
 * back to the proc connector").  c->note[] has one "name: why" line per
 * rung passed over, in ladder order (quark_queue_why()).
 */
#define PROBE_LADDER_MAX	4
struct probe_choice {
	int		 backend;	/* enum quark_backend_id, -1: none */
	const char	*name;		/* "ebpf", "kprobe", "netlink", "none" */
	size_t		 rung;		/* its place: 0 is the first */
	int		 err;		/* when none: the errno */
	char		 why[384];
	size_t		 nnotes;
	char		 note[PROBE_LADDER_MAX][200];
};
int	probe_ladder(const struct quark_probe *,
	    int (*try)(void *arg, size_t rung, int backend, char *note,
	    size_t notelen), void *arg, struct probe_choice *c);
/* The ladder's length and the backend id of each rung. */
size_t	probe_ladder_len(void);
int	probe_ladder_backend(size_t rung);

/*
 * btfinfo.c, btfmember.c: BTF files and the kernel members quark reads.
 * Errors: NULL or -1, errno set, and a reason for users in err[errlen].
 */
enum btfinfo_kind {
	BTFINFO_FIELD,		/* a member of a struct or union */
	BTFINFO_TYPE,		/* a type's existence or size */
	BTFINFO_ENUMVAL,	/* an enumerator */
};

#define BTFINFO_F_BPF		(1U << 0)	/* a CO-RE relocation says so */
#define BTFINFO_F_REQUIRED	(1U << 1)	/* btfmember.c's required list */

/* One thing the BPF side reads from the kernel. */
struct btfinfo_want {
	int		kind;		/* enum btfinfo_kind */
	int		type_kind;	/* BTF_KIND_* of the root type */
	unsigned	flags;		/* BTFINFO_F_* */
	char		type[64];	/* root type, ___flavor stripped */
	char		member[128];	/* FIELD: a.b path, ENUMVAL: name */
};

/* What the kernel's BTF says about it. */
struct btfinfo_found {
	int		present;
	char		matched[128];	/* the path as the kernel names it */
	uint32_t	bit_offset;	/* FIELD: bits from the root start */
	uint32_t	bitfield;	/* FIELD: width in bits, 0 if not one */
	uint32_t	size;		/* FIELD: member bytes; TYPE: type bytes */
	int64_t		value;		/* ENUMVAL */
};

void	 btfinfo_err(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Raw BTF, or an ELF file with a .BTF section. */
struct btf *btfinfo_load(const char *path, char *err, size_t errlen);
struct btf *btfinfo_load_mem(const void *, size_t, char *err, size_t errlen);
/* Section `name` of an ELF image: 1 found, 0 absent, -1 not ELF. */
int	 btfinfo_elf_section(const void *, size_t, const char *name,
	    const void **data, size_t *size);
/*
 * The CO-RE relocations of a BPF object (ELF image), as a sorted list
 * without duplicates; *out is malloc'd, caller frees.
 */
int	 btfinfo_relocs(const void *elf, size_t, struct btfinfo_want **out,
	    size_t *n, char *err, size_t errlen);
/* The relocations of the embedded BPF object + the required list. */
int	 btfinfo_wanted(struct btfinfo_want **out, size_t *n, char *err,
	    size_t errlen);
/* Look one up in a kernel's BTF.  0, or -1 if the want is malformed. */
int	 btfinfo_find(const struct btf *, const struct btfinfo_want *,
	    struct btfinfo_found *);

#endif /* QUARK_PROBE_H */
