/*
 * quark_int.h - libquark internals shared between lib/ stages.
 *
 * Stage per file:
 *   ring.c      BPF backend: load, attach, consume the ring, lost counters
 *   decode.c    wire record -> raw_event, bounds-checked (only reader of wire.h)
 *   fake.c      fake backend replaying attr->fake (tests, bench)
 *   netlink.c   proc connector backend, the fallback (see netlink.h)
 *   raw_event.c raw_event allocation, copy, free
 *   order.c     records, time order, hold policy, when a record is due
 *   apply.c     raw events -> cache in time order, views of processes
 *   agg.c       aggregation rule table
 *   cache.c     process cache, exit grace, gc, pid reuse, reconcile
 *   event.c     record + cache -> struct quark_event
 *   queue.c     the public queue API, backend table
 *   scrape.c    /proc reader (seeding, snapshot, lookup, reconcile)
 *   procfs.c    /proc file parsers (pure functions, unit tested)
 *   process.c   struct quark_process helpers
 *   clock.c     boot/wall clocks, ticks, entity ids
 *   container.c cgroup paths -> container id/runtime
 *   names.c     uid/gid -> names as of a moment (names.h)
 *   probe.c     what the kernel offers (shared by `quark btf` and ring.c)
 */
#ifndef QUARK_INT_H
#define QUARK_INT_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "quark.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define NS_PER_MS	1000000ULL
#define NS_PER_SEC	1000000000ULL

/*
 * Raw event: one kernel observation, before ordering and aggregation.
 * type is an enum quark_event_type, or RAW_LOST.
 */
#define RAW_LOST	QUARK_EV_TYPE_COUNT
#define RAW_TYPE_COUNT	(QUARK_EV_TYPE_COUNT + 1)

#define RAW_F_THREAD	(1U << 0)	/* thread fork/exit, not the group */
#define RAW_F_GROUP_DEAD (1U << 1)	/* EXIT: the last thread of the group */
/*
 * SETUID/SETGID: reported for a successful call, which may have changed
 * nothing (eBPF syscall hooks); without it the backend reports only
 * changes (the proc connector).
 */
#define RAW_F_CRED_CALL	(1U << 2)

struct qrecord;

struct raw_event {
	TAILQ_ENTRY(raw_event)	entry;	/* owned by whoever holds the event */
	/*
	 * Engine only (zero from a backend): waiting to be applied to the
	 * cache, in time order (apply.c), as part of record `rec`.
	 */
	TAILQ_ENTRY(raw_event)	pending;
	struct qrecord		*rec;
	uint64_t		arrival;	/* engine clock when submitted */
	uint8_t			applied;	/* 1 once in the cache */
	uint8_t			noop;	/* a set*id call that changed nothing */
	uint32_t		type;	/* enum quark_event_type or RAW_LOST */
	uint32_t		flags;	/* RAW_F_* */
	uint64_t		time;	/* boot ns */
	uint64_t		seq;	/* arrival order, set by the engine */
	pid_t			pid;	/* tgid the event is about (child for FORK) */
	pid_t			tid;
	uint32_t		cpu;
	/*
	 * What the event says about the process, with `known` bits.  FORK:
	 * the child; EXEC: the process after exec (exe, filename, args,
	 * cwd, ...); EXIT: exit_* fields set; SETUID/SETGID/SETSID/COMM:
	 * context after.
	 * Strings are owned: whoever applies them to the cache steals them.
	 */
	struct quark_process	task;
	union {
		struct {
			pid_t	parent_pid;
			pid_t	parent_tid;
		} fork;
		struct {
			pid_t	old_pid;	/* tid before exec, 0 if leader */
		} exec;
		struct {
			char	comm[QUARK_COMM_LEN];	/* the new name */
		} comm;
		struct {
			uint64_t count;
		} lost;
	};
};

TAILQ_HEAD(raw_event_list, raw_event);

/* raw_event.c */
struct raw_event	*raw_event_alloc(uint32_t type);
void			 raw_event_free(struct raw_event *);
struct raw_event	*raw_event_dup(const struct raw_event *);

struct btf;

/* Facilities in report order; probe.c has a name for each. */
enum probe_facility {
	PROBE_BTF, PROBE_BPF_SYSCALL, PROBE_RINGBUF, PROBE_RAW_TP,
	PROBE_TP_BTF, PROBE_SCHED_TP, PROBE_TASK_RENAME, PROBE_SYSCALL_TP,
	PROBE_RAW_SYSCALLS, PROBE_FENTRY, PROBE_KPROBE, PROBE_BPF_LSM,
	PROBE_PERF_TP, PROBE_PROC_CONNECTOR, PROBE_TRACEFS, PROBE_CAP_BPF,
	PROBE_CAP_PERFMON, PROBE_CAP_SYS_ADMIN,
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

/* Kernel facilities, probed without loading quark's programs (probe.c). */
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
	uint8_t	state[PROBE_COUNT];	/* enum probe_state, per facility */
	char	why[PROBE_COUNT][128];	/* the reason, one line, never "" */
};
/*
 * Fills *p; never fails as a whole: each int member says usable (1) or
 * not (0), state[] and why[] say more.  Probing loads trivial programs
 * (never attached) and, when tracefs is not mounted, mounts it in a
 * child's private mount namespace: nothing is left behind.
 */
int	probe_kernel(struct quark_probe *);
/* The same with a kernel BTF already loaded (NULL: load it). */
int	probe_kernel_btf(struct quark_probe *, const struct btf *);
const char *probe_name(int);		/* enum probe_facility -> "ringbuf" */
const char *probe_state_name(int);	/* enum probe_state -> "absent" */

/* What `quark watch` would do with what probe_kernel() found. */
enum probe_feature {
	FEAT_CREDS,		/* credential changes: setuid & co. */
	FEAT_COMM,		/* comm changes: task_rename */
	FEAT_FENTRY,		/* fentry/fexit extras */
	FEAT_KPROBE,		/* kprobe extras */
	FEAT_COUNT
};

struct probe_verdict {
	const char	*backend;	/* "ebpf", "kprobe", "netlink", "none" */
	const char	*hooks;		/* "tp_btf", "raw_tp", or NULL */
	const char	*mode;		/* "tracepoint-only", ... or NULL */
	char		 why[384];	/* why this backend (or none) */
	int		 on[FEAT_COUNT];
	char		 feat_why[FEAT_COUNT][160];
};
void	probe_verdict(const struct quark_probe *, struct probe_verdict *);
const char *probe_feature_name(int);	/* enum probe_feature -> name */

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

/* Backends: one ops table each, chosen in queue.c. */
struct quark_backend_stats {
	uint64_t	lost;		/* raw events the kernel side dropped */
	uint64_t	bad_records;	/* malformed records skipped */
	char		features_off[256];	/* see struct quark_stats */
};

struct quark_backend_ops {
	const char	*name;
	/* Set up capture; *state is the backend's.  -1 and errno on failure. */
	int	(*open)(struct quark_queue *, const struct quark_queue_attr *,
		    void **state);
	/*
	 * Turn what is available now into raw events handed to
	 * queue_submit().  Losses are reported in band, as RAW_LOST raw
	 * events (stats.lost is their sum, or stats()'s lost if larger).  Returns how many were submitted, 0 when none was
	 * ready, -1 on error.  At most `budget` events (0 = no limit).
	 */
	int	(*poll)(struct quark_queue *, void *state, int budget);
	int	(*fd)(void *state);		/* pollable, or -1 */
	int	(*stats)(void *state, struct quark_backend_stats *);
	void	(*close)(void *state);	/* accepts a half-open state */
};

extern const struct quark_backend_ops quark_backend_ebpf;	/* ring.c */
extern const struct quark_backend_ops quark_backend_fake;	/* fake.c */
extern const struct quark_backend_ops quark_backend_netlink;	/* netlink.c */
extern const struct quark_backend_ops quark_backend_kprobe;	/* kprobe.c */

/*
 * queue.c: a backend's open says why it failed, in words for users
 * ("no /sys/kernel/tracing/kprobe_events (...)"); see quark_queue_why().
 */
void	queue_set_why(struct quark_queue *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* queue.c: backends hand every raw event (ownership included) here. */
void	queue_submit(struct quark_queue *, struct raw_event *);

/*
 * agg.c: the aggregation rules.  merge[a][b] is the function that lets a
 * raw event of kind b join a record holding one of kind a that precedes it
 * in time (so merge[b][a] is asked for the ones that follow it); NULL means
 * "never".  A merge function returns 0 when it took the event, -1 when it
 * declines (the event then starts a record of its own).  attr->agg may
 * point to a replacement table; agg_append() is the default merge.
 */
typedef int (*quark_agg_fn)(struct qrecord *, struct raw_event *);
struct quark_agg_rules {
	const char	*name;
	quark_agg_fn	 merge[QUARK_EV_TYPE_COUNT][QUARK_EV_TYPE_COUNT];
};
extern const struct quark_agg_rules quark_agg_default;
int	agg_append(struct qrecord *, struct raw_event *);

/*
 * queue.c: hooks for tests and benchmarks, called right after open: the
 * clock (default quark_boot_now), the /proc reader used by reconcile
 * (default quark_process_read) and the number of raw events a backend
 * may submit per quark_queue_next() (default QUEUE_POLL_BUDGET).
 */
#define QUEUE_POLL_BUDGET	512
void	queue_set_clock(struct quark_queue *, uint64_t (*)(void));
void	queue_set_reader(struct quark_queue *,
	    struct quark_process *(*)(pid_t, int));
void	queue_set_poll_budget(struct quark_queue *, int);

/* decode.c: one ring record -> a raw event.  -1 and EBADMSG if malformed. */
struct raw_event	*decode_record(const void *rec, size_t len);

/* clock.c */
int	clock_init(void);	/* boot id, tick length, boot->wall offset */
/*
 * A wall clock offset: realtime = boottime + off (ns), +-err, in effect
 * from boot time `from` on.  The last CLOCK_OFFSETS are kept.
 */
#define CLOCK_OFFSETS	8
struct clock_offset {
	uint64_t	from;
	int64_t		off;
	int64_t		err;
};
void	clock_measure(struct clock_offset *);	/* now; from = boot now */
/* 1 when o differs from the current offset and became it, else 0. */
int	clock_note_offset(const struct clock_offset *);
int	clock_remeasure(void);	/* measure and note: 1 if it changed */
void	clock_reset(void);	/* tests: forget every offset */
/*
 * A timerfd (CLOCK_REALTIME, TFD_TIMER_CANCEL_ON_SET) that becomes
 * readable when the wall clock is set; -1 and errno if none.
 * clock_watch_check() reads it (non-blocking) and re-measures the offset
 * when the clock was set: 1 when the offset changed.  With fd -1 it
 * re-measures unconditionally.
 */
int	clock_watch_open(void);
int	clock_watch_check(int fd);

/* procfs.c: pure parsers over a buffer (unit tested with odd inputs). */
int	procfs_parse_stat(const char *buf, size_t len, struct quark_process *);
int	procfs_parse_status(const char *buf, size_t len, struct quark_process *);
int	procfs_parse_cgroup(const char *buf, size_t len, char **path);
/* "pid:[4026531836]" (a /proc/PID/ns/NAME link) -> inode. */
int	procfs_parse_ns(const char *link, const char *name, uint64_t *ino);
/* One decimal u32 and an optional newline (loginuid, sessionid). */
int	procfs_parse_u32(const char *buf, size_t len, uint32_t *);
/* Strips a " (deleted)" link suffix; 1 when it did. */
int	procfs_strip_deleted(char *path);
/* NUL-separated strings in buf (cmdline, environ): argc/envc. */
uint32_t procfs_count_strings(const char *buf, size_t len);
/* stat's tty_nr -> major, minor. */
void	procfs_tty_nr(int64_t tty_nr, uint32_t *major, uint32_t *minor);

/*
 * container.c: the container that /proc/PID/cgroup's lines name (the
 * unified one first, then each v1 hierarchy's), or that the kernel's v2
 * or v1 path names (either may be NULL).  1 and *c filled, or 0 and *c
 * zeroed.
 */
int	container_from_proc(const char *buf, size_t len,
	    struct quark_container *);
int	container_from_paths(const char *v2, const char *v1,
	    struct quark_container *);

/* scrape.c: where /proc is ("/proc"); tests point it at a fake tree. */
void	scrape_set_proc_root(const char *);

#endif /* QUARK_INT_H */
