/*
 * quark.h - the public interface of libquark.
 *
 * The data path: kernel -> backend (ring) -> raw event -> ordering queue ->
 * aggregation -> process cache -> quark_event -> caller.
 *
 * Conventions:
 *  - Every function that can fail returns -1 (or NULL) and sets errno.
 *    The library never prints and never exits.
 *  - No threads are created; the caller drives the queue.
 *  - Times are nanoseconds on one clock, CLOCK_BOOTTIME ("boot ns").
 *    quark_boot_to_wall() converts to CLOCK_REALTIME nanoseconds.
 *  - An unknown value is never a fake zero: each optional field of
 *    struct quark_process has a QP_* bit in `known`; a clear bit means
 *    "unknown" and the writer leaves the key out.
 */
#ifndef QUARK_H
#define QUARK_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define QUARK_VERSION		"0.1.0"
#define QUARK_COMM_LEN		16	/* TASK_COMM_LEN, NUL included */

/*
 * Which fields of struct quark_process are known.  One bit per group of
 * fields that are learned together.
 */
#define QP_PPID		(1ULL << 0)
#define QP_COMM		(1ULL << 1)
#define QP_EXE		(1ULL << 2)
#define QP_ARGS		(1ULL << 3)	/* args, args_len, argc, args_total */
#define QP_CWD		(1ULL << 4)
#define QP_CREDS	(1ULL << 5)	/* uid gid euid egid suid sgid */
#define QP_FSCREDS	(1ULL << 6)	/* fsuid fsgid */
#define QP_PGID_SID	(1ULL << 7)	/* pgid sid */
#define QP_TTY		(1ULL << 8)	/* tty_major tty_minor (0/0 = no tty) */
#define QP_START	(1ULL << 9)	/* start_ns */
#define QP_CAPS		(1ULL << 10)	/* the five capability sets */
#define QP_NS		(1ULL << 11)	/* namespace inodes, see ns_known */
#define QP_CGROUP	(1ULL << 12)
#define QP_STATE	(1ULL << 13)
#define QP_NTHREADS	(1ULL << 14)
#define QP_EXIT		(1ULL << 15)	/* exit_code exit_signal core_dumped exit_ns */
#define QP_KTHREAD	(1ULL << 16)	/* kthread is meaningful */
#define QP_ENV		(1ULL << 17)	/* env, env_len, envc */
#define QP_TID		(1ULL << 18)	/* thread id for thread records */
#define QP_LOGINUID	(1ULL << 19)	/* loginuid (audit), if readable */
#define QP_FILENAME	(1ULL << 20)	/* filename; never from /proc */
/*
 * container: every cgroup hierarchy was looked at (the unified one, and
 * on v1 and hybrid hosts the v1 controllers'): id "" means in none.
 */
#define QP_CONTAINER	(1ULL << 21)

/* Why a value is not what the kernel had (set by the library). */
#define QPT_EXE		(1U << 0)	/* exe path truncated */
#define QPT_ARGS	(1U << 1)	/* argv truncated at the cap */
#define QPT_CWD		(1U << 2)	/* cwd path truncated */
#define QPT_CGROUP	(1U << 3)	/* cgroup path truncated */
#define QPT_ENV		(1U << 4)	/* environment truncated at the cap */
#define QPT_EXE_DELETED	(1U << 5)	/* the exe was unlinked ("(deleted)") */
#define QPT_CWD_DELETED	(1U << 6)	/* the cwd was removed ("(deleted)") */
#define QPT_FILENAME	(1U << 7)	/* filename truncated */
/*
 * A truncated path (QPT_EXE, QPT_CWD) is the end of the real one after
 * QUARK_CUT ("\u2026/usr/bin/x"), a truncated filename its start before
 * it: neither reads as a whole path.
 */
#define QUARK_CUT	"\xe2\x80\xa6"	/* U+2026 HORIZONTAL ELLIPSIS */

/*
 * A container, as its cgroups name it (lib/container.c has the layouts).
 * id "" and runtime NULL: in no container.
 */
struct quark_container {
	char		id[65];		/* hex id, machine or container name */
	const char	*runtime;	/* static: "docker", "containerd", "cri-o",
					   "podman", "systemd-nspawn", "lxc", "ecs" */
};

/* Namespace inode slots; ns_known has bit (1 << slot) when known. */
enum quark_ns {
	QUARK_NS_PID,
	QUARK_NS_MNT,
	QUARK_NS_NET,
	QUARK_NS_UTS,
	QUARK_NS_IPC,
	QUARK_NS_USER,
	QUARK_NS_CGROUP,
	QUARK_NS_COUNT
};

enum quark_cap {
	QUARK_CAP_INHERITABLE,
	QUARK_CAP_PERMITTED,
	QUARK_CAP_EFFECTIVE,
	QUARK_CAP_BOUNDING,
	QUARK_CAP_AMBIENT,
	QUARK_CAP_COUNT
};

/*
 * The process object.  The same structure describes a process read from
 * /proc (snapshot, lookup) and one kept in the queue's cache (watch).
 * Strings are NUL-terminated and owned by the structure; `args` and `env`
 * are argv/envp as the kernel keeps them: NUL-separated, args_len bytes,
 * the last byte normally NUL.  They may hold any bytes: the output layer
 * makes them UTF-8.
 */
struct quark_process {
	uint64_t	known;		/* QP_* */
	uint32_t	truncated;	/* QPT_* */
	pid_t		pid;		/* thread group id, always known */
	pid_t		tid;		/* QP_TID */
	pid_t		ppid;		/* QP_PPID: real parent's tgid */
	pid_t		pgid;		/* QP_PGID_SID */
	pid_t		sid;		/* QP_PGID_SID */
	uint32_t	nthreads;	/* QP_NTHREADS */
	char		state;		/* QP_STATE: R S D Z T t X I ... */
	int		kthread;	/* QP_KTHREAD: 1 kernel thread, 0 not */
	char		comm[QUARK_COMM_LEN];	/* QP_COMM */

	char		*exe;		/* QP_EXE */
	/*
	 * QP_FILENAME: the path given to execve(2), before resolution
	 * ("./prog", a symlink); for a script the script, while exe is
	 * its interpreter.  Learned at exec only: unknown from /proc.
	 */
	char		*filename;
	char		*cwd;		/* QP_CWD */
	char		*cgroup;	/* QP_CGROUP: unified (v2) path */
	struct quark_container container;	/* QP_CONTAINER */
	char		*args;		/* QP_ARGS */
	size_t		 args_len;	/* bytes held in args */
	uint64_t	 args_total;	/* bytes the kernel had (>= args_len) */
	uint32_t	 argc;		/* arguments the kernel had */
	char		*env;		/* QP_ENV */
	size_t		 env_len;
	uint32_t	 envc;

	uint32_t	uid, gid, euid, egid, suid, sgid;	/* QP_CREDS */
	uint32_t	fsuid, fsgid;				/* QP_FSCREDS */
	uint32_t	loginuid;				/* QP_LOGINUID */
	uint64_t	cap[QUARK_CAP_COUNT];			/* QP_CAPS */

	uint32_t	tty_major, tty_minor;	/* QP_TTY; 0:0 = none */
	uint64_t	start_ns;	/* QP_START: boot ns, tick-truncated */
	uint64_t	start_ns_raw;	/* boot ns as the kernel had it, 0 if from /proc */

	uint32_t	ns_known;	/* 1 << enum quark_ns */
	uint64_t	ns[QUARK_NS_COUNT];

	int32_t		exit_code;	/* QP_EXIT: exit(2) status, -1 if killed */
	int32_t		exit_signal;	/* QP_EXIT: what killed it, 0: none */
	int		core_dumped;	/* QP_EXIT */
	uint64_t	exit_ns;	/* QP_EXIT: boot ns */

	/*
	 * FNV-1a 64 of (boot id, pid, start ticks), 0 if !QP_START; in a
	 * queue's cache, a process on the pid of one started in the same
	 * tick gets another generation of it (quark-schema(7)).
	 */
	uint64_t	entity_id;
};

/* Kinds of raw change that can make up one record, in `events`. */
enum quark_event_type {
	QUARK_EV_FORK,
	QUARK_EV_EXEC,
	QUARK_EV_EXIT,
	QUARK_EV_SETUID,	/* setuid/setreuid/setresuid/setfsuid */
	QUARK_EV_SETGID,	/* setgid/setregid/setresgid/setfsgid */
	QUARK_EV_SETSID,
	QUARK_EV_COMM,		/* prctl(PR_SET_NAME) and friends */
	QUARK_EV_TYPE_COUNT
};

/* Kinds of quark_event. */
enum quark_event_kind {
	QUARK_EVENT_PROCESS,	/* one aggregated record about a process */
	QUARK_EVENT_LOST,	/* the backend lost `lost` raw events */
};

#define QUARK_EVF_LATE		(1U << 0)	/* arrived after newer ones were applied or emitted */
#define QUARK_EVF_STALE		(1U << 1)	/* context may predate a loss */
#define QUARK_EVF_THREAD	(1U << 2)	/* about a thread, not a process */
#define QUARK_EVF_FROM_PROC	(1U << 3)	/* process learned from /proc after a loss, its start unseen */

#define QUARK_MAX_CHANGES	16

/*
 * SETUID/SETGID changes: which ids the backend knows after the change
 * (the others are 0 and not to be shown).  The proc connector says only
 * the real and effective ids, the rest when /proc still agrees.
 */
#define QUARK_CHK_IDS		(1U << 0)	/* uid euid, or gid egid */
#define QUARK_CHK_SAVED		(1U << 1)	/* suid, or sgid */
#define QUARK_CHK_FS		(1U << 2)	/* fsuid, or fsgid */

/* One raw change kept inside a record, in time order. */
struct quark_change {
	uint32_t	type;		/* enum quark_event_type */
	uint32_t	known;		/* SETUID/SETGID: QUARK_CHK_* */
	uint64_t	time;		/* boot ns */
	pid_t		tid;		/* the thread that did it */
	pid_t		old_pid;	/* EXEC by a non-leader thread: its tid, else 0 */
	char		comm[QUARK_COMM_LEN];	/* COMM: the new name */
	uint32_t	uid, euid, suid, fsuid;	/* SETUID: after */
	uint32_t	gid, egid, sgid, fsgid;	/* SETGID: after */
	pid_t		sid;			/* SETSID: after */
};

/*
 * An image a process had before a later exec in the same record replaced
 * it, as the exec that installed it reported it: what an exec installs
 * and a later one replaces (exe, filename, args, comm), nothing else.  A
 * field that exec did not report is unknown (its QP_* bit clear).
 */
struct quark_exec {
	uint64_t	 time;		/* boot ns of the exec */
	uint64_t	 known;		/* QP_COMM QP_EXE QP_FILENAME QP_ARGS */
	uint32_t	 truncated;	/* QPT_EXE QPT_EXE_DELETED QPT_FILENAME
					   QPT_ARGS */
	uint32_t	 argc;		/* QP_ARGS, as in quark_process */
	char		 comm[QUARK_COMM_LEN];
	char		*exe;
	char		*filename;
	char		*args;
	size_t		 args_len;
	uint64_t	 args_total;
};

/*
 * Earlier images a record keeps, at most: a process that execs in a loop
 * makes a record of bounded size (the others are counted, not kept).
 */
#define QUARK_MAX_PREVIOUS	4

/*
 * An event handed out by quark_queue_next().  It and everything it points
 * to belong to the queue and stay valid until the next call to
 * quark_queue_next() or quark_queue_close().
 */
struct quark_event {
	uint32_t			 kind;	/* enum quark_event_kind */
	uint32_t			 flags;	/* QUARK_EVF_* */
	uint64_t			 time;	/* boot ns of the first change */
	uint32_t			 nchanges;
	uint32_t			 nchanges_dropped; /* beyond QUARK_MAX_CHANGES */
	struct quark_change		 changes[QUARK_MAX_CHANGES];
	const struct quark_process	*process;	/* after all changes; NULL for LOST */
	const struct quark_process	*parent;	/* may be NULL */
	uint64_t			 lost;	/* QUARK_EVENT_LOST: count */
	/*
	 * The images process had before its last exec in this record, one
	 * per earlier exec, oldest first (process has the last one): the
	 * first QUARK_MAX_PREVIOUS, the later ones counted in
	 * nprevious_dropped.
	 */
	const struct quark_exec		*previous;
	uint32_t			 nprevious;
	uint32_t			 nprevious_dropped;
};

/* Queue attributes: quark_queue_default_attr() then change what you need. */
#define QQ_NO_AGGREGATE	(1U << 0)	/* every raw event is its own record */
#define QQ_THREADS	(1U << 1)	/* also thread fork/exit */
#define QQ_ENV		(1U << 2)	/* capture environments (secrets!) */
#define QQ_NO_SCRAPE	(1U << 3)	/* do not seed the cache from /proc */
/*
 * Records leave in strict time order of their first event (a held
 * incomplete record holds every later one).  Without it a record leaves
 * as soon as it is whole; records of one process keep their order.
 */
#define QQ_SORTED	(1U << 4)

enum quark_backend_id {
	QUARK_BACKEND_AUTO,	/* the ladder: eBPF, kprobes, the proc connector */
	QUARK_BACKEND_EBPF,
	/* 2 is internal (tests) */
	QUARK_BACKEND_NETLINK = 3,	/* the proc connector: the fallback */
	QUARK_BACKEND_KPROBE,	/* tracefs kprobes + perf rings, no BPF */
};

struct quark_queue_attr {
	uint32_t	flags;		/* QQ_* */
	int		backend;	/* enum quark_backend_id */
	uint32_t	max_length;	/* queue bound, records (default 10000) */
	uint64_t	hold_max_ns;	/* default 1000 ms */
	uint64_t	hold_min_ns;	/* floor of the hold at 90% fill: 1 ms */
	uint64_t	reorder_ns;	/* complete head records: 25 ms */
	uint64_t	grace_ns;	/* exited processes stay: 5 s */
	uint64_t	reconcile_ns;	/* /proc reconcile period: 30 s */
	uint32_t	ring_bytes;	/* BPF ring size, power of 2: 8 MiB */
	uint32_t	argv_cap;	/* argv bytes captured: 32 KiB */
	uint32_t	env_cap;	/* env bytes captured with QQ_ENV: 32 KiB */
	/*
	 * Kernel BTF for the kprobe backend's offsets; NULL:
	 * /sys/kernel/btf/vmlinux.  Raw BTF or an ELF file with .BTF.
	 */
	const char	*btf_path;
};

struct quark_stats {
	uint64_t	insertions;	/* raw events into the queue */
	uint64_t	removals;	/* records out of the queue */
	uint64_t	aggregations;	/* raw events merged into a record */
	uint64_t	non_aggregations; /* raw events that began a record */
	uint64_t	lost;		/* raw events the backend lost */
	uint64_t	late;		/* records emitted out of order */
	uint64_t	garbage_collections; /* cache entries collected */
	uint64_t	reconciles;	/* /proc reconciles run */
	uint64_t	reconcile_evictions;
	uint64_t	bad_records;	/* malformed backend records skipped */
	uint64_t	cred_noops;	/* set*id calls that changed no id */
	uint64_t	length;		/* records queued now */
	uint64_t	peak_length;
	uint64_t	cache_size;	/* processes in the cache */
	char		backend[16];	/* name of the backend in use */
	/*
	 * Optional capture the backend could not switch on, and why
	 * ("credential changes: tracefs not mounted ..."); "" when all is on.
	 */
	char		features_off[256];
};

struct quark_queue;

void	quark_queue_default_attr(struct quark_queue_attr *);
/* Opens the backend, seeds the cache from /proc, starts capture. */
struct quark_queue *quark_queue_open(const struct quark_queue_attr *);
/*
 * Next ready event, or NULL with errno 0 when nothing is ready yet
 * (block on quark_queue_fd() or sleep up to quark_queue_timeout_ms()).
 * NULL with errno set on error.
 */
const struct quark_event *quark_queue_next(struct quark_queue *);
/*
 * Why the last quark_queue_open() in this thread chose as it did, in
 * words for users: when it failed, each backend tried and why
 * ("kprobe: no /sys/kernel/tracing/kprobe_events (...)"); when AUTO fell
 * back, why the backends before the one in use failed ("ebpf: ...").
 * "" when the first backend tried opened.  Valid until the next open.
 */
const char *quark_queue_why(void);
/* Pollable fd (POLLIN) that becomes ready when the backend has data. */
int	quark_queue_fd(struct quark_queue *);
/*
 * The caller saw quark_queue_fd() ready at since_ns (CLOCK_BOOTTIME ns,
 * quark_boot_now()) and let the data gather before reading it.  The raw
 * events read from then until the backend is next found drained count as
 * arrived at their kernel time, but not before since_ns, rather than when
 * read: the reorder window (and the hold) runs from when they were there
 * to read, so gathering adds no latency.  Call it just before the
 * quark_queue_next() calls that read the data.
 */
void	quark_queue_gathered(struct quark_queue *, uint64_t since_ns);
/*
 * Pollable fd (POLLIN) that becomes ready when the host changed under the
 * queue: the wall clock was set, or the user and group databases
 * (/etc/passwd, /etc/group) changed.  quark_queue_next() takes note (once per
 * drain: the first call after one that returned NULL) and dates the
 * change to that moment; poll this fd all the time, also while records
 * are held, so that the moment is right to the wake-up's latency.  -1
 * when the kernel gives no such fd (the change is then noticed at the
 * next drain).
 */
int	quark_queue_notify_fd(struct quark_queue *);
/*
 * Milliseconds until a held record becomes due or an exited process is to
 * be collected (0: call quark_queue_next() now); -1 when nothing is held.
 */
int	quark_queue_timeout_ms(struct quark_queue *);
/* Stop capture: later quark_queue_next() calls drain what is held. */
int	quark_queue_stop(struct quark_queue *);
void	quark_queue_stats(struct quark_queue *, struct quark_stats *);
void	quark_queue_close(struct quark_queue *);
/* The cache's entry for pid, or NULL (errno ESRCH). Valid until next(). */
const struct quark_process *quark_process_lookup(struct quark_queue *, pid_t);

/*
 * Every process in the queue's cache, in no particular order:
 * quark_process_iter_init(), then quark_process_iter_next() until NULL.
 * The cache changes only inside quark_queue_next() and
 * quark_queue_close(): an iterator, and every process it returned, is
 * valid until the next call to either on its queue, and invalid after it
 * (entries may have been freed); do not call them while iterating.
 */
struct quark_process_iter {
	struct quark_queue	*qq;
	void			*cur;
};
void	quark_process_iter_init(struct quark_process_iter *, struct quark_queue *);
const struct quark_process *quark_process_iter_next(struct quark_process_iter *);

/*
 * /proc access, without a queue (snapshot and lookup use these).
 * quark_process_read() returns a process the caller frees with
 * quark_process_free(); NULL with errno ESRCH when the pid does not exist.
 * Fields that cannot be read (permissions, zombie) are left unknown.
 */
#define QS_THREADS	(1U << 0)	/* also every thread (tid set) */
#define QS_NO_KTHREADS	(1U << 1)	/* leave kernel threads out */
#define QS_ENV		(1U << 2)	/* read environ too */

struct quark_process	*quark_process_read(pid_t, int qs_flags);
void			 quark_process_free(struct quark_process *);
void			 quark_process_clear(struct quark_process *);
/* Deep copy of src into dst (dst is cleared first); -1 on ENOMEM. */
int			 quark_process_copy(struct quark_process *dst,
			    const struct quark_process *src);

struct quark_scrape;
struct quark_scrape	*quark_scrape_open(int qs_flags);
/*
 * Next process (or thread), NULL at the end (errno 0) or on error.  The
 * caller owns it (quark_process_free()).  With QS_THREADS a process is
 * followed by one record per thread other than its leader (QP_TID set,
 * pid = the process); the process record stands for the leader.
 */
struct quark_process	*quark_scrape_next(struct quark_scrape *);
void			 quark_scrape_close(struct quark_scrape *);

/* Clocks and identity. */
uint64_t	quark_boot_now(void);		/* CLOCK_BOOTTIME ns */
/*
 * boot ns -> realtime ns, with the offset between the two clocks that was
 * in effect at that boot instant (as far as known: the offset measured at
 * the library's start for any earlier instant).  A queue notices a set of
 * the wall clock (see quark_queue_notify_fd()) and keeps past offsets.
 */
uint64_t	quark_boot_to_wall(uint64_t);
/*
 * A start time (tick-truncated boot ns) -> realtime ns, with the offset
 * rounded down to the millisecond: the same in every run and command
 * (the offset's measurement noise would show in the ns digits), and at
 * most a tick and a millisecond before the real start.
 */
uint64_t	quark_start_to_wall(uint64_t);
uint64_t	quark_ticks_to_ns(uint64_t);	/* /proc clock ticks -> ns */
uint64_t	quark_start_trunc(uint64_t);	/* boot ns -> tick-truncated */
/* Stable id from boot id + pid + start time (tick resolution). */
uint64_t	quark_entity_id(pid_t, uint64_t start_ns);

/* Container detection from a cgroup path (struct quark_container above). */
/* 1 and fills *c when the path names a container, 0 when not. */
int	quark_container_parse(const char *cgroup, struct quark_container *c);

const char *quark_event_type_name(uint32_t);
const char *quark_ns_name(int);	/* enum quark_ns: "pid", "mnt", ... */
/*
 * The name under /dev of a terminal ("pts/3", "tty1", "ttyS0").  0, or -1
 * with ENOENT when the numbers name no terminal we know.
 */
int	quark_tty_name(uint32_t major, uint32_t minor, char *buf, size_t len);	/* "fork", "exec", ... */

#endif /* QUARK_H */
