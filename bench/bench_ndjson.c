/*
 * bench_ndjson.c - the writer: records per second and allocations per
 * line of the "ndjson" output, on a fixed event mix through the fake
 * backend (no kernel).
 *
 * The mix, per 8 processes (fork + exec + exit each, one record per
 * process with its parent):
 *   - 5 plain: an 80-byte argv of 4 arguments, every id and time known;
 *   - 1 with a 2 KiB argv of 40 arguments;
 *   - 1 with bytes that are not UTF-8 in comm, exe and argv (sanitized);
 *   - 1 killed by a signal, with a 12-variable environment.
 * Every process has the same full set of other fields (creds, caps,
 * namespaces, tty, cgroup in a container), so a line is 1.5-3 KiB, as
 * `quark watch --env` prints on a busy host.
 *
 * The whole stream is replayed twice through the same engine: once
 * only draining quark_queue_next() (the engine), once also writing every
 * event to /dev/null with the "ndjson" output.  The difference is the
 * writer's cost.  CPU time, not wall time: the figures should not depend
 * on what else the (2-core) machine runs.  Allocations are counted by
 * wrapping malloc/calloc/realloc around the writer's calls only (jansson,
 * the UTF-8 sanitizer and the name cache included).
 *
 * usage: bench_ndjson [processes]   (default 200000)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quark_int.h"
#include "output.h"

/* --- allocation counting --------------------------------------------- */

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
void	 __libc_free(void *);

static int		counting;
static unsigned long long nalloc;

void *
malloc(size_t n)
{
	if (counting)
		nalloc++;
	return (__libc_malloc(n));
}

void *
calloc(size_t n, size_t sz)
{
	if (counting)
		nalloc++;
	return (__libc_calloc(n, sz));
}

void *
realloc(void *p, size_t n)
{
	if (counting)
		nalloc++;
	return (__libc_realloc(p, n));
}

void
free(void *p)
{
	__libc_free(p);
}

/* --- the mix ----------------------------------------------------------- */

#define MIX	8

static char	args_plain[] = "worker\0--config\0/etc/worker.conf\0-v\0";
static char	args_bad[] = "b\xffnary\0--\xc3\x28opt\0arg\0";
static char	env_vars[] = "HOME=/root\0PATH=/usr/bin:/bin\0LANG=C.UTF-8\0"
    "TERM=xterm\0USER=root\0SHELL=/bin/bash\0LOGNAME=root\0PWD=/root\0"
    "SHLVL=1\0MAIL=/var/mail/root\0XDG_SESSION_ID=3\0_=/usr/bin/env\0";
static char	args_long[2048];

static const char cgroup[] = "/system.slice/docker-"
    "4f2a7c0e9d1b3a5c6e8f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d.scope";

static uint64_t
cpu_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ((uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec);
}

static void
fill_fork(struct raw_event *r, uint64_t t, pid_t pid)
{
	struct quark_process	*p = &r->task;
	int			 i;

	r->type = QUARK_EV_FORK;
	r->time = t;
	r->pid = r->tid = pid;
	r->fork.parent_pid = 1;
	p->known = QP_PPID | QP_START | QP_CREDS | QP_FSCREDS | QP_PGID_SID |
	    QP_TTY | QP_CAPS | QP_NS | QP_CGROUP | QP_CWD | QP_LOGINUID |
	    QP_COMM;
	p->ppid = 1;
	p->start_ns = p->start_ns_raw = t;
	p->pgid = p->sid = pid;
	p->tty_major = 136;
	p->tty_minor = 1;
	p->loginuid = 1000;
	p->cap[QUARK_CAP_PERMITTED] = p->cap[QUARK_CAP_EFFECTIVE] =
	    0x1ffffffffffULL;
	p->cap[QUARK_CAP_BOUNDING] = UINT64_MAX;
	p->ns_known = (1U << QUARK_NS_COUNT) - 1;
	for (i = 0; i < QUARK_NS_COUNT; i++)
		p->ns[i] = 4026531835ULL + (uint64_t)i;
	p->cgroup = (char *)cgroup;
	p->cwd = "/var/lib/worker";
	strcpy(p->comm, "bash");
}

static void
fill_exec(struct raw_event *r, uint64_t t, pid_t pid, int kind)
{
	struct quark_process	*p = &r->task;

	r->type = QUARK_EV_EXEC;
	r->time = t;
	r->pid = r->tid = pid;
	p->known = QP_EXE | QP_ARGS | QP_COMM | QP_FILENAME;
	p->exe = "/usr/lib/worker/worker";
	p->filename = "worker";
	p->args = args_plain;
	p->args_len = p->args_total = sizeof(args_plain) - 1;
	p->argc = 4;
	strcpy(p->comm, "worker");
	if (kind == 5) {
		p->args = args_long;
		p->args_len = p->args_total = sizeof(args_long);
		p->argc = 40;
	} else if (kind == 6) {
		p->exe = "/usr/lib/worker/b\xffnary";
		p->args = args_bad;
		p->args_len = p->args_total = sizeof(args_bad) - 1;
		p->argc = 3;
		strcpy(p->comm, "b\xffnary");
	} else if (kind == 7) {
		p->known |= QP_ENV;
		p->env = env_vars;
		p->env_len = sizeof(env_vars) - 1;
		p->envc = 12;
	}
}

static void
fill_exit(struct raw_event *r, uint64_t t, pid_t pid, int kind)
{
	r->type = QUARK_EV_EXIT;
	r->time = t;
	r->pid = r->tid = pid;
	r->flags = RAW_F_GROUP_DEAD;
	r->task.known = QP_EXIT;
	r->task.exit_ns = t;
	if (kind == 7) {
		r->task.exit_code = -1;
		r->task.exit_signal = 9;
	}
}

/* nproc processes, pids 2..32769, plus pid 1 first (the parent). */
static struct raw_event *
make_stream(size_t nproc, size_t *n)
{
	struct raw_event	*v;
	size_t			 i, k = 0;
	uint64_t		 t = 1000;
	pid_t			 pid;

	if ((v = calloc(nproc * 3 + 1, sizeof(*v))) == NULL)
		return (NULL);
	fill_fork(&v[k++], t, 1);
	for (i = 0; i < nproc; i++) {
		t += 1000;
		pid = 2 + (pid_t)(i % 32768);
		fill_fork(&v[k++], t, pid);
		fill_exec(&v[k++], t + 300, pid, (int)(i % MIX));
		fill_exit(&v[k++], t + 600, pid, (int)(i % MIX));
	}
	*n = k;
	return (v);
}

/*
 * One replay; with out, every event is written to fd.  Returns the CPU
 * ns spent, the events, the bytes and the allocations while writing.
 */
static int
replay(const struct raw_event *v, size_t n, const struct output *out,
    int fd, uint64_t *ns, uint64_t *nev, uint64_t *bytes)
{
	struct quark_queue_attr		 attr;
	struct queue_test		 t = { NULL, v, n };
	struct quark_queue		*qq;
	const struct quark_event	*ev;
	uint64_t			 t0;
	off_t				 before;

	quark_queue_default_attr(&attr);
	attr.backend = QUARK_BACKEND_FAKE;
	attr.flags = QQ_NO_SCRAPE | QQ_ENV;
	if ((qq = queue_open_test(&attr, &t)) == NULL) {
		perror("quark_queue_open");
		return (-1);
	}
	/* Stopped: every record is due as soon as it is complete. */
	quark_queue_stop(qq);
	*nev = 0;
	before = out != NULL ? lseek(fd, 0, SEEK_CUR) : 0;
	t0 = cpu_ns();
	while ((ev = quark_queue_next(qq)) != NULL) {
		(*nev)++;
		if (out == NULL)
			continue;
		counting = 1;
		if (out->event(fd, ev) == -1) {
			counting = 0;
			perror("write");
			quark_queue_close(qq);
			return (-1);
		}
		counting = 0;
	}
	*ns = cpu_ns() - t0;
	*bytes = out != NULL ? (uint64_t)(lseek(fd, 0, SEEK_CUR) - before) : 0;
	quark_queue_close(qq);
	return (0);
}

int
main(int argc, char **argv)
{
	const struct output	*out;
	struct raw_event	*v;
	size_t			 nproc = 200000, n, i;
	uint64_t		 ns_engine, ns_all, nev, nev2, bytes, dummy;
	double			 w_ns;
	int			 fd;

	if (argc > 1 && (nproc = strtoul(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: bench_ndjson [processes]\n");
		return (2);
	}
	for (i = 0; i + 1 < sizeof(args_long); i++)
		args_long[i] = i % 51 == 50 ? '\0' : 'a' + (char)(i % 26);
	args_long[sizeof(args_long) - 1] = '\0';
	if ((out = output_find("ndjson")) == NULL ||
	    (v = make_stream(nproc, &n)) == NULL) {
		perror("setup");
		return (1);
	}
	/* A regular file: /dev/null cannot count bytes with lseek. */
	if ((fd = open("/tmp", O_TMPFILE | O_WRONLY | O_CLOEXEC,
	    0600)) == -1) {
		perror("open /tmp");
		return (1);
	}
	/* A warm-up run (page faults, name cache), then the two measured. */
	if (replay(v, n, out, fd, &dummy, &nev, &bytes) == -1 ||
	    ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1 ||
	    replay(v, n, NULL, fd, &ns_engine, &nev, &dummy) == -1)
		return (1);
	nalloc = 0;
	if (replay(v, n, out, fd, &ns_all, &nev2, &bytes) == -1)
		return (1);
	close(fd);
	w_ns = ns_all > ns_engine ?
	    (double)(ns_all - ns_engine) / (double)nev2 : 0;
	printf("ndjson: %llu processes (%zu raw events) -> %llu lines, "
	    "%.0f bytes/line\n", (unsigned long long)nproc, n,
	    (unsigned long long)nev2, (double)bytes / (double)nev2);
	printf("ndjson: engine + writer %.0f lines/s; writer alone "
	    "%.0f lines/s (%.0f ns/line, %.1f MB/s)\n",
	    (double)nev2 * 1e9 / (double)ns_all,
	    w_ns > 0 ? 1e9 / w_ns : 0, w_ns,
	    w_ns > 0 ? (double)bytes / (double)nev2 / w_ns * 1e3 : 0);
	printf("ndjson: %.1f allocations/line in the writer\n",
	    (double)nalloc / (double)nev2);
	return (nev != nev2);
}
