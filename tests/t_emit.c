/*
 * t_emit.c - when records leave, in both modes: scripted raw events
 * arrive at given clock values, and the test moves its clock the way
 * quark watch would (to the next arrival, or to what
 * quark_queue_timeout_ms() says), so the exact moment and order of each
 * record is checked.
 *
 * Output: "@MS word word" for each moment something came out (words as
 * in engine_test.h), "@stop" for what a stop (SIGINT) flushes.
 */
#include "engine_test.h"

#define ALL	(~0ULL)

/* A raw event arriving at clock `at` ms. */
struct step {
	uint64_t		at;
	struct raw_event	raw;
};

#define AT(ms, ...)	{ (ms) * MS, __VA_ARGS__ }

static int	show_parent;	/* words say "^exe" of the parent */

static void
word(char *buf, size_t len, const struct quark_event *ev)
{
	const struct quark_process	*pp = ev->parent;
	size_t				 l;

	t_word(buf, len, ev);
	if (!show_parent || ev->kind != QUARK_EVENT_PROCESS)
		return;
	l = strlen(buf);
	snprintf(buf + l, len - l, "^%s%s",
	    pp != NULL && (pp->known & QP_EXE) && pp->exe != NULL ? pp->exe : "?",
	    pp != NULL && (pp->known & QP_EXIT) ? "(exited)" : "");
}

static int
drain_at(struct quark_queue *qq, char *buf, size_t len, const char *mark)
{
	const struct quark_event	*ev;
	size_t				 l;
	int				 n = 0;

	while ((ev = quark_queue_next(qq)) != NULL) {
		if (n++ == 0) {
			l = strlen(buf);
			snprintf(buf + l, len - l, "%s%s", l ? " " : "", mark);
		}
		word(buf, len, ev);
	}
	return (n);
}

/*
 * Replays steps like watch: submit what arrives, hand out what is due,
 * sleep until the next arrival or the queue's timeout, whichever is
 * first; stop (and flush) at stop_ms, or when nothing is left to do.
 */
static const char *
script(const struct step *steps, size_t n, uint32_t flags,
    struct quark_queue_attr *attr, uint64_t stop_ms)
{
	static char		 buf[4096];
	char			 mark[32];
	struct quark_queue	*qq;
	struct raw_event	*raw;
	uint64_t		 next;
	size_t			 i = 0;
	int			 to;

	buf[0] = '\0';
	if ((qq = t_open(NULL, 0, flags, attr)) == NULL)
		return ("open failed");
	for (;;) {
		snprintf(mark, sizeof(mark), "@%llu",
		    (unsigned long long)(t_now / MS));
		drain_at(qq, buf, sizeof(buf), mark);
		to = quark_queue_timeout_ms(qq);
		next = i < n ? steps[i].at : ALL;
		if (stop_ms != ALL && next > stop_ms * MS)
			next = stop_ms * MS;
		if (to >= 0 && t_now + (uint64_t)to * MS < next) {
			t_now += (uint64_t)to * MS;
			continue;
		}
		if (next == ALL || (stop_ms != ALL && next == stop_ms * MS &&
		    (i >= n || steps[i].at > next)))
			break;
		t_now = next;
		for (; i < n && steps[i].at == next; i++) {
			if ((raw = raw_event_dup(&steps[i].raw)) == NULL)
				return ("nomem");
			queue_submit(qq, raw);
		}
	}
	if (stop_ms != ALL)
		t_now = stop_ms * MS;
	quark_queue_stop(qq);
	drain_at(qq, buf, sizeof(buf), "@stop");
	quark_queue_close(qq);
	return (buf);
}

/*
 * A long-lived process (200, forked and exec'd, never exits here) and
 * two short ones after it: the short ones' records leave as soon as they
 * are whole; sorted, they wait behind 200's until its hold runs out.
 */
static const struct step busy[] = {
	AT(0, R_FORK(0, 200, 1)),
	AT(1, R_EXEC(1 * MS, 200, "/usr/bin/sleep")),
	AT(5, R_FORK(5 * MS, 300, 1)),
	AT(6, R_EXEC(6 * MS, 300, "/bin/true")),
	AT(10, R_EXIT(10 * MS, 300, 0)),
	AT(20, R_FORK(20 * MS, 301, 1)),
	AT(22, R_EXEC(21 * MS, 301, "/bin/true")),
	AT(30, R_EXIT(30 * MS, 301, 0)),
	AT(1500, R_EXIT(1500 * MS, 200, 0)),
};

static void
test_busy(void)
{
	T_CASE("default: a held record delays no other process's");
	T_EQ_STR(script(busy, nitems(busy), 0, NULL, ALL),
	    "@35 300:fork+exec+exit @55 301:fork+exec+exit "
	    "@1000 200:fork+exec @1525 200:exit");
	T_CASE("sorted: strict time order, behind the held one");
	T_EQ_STR(script(busy, nitems(busy), QQ_SORTED, NULL, ALL),
	    "@1000 200:fork+exec 300:fork+exec+exit 301:fork+exec+exit "
	    "@1525 200:exit");
	T_CASE("a stop flushes the held record, both modes");
	T_EQ_STR(script(busy, nitems(busy), 0, NULL, 100),
	    "@35 300:fork+exec+exit @55 301:fork+exec+exit "
	    "@stop 200:fork+exec");
	T_EQ_STR(script(busy, nitems(busy), QQ_SORTED, NULL, 100),
	    "@stop 200:fork+exec 300:fork+exec+exit 301:fork+exec+exit");
}

/*
 * The records of one pid never swap: 200 exits and a new process gets its
 * pid (a fork after an exit starts a new record, which closes the first);
 * a raw event that joins the first later keeps the second behind it.
 */
static const struct step chain[] = {
	AT(0, R_FORK(0, 200, 1)),
	AT(1, R_EXEC(1 * MS, 200, "/bin/a")),
	AT(10, R_EXIT(10 * MS, 200, 0)),
	AT(11, R_FORK(11 * MS, 200, 1)),
	AT(12, R_EXIT(12 * MS, 200, 0)),
	/* The first 200 renamed itself at 5 ms; it arrives late, at 30 ms. */
	AT(30, R_COMM(5 * MS, 200, "x")),
	AT(40, R_FORK(40 * MS, 201, 1)),
	AT(45, R_EXIT(45 * MS, 201, 0)),
};

/* A process that execs again is one record, out when it exits. */
static const struct step reexec[] = {
	AT(0, R_FORK(0, 200, 1)),
	AT(1, R_EXEC(1 * MS, 200, "/bin/sh")),
	AT(3, R_EXEC(3 * MS, 200, "/usr/bin/env")),
	AT(4, R_EXEC(4 * MS, 200, "/bin/true")),
	AT(5, R_EXIT(5 * MS, 200, 0)),
};

static void
test_chain(void)
{
	T_CASE("default: one pid's records in order, the first one "
	    "growing late");
	T_EQ_STR(script(chain, nitems(chain), 0, NULL, ALL),
	    "@55 200:fork+exec+comm+exit 200:fork+exit @70 201:fork+exit");
	T_CASE("sorted: the same order");
	T_EQ_STR(script(chain, nitems(chain), QQ_SORTED, NULL, ALL),
	    "@55 200:fork+exec+comm+exit 200:fork+exit @70 201:fork+exit");
	T_CASE("default: the earlier record's hold runs out first");
	T_EQ_STR(script(chain, 2, 0, NULL, ALL), "@1000 200:fork+exec");
	T_CASE("default: exec, exec again, exec again: one record at the "
	    "exit, the earlier images in it");
	T_EQ_STR(script(reexec, nitems(reexec), 0, NULL, ALL),
	    "@30 200:fork+exec+exec+exec+exit</bin/sh</usr/bin/env");
	T_CASE("sorted: the same");
	T_EQ_STR(script(reexec, nitems(reexec), QQ_SORTED, NULL, ALL),
	    "@30 200:fork+exec+exec+exec+exit</bin/sh</usr/bin/env");
}

/*
 * The parent object is the parent as it was at the fork: 100 runs sh,
 * forks 101, then execs grep and exits while 101 still runs.  (100's
 * record holds both execs, sh as its earlier image.)
 */
static const struct step parent[] = {
	AT(0, R_EXEC(0, 100, "/bin/sh")),
	AT(10, R_FORK(10 * MS, 101, 100)),
	AT(11, R_EXEC(11 * MS, 101, "/bin/child")),
	AT(20, R_EXEC(20 * MS, 100, "/usr/bin/grep")),
	AT(30, R_EXIT(30 * MS, 100, 0)),
	AT(100, R_EXIT(100 * MS, 101, 0)),
};

static void
test_parent(void)
{
	show_parent = 1;
	T_CASE("default: the parent as it was at the fork");
	T_EQ_STR(script(parent, nitems(parent), 0, NULL, ALL),
	    "@55 100:exec+exec+exit</bin/sh^? "
	    "@125 101:fork+exec+exit^/bin/sh");
	T_CASE("sorted: the parent as it was at the fork");
	T_EQ_STR(script(parent, nitems(parent), QQ_SORTED, NULL, ALL),
	    "@55 100:exec+exec+exit</bin/sh^? "
	    "@125 101:fork+exec+exit^/bin/sh");
	show_parent = 0;
}

/* A loss comes out in band at once; what was learned before it is stale. */
static const struct step loss[] = {
	AT(0, R_FORK(0, 100, 1)),
	AT(1, R_EXEC(1 * MS, 100, "/bin/a")),
	AT(5, R_LOST(5 * MS, 3)),
	AT(10, R_FORK(10 * MS, 102, 1)),
	AT(11, R_EXEC(11 * MS, 102, "/bin/b")),
	AT(12, R_EXIT(12 * MS, 102, 0)),
	AT(50, R_EXIT(50 * MS, 100, 0)),
};

static void
test_loss(void)
{
	T_CASE("default: a loss in band, stale context after it");
	T_EQ_STR(script(loss, nitems(loss), 0, NULL, ALL),
	    "@30 lost:3 @37 102:fork+exec+exit @75 100:fork+exec+exit!S");
	T_CASE("sorted: a loss in band, stale context after it");
	T_EQ_STR(script(loss, nitems(loss), QQ_SORTED, NULL, ALL),
	    "@75 100:fork+exec+exit!S lost:3 102:fork+exec+exit");
}

/*
 * A thread's record waits behind its process's held record, and does not
 * close it: the process's exit still joins it.
 */
static const struct step threads[] = {
	AT(0, R_FORK(0, 100, 1)),
	AT(1, R_EXEC(1 * MS, 100, "/bin/a")),
	AT(5, { RAW_T(QUARK_EV_FORK, 5 * MS, 100, 101), .flags = RAW_F_THREAD }),
	AT(50, R_EXIT(50 * MS, 100, 0)),
};

static void
test_threads(void)
{
	T_CASE("default: a thread record waits behind its process's record, "
	    "which stays whole");
	T_EQ_STR(script(threads, nitems(threads), QQ_THREADS, NULL, ALL),
	    "@75 100:fork+exec+exit 100:fork!T");
	T_CASE("sorted: the same");
	T_EQ_STR(script(threads, nitems(threads), QQ_THREADS | QQ_SORTED,
	    NULL, ALL), "@75 100:fork+exec+exit 100:fork!T");
}

/* Deterministic xorshift. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

#define NPROC	200
#define NRAW	4

/*
 * Processes fork, exec, exec again and exit; raw events arrive up to
 * 20 ms out of time order; the queue holds 16 records at most, so
 * records are forced out.  Whatever the mode: every raw event comes out
 * once, and each process's records (and the changes in them) in time
 * order.
 */
static void
storm_case(uint32_t flags, uint64_t seed)
{
	static struct step		 steps[NPROC * NRAW];
	static uint64_t			 last[NPROC];
	static int			 seen[NPROC][QUARK_EV_TYPE_COUNT];
	struct quark_queue_attr		 attr;
	const struct quark_event	*ev;
	const struct quark_change	*ch;
	struct quark_queue		*qq;
	struct step			 tmp;
	size_t				 i, j, n = 0, bad = 0, wrong = 0;
	uint64_t			 t, s = seed;
	pid_t				 pid;
	int				 stopped = 0;

	memset(last, 0, sizeof(last));
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < NPROC; i++) {
		t = (1 + i * 3) * MS;
		pid = 1000 + (pid_t)i;
		steps[n++].raw = (struct raw_event)R_FORK(t, pid, 1);
		steps[n++].raw = (struct raw_event)R_EXEC(t + MS, pid, "/a");
		steps[n++].raw = (struct raw_event)R_EXEC(t + 2 * MS +
		    rnd(&s) % (40 * MS), pid, "/b");
		steps[n++].raw = (struct raw_event)R_EXIT(t + 50 * MS +
		    rnd(&s) % (2000 * MS), pid, 0);
	}
	for (i = 0; i < n; i++)
		steps[i].at = steps[i].raw.time + rnd(&s) % (20 * MS);
	/* Arrival order. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && steps[j - 1].at > steps[j].at; j--) {
			tmp = steps[j];
			steps[j] = steps[j - 1];
			steps[j - 1] = tmp;
		}
	quark_queue_default_attr(&attr);
	attr.max_length = 16;
	qq = t_open(NULL, 0, flags, &attr);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	for (i = 0; !stopped; ) {
		if (i < n) {
			t_now = steps[i].at;
			queue_submit(qq, raw_event_dup(&steps[i++].raw));
		} else {
			quark_queue_stop(qq);
			stopped = 1;
		}
		while ((ev = quark_queue_next(qq)) != NULL) {
			pid = ev->process->pid;
			if (pid < 1000 || pid >= 1000 + NPROC ||
			    ev->nchanges == 0) {
				bad++;
				continue;
			}
			/*
			 * After the process's previous record, unless it
			 * arrived after that one had to leave (and says so);
			 * its changes in time order.
			 */
			if (ev->time < last[pid - 1000] &&
			    (ev->flags & QUARK_EVF_LATE) == 0)
				bad++;
			last[pid - 1000] = ev->time;
			for (j = 0; j < ev->nchanges; j++) {
				ch = &ev->changes[j];
				if (j > 0 && ch->time < ev->changes[j - 1].time)
					bad++;
				seen[pid - 1000][ch->type]++;
			}
		}
	}
	for (i = 0; i < NPROC; i++)
		if (seen[i][QUARK_EV_FORK] != 1 || seen[i][QUARK_EV_EXEC] != 2 ||
		    seen[i][QUARK_EV_EXIT] != 1)
			wrong++;
	T_EQ_INT(bad, 0);
	T_EQ_INT(wrong, 0);
	quark_queue_close(qq);
}

static void
test_storm(void)
{
	T_CASE("default, queue full: nothing lost, duplicated or swapped "
	    "within a process");
	storm_case(0, 0x9e3779b97f4a7c15ULL);
	T_CASE("sorted, queue full: nothing lost, duplicated or swapped "
	    "within a process");
	storm_case(QQ_SORTED, 0x2545f4914f6cdd1dULL);
}

int
main(void)
{
	test_busy();
	test_chain();
	test_parent();
	test_loss();
	test_threads();
	test_storm();
	return (t_done_named("t_emit"));
}
