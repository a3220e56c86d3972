/*
 * t_fields.c - the cache's rules that keep every field true or absent
 * (issue 9): what an exec may change is never inherited past it, moments
 * are never carried forward.
 */
#include <errno.h>

#include "engine_test.h"

/* pid 1, everything an exec may change known. */
#define R_PARENT(t) \
	{ RAW(QUARK_EV_EXEC, t, 1), .task = { .known = QP_EXE | QP_ARGS | \
	QP_CWD | QP_CREDS | QP_FSCREDS | QP_CAPS | QP_COMM | QP_FILENAME | \
	QP_PGID_SID | QP_START, .exe = "/bin/sh", .filename = "/bin/sh", \
	.args = "sh", .args_len = 3, .args_total = 3, .argc = 1, \
	.cwd = "/root", .comm = "sh", .start_ns = 0, .cap = { 0, ~0ULL, \
	~0ULL, ~0ULL, 0 }, .pgid = 1, .sid = 1 } }

static const struct quark_process *
next_process(struct quark_queue *qq)
{
	const struct quark_event	*ev;

	while ((ev = quark_queue_next(qq)) != NULL)
		if (ev->kind == QUARK_EVENT_PROCESS)
			return (ev->process);
	return (NULL);
}

static void
test_exec_unread(void)
{
	/*
	 * The proc connector's exec of a process gone before /proc was
	 * read: the raw event says nothing of the new image.
	 */
	const struct raw_event		 raws[] = { R_PARENT(1),
	    R_FORK(10, 100, 1), { RAW(QUARK_EV_EXEC, 20, 100) },
	    R_EXIT(30, 100, 0) };
	const uint64_t			 changes = QP_COMM | QP_EXE |
	    QP_FILENAME | QP_ARGS | QP_CWD | QP_CREDS | QP_FSCREDS | QP_CAPS;
	const struct quark_process	*p;
	struct quark_queue		*qq;

	T_CASE("an exec that says nothing: what it may change is absent");
	qq = t_open(raws, nitems(raws), QQ_NO_AGGREGATE, NULL);
	if (!T_CHECK(qq != NULL))
		return;
	quark_queue_stop(qq);
	p = next_process(qq);				/* 1: exec */
	p = next_process(qq);				/* 100: fork */
	T_CHECK(p != NULL && (p->known & changes) == changes);
	T_EQ_STR(p ? p->comm : NULL, "sh");
	/* At the fork, the parent's process group is the child's. */
	T_CHECK(p != NULL && (p->known & QP_PGID_SID) && p->pgid == 1);
	p = next_process(qq);				/* 100: exec */
	T_CHECK(p != NULL && (p->known & changes) == 0);
	T_CHECK(p != NULL && p->exe == NULL && p->args == NULL &&
	    p->cwd == NULL && p->filename == NULL);
	/*
	 * What changes with no event (setpgid, unshare, a cgroup move, ...)
	 * is read anew at an exec: unsaid, it is absent, never the fork's
	 * copy of the parent's.  The parent pid is the process's still.
	 */
	T_CHECK(p != NULL && (p->known & (QP_PGID_SID | QP_TTY | QP_NS |
	    QP_CGROUP | QP_CONTAINER | QP_LOGINUID)) == 0);
	T_CHECK(p != NULL && (p->known & QP_PPID));
	p = next_process(qq);				/* 100: exit */
	T_CHECK(p != NULL && (p->known & changes) == 0);
	T_CHECK(p != NULL && (p->known & QP_EXIT));
	/* The parent keeps its own. */
	p = quark_process_lookup(qq, 1);
	T_CHECK(p != NULL && (p->known & changes) == changes);
	quark_queue_close(qq);

	T_CASE("an exec that says some: those, and only those");
	{
		const struct raw_event	 raws2[] = { R_PARENT(1),
		    R_FORK(10, 100, 1), { RAW(QUARK_EV_EXEC, 20, 100),
		    .task = { .known = QP_CREDS | QP_COMM, .uid = 65534,
		    .euid = 65534, .suid = 65534, .comm = "setuid-prog" } } };

		qq = t_open(raws2, nitems(raws2), 0, NULL);
		if (!T_CHECK(qq != NULL))
			return;
		quark_queue_stop(qq);
		p = next_process(qq);			/* 1 */
		p = next_process(qq);			/* 100: fork+exec */
		T_CHECK(p != NULL && (p->known & (QP_CREDS | QP_COMM)) ==
		    (QP_CREDS | QP_COMM));
		T_EQ_INT(p ? p->euid : 0, 65534);
		T_EQ_STR(p ? p->comm : NULL, "setuid-prog");
		T_CHECK(p != NULL && (p->known & (QP_FSCREDS | QP_CAPS |
		    QP_EXE | QP_CWD)) == 0);
		quark_queue_close(qq);
	}
}

/* A /proc stand-in: pid 200 is running, in state R with 3 threads. */
static struct quark_process *
read_moment(pid_t pid, int flags)
{
	struct quark_process	*p;

	if (pid != 200) {
		errno = ESRCH;
		return (NULL);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	p->pid = pid;
	p->known = QP_EXE | QP_START | QP_STATE | QP_NTHREADS;
	p->start_ns = 3 * NS_PER_SEC;
	p->state = 'R';
	p->nthreads = 3;
	p->exe = strdup("/bin/busy");
	return (p);
}

static void
test_moments(void)
{
	const struct raw_event		 raws[] = {
	    { RAW(QUARK_EV_EXEC, 10, 200), .task = { .known = QP_EXE |
	    QP_START, .exe = "/bin/old", .start_ns = 0 } }, R_LOST(20, 1),
	    /* The proc connector's exec reads /proc: threads of then. */
	    { RAW(QUARK_EV_EXEC, 50, 300), .task = { .known = QP_EXE |
	    QP_NTHREADS | QP_STATE, .exe = "/bin/x", .nthreads = 2,
	    .state = 'S' } }, R_EXIT(60, 300, 0) };
	const struct quark_process	*p;
	struct quark_queue		*qq;
	struct cache			 c;
	struct quark_process		*seed;

	T_CASE("moments: never kept by the cache");
	cache_init(&c, NS_PER_SEC);
	seed = calloc(1, sizeof(*seed));
	if (!T_CHECK(seed != NULL))
		return;
	seed->pid = 42;
	seed->known = QP_STATE | QP_NTHREADS | QP_COMM;
	seed->state = 'S';
	seed->nthreads = 4;
	T_CHECK(cache_seed(&c, seed) == 0);
	T_CHECK(cache_get(&c, 42) != NULL &&
	    (cache_get(&c, 42)->p.known & (QP_STATE | QP_NTHREADS)) == 0);
	T_CHECK(cache_get(&c, 42) != NULL &&
	    (cache_get(&c, 42)->p.known & QP_COMM));
	cache_clear(&c);

	T_CASE("moments: not from reconcile, not from a raw event");
	qq = t_open(raws, nitems(raws), QQ_NO_AGGREGATE, NULL);
	if (!T_CHECK(qq != NULL))
		return;
	queue_set_reader(qq, read_moment);
	quark_queue_stop(qq);
	while ((p = next_process(qq)) != NULL)
		T_CHECK((p->known & (QP_STATE | QP_NTHREADS)) == 0);
	/* Another process on 200 since, taken whole from /proc... */
	p = quark_process_lookup(qq, 200);
	T_EQ_STR(p ? p->exe : NULL, "/bin/busy");
	/* ...but for its moments. */
	T_CHECK(p != NULL && (p->known & (QP_STATE | QP_NTHREADS)) == 0);
	quark_queue_close(qq);
}

/* A fork of pid p from 1 that the kernel stamped start_raw (ns). */
#define R_FORK_AT(t, p, start_raw) \
	{ RAW(QUARK_EV_FORK, t, p), .fork.parent_pid = 1, .task = { \
	.known = QP_START, .start_ns = (start_raw) - (start_raw) % (10 * MS), \
	.start_ns_raw = (start_raw) } }
#define R_EXIT_AT(t, p, start_raw) \
	{ RAW(QUARK_EV_EXIT, t, p), .flags = RAW_F_GROUP_DEAD, .task = { \
	.known = QP_EXIT | QP_START, .exit_ns = (t), \
	.start_ns = (start_raw) - (start_raw) % (10 * MS), \
	.start_ns_raw = (start_raw) } }

/* A /proc stand-in: pid 100 started in the tick of 7 s (ticks only). */
static struct quark_process *
read_tick(pid_t pid, int flags)
{
	struct quark_process	*p;

	if (pid != 100) {
		errno = ESRCH;
		return (NULL);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	p->pid = pid;
	p->known = QP_START;
	p->start_ns = 7 * NS_PER_SEC;
	return (p);
}

static void
test_entity_id(void)
{
	/* Three processes on pid 100 in the tick of 1 s, one in another. */
	const struct raw_event		 raws[] = {
	    R_FORK_AT(1 * NS_PER_SEC + 1000, 100, 1 * NS_PER_SEC + 1000),
	    R_EXIT_AT(1 * NS_PER_SEC + 2000, 100, 1 * NS_PER_SEC + 1000),
	    R_FORK_AT(1 * NS_PER_SEC + 3000, 100, 1 * NS_PER_SEC + 3000),
	    R_EXIT_AT(1 * NS_PER_SEC + 4000, 100, 1 * NS_PER_SEC + 3000),
	    /* the third one's fork was lost: its exit says who it is */
	    R_EXIT_AT(1 * NS_PER_SEC + 6000, 100, 1 * NS_PER_SEC + 5000),
	    R_FORK_AT(2 * NS_PER_SEC, 100, 2 * NS_PER_SEC),
	    R_EXIT_AT(2 * NS_PER_SEC + 10, 100, 2 * NS_PER_SEC) };
	const struct quark_process	*p;
	struct quark_queue		*qq;
	uint64_t			 id[8];
	int				 n = 0, i, j;

	T_CASE("entity_id: one per process, even in one clock tick");
	qq = t_open(raws, nitems(raws), QQ_NO_AGGREGATE, NULL);
	if (!T_CHECK(qq != NULL))
		return;
	quark_queue_stop(qq);
	while ((p = next_process(qq)) != NULL && n < 8)
		id[n++] = p->entity_id;
	quark_queue_close(qq);
	T_EQ_INT(n, 7);
	if (n != 7)
		return;
	/* fork and exit of one process: one id */
	T_CHECK(id[0] == id[1] && id[2] == id[3] && id[5] == id[6]);
	/* the first is the id /proc readers compute; the others are new */
	T_CHECK(id[0] == quark_entity_id(100, 1 * NS_PER_SEC));
	T_CHECK(id[5] == quark_entity_id(100, 2 * NS_PER_SEC));
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			if (i / 2 != j / 2 || i == 4 || j == 4)
				T_CHECK(id[i] != id[j]);

	T_CASE("entity_id: a process learned from /proc keeps its id "
	    "when the kernel says its start in ns");
	{
		const struct raw_event	 raws2[] = {
		    R_EXIT_AT(1 * NS_PER_SEC, 100, 1 * NS_PER_SEC),
		    R_LOST(2 * NS_PER_SEC, 1),
		    R_EXIT_AT(8 * NS_PER_SEC, 100, 7 * NS_PER_SEC + 4321) };

		qq = t_open(raws2, nitems(raws2), QQ_NO_AGGREGATE, NULL);
		if (!T_CHECK(qq != NULL))
			return;
		queue_set_reader(qq, read_tick);
		quark_queue_stop(qq);
		n = 0;
		while ((p = next_process(qq)) != NULL && n < 8)
			id[n++] = p->entity_id;
		quark_queue_close(qq);
		T_EQ_INT(n, 2);
		T_CHECK(n == 2 && id[1] == quark_entity_id(100, 7 * NS_PER_SEC));
	}
}

/* /proc stand-ins for the reconcile after a loss. */
static int
list_three(pid_t **pids, size_t *n)
{
	if ((*pids = calloc(3, sizeof(**pids))) == NULL)
		return (-1);
	(*pids)[0] = 100;	/* known */
	(*pids)[1] = 200;	/* alive, its fork and exec were lost */
	(*pids)[2] = 300;	/* gone by the time it is read */
	*n = 3;
	return (0);
}

static struct quark_process *
read_sh(pid_t pid, int flags)
{
	struct quark_process	*p;

	if (pid != 100 && pid != 200) {
		errno = ESRCH;
		return (NULL);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	p->pid = pid;
	p->known = QP_EXE | QP_ARGS | QP_START | QP_PPID;
	p->ppid = 1;
	p->start_ns = 0;
	p->exe = strdup(pid == 100 ? "/bin/a" : "/usr/bin/dash");
	p->args = malloc(3);
	memcpy(p->args, "sh", 3);
	p->args_len = 3;
	p->args_total = 3;
	p->argc = 1;
	return (p);
}

static void
test_adopt(void)
{
	const struct raw_event		 raws[] = {
	    { RAW(QUARK_EV_EXEC, 10, 100), .task = { .known = QP_EXE |
	    QP_START, .exe = "/bin/a", .start_ns = 0 } }, R_LOST(20, 50),
	    R_FORK(40, 400, 200), R_EXIT(50, 400, 0), R_EXIT(60, 200, 5) };
	const struct quark_event	*ev;
	struct quark_queue		*qq;
	int				 n = 0;

	T_CASE("after a loss, the live processes the cache did not know");
	qq = t_open(raws, nitems(raws), QQ_NO_AGGREGATE, NULL);
	if (!T_CHECK(qq != NULL))
		return;
	queue_set_reader(qq, read_sh);
	queue_set_lister(qq, list_three);
	quark_queue_stop(qq);
	while ((ev = quark_queue_next(qq)) != NULL) {
		if (ev->kind != QUARK_EVENT_PROCESS ||
		    ev->process->pid == 100)
			continue;
		n++;
		/* Learned after the gap: not stale. */
		T_CHECK((ev->flags & QUARK_EVF_STALE) == 0);
		/* Marked when its start was not seen: not its child. */
		T_EQ_INT(!!(ev->flags & QUARK_EVF_FROM_PROC),
		    ev->process->pid == 200);
		if (ev->process->pid == 400) {
			T_CHECK(ev->parent != NULL && ev->parent->pid == 200);
			T_EQ_STR(ev->parent ? ev->parent->exe : NULL,
			    "/usr/bin/dash");
			/* the child of a process learned from /proc */
			T_EQ_STR(ev->process->exe, "/usr/bin/dash");
		} else {
			T_EQ_STR(ev->process->exe, "/usr/bin/dash");
			T_CHECK(ev->process->args != NULL &&
			    strcmp(ev->process->args, "sh") == 0);
			T_EQ_INT(ev->process->exit_code, 5);
		}
	}
	T_EQ_INT(n, 3);
	T_CHECK(quark_process_lookup(qq, 300) == NULL);
	quark_queue_close(qq);
}

int
main(void)
{
	test_adopt();
	test_exec_unread();
	test_moments();
	test_entity_id();
	return (t_done_named("t_fields"));
}
