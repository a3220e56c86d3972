/*
 * bench_engine.c - synthetic raw events through order + aggregate + cache.
 *
 * A stream of short-lived processes (fork, exec, exit), as a 2-CPU ring
 * would deliver it (each batch slightly out of order), is pushed through
 * queue_submit() and drained with quark_queue_next() on the real clock
 * with the default attributes: the queue fills up to where the hold
 * reaches 0 and stays there, as under a spawn storm.  Twice: pids
 * recycled within 32768 (the cache is bounded by the pid space), then
 * within 4194304 (bounded by the collection of exited processes).
 *
 * Prints raw events per second and ns per raw event (raw event
 * allocation included, as a backend would pay it), then the same without
 * the engine (allocation only), peak RSS, and RSS at a third and at the
 * end of the run to show that memory stays flat.
 *
 * usage: bench_engine [processes]
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quark_int.h"

#define BATCH	16		/* processes per delivery batch */

static pid_t	npid;		/* pids recycled from 2 .. npid + 1 */

static const char	bench_exe[] = "/usr/lib/bench/worker-binary";
static const char	bench_args[] = "worker-binary\0--flag\0some-argument";

/*
 * CPU time, not wall time: the figures should not depend on what else
 * the (2-core) machine runs meanwhile.
 */
static uint64_t
cpu_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ((uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec);
}

static long
rss_kib(void)
{
	FILE	*f;
	long	 pages = 0, rss = 0;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return (-1);
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return (rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024));
}

static struct raw_event *
mk(uint32_t type, uint64_t t, pid_t pid)
{
	struct raw_event	*raw;

	if ((raw = raw_event_alloc(type)) == NULL) {
		perror("raw_event_alloc");
		exit(1);
	}
	raw->time = t;
	raw->pid = raw->tid = pid;
	raw->cpu = pid & 1;
	switch (type) {
	case QUARK_EV_FORK:
		raw->fork.parent_pid = 1;
		raw->task.known = QP_START | QP_PPID;
		raw->task.start_ns = t;
		raw->task.ppid = 1;
		break;
	case QUARK_EV_EXEC:
		raw->task.known = QP_EXE | QP_ARGS | QP_COMM | QP_CREDS;
		raw->task.exe = strdup(bench_exe);
		raw->task.args = malloc(sizeof(bench_args));
		if (raw->task.exe == NULL || raw->task.args == NULL) {
			perror("malloc");
			exit(1);
		}
		memcpy(raw->task.args, bench_args, sizeof(bench_args));
		raw->task.args_len = raw->task.args_total = sizeof(bench_args);
		raw->task.argc = 3;
		strcpy(raw->task.comm, "worker-binary");
		break;
	case QUARK_EV_EXIT:
		raw->flags = RAW_F_GROUP_DEAD;
		raw->task.known = QP_EXIT;
		raw->task.exit_ns = t;
		break;
	}
	return (raw);
}

/*
 * One batch as two CPUs' rings interleave it: per process fork < exec <
 * exit in time, but the exits of the batch come before some of its
 * forks, and every other process's exec arrives before its fork.
 */
static void
make_batch(struct raw_event **out, uint64_t *proc, uint64_t t0)
{
	uint64_t	i, p;
	size_t		n = 0;
	pid_t		pid;

	for (i = 0; i < BATCH; i++) {
		p = *proc + i;
		pid = 2 + (pid_t)(p % (uint64_t)npid);
		if (p & 1) {
			out[n++] = mk(QUARK_EV_EXEC, t0 + i * 1000 + 300, pid);
			out[n++] = mk(QUARK_EV_FORK, t0 + i * 1000, pid);
		} else {
			out[n++] = mk(QUARK_EV_FORK, t0 + i * 1000, pid);
			out[n++] = mk(QUARK_EV_EXEC, t0 + i * 1000 + 300, pid);
		}
	}
	for (i = 0; i < BATCH; i++) {
		p = *proc + i;
		pid = 2 + (pid_t)(p % (uint64_t)npid);
		out[n++] = mk(QUARK_EV_EXIT, t0 + i * 1000 + 600, pid);
	}
	*proc += BATCH;
}

static void
seed_parent(struct quark_queue *qq)
{
	struct raw_event	*raw = mk(QUARK_EV_EXEC, 1, 1);

	queue_submit(qq, raw);
}

static int
run(uint64_t nproc, pid_t pids)
{
	struct raw_event		*batch[BATCH * 3];
	struct quark_queue_attr		 attr;
	struct quark_queue		*qq;
	struct quark_stats		 st;
	struct rusage			 ru;
	uint64_t			 proc = 0, t0, t1, t2;
	uint64_t			 nraw, nev = 0, evtime = 1000;
	long				 rss_third = 0;
	size_t				 i;

	npid = pids;
	nproc -= nproc % BATCH;
	nraw = nproc * 3;
	quark_queue_default_attr(&attr);
	attr.backend = QUARK_BACKEND_FAKE;
	attr.flags = QQ_NO_SCRAPE;
	if ((qq = queue_open_test(&attr, NULL)) == NULL) {
		perror("quark_queue_open");
		return (1);
	}
	seed_parent(qq);
	t0 = cpu_ns();
	while (proc < nproc) {
		make_batch(batch, &proc, evtime);
		evtime += BATCH * 1000;
		for (i = 0; i < nitems(batch); i++)
			queue_submit(qq, batch[i]);
		while (quark_queue_next(qq) != NULL)
			nev++;
		if (rss_third == 0 && proc >= nproc / 3)
			rss_third = rss_kib();
	}
	quark_queue_stop(qq);
	while (quark_queue_next(qq) != NULL)
		nev++;
	t1 = cpu_ns();
	quark_queue_stats(qq, &st);
	quark_queue_close(qq);

	/* The same raw events, allocated and freed without the engine. */
	proc = 0;
	t2 = cpu_ns();
	while (proc < nproc) {
		make_batch(batch, &proc, evtime);
		for (i = 0; i < nitems(batch); i++)
			raw_event_free(batch[i]);
	}
	t2 = cpu_ns() - t2;

	getrusage(RUSAGE_SELF, &ru);
	printf("engine: pids recycled over %d: %llu raw events "
	    "(%llu processes) -> %llu events\n", (int)pids,
	    (unsigned long long)nraw, (unsigned long long)nproc,
	    (unsigned long long)nev);
	printf("engine: %.0f raw events/s, %.0f ns per raw event "
	    "(CPU time, alloc included)\n", nraw * 1e9 / (double)(t1 - t0),
	    (double)(t1 - t0) / (double)nraw);
	printf("engine: %.0f ns per raw event in order+aggregate+cache "
	    "(alloc alone: %.0f ns)\n",
	    (double)(t1 - t0 - t2) / (double)nraw, (double)t2 / (double)nraw);
	printf("engine: aggregations %llu, late %llu, peak length %llu, "
	    "cache %llu, gc %llu\n", (unsigned long long)st.aggregations,
	    (unsigned long long)st.late, (unsigned long long)st.peak_length,
	    (unsigned long long)st.cache_size,
	    (unsigned long long)st.garbage_collections);
	printf("engine: peak RSS %ld KiB; RSS %ld KiB at 1/3, %ld KiB at end\n",
	    ru.ru_maxrss, rss_third, rss_kib());
	return (nev == nproc + 1 ? 0 : 1);
}

int
main(int argc, char **argv)
{
	uint64_t	nproc = 1000000;
	int		st = 0;

	if (argc > 1 && (nproc = strtoull(argv[1], NULL, 10)) < BATCH * 3)
		nproc = BATCH * 3;
	/* pid_max 32768: pids come back before their grace time ends. */
	st |= run(nproc, 32768);
	/* pid_max 4194304: exits are collected (grace, or the gc cap). */
	st |= run(nproc, 4194304);
	return (st);
}
