/*
 * t_noop.c - a set*id call that changed none of its process's ids is no
 * change: not listed in the record, counted in stats.cred_noops, and a
 * record made of nothing else is not emitted.  Where the ids before it
 * are unknown, or belong to another process on the same pid, the call is
 * listed.
 */
#include "engine_test.h"

#define IDS	(QP_CREDS | QP_FSCREDS)
#define CREDS(u, g) \
	.uid = (u), .euid = (u), .suid = (u), .fsuid = (u), \
	.gid = (g), .egid = (g), .sgid = (g), .fsgid = (g)
/* A fork whose child's ids the kernel told. */
#define F(t, p, u) { RAW(QUARK_EV_FORK, t, p), .fork.parent_pid = 1, \
	.task = { .known = IDS | QP_START, .start_ns = 1, CREDS(u, u) } }
#define U(t, p, u) { RAW(QUARK_EV_SETUID, t, p), .flags = RAW_F_CRED_CALL, \
	.task = { .known = IDS | QP_START, .start_ns = 1, CREDS(u, 0) } }
#define G(t, p, g) { RAW(QUARK_EV_SETGID, t, p), .flags = RAW_F_CRED_CALL, \
	.task = { .known = IDS | QP_START, .start_ns = 1, CREDS(0, g) } }

struct noop_case {
	const char		*name;
	struct raw_event	 raws[6];
	size_t			 n;
	uint32_t		 flags;
	const char		*want;
	uint64_t		 noops;
};

static const struct noop_case cases[] = {
	{ "setuid to the same ids", { F(10, 100, 0), U(11, 100, 0),
	    R_EXEC(12, 100, "/bin/x"), R_EXIT(13, 100, 0) }, 4, 0,
	  "100:fork+exec+exit", 1 },
	{ "setgid to the same ids", { F(10, 100, 0), G(11, 100, 0),
	    R_EXEC(12, 100, "/bin/x"), R_EXIT(13, 100, 0) }, 4, 0,
	  "100:fork+exec+exit", 1 },
	{ "setuid that changes the ids", { F(10, 100, 0), U(11, 100, 65534),
	    R_EXEC(12, 100, "/bin/x"), R_EXIT(13, 100, 0) }, 4, 0,
	  "100:fork+setuid+exec+exit", 0 },
	{ "a second setuid back is a change too", { F(10, 100, 0),
	    U(11, 100, 65534), U(12, 100, 65534), U(13, 100, 0),
	    R_EXIT(14, 100, 0) }, 5, 0,
	  "100:fork+setuid+setuid+exit", 1 },
	{ "ids before unknown: listed", { R_FORK(10, 100, 1), U(11, 100, 0),
	    R_EXIT(12, 100, 0) }, 3, 0,
	  "100:fork+setuid+exit", 0 },
	{ "a record of only a no-op is not emitted", { F(10, 100, 0),
	    U(11, 100, 0), R_EXIT(12, 100, 0) }, 3, QQ_NO_AGGREGATE,
	  "100:fork 100:exit", 1 },
	{ "a backend that reports only changes: listed", { F(10, 100, 0),
	    { RAW(QUARK_EV_SETUID, 11, 100), .task = { .known = IDS |
	    QP_START, .start_ns = 1, CREDS(0, 0) } }, R_EXIT(12, 100, 0) },
	  3, 0, "100:fork+setuid+exit", 0 },
	{ "another process on the pid: listed", { F(10, 100, 0),
	    { RAW(QUARK_EV_SETUID, 11, 100), .flags = RAW_F_CRED_CALL,
	    .task = { .known = IDS |
	    QP_START, .start_ns = 2 * NS_PER_SEC, CREDS(0, 0) } } }, 2,
	  QQ_NO_AGGREGATE, "100:fork 100:setuid", 0 },
};

static void
run_case(const struct noop_case *c)
{
	struct quark_queue	*qq;
	struct quark_stats	 st;
	char			 buf[512] = "";

	T_CASE(c->name);
	if ((qq = t_open(c->raws, c->n, c->flags, NULL)) == NULL) {
		T_CHECK(qq != NULL);
		return;
	}
	queue_set_poll_budget(qq, 1000);
	t_drain_ready(qq, buf, sizeof(buf));
	quark_queue_stop(qq);
	t_drain_ready(qq, buf, sizeof(buf));
	T_EQ_STR(buf, c->want);
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.cred_noops, c->noops);
	quark_queue_close(qq);
}

int
main(void)
{
	size_t	i;

	for (i = 0; i < nitems(cases); i++)
		run_case(&cases[i]);
	return (t_done());
}
