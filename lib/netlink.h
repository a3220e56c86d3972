/*
 * netlink.h - the proc connector backend's pure parts (netlink_decode.c),
 * shared with tests/t_netlink.c: message decoding over a buffer, message
 * -> raw event and the thread-group exit bookkeeping.  Nothing here
 * touches a socket or /proc.
 */
#ifndef QUARK_NETLINK_H
#define QUARK_NETLINK_H

#include "quark_int.h"

/* One proc connector message (struct proc_event), decoded. */
struct nl_event {
	uint32_t	what;		/* PROC_EVENT_* */
	uint32_t	cpu;
	uint64_t	ts;		/* ktime_get_ns(): CLOCK_MONOTONIC */
	pid_t		pid;		/* thread id (FORK: the child's) */
	pid_t		tgid;		/* process id (FORK: the child's) */
	pid_t		parent_pid;	/* FORK, COREDUMP, EXIT; 0 if not sent */
	pid_t		parent_tgid;
	uint32_t	real;		/* UID/GID: ruid or rgid */
	uint32_t	eff;		/* UID/GID: euid or egid */
	uint32_t	status;		/* EXIT: wait(2) status (task->exit_code) */
	uint32_t	parent_signal;	/* EXIT: to the parent (SIGCHLD) */
	uint32_t	err;		/* NONE (an ack): the error, 0 if none */
	uint32_t	ack;		/* NONE: the cn_msg ack number */
	char		comm[QUARK_COMM_LEN];	/* COMM: the new name */
};

#define NL_BAD		(-1)	/* malformed: skip the rest of the datagram */
#define NL_SKIP		0	/* not a proc event we know: skip it */
#define NL_EVENT	1	/* *ev filled */

/*
 * Decodes the netlink message at the start of buf (len bytes left in the
 * datagram).  *used is how far the next message starts (len when the
 * rest is unusable).  Never reads past len.
 */
int	nl_decode(const void *buf, size_t len, size_t *used,
	    struct nl_event *ev);

/*
 * The raw event a message stands for, without anything from /proc: times
 * are moved to boot ns by adding mono_to_boot.  NULL with errno 0 when
 * the message makes no raw event (acks, coredump, ptrace), NULL with
 * ENOMEM when out of memory.
 */
struct raw_event *nl_to_raw(const struct nl_event *, uint64_t mono_to_boot);

/*
 * Thread groups whose leader exited while other threads still ran: the
 * group's exit is the exit of its last thread.  Bounded: when full, the
 * oldest entry is forgotten (that group's exit then reads as a thread's,
 * and the cache's /proc reconcile collects it).
 */
#define NL_PENDING_MAX	256
struct nl_pending {
	pid_t	tgid[NL_PENDING_MAX];
	size_t	n;
};

#define NLX_THREAD	(1U << 0)	/* submit a thread exit */
#define NLX_GROUP	(1U << 1)	/* submit the thread group's exit */
#define NLX_ASK		(1U << 2)	/* needs the group's thread count */

/*
 * What an exit of thread pid in group tgid is.  nthreads is the group's
 * thread count read from /proc after the exit (threads not yet reaped,
 * the zombie leader included; 0 when the group is gone), or -1 when not
 * read yet: then the answer may be NLX_ASK, and the caller asks again
 * with the count and live (enrich_group_threads(): the task on tgid runs
 * on, the same process).
 */
unsigned	nl_exit_classify(struct nl_pending *, pid_t pid, pid_t tgid,
		    int nthreads, int live);

/*
 * A thread of tgid exited after its leader's exit was taken for the
 * group's: the group outlived its leader; its exit is its last thread's
 * (nl_exit_classify() asks /proc at each of its threads' exits).
 */
void		nl_group_outlived(struct nl_pending *, pid_t tgid);

#endif /* QUARK_NETLINK_H */
