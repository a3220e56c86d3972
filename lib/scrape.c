/*
 * scrape.c - the /proc reader shared by start-up seeding, reconcile,
 * `quark snapshot`, `quark lookup` and the enrichment of thin events
 * (enrich.c, through scrape_read_files()).
 *
 * Every file of a process is opened with openat(2) relative to one
 * directory fd on /proc/PID.  That fd pins the process's struct pid: if the
 * process dies and its pid is reused while we read, reads through the old
 * fd fail (ENOENT/ESRCH) instead of describing the newcomer, so one record
 * never mixes two processes.
 *
 * Failures are sorted by errno (read_process()):
 *  - ENOENT/ESRCH on stat, or on another file when stat is then gone too:
 *    the process exited during the scan; it is skipped, not an error.
 *  - ENOENT on exe/cwd of a zombie, EACCES/EPERM when unprivileged: that
 *    field stays unknown (its QP_* bit clear).
 *  - ENOMEM, EMFILE, ENFILE: a real error, returned to the caller.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quark_int.h"

static const char *proc_root = "/proc";

void
scrape_set_proc_root(const char *root)
{
	proc_root = root != NULL ? root : "/proc";
}

/* A growable read buffer, reused from file to file. */
struct rbuf {
	char	*p;
	size_t	 len, cap;
};

static void
rbuf_free(struct rbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int
rbuf_grow(struct rbuf *b)
{
	size_t	 ncap = b->cap == 0 ? 4096 : b->cap * 2;
	char	*np;

	if (ncap < b->cap || (np = realloc(b->p, ncap)) == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	b->p = np;
	b->cap = ncap;
	return (0);
}

/*
 * Reads all of dfd/name into b (b->len bytes; one spare byte is kept so
 * that b->p[b->len] can be a NUL).  No size limit: a cmdline of several
 * MiB is read whole.
 */
static int
read_at(int dfd, const char *name, struct rbuf *b)
{
	ssize_t	n;
	int	fd, saved;

	b->len = 0;
	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return (-1);
	for (;;) {
		if (b->cap - b->len < 2 && rbuf_grow(b) == -1)
			goto fail;
		n = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->p[b->len] = '\0';
	close(fd);
	return (0);
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

/* readlinkat(2) into a new string, however long the target is. */
static int
link_at(int dfd, const char *name, struct rbuf *b, char **out)
{
	ssize_t	n;

	*out = NULL;
	for (;;) {
		if (b->cap == 0 && rbuf_grow(b) == -1)
			return (-1);
		if ((n = readlinkat(dfd, name, b->p, b->cap)) == -1)
			return (-1);
		if ((size_t)n < b->cap)
			break;
		if (rbuf_grow(b) == -1)
			return (-1);
	}
	if ((*out = strndup(b->p, (size_t)n)) == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	return (0);
}

/* An owned copy of b with a spare NUL (args and env may lack one). */
static char *
rbuf_dup(const struct rbuf *b)
{
	char	*s;

	if ((s = malloc(b->len + 1)) == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	memcpy(s, b->p, b->len);
	s[b->len] = '\0';
	return (s);
}

static int
rd_stat(int dfd, struct rbuf *b, struct quark_process *p)
{
	if (read_at(dfd, "stat", b) == -1)
		return (-1);
	return (procfs_parse_stat(b->p, b->len, p));
}

static int
rd_status(int dfd, struct rbuf *b, struct quark_process *p)
{
	if (read_at(dfd, "status", b) == -1)
		return (-1);
	/* A malformed line leaves its group unknown; the rest is good. */
	procfs_parse_status(b->p, b->len, p);
	return (0);
}

/*
 * The argv.  An empty cmdline (kernel thread, zombie, or argc 0) leaves
 * args unknown: for the first two it is not the process's argv.
 */
static int
rd_cmdline(int dfd, struct rbuf *b, struct quark_process *p)
{
	if (read_at(dfd, "cmdline", b) == -1)
		return (-1);
	if (b->len == 0)
		return (0);
	if ((p->args = rbuf_dup(b)) == NULL)
		return (-1);
	p->args_len = b->len;
	p->args_total = b->len;
	p->argc = procfs_count_strings(b->p, b->len);
	p->known |= QP_ARGS;
	return (0);
}

static int
rd_environ(int dfd, struct rbuf *b, struct quark_process *p)
{
	if (read_at(dfd, "environ", b) == -1)
		return (-1);
	if ((p->env = rbuf_dup(b)) == NULL)
		return (-1);
	p->env_len = b->len;
	p->envc = procfs_count_strings(b->p, b->len);
	p->known |= QP_ENV;
	return (0);
}

static int
rd_exe(int dfd, struct rbuf *b, struct quark_process *p)
{
	if (link_at(dfd, "exe", b, &p->exe) == -1)
		return (-1);
	if (procfs_strip_deleted(p->exe))
		p->truncated |= QPT_EXE_DELETED;
	p->known |= QP_EXE;
	return (0);
}

static int
rd_cwd(int dfd, struct rbuf *b, struct quark_process *p)
{
	if (link_at(dfd, "cwd", b, &p->cwd) == -1)
		return (-1);
	p->known |= QP_CWD;
	return (0);
}

static int
rd_loginuid(int dfd, struct rbuf *b, struct quark_process *p)
{
	if (read_at(dfd, "loginuid", b) == -1)
		return (-1);
	if (procfs_parse_u32(b->p, b->len, &p->loginuid) == -1)
		return (-1);
	p->known |= QP_LOGINUID;
	return (0);
}

/* Each namespace on its own: one unreadable link leaves only it unknown. */
static int
rd_ns(int dfd, struct rbuf *b, struct quark_process *p)
{
	char		 path[16];
	ssize_t		 n;
	int		 i, err = 0;

	if (b->cap < 64 && rbuf_grow(b) == -1)
		return (-1);
	for (i = 0; i < QUARK_NS_COUNT; i++) {
		snprintf(path, sizeof(path), "ns/%s", quark_ns_name(i));
		if ((n = readlinkat(dfd, path, b->p, b->cap - 1)) == -1) {
			err = errno;
			continue;
		}
		b->p[n] = '\0';
		if (procfs_parse_ns(b->p, quark_ns_name(i), &p->ns[i]) == 0)
			p->ns_known |= 1U << i;
	}
	if (p->ns_known != 0)
		p->known |= QP_NS;
	if (err != 0) {
		errno = err;
		return (-1);
	}
	return (0);
}

static int
rd_cgroup(int dfd, struct rbuf *b, struct quark_process *p)
{
	if (read_at(dfd, "cgroup", b) == -1)
		return (-1);
	/* Every line: a v1 hierarchy may name the container (hybrid). */
	container_from_proc(b->p, b->len, &p->container);
	p->known |= QP_CONTAINER;
	if (procfs_parse_cgroup(b->p, b->len, &p->cgroup) == -1)
		return (-1);
	p->known |= QP_CGROUP;
	return (0);
}

#define RD_NOT_KTHREAD	(1U << 0)	/* nothing to read for a kthread */

/*
 * What is read after stat, in this order.  `qs` is the QS_* flag that
 * asks for it (0: always).
 */
static const struct field_reader {
	int		(*fn)(int, struct rbuf *, struct quark_process *);
	unsigned	 flags;		/* RD_* */
	int		 qs;
} readers[] = {
	{ rd_status,	0,		0 },
	{ rd_cmdline,	RD_NOT_KTHREAD,	0 },
	{ rd_exe,	RD_NOT_KTHREAD,	0 },
	{ rd_cwd,	0,		0 },
	{ rd_loginuid,	0,		0 },
	{ rd_ns,	0,		0 },
	{ rd_cgroup,	0,		0 },
	{ rd_environ,	RD_NOT_KTHREAD,	QS_ENV },
};

/* errno values that are not about the process and must reach the caller. */
static int
hard_error(int e)
{
	return (e == ENOMEM || e == EMFILE || e == ENFILE);
}

enum { READ_OK, READ_SKIP, READ_ERR };

/*
 * Reads the process (or thread) whose /proc directory is dfd into *p.
 * READ_SKIP when it is gone, or is a kernel thread and QS_NO_KTHREADS
 * asks to leave those out.  READ_ERR with errno on a real error.
 */
static int
read_process(int dfd, int qs, struct rbuf *b, struct quark_process *p)
{
	size_t	i;
	int	maybe_gone = 0;

	if (rd_stat(dfd, b, p) == -1) {
		if (hard_error(errno) || errno == EINVAL)
			return (READ_ERR);
		return (READ_SKIP);
	}
	if ((qs & QS_NO_KTHREADS) && p->kthread)
		return (READ_SKIP);
	for (i = 0; i < nitems(readers); i++) {
		if ((readers[i].flags & RD_NOT_KTHREAD) && p->kthread)
			continue;
		if (readers[i].qs != 0 && !(qs & readers[i].qs))
			continue;
		if (readers[i].fn(dfd, b, p) == 0)
			continue;
		if (hard_error(errno))
			return (READ_ERR);
		if (errno == ENOENT || errno == ESRCH)
			maybe_gone = 1;
	}
	/* A zombie has no exe and is still there; a reaped process is not. */
	if (maybe_gone && faccessat(dfd, "stat", R_OK, 0) == -1 &&
	    (errno == ENOENT || errno == ESRCH))
		return (READ_SKIP);
	return (READ_OK);
}

/* 1 when name is a pid (all digits, no leading zero, fits). */
static int
pid_name(const char *name, pid_t *pid)
{
	long long	v = 0;
	const char	*s;

	if (name[0] < '1' || name[0] > '9')
		return (0);
	for (s = name; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return (0);
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return (0);
	}
	*pid = (pid_t)v;
	return (1);
}

/*
 * Reads the entry `name` of directory dfd (a /proc or a task/ dir) into a
 * new process.  NULL with errno ESRCH when it is to be skipped.
 */
static struct quark_process *
read_entry(int dfd, const char *name, int qs, struct rbuf *b)
{
	struct quark_process	*p;
	int			 pfd, r, saved;

	pfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd == -1) {
		if (!hard_error(errno))
			errno = ESRCH;
		return (NULL);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		close(pfd);
		errno = ENOMEM;
		return (NULL);
	}
	r = read_process(pfd, qs, b, p);
	saved = errno;
	close(pfd);
	if (r == READ_OK)
		return (p);
	quark_process_free(p);
	errno = r == READ_SKIP ? ESRCH : saved;
	return (NULL);
}

struct quark_process *
quark_process_read(pid_t pid, int qs)
{
	struct quark_process	*p;
	struct rbuf		 b = { NULL, 0, 0 };
	char			 name[16];
	int			 rfd, saved;

	if (pid <= 0) {
		errno = ESRCH;
		return (NULL);
	}
	if ((rfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (NULL);
	snprintf(name, sizeof(name), "%d", (int)pid);
	p = read_entry(rfd, name, qs & ~QS_NO_KTHREADS, &b);
	saved = errno;
	rbuf_free(&b);
	close(rfd);
	errno = saved;
	return (p);
}

/*
 * A few files of one process (or of its thread tid), through one pinned
 * directory fd: for backends whose events carry only pids (enrich.c).
 */
int
scrape_read_files(pid_t pid, pid_t tid, unsigned which,
    struct quark_process *p)
{
	struct rbuf	b = { NULL, 0, 0 };
	char		name[48];
	int		rfd, dfd, r = 0, saved;

	if (pid <= 0 || tid < 0) {
		errno = ESRCH;
		return (-1);
	}
	if (tid == 0 || tid == pid)
		snprintf(name, sizeof(name), "%d", (int)pid);
	else
		snprintf(name, sizeof(name), "%d/task/%d", (int)pid, (int)tid);
	if ((rfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	dfd = openat(rfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	saved = errno;
	close(rfd);
	if (dfd == -1) {
		errno = hard_error(saved) ? saved : ESRCH;
		return (-1);
	}
	if ((which & SCRAPE_STAT) && rd_stat(dfd, &b, p) == -1)
		r = -1;
	if (r == 0 && (which & SCRAPE_STATUS) && rd_status(dfd, &b, p) == -1)
		r = -1;
	saved = errno;
	rbuf_free(&b);
	close(dfd);
	errno = saved;
	return (r);
}

struct quark_scrape {
	int		 qs;
	DIR		*proc;
	DIR		*task;	/* QS_THREADS: the current process's threads */
	pid_t		 pid;	/* the current process */
	struct rbuf	 buf;
};

struct quark_scrape *
quark_scrape_open(int qs)
{
	struct quark_scrape	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (NULL);
	s->qs = qs;
	if ((s->proc = opendir(proc_root)) == NULL) {
		quark_scrape_close(s);
		return (NULL);
	}
	return (s);
}

void
quark_scrape_close(struct quark_scrape *s)
{
	int	saved = errno;

	if (s == NULL)
		return;
	if (s->task != NULL)
		closedir(s->task);
	if (s->proc != NULL)
		closedir(s->proc);
	rbuf_free(&s->buf);
	free(s);
	errno = saved;
}

/* Opens the task/ dir of the process just read, for its threads. */
static void
open_tasks(struct quark_scrape *s)
{
	char	path[32];
	int	fd;

	snprintf(path, sizeof(path), "%d/task", (int)s->pid);
	fd = openat(dirfd(s->proc), path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return;		/* gone already: no threads to list */
	if ((s->task = fdopendir(fd)) == NULL)
		close(fd);
}

/*
 * Next thread of the current process other than its leader (the process
 * record stands for the leader).  NULL and errno 0 when there is none.
 */
static struct quark_process *
next_thread(struct quark_scrape *s)
{
	struct quark_process	*p;
	struct dirent		*de;
	pid_t			 tid;

	for (;;) {
		errno = 0;
		if ((de = readdir(s->task)) == NULL)
			break;
		if (!pid_name(de->d_name, &tid) || tid == s->pid)
			continue;
		p = read_entry(dirfd(s->task), de->d_name, s->qs, &s->buf);
		if (p == NULL) {
			if (errno == ESRCH)
				continue;
			return (NULL);
		}
		p->pid = s->pid;
		p->tid = tid;
		p->known |= QP_TID;
		return (p);
	}
	closedir(s->task);
	s->task = NULL;
	errno = 0;
	return (NULL);
}

struct quark_process *
quark_scrape_next(struct quark_scrape *s)
{
	struct quark_process	*p;
	struct dirent		*de;
	pid_t			 pid;

	for (;;) {
		if (s->task != NULL) {
			if ((p = next_thread(s)) != NULL || errno != 0)
				return (p);
		}
		errno = 0;
		if ((de = readdir(s->proc)) == NULL)
			return (NULL);	/* errno 0 at the end */
		if (!pid_name(de->d_name, &pid))
			continue;
		p = read_entry(dirfd(s->proc), de->d_name, s->qs, &s->buf);
		if (p == NULL) {
			/* Gone, filtered out, or unparseable: skip it. */
			if (errno == ESRCH || errno == EINVAL)
				continue;
			return (NULL);
		}
		s->pid = p->pid;
		if ((s->qs & QS_THREADS) && !p->kthread)
			open_tasks(s);
		return (p);
	}
}
