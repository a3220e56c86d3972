/*
 * t_netlink.c - the proc connector backend's pure parts: decoding
 * netlink/cn_msg/proc_event buffers (good, short, malformed), message ->
 * raw event, wait status decoding, thread-group exit bookkeeping.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include "netlink.h"
#include "test.h"

#define OFF	1000000000ULL	/* BOOTTIME - MONOTONIC in these tests */
#define HDR	(NLMSG_HDRLEN + sizeof(struct cn_msg))
#define PE_HDR	16		/* what, cpu, timestamp_ns */

/*
 * One message as the kernel builds it: nlmsghdr (NLMSG_DONE), cn_msg
 * (CN_IDX_PROC), proc_event with `dlen` bytes of event_data from `data`.
 * Returns the message length.
 */
static size_t
build(unsigned char *buf, uint32_t what, uint32_t cpu, uint64_t ts,
    const void *data, size_t dlen)
{
	struct nlmsghdr	nh;
	struct cn_msg	cn;
	size_t		len = HDR + PE_HDR + dlen;

	memset(buf, 0, NLMSG_ALIGN(len));
	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_len = (uint32_t)len;
	nh.nlmsg_type = NLMSG_DONE;
	memset(&cn, 0, sizeof(cn));
	cn.id.idx = CN_IDX_PROC;
	cn.id.val = CN_VAL_PROC;
	cn.seq = 7;
	cn.ack = 0;
	cn.len = (uint16_t)(PE_HDR + dlen);
	memcpy(buf, &nh, sizeof(nh));
	memcpy(buf + NLMSG_HDRLEN, &cn, sizeof(cn));
	memcpy(buf + HDR, &what, 4);
	memcpy(buf + HDR + 4, &cpu, 4);
	memcpy(buf + HDR + 8, &ts, 8);
	memcpy(buf + HDR + PE_HDR, data, dlen);
	return (len);
}

/* Decodes buf[0..len) from a copy of exactly len bytes (ASan sees overreads). */
static int
decode_exact(const unsigned char *buf, size_t len, struct nl_event *ev,
    size_t *used)
{
	unsigned char	*copy;
	int		 r;

	if ((copy = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(copy, buf, len);
	r = nl_decode(copy, len, used, ev);
	free(copy);
	return (r);
}

struct words {
	uint32_t	w[6];
	char		comm[16];
};

static const struct good_case {
	const char	*name;
	uint32_t	 what;
	uint32_t	 w[6];
	size_t		 dlen;
	const char	*comm;
	int		 type;		/* raw type, -1: none */
	uint32_t	 flags;
	pid_t		 pid, tid;
	uint64_t	 known;		/* bits that must be set */
	uint64_t	 unknown;	/* bits that must be clear */
	int32_t		 code, sig;
	int		 core;
	pid_t		 ppid;
} good[] = {
	{ "fork", PROC_EVENT_FORK, { 100, 100, 200, 200 }, 16, NULL,
	  QUARK_EV_FORK, 0, 200, 200, QP_PPID, QP_START, 0, 0, 0, 100 },
	{ "fork by a thread", PROC_EVENT_FORK, { 101, 100, 200, 200 }, 16,
	  NULL, QUARK_EV_FORK, 0, 200, 200, QP_PPID, 0, 0, 0, 0, 100 },
	{ "thread creation", PROC_EVENT_FORK, { 100, 100, 201, 200 }, 16,
	  NULL, QUARK_EV_FORK, RAW_F_THREAD, 200, 201, 0, 0, 0, 0, 0, 0 },
	{ "exec", PROC_EVENT_EXEC, { 300, 300 }, 8, NULL,
	  QUARK_EV_EXEC, 0, 300, 300, 0, QP_EXE | QP_ARGS, 0, 0, 0, 0 },
	{ "setuid", PROC_EVENT_UID, { 300, 300, 1000, 0 }, 16, NULL,
	  QUARK_EV_SETUID, RAW_F_IDS, 300, 300, 0, QP_CREDS, 0, 0, 0, 0 },
	{ "setgid by a thread", PROC_EVENT_GID, { 301, 300, 50, 60 }, 16,
	  NULL, QUARK_EV_SETGID, RAW_F_THREAD | RAW_F_IDS, 300, 301, 0,
	  QP_CREDS,
	  0, 0, 0, 0 },
	{ "setsid by a thread", PROC_EVENT_SID, { 302, 300 }, 8, NULL,
	  QUARK_EV_SETSID, 0, 300, 302, QP_PGID_SID | QP_TTY, 0, 0, 0, 0, 0 },
	{ "comm", PROC_EVENT_COMM, { 300, 300 }, 24, "newname",
	  QUARK_EV_COMM, 0, 300, 300, QP_COMM, 0, 0, 0, 0, 0 },
	{ "comm of a thread", PROC_EVENT_COMM, { 303, 300 }, 24, "worker",
	  QUARK_EV_COMM, RAW_F_THREAD, 300, 303, QP_COMM, 0, 0, 0, 0, 0 },
	{ "coredump", PROC_EVENT_COREDUMP, { 300, 300, 1, 1 }, 16, NULL,
	  -1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "ptrace", PROC_EVENT_PTRACE, { 300, 300, 1, 1 }, 16, NULL,
	  -1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "exit 0", PROC_EVENT_EXIT, { 400, 400, 0, 17, 1, 1 }, 24, NULL,
	  QUARK_EV_EXIT, RAW_F_GROUP_DEAD, 400, 400, QP_EXIT | QP_PPID, 0,
	  0, 0, 0, 1 },
	{ "exit 3", PROC_EVENT_EXIT, { 400, 400, 3 << 8, 17, 9, 9 }, 24,
	  NULL, QUARK_EV_EXIT, RAW_F_GROUP_DEAD, 400, 400, QP_EXIT, 0,
	  3, 0, 0, 9 },
	{ "exit 255", PROC_EVENT_EXIT, { 400, 400, 255 << 8, 17, 9, 9 }, 24,
	  NULL, QUARK_EV_EXIT, RAW_F_GROUP_DEAD, 400, 400, QP_EXIT, 0,
	  255, 0, 0, 9 },
	{ "SIGKILL", PROC_EVENT_EXIT, { 400, 400, 9, 17, 9, 9 }, 24, NULL,
	  QUARK_EV_EXIT, RAW_F_GROUP_DEAD, 400, 400, QP_EXIT, 0,
	  -1, 9, 0, 9 },
	{ "SIGSEGV, core", PROC_EVENT_EXIT, { 400, 400, 0x80 | 11, 17, 9, 9 },
	  24, NULL, QUARK_EV_EXIT, RAW_F_GROUP_DEAD, 400, 400, QP_EXIT, 0,
	  -1, 11, 1, 9 },
	{ "thread exit", PROC_EVENT_EXIT, { 401, 400, 0, (uint32_t)-1, 9, 9 },
	  24, NULL, QUARK_EV_EXIT, RAW_F_THREAD, 400, 401, QP_EXIT, 0,
	  0, 0, 0, 9 },
	/* Before parent_pid/parent_tgid: the parent stays unknown. */
	{ "exit, old kernel", PROC_EVENT_EXIT, { 400, 400, 2 << 8, 17 }, 16,
	  NULL, QUARK_EV_EXIT, RAW_F_GROUP_DEAD, 400, 400, QP_EXIT, QP_PPID,
	  2, 0, 0, 0 },
};

static void
check_raw(const struct good_case *c, const struct raw_event *raw,
    uint64_t ts)
{
	T_EQ_INT(raw->type, c->type);
	T_EQ_INT(raw->flags, c->flags);
	T_EQ_INT(raw->pid, c->pid);
	T_EQ_INT(raw->task.pid, c->pid);
	T_EQ_INT(raw->tid, c->tid);
	T_EQ_INT(raw->cpu, 1);
	T_EQ_INT(raw->time, ts + OFF);
	T_EQ_INT(raw->task.known & c->known, c->known);
	T_EQ_INT(raw->task.known & c->unknown, 0);
	if (c->known & QP_PPID)
		T_EQ_INT(raw->task.ppid, c->ppid);
	switch (c->type) {
	case QUARK_EV_FORK:
		T_EQ_INT(raw->fork.parent_pid, c->w[1]);
		T_EQ_INT(raw->fork.parent_tid, c->w[0]);
		break;
	case QUARK_EV_EXEC:
		T_EQ_INT(raw->exec.old_pid, 0);
		/* The proc connector never says what execve was given. */
		T_CHECK(raw->task.filename == NULL);
		T_CHECK(!(raw->task.known & QP_FILENAME));
		break;
	case QUARK_EV_SETUID:
		T_EQ_INT(raw->task.uid, c->w[2]);
		T_EQ_INT(raw->task.euid, c->w[3]);
		break;
	case QUARK_EV_SETGID:
		T_EQ_INT(raw->task.gid, c->w[2]);
		T_EQ_INT(raw->task.egid, c->w[3]);
		break;
	case QUARK_EV_SETSID:
		T_EQ_INT(raw->task.sid, c->pid);
		T_EQ_INT(raw->task.pgid, c->pid);
		/* A new session has no controlling terminal. */
		T_EQ_INT(raw->task.tty_major, 0);
		T_EQ_INT(raw->task.tty_minor, 0);
		break;
	case QUARK_EV_COMM:
		T_EQ_STR(raw->comm.comm, c->comm);
		T_EQ_STR(raw->task.comm, c->comm);
		break;
	case QUARK_EV_EXIT:
		T_EQ_INT(raw->task.exit_code, c->code);
		T_EQ_INT(raw->task.exit_signal, c->sig);
		T_EQ_INT(raw->task.core_dumped, c->core);
		T_EQ_INT(raw->task.exit_ns, ts + OFF);
		break;
	}
}

static void
test_good(void)
{
	unsigned char		 buf[256];
	struct words		 d;
	struct nl_event		 ev;
	struct raw_event	*raw;
	const struct good_case	*c;
	uint64_t		 ts = 5000000000ULL;
	size_t			 i, len, used;

	for (i = 0; i < nitems(good); i++) {
		c = &good[i];
		T_CASE(c->name);
		memset(&d, 0, sizeof(d));
		memcpy(d.w, c->w, sizeof(d.w));
		if (c->comm != NULL)
			strlcpy(d.comm, c->comm, sizeof(d.comm));
		if (c->what == PROC_EVENT_COMM)
			memcpy((char *)&d + 8, d.comm, 16);
		len = build(buf, c->what, 1, ts + i, &d, c->dlen);
		T_EQ_INT(decode_exact(buf, len, &ev, &used), NL_EVENT);
		T_EQ_INT(used, len);
		T_EQ_INT(ev.what, c->what);
		T_EQ_INT(ev.ts, ts + i);
		raw = nl_to_raw(&ev, OFF);
		if (c->type == -1) {
			T_CHECK(raw == NULL);
			T_EQ_INT(errno, 0);
			continue;
		}
		if (!T_CHECK(raw != NULL))
			continue;
		check_raw(c, raw, ts + i);
		raw_event_free(raw);
	}
}

/* The ack to LISTEN: PROC_EVENT_NONE with the error and our ack + 1. */
static void
test_ack(void)
{
	unsigned char	buf[128];
	struct nl_event	ev;
	uint32_t	err = EPERM;
	size_t		len, used;

	T_CASE("ack");
	len = build(buf, PROC_EVENT_NONE, 0, 0, &err, 4);
	buf[NLMSG_HDRLEN + offsetof(struct cn_msg, ack)] = 6;
	T_EQ_INT(decode_exact(buf, len, &ev, &used), NL_EVENT);
	T_EQ_INT(ev.what, PROC_EVENT_NONE);
	T_EQ_INT(ev.err, EPERM);
	T_EQ_INT(ev.ack, 6);
	T_CHECK(nl_to_raw(&ev, OFF) == NULL);
	T_EQ_INT(errno, 0);
}

/* Two messages in one datagram, the first not a multiple of 4 long. */
static void
test_two(void)
{
	unsigned char	buf[512];
	struct nl_event	ev;
	uint32_t	w[6] = { 10, 10, 3 << 8, 17, 0, 0 };
	size_t		len1, len2, used;

	T_CASE("two in one");
	/* An exit without its parent fields: 70 bytes, padded to 72. */
	len1 = build(buf, PROC_EVENT_EXIT, 0, 1, w, 18);
	T_EQ_INT(len1 % 4, 2);
	len2 = build(buf + NLMSG_ALIGN(len1), PROC_EVENT_EXEC, 0, 2, w, 8);
	T_EQ_INT(decode_exact(buf, NLMSG_ALIGN(len1) + len2, &ev, &used),
	    NL_EVENT);
	T_EQ_INT(ev.what, PROC_EVENT_EXIT);
	T_EQ_INT(ev.status, 3 << 8);
	T_EQ_INT(ev.parent_tgid, 0);
	T_EQ_INT(used, NLMSG_ALIGN(len1));
	T_EQ_INT(decode_exact(buf + used, len2, &ev, &used), NL_EVENT);
	T_EQ_INT(ev.what, PROC_EVENT_EXEC);
	T_EQ_INT(ev.pid, 10);
	T_EQ_INT(used, len2);
}

enum mutation {
	M_NONE, M_NLTYPE_NOOP, M_NLTYPE_ERROR, M_NLLEN_SHORT, M_NLLEN_LONG,
	M_CN_IDX, M_CN_LEN_LONG, M_CN_LEN_SHORT, M_WHAT_NEW, M_PID0,
};

static const struct bad_case {
	const char	*name;
	uint32_t	 what;
	size_t		 dlen;
	int		 mutation;
	int		 want;
} bad[] = {
	{ "noop", PROC_EVENT_EXEC, 8, M_NLTYPE_NOOP, NL_SKIP },
	{ "netlink error", PROC_EVENT_EXEC, 8, M_NLTYPE_ERROR, NL_BAD },
	{ "nlmsg_len under the header", PROC_EVENT_EXEC, 8, M_NLLEN_SHORT,
	  NL_BAD },
	{ "nlmsg_len past the datagram", PROC_EVENT_EXEC, 8, M_NLLEN_LONG,
	  NL_BAD },
	{ "another connector", PROC_EVENT_EXEC, 8, M_CN_IDX, NL_SKIP },
	{ "cn len past the message", PROC_EVENT_EXEC, 8, M_CN_LEN_LONG,
	  NL_BAD },
	{ "cn len under proc_event's header", PROC_EVENT_EXEC, 8,
	  M_CN_LEN_SHORT, NL_BAD },
	{ "a kind newer than us", PROC_EVENT_EXEC, 8, M_WHAT_NEW, NL_SKIP },
	{ "pid 0", PROC_EVENT_EXEC, 8, M_PID0, NL_BAD },
	{ "short fork", PROC_EVENT_FORK, 12, M_NONE, NL_BAD },
	{ "short exec", PROC_EVENT_EXEC, 4, M_NONE, NL_BAD },
	{ "short id", PROC_EVENT_UID, 12, M_NONE, NL_BAD },
	{ "short sid", PROC_EVENT_SID, 4, M_NONE, NL_BAD },
	{ "short comm", PROC_EVENT_COMM, 20, M_NONE, NL_BAD },
	{ "short exit", PROC_EVENT_EXIT, 12, M_NONE, NL_BAD },
	{ "short coredump", PROC_EVENT_COREDUMP, 4, M_NONE, NL_BAD },
	{ "empty ack", PROC_EVENT_NONE, 0, M_NONE, NL_BAD },
};

static size_t
mutate(unsigned char *buf, size_t len, int m)
{
	struct nlmsghdr	*nh = (struct nlmsghdr *)buf;
	struct cn_msg	*cn = (struct cn_msg *)(buf + NLMSG_HDRLEN);
	uint32_t	 v;

	switch (m) {
	case M_NLTYPE_NOOP:
		nh->nlmsg_type = NLMSG_NOOP;
		break;
	case M_NLTYPE_ERROR:
		nh->nlmsg_type = NLMSG_ERROR;
		break;
	case M_NLLEN_SHORT:
		nh->nlmsg_len = NLMSG_HDRLEN - 1;
		break;
	case M_NLLEN_LONG:
		nh->nlmsg_len = (uint32_t)len + 4;
		break;
	case M_CN_IDX:
		cn->id.idx = CN_IDX_PROC + 1;
		break;
	case M_CN_LEN_LONG:
		cn->len += 1;
		break;
	case M_CN_LEN_SHORT:
		cn->len = PE_HDR - 1;
		break;
	case M_WHAT_NEW:
		v = 0x400;
		memcpy(buf + HDR, &v, 4);
		break;
	case M_PID0:
		v = 0;
		memcpy(buf + HDR + PE_HDR, &v, 4);
		break;
	}
	return (len);
}

static void
test_bad(void)
{
	unsigned char		 buf[256];
	uint32_t		 w[8] = { 500, 500, 500, 500, 0, 0, 0, 0 };
	struct nl_event		 ev;
	const struct bad_case	*c;
	size_t			 i, len, used;

	for (i = 0; i < nitems(bad); i++) {
		c = &bad[i];
		T_CASE(c->name);
		len = build(buf, c->what, 0, 1, w, c->dlen);
		len = mutate(buf, len, c->mutation);
		T_EQ_INT(decode_exact(buf, len, &ev, &used), c->want);
		T_CHECK(used > 0 && used <= len);
	}
}

/* Every cut of a good message is refused, never read past. */
static void
test_cuts(void)
{
	unsigned char	buf[256];
	uint32_t	w[6] = { 9, 9, 9 << 8, 17, 1, 1 };
	struct nl_event	ev;
	size_t		len, cut, used;
	int		ok = 1;

	T_CASE("cuts");
	len = build(buf, PROC_EVENT_EXIT, 0, 1, w, 24);
	for (cut = 0; cut < len; cut++)
		if (decode_exact(buf, cut, &ev, &used) != NL_BAD ||
		    used != cut)
			ok = 0;
	T_CHECK(ok);
	T_EQ_INT(decode_exact(buf, len, &ev, &used), NL_EVENT);
}

/* Random bytes: any answer, but no crash and no read past the end. */
static void
test_noise(void)
{
	unsigned char	buf[128];
	struct nl_event	ev;
	size_t		i, j, len, used;
	int		r, ok = 1;

	T_CASE("noise");
	srandom(42);
	for (i = 0; i < 20000; i++) {
		len = (size_t)random() % sizeof(buf);
		for (j = 0; j < len; j++)
			buf[j] = (unsigned char)random();
		if (len >= 4 && (i & 1)) {
			/* Plausible header lengths reach deeper code. */
			buf[0] = (unsigned char)len;
			buf[1] = buf[2] = buf[3] = 0;
			buf[4] = NLMSG_DONE;
			buf[5] = 0;
		}
		r = decode_exact(buf, len, &ev, &used);
		if (r < NL_BAD || r > NL_EVENT || (used == 0 && len > 0) ||
		    used > len)
			ok = 0;
	}
	T_CHECK(ok);
}

static void
test_status(void)
{
	static const struct {
		uint32_t	status;
		int32_t		code, sig;
		int		core;
	} c[] = {
		{ 0, 0, 0, 0 },
		{ 1 << 8, 1, 0, 0 },
		{ 3 << 8, 3, 0, 0 },
		{ 255 << 8, 255, 0, 0 },
		{ 9, -1, 9, 0 },
		{ 15, -1, 15, 0 },
		{ 0x80 | 6, -1, 6, 1 },
		{ 0x80 | 11, -1, 11, 1 },
	};
	struct quark_process	p;
	size_t			i;

	T_CASE("wait status");
	for (i = 0; i < nitems(c); i++) {
		memset(&p, 0, sizeof(p));
		process_wait_status(c[i].status, &p);
		T_EQ_INT(p.exit_code, c[i].code);
		T_EQ_INT(p.exit_signal, c[i].sig);
		T_EQ_INT(p.core_dumped, c[i].core);
		T_CHECK(p.known & QP_EXIT);
	}
}

/* Sequences of exits: (pid, tgid, threads left per /proc) -> answer. */
static void
test_classify(void)
{
	static const struct {
		const char	*name;
		pid_t		 pid, tgid;
		int		 nthreads, live;
		unsigned	 want;
	} seq[] = {
		{ "single-threaded: must ask", 10, 10, -1, 0, NLX_ASK },
		{ "single-threaded: zombie", 10, 10, 1, 0, NLX_GROUP },
		{ "reaped already", 11, 11, 0, 0, NLX_GROUP },
		{ "thread of a live group", 21, 20, -1, 0, NLX_THREAD },
		{ "leader first", 30, 30, 3, 0, NLX_THREAD },
		{ "then a thread, one left", 31, 30, -1, 0, NLX_ASK },
		{ "then a thread, one left", 31, 30, 2, 0, NLX_THREAD },
		{ "the last thread", 32, 30, 1, 0, NLX_THREAD | NLX_GROUP },
		{ "a straggler after the group", 33, 30, -1, 0, NLX_THREAD },
		{ "leader first again", 40, 40, 2, 0, NLX_THREAD },
		{ "group reaped before we looked", 41, 40, 0, 0,
		  NLX_THREAD | NLX_GROUP },
		/* A thread exec'd: the leader's end, the process runs on. */
		{ "exec by a thread: must ask", 50, 50, -1, 0, NLX_ASK },
		{ "exec by a thread: runs on", 50, 50, 1, 1, NLX_THREAD },
		{ "then its own exit", 50, 50, 1, 0, NLX_GROUP },
		/* Live, but a thread of it left too: a zombie never is. */
		{ "leader first, still threads", 60, 60, 2, 1, NLX_THREAD },
		{ "the last thread, live", 61, 60, 1, 1,
		  NLX_THREAD | NLX_GROUP },
	};
	struct nl_pending	np;
	size_t			i;
	int			ok = 1;

	memset(&np, 0, sizeof(np));
	for (i = 0; i < nitems(seq); i++) {
		T_CASE(seq[i].name);
		T_EQ_INT(nl_exit_classify(&np, seq[i].pid, seq[i].tgid,
		    seq[i].nthreads, seq[i].live), seq[i].want);
	}
	T_CASE("nothing left pending");
	T_EQ_INT(np.n, 0);

	T_CASE("pending is bounded, the oldest forgotten");
	for (i = 0; i < NL_PENDING_MAX + 5; i++)
		(void)nl_exit_classify(&np, 1000 + (pid_t)i, 1000 + (pid_t)i,
		    2, 1);
	T_EQ_INT(np.n, NL_PENDING_MAX);
	for (i = 0; i < np.n; i++)
		if (np.tgid[i] < 1005)
			ok = 0;
	T_CHECK(ok);
	T_EQ_INT(nl_exit_classify(&np, 2000, 1000, -1, 0), NLX_THREAD);
	T_EQ_INT(nl_exit_classify(&np, 2000, 1005, 1, 0),
	    NLX_THREAD | NLX_GROUP);
	T_EQ_INT(np.n, NL_PENDING_MAX - 1);
}

int
main(void)
{
	test_good();
	test_ack();
	test_two();
	test_bad();
	test_cuts();
	test_noise();
	test_status();
	test_classify();
	return (t_done());
}
