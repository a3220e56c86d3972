/*
 * netlink.c - the netlink process connector backend (linux/cn_proc.h):
 * the fallback when eBPF is unavailable (no BTF, BPF refused, old kernel).
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
 *    changed again) the change is skipped and counted in bad_records
 *    rather than shown with made-up ids.
 *  - No old pid for a non-leader exec: the event comes after de_thread(),
 *    when the thread already has the leader's pid.
 *  - One exit per thread (proc_exit_connector() runs in do_exit() for
 *    every task, after exit_notify() has released an autoreaped thread).
 *    The group's exit is the leader's exit when /proc says no other
 *    thread is left; when the leader exits first (pthread_exit() in
 *    main), its exit is a thread's and the group's exit is the exit of
 *    the last thread (see nl_exit_classify()).  That costs one read of
 *    /proc/PID/status per process exit.
 *  - Losses: a full socket buffer makes recv() fail with ENOBUFS without
 *    saying how many messages were dropped.  Each overflow is submitted
 *    as a loss of 1 (at least one was lost): lost counts overflows here.
 *
 * Times: the kernel stamps events with ktime_get_ns(), CLOCK_MONOTONIC,
 * not CLOCK_BOOTTIME (the comment in cn_proc.h says "since boot", but
 * monotonic stops during suspend).  We add BOOTTIME - MONOTONIC, measured
 * at open and again before each batch, so that times after a resume are
 * right; a message queued before a suspend and read after it is off by
 * the time suspended.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include "netlink.h"

/* Bytes of event_data each kind needs; -1: no raw event. */
static const struct nl_kind {
	uint32_t	what;
	size_t		need;
	int		type;
} nl_kinds[] = {
	{ PROC_EVENT_NONE,	4,	-1 },	/* ack: err */
	{ PROC_EVENT_FORK,	16,	QUARK_EV_FORK },
	{ PROC_EVENT_EXEC,	8,	QUARK_EV_EXEC },
	{ PROC_EVENT_UID,	16,	QUARK_EV_SETUID },
	{ PROC_EVENT_GID,	16,	QUARK_EV_SETGID },
	{ PROC_EVENT_SID,	8,	QUARK_EV_SETSID },
	{ PROC_EVENT_PTRACE,	16,	-1 },
	{ PROC_EVENT_COMM,	24,	QUARK_EV_COMM },
	{ PROC_EVENT_COREDUMP,	8,	-1 },	/* the exit status says it */
	/* parent_pid/parent_tgid came later: optional. */
	{ PROC_EVENT_EXIT,	16,	QUARK_EV_EXIT },
};

static const struct nl_kind *
nl_kind(uint32_t what)
{
	size_t	i;

	for (i = 0; i < nitems(nl_kinds); i++)
		if (nl_kinds[i].what == what)
			return (&nl_kinds[i]);
	return (NULL);
}

/* event_data fields as the kernel lays them out: 32-bit words. */
static uint32_t
word(const unsigned char *d, size_t len, size_t i)
{
	uint32_t	v = 0;

	if ((i + 1) * 4 <= len)
		memcpy(&v, d + i * 4, 4);
	return (v);
}

static void
nl_fill(struct nl_event *ev, const unsigned char *d, size_t len)
{
	switch (ev->what) {
	case PROC_EVENT_NONE:
		ev->err = word(d, len, 0);
		break;
	case PROC_EVENT_FORK:
		ev->parent_pid = (pid_t)word(d, len, 0);
		ev->parent_tgid = (pid_t)word(d, len, 1);
		ev->pid = (pid_t)word(d, len, 2);
		ev->tgid = (pid_t)word(d, len, 3);
		break;
	case PROC_EVENT_UID:
	case PROC_EVENT_GID:
		ev->real = word(d, len, 2);
		ev->eff = word(d, len, 3);
		/* FALLTHROUGH */
	default:
		ev->pid = (pid_t)word(d, len, 0);
		ev->tgid = (pid_t)word(d, len, 1);
		break;
	}
	switch (ev->what) {
	case PROC_EVENT_COMM:
		memcpy(ev->comm, d + 8, QUARK_COMM_LEN - 1);
		ev->comm[QUARK_COMM_LEN - 1] = '\0';
		break;
	case PROC_EVENT_COREDUMP:
		ev->parent_pid = (pid_t)word(d, len, 2);
		ev->parent_tgid = (pid_t)word(d, len, 3);
		break;
	case PROC_EVENT_EXIT:
		ev->status = word(d, len, 2);
		ev->exit_signal = word(d, len, 3);
		ev->parent_pid = (pid_t)word(d, len, 4);
		ev->parent_tgid = (pid_t)word(d, len, 5);
		break;
	}
}

int
nl_decode(const void *buf, size_t len, size_t *used, struct nl_event *ev)
{
	const unsigned char	*p = buf, *d;
	const struct nl_kind	*k;
	struct nlmsghdr		 nh;
	struct cn_msg		 cn;
	size_t			 left, hdr, dlen;
	uint64_t		 ts;

	*used = len;
	memset(ev, 0, sizeof(*ev));
	if (len < NLMSG_HDRLEN)
		return (NL_BAD);
	memcpy(&nh, p, sizeof(nh));
	if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > len)
		return (NL_BAD);
	if (NLMSG_ALIGN(nh.nlmsg_len) < len)
		*used = NLMSG_ALIGN(nh.nlmsg_len);
	/* The connector sends its messages as NLMSG_DONE. */
	if (nh.nlmsg_type != NLMSG_DONE)
		return (nh.nlmsg_type == NLMSG_NOOP ? NL_SKIP : NL_BAD);
	left = nh.nlmsg_len - NLMSG_HDRLEN;
	if (left < sizeof(cn))
		return (NL_BAD);
	memcpy(&cn, p + NLMSG_HDRLEN, sizeof(cn));
	if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC)
		return (NL_SKIP);
	if (cn.len > left - sizeof(cn))
		return (NL_BAD);
	d = p + NLMSG_HDRLEN + sizeof(cn);
	hdr = offsetof(struct proc_event, event_data);
	if (cn.len < hdr)
		return (NL_BAD);
	memcpy(&ev->what, d, 4);
	memcpy(&ev->cpu, d + 4, 4);
	memcpy(&ts, d + offsetof(struct proc_event, timestamp_ns), 8);
	ev->ts = ts;
	ev->ack = cn.ack;
	if ((k = nl_kind(ev->what)) == NULL)
		return (NL_SKIP);	/* a kind newer than us */
	dlen = cn.len - hdr;
	if (dlen < k->need)
		return (NL_BAD);
	nl_fill(ev, d + hdr, dlen);
	if (ev->what != PROC_EVENT_NONE && (ev->pid <= 0 || ev->tgid <= 0))
		return (NL_BAD);
	return (NL_EVENT);
}

void
nl_exit_status(uint32_t status, struct quark_process *p)
{
	uint32_t	sig = status & 0x7f;

	if (sig == 0) {
		p->exit_code = (int32_t)((status >> 8) & 0xff);
		p->exit_signal = 0;
		p->core_dumped = 0;
	} else {
		/* 0x7f would be "stopped": never an exit, read as a signal. */
		p->exit_code = -1;
		p->exit_signal = (int32_t)sig;
		p->core_dumped = (status & 0x80) != 0;
	}
	p->known |= QP_EXIT;
}

struct raw_event *
nl_to_raw(const struct nl_event *ev, uint64_t mono_to_boot)
{
	const struct nl_kind	*k;
	struct raw_event	*raw;

	errno = 0;
	if ((k = nl_kind(ev->what)) == NULL || k->type == -1)
		return (NULL);
	if ((raw = raw_event_alloc((uint32_t)k->type)) == NULL)
		return (NULL);
	raw->time = ev->ts + mono_to_boot;
	raw->cpu = ev->cpu;
	raw->pid = raw->task.pid = ev->tgid;
	raw->tid = ev->pid;
	if (ev->pid != ev->tgid)
		raw->flags |= RAW_F_THREAD;
	switch (raw->type) {
	case QUARK_EV_FORK:
		raw->fork.parent_pid = ev->parent_tgid;
		raw->fork.parent_tid = ev->parent_pid;
		raw->task.ppid = ev->parent_tgid;
		raw->task.known |= QP_PPID;
		break;
	case QUARK_EV_SETUID:
		/* Creds are per thread: a non-leader's are its own. */
		raw->task.uid = ev->real;
		raw->task.euid = ev->eff;
		break;
	case QUARK_EV_SETGID:
		raw->task.gid = ev->real;
		raw->task.egid = ev->eff;
		break;
	case QUARK_EV_SETSID:
		/* setsid() makes the caller leader of a new session and group. */
		raw->task.sid = raw->task.pgid = ev->tgid;
		raw->task.known |= QP_PGID_SID;
		raw->flags &= ~RAW_F_THREAD;	/* the session is the group's */
		break;
	case QUARK_EV_COMM:
		/* A non-leader renaming itself renames the thread only. */
		memcpy(raw->comm.comm, ev->comm, sizeof(raw->comm.comm));
		memcpy(raw->task.comm, ev->comm, sizeof(raw->task.comm));
		raw->task.known |= QP_COMM;
		break;
	case QUARK_EV_EXIT:
		nl_exit_status(ev->status, &raw->task);
		raw->task.exit_ns = raw->time;
		if (ev->pid == ev->tgid)
			raw->flags |= RAW_F_GROUP_DEAD;
		if (ev->parent_tgid > 0) {
			raw->task.ppid = ev->parent_tgid;
			raw->task.known |= QP_PPID;
		}
		break;
	}
	return (raw);
}

static ssize_t
pending_find(const struct nl_pending *np, pid_t tgid)
{
	size_t	i;

	for (i = 0; i < np->n; i++)
		if (np->tgid[i] == tgid)
			return ((ssize_t)i);
	return (-1);
}

static void
pending_del(struct nl_pending *np, size_t i)
{
	memmove(&np->tgid[i], &np->tgid[i + 1],
	    (np->n - i - 1) * sizeof(np->tgid[0]));
	np->n--;
}

static void
pending_add(struct nl_pending *np, pid_t tgid)
{
	if (pending_find(np, tgid) != -1)
		return;
	if (np->n == NL_PENDING_MAX)
		pending_del(np, 0);
	np->tgid[np->n++] = tgid;
}

/*
 * A thread's exit is released (no longer counted in /proc's Threads)
 * before its message is sent, the zombie leader is counted until reaped:
 * so the exit that leaves at most 1 is the group's last.
 */
unsigned
nl_exit_classify(struct nl_pending *np, pid_t pid, pid_t tgid, int nthreads)
{
	ssize_t	i = pending_find(np, tgid);

	if (pid != tgid && i == -1)
		return (NLX_THREAD);
	if (nthreads < 0)
		return (NLX_ASK);
	if (nthreads <= 1) {
		if (i != -1)
			pending_del(np, (size_t)i);
		return (pid == tgid ? NLX_GROUP : NLX_THREAD | NLX_GROUP);
	}
	if (pid == tgid)
		pending_add(np, tgid);
	return (NLX_THREAD);
}

/* --- the live backend ------------------------------------------------ */

#define NL_BUF		8192	/* one datagram: a message is ~80 bytes */
#define NL_ACK_MS	1000	/* how long open waits for LISTEN's ack */

struct nl_state {
	int			fd;
	int			qs;		/* QS_* for /proc reads */
	int			listening;
	uint32_t		seq;
	uint64_t		mono_to_boot;
	uint64_t		lost;		/* socket overflows */
	uint64_t		bad;		/* skipped messages */
	struct nl_pending	pending;
	char			buf[NL_BUF] __attribute__((aligned(8)));
};

/* BOOTTIME - MONOTONIC, the boot read between two monotonic reads. */
static uint64_t
mono_to_boot(void)
{
	struct timespec	m0, b, m1;
	uint64_t	mono;

	clock_gettime(CLOCK_MONOTONIC, &m0);
	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_MONOTONIC, &m1);
	mono = ((uint64_t)m0.tv_sec * NS_PER_SEC + (uint64_t)m0.tv_nsec) / 2 +
	    ((uint64_t)m1.tv_sec * NS_PER_SEC + (uint64_t)m1.tv_nsec) / 2;
	return ((uint64_t)b.tv_sec * NS_PER_SEC + (uint64_t)b.tv_nsec - mono);
}

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
	ns->mono_to_boot = mono_to_boot();
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
 * A small file of /proc/PID (or of its thread TID) into buf,
 * NUL-terminated; its length or -1.
 */
static ssize_t
proc_file(pid_t pid, pid_t tid, const char *name, char *buf, size_t size)
{
	char	path[64];
	ssize_t	r;
	int	fd;

	if (tid == 0 || tid == pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	else
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)pid,
		    (int)tid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	r = read(fd, buf, size - 1);
	close(fd);
	if (r >= 0)
		buf[r] = '\0';
	return (r);
}

/*
 * The child's start time, as /proc seeding would read it, and its comm:
 * inheriting the parent's would take a name the parent may only have
 * later (its exec aggregated into an earlier record).  A child that
 * already exec'd or renamed itself shows its new name, and that event
 * follows in the same record.
 */
static void
enrich_fork(struct raw_event *raw)
{
	struct quark_process	p;
	char			buf[1024];
	ssize_t			r;

	if ((r = proc_file(raw->pid, 0, "stat", buf, sizeof(buf))) <= 0)
		return;
	memset(&p, 0, sizeof(p));
	if (procfs_parse_stat(buf, (size_t)r, &p) == -1 || p.pid != raw->pid)
		return;
	raw->task.start_ns = p.start_ns;
	raw->task.known |= QP_START;
	if (p.known & QP_COMM) {
		memcpy(raw->task.comm, p.comm, sizeof(raw->task.comm));
		raw->task.known |= QP_COMM;
	}
}

/* Everything /proc says about the new image; unknown if it is gone. */
static void
enrich_exec(struct nl_state *ns, struct raw_event *raw)
{
	struct quark_process	*p;

	if ((p = quark_process_read(raw->pid, ns->qs)) == NULL)
		return;
	quark_process_clear(&raw->task);
	raw->task = *p;
	free(p);
	raw->task.pid = raw->pid;
	/* Not the exec's: the scheduler state of the moment (maybe "Z"). */
	raw->task.known &= ~(QP_TID | QP_EXIT | QP_STATE);
}

/* The whole id set, if /proc still agrees with the event; -1 if not. */
static int
enrich_ids(struct raw_event *raw)
{
	struct quark_process	p;
	char			buf[4096];
	ssize_t			r;
	int			same;

	if ((r = proc_file(raw->pid, raw->tid, "status", buf, sizeof(buf))) <= 0)
		return (-1);
	memset(&p, 0, sizeof(p));
	(void)procfs_parse_status(buf, (size_t)r, &p);
	if ((p.known & (QP_CREDS | QP_FSCREDS)) != (QP_CREDS | QP_FSCREDS) ||
	    p.pid != raw->pid)
		return (-1);
	if (raw->type == QUARK_EV_SETUID)
		same = p.uid == raw->task.uid && p.euid == raw->task.euid;
	else
		same = p.gid == raw->task.gid && p.egid == raw->task.egid;
	if (!same)
		return (-1);
	raw->task.uid = p.uid;
	raw->task.euid = p.euid;
	raw->task.suid = p.suid;
	raw->task.fsuid = p.fsuid;
	raw->task.gid = p.gid;
	raw->task.egid = p.egid;
	raw->task.sgid = p.sgid;
	raw->task.fsgid = p.fsgid;
	raw->task.known |= QP_CREDS | QP_FSCREDS;
	return (0);
}

/* Threads of tgid not yet reaped (0: gone); from /proc/PID/status. */
static int
group_threads(pid_t tgid)
{
	struct quark_process	p;
	char			buf[4096];
	ssize_t			r;

	if ((r = proc_file(tgid, 0, "status", buf, sizeof(buf))) <= 0)
		return (0);
	memset(&p, 0, sizeof(p));
	(void)procfs_parse_status(buf, (size_t)r, &p);
	if ((p.known & QP_NTHREADS) == 0 || p.pid != tgid)
		return (0);
	return (p.nthreads > INT_MAX ? INT_MAX : (int)p.nthreads);
}

/* An exit: a thread's, the group's, or both (see nl_exit_classify()). */
static int
submit_exit(struct quark_queue *qq, struct nl_state *ns,
    struct raw_event *raw)
{
	struct raw_event	*group;
	unsigned		 x;

	x = nl_exit_classify(&ns->pending, raw->tid, raw->pid, -1);
	if (x & NLX_ASK)
		x = nl_exit_classify(&ns->pending, raw->tid, raw->pid,
		    group_threads(raw->pid));
	if (x == NLX_GROUP) {
		raw->flags = RAW_F_GROUP_DEAD;
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
		if ((raw->flags & RAW_F_THREAD) == 0)
			enrich_fork(raw);
		break;
	case QUARK_EV_EXEC:
		enrich_exec(ns, raw);
		break;
	case QUARK_EV_SETUID:
	case QUARK_EV_SETGID:
		if (enrich_ids(raw) == -1) {
			ns->bad++;
			raw_event_free(raw);
			return (0);
		}
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

	ns->mono_to_boot = mono_to_boot();
	while (budget == 0 || n < budget) {
		if ((r = nl_recv(ns)) == 0)
			break;
		if (r == -1) {
			if (errno == ENOBUFS) {
				n += nl_overflow(qq, ns);
				continue;
			}
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
