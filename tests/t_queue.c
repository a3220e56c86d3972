/*
 * t_queue.c - the public queue API: attributes, open errors, stats, lost
 * records, stop and drain, timeouts, close with records held.
 */
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "engine_test.h"

static void
test_default_attr(void)
{
	struct quark_queue_attr	a;

	T_CASE("default attr");
	memset(&a, 0xff, sizeof(a));
	quark_queue_default_attr(&a);
	T_EQ_INT(a.flags, 0);
	T_EQ_INT(a.backend, QUARK_BACKEND_AUTO);
	T_EQ_INT(a.max_length, 10000);
	T_EQ_INT(a.hold_max_ns, 1000 * MS);
	T_EQ_INT(a.hold_min_ns, 1 * MS);
	T_EQ_INT(a.reorder_ns, 25 * MS);
	T_EQ_INT(a.grace_ns, 5 * NS_PER_SEC);
	T_EQ_INT(a.reconcile_ns, 30 * NS_PER_SEC);
	T_EQ_INT(a.ring_bytes, 8 << 20);
	T_EQ_INT(a.argv_cap, 32 << 10);
}

static void
test_open_errors(void)
{
	struct quark_queue_attr	a;

	T_CASE("open errors");
	quark_queue_default_attr(&a);
	a.flags = QQ_NO_SCRAPE;
	a.backend = 99;
	errno = 0;
	T_CHECK(quark_queue_open(&a) == NULL);
	T_EQ_INT(errno, EINVAL);
	a.backend = QUARK_BACKEND_FAKE;
	a.max_length = 0;
	errno = 0;
	T_CHECK(queue_open_test(&a, NULL) == NULL);
	T_EQ_INT(errno, EINVAL);
	a.max_length = 10;
	a.hold_min_ns = a.hold_max_ns + 1;
	errno = 0;
	T_CHECK(queue_open_test(&a, NULL) == NULL);
	T_EQ_INT(errno, EINVAL);
	quark_queue_default_attr(&a);
	a.flags = QQ_NO_SCRAPE;
	a.backend = QUARK_BACKEND_FAKE;
	errno = 0;
	/* and no events */
	T_CHECK(queue_open_test(&a, &(struct queue_test){ NULL, NULL, 3 }) ==
	    NULL);
	T_EQ_INT(errno, EINVAL);
	T_CASE("the fake backend is not the public API's");
	errno = 0;
	T_CHECK(quark_queue_open(&a) == NULL);
	T_EQ_INT(errno, EINVAL);
}

/* Backends for the AUTO policy: open fails with fail_errno[which]. */
static int	auto_errno[2];
static int	auto_tried[2];

static int
auto_open(int which, void **state)
{
	auto_tried[which]++;
	if (auto_errno[which] != 0) {
		errno = auto_errno[which];
		return (-1);
	}
	*state = &auto_tried[which];
	return (0);
}

static int
auto_open0(struct quark_queue *qq, const struct quark_queue_attr *a,
    void **state)
{
	return (auto_open(0, state));
}

static int
auto_open1(struct quark_queue *qq, const struct quark_queue_attr *a,
    void **state)
{
	return (auto_open(1, state));
}

static int
auto_poll(struct quark_queue *qq, void *state, int budget)
{
	return (0);
}

static int
auto_fd(void *state)
{
	return (-1);
}

static int
auto_stats(void *state, struct quark_backend_stats *st)
{
	return (0);
}

static void
auto_close(void *state)
{
}

static const struct quark_backend_ops auto_first = {
	"first", auto_open0, auto_poll, auto_fd, auto_stats, auto_close
};
static const struct quark_backend_ops auto_second = {
	"second", auto_open1, auto_poll, auto_fd, auto_stats, auto_close
};

/* A kernel where everything works; cases change one facility. */
static struct quark_probe	probe_case;

static void
probe_all_ok(struct quark_probe *p)
{
	int	i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < PROBE_COUNT; i++) {
		p->state[i] = PROBE_OK;
		snprintf(p->why[i], sizeof(p->why[i]), "why %d", i);
	}
	p->privileged = 1;
	p->kprobe_events = 1;
}

static void
probe_injected(struct quark_probe *p)
{
	*p = probe_case;
}

/* The ladder's backends, faked under their own names; open never fails. */
static int	ladder_tried[3];

static int
ladder_open(int which, void **state)
{
	ladder_tried[which]++;
	*state = &ladder_tried[which];
	return (0);
}

static int
ladder_open0(struct quark_queue *qq, const struct quark_queue_attr *a,
    void **state)
{
	return (ladder_open(0, state));
}

static int
ladder_open1(struct quark_queue *qq, const struct quark_queue_attr *a,
    void **state)
{
	return (ladder_open(1, state));
}

static int
ladder_open2(struct quark_queue *qq, const struct quark_queue_attr *a,
    void **state)
{
	return (ladder_open(2, state));
}

static const struct quark_backend_ops ladder_ebpf = {
	"ebpf", ladder_open0, auto_poll, auto_fd, auto_stats, auto_close
};
static const struct quark_backend_ops ladder_kprobe = {
	"kprobe", ladder_open1, auto_poll, auto_fd, auto_stats, auto_close
};
static const struct quark_backend_ops ladder_netlink = {
	"netlink", ladder_open2, auto_poll, auto_fd, auto_stats, auto_close
};

/*
 * `quark btf`'s verdict and watch's AUTO choice, under injected probe
 * failures: the same backend, a rung the probe rules out is never
 * opened, and quark_queue_why() says why each rung above the chosen one
 * was passed over.  The backends open whenever they are tried: the probe
 * alone decides.
 */
static void
test_auto_verdict(void)
{
	static const struct quark_backend_ops *const order[] = {
		&ladder_ebpf, &ladder_kprobe, &ladder_netlink
	};
	static const struct {
		const char	*name;
		int		 priv, f1, s1, f2, s2;
		const char	*want;		/* the verdict's backend */
	} c[] = {
		{ "everything works", 1, -1, 0, -1, 0, "ebpf" },
		{ "not root", 0, -1, 0, -1, 0, "none" },
		{ "no BTF", 1, PROBE_BTF, PROBE_ABSENT, -1, 0, "netlink" },
		{ "no ring buffer", 1, PROBE_RINGBUF, PROBE_ABSENT, -1, 0,
		  "kprobe" },
		{ "no ring buffer, no kprobes", 1, PROBE_RINGBUF, PROBE_ABSENT,
		  PROBE_KPROBE, PROBE_ABSENT, "netlink" },
		{ "bpf(2) refused, no perf", 1, PROBE_BPF_SYSCALL,
		  PROBE_UNUSABLE, PROBE_PERF_TP, PROBE_UNUSABLE, "netlink" },
		{ "no sched tracepoints", 1, PROBE_SCHED_TP, PROBE_ABSENT,
		  -1, 0, "kprobe" },
		{ "no hook programs", 1, PROBE_TP_BTF, PROBE_ABSENT,
		  PROBE_RAW_TP, PROBE_UNUSABLE, "kprobe" },
		{ "raw_tp only", 1, PROBE_TP_BTF, PROBE_UNUSABLE, -1, 0,
		  "ebpf" },
		{ "lockdown: the object is refused", 1, PROBE_BPF_OBJECT,
		  PROBE_UNUSABLE, -1, 0, "kprobe" },
		{ "lockdown, no kprobes", 1, PROBE_BPF_OBJECT,
		  PROBE_UNUSABLE, PROBE_KPROBE, PROBE_UNUSABLE, "netlink" },
		{ "object not probed", 1, PROBE_BPF_OBJECT, PROBE_UNKNOWN,
		  -1, 0, "ebpf" },
		{ "no BTF, no connector", 1, PROBE_BTF, PROBE_ABSENT,
		  PROBE_PROC_CONNECTOR, PROBE_ABSENT, "none" },
	};
	struct quark_queue_attr	 a;
	struct quark_queue	*qq;
	struct quark_stats	 st;
	struct probe_verdict	 v;
	const char		*got;
	size_t			 i;

	queue_set_auto(order, nitems(order));
	queue_set_probe(probe_injected);
	for (i = 0; i < nitems(c); i++) {
		T_CASE(c[i].name);
		probe_all_ok(&probe_case);
		probe_case.privileged = c[i].priv;
		if (c[i].f1 != -1)
			probe_case.state[c[i].f1] = c[i].s1;
		if (c[i].f2 != -1)
			probe_case.state[c[i].f2] = c[i].s2;
		probe_verdict(&probe_case, &v);
		T_EQ_STR(v.backend, c[i].want);
		quark_queue_default_attr(&a);
		a.flags = QQ_NO_SCRAPE;
		memset(ladder_tried, 0, sizeof(ladder_tried));
		errno = 0;
		qq = quark_queue_open(&a);
		got = "none";
		if (qq != NULL) {
			quark_queue_stats(qq, &st);
			got = st.backend;
		}
		T_EQ_STR(got, v.backend);
		/* Only the chosen rung was opened. */
		T_EQ_INT(ladder_tried[0] + ladder_tried[1] + ladder_tried[2],
		    qq != NULL);
		if (qq != NULL && strcmp(got, "ebpf") == 0)
			T_EQ_STR(quark_queue_why(), "");
		if (qq != NULL && strcmp(got, "ebpf") != 0)
			T_CHECK(strncmp(quark_queue_why(), "ebpf: ", 6) == 0);
		if (qq != NULL && strcmp(got, "netlink") == 0)
			T_CHECK(strstr(quark_queue_why(), "; kprobe: ") != NULL);
		if (qq == NULL && !c[i].priv)
			T_EQ_INT(errno, EPERM);
		quark_queue_close(qq);
	}

	T_CASE("the probe lets eBPF through, its open fails: fall back, say why");
	queue_set_auto((const struct quark_backend_ops *const []){
	    &auto_first, &auto_second }, 2);
	probe_all_ok(&probe_case);
	auto_errno[0] = EOPNOTSUPP;
	auto_errno[1] = 0;
	auto_tried[0] = auto_tried[1] = 0;
	quark_queue_default_attr(&a);
	a.flags = QQ_NO_SCRAPE;
	qq = quark_queue_open(&a);
	if (T_CHECK(qq != NULL)) {
		quark_queue_stats(qq, &st);
		T_EQ_STR(st.backend, "second");
		T_EQ_STR(quark_queue_why(), "first: Operation not supported");
	}
	quark_queue_close(qq);
	auto_errno[0] = 0;
	queue_set_auto(NULL, 0);
	queue_set_probe(NULL);
}

/*
 * AUTO: the next backend is tried unless the failure means "not allowed"
 * (EPERM, EACCES) to a user who is not root; as root, "not allowed" is a
 * policy against that backend's interface (seccomp on bpf(2)) and the
 * next is tried.  Stats name the one in use; quark_queue_why() says why
 * the ones before failed.
 */
static void
test_auto(void)
{
	static const struct quark_backend_ops *const order[] = {
		&auto_first, &auto_second
	};
	static const struct {
		const char	*name;
		int		 root, e0, e1;
		const char	*backend;	/* NULL: open fails */
		int		 err, tried1;
		const char	*why;
	} c[] = {
		{ "first opens", 0, 0, 0, "first", 0, 0, "" },
		{ "kernel cannot: fall back", 0, ENOSYS, 0, "second", 0, 1,
		  "first: Function not implemented" },
		{ "no BTF: fall back", 0, ENOENT, 0, "second", 0, 1,
		  "first: No such file or directory" },
		{ "not root: no fallback", 0, EPERM, 0, NULL, EPERM, 0,
		  "first: Operation not permitted" },
		{ "EACCES: no fallback", 0, EACCES, 0, NULL, EACCES, 0, NULL },
		{ "both fail: the first's errno", 0, ENOSYS, EPROTONOSUPPORT,
		  NULL, ENOSYS, 1, "first: Function not implemented; "
		  "second: Protocol not supported" },
		{ "second not allowed: that errno", 0, ENOSYS, EPERM, NULL,
		  EPERM, 1, NULL },
		{ "root, first refused by policy: fall back", 1, EPERM, 0,
		  "second", 0, 1, "first: Operation not permitted" },
		{ "root, EACCES: fall back", 1, EACCES, 0, "second", 0, 1,
		  NULL },
		{ "root, both refused: the first's errno", 1, EPERM, EACCES,
		  NULL, EPERM, 1, NULL },
	};
	struct quark_queue_attr	 a;
	struct quark_queue	*qq;
	struct quark_stats	 st;
	size_t			 i;

	queue_set_auto(order, nitems(order));
	queue_set_probe(probe_all_ok);
	for (i = 0; i < nitems(c); i++) {
		T_CASE(c[i].name);
		quark_queue_default_attr(&a);
		a.flags = QQ_NO_SCRAPE;
		a.backend = QUARK_BACKEND_AUTO;
		auto_errno[0] = c[i].e0;
		auto_errno[1] = c[i].e1;
		auto_tried[0] = auto_tried[1] = 0;
		queue_set_root(c[i].root);
		errno = 0;
		qq = quark_queue_open(&a);
		T_EQ_INT(auto_tried[0], 1);
		T_EQ_INT(auto_tried[1], c[i].tried1);
		if (c[i].why != NULL)
			T_EQ_STR(quark_queue_why(), c[i].why);
		if (c[i].backend == NULL) {
			T_CHECK(qq == NULL);
			T_EQ_INT(errno, c[i].err);
			continue;
		}
		if (!T_CHECK(qq != NULL))
			continue;
		quark_queue_stats(qq, &st);
		T_EQ_STR(st.backend, c[i].backend);
		quark_queue_close(qq);
	}
	queue_set_auto(NULL, 0);
	queue_set_probe(NULL);
	T_CASE("an explicit backend is never replaced");
	quark_queue_default_attr(&a);
	a.flags = QQ_NO_SCRAPE;
	a.backend = QUARK_BACKEND_FAKE;
	T_CHECK((qq = queue_open_test(&a, NULL)) != NULL);
	quark_queue_stats(qq, &st);
	T_EQ_STR(st.backend, "fake");
	quark_queue_close(qq);
}

static void
test_lost_records(void)
{
	const struct raw_event	raws[] = { R_FORK(10, 100, 1),
	    R_EXEC(20, 101, "/a"), R_LOST(15, 3), R_LOST(40, 2),
	    R_EXIT(30, 100, 0) };
	struct quark_queue	*qq;
	struct quark_stats	 st;
	char			 buf[256] = "";

	T_CASE("lost records in time order");
	qq = t_open(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	quark_queue_stop(qq);
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 4);
	/* A loss between 100's fork and exit: its context may be stale. */
	T_EQ_STR(buf, "100:fork+exit!S lost:3 101:exec lost:2");
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.lost, 5);
	quark_queue_close(qq);
}

static void
test_stats(void)
{
	const struct raw_event	raws[] = { R_FORK(10, 100, 1),
	    R_EXEC(20, 100, "/a"), R_EXIT(30, 100, 0), R_EXEC(40, 101, "/b"),
	    { RAW_T(QUARK_EV_FORK, 50, 101, 102), .flags = RAW_F_THREAD } };
	struct quark_queue	*qq;
	struct quark_stats	 st;
	char			 buf[256] = "";

	T_CASE("stats");
	qq = t_open(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	T_EQ_INT(quark_queue_fd(qq), -1);
	T_EQ_INT(quark_queue_timeout_ms(qq), -1);
	T_CHECK(quark_queue_next(qq) == NULL);
	T_EQ_INT(errno, 0);
	quark_queue_stats(qq, &st);
	T_EQ_STR(st.backend, "fake");
	T_EQ_INT(st.insertions, 4);		/* the thread's is dropped */
	T_EQ_INT(st.aggregations, 2);
	T_EQ_INT(st.non_aggregations, 2);
	T_EQ_INT(st.length, 2);
	T_EQ_INT(st.peak_length, 2);
	T_EQ_INT(st.removals, 0);
	T_EQ_INT(st.cache_size, 0);
	t_now = 25 * MS;
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.removals, 1);
	T_EQ_INT(st.length, 1);
	/* 101's exec is in the cache (its window passed), its record held. */
	T_EQ_INT(st.cache_size, 2);
	quark_queue_stop(qq);
	T_EQ_INT(quark_queue_timeout_ms(qq), 0);
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	T_EQ_STR(buf, "100:fork+exec+exit 101:exec");
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.removals, 2);
	T_EQ_INT(st.length, 0);
	T_EQ_INT(st.cache_size, 2);
	T_EQ_INT(st.late, 0);
	quark_queue_close(qq);
}

/* Closing with records held, raws unread and an event out: no leak. */
static void
test_close_held(void)
{
	const struct raw_event		 raws[] = { R_FORK(10, 100, 1),
	    R_EXEC(20, 100, "/a"), R_EXIT(30, 100, 0), R_EXEC(40, 101, "/b"),
	    R_EXEC(50, 102, "/c") };
	const struct quark_event	*ev;
	struct quark_queue		*qq;

	T_CASE("close with records held");
	qq = t_open(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	queue_set_poll_budget(qq, 4);
	T_CHECK(quark_queue_next(qq) == NULL);
	t_now = 25 * MS;
	ev = quark_queue_next(qq);
	T_CHECK(ev != NULL && ev->nchanges == 3);
	T_EQ_STR(ev ? ev->process->exe : NULL, "/a");
	quark_queue_close(qq);
}

/* Seeding from the real /proc, and failing when /proc cannot be read. */
static void
test_seed(void)
{
	struct quark_queue_attr		 attr;
	const struct quark_process	*p;
	struct quark_queue		*qq;
	struct quark_stats		 st;
	char				 exe[PATH_MAX];
	ssize_t				 n;

	T_CASE("seeded from /proc");
	quark_queue_default_attr(&attr);
	attr.backend = QUARK_BACKEND_FAKE;
	qq = queue_open_test(&attr, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	quark_queue_stats(qq, &st);
	T_CHECK(st.cache_size >= 2);
	p = quark_process_lookup(qq, getpid());
	T_CHECK(p != NULL);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = '\0';
	T_EQ_STR(p ? p->exe : NULL, exe);
	T_CHECK(p != NULL && (p->known & QP_START) && p->entity_id != 0);
	T_EQ_INT(p ? p->ppid : 0, getppid());
	T_CHECK(quark_process_lookup(qq, 1) != NULL);
	quark_queue_close(qq);

	T_CASE("seeding failure fails open");
	scrape_set_proc_root("/nonexistent/proc");
	errno = 0;
	qq = queue_open_test(&attr, NULL);
	T_CHECK(qq == NULL);
	T_EQ_INT(errno, ENOENT);
	scrape_set_proc_root(NULL);
	quark_queue_close(qq);
}

/* Reconcile with the real /proc: a dead pid goes, we get refreshed. */
static void
test_reconcile_proc(void)
{
	struct raw_event		 raws[3];
	const struct quark_process	*p;
	struct quark_queue		*qq;
	struct quark_stats		 st;
	char				 exe[PATH_MAX];
	pid_t				 dead;
	ssize_t				 n;

	T_CASE("reconcile against /proc");
	if ((dead = fork()) == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	memset(raws, 0, sizeof(raws));
	raws[0] = (struct raw_event)R_EXEC(10, dead, "/was/here");
	raws[1] = (struct raw_event)R_EXEC(20, getpid(), "/not/really");
	raws[2] = (struct raw_event)R_LOST(30, 1);
	qq = t_open(raws, 3, 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	queue_set_reader(qq, NULL);		/* the real one */
	quark_queue_stop(qq);
	T_EQ_INT(t_drain_ready(qq, (char[256]){ 0 }, 256), 3);
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.reconciles, 1);
	T_EQ_INT(st.reconcile_evictions, 1);
	p = quark_process_lookup(qq, getpid());
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = '\0';
	T_EQ_STR(p ? p->exe : NULL, exe);
	t_now = 5 * NS_PER_SEC;
	T_CHECK(quark_queue_next(qq) == NULL);
	T_CHECK(quark_process_lookup(qq, dead) == NULL);
	T_CHECK(quark_process_lookup(qq, getpid()) != NULL);
	quark_queue_close(qq);
}

int
main(void)
{
	test_default_attr();
	test_open_errors();
	test_auto();
	test_auto_verdict();
	test_lost_records();
	test_stats();
	test_close_held();
	test_seed();
	test_reconcile_proc();
	return (t_done_named("t_queue"));
}
