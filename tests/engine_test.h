/*
 * engine_test.h - scripts of raw events for the engine's unit tests, run
 * through the fake backend with a clock the test moves by hand.
 *
 * Events come out summarized as "pid:kind+kind" words, e.g.
 * "100:fork+exec+exit 101:exec", with "<exe" for each earlier image the
 * record keeps ("<?" when its exe is unknown, "<+N" for N dropped), "!L"
 * (late), "!S" (stale) or "!T" (thread) after a word when flagged, and
 * "lost:N" for a loss.
 */
#ifndef QUARK_ENGINE_TEST_H
#define QUARK_ENGINE_TEST_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "test.h"

#define MS	NS_PER_MS

#define RAW(ty, t, p)	.type = (ty), .time = (t), .pid = (p), .tid = (p)
#define RAW_T(ty, t, p, th) .type = (ty), .time = (t), .pid = (p), .tid = (th)
#define R_FORK(t, p, pp) \
	{ RAW(QUARK_EV_FORK, t, p), .fork.parent_pid = (pp) }
#define R_EXEC(t, p, path) \
	{ RAW(QUARK_EV_EXEC, t, p), .task = { .known = QP_EXE | QP_ARGS, \
	.exe = (path), .args = (path), .args_len = sizeof(path), \
	.args_total = sizeof(path), .argc = 1 } }
#define R_EXIT(t, p, code) \
	{ RAW(QUARK_EV_EXIT, t, p), .flags = RAW_F_GROUP_DEAD, \
	.task = { .known = QP_EXIT, .exit_code = (code), .exit_ns = (t) } }
#define R_SETUID(t, p, u) \
	{ RAW(QUARK_EV_SETUID, t, p), .task = { .known = QP_CREDS, \
	.uid = (u), .euid = (u), .suid = (u) } }
#define R_SETGID(t, p, g) \
	{ RAW(QUARK_EV_SETGID, t, p), .task = { .known = QP_CREDS, \
	.gid = (g), .egid = (g), .sgid = (g) } }
#define R_SETSID(t, p) \
	{ RAW(QUARK_EV_SETSID, t, p), .task = { .known = QP_PGID_SID, \
	.pgid = (p), .sid = (p) } }
#define R_COMM(t, p, name) \
	{ RAW(QUARK_EV_COMM, t, p), .comm.comm = name }
#define R_LOST(t, n) \
	{ .type = RAW_LOST, .time = (t), .lost.count = (n) }

static uint64_t t_now;
/* An aggregation table to open queues with (NULL: the default). */
static const struct quark_agg_rules *t_agg;

static const char *const t_kind_names[QUARK_EV_TYPE_COUNT] = {
	"fork", "exec", "exit", "setuid", "setgid", "setsid", "comm"
};

static const char *
t_kind(uint32_t type)
{
	return (type < QUARK_EV_TYPE_COUNT ? t_kind_names[type] : "?");
}

static uint64_t
t_clock(void)
{
	return (t_now);
}

/* Tests never read the real /proc: reconcile finds nothing readable. */
static struct quark_process *
t_no_proc(pid_t pid, int flags)
{
	errno = EACCES;
	return (NULL);
}

/* A queue on the fake backend replaying raws, no /proc, test clock. */
static struct quark_queue *
t_open(const struct raw_event *raws, size_t n, uint32_t flags,
    struct quark_queue_attr *attrp)
{
	struct quark_queue_attr	 attr;
	struct queue_test	 t = { t_agg, raws, n };
	struct quark_queue	*qq;

	if (attrp == NULL) {
		quark_queue_default_attr(&attr);
		attrp = &attr;
	}
	attrp->backend = QUARK_BACKEND_FAKE;
	attrp->flags |= flags | QQ_NO_SCRAPE;
	t_now = 0;
	if ((qq = queue_open_test(attrp, &t)) == NULL)
		return (NULL);
	queue_set_clock(qq, t_clock);
	queue_set_reader(qq, t_no_proc);
	return (qq);
}

/* Appends one event's summary word to buf. */
static void
t_word(char *buf, size_t len, const struct quark_event *ev)
{
	char		 w[256];
	uint32_t	 i;
	size_t		 l;

	if (ev->kind == QUARK_EVENT_LOST)
		snprintf(w, sizeof(w), "lost:%llu", (unsigned long long)ev->lost);
	else {
		snprintf(w, sizeof(w), "%d:", (int)ev->process->pid);
		for (i = 0; i < ev->nchanges; i++) {
			l = strlen(w);
			snprintf(w + l, sizeof(w) - l, "%s%s", i ? "+" : "",
			    t_kind(ev->changes[i].type));
		}
		for (i = 0; i < ev->nprevious; i++) {
			l = strlen(w);
			snprintf(w + l, sizeof(w) - l, "<%s",
			    (ev->previous[i].known & QP_EXE) ?
			    ev->previous[i].exe : "?");
		}
		l = strlen(w);
		if (ev->nprevious_dropped != 0)
			snprintf(w + l, sizeof(w) - l, "<+%u",
			    ev->nprevious_dropped);
	}
	l = strlen(w);
	snprintf(w + l, sizeof(w) - l, "%s%s%s",
	    ev->flags & QUARK_EVF_LATE ? "!L" : "",
	    ev->flags & QUARK_EVF_STALE ? "!S" : "",
	    ev->flags & QUARK_EVF_THREAD ? "!T" : "");
	l = strlen(buf);
	snprintf(buf + l, len - l, "%s%s", l ? " " : "", w);
}

/* Every event ready now, summarized into buf (appended). */
static int
t_drain_ready(struct quark_queue *qq, char *buf, size_t len)
{
	const struct quark_event	*ev;
	int				 n = 0;

	while ((ev = quark_queue_next(qq)) != NULL) {
		t_word(buf, len, ev);
		n++;
	}
	return (n);
}

/* Replays the whole script, then stops and drains: the summary. */
static __attribute__((unused)) const char *
t_run(const struct raw_event *raws, size_t n, uint32_t flags,
    struct quark_queue_attr *attr)
{
	static char		 buf[4096];
	struct quark_queue	*qq;

	buf[0] = '\0';
	if ((qq = t_open(raws, n, flags, attr)) == NULL)
		return ("open failed");
	queue_set_poll_budget(qq, 100000);
	t_drain_ready(qq, buf, sizeof(buf));
	quark_queue_stop(qq);
	t_drain_ready(qq, buf, sizeof(buf));
	quark_queue_close(qq);
	return (buf);
}

#endif /* QUARK_ENGINE_TEST_H */
