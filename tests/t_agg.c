/*
 * t_agg.c - the aggregation rules, through the fake backend.
 */
#include "engine_test.h"

struct agg_case {
	const char		*name;
	struct raw_event	 raws[8];
	size_t			 n;
	uint32_t		 flags;
	const char		*want;
};

static const struct agg_case cases[] = {
	/* One case per rule of the table. */
	{ "fork+exec", { R_FORK(10, 100, 1), R_EXEC(20, 100, "/bin/a") },
	    2, 0, "100:fork+exec" },
	{ "fork+exit", { R_FORK(10, 100, 1), R_EXIT(20, 100, 0) },
	    2, 0, "100:fork+exit" },
	{ "exec+exit", { R_EXEC(10, 100, "/bin/a"), R_EXIT(20, 100, 0) },
	    2, 0, "100:exec+exit" },
	{ "fork+exec+exit", { R_FORK(10, 100, 1), R_EXEC(20, 100, "/bin/a"),
	    R_EXIT(30, 100, 0) }, 3, 0, "100:fork+exec+exit" },
	{ "changes join the record they follow", { R_FORK(10, 100, 1),
	    R_EXEC(20, 100, "/bin/a"), R_SETUID(30, 100, 5),
	    R_SETGID(40, 100, 6), R_SETSID(50, 100), R_COMM(60, 100, "x"),
	    R_EXIT(70, 100, 0) }, 7, 0,
	    "100:fork+exec+setuid+setgid+setsid+comm+exit" },
	{ "each change kept", { R_SETUID(10, 100, 1), R_SETUID(20, 100, 2),
	    R_COMM(30, 100, "a"), R_COMM(40, 100, "b") }, 4, 0,
	    "100:setuid+setuid+comm+comm" },
	{ "exec after a change (su)", { R_SETUID(10, 100, 0),
	    R_EXEC(20, 100, "/bin/sh") }, 2, 0, "100:setuid+exec" },
	{ "fork arrives after the exec", { R_EXEC(20, 100, "/bin/a"),
	    R_FORK(10, 100, 1) }, 2, 0, "100:fork+exec" },
	{ "exit arrives first", { R_EXIT(30, 100, 0), R_EXEC(20, 100, "/a"),
	    R_FORK(10, 100, 1) }, 3, 0, "100:fork+exec+exit" },
	{ "exec+exec", { R_EXEC(10, 100, "/bin/a"),
	    R_EXEC(20, 100, "/bin/b") }, 2, 0, "100:exec+exec</bin/a" },
	{ "fork+exec+exec+exit: a process that execs again is one record",
	    { R_FORK(10, 100, 1), R_EXEC(20, 100, "/bin/a"),
	    R_EXEC(30, 100, "/bin/b"), R_EXIT(40, 100, 0) }, 4, 0,
	    "100:fork+exec+exec+exit</bin/a" },
	{ "exec+change+exec", { R_EXEC(10, 100, "/bin/a"),
	    R_COMM(20, 100, "x"), R_EXEC(30, 100, "/bin/b") }, 3, 0,
	    "100:exec+comm+exec</bin/a" },
	{ "the first exec arrives after the second", { R_FORK(10, 100, 1),
	    R_EXEC(30, 100, "/bin/b"), R_EXEC(20, 100, "/bin/a"),
	    R_EXIT(40, 100, 0) }, 4, 0, "100:fork+exec+exec+exit</bin/a" },
	/* Forbidden merges. */
	{ "nothing after exit: change", { R_EXIT(10, 100, 0),
	    R_SETUID(20, 100, 0) }, 2, 0, "100:exit 100:setuid" },
	{ "nothing after exit: fork (pid reuse)", { R_FORK(10, 100, 1),
	    R_EXIT(20, 100, 0), R_FORK(30, 100, 1), R_EXIT(40, 100, 1) }, 4, 0,
	    "100:fork+exit 100:fork+exit" },
	{ "nothing after exit: exec", { R_EXIT(10, 100, 0),
	    R_EXEC(20, 100, "/bin/a") }, 2, 0, "100:exit 100:exec" },
	{ "exit + exit", { R_EXIT(10, 100, 0), R_EXIT(20, 100, 0) }, 2, 0,
	    "100:exit 100:exit" },
	{ "fork + fork", { R_FORK(10, 100, 1), R_FORK(20, 100, 1) }, 2, 0,
	    "100:fork 100:fork" },
	{ "fork after exec", { R_EXEC(10, 100, "/bin/a"),
	    R_FORK(20, 100, 1) }, 2, 0, "100:exec 100:fork" },
	{ "other pids never", { R_FORK(10, 100, 1), R_EXEC(20, 101, "/a"),
	    R_EXIT(30, 102, 0) }, 3, 0, "100:fork 101:exec 102:exit" },
	{ "another start time: another process", { R_FORK(10, 100, 1),
	    { RAW(QUARK_EV_EXEC, 20, 100), .task = { .known = QP_START,
	    .start_ns = NS_PER_SEC } },
	    { RAW(QUARK_EV_COMM, 30, 100), .comm.comm = "b",
	    .task = { .known = QP_START, .start_ns = 3 * NS_PER_SEC } } }, 3, 0,
	    "100:fork+exec 100:comm" },
	{ "QQ_NO_AGGREGATE", { R_FORK(10, 100, 1), R_EXEC(20, 100, "/bin/a"),
	    R_EXIT(30, 100, 0) }, 3, QQ_NO_AGGREGATE,
	    "100:fork 100:exec 100:exit" },
};

/*
 * The spec, written independently of agg.c: may kind b follow kind a in
 * one record?
 */
static const int spec[QUARK_EV_TYPE_COUNT][QUARK_EV_TYPE_COUNT] = {
	/*           fork exec exit uid gid sid comm */
	/* fork */ { 0,   1,   1,   1,  1,  1,  1 },
	/* exec */ { 0,   1,   1,   1,  1,  1,  1 },
	/* exit */ { 0,   0,   0,   0,  0,  0,  0 },
	/* uid  */ { 0,   1,   1,   1,  1,  1,  1 },
	/* gid  */ { 0,   1,   1,   1,  1,  1,  1 },
	/* sid  */ { 0,   1,   1,   1,  1,  1,  1 },
	/* comm */ { 0,   1,   1,   1,  1,  1,  1 },
};

static struct raw_event
one(uint32_t type, uint64_t t)
{
	struct raw_event	r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.time = t;
	r.pid = r.tid = 100;
	if (type == QUARK_EV_FORK)
		r.fork.parent_pid = 1;
	if (type == QUARK_EV_EXIT)
		r.flags = RAW_F_GROUP_DEAD;
	return (r);
}

/* Every pair of kinds, through the queue, against the spec. */
static void
test_pairs(void)
{
	struct raw_event	 raws[2];
	char			 want[128];
	const char		*got;
	uint32_t		 a, b;

	for (a = 0; a < QUARK_EV_TYPE_COUNT; a++) {
		for (b = 0; b < QUARK_EV_TYPE_COUNT; b++) {
			T_CASE("pair");
			T_EQ_INT(quark_agg_default.merge[a][b] != NULL,
			    spec[a][b]);
			raws[0] = one(a, 10);
			raws[1] = one(b, 20);
			/* An exec that said nothing: its image unknown. */
			if (spec[a][b])
				snprintf(want, sizeof(want), "100:%s+%s%s",
				    t_kind(a), t_kind(b),
				    a == QUARK_EV_EXEC && b == QUARK_EV_EXEC ?
				    "<?" : "");
			else
				snprintf(want, sizeof(want), "100:%s 100:%s",
				    t_kind(a), t_kind(b));
			got = t_run(raws, 2, 0, NULL);
			if (strcmp(got, want) != 0)
				fprintf(stderr, "pair %s,%s:\n", t_kind(a),
				    t_kind(b));
			T_EQ_STR(got, want);
		}
	}
}

/* A replacement table: only fork+exec merge. */
static void
test_custom_rules(void)
{
	static struct quark_agg_rules	 rules;
	struct quark_queue_attr		 attr;
	const struct raw_event		 raws[] = { R_FORK(10, 100, 1),
	    R_EXEC(20, 100, "/bin/a"), R_EXIT(30, 100, 0) };

	T_CASE("custom rules");
	memset(&rules, 0, sizeof(rules));
	rules.name = "test";
	rules.merge[QUARK_EV_FORK][QUARK_EV_EXEC] = agg_append;
	quark_queue_default_attr(&attr);
	t_agg = &rules;
	T_EQ_STR(t_run(raws, nitems(raws), 0, &attr),
	    "100:fork+exec 100:exit");
	t_agg = NULL;
}

/* changes[]: values and time order; beyond QUARK_MAX_CHANGES, counted. */
static void
test_changes(void)
{
	struct raw_event		 raws[QUARK_MAX_CHANGES + 6];
	const struct quark_event	*ev;
	struct quark_queue		*qq;
	size_t				 i, n = 0;

	T_CASE("changes");
	raws[n++] = (struct raw_event)R_SETUID(30, 100, 7);
	raws[n++] = (struct raw_event)R_COMM(40, 100, "newname");
	raws[n++] = (struct raw_event)R_EXEC(20, 100, "/bin/a");
	for (i = 0; i < QUARK_MAX_CHANGES + 3; i++)
		raws[n++] = (struct raw_event)R_COMM(50 + i, 100, "c");
	qq = t_open(raws, n, 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	T_CHECK(quark_queue_next(qq) == NULL);
	quark_queue_stop(qq);
	ev = quark_queue_next(qq);
	T_CHECK(ev != NULL);
	if (ev != NULL) {
		T_EQ_INT(ev->nchanges, QUARK_MAX_CHANGES);
		T_EQ_INT(ev->nchanges_dropped, n - QUARK_MAX_CHANGES);
		T_EQ_INT(ev->changes[0].type, QUARK_EV_EXEC);
		T_EQ_INT(ev->time, 20);
		T_EQ_INT(ev->changes[1].type, QUARK_EV_SETUID);
		T_EQ_INT(ev->changes[1].uid, 7);
		T_EQ_INT(ev->changes[1].euid, 7);
		T_EQ_INT(ev->changes[1].time, 30);
		T_EQ_STR(ev->changes[2].comm, "newname");
		T_EQ_INT(ev->process->uid, 7);
		T_EQ_STR(ev->process->comm, "c");
	}
	quark_queue_close(qq);
}

/* One event: the whole script, stopped and drained. */
static const struct quark_event *
only_event(struct quark_queue **qq, const struct raw_event *raws, size_t n)
{
	const struct quark_event	*ev;

	if ((*qq = t_open(raws, n, 0, NULL)) == NULL)
		return (NULL);
	queue_set_poll_budget(*qq, 100000);
	T_CHECK(quark_queue_next(*qq) == NULL);
	quark_queue_stop(*qq);
	ev = quark_queue_next(*qq);
	T_CHECK(ev != NULL);
	return (ev);
}

static char	args_sh[] = "sh\0-c\0exec env true\0";
static char	args_env[] = "env\0true\0";
/* 100 execs "env true" at t; more members of the raw event after it. */
#define R_EXEC_ENV(t, ...) \
	{ RAW(QUARK_EV_EXEC, t, 100), .task = { .known = QP_EXE | QP_ARGS | \
	QP_COMM, .exe = "/usr/bin/env", .comm = "env", .args = args_env, \
	.args_len = sizeof(args_env) - 1, \
	.args_total = sizeof(args_env) - 1, .argc = 2 }, __VA_ARGS__ }

/*
 * fork, exec sh, exec env, exit: one record, the process as env made it,
 * and sh's image, as its exec reported it, in previous[0].
 */
static void
test_previous(void)
{
	const struct raw_event		 raws[] = {
	    R_FORK(10, 100, 1),
	    { RAW(QUARK_EV_EXEC, 20, 100), .task = { .known = QP_EXE |
	    QP_FILENAME | QP_ARGS | QP_COMM | QP_CWD, .exe = "/usr/bin/dash",
	    .filename = "/bin/sh", .comm = "sh", .cwd = "/tmp",
	    .truncated = QPT_EXE_DELETED | QPT_ARGS, .args = args_sh,
	    .args_len = sizeof(args_sh) - 1, .args_total = 5000,
	    .argc = 3 } },
	    R_EXEC_ENV(30),
	    R_EXIT(40, 100, 0),
	};
	const struct quark_event	*ev;
	const struct quark_exec		*x;
	struct quark_queue		*qq;

	T_CASE("fork+exec+exec+exit: one record, the first image in "
	    "previous[0] as its exec reported it");
	ev = only_event(&qq, raws, nitems(raws));
	if (ev != NULL) {
		T_EQ_INT(ev->nchanges, 4);
		T_EQ_INT(ev->changes[1].type, QUARK_EV_EXEC);
		T_EQ_INT(ev->changes[2].type, QUARK_EV_EXEC);
		T_EQ_STR(ev->process->exe, "/usr/bin/env");
		T_EQ_STR(ev->process->comm, "env");
		T_EQ_INT(ev->process->argc, 2);
		T_CHECK((ev->process->known & QP_FILENAME) == 0);
		T_CHECK((ev->process->truncated & QPT_EXE_DELETED) == 0);
		T_EQ_INT(ev->nprevious, 1);
		T_EQ_INT(ev->nprevious_dropped, 0);
	}
	if (ev != NULL && ev->nprevious == 1) {
		x = &ev->previous[0];
		T_EQ_INT(x->time, 20);
		T_EQ_INT(x->known, QP_EXE | QP_FILENAME | QP_ARGS | QP_COMM);
		T_EQ_STR(x->exe, "/usr/bin/dash");
		T_EQ_STR(x->filename, "/bin/sh");
		T_EQ_STR(x->comm, "sh");
		T_EQ_INT(x->args_len, sizeof(args_sh) - 1);
		T_CHECK(memcmp(x->args, args_sh, sizeof(args_sh) - 1) == 0);
		T_EQ_INT(x->argc, 3);
		T_EQ_INT(x->args_total, 5000);
		T_EQ_INT(x->truncated, QPT_EXE_DELETED | QPT_ARGS);
	}
	/* One record, nothing after it. */
	T_CHECK(qq != NULL && quark_queue_next(qq) == NULL);
	if (qq != NULL)
		quark_queue_close(qq);
}

/*
 * An image read from /proc after the fact (the proc connector's): read at
 * 35 ns, after the next exec (30 ns), it may be that exec's: the first
 * exec's image is unknown, not env's claimed for sh.  Read at 25 ns,
 * before the next exec, it is the first exec's.
 */
static void
test_previous_read_late(void)
{
	struct raw_event		 raws[] = {
	    R_FORK(10, 100, 1),
	    R_EXEC_ENV(20, .proc_read_ns = 35),
	    R_EXEC_ENV(30),
	    R_EXIT(40, 100, 0),
	};
	const struct quark_event	*ev;
	struct quark_queue		*qq;

	T_CASE("previous: an image read from /proc after the next exec is "
	    "unknown, not the later one");
	ev = only_event(&qq, raws, nitems(raws));
	if (ev != NULL && T_CHECK(ev->nprevious == 1)) {
		T_EQ_INT(ev->previous[0].time, 20);
		T_EQ_INT(ev->previous[0].known, 0);
		T_CHECK(ev->previous[0].exe == NULL);
		T_EQ_STR(ev->process->exe, "/usr/bin/env");
	}
	if (qq != NULL)
		quark_queue_close(qq);

	T_CASE("previous: an image read from /proc before the next exec is "
	    "that exec's");
	raws[1].proc_read_ns = 25;
	ev = only_event(&qq, raws, nitems(raws));
	if (ev != NULL && T_CHECK(ev->nprevious == 1))
		T_EQ_STR(ev->previous[0].exe, "/usr/bin/env");
	if (qq != NULL)
		quark_queue_close(qq);
}

/* Beyond QUARK_MAX_PREVIOUS earlier images: the first kept, the rest counted. */
static void
test_previous_cap(void)
{
	static const char *const exes[] = { "/0", "/1", "/2", "/3", "/4",
	    "/5", "/6", "/7", "/8", "/9" };
	struct raw_event		 raws[2 + QUARK_MAX_PREVIOUS + 3];
	const struct quark_event	*ev;
	struct quark_queue		*qq;
	size_t				 i, n = 0, nexec = QUARK_MAX_PREVIOUS + 3;

	T_CASE("previous: the first QUARK_MAX_PREVIOUS images, the later "
	    "ones counted");
	_Static_assert(QUARK_MAX_PREVIOUS + 3 <= nitems(exes), "exes");
	raws[n++] = (struct raw_event)R_FORK(10, 100, 1);
	for (i = 0; i < nexec; i++)
		raws[n++] = (struct raw_event){ RAW(QUARK_EV_EXEC, 20 + i, 100),
		    .task = { .known = QP_EXE, .exe = (char *)exes[i] } };
	raws[n++] = (struct raw_event)R_EXIT(40, 100, 0);
	ev = only_event(&qq, raws, n);
	if (ev != NULL) {
		T_EQ_INT(ev->nchanges, n);
		T_EQ_INT(ev->nprevious, QUARK_MAX_PREVIOUS);
		T_EQ_INT(ev->nprevious_dropped, nexec - 1 - QUARK_MAX_PREVIOUS);
		T_EQ_STR(ev->process->exe, exes[nexec - 1]);
		for (i = 0; i < ev->nprevious && i < QUARK_MAX_PREVIOUS; i++) {
			T_EQ_STR(ev->previous[i].exe, exes[i]);
			T_EQ_INT(ev->previous[i].time, 20 + i);
		}
	}
	if (qq != NULL)
		quark_queue_close(qq);
}

/* A record is capped at REC_MAX_RAWS raw events: the rest chain. */
static void
test_record_cap(void)
{
	static struct raw_event	 raws[REC_MAX_RAWS + 1];
	struct quark_stats	 st;
	struct quark_queue	*qq;
	size_t			 i;

	T_CASE("record cap");
	for (i = 0; i < nitems(raws); i++)
		raws[i] = (struct raw_event)R_COMM(10 + i, 100, "x");
	qq = t_open(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	T_CHECK(quark_queue_next(qq) == NULL);
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.length, 2);
	T_EQ_INT(st.aggregations, REC_MAX_RAWS - 1);
	T_EQ_INT(st.non_aggregations, 2);
	quark_queue_close(qq);
}

int
main(void)
{
	size_t	i;

	for (i = 0; i < nitems(cases); i++) {
		T_CASE(cases[i].name);
		T_EQ_STR(t_run(cases[i].raws, cases[i].n, cases[i].flags,
		    NULL), cases[i].want);
	}
	test_pairs();
	test_custom_rules();
	test_changes();
	test_previous();
	test_previous_cap();
	test_previous_read_late();
	test_record_cap();
	return (t_done_named("t_agg"));
}
