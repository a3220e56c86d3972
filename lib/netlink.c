/*
 * netlink.c - the netlink process connector backend (linux/cn_proc.h):
 * the fallback when eBPF is unavailable (no BTF, BPF refused, old kernel).
 * The socket and its life cycle are here; decoding a message is
 * netlink_decode.c's, reading /proc for what a message lacks enrich.c's.
 *
 * The kernel multicasts one struct proc_event per fork, exec, id change,
 * setsid, comm change, coredump and exit to the sockets bound to
 * CN_IDX_PROC that sent PROC_CN_MCAST_LISTEN.  It needs CAP_NET_ADMIN in
 * the initial user and pid namespaces.
 *
 * What it does not give, and what we do instead:
 *  - Only pids.  At EXEC the process is read from /proc right away for
 *    exe, args, cwd, creds, ...; a process gone by then keeps them
 *    unknown (never the parent's, never made up).  A second exec before
 *    the read makes the first exec show the second image.
 *  - No start time.  At FORK the child's /proc/PID/stat gives it (the same
 *    tick-truncated value /proc seeding uses, so entity ids agree).
 *  - UID/GID events carry only the real and effective id.  The saved and
 *    fs ids come from /proc/PID/status, used only when its real and
 *    effective ids are the event's; otherwise (the process is gone or
 *    changed again) the change is still reported, with every id unknown
 *    (one QP_CREDS bit covers them all) rather than made up, and the
 *    capabilities after a uid change are unknown too (cache.c's
 *    event_changes[]).
 *  - No old pid for a non-leader exec: the event comes after de_thread(),
 *    when the thread already has the leader's pid.
 *  - One exit per thread (proc_exit_connector() runs in do_exit() for
 *    every task, after exit_notify() has released an autoreaped thread).
 *    The group's exit is the leader's exit when /proc says no other
 *    thread is left; when the leader exits first (pthread_exit() in
 *    main), its exit is a thread's and the group's exit is the exit of
 *    the last thread (see nl_exit_classify()).  When a non-leader
 *    thread execs, the kernel ends the old leader (de_thread()) and the
 *    thread takes its pid: that exit has pid == tgid; it is a thread's
 *    when /proc then shows the process running on, or when the exec's
 *    message follows it in the same batch (nl_hold()).  That costs one
 *    read of /proc/PID/stat per process exit.
 *  - Losses: a full socket buffer makes recv() fail with ENOBUFS without
 *    saying how many messages were dropped.  Each overflow is submitted
 *    as a loss of 1 (at least one was lost): lost counts overflows here.
 *
 * Times: the kernel stamps events with ktime_get_ns(), CLOCK_MONOTONIC,
 * not CLOCK_BOOTTIME (the comment in cn_proc.h says "since boot", but
 * monotonic stops during suspend).  We add BOOTTIME - MONOTONIC, measured
 * at open and again before each batch, so that times after a resume are
 * right (clock_mono_to_boot(): kept until a measurement proves it wrong,
 * so a preempted measurement never shifts one batch against another); a
 * message queued before a suspend and read after it is off by the time
 * suspended.
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include "netlink.h"

#define NL_BUF		8192	/* one datagram: a message is ~80 bytes */
#define NL_HELD_MAX	64	/* leaders' exits held in one batch */
#define NL_ACK_MS	1000	/* how long open waits for LISTEN's ack */

struct nl_state {
	int			fd;
	int			qs;		/* QS_* for /proc reads */
	uint32_t		argv_cap;	/* args bytes kept (--argv-cap) */
	int			listening;
	uint32_t		seq;
	uint64_t		mono_to_boot;
	struct clock_mono	mono;		/* BOOTTIME - MONOTONIC */
	uint64_t		lost;		/* socket overflows */
	uint64_t		bad;		/* skipped messages */
	struct nl_pending	pending;
	/* Leaders' exits held until the batch's end (nl_hold()). */
	struct raw_event	*held[NL_HELD_MAX];
	size_t			nheld;
	char			buf[NL_BUF] __attribute__((aligned(8)));
};

static int
nl_send_op(struct nl_state *ns, enum proc_cn_mcast_op op)
{
	struct {
		struct nlmsghdr	nh;
		struct cn_msg	cn;
		uint32_t	op;
	} __attribute__((packed)) m;
	struct sockaddr_nl	sa;

	memset(&m, 0, sizeof(m));
	m.nh.nlmsg_len = sizeof(m);
	m.nh.nlmsg_type = NLMSG_DONE;
	m.nh.nlmsg_pid = 0;	/* the kernel fills in our port id */
	m.cn.id.idx = CN_IDX_PROC;
	m.cn.id.val = CN_VAL_PROC;
	m.cn.seq = ++ns->seq;
	m.cn.ack = ns->seq;
	m.cn.len = sizeof(m.op);
	m.op = op;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(ns->fd, &m, sizeof(m), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1)
		return (-1);
	return (0);
}

/* One datagram from the kernel, 0 when none is ready. */
static ssize_t
nl_recv(struct nl_state *ns)
{
	struct sockaddr_nl	sa;
	socklen_t		salen;
	ssize_t			r;

	for (;;) {
		salen = sizeof(sa);
		r = recvfrom(ns->fd, ns->buf, sizeof(ns->buf),
		    MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&sa, &salen);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		if (r == -1)
			return (-1);
		/* Only the kernel speaks for the proc connector. */
		if (salen < sizeof(sa) || sa.nl_pid != 0 ||
		    (size_t)r > sizeof(ns->buf)) {
			ns->bad++;
			continue;
		}
		return (r);
	}
}

/*
 * After LISTEN the kernel multicasts an ack (PROC_EVENT_NONE) with our
 * ack number + 1 and the error: EPERM when we may not listen.  Events
 * read while waiting are dropped: they predate the /proc seeding that
 * follows open, which sees their outcome.
 */
static int
nl_wait_ack(struct nl_state *ns)
{
	struct pollfd	pfd = { ns->fd, POLLIN, 0 };
	struct nl_event	ev;
	uint64_t	end = quark_boot_now() + NL_ACK_MS * NS_PER_MS, now;
	size_t		off, used;
	ssize_t		r;

	while ((now = quark_boot_now()) < end) {
		if (poll(&pfd, 1, (int)((end - now) / NS_PER_MS) + 1) == -1 &&
		    errno != EINTR)
			return (-1);
		if ((r = nl_recv(ns)) == -1 && errno != ENOBUFS)
			return (-1);
		for (off = 0; r > 0 && off < (size_t)r; off += used) {
			if (nl_decode(ns->buf + off, (size_t)r - off, &used,
			    &ev) != NL_EVENT || ev.what != PROC_EVENT_NONE ||
			    ev.ack != ns->seq + 1)
				continue;
			if (ev.err != 0) {
				errno = (int)ev.err;
				return (-1);
			}
			return (0);
		}
	}
	/* No ack (it may have been dropped in an overflow): go on. */
	return (0);
}

static int
nl_open(struct quark_queue *qq, const struct quark_queue_attr *attr,
    void **state)
{
	struct nl_state		*ns;
	struct sockaddr_nl	 sa;
	int			 rcvbuf, saved;

	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		return (-1);
	ns->qs = (attr->flags & QQ_ENV) ? QS_ENV : 0;
	ns->argv_cap = attr->argv_cap;
	ns->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_CONNECTOR);
	if (ns->fd == -1)
		goto fail;
	/* The socket buffer is our ring: as large as --ring-size says. */
	rcvbuf = attr->ring_bytes > INT_MAX ? INT_MAX : (int)attr->ring_bytes;
	if (setsockopt(ns->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		(void)setsockopt(ns->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = CN_IDX_PROC;
	if (bind(ns->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		goto fail;
	if (nl_send_op(ns, PROC_CN_MCAST_LISTEN) == -1)
		goto fail;
	ns->listening = 1;
	if (nl_wait_ack(ns) == -1)
		goto fail;
	ns->mono_to_boot = (uint64_t)clock_mono_to_boot(&ns->mono);
	*state = ns;
	return (0);
fail:
	saved = errno;
	if (ns->listening && saved != EPERM)
		(void)nl_send_op(ns, PROC_CN_MCAST_IGNORE);
	if (ns->fd != -1)
		close(ns->fd);
	free(ns);
	errno = saved;
	return (-1);
}

/*
 * Submits the held exit of pid, if any: as a thread's (dethread: an exec
 * of pid follows), or as the group's (a fork of a new process on pid).
 * Returns 1 when there was one, else 0.
 */
static int
nl_release(struct quark_queue *qq, struct nl_state *ns, pid_t pid,
    int dethread)
{
	struct raw_event	*raw;
	size_t			 i;

	for (i = 0; i < ns->nheld; i++)
		if (ns->held[i]->pid == pid)
			break;
	if (i == ns->nheld)
		return (0);
	raw = ns->held[i];
	memmove(ns->held + i, ns->held + i + 1,
	    (ns->nheld - i - 1) * sizeof(ns->held[0]));
	ns->nheld--;
	if (dethread)
		raw->flags = RAW_F_THREAD;
	queue_submit(qq, raw);
	return (1);
}

/*
 * A leader's exit that /proc called the group's (it was a zombie, or
 * gone, when we looked) waits for the end of the batch: when the next
 * message about its pid is an exec, the process was not ending: a thread
 * of it exec'd (the kernel ends the old leader in de_thread() first),
 * and the new image had already exited when we looked.  So it was, too,
 * when another exit of the pid follows with no fork between (the old
 * leader's message came after the exec's: it is sent after the
 * exit_notify() that lets the exec go on).  Both messages are sent within
 * the exec, so they come in one batch but for a gathering cut in two:
 * that case is the live check's (enrich_group_threads()).  An overflow
 * (a fork may be lost) ends the batch.
 */
static void
nl_hold(struct quark_queue *qq, struct nl_state *ns, struct raw_event *raw)
{
	nl_release(qq, ns, raw->pid, 1);
	if (ns->nheld == NL_HELD_MAX) {
		queue_submit(qq, ns->held[0]);
		memmove(ns->held, ns->held + 1,
		    (NL_HELD_MAX - 1) * sizeof(ns->held[0]));
		ns->nheld--;
	}
	ns->held[ns->nheld++] = raw;
}

/* The batch's end: the exits still held were the groups'. */
static void
nl_release_all(struct quark_queue *qq, struct nl_state *ns)
{
	size_t	i;

	for (i = 0; i < ns->nheld; i++)
		queue_submit(qq, ns->held[i]);
	ns->nheld = 0;
}

/* An exit: a thread's, the group's, or both (see nl_exit_classify()). */
static int
submit_exit(struct quark_queue *qq, struct nl_state *ns,
    struct raw_event *raw)
{
	struct raw_event	*group;
	unsigned		 x;
	int			 n, live;

	/*
	 * A thread that exits after its leader's exit was held (/proc had
	 * nothing left when we looked: the threads ended together, or
	 * within moments): the group outlived the leader, whose exit was a
	 * thread's; the group's is its last thread's.
	 */
	if (raw->tid != raw->pid && nl_release(qq, ns, raw->pid, 1))
		nl_group_outlived(&ns->pending, raw->pid);
	x = nl_exit_classify(&ns->pending, raw->tid, raw->pid, -1, 0);
	if (x & NLX_ASK) {
		n = enrich_group_threads(raw->pid, raw->time, &live);
		x = nl_exit_classify(&ns->pending, raw->tid, raw->pid, n, live);
	}
	if (x == NLX_GROUP) {
		raw->flags = RAW_F_GROUP_DEAD;
		if (raw->tid == raw->pid)
			nl_hold(qq, ns, raw);
		else
			queue_submit(qq, raw);
		return (1);
	}
	group = NULL;
	if ((x & NLX_GROUP) && (group = raw_event_dup(raw)) == NULL)
		ns->lost++;	/* out of memory: the group's exit is lost */
	if (group != NULL)
		group->flags = RAW_F_GROUP_DEAD;
	raw->flags = RAW_F_THREAD;
	queue_submit(qq, raw);
	if (group != NULL)
		queue_submit(qq, group);
	return (group != NULL ? 2 : 1);
}

/* One decoded message to the queue; how many raw events it made. */
static int
nl_handle(struct quark_queue *qq, struct nl_state *ns,
    const struct nl_event *ev)
{
	struct raw_event	*raw;

	if ((raw = nl_to_raw(ev, ns->mono_to_boot)) == NULL) {
		if (errno == ENOMEM)
			ns->lost++;
		return (0);
	}
	switch (raw->type) {
	case QUARK_EV_FORK:
		if ((raw->flags & RAW_F_THREAD) == 0) {
			nl_release(qq, ns, raw->pid, 0);
			enrich_fork(raw);
		}
		break;
	case QUARK_EV_EXEC:
		nl_release(qq, ns, raw->pid, 1);
		enrich_exec(raw, ns->qs, ns->argv_cap);
		break;
	case QUARK_EV_SETUID:
	case QUARK_EV_SETGID:
		/*
		 * The change happened whatever /proc says: unconfirmed, it is
		 * reported with its ids unknown (the cache's rule then makes
		 * them unknown, never the ones before).
		 */
		(void)enrich_ids(raw);
		break;
	case QUARK_EV_EXIT:
		return (submit_exit(qq, ns, raw));
	}
	queue_submit(qq, raw);
	return (1);
}

/* ENOBUFS: the socket overflowed, at least one message is gone. */
static int
nl_overflow(struct quark_queue *qq, struct nl_state *ns)
{
	struct raw_event	*raw;

	ns->lost++;
	if ((raw = raw_event_alloc(RAW_LOST)) == NULL)
		return (0);
	raw->time = quark_boot_now();
	raw->lost.count = 1;
	queue_submit(qq, raw);
	return (1);
}

static int
nl_poll(struct quark_queue *qq, void *state, int budget)
{
	struct nl_state	*ns = state;
	struct nl_event	 ev;
	size_t		 off, used;
	ssize_t		 r;
	int		 n = 0, k;

	ns->mono_to_boot = (uint64_t)clock_mono_to_boot(&ns->mono);
	while (budget == 0 || n < budget) {
		if ((r = nl_recv(ns)) == 0)
			break;
		if (r == -1) {
			if (errno == ENOBUFS) {
				nl_release_all(qq, ns);
				n += nl_overflow(qq, ns);
				continue;
			}
			nl_release_all(qq, ns);
			return (n > 0 ? n : -1);
		}
		for (off = 0; off < (size_t)r; off += used) {
			k = nl_decode(ns->buf + off, (size_t)r - off, &used,
			    &ev);
			if (k == NL_BAD)
				ns->bad++;
			else if (k == NL_EVENT)
				n += nl_handle(qq, ns, &ev);
		}
	}
	nl_release_all(qq, ns);
	return (n);
}

static int
nl_fd(void *state)
{
	return (((struct nl_state *)state)->fd);
}

static int
nl_stats(void *state, struct quark_backend_stats *st)
{
	struct nl_state	*ns = state;

	st->lost = ns->lost;
	st->bad_records = ns->bad;
	return (0);
}

static void
nl_close(void *state)
{
	struct nl_state	*ns = state;

	if (ns == NULL)
		return;
	while (ns->nheld > 0)
		raw_event_free(ns->held[--ns->nheld]);
	if (ns->fd != -1) {
		if (ns->listening)
			(void)nl_send_op(ns, PROC_CN_MCAST_IGNORE);
		close(ns->fd);
	}
	free(ns);
}

const struct quark_backend_ops quark_backend_netlink = {
	.name = "netlink",
	.open = nl_open,
	.poll = nl_poll,
	.fd = nl_fd,
	.stats = nl_stats,
	.close = nl_close,
};
