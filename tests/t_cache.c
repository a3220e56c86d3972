/*
 * t_cache.c - the process cache through the queue: inheritance at fork,
 * exec, exit grace and collection, pid reuse, threads, losses, reconcile.
 */
#include <errno.h>

#include "engine_test.h"

#define SEC	NS_PER_SEC

/* The parent, pid 1: what its children inherit. */
#define R_INIT(t) \
	{ RAW(QUARK_EV_EXEC, t, 1), .task = { .known = QP_EXE | QP_ARGS | \
	QP_CWD | QP_CREDS | QP_COMM | QP_START, .exe = "/sbin/init", \
	.args = "init\0splash", .args_len = 12, .args_total = 12, .argc = 2, \
	.cwd = "/", .uid = 0, .euid = 0, .comm = "init", .start_ns = 0 } }
#define R_EXEC_START(t, p, path, start) \
	{ RAW(QUARK_EV_EXEC, t, p), .task = { .known = QP_EXE | QP_START, \
	.exe = (path), .start_ns = (start) } }

/* An exec that knows the path given to execve(2). */
#define R_EXEC_FN(t, p, path, fname, start) \
	{ RAW(QUARK_EV_EXEC, t, p), .task = { .known = QP_EXE | QP_FILENAME | \
	QP_START, .exe = (path), .filename = (fname), .start_ns = (start) } }
#define R_INIT_FN(t) \
	R_EXEC_FN(t, 1, "/usr/lib/systemd/systemd", "/sbin/init", 0)

/*
 * Step mode: stopped at once, poll budget 1, no aggregation: every
 * quark_queue_next() takes one raw event in and hands it out.
 */
static struct quark_queue *
open_steps(const struct raw_event *raws, size_t n, uint32_t flags,
    struct quark_queue_attr *attr)
{
	struct quark_queue	*qq;

	if ((qq = t_open(raws, n, flags | QQ_NO_AGGREGATE, attr)) == NULL)
		return (NULL);
	queue_set_poll_budget(qq, 1);
	quark_queue_stop(qq);
	return (qq);
}

static void
test_fork_exec(void)
{
	const struct raw_event		 raws[] = { R_INIT(1),
	    R_FORK(10, 100, 1), R_EXEC(20, 100, "/bin/child"),
	    { RAW(QUARK_EV_EXEC, 30, 100), .task = { .known = QP_EXE,
	    .exe = "/bin/noargs" } } };
	const struct quark_event	*ev;
	const struct quark_process	*p;
	struct quark_queue		*qq;

	T_CASE("fork inherits, exec replaces");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL && quark_queue_next(qq) != NULL);
	ev = quark_queue_next(qq);			/* fork */
	T_CHECK(ev != NULL && ev->process != NULL);
	if (ev == NULL)
		goto out;
	p = ev->process;
	T_EQ_INT(p->pid, 100);
	T_EQ_INT(p->ppid, 1);
	T_CHECK(p->known & QP_PPID);
	T_EQ_STR(p->exe, "/sbin/init");
	T_EQ_INT(p->args_len, 12);
	T_CHECK(p->args != NULL && memcmp(p->args, "init\0splash", 12) == 0);
	T_EQ_STR(p->cwd, "/");
	T_EQ_STR(p->comm, "init");
	T_CHECK((p->known & (QP_CREDS | QP_START | QP_EXIT)) == QP_CREDS);
	T_CHECK(ev->parent != NULL && ev->parent->pid == 1);
	T_EQ_STR(ev->parent ? ev->parent->exe : NULL, "/sbin/init");
	ev = quark_queue_next(qq);			/* exec */
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	T_EQ_STR(ev->process->exe, "/bin/child");
	T_EQ_STR(ev->process->args, "/bin/child");
	/* Not said by the exec: unknown, never the value before it. */
	T_CHECK((ev->process->known & QP_CWD) == 0);
	T_EQ_INT(ev->process->ppid, 1);
	ev = quark_queue_next(qq);			/* exec, exe only */
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	T_EQ_STR(ev->process->exe, "/bin/noargs");
	/* Never the previous image's args as if they were this one's. */
	T_CHECK((ev->process->known & QP_ARGS) == 0);
	T_CHECK(ev->process->args == NULL);
	/* The parent itself is untouched. */
	p = quark_process_lookup(qq, 1);
	T_EQ_STR(p ? p->exe : NULL, "/sbin/init");
out:
	quark_queue_close(qq);
}

static void
test_grace(void)
{
	const struct raw_event		 raws[] = { R_INIT(1),
	    R_FORK(10, 100, 1), R_EXIT(20, 100, 3) };
	const struct quark_process	*p;
	struct quark_queue		*qq;
	struct quark_stats		 st;

	T_CASE("lookups within and after the grace time");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	T_EQ_INT(t_drain_ready(qq, (char[256]){ 0 }, 256), 3);
	p = quark_process_lookup(qq, 100);
	T_CHECK(p != NULL && (p->known & QP_EXIT));
	T_EQ_INT(p ? p->exit_code : -99, 3);
	T_EQ_STR(p ? p->exe : NULL, "/sbin/init");
	t_now = 5 * SEC - 1;
	T_CHECK(quark_queue_next(qq) == NULL);
	T_CHECK(quark_process_lookup(qq, 100) != NULL);
	T_EQ_INT(quark_queue_timeout_ms(qq), 1);
	t_now = 5 * SEC;
	T_CHECK(quark_queue_next(qq) == NULL);
	errno = 0;
	T_CHECK(quark_process_lookup(qq, 100) == NULL);
	T_EQ_INT(errno, ESRCH);
	T_CHECK(quark_process_lookup(qq, 1) != NULL);
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.garbage_collections, 1);
	T_EQ_INT(st.cache_size, 1);
	T_EQ_INT(quark_queue_timeout_ms(qq), -1);
	quark_queue_close(qq);
}

/*
 * Exits half a second apart are collected at one wakeup: the collection
 * waits for the next whole second after the first grace ends.
 */
static void
test_grace_grouped(void)
{
	const struct raw_event		 raws[] = { R_INIT(1),
	    R_FORK(10, 100, 1), R_EXIT(20, 100, 0),
	    R_FORK(30, 200, 1), R_EXIT(40, 200, 0) };
	struct quark_queue		*qq;
	struct quark_stats		 st;
	int				 i;

	T_CASE("the exits of one second are collected at one wakeup");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	if (!T_CHECK(qq != NULL))
		return;
	t_now = 200 * MS;
	for (i = 0; i < 3; i++)		/* init, fork and exit of 100 */
		T_CHECK(quark_queue_next(qq) != NULL);
	t_now = 700 * MS;
	for (i = 0; i < 2; i++)		/* fork and exit of 200 */
		T_CHECK(quark_queue_next(qq) != NULL);
	T_CHECK(quark_queue_next(qq) == NULL);
	/* Graces end at 5.2 and 5.7 s: one wakeup at 6 s, not two. */
	T_EQ_INT(quark_queue_timeout_ms(qq), 5300);
	t_now = 5200 * MS;
	T_CHECK(quark_queue_next(qq) == NULL);
	T_EQ_INT(quark_queue_timeout_ms(qq), 800);
	t_now = 6 * SEC;
	T_CHECK(quark_queue_next(qq) == NULL);
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.garbage_collections, 2);
	T_EQ_INT(quark_queue_timeout_ms(qq), -1);
	quark_queue_close(qq);
}

/* A new process forks onto pid 100 while the old one is in its grace. */
static void
test_reuse_fork(void)
{
	const struct raw_event		 raws[] = { R_INIT(1),
	    R_EXEC_START(2, 50, "/bin/sh", 0),
	    R_FORK(10, 100, 1), R_EXEC_START(15, 100, "/bin/old", 10),
	    R_EXIT(20, 100, 7), R_FORK(30, 100, 50) };
	const struct quark_event	*ev = NULL;
	const struct quark_process	*p;
	struct quark_queue		*qq;
	uint64_t			 old_id;
	int				 i;

	T_CASE("pid reuse by a fork within the grace time");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	for (i = 0; i < 5; i++)
		ev = quark_queue_next(qq);
	T_CHECK(ev != NULL && (ev->process->known & QP_EXIT));
	old_id = ev ? ev->process->entity_id : 0;
	T_CHECK(old_id != 0);
	t_now = 4 * SEC;
	ev = quark_queue_next(qq);		/* the new fork */
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	p = ev->process;
	T_CHECK((p->known & (QP_EXIT | QP_START)) == 0);
	T_EQ_INT(p->exit_code, 0);
	T_EQ_INT(p->entity_id, 0);
	T_EQ_INT(p->ppid, 50);
	T_EQ_STR(p->exe, "/bin/sh");		/* the new parent's image */
	T_CHECK(p->args == NULL);
	/* The old process's collection must not take the new one. */
	t_now = 5 * SEC + 1;
	T_CHECK(quark_queue_next(qq) == NULL);
	p = quark_process_lookup(qq, 100);
	T_CHECK(p != NULL && (p->known & QP_EXIT) == 0);
	t_now = 60 * SEC;
	T_CHECK(quark_queue_next(qq) == NULL);
	T_CHECK(quark_process_lookup(qq, 100) != NULL);
out:
	quark_queue_close(qq);
}

/* A different start time on any event: another process. */
static void
test_reuse_start(void)
{
	const struct raw_event		 raws[] = { R_FORK(5, 100, 1),
	    R_EXEC(10, 100, "/bin/old"),
	    { RAW(QUARK_EV_SETUID, 11, 100), .task = { .known = QP_START |
	    QP_CREDS, .start_ns = 5, .uid = 9 } },
	    { RAW(QUARK_EV_COMM, 20, 100), .comm.comm = "newbie",
	    .task = { .known = QP_START, .start_ns = 2 * SEC } } };
	const struct quark_event	*ev = NULL;
	struct quark_queue		*qq;
	int				 i;

	T_CASE("pid reuse by start time");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	for (i = 0; i < 3; i++)
		ev = quark_queue_next(qq);
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	T_EQ_STR(ev->process->exe, "/bin/old");	/* same start: same one */
	T_EQ_INT(ev->process->uid, 9);
	T_EQ_INT(ev->process->entity_id, quark_entity_id(100, 5));
	ev = quark_queue_next(qq);
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	T_CHECK(ev->process->exe == NULL);
	T_CHECK((ev->process->known & (QP_EXE | QP_ARGS | QP_CREDS |
	    QP_PPID)) == 0);
	T_EQ_STR(ev->process->comm, "newbie");
	T_EQ_INT(ev->process->entity_id, quark_entity_id(100, 2 * SEC));
out:
	quark_queue_close(qq);
}

static void
test_threads(void)
{
	const struct raw_event	raws[] = { R_INIT(1), R_FORK(10, 100, 1),
	    { RAW_T(QUARK_EV_FORK, 20, 100, 101), .flags = RAW_F_THREAD,
	    .fork.parent_pid = 100 },
	    { RAW_T(QUARK_EV_EXIT, 30, 100, 101), .flags = RAW_F_THREAD,
	    .task = { .known = QP_EXIT, .exit_code = 4 } },
	    /* The thread execs: the process keeps its pid. */
	    { RAW_T(QUARK_EV_EXEC, 40, 100, 102), .exec.old_pid = 102,
	    .task = { .known = QP_EXE, .exe = "/bin/new" } } };
	const struct quark_event	*ev;
	const struct quark_process	*p;
	struct quark_queue		*qq;

	T_CASE("thread events dropped by default");
	T_EQ_STR(t_run(raws, nitems(raws), 0, NULL), "1:exec 100:fork+exec");
	T_CASE("thread events with QQ_THREADS");
	T_EQ_STR(t_run(raws, nitems(raws), QQ_THREADS, NULL),
	    "1:exec 100:fork+exec 100:fork!T 100:exit!T");
	T_EQ_STR(t_run(raws, nitems(raws), QQ_THREADS | QQ_NO_AGGREGATE, NULL),
	    "1:exec 100:fork 100:fork!T 100:exit!T 100:exec");
	qq = open_steps(raws, nitems(raws), QQ_THREADS, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	quark_queue_next(qq);
	quark_queue_next(qq);
	ev = quark_queue_next(qq);
	T_CHECK(ev != NULL && ev->process->tid == 101 &&
	    (ev->process->known & QP_TID));
	ev = quark_queue_next(qq);
	T_CHECK(ev != NULL && ev->process->tid == 101 &&
	    ev->process->exit_code == 4);
	p = quark_process_lookup(qq, 100);
	T_CHECK(p != NULL && (p->known & (QP_EXIT | QP_TID)) == 0);
	ev = quark_queue_next(qq);
	T_CHECK(ev != NULL);
	if (ev != NULL) {
		T_EQ_INT(ev->process->pid, 100);
		T_EQ_INT(ev->changes[0].old_pid, 102);
		T_EQ_INT(ev->changes[0].tid, 102);
		T_EQ_STR(ev->process->exe, "/bin/new");
	}
	T_CHECK(quark_process_lookup(qq, 102) == NULL);
	quark_queue_close(qq);
}

static void
test_lost(void)
{
	const struct raw_event		 raws[] = { R_INIT(1),
	    R_FORK(10, 100, 1), R_EXEC(20, 100, "/bin/a"),
	    R_EXEC(30, 200, "/bin/b"), R_LOST(35, 12), R_EXIT(40, 100, 0),
	    R_FORK(50, 300, 200), R_FORK(60, 400, 1),
	    R_EXEC(70, 400, "/bin/c") };
	struct quark_queue		*qq;
	struct quark_stats		 st;
	char				 buf[512] = "";

	T_CASE("lost records, stale context");
	/*
	 * 100's exit comes after the loss: an exec of 100 may have been
	 * lost between its exec and its exit, so its record is stale.
	 */
	T_EQ_STR(t_run(raws, nitems(raws), 0, NULL), "1:exec "
	    "100:fork+exec+exit!S 200:exec lost:12 300:fork!S 400:fork+exec");
	qq = t_open(raws, nitems(raws), QQ_NO_AGGREGATE, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	quark_queue_stop(qq);
	t_drain_ready(qq, buf, sizeof(buf));
	T_EQ_STR(buf, "1:exec 100:fork 100:exec 200:exec lost:12 100:exit!S "
	    "300:fork!S 400:fork!S 400:exec");
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.lost, 12);
	quark_queue_close(qq);
}

/* A /proc stand-in for reconcile. */
static struct quark_process *
fake_read(pid_t pid, int flags)
{
	struct quark_process	*p;

	if (pid != 200 && pid != 201) {
		errno = ESRCH;
		return (NULL);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	p->pid = pid;
	p->known = QP_EXE | QP_START | QP_CREDS;
	p->uid = 1234;
	p->start_ns = pid == 200 ? 0 : 3 * SEC;	/* 201: another process */
	p->exe = strdup(pid == 200 ? "/proc/says/b" : "/proc/says/other");
	return (p);
}

static void
test_reconcile(void)
{
	const struct raw_event		 raws[] = {
	    R_EXEC_START(10, 100, "/bin/a", 0),
	    R_EXEC_START(20, 200, "/bin/b", 0),
	    R_EXEC_START(25, 201, "/bin/c", 0), R_LOST(30, 1),
	    R_EXEC_START(40, 300, "/bin/d", 0) };
	const struct quark_process	*p;
	struct quark_queue		*qq;
	struct quark_stats		 st;
	char				 buf[512] = "";

	T_CASE("reconcile after a loss");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	queue_set_reader(qq, fake_read);
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 5);
	T_EQ_STR(buf, "100:exec 200:exec 201:exec lost:1 300:exec");
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.reconciles, 1);
	T_EQ_INT(st.reconcile_evictions, 2);
	p = quark_process_lookup(qq, 200);	/* refreshed, not stale */
	T_EQ_STR(p ? p->exe : NULL, "/proc/says/b");
	T_EQ_INT(p ? p->uid : 0, 0);		/* only exe/args/cwd/comm */
	p = quark_process_lookup(qq, 201);	/* another process now */
	T_EQ_STR(p ? p->exe : NULL, "/proc/says/other");
	T_EQ_INT(p ? p->uid : 0, 1234);
	T_EQ_INT(p ? p->entity_id : 0, quark_entity_id(201, 3 * SEC));
	/* 100 is gone: collected after the grace time. */
	T_CHECK(quark_process_lookup(qq, 100) != NULL);
	t_now = 5 * SEC;
	T_CHECK(quark_queue_next(qq) == NULL);
	T_CHECK(quark_process_lookup(qq, 100) == NULL);
	/* And periodically, every reconcile_ns. */
	t_now = 29 * SEC;
	T_CHECK(quark_queue_next(qq) == NULL);
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.reconciles, 1);
	t_now = 30 * SEC;
	T_CHECK(quark_queue_next(qq) == NULL);
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.reconciles, 2);
	quark_queue_close(qq);
}

/* Records still queued for a pid: reconcile leaves it to them. */
static void
test_reconcile_busy(void)
{
	const struct raw_event	 raws[] = {
	    R_EXEC_START(10, 100, "/bin/a", 0), R_LOST(5, 1) };
	struct quark_queue	*qq;
	struct quark_stats	 st;
	char			 buf[512] = "";

	T_CASE("reconcile skips pids with queued records");
	qq = t_open(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	queue_set_reader(qq, fake_read);	/* 100: ESRCH */
	T_CHECK(quark_queue_next(qq) == NULL);
	t_now = 25 * MS;
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	T_EQ_STR(buf, "lost:1");
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.reconciles, 1);
	T_EQ_INT(st.reconcile_evictions, 0);
	quark_queue_stop(qq);
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	T_EQ_STR(buf, "lost:1 100:exec");
	quark_queue_close(qq);
}

static void
test_iter(void)
{
	const struct raw_event		 raws[] = { R_INIT(1),
	    R_FORK(10, 100, 1), R_FORK(20, 50, 1) };
	const struct quark_process	*p;
	struct quark_process_iter	 it;
	struct quark_queue		*qq;
	pid_t				 pids[8];
	int				 n = 0;

	T_CASE("cache iterator");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	t_drain_ready(qq, (char[256]){ 0 }, 256);
	quark_process_iter_init(&it, qq);
	while ((p = quark_process_iter_next(&it)) != NULL && n < 8)
		pids[n++] = p->pid;
	T_EQ_INT(n, 3);
	T_CHECK(n == 3 && pids[0] == 1 && pids[1] == 50 && pids[2] == 100);
	quark_queue_close(qq);
}

/* The cache alone: exited entries beyond gc_max go before their time. */
static void
test_gc_cap(void)
{
	const struct raw_event	 script[] = { R_FORK(10, 100, 1),
	    R_EXIT(20, 100, 0) };
	struct raw_event	*raw;
	struct cache		 c;
	pid_t			 pid;
	size_t			 i;

	T_CASE("gc cap");
	cache_init(&c, 5 * SEC);
	c.gc_max = 3;
	for (pid = 100; pid < 105; pid++) {
		for (i = 0; i < nitems(script); i++) {
			raw = raw_event_dup(&script[i]);
			raw->pid = raw->tid = pid;
			T_CHECK(cache_apply(&c, raw, 0, 0) != NULL);
			raw_event_free(raw);
		}
	}
	T_EQ_INT(c.size, 5);
	T_EQ_INT(c.ngc, 5);
	cache_gc(&c, 0);
	T_EQ_INT(c.size, 3);
	T_EQ_INT(c.gcs, 2);
	T_CHECK(cache_get(&c, 100) == NULL && cache_get(&c, 101) == NULL);
	T_CHECK(cache_get(&c, 102) != NULL && cache_get(&c, 104) != NULL);
	cache_gc(&c, 5 * SEC);
	T_EQ_INT(c.size, 0);
	T_EQ_INT(c.ngc, 0);
	cache_clear(&c);
}

static int
has_filename(const struct quark_process *p, const char *want)
{
	if (p == NULL)
		return (0);
	if (want == NULL)
		return (p->filename == NULL && !(p->known & QP_FILENAME));
	return (p->filename != NULL && (p->known & QP_FILENAME) &&
	    strcmp(p->filename, want) == 0);
}

static void
test_filename(void)
{
	const struct raw_event		 raws[] = { R_INIT_FN(1),
	    R_FORK(10, 100, 1),
	    R_EXEC_FN(20, 100, "/usr/bin/dash", "/tmp/x.sh", 10),
	    R_EXEC(30, 100, "/bin/noname") };
	const struct quark_event	*ev;
	struct quark_queue		*qq;

	T_CASE("filename: fork inherits, exec replaces");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	ev = quark_queue_next(qq);			/* init's exec */
	T_CHECK(ev != NULL && has_filename(ev->process, "/sbin/init"));
	T_EQ_STR(ev ? ev->process->exe : NULL, "/usr/lib/systemd/systemd");
	ev = quark_queue_next(qq);			/* fork: same image */
	T_CHECK(ev != NULL && has_filename(ev->process, "/sbin/init"));
	ev = quark_queue_next(qq);			/* a script */
	T_CHECK(ev != NULL && has_filename(ev->process, "/tmp/x.sh"));
	T_EQ_STR(ev ? ev->process->exe : NULL, "/usr/bin/dash");
	ev = quark_queue_next(qq);			/* no filename */
	T_CHECK(ev != NULL && has_filename(ev->process, NULL));
	T_EQ_STR(ev ? ev->process->exe : NULL, "/bin/noname");
	T_CHECK(has_filename(quark_process_lookup(qq, 1), "/sbin/init"));
	quark_queue_close(qq);
}

/* Fork and exec in one record: the shortcut that skips the parent's image. */
static void
test_filename_fork_exec(void)
{
	const struct raw_event	raws[] = { R_INIT_FN(1),
	    R_FORK(10, 100, 1), R_EXEC_FN(20, 100, "/usr/bin/dash", "./x.sh", 10),
	    R_FORK(30, 200, 1), R_EXEC(40, 200, "/bin/b") };
	const struct quark_process	*p;
	struct quark_queue		*qq;
	char				 buf[256] = "";

	T_CASE("filename: fork+exec in one record");
	qq = t_open(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	quark_queue_stop(qq);
	t_drain_ready(qq, buf, sizeof(buf));
	T_EQ_STR(buf, "1:exec 100:fork+exec 200:fork+exec");
	T_CHECK(has_filename(quark_process_lookup(qq, 100), "./x.sh"));
	/* Never the parent's filename for an image it did not run. */
	p = quark_process_lookup(qq, 200);
	T_CHECK(has_filename(p, NULL));
	T_EQ_STR(p ? p->exe : NULL, "/bin/b");
	T_CHECK(has_filename(quark_process_lookup(qq, 1), "/sbin/init"));
	quark_queue_close(qq);
}

static void
test_filename_reuse(void)
{
	const struct raw_event		 raws[] = { R_INIT_FN(1),
	    R_EXEC_FN(2, 50, "/bin/dash", "sh", 0),
	    R_FORK(10, 100, 1), R_EXEC_FN(15, 100, "/bin/old", "./old", 10),
	    R_EXIT(20, 100, 7), R_FORK(30, 100, 50),
	    R_EXEC_FN(40, 300, "/bin/a", "./a", 5),
	    { RAW(QUARK_EV_COMM, 50, 300), .comm.comm = "newbie",
	    .task = { .known = QP_START, .start_ns = 2 * SEC } } };
	const struct quark_event	*ev = NULL;
	struct quark_queue		*qq;
	int				 i;

	T_CASE("filename: pid reuse");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	for (i = 0; i < 5; i++)
		ev = quark_queue_next(qq);
	T_CHECK(ev != NULL && has_filename(ev->process, "./old"));
	ev = quark_queue_next(qq);		/* a new fork on pid 100 */
	T_CHECK(ev != NULL && has_filename(ev->process, "sh"));
	ev = quark_queue_next(qq);
	T_CHECK(ev != NULL && has_filename(ev->process, "./a"));
	ev = quark_queue_next(qq);		/* another start time */
	T_CHECK(ev != NULL && has_filename(ev->process, NULL));
	T_EQ_STR(ev ? ev->process->comm : NULL, "newbie");
	quark_queue_close(qq);
}

/* /proc for the filename's reconcile: exe as the pid says. */
static struct quark_process *
fake_read_fn(pid_t pid, int flags)
{
	struct quark_process	*p;

	if (pid < 500 || pid > 503) {
		errno = ESRCH;
		return (NULL);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	p->pid = pid;
	p->known = QP_START;
	p->start_ns = pid == 503 ? 3 * SEC : 0;	/* 503: another process */
	if (pid == 502)		/* exe unreadable: the image is as it was */
		return (p);
	p->known |= QP_EXE;
	p->exe = strdup(pid == 501 ? "/bin/changed" : "/bin/same");
	return (p);
}

static void
test_filename_reconcile(void)
{
	const struct raw_event		 raws[] = {
	    R_EXEC_FN(10, 500, "/bin/same", "./same", 0),
	    R_EXEC_FN(11, 501, "/bin/old", "./old", 0),
	    R_EXEC_FN(12, 502, "/bin/x", "x", 0),
	    R_EXEC_FN(13, 503, "/bin/same", "./same", 0), R_LOST(30, 1),
	    R_EXEC_FN(40, 600, "/bin/d", "d", 0) };
	const struct quark_process	*p;
	struct quark_queue		*qq;
	struct quark_stats		 st;
	char				 buf[512] = "";

	T_CASE("filename: reconcile never invents one");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	queue_set_reader(qq, fake_read_fn);
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 6);
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.reconciles, 1);
	/* Same exe: the filename can still be this image's. */
	T_CHECK(has_filename(quark_process_lookup(qq, 500), "./same"));
	/* Another exe: an exec was missed, its filename is unknown. */
	p = quark_process_lookup(qq, 501);
	T_EQ_STR(p ? p->exe : NULL, "/bin/changed");
	T_CHECK(has_filename(p, NULL));
	/* No exe from /proc: nothing of the image changes. */
	p = quark_process_lookup(qq, 502);
	T_EQ_STR(p ? p->exe : NULL, "/bin/x");
	T_CHECK(has_filename(p, "x"));
	/* Another process on the pid, same exe: /proc has no filename. */
	p = quark_process_lookup(qq, 503);
	T_EQ_INT(p ? p->entity_id : 0, quark_entity_id(503, 3 * SEC));
	T_CHECK(has_filename(p, NULL));
	quark_queue_close(qq);
}

/*
 * An event whose outcome its raw event does not say (the proc connector's
 * setuid whose process was gone before /proc was read: issue 9's dropids
 * record, which kept uid 0 after a setuid to 65534) leaves what it may
 * have changed unknown, never the value before; what it cannot change
 * stays.
 */
static void
test_changes_unknown(void)
{
	const uint64_t			 ids = QP_CREDS | QP_FSCREDS;
	const struct raw_event		 raws[] = {
	    { RAW(QUARK_EV_EXEC, 1, 100), .task = { .known = QP_EXE |
	    QP_COMM | ids | QP_CAPS | QP_TTY | QP_PGID_SID | QP_LOGINUID,
	    .exe = "/bin/dropids", .comm = "dropids", .tty_major = 136,
	    .tty_minor = 3, .pgid = 50, .sid = 50, .loginuid = 1000,
	    .cap = { 1, 2, 3, 4, 5 } } },
	    /* setgid, its ids unknown: every id (one bit), not the caps */
	    { RAW(QUARK_EV_SETGID, 2, 100), .task = { .gid = 65534,
	    .egid = 65534 } },
	    /* setuid with all ids (eBPF): ids known, caps not said: unknown */
	    { RAW(QUARK_EV_SETUID, 3, 100), .task = { .known = ids,
	    .uid = 7, .euid = 7, .suid = 7, .fsuid = 7 } },
	    /* setuid, its ids unknown: the ids before are not kept */
	    { RAW(QUARK_EV_SETUID, 4, 100), .task = { .uid = 65534,
	    .euid = 65534 } },
	    /* setsid, only the session said: the old tty is not kept */
	    R_SETSID(5, 100),
	    /* a rename whose name is not said: the old name is not kept */
	    { RAW(QUARK_EV_COMM, 6, 100) },
	    /* an eBPF setuid: ids and caps known */
	    { RAW(QUARK_EV_SETUID, 7, 100), .task = { .known = ids | QP_CAPS,
	    .uid = 9, .euid = 9, .suid = 9, .fsuid = 9, .cap = { 0, 0 } } } };
	const struct quark_event	*ev;
	const struct quark_process	*p;
	struct quark_queue		*qq;

	T_CASE("an event's outcome not said: unknown after it, not the old value");
	qq = open_steps(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	ev = quark_queue_next(qq);		/* exec */
	T_CHECK(ev != NULL && (ev->process->known & ids) == ids);
	ev = quark_queue_next(qq);		/* setgid, ids unknown */
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	p = ev->process;
	T_EQ_INT(p->known & ids, 0);
	T_CHECK(p->known & QP_CAPS);
	T_CHECK((p->known & (QP_EXE | QP_COMM | QP_TTY | QP_LOGINUID)) ==
	    (QP_EXE | QP_COMM | QP_TTY | QP_LOGINUID));
	ev = quark_queue_next(qq);		/* setuid, ids known */
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	p = ev->process;
	T_CHECK((p->known & ids) == ids && p->uid == 7 && p->fsuid == 7);
	T_EQ_INT(p->known & QP_CAPS, 0);
	ev = quark_queue_next(qq);		/* setuid, ids unknown */
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	p = ev->process;
	T_EQ_INT(p->known & (ids | QP_CAPS), 0);
	T_EQ_STR(p->exe, "/bin/dropids");
	ev = quark_queue_next(qq);		/* setsid */
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	p = ev->process;
	T_CHECK((p->known & QP_PGID_SID) && p->sid == 100 && p->pgid == 100);
	T_EQ_INT(p->known & QP_TTY, 0);
	T_CHECK((p->known & QP_LOGINUID) && p->loginuid == 1000);
	ev = quark_queue_next(qq);		/* comm, name unknown */
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	T_EQ_INT(ev->process->known & QP_COMM, 0);
	ev = quark_queue_next(qq);		/* eBPF setuid */
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	p = ev->process;
	T_CHECK((p->known & (ids | QP_CAPS)) == (ids | QP_CAPS));
	T_EQ_INT(p->uid, 9);
out:
	quark_queue_close(qq);
}

/*
 * The same through aggregation: the dropids record (fork, exec, setgid,
 * setuid, exit) whose setuid's ids are unknown has no uid at all.
 */
static void
test_changes_unknown_record(void)
{
	const struct raw_event		 raws[] = { R_INIT(1),
	    R_FORK(10, 100, 1),
	    { RAW(QUARK_EV_EXEC, 20, 100), .task = { .known = QP_EXE |
	    QP_CREDS | QP_FSCREDS, .exe = "/bin/dropids" } },
	    { RAW(QUARK_EV_SETGID, 30, 100), .task = { .known = QP_CREDS |
	    QP_FSCREDS, .gid = 65534, .egid = 65534, .sgid = 65534,
	    .fsgid = 65534 } },
	    /* the proc connector's: real and effective uid, nothing else */
	    { RAW(QUARK_EV_SETUID, 40, 100), .flags = RAW_F_IDS,
	    .task = { .uid = 65534, .euid = 65534 } },
	    R_EXIT(50, 100, 0) };
	const struct quark_change	*ch;
	const struct quark_event	*ev;
	struct quark_queue		*qq;

	T_CASE("an aggregated setuid whose ids are unknown: no uid 0");
	T_EQ_STR(t_run(raws, nitems(raws), 0, NULL),
	    "1:exec 100:fork+exec+setgid+setuid+exit");
	qq = t_open(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	quark_queue_stop(qq);
	while ((ev = quark_queue_next(qq)) != NULL)
		if (ev->process != NULL && ev->process->pid == 100)
			break;
	T_CHECK(ev != NULL);
	if (ev == NULL)
		goto out;
	T_EQ_INT(ev->process->known & (QP_CREDS | QP_FSCREDS), 0);
	T_CASE("its changes show the ids the kernel said, no others");
	T_EQ_INT(ev->nchanges, 5);
	ch = &ev->changes[2];			/* setgid: all said */
	T_EQ_INT(ch->type, QUARK_EV_SETGID);
	T_EQ_INT(ch->known, QUARK_CHK_IDS | QUARK_CHK_SAVED | QUARK_CHK_FS);
	T_EQ_INT(ch->sgid, 65534);
	ch = &ev->changes[3];			/* setuid: real, effective */
	T_EQ_INT(ch->type, QUARK_EV_SETUID);
	T_EQ_INT(ch->known, QUARK_CHK_IDS);
	T_EQ_INT(ch->uid, 65534);
	T_EQ_INT(ch->euid, 65534);
out:
	quark_queue_close(qq);
}

int
main(void)
{
	test_fork_exec();
	test_grace();
	test_grace_grouped();
	test_reuse_fork();
	test_reuse_start();
	test_threads();
	test_lost();
	test_reconcile();
	test_reconcile_busy();
	test_iter();
	test_gc_cap();
	test_filename();
	test_filename_fork_exec();
	test_filename_reuse();
	test_filename_reconcile();
	test_changes_unknown();
	test_changes_unknown_record();
	return (t_done_named("t_cache"));
}
