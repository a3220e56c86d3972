/*
 * quark_int.h - libquark internals shared between lib/ stages.
 *
 * Stage per file:
 *   ebpf.c      eBPF backend: load, attach, consume the ring, lost counters
 *   decode.c    wire record -> raw_event, bounds-checked (only reader of wire.h)
 *   fake.c      fake backend replaying a script (tests, bench)
 *   netlink.c   proc connector backend, the fallback: the socket
 *   netlink_decode.c  proc connector message -> raw event (see netlink.h)
 *   kprobe.c    kprobe backend without BPF: the perf rings, the ops
 *   kptracefs.c its tracefs events: kprobes made, formats read, removal
 *   kpfetch.c   its probes' fetch-args, offsets from BTF
 *   kprecord.c  perf ring records -> samples
 *   kpformat.c  tracefs formats, sample fields, path walks
 *   kpdecode.c  samples -> raw events (the exec join, credentials)
 *   enrich.c    /proc enrichment of thin raw events (netlink, kprobe)
 *   raw_event.c raw_event allocation, copy, free
 *   order.c     records, time order, hold policy, when a record is due
 *   apply.c     raw events -> cache in time order, views of processes
 *   agg.c       aggregation rule table
 *   cache.c     process cache, exit grace, gc, pid reuse, reconcile
 *   event.c     record + cache -> struct quark_event
 *   queue.c     the public queue API (queue_int.h: its state)
 *   backend.c   backend table, AUTO's walk of the ladder, opening
 *   scrape.c    /proc reader (seeding, snapshot, lookup, reconcile)
 *   procfs.c    /proc file parsers (pure functions, unit tested)
 *   process.c   struct quark_process helpers, the wait status decoder
 *   clock.c     boot/wall clocks, ticks, entity ids
 *   container.c cgroup paths -> container id/runtime
 *   names.c     uid/gid -> names as of a moment (names.h)
 *   probe.c     what the kernel offers (probe.h: `quark btf`, the ladder,
 *               the eBPF loader)
 *   verdict.c   the backend ladder (AUTO and `quark btf`), the verdict
 */
#ifndef QUARK_INT_H
#define QUARK_INT_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "quark.h"
#include "probe.h"

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
/*
 * SETUID/SETGID: the task's real and effective ids (uid euid, or gid
 * egid) are the kernel's even without QP_CREDS (the proc connector says
 * only those two; QP_CREDS also covers the saved ids).
 */
#define RAW_F_IDS	(1U << 3)

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
	/* EXEC enriched from /proc (enrich_exec()): when it was read, boot ns */
	uint64_t		proc_read_ns;
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

/* process.c: wait(2) status -> exit_code, exit_signal, core_dumped. */
void	process_wait_status(uint32_t status, struct quark_process *);

/* raw_event.c */
struct raw_event	*raw_event_alloc(uint32_t type);
void			 raw_event_free(struct raw_event *);
struct raw_event	*raw_event_dup(const struct raw_event *);

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

extern const struct quark_backend_ops quark_backend_ebpf;	/* ebpf.c */
/*
 * ebpf.c: load quark's BPF object once, attach nothing, unload it (for
 * probe.c's PROBE_BPF_OBJECT).  0, or -1 and errno (EOPNOTSUPP: the
 * kernel refuses the programs though we are privileged); why gets a line
 * for users either way (the verifier's last word when it refused).
 */
int	ebpf_object_check(char *why, size_t len);
extern const struct quark_backend_ops quark_backend_fake;	/* fake.c */
extern const struct quark_backend_ops quark_backend_netlink;	/* netlink.c */
extern const struct quark_backend_ops quark_backend_kprobe;	/* kprobe.c */

/*
 * queue.c: a backend's open says why it failed, in words for users
 * ("no /sys/kernel/tracing/kprobe_events (...)"); see quark_queue_why().
 */
void	queue_set_why(struct quark_queue *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * queue.c: the test entry point.  quark_queue_open() with what the public
 * attributes do not carry: a replacement aggregation table, and the fake
 * backend's script (QUARK_BACKEND_FAKE, which quark_queue_open() refuses
 * with EINVAL: it is no backend for users).  t may be NULL.  The script
 * must outlive the queue.
 */
#define QUARK_BACKEND_FAKE	2
struct queue_test {
	const struct quark_agg_rules	*agg;	/* NULL: the default table */
	const struct raw_event		*fake;	/* raw events, arrival order */
	size_t				 nfake;
};
struct quark_queue *queue_open_test(const struct quark_queue_attr *,
	    const struct queue_test *t);
/* The test attributes the queue was opened with (zeroes if none). */
const struct queue_test *queue_test_of(const struct quark_queue *);

/* queue.c: backends hand every raw event (ownership included) here. */
void	queue_submit(struct quark_queue *, struct raw_event *);

/*
 * agg.c: the aggregation rules.  merge[a][b] is the function that lets a
 * raw event of kind b join a record holding one of kind a that precedes it
 * in time (so merge[b][a] is asked for the ones that follow it); NULL means
 * "never".  A merge function returns 0 when it took the event, -1 when it
 * declines (the event then starts a record of its own).  A test may
 * open a queue with a replacement table (struct queue_test);
 * agg_append() is the default merge.
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
/*
 * The pids alive, for the reconcile after a loss (default: the numeric
 * names under /proc); *pids malloc'd; -1 on error.
 */
void	queue_set_lister(struct quark_queue *, int (*)(pid_t **, size_t *));
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
/*
 * CLOCK_BOOTTIME - CLOCK_MONOTONIC (the time spent suspended, ns), for
 * backends whose kernel stamps are monotonic (perf, the proc connector).
 * The kernel changes it only at a resume, so it is kept until a
 * measurement proves it wrong: each measurement brackets the true offset
 * ([lo, hi], a boot read between two monotonic reads), and the offset
 * kept moves only as far as into that bracket.  A read preempted for
 * milliseconds (a wide bracket) leaves it alone, so that stamps read in
 * different polls keep their order (a fresh midpoint each poll did not).
 */
struct clock_mono {
	int64_t		off;
	int		known;
};
/* Measures, notes (clock_mono_note) and returns the offset kept. */
int64_t	clock_mono_to_boot(struct clock_mono *);
/*
 * Notes a bracket lo <= off <= hi: the first one sets the offset to its
 * middle; later ones move it the least into [lo, hi].  Returns it.
 */
int64_t	clock_mono_note(struct clock_mono *, int64_t lo, int64_t hi);
/*
 * For tests: a fixed boot->wall offset (ns) and boot id, so that times
 * and entity ids come out the same on every host (golden outputs).
 */
void	clock_set_fixed(int64_t wall_off, const char *boot_id);

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
/*
 * scrape.c: some files of process pid (of its thread tid unless tid is 0
 * or pid) parsed into *p, through one openat(2)-pinned directory fd:
 * SCRAPE_STAT (/proc/PID/stat: start time, comm, ppid, state, ...),
 * SCRAPE_STATUS (ids, thread count).  0, or -1 with errno: ESRCH when the
 * process is gone, EINVAL when stat does not parse.
 */
#define SCRAPE_STAT	(1U << 0)
#define SCRAPE_STATUS	(1U << 1)
int	scrape_read_files(pid_t pid, pid_t tid, unsigned which,
	    struct quark_process *);

/*
 * enrich.c: what /proc says that a thin event (pids only: the proc
 * connector's) lacks, read right after the event.  A process gone by then
 * keeps the fields unknown: never the parent's, never made up.
 */
/* FORK: the child's start time (tick-truncated, as seeding reads it), comm. */
void	enrich_fork(struct raw_event *);
/*
 * EXEC: the whole new image (exe, args, cwd, creds, ...); qs: QS_ENV; the
 * args cut at argv_cap bytes (then QPT_ARGS; argc and args_total whole).
 */
void	enrich_exec(struct raw_event *, int qs, uint32_t argv_cap);
/*
 * SETUID/SETGID: the saved and fs ids, from /proc/PID/task/TID/status,
 * used only when its real and effective ids are the event's.  -1 when
 * they are not (gone, or changed again): the ids stay unknown (QP_CREDS
 * and QP_FSCREDS clear), and the event still stands: the kernel made the
 * change, only its outcome is unknown.
 */
int	enrich_ids(struct raw_event *);
/*
 * The group tgid after the exit of one of its threads at exit_ns (boot
 * ns), from /proc/TGID/stat: returns its threads not yet reaped (the
 * zombie leader included; 0: gone).  *live: 1 when the task on tgid runs
 * on (not a zombie) and started in a clock tick before exit_ns's, so
 * that it is the same process, not a new one on a reused pid: after an
 * exec by a non-leader thread, which takes over the leader's pid
 * (de_thread()), the leader's exit is a thread's.
 */
int	enrich_group_threads(pid_t tgid, uint64_t exit_ns, int *live);
/*
 * The name of process pid now, from /proc/PID/stat, into comm: 0, or -1
 * and errno (ESRCH: gone, or the stat is another process's).
 */
int	enrich_comm(pid_t pid, char comm[QUARK_COMM_LEN]);

#endif /* QUARK_INT_H */
