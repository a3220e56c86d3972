/*
 * kprobe.h - the kprobe backend's pieces, in data path order: kpfetch.c
 * (each probe's fetch-args, from BTF), kptracefs.c (the probes made, their
 * formats), kprobe.c (the perf rings, the backend ops), kprecord.c (ring
 * records -> samples), kpformat.c (formats, sample fields, path walks),
 * kpdecode.c (samples -> raw events).  All but kptracefs.c and kprobe.c
 * are pure and unit tested.  Not part of the public API.
 *
 * Every sample comes from a tracefs event (a kprobe quark creates, or a
 * syscall exit tracepoint) whose `format` file says where each named
 * field sits.  Fields are named by enum kp_fid; kpfetch.c writes the
 * fetch-args under those names, kpdecode.c finds them through the format,
 * so a field the kernel's BTF lacks is simply not in the sample, and the
 * decoder leaves what it feeds unknown.
 */
#ifndef QUARK_KPROBE_H
#define QUARK_KPROBE_H

#include <sys/types.h>

#include <stdint.h>

#include "quark_int.h"

/*
 * A path walk: from a dentry up its d_parent chain, at most WALK_DEPTH
 * names, then across up to WALK_MOUNTS mounts, each to its mountpoint in
 * its parent mount and up that one, at most WALK_MDEPTH names each, to
 * the root of the mount namespace (a mount that is its own parent), as
 * the eBPF side and d_path() do.  The root file system is itself a mount
 * on the namespace's root mount (rootfs; from 7.0, nullfs, which the
 * initramfs is mounted on too), so /home on a file system of its own is
 * two mounts below that root, and a tmpfs on /tmp of an initramfs from
 * 7.0 on (the kernel matrix's sid guests) too.  tracefs takes fetch-args
 * of at most 63 bytes, and each level nests one dereference more, so the
 * deep levels of a walk are left out; a path that needs a level left out,
 * or more mounts, is left unknown, never cut.  A fetch-arg whose pointer is
 * NULL faults and leaves stale bytes in the sample, not 0: a value read
 * through a pointer is used only once that pointer was read non-NULL.
 */
#define WALK_DEPTH	10
#define WALK_MOUNTS	3
#define WALK_MDEPTH	8
/* Offsets of the fields of a walk, from its first. */
#define W_P	0				/* dentry after i parents */
#define W_N	(W_P + WALK_DEPTH + 1)		/* its name */
#define W_MR	(W_N + WALK_DEPTH)		/* vfsmount.mnt_root */
#define W_MNT	(W_MR + 1)			/* the vfsmount pointer */
#define W_PAR	(W_MNT + 1)			/* mount.mnt_parent */
#define W_DOP	(W_PAR + 1)			/* dentry.d_op */
#define W_DNAME	(W_DOP + 1)			/* d_op->d_dname: pseudo */
#define W_X	(W_DNAME + 1)			/* the crossings */
/* Crossing k (0 first) of mount k, whose parent is mount k + 1: */
#define W_XLEN	(2 * WALK_MDEPTH + 3)
#define W_Q(k)	(W_X + (k) * W_XLEN)		/* mountpoint after j parents */
#define W_QN(k)	(W_Q(k) + WALK_MDEPTH + 1)	/* its name */
#define W_PMR(k) (W_QN(k) + WALK_MDEPTH)	/* mount k + 1's mnt_root */
#define W_PPAR(k) (W_PMR(k) + 1)		/* ... and its mnt_parent */
#define W_COUNT	(W_X + WALK_MOUNTS * W_XLEN)

/*
 * The cgroup walk: the unified hierarchy's kernfs nodes from the task's
 * cgroup up its parents, at most GWALK_DEPTH names (the root's name is
 * not in the path); deeper is unknown.
 */
#define GWALK_DEPTH	8
#define G_P	0				/* node after i parents */
#define G_N	(G_P + GWALK_DEPTH + 1)		/* its name */
#define G_COUNT	(G_N + GWALK_DEPTH)

/* argv strings per argv probe; KP_ARGV_PROBES probes: 32 arguments. */
#define KP_ARGV_PER	16
#define KP_ARGV_PROBES	2
#define KP_PIDNS_LEVELS	4	/* pid namespaces nested deeper: unknown */

/* Named sample fields (names: kp_field_name()). */
enum kp_fid {
	F_PID, F_TGID, F_PPID, F_START, F_PFLAGS, F_COMM,
	F_UID, F_GID, F_EUID, F_EGID, F_SUID, F_SGID, F_FSUID, F_FSGID,
	F_CAP0, F_CAP1, F_CAP2, F_CAP3, F_CAP4, F_USERNS, F_LOGINUID,
	F_PGID, F_SID, F_TTY, F_TTYMAJ, F_TTYMIN, F_TTYIDX,
	F_NSMNT, F_NSNET, F_NSUTS, F_NSIPC, F_NSCG,
	F_PIDLVL, F_PIDNS0,
	F_ECODE = F_PIDNS0 + KP_PIDNS_LEVELS, F_SFLAGS, F_GCODE, F_LCODE,
	F_DEAD,
	F_FILENAME, F_ARGC, F_XDEL, F_CDEL, F_ASTART, F_AEND, F_OLDPID,
	F_ARGV0,
	F_XWALK = F_ARGV0 + KP_ARGV_PER,	/* the exe's walk */
	F_CWALK = F_XWALK + W_COUNT,		/* the cwd's walk */
	F_GWALK = F_CWALK + W_COUNT,		/* the cgroup's: G_* */
	F_RET = F_GWALK + G_COUNT,		/* syscall tracepoints */
	F_COUNT
};

/* Sample kinds: what each tracefs event is to quark. */
enum kp_kind {
	KP_NONE,
	KP_FORK,	/* kprobe wake_up_new_task(child) */
	KP_EXECB,	/* kprobe finalize_exec(bprm): filename, argc, exe */
	KP_EXECTP,	/* sched:sched_process_exec tracepoint: old_pid */
	KP_EXEC,	/* kprobe proc_exec_connector(task): the task, cgroup */
	KP_CWD,		/* the same: the cwd walk */
	KP_ARGV0,	/* the same: argv strings, KP_ARGV_PROBES of them */
	KP_EXIT = KP_ARGV0 + KP_ARGV_PROBES,	/* taskstats_exit(task, dead) */
	KP_CREDS,	/* kprobe commit_creds(new) */
	KP_SETUID,	/* syscalls:sys_exit_set{,re,res}uid */
	KP_SETGID,
	KP_SETFSUID,	/* returns the old fsuid */
	KP_SETFSGID,
	KP_SETSID,	/* returns the new session id */
	KP_KIND_COUNT
};

/* The exec parts, one bit each, that make a complete exec record. */
#define KP_EXEC_PARTS	((1U << (KP_ARGV0 + KP_ARGV_PROBES)) - \
			    (1U << KP_EXECB))

/* One field of a format. */
struct kp_field {
	uint16_t	off;
	uint16_t	size;
	uint8_t		dataloc;	/* __data_loc: u16 offset, u16 len */
};

/* A tracefs event's format, bound to quark's names. */
struct kp_format {
	int		kind;		/* enum kp_kind */
	uint16_t	id;		/* common_type */
	uint16_t	min_len;	/* bytes every sample has */
	int16_t		slot[F_COUNT];	/* field index, -1: absent */
	int		nfields;
	struct kp_field	f[F_COUNT + 16];	/* each named once, common ones */
};

/*
 * Parses a tracefs `format` file into *fmt (kind set by the caller).
 * 0, or -1 and EINVAL when it has no ID or a field line is malformed.
 */
int	kp_format_parse(struct kp_format *, const char *text, size_t len);
/* Field name of fid ("uid", "xp3", "a7"), in buf. */
const char *kp_field_name(int fid, char *buf, size_t len);

/* A sample: the RAW bytes of a PERF_RECORD_SAMPLE and its header. */
struct kp_sample {
	const struct kp_format	*fmt;
	const uint8_t		*data;
	uint32_t		 len;
	uint64_t		 time;	/* boot ns (CLOCK_BOOTTIME perf clock) */
	pid_t			 pid;	/* current's tgid */
	pid_t			 tid;
	uint32_t		 cpu;
};

/* 1 and *v (sign-extended when the field is signed: see size), 0 absent. */
int	kp_u64(const struct kp_sample *, int fid, uint64_t *v);
/* 1 when the n fields from `first` are all present, into v[0..n-1]. */
int	kp_all(const struct kp_sample *, int first, int n, uint64_t *v);
/*
 * The string of a __data_loc field: NULL when absent or when the kernel
 * could not read it (a fault leaves it empty); *len is its length with
 * the NUL, checked to lie inside the sample and to end in the NUL.
 */
const char *kp_str(const struct kp_sample *, int fid, uint32_t *len);

/*
 * The decoder: turns samples into raw events, holding what must be
 * joined (the parts of an exec, each thread's last committed
 * credentials).  Feed it samples in time order; raw events it completes
 * wait in it until kp_decoder_next() takes them (the caller owns them).
 */
struct kp_decoder;
/* mnt_off: offset of `mnt` in struct mount (BTF), for the walks. */
struct kp_decoder *kp_decoder_new(int threads, uint32_t argv_cap,
	    uint32_t mnt_off);
void	kp_decoder_free(struct kp_decoder *);
/* 0, or -1 and errno: ENOMEM, or EBADMSG for a malformed sample. */
int	kp_decode(struct kp_decoder *, const struct kp_sample *);
/* A loss of count samples (PERF_RECORD_LOST) at time: a RAW_LOST. */
int	kp_decode_lost(struct kp_decoder *, uint64_t count, uint64_t time);
/* PERF_RECORD_COMM outside exec: comm holds up to len bytes. */
int	kp_decode_comm(struct kp_decoder *, pid_t pid, pid_t tid,
	    const char *comm, size_t len, uint64_t time);
/*
 * The exec parts the backend reads (1 << KP_*, default KP_EXEC_PARTS):
 * an exec is complete when it has them all.
 */
void	kp_decoder_parts(struct kp_decoder *, uint32_t);
/* Hands out the execs begun before `older_than` still missing parts. */
void	kp_decoder_expire(struct kp_decoder *, uint64_t older_than);
/* The next ready raw event, or NULL. */
struct raw_event *kp_decoder_next(struct kp_decoder *);
/*
 * kprecord.c: a perf record as read from a ring (PERF_RECORD_SAMPLE with
 * sample_type TID | TIME | CPU | RAW, LOST and COMM with sample_id_all):
 * its time on the perf clock, 0 when it has none.
 */
uint64_t kp_record_time(const uint8_t *rec, uint32_t len);
/*
 * Feeds one, at `time` (boot ns), to the decoder: a sample of the event
 * whose format among fmts[0..n-1] has its common_type; a LOST record
 * makes a RAW_LOST with the kernel's count; a COMM record not from exec
 * a comm change; others are ignored.  0, or -1 and errno: ENOMEM, or
 * EBADMSG for a malformed record or one of no known event.
 */
int	kp_record(struct kp_decoder *, const uint8_t *rec, uint32_t len,
	    uint64_t time, const struct kp_format *const *fmts, int n);
/* Samples the kernel dropped, as its LOST records said. */
uint64_t kp_decoder_lost(const struct kp_decoder *);
/* Execs waiting for parts, credentials held (for tests and stats). */
size_t	kp_decoder_pending(const struct kp_decoder *);
size_t	kp_decoder_creds(const struct kp_decoder *);

#define KP_GROUP	"quark"		/* quark's kprobe group in tracefs */

struct btf;

/*
 * kptracefs.c: the tracefs events quark reads, each with its format: the
 * kprobes it creates (KP_GROUP/KIND_PID, removed by kp_events_remove())
 * and the tracepoints.
 */
struct kp_event {
	int		 kind;		/* enum kp_kind */
	int		 created;	/* a kprobe of ours, to remove */
	char		 name[48];	/* kprobe: KIND_PID; else the tracepoint */
	struct kp_format fmt;
};
#define KP_EVENTS	(KP_KIND_COUNT + 8)	/* 9 syscall tracepoints */
struct kp_events {
	char		 tracefs[64];	/* where tracefs is mounted */
	struct kp_event	 ev[KP_EVENTS];
	int		 nev;
};
/*
 * Finds tracefs (/sys/kernel/tracing, or debugfs's tracing), mounting it
 * at /sys/kernel/tracing if need be: 0, or -1 and errno of mount(2).
 */
int	kp_tracefs_open(struct kp_events *);
/*
 * Removes the kprobes of quarks that are gone (SIGKILL leaves them):
 * lines "p:quark/KIND_PID" of kprobe_events whose PID runs no quark (its
 * name in /proc does not begin with "quark").  Best effort: no error.
 */
void	kp_stale_remove(struct kp_events *);
/*
 * Creates kprobe `kind` (KP_FORK .. KP_CREDS, its line from btf: see
 * kp_probe_line()) as the next event and reads its format: 0, or -1 with
 * errno and the reason in why (the kprobe is then removed by
 * kp_events_remove() if it was created).
 */
int	kp_kprobe_add(struct kp_events *, const struct btf *, int kind,
	    char *why, size_t whylen);
/* sched:sched_process_exec, if it has old_pid: 0, else -1. */
int	kp_exec_tracepoint_add(struct kp_events *);
/* The syscalls:sys_exit_set*id and setsid tracepoints: 0, or -1, errno. */
int	kp_cred_tracepoints_add(struct kp_events *);
/* Forgets the events from index `from` on, removing quark's kprobes. */
void	kp_events_remove(struct kp_events *, int from);

/*
 * The kprobe_events line of probe `kind` (KP_FORK .. KP_CREDS) named
 * KP_GROUP/name, with offsets from btf, into buf: 0, and the probed
 * function's name in why; -1 and errno ENOENT (a required member is not in
 * the BTF) or E2BIG (the line is too long for tracefs), with the reason.
 * A fetch-arg whose member is optional and absent, or that is too long
 * for tracefs (the deep levels of a walk), is left out.
 */
int	kp_probe_line(const struct btf *, int kind, const char *name,
	    char *buf, size_t len, char *why, size_t whylen);
/* Byte offset of type.member (a.b, renames handled), -1 when absent. */
long	kp_btf_off(const struct btf *, const char *type, const char *member);

/* The path of a walk (see WALK_DEPTH): malloc'd, or NULL when unknown. */
char	*kp_walk_path(const struct kp_sample *, int base, uint32_t mnt_off);
/* The cgroup path (see GWALK_DEPTH): malloc'd, or NULL when unknown. */
char	*kp_cgroup_path(const struct kp_sample *);

#endif /* QUARK_KPROBE_H */
