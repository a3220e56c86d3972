/*
 * netlink_decode.c - the proc connector's messages, decoded (netlink.h):
 * message bytes -> struct nl_event -> raw event, and the thread-group
 * exit bookkeeping.  Pure functions over buffers: nothing here touches a
 * socket or /proc (the live backend is netlink.c), so tests/t_netlink.c
 * drives all of it with crafted messages.
 *
 * Nothing in a message is trusted: lengths are checked against the
 * datagram before any field is read, and a kind newer than us is skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
		ev->parent_signal = word(d, len, 3);
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
		/*
		 * Creds are per thread: a non-leader's are its own.  The
		 * kernel says the real and effective ids (RAW_F_IDS); the
		 * saved and fs ids are /proc's (enrich_ids()) or unknown.
		 */
		raw->task.uid = ev->real;
		raw->task.euid = ev->eff;
		raw->flags |= RAW_F_IDS;
		break;
	case QUARK_EV_SETGID:
		raw->task.gid = ev->real;
		raw->task.egid = ev->eff;
		raw->flags |= RAW_F_IDS;
		break;
	case QUARK_EV_SETSID:
		/*
		 * setsid() makes the caller leader of a new session and group,
		 * without a controlling terminal (proc_clear_tty()).
		 */
		raw->task.sid = raw->task.pgid = ev->tgid;
		raw->task.tty_major = raw->task.tty_minor = 0;
		raw->task.known |= QP_PGID_SID | QP_TTY;
		raw->flags &= ~RAW_F_THREAD;	/* the session is the group's */
		break;
	case QUARK_EV_COMM:
		/* A non-leader renaming itself renames the thread only. */
		memcpy(raw->comm.comm, ev->comm, sizeof(raw->comm.comm));
		memcpy(raw->task.comm, ev->comm, sizeof(raw->task.comm));
		raw->task.known |= QP_COMM;
		break;
	case QUARK_EV_EXIT:
		process_wait_status(ev->status, &raw->task);
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

void
nl_group_outlived(struct nl_pending *np, pid_t tgid)
{
	pending_add(np, tgid);
}

/*
 * A thread's exit is released (no longer counted in /proc's Threads)
 * before its message is sent, the zombie leader is counted until reaped:
 * so the exit that leaves at most 1 is the group's last.  Unless the one
 * left is the leader's pid running on: a non-leader thread exec'd, and
 * the kernel ended the old leader (de_thread()) whose pid it took.
 */
unsigned
nl_exit_classify(struct nl_pending *np, pid_t pid, pid_t tgid, int nthreads,
    int live)
{
	ssize_t	i = pending_find(np, tgid);

	if (pid != tgid && i == -1)
		return (NLX_THREAD);
	if (nthreads < 0)
		return (NLX_ASK);
	if (nthreads == 1 && pid == tgid && live)
		return (NLX_THREAD);
	if (nthreads <= 1) {
		if (i != -1)
			pending_del(np, (size_t)i);
		return (pid == tgid ? NLX_GROUP : NLX_THREAD | NLX_GROUP);
	}
	if (pid == tgid)
		pending_add(np, tgid);
	return (NLX_THREAD);
}
