/*
 * t_enrich.c - /proc enrichment of thin raw events (enrich.c), on a fake
 * /proc tree: it reads where scrape_set_proc_root() points (not "/proc"
 * hard-coded), takes a thread's ids from its own task directory, takes
 * ids only when /proc agrees with the event, and leaves everything
 * unknown when the process is gone.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quark_int.h"
#include "test.h"

/* ppid 1, pgrp 2, sid 3, tty 0, 3 threads, start 500 ticks */
#define STAT(pid, comm) \
	pid " (" comm ") S 1 2 3 0 0 0 0 0 0 0 0 0 0 0 20 0 3 0 500 0 0\n"

static char	root[256];

static void
put(const char *rel, const char *s)
{
	char	path[PATH_MAX], *p;
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		perror(path);
		abort();
	}
	close(fd);
}

/*
 * 100: a process with thread 101 (whose ids differ: creds are per
 * thread).  200: a status that says another pid (reused).  300: absent.
 * 400: a zombie.
 */
static void
make_tree(void)
{
	put("100/stat", STAT("100", "worker"));
	put("100/status", "Tgid:\t100\nPid:\t100\n"
	    "Uid:\t1000\t1000\t1001\t1002\nGid:\t50\t51\t52\t53\nThreads:\t2\n");
	put("100/task/101/status", "Tgid:\t100\nPid:\t101\n"
	    "Uid:\t0\t0\t7\t8\nGid:\t50\t51\t52\t53\nThreads:\t2\n");
	put("200/stat", STAT("201", "other"));
	put("200/status", "Tgid:\t201\nPid:\t201\n"
	    "Uid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\nThreads:\t1\n");
	put("400/stat", "400 (gone) Z 1 2 3 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 "
	    "500 0 0\n");
}

static struct raw_event *
raw(uint32_t type, pid_t pid, pid_t tid)
{
	struct raw_event	*r;

	if ((r = raw_event_alloc(type)) == NULL)
		abort();
	r->pid = r->task.pid = pid;
	r->tid = tid;
	return (r);
}

static void
test_fork(void)
{
	struct raw_event	*r;

	T_CASE("fork: start time and comm from the fake tree's stat");
	r = raw(QUARK_EV_FORK, 100, 100);
	enrich_fork(r);
	T_CHECK(r->task.known & QP_START);
	T_EQ_INT(r->task.start_ns, quark_ticks_to_ns(500));
	T_CHECK(r->task.known & QP_COMM);
	T_EQ_STR(r->task.comm, "worker");
	raw_event_free(r);

	T_CASE("fork: a stat about another pid is not taken");
	r = raw(QUARK_EV_FORK, 200, 200);
	enrich_fork(r);
	T_EQ_INT(r->task.known & (QP_START | QP_COMM), 0);
	raw_event_free(r);

	T_CASE("fork: a process gone keeps everything unknown");
	r = raw(QUARK_EV_FORK, 300, 300);
	enrich_fork(r);
	T_EQ_INT(r->task.known, 0);
	raw_event_free(r);
}

static void
test_ids(void)
{
	struct raw_event	*r;

	T_CASE("setuid: saved and fs ids when /proc agrees");
	r = raw(QUARK_EV_SETUID, 100, 100);
	r->task.uid = 1000;
	r->task.euid = 1000;
	T_EQ_INT(enrich_ids(r), 0);
	T_EQ_INT(r->task.suid, 1001);
	T_EQ_INT(r->task.fsuid, 1002);
	T_EQ_INT(r->task.sgid, 52);
	T_CHECK((r->task.known & (QP_CREDS | QP_FSCREDS)) ==
	    (QP_CREDS | QP_FSCREDS));
	raw_event_free(r);

	T_CASE("setuid by a thread: the thread's own status");
	r = raw(QUARK_EV_SETUID, 100, 101);
	r->task.uid = 0;
	r->task.euid = 0;
	T_EQ_INT(enrich_ids(r), 0);
	T_EQ_INT(r->task.suid, 7);
	T_EQ_INT(r->task.fsuid, 8);
	raw_event_free(r);

	T_CASE("setgid: /proc disagrees (changed again): ids unknown");
	r = raw(QUARK_EV_SETGID, 100, 100);
	r->task.gid = 60;
	r->task.egid = 60;
	T_EQ_INT(enrich_ids(r), -1);
	T_EQ_INT(r->task.known & (QP_CREDS | QP_FSCREDS), 0);
	raw_event_free(r);

	T_CASE("setuid: a reused pid's status is not taken");
	r = raw(QUARK_EV_SETUID, 200, 200);
	r->task.uid = 1;
	r->task.euid = 1;
	T_EQ_INT(enrich_ids(r), -1);
	T_EQ_INT(r->task.known & (QP_CREDS | QP_FSCREDS), 0);
	raw_event_free(r);

	T_CASE("setuid: gone");
	r = raw(QUARK_EV_SETUID, 300, 300);
	T_EQ_INT(enrich_ids(r), -1);
	T_EQ_INT(r->task.known & (QP_CREDS | QP_FSCREDS), 0);
	raw_event_free(r);
}

static void
test_threads(void)
{
	int	live;

	/* 100 started at 500 ticks, 5 s. */
	T_CASE("group threads, and the process runs on");
	T_EQ_INT(enrich_group_threads(100, 6000000000ULL, &live), 3);
	T_EQ_INT(live, 1);
	T_CASE("started in the exit's tick: maybe a new one on the pid");
	T_EQ_INT(enrich_group_threads(100, 5005000000ULL, &live), 3);
	T_EQ_INT(live, 0);
	T_CASE("started in a later tick than the exit: a new one on the pid");
	T_EQ_INT(enrich_group_threads(100, 4000000000ULL, &live), 3);
	T_EQ_INT(live, 0);
	T_CASE("a zombie does not run on");
	T_EQ_INT(enrich_group_threads(400, 6000000000ULL, &live), 1);
	T_EQ_INT(live, 0);
	T_CASE("another pid's stat, or none");
	live = 1;
	T_EQ_INT(enrich_group_threads(200, 6000000000ULL, &live), 0);
	T_EQ_INT(live, 0);
	live = 1;
	T_EQ_INT(enrich_group_threads(300, 6000000000ULL, &live), 0);
	T_EQ_INT(live, 0);
}

/* The kprobe backend asks whether a probe's pid still runs a quark. */
static void
test_comm(void)
{
	char	comm[QUARK_COMM_LEN];

	T_CASE("comm: the name now, from the fake tree's stat");
	memset(comm, 'x', sizeof(comm));
	T_EQ_INT(enrich_comm(100, comm), 0);
	T_EQ_STR(comm, "worker");
	T_CASE("comm: a stat about another pid (reused) is not taken");
	errno = 0;
	T_EQ_INT(enrich_comm(200, comm), -1);
	T_EQ_INT(errno, ESRCH);
	T_CASE("comm: gone");
	errno = 0;
	T_EQ_INT(enrich_comm(300, comm), -1);
	T_EQ_INT(errno, ESRCH);
}

static void
test_files(void)
{
	struct quark_process	p;

	T_CASE("scrape_read_files: errors");
	memset(&p, 0, sizeof(p));
	errno = 0;
	T_EQ_INT(scrape_read_files(300, 0, SCRAPE_STAT, &p), -1);
	T_EQ_INT(errno, ESRCH);
	T_EQ_INT(scrape_read_files(0, 0, SCRAPE_STAT, &p), -1);
	T_EQ_INT(scrape_read_files(100, 999, SCRAPE_STATUS, &p), -1);
	T_EQ_INT(errno, ESRCH);
	T_EQ_INT(scrape_read_files(100, 0, SCRAPE_STAT | SCRAPE_STATUS, &p),
	    0);
	T_EQ_INT(p.nthreads, 2);
	T_EQ_INT(p.ppid, 1);
}

int
main(void)
{
	char	cmd[PATH_MAX + 16];

	snprintf(root, sizeof(root), "/tmp/t_enrich.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	make_tree();
	scrape_set_proc_root(root);
	test_fork();
	test_ids();
	test_threads();
	test_comm();
	test_files();
	scrape_set_proc_root(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		perror(cmd);
	return (t_done());
}
