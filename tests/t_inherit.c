/*
 * t_inherit.c - a fork inherits the image its parent had at the fork's
 * time, not the one the cache holds when the fork's record is applied.
 *
 * The case found live: P is forked (t10), P forks C (t20, C never
 * execs), P execs grep (t30).  P's record (fork+exec) is applied at t10's
 * place in time order, before C's (t20): C must still get the image P had
 * at t20 (sh), never grep's, and nothing rather than a guess when that
 * image is not known.
 *
 * Each case replays a pool of raw events in the arrival order a string
 * gives and summarizes what comes out, one word per record:
 * "pid:kinds=exe(args)@cwd", "?" for an unknown exe, no "(...)" or "@..."
 * for unknown args or cwd, "!L" after the kinds for a late record.
 */
#include "engine_test.h"

#define R_IMG(t, p, path, argv) \
	{ RAW(QUARK_EV_EXEC, t, p), .task = { .known = QP_EXE | QP_ARGS | QP_CWD, \
	.exe = (path), .args = (argv), .args_len = sizeof(argv), \
	.args_total = sizeof(argv), .argc = 1, .cwd = "/home" } }

/* Letters name the raw events of the pool. */
static const char	pool_names[] = "ifcexydzEoQRY";
static const struct raw_event pool[] = {
	/* i: the grandparent, pid 1, runs sh in /home */
	{ RAW(QUARK_EV_EXEC, 1, 1), .task = { .known = QP_EXE | QP_ARGS |
	    QP_CWD, .exe = "/bin/sh", .args = "sh\0-c\0x", .args_len = 8,
	    .args_total = 8, .argc = 3, .cwd = "/home" } },
	R_FORK(10, 100, 1),			/* f: P */
	R_FORK(20, 101, 100),			/* c: C, before P's exec */
	R_IMG(30, 100, "/usr/bin/grep", "grep\0-F"),	/* e: P's exec */
	R_EXIT(40, 101, 0),			/* x: C's exit */
	R_EXIT(50, 100, 0),			/* y: P's exit */
	R_FORK(35, 102, 100),			/* d: D, after P's exec */
	R_EXIT(45, 102, 0),			/* z: D's exit */
	R_IMG(33, 100, "/bin/ls", "ls"),	/* E: P's second exec */
	R_IMG(15, 1, "/bin/other", "other"),	/* o: pid 1 execs again */
	R_EXIT(12, 1, 0),			/* Q: pid 1 exits... */
	R_FORK(15, 1, 7),			/* R: ...and is reused */
	/* Y: P's pid reused by a fork of pid 1's, started at t60 */
	{ RAW(QUARK_EV_FORK, 60, 100), .fork.parent_pid = 1,
	    .task = { .known = QP_START, .start_ns = 60 } },
};

static void
word_args(char *w, size_t len, const struct quark_process *p)
{
	size_t	i, l;

	if ((p->known & QP_ARGS) == 0 || p->args == NULL)
		return;
	l = strlen(w);
	snprintf(w + l, len - l, "(");
	for (i = 0; i + 1 < p->args_len; i++) {
		l = strlen(w);
		snprintf(w + l, len - l, "%c", p->args[i] ? p->args[i] : ',');
	}
	l = strlen(w);
	snprintf(w + l, len - l, ")");
}

static void
word(char *buf, size_t len, const struct quark_event *ev)
{
	const struct quark_process	*p = ev->process;
	char				 w[256];
	uint32_t			 i;
	size_t				 l;

	snprintf(w, sizeof(w), "%d:", (int)p->pid);
	for (i = 0; i < ev->nchanges; i++) {
		l = strlen(w);
		snprintf(w + l, sizeof(w) - l, "%s%s", i ? "+" : "",
		    t_kind(ev->changes[i].type));
	}
	l = strlen(w);
	snprintf(w + l, sizeof(w) - l, "%s=%s",
	    ev->flags & QUARK_EVF_LATE ? "!L" : "",
	    (p->known & QP_EXE) && p->exe != NULL ? p->exe : "?");
	word_args(w, sizeof(w), p);
	if ((p->known & QP_CWD) && p->cwd != NULL) {
		l = strlen(w);
		snprintf(w + l, sizeof(w) - l, "@%s", p->cwd);
	}
	l = strlen(buf);
	snprintf(buf + l, len - l, "%s%s", l ? " " : "", w);
}

/*
 * steps: one raw event in, one record out, in arrival order (no
 * aggregation); else all arrive, then come out in time order.
 */
static const char *
replay(const char *order, uint32_t flags, int steps)
{
	static char			 buf[1024];
	struct raw_event		 raws[32];
	const struct quark_event	*ev;
	struct quark_queue		*qq;
	size_t				 n;
	const char			*s;

	buf[0] = '\0';
	for (n = 0; order[n] != '\0' && n < nitems(raws); n++) {
		if ((s = strchr(pool_names, order[n])) == NULL)
			return ("bad order");
		raws[n] = pool[s - pool_names];
	}
	if (steps)
		flags |= QQ_NO_AGGREGATE;
	if ((qq = t_open(raws, n, flags, NULL)) == NULL)
		return ("open failed");
	queue_set_poll_budget(qq, steps ? 1 : 100000);
	quark_queue_stop(qq);
	while ((ev = quark_queue_next(qq)) != NULL)
		if (ev->kind == QUARK_EVENT_PROCESS)
			word(buf, sizeof(buf), ev);
	quark_queue_close(qq);
	return (buf);
}

#define SH	"=/bin/sh(sh,-c,x)@/home"
#define GREP	"=/usr/bin/grep(grep,-F)@/home"

static const struct {
	const char	*name;
	const char	*order;
	int		 steps;
	const char	*want;
} cases[] = {
	{ "aggregated, time order: C gets sh, P grep", "ifcexy", 0,
	  "1:exec" SH " 100:fork+exec+exit" GREP " 101:fork+exit" SH },
	{ "aggregated, P's exec arrives first", "iecfyx", 0,
	  "1:exec" SH " 100:fork+exec+exit" GREP " 101:fork+exit" SH },
	{ "aggregated, C's record arrives first", "icxfey", 0,
	  "1:exec" SH " 100:fork+exec+exit" GREP " 101:fork+exit" SH },
	{ "aggregated, reversed arrival", "yxecfi", 0,
	  "1:exec" SH " 100:fork+exec+exit" GREP " 101:fork+exit" SH },
	{ "not aggregated, time order", "ifcexy", 1,
	  "1:exec" SH " 100:fork" SH " 101:fork" SH " 100:exec" GREP
	  " 101:exit" SH " 100:exit" GREP },
	{ "not aggregated, C's fork late after P's exec", "ifeycx", 1,
	  "1:exec" SH " 100:fork" SH " 100:exec" GREP " 100:exit" GREP
	  " 101:fork!L" SH " 101:exit!L" SH },
	{ "a fork after the exec gets the new image", "ifcedzxy", 0,
	  "1:exec" SH " 100:fork+exec+exit" GREP " 101:fork+exit" SH
	  " 102:fork+exit" GREP },
	{ "P's image before its exec unknown: C's unknown, not grep",
	  "fcexy", 0,
	  "100:fork+exec+exit=/usr/bin/grep(grep,-F)@/home 101:fork+exit=?" },
	{ "two execs since C's fork: unknown, not a guess", "ifeEcx", 1,
	  "1:exec" SH " 100:fork" SH " 100:exec" GREP
	  " 100:exec=/bin/ls(ls)@/home 101:fork!L=? 101:exit=?" },
	{ "the grandparent's later exec does not leak into C", "ifocexy", 0,
	  "1:exec+exec=/bin/other(other)@/home 100:fork+exec+exit" GREP
	  " 101:fork+exit" SH },
	{ "the grandparent's pid reused: C's unknown", "iQfRcexy", 0,
	  "1:exec+exit" SH " 100:fork+exec+exit" GREP " 1:fork=?"
	  " 101:fork+exit=?" },
	{ "P's pid reused before C's late fork: nothing of the new one",
	  "ifeyoYcx", 1,
	  "1:exec" SH " 100:fork" SH " 100:exec" GREP " 100:exit" GREP
	  " 1:exec!L=/bin/other(other)@/home"
	  " 100:fork=/bin/other(other)@/home 101:fork!L=? 101:exit!L=?" },
};

static void
test_cases(void)
{
	size_t	i;

	for (i = 0; i < nitems(cases); i++) {
		T_CASE(cases[i].name);
		T_EQ_STR(replay(cases[i].order, 0, cases[i].steps),
		    cases[i].want);
	}
}

int
main(void)
{
	test_cases();
	return (t_done());
}
