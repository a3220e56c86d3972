/*
 * t_scrape.c - the /proc reader, on a fake /proc tree built in a temporary
 * directory (odd and missing files, huge cmdlines) and on the real one
 * (this test's own process, a zombie, a child with a huge argv, threads).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quark_int.h"
#include "test.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* ppid 1, pgrp 2, sid 3, tty_nr 34816 (pts/0), flags, 3 threads, start 500 */
#define STAT(pid, comm, flags) \
	pid " (" comm ") S 1 2 3 34816 0 " flags " 0 0 0 0 0 0 0 0 20 0 3 0 " \
	"500 0 0\n"

static char	root[256];

static void
put(const char *rel, const void *data, size_t len)
{
	char	path[PATH_MAX], *s;
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	/* mkdir -p the parents */
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    write(fd, data, len) != (ssize_t)len) {
		perror(path);
		abort();
	}
	close(fd);
}

static void
puts_(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

static void
link_(const char *rel, const char *target)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (symlink(target, path) == -1) {
		perror(path);
		abort();
	}
}

static char	*huge;
static size_t	 huge_len;

/*
 * The fake tree:
 *  100  everything, comm "a) (b", deleted exe, docker cgroup, thread 101
 *  200  a 3 MiB cmdline of 3000 args, the last one without its NUL
 *  300  no stat at all (exited between readdir and open): skipped
 *  400  a garbage stat: skipped by the scan, EINVAL from read
 *  500  a kernel thread
 *  600  only stat: everything else unknown, not an error
 *  self, 0123, sys: not pids
 */
static void
build_fake(void)
{
	static const char status[] = "Tgid:\t100\nPid:\t100\n"
	    "Uid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\nThreads:\t2\n"
	    "CapInh:\t0\nCapPrm:\t1\nCapEff:\t2\nCapBnd:\t3\nCapAmb:\t4\n";
	static const char tstatus[] = "Tgid:\t100\nPid:\t101\n"
	    "Uid:\t9\t9\t9\t9\nGid:\t5\t6\t7\t8\n";
	size_t	i, off = 0;

	snprintf(root, sizeof(root), "%s/t_scrape.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(root) == NULL)
		abort();
	puts_("100/stat", STAT("100", "a) (b", "4194560"));
	puts_("100/status", status);
	put("100/cmdline", "prog\0-x\0\0last\0", 14);
	put("100/environ", "A=1\0B=2\0", 8);
	link_("100/exe", "/usr/bin/prog (deleted)");
	link_("100/cwd", "/home/some dir");
	puts_("100/loginuid", "1000");
	puts_("100/cgroup", "1:name=systemd:/x\n0::/system.slice/docker-"
	    HEX ".scope\n");
	puts_("100/ns/.keep", "");
	link_("100/ns/pid", "pid:[4026531836]");
	link_("100/ns/net", "net:[4026531840]");
	link_("100/ns/user", "garbage");
	puts_("100/task/100/stat", STAT("100", "a) (b", "4194560"));
	puts_("100/task/101/stat", STAT("101", "worker", "4194560"));
	puts_("100/task/101/status", tstatus);

	huge_len = 3000 * 1024;
	if ((huge = malloc(huge_len)) == NULL)
		abort();
	for (i = 0; i < 3000; i++, off += 1024) {
		memset(huge + off, 'a' + i % 26, 1023);
		huge[off + 1023] = '\0';
	}
	huge[huge_len - 1] = 'z';	/* setproctitle-style: no final NUL */
	puts_("200/stat", STAT("200", "big", "0"));
	put("200/cmdline", huge, huge_len);

	puts_("300/status", status);
	puts_("400/stat", "400 garbage\n");
	puts_("500/stat", STAT("500", "kworker/0:1", "2129984"));
	puts_("500/status", "Tgid:\t500\nPid:\t500\nUid:\t0\t0\t0\t0\n"
	    "Gid:\t0\t0\t0\t0\n");
	link_("500/cwd", "/");
	puts_("600/stat", STAT("600", "bare", "0"));
	puts_("self/stat", STAT("1", "self", "0"));
	puts_("0123/stat", STAT("123", "zero", "0"));
	puts_("sys/stat", STAT("7", "sys", "0"));
}

static void
rm_fake(void)
{
	char	cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
}

static void
test_fake_read(void)
{
	struct quark_process	*p;

	T_CASE("fake-100");
	p = quark_process_read(100, QS_ENV);
	T_CHECK(p != NULL);
	if (p == NULL)
		return;
	T_EQ_INT(p->pid, 100);
	T_EQ_STR(p->comm, "a) (b");
	T_EQ_INT(p->ppid, 1);
	T_EQ_INT(p->tty_major, 136);
	T_EQ_INT(p->tty_minor, 0);
	T_EQ_INT(p->start_ns, quark_ticks_to_ns(500));
	T_EQ_INT(p->entity_id, quark_entity_id(100, quark_ticks_to_ns(500)));
	T_EQ_INT(p->kthread, 0);
	T_EQ_INT(p->nthreads, 2);	/* status wins over stat */
	T_EQ_INT(p->uid, 1); T_EQ_INT(p->euid, 2); T_EQ_INT(p->suid, 3);
	T_EQ_INT(p->fsuid, 4); T_EQ_INT(p->fsgid, 8);
	T_EQ_INT(p->cap[QUARK_CAP_AMBIENT], 4);
	T_EQ_STR(p->exe, "/usr/bin/prog");
	T_CHECK(p->truncated & QPT_EXE_DELETED);
	T_EQ_STR(p->cwd, "/home/some dir");
	T_EQ_INT(p->args_len, 14);
	T_EQ_INT(p->args_total, 14);
	T_EQ_INT(p->argc, 4);
	T_CHECK(memcmp(p->args, "prog\0-x\0\0last\0", 14) == 0);
	T_EQ_INT(p->env_len, 8);
	T_EQ_INT(p->envc, 2);
	T_EQ_INT(p->loginuid, 1000);
	T_EQ_STR(p->cgroup, "/system.slice/docker-" HEX ".scope");
	T_EQ_STR(p->container.id, HEX);
	T_EQ_STR(p->container.runtime, "docker");
	T_EQ_INT(p->ns_known, (1U << QUARK_NS_PID) | (1U << QUARK_NS_NET));
	T_EQ_INT(p->ns[QUARK_NS_PID], 4026531836ULL);
	T_EQ_INT(p->ns[QUARK_NS_NET], 4026531840ULL);
	T_EQ_INT(p->known, QP_PPID | QP_COMM | QP_EXE | QP_ARGS | QP_CWD |
	    QP_CREDS | QP_FSCREDS | QP_PGID_SID | QP_TTY | QP_START |
	    QP_CAPS | QP_NS | QP_CGROUP | QP_STATE | QP_NTHREADS |
	    QP_KTHREAD | QP_ENV | QP_LOGINUID | QP_CONTAINER);
	quark_process_free(p);

	/* Without QS_ENV, no environment. */
	p = quark_process_read(100, 0);
	T_CHECK(p != NULL && !(p->known & QP_ENV) && p->env == NULL);
	quark_process_free(p);
}

static void
test_fake_odd(void)
{
	struct quark_process	*p;

	T_CASE("fake-huge");
	p = quark_process_read(200, 0);
	T_CHECK(p != NULL);
	if (p != NULL) {
		T_EQ_INT(p->args_len, huge_len);
		T_EQ_INT(p->args_total, huge_len);
		T_EQ_INT(p->argc, 3000);
		T_CHECK(memcmp(p->args, huge, huge_len) == 0);
		T_EQ_INT(p->args[huge_len], '\0');	/* the spare NUL */
		T_CHECK(!(p->known & (QP_EXE | QP_CWD | QP_CREDS | QP_NS)));
		quark_process_free(p);
	}

	T_CASE("fake-missing-stat");
	errno = 0;
	T_CHECK(quark_process_read(300, 0) == NULL && errno == ESRCH);
	T_CASE("fake-garbage-stat");
	errno = 0;
	T_CHECK(quark_process_read(400, 0) == NULL && errno == EINVAL);
	T_CASE("fake-absent");
	errno = 0;
	T_CHECK(quark_process_read(999, 0) == NULL && errno == ESRCH);
	errno = 0;
	T_CHECK(quark_process_read(0, 0) == NULL && errno == ESRCH);
	errno = 0;
	T_CHECK(quark_process_read(-5, 0) == NULL && errno == ESRCH);

	T_CASE("fake-kthread");
	p = quark_process_read(500, QS_NO_KTHREADS);	/* ignored by read */
	T_CHECK(p != NULL && p->kthread == 1 && (p->known & QP_KTHREAD));
	if (p != NULL) {
		T_EQ_STR(p->cwd, "/");
		T_CHECK(!(p->known & (QP_ARGS | QP_EXE)));
	}
	quark_process_free(p);

	T_CASE("fake-bare");
	p = quark_process_read(600, QS_ENV);
	T_CHECK(p != NULL);
	if (p != NULL)
		T_EQ_INT(p->known, QP_PPID | QP_COMM | QP_PGID_SID | QP_TTY |
		    QP_START | QP_STATE | QP_NTHREADS | QP_KTHREAD);
	quark_process_free(p);
}

/* Scans the fake tree; returns a bitmap of the pids seen (pid / 100). */
static unsigned
scan_fake(int qs, int *tid101)
{
	struct quark_scrape	*s;
	struct quark_process	*p;
	unsigned		 seen = 0;

	*tid101 = 0;
	if ((s = quark_scrape_open(qs)) == NULL)
		return (0);
	while ((p = quark_scrape_next(s)) != NULL) {
		if (p->known & QP_TID) {
			if (p->pid == 100 && p->tid == 101 &&
			    strcmp(p->comm, "worker") == 0 && p->uid == 9)
				(*tid101)++;
			else
				seen |= 1U << 31;	/* unexpected */
		} else if (p->pid % 100 == 0 && p->pid <= 3000)
			seen |= 1U << (p->pid / 100);
		else
			seen |= 1U << 31;
		quark_process_free(p);
	}
	T_EQ_INT(errno, 0);
	quark_scrape_close(s);
	return (seen);
}

static void
test_fake_scan(void)
{
	int	tid101;

	T_CASE("fake-scan");
	T_EQ_INT(scan_fake(0, &tid101), (1 << 1) | (1 << 2) | (1 << 5) |
	    (1 << 6));
	T_EQ_INT(tid101, 0);
	T_CASE("fake-scan-no-kthreads");
	T_EQ_INT(scan_fake(QS_NO_KTHREADS, &tid101), (1 << 1) | (1 << 2) |
	    (1 << 6));
	T_CASE("fake-scan-threads");
	T_EQ_INT(scan_fake(QS_THREADS, &tid101), (1 << 1) | (1 << 2) |
	    (1 << 5) | (1 << 6));
	T_EQ_INT(tid101, 1);

	T_CASE("fake-no-root");
	scrape_set_proc_root("/nonexistent/proc");
	errno = 0;
	T_CHECK(quark_scrape_open(0) == NULL && errno == ENOENT);
	T_CHECK(quark_process_read(1, 0) == NULL && errno == ENOENT);
}

/* --- the real /proc --------------------------------------------- */

static void
test_real_self(int argc, char **argv)
{
	struct quark_process	*p, *q;
	char			 exe[PATH_MAX], cwd[PATH_MAX];
	ssize_t			 n;
	size_t			 off = 0;
	int			 i, ok = 1;

	T_CASE("self");
	p = quark_process_read(getpid(), QS_ENV);
	T_CHECK(p != NULL);
	if (p == NULL)
		return;
	T_EQ_INT(p->pid, getpid());
	T_EQ_INT(p->ppid, getppid());
	T_EQ_INT(p->pgid, getpgrp());
	T_EQ_INT(p->sid, getsid(0));
	T_EQ_STR(p->comm, "t_scrape");
	T_EQ_INT(p->state, 'R');
	T_EQ_INT(p->kthread, 0);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n < 0 ? 0 : n] = '\0';
	T_EQ_STR(p->exe, exe);
	T_CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	T_EQ_STR(p->cwd, cwd);
	T_EQ_INT(p->argc, argc);
	for (i = 0; i < argc && p->args != NULL; i++) {
		if (off >= p->args_len || strcmp(p->args + off, argv[i]) != 0)
			ok = 0;
		off += strlen(argv[i]) + 1;
	}
	T_CHECK(ok && off == p->args_len);
	T_EQ_INT(p->uid, getuid());
	T_EQ_INT(p->euid, geteuid());
	T_EQ_INT(p->gid, getgid());
	T_CHECK(p->known & QP_CAPS);
	T_CHECK(p->known & QP_ENV);
	T_CHECK(p->envc > 0 && p->env_len > 0);
	T_CHECK((p->known & QP_CGROUP) && p->cgroup[0] == '/');
	T_CHECK(p->start_ns > 0 && p->start_ns <= quark_boot_now());
	T_EQ_INT(p->start_ns, quark_start_trunc(p->start_ns));
	if (geteuid() == 0)
		T_EQ_INT(p->ns_known, (1U << QUARK_NS_COUNT) - 1);
	/* The entity id is the same on a second read. */
	q = quark_process_read(getpid(), 0);
	T_CHECK(q != NULL && q->entity_id == p->entity_id &&
	    q->entity_id != 0);
	quark_process_free(q);
	quark_process_free(p);
}

static void
test_real_dead_zombie(void)
{
	struct quark_process	*p = NULL;
	pid_t			 pid;
	int			 i, st;

	T_CASE("dead");
	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, &st, 0);
	errno = 0;
	T_CHECK(quark_process_read(pid, 0) == NULL && errno == ESRCH);

	T_CASE("zombie");
	if ((pid = fork()) == 0)
		_exit(0);
	for (i = 0; i < 200; i++) {	/* up to 2 s for it to die */
		quark_process_free(p);
		if ((p = quark_process_read(pid, 0)) == NULL ||
		    p->state == 'Z')
			break;
		usleep(10000);
	}
	T_CHECK(p != NULL && p->state == 'Z');
	if (p != NULL) {
		T_CHECK(!(p->known & (QP_EXE | QP_ARGS)));
		T_EQ_INT(p->ppid, getpid());
		T_CHECK(p->known & QP_CREDS);
	}
	quark_process_free(p);
	waitpid(pid, &st, 0);
}

/* A child whose argv holds eight 100 KiB arguments: read in full. */
static void
test_real_huge_argv(void)
{
	struct quark_process	*p = NULL;
	char			*av[12], *want;
	size_t			 wlen = 0, big = 100 * 1024;
	pid_t			 pid;
	int			 i, st;

	T_CASE("huge-argv");
	av[0] = "sh"; av[1] = "-c"; av[2] = "sleep 30"; av[11] = NULL;
	for (i = 3; i < 11; i++) {
		if ((av[i] = malloc(big + 1)) == NULL)
			abort();
		memset(av[i], 'A' + i, big);
		av[i][big] = '\0';
	}
	if ((want = malloc(9 * big)) == NULL)
		abort();
	for (i = 0; i < 11; i++) {
		memcpy(want + wlen, av[i], strlen(av[i]) + 1);
		wlen += strlen(av[i]) + 1;
	}
	if ((pid = fork()) == 0) {
		execv("/bin/sh", av);
		_exit(127);
	}
	for (i = 0; i < 300; i++) {	/* up to 3 s for the exec */
		quark_process_free(p);
		p = quark_process_read(pid, 0);
		if (p != NULL && p->args_len == wlen)
			break;
		usleep(10000);
	}
	T_CHECK(p != NULL && p->args_len == wlen && p->argc == 11 &&
	    memcmp(p->args, want, wlen) == 0);
	quark_process_free(p);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	for (i = 3; i < 11; i++)
		free(av[i]);
	free(want);
}

static int	 thr_pipe[2];
static pid_t	 thr_tid;

static void *
thr_main(void *arg)
{
	char	c;

	thr_tid = gettid();
	if (read(thr_pipe[0], &c, 1) < 0)
		return (NULL);
	return (NULL);
}

/* Entries of /proc that are pids (as `ls /proc | grep -c '^[0-9]'`). */
static int
count_proc(void)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir("/proc")) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] >= '1' && de->d_name[0] <= '9';
	closedir(d);
	return (n);
}

struct scan_result {
	int	procs, threads, kthreads, self, my_thread;
	double	ms;
};

static void
scan_real(int qs, struct scan_result *r)
{
	struct quark_scrape	*s;
	struct quark_process	*p;
	struct timespec		 t0, t1;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((s = quark_scrape_open(qs)) == NULL)
		return;
	while ((p = quark_scrape_next(s)) != NULL) {
		if (p->known & QP_TID) {
			r->threads++;
			if (p->pid == getpid() && p->tid == thr_tid &&
			    p->tid != p->pid)
				r->my_thread++;
		} else
			r->procs++;
		r->kthreads += p->kthread;
		r->self += p->pid == getpid() && !(p->known & QP_TID);
		quark_process_free(p);
	}
	T_EQ_INT(errno, 0);
	quark_scrape_close(s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
}

static void
test_real_scan(void)
{
	struct scan_result	r;
	pthread_t		t;
	int			n, lo, hi;

	if (pipe(thr_pipe) == -1 ||
	    pthread_create(&t, NULL, thr_main, NULL) != 0)
		abort();
	while (__atomic_load_n(&thr_tid, __ATOMIC_SEQ_CST) == 0)
		usleep(1000);

	T_CASE("scan");
	/* Other work runs on the host: allow for churn around the scan. */
	lo = hi = count_proc();
	scan_real(0, &r);
	n = count_proc();
	lo = n < lo ? n : lo;
	hi = n > hi ? n : hi;
	printf("scan: %d processes in %.1f ms (/proc: %d..%d)\n", r.procs,
	    r.ms, lo, hi);
	T_CHECK(r.procs > 0 && r.procs >= lo - 5 && r.procs <= hi + 5);
	T_EQ_INT(r.self, 1);
	T_EQ_INT(r.threads, 0);
	T_CHECK(r.kthreads > 0);

	T_CASE("scan-no-kthreads");
	scan_real(QS_NO_KTHREADS, &r);
	T_EQ_INT(r.kthreads, 0);
	T_EQ_INT(r.self, 1);

	T_CASE("scan-threads");
	scan_real(QS_THREADS, &r);
	printf("scan: %d processes, %d threads in %.1f ms\n", r.procs,
	    r.threads, r.ms);
	T_EQ_INT(r.my_thread, 1);
	T_EQ_INT(r.self, 1);
	T_CHECK(r.threads >= 1);

	if (write(thr_pipe[1], "x", 1) != 1)
		abort();
	pthread_join(t, NULL);
	close(thr_pipe[0]);
	close(thr_pipe[1]);
}

static void
test_real(int argc, char **argv)
{
	test_real_self(argc, argv);
	test_real_dead_zombie();
	test_real_huge_argv();
	test_real_scan();
}

int
main(int argc, char **argv)
{
	build_fake();
	scrape_set_proc_root(root);
	test_fake_read();
	test_fake_odd();
	test_fake_scan();
	scrape_set_proc_root(NULL);
	rm_fake();
	free(huge);
	test_real(argc, argv);
	return (t_done());
}
