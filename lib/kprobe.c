/*
 * kprobe.c - the kprobe backend: no BPF at all.  Kprobes created through
 * tracefs (kprobe_events) whose fetch-args read the task at the moment of
 * the event, offsets taken from the kernel's BTF; their samples, and those
 * of the syscall exit tracepoints, read from per-CPU perf rings.
 *
 * Hooks (one tracefs event each, in quark's group "quark", named
 * KIND_PID so that two quarks never share one):
 *   wake_up_new_task(child)		fork: the child, complete
 *   finalize_exec(bprm)		exec: filename, argc, exe path
 *   sched:sched_process_exec		exec: old_pid (a thread exec'd)
 *   proc_exec_connector(task) x4	exec: the task, cgroup; cwd; argv (2)
 *   taskstats_exit(task, group_dead)	exit: wait(2) status, group_dead
 *   commit_creds(new)			each thread's committed credentials
 *   syscalls:sys_exit_set*id, setsid	credential calls that succeeded
 *   PERF_RECORD_COMM (not exec)	comm changes
 * finalize_exec runs when the new image is set up and the credentials
 * committed; proc_exec_connector right after the sched_process_exec
 * tracepoint (it needs CONFIG_PROC_EVENTS, as every distribution kernel
 * has); both exist on every kernel quark supports (5.10 on).
 *
 * Probes are removed at close; quark killed by SIGKILL leaves them, and
 * the next start removes those whose quark is gone (a KIND_PID name whose
 * pid runs no quark).  Samples are merged in time order per poll (the
 * decoder joins the parts of an exec and keeps each thread's credentials,
 * lib/kpdecode.c); the engine's ordering stage does the rest.  A ring
 * that overflows says how many samples it dropped (PERF_RECORD_LOST):
 * those become RAW_LOST events with that exact count.
 */
#include <linux/perf_event.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bsd/string.h>

#include "kprobe.h"

#define TRACEFS		"/sys/kernel/tracing"
#define GROUP		KP_GROUP
#define LINE_BYTES	4096
/* Records read from one ring in one poll, at most: the rest waits. */
#define RING_BATCH	4096
/* Records younger than this at the start of a poll wait for the next. */
#define CUT_NS		(1 * NS_PER_MS)
/* Records read and not decoded, at most: then the rings wait. */
#define BUF_MAX		(4 * RING_BATCH)
/* An exec still missing parts this long after its first is handed out. */
#define EXEC_WAIT_NS	(200 * NS_PER_MS)


/* One tracefs event quark reads. */
struct kevent {
	int		 kind;		/* enum kp_kind */
	int		 created;	/* a kprobe of ours, to remove */
	char		 name[48];	/* kprobe: KIND_PID; else events/ path */
	struct kp_format fmt;
};

struct ring {
	int				 fd;	/* the leader: mmap'ed */
	struct perf_event_mmap_page	*meta;
	uint8_t				*data;
	uint64_t			 size;	/* data bytes, power of 2 */
};

struct rec {
	uint64_t	time;
	uint64_t	seq;
	uint32_t	len;
	uint8_t		bytes[];	/* the perf record */
};

struct kprobe {
	struct quark_queue	*qq;
	struct kp_decoder	*dec;
	struct kevent		 ev[KP_KIND_COUNT + 8];
	const struct kp_format	*fmts[KP_KIND_COUNT + 8];	/* ev[i].fmt */
	int			 nev;
	int			*fds;		/* ncpus * nev, -1: none */
	struct ring		*rings;		/* ncpus */
	int			 ncpus;
	int			 epfd;
	int			 evfd;		/* in epfd: records wait */
	uint64_t		 cut;		/* decode records up to this */
	size_t			 mapped;	/* bytes of each ring mapping */
	struct rec		**buf;		/* read, not yet decoded */
	size_t			 nbuf, capbuf;
	uint64_t		 seq;
	uint64_t		 bad_records;
	char			 tracefs[64];
	char			 off[256];	/* features off, and why */
	const char		*step;		/* what rings_open() was doing */
	uint64_t		 boot_off;	/* BOOTTIME - MONOTONIC, ns */
	struct clock_mono	 mono;		/* ... kept across polls */
};

static int
perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group,
    unsigned long flags)
{
	return ((int)syscall(__NR_perf_event_open, attr, pid, cpu, group,
	    flags));
}

/* tracefs ------------------------------------------------------------------ */

static int
tracefs_find(struct kprobe *st)
{
	static const char *const dirs[] = { TRACEFS,
	    "/sys/kernel/debug/tracing" };
	struct stat	sb;
	char		path[128];
	size_t		i;

	for (i = 0; i < nitems(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (stat(path, &sb) == 0) {
			snprintf(st->tracefs, sizeof(st->tracefs), "%s",
			    dirs[i]);
			return (0);
		}
	}
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) == -1)
		return (-1);
	snprintf(st->tracefs, sizeof(st->tracefs), "%s", TRACEFS);
	return (0);
}

static int
tracefs_write(struct kprobe *st, const char *file, const char *line)
{
	char	path[128];
	int	fd, saved;
	ssize_t	n;

	snprintf(path, sizeof(path), "%s/%s", st->tracefs, file);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1)
		return (-1);
	n = write(fd, line, strlen(line));
	saved = errno;
	close(fd);
	errno = saved;
	return (n == (ssize_t)strlen(line) ? 0 : -1);
}

static char *
tracefs_read(struct kprobe *st, const char *file, size_t *len)
{
	char	path[256], *buf = NULL, *nb;
	size_t	cap = 0, n = 0;
	ssize_t	r;
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", st->tracefs, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 16384;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				goto fail;
			buf = nb;
		}
		if ((r = read(fd, buf + n, cap - n)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return (buf);
fail:
	free(buf);
	close(fd);
	return (NULL);
}

/* Is pid a running quark? */
static int
is_quark(pid_t pid)
{
	char	path[64], comm[32];
	FILE	*f;
	int	yes = 0;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return (0);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (0);
	if (fgets(comm, sizeof(comm), f) != NULL)
		yes = strncmp(comm, "quark", 5) == 0;
	fclose(f);
	return (yes);
}

/*
 * Removes the probes of quarks that are gone (SIGKILL leaves them):
 * lines "p:quark/KIND_PID ..." whose PID runs no quark.
 */
static void
stale_remove(struct kprobe *st)
{
	char		*buf, *line, *next, *name, *us, cmd[96];
	size_t		 len;
	long		 pid;

	if ((buf = tracefs_read(st, "kprobe_events", &len)) == NULL)
		return;
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((name = strchr(line, ':')) == NULL ||
		    strncmp(name + 1, GROUP "/", strlen(GROUP) + 1) != 0)
			continue;
		name += strlen(GROUP) + 2;
		name[strcspn(name, " ")] = '\0';
		if ((us = strrchr(name, '_')) == NULL)
			continue;
		pid = strtol(us + 1, NULL, 10);
		if (pid <= 0 || pid == getpid() || is_quark((pid_t)pid))
			continue;
		snprintf(cmd, sizeof(cmd), "-:%s/%s\n", GROUP, name);
		(void)tracefs_write(st, "kprobe_events", cmd);
	}
	free(buf);
}

static const char *const kind_names[KP_KIND_COUNT] = {
	[KP_FORK] = "fork", [KP_EXECB] = "execb", [KP_EXEC] = "exec",
	[KP_CWD] = "cwd", [KP_ARGV0] = "argv0", [KP_ARGV0 + 1] = "argv1",
	[KP_EXIT] = "exit", [KP_CREDS] = "creds",
};

static int
format_load(struct kprobe *st, struct kevent *ev, const char *dir)
{
	char	path[160], *text;
	size_t	len;
	int	r;

	snprintf(path, sizeof(path), "events/%s/format", dir);
	if ((text = tracefs_read(st, path, &len)) == NULL)
		return (-1);
	r = kp_format_parse(&ev->fmt, text, len);
	free(text);
	ev->fmt.kind = ev->kind;
	return (r);
}

static int
kprobe_add(struct kprobe *st, const struct btf *btf, int kind, char *why,
    size_t whylen)
{
	struct kevent	*ev = &st->ev[st->nev];
	char		*line, dir[96], func[64];

	if ((line = malloc(LINE_BYTES)) == NULL)
		return (-1);
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	snprintf(ev->name, sizeof(ev->name), "%s_%d", kind_names[kind],
	    (int)getpid());
	if (kp_probe_line(btf, kind, ev->name, line, LINE_BYTES, why,
	    whylen) == -1) {
		free(line);
		return (-1);
	}
	snprintf(func, sizeof(func), "%s", why);
	if (tracefs_write(st, "kprobe_events", line) == -1) {
		snprintf(why, whylen, "creating a kprobe on %s: %s", func,
		    strerror(errno));
		free(line);
		return (-1);
	}
	free(line);
	ev->created = 1;
	st->nev++;
	snprintf(dir, sizeof(dir), "%s/%s", GROUP, ev->name);
	if (format_load(st, ev, dir) == -1) {
		snprintf(why, whylen, "reading the format of %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	why[0] = '\0';
	return (0);
}

/* The syscall exit tracepoints of the credential calls. */
static const struct {
	const char	*name;
	int		 kind;
} cred_tps[] = {
	{ "sys_exit_setuid", KP_SETUID }, { "sys_exit_setreuid", KP_SETUID },
	{ "sys_exit_setresuid", KP_SETUID }, { "sys_exit_setgid", KP_SETGID },
	{ "sys_exit_setregid", KP_SETGID }, { "sys_exit_setresgid", KP_SETGID },
	{ "sys_exit_setfsuid", KP_SETFSUID },
	{ "sys_exit_setfsgid", KP_SETFSGID },
	{ "sys_exit_setsid", KP_SETSID },
};

/* sched:sched_process_exec, for old_pid: optional. */
static int
exec_tracepoint_add(struct kprobe *st)
{
	struct kevent	*ev = &st->ev[st->nev];

	memset(ev, 0, sizeof(*ev));
	ev->kind = KP_EXECTP;
	snprintf(ev->name, sizeof(ev->name), "sched_process_exec");
	if (format_load(st, ev, "sched/sched_process_exec") == -1 ||
	    ev->fmt.slot[F_OLDPID] < 0)
		return (-1);
	st->nev++;
	return (0);
}

static int
tracepoints_add(struct kprobe *st)
{
	struct kevent	*ev;
	char		 dir[96];
	size_t		 i;

	if (st->nev + nitems(cred_tps) > nitems(st->ev)) {
		errno = E2BIG;
		return (-1);
	}
	for (i = 0; i < nitems(cred_tps); i++) {
		ev = &st->ev[st->nev];
		memset(ev, 0, sizeof(*ev));
		ev->kind = cred_tps[i].kind;
		snprintf(ev->name, sizeof(ev->name), "%s", cred_tps[i].name);
		snprintf(dir, sizeof(dir), "syscalls/%s", cred_tps[i].name);
		if (format_load(st, ev, dir) == -1)
			return (-1);
		st->nev++;
	}
	return (0);
}

/* perf -------------------------------------------------------------------- */

static int
ring_open(struct kprobe *st, int cpu, const struct kevent *ev, int first)
{
	struct perf_event_attr	attr;
	struct ring		*r = &st->rings[cpu];
	struct epoll_event	ee;
	int			fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = ev->fmt.id;
	attr.sample_period = 1;
	attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
	    PERF_SAMPLE_CPU | PERF_SAMPLE_RAW;
	attr.wakeup_events = 1;
	/*
	 * The engine's clock is CLOCK_BOOTTIME, which perf refuses for
	 * tracepoints (not NMI-safe); MONOTONIC differs from it by the time
	 * spent suspended, added when the records are read (clock_mono_to_boot()).
	 */
	attr.use_clockid = 1;
	attr.clockid = CLOCK_MONOTONIC;
	attr.sample_id_all = 1;
	/* Comm changes come once per CPU, with the ring's first event. */
	attr.comm = first;
	attr.comm_exec = first;
	st->step = "perf_event_open";
	fd = perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd == -1)
		return (errno == ENODEV && first ? 1 : -1);	/* offline */
	st->fds[cpu * nitems(st->ev) + (ev - st->ev)] = fd;
	st->step = "redirecting a perf event to its CPU's ring";
	if (!first)
		return (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd) == -1 ?
		    -1 : 0);
	r->fd = fd;
	st->step = "mapping a perf ring";
	r->meta = mmap(NULL, st->mapped, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (r->meta == MAP_FAILED) {
		r->meta = NULL;
		return (-1);
	}
	st->step = "epoll";
	r->data = (uint8_t *)r->meta + sysconf(_SC_PAGESIZE);
	r->size = st->mapped - sysconf(_SC_PAGESIZE);
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	ee.data.u32 = (uint32_t)cpu;
	return (epoll_ctl(st->epfd, EPOLL_CTL_ADD, fd, &ee));
}

static int
rings_open(struct kprobe *st, uint32_t ring_bytes)
{
	struct epoll_event	ee;
	long	page = sysconf(_SC_PAGESIZE);
	size_t	per, pages = 4;	/* 16 KiB: an exec sample is up to 8 KiB */
	int	cpu, i, r;

	if ((st->ncpus = (int)sysconf(_SC_NPROCESSORS_CONF)) <= 0)
		return (-1);
	per = ring_bytes / (uint32_t)st->ncpus;
	while (pages * page < per && pages < 4096)
		pages <<= 1;
	st->mapped = (pages + 1) * page;
	if ((st->rings = calloc(st->ncpus, sizeof(*st->rings))) == NULL ||
	    (st->fds = malloc(st->ncpus * nitems(st->ev) *
	    sizeof(*st->fds))) == NULL)
		return (-1);
	for (i = 0; i < st->ncpus * (int)nitems(st->ev); i++)
		st->fds[i] = -1;
	for (cpu = 0; cpu < st->ncpus; cpu++)
		st->rings[cpu].fd = -1;
	if ((st->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (st->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return (-1);
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	ee.data.u32 = UINT32_MAX;
	if (epoll_ctl(st->epfd, EPOLL_CTL_ADD, st->evfd, &ee) == -1)
		return (-1);
	for (cpu = 0; cpu < st->ncpus; cpu++) {
		for (i = 0; i < st->nev; i++) {
			if ((r = ring_open(st, cpu, &st->ev[i], i == 0)) == 1)
				break;		/* CPU offline */
			if (r == -1)
				return (-1);
		}
	}
	return (0);
}

/* Reads up to RING_BATCH records of one ring into st->buf. */
static int
ring_read(struct kprobe *st, struct ring *r, uint64_t *last, int *more)
{
	struct perf_event_header	 h;
	struct rec			*rec;
	uint64_t			 head, tail, at;
	size_t				 n = 0, first;
	struct rec			**nb;

	*more = 0;
	if (r->meta == NULL)
		return (0);
	head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	tail = r->meta->data_tail;
	while (tail < head) {
		if (n == RING_BATCH) {
			*more = 1;
			break;
		}
		at = tail & (r->size - 1);
		first = r->size - at < sizeof(h) ? r->size - at : sizeof(h);
		memcpy(&h, r->data + at, first);
		memcpy((uint8_t *)&h + first, r->data, sizeof(h) - first);
		if (h.size < sizeof(h) || h.size > head - tail) {
			/* Cannot be: drop the ring's rest, say it. */
			st->bad_records++;
			tail = head;
			break;
		}
		if (st->nbuf == st->capbuf) {
			st->capbuf = st->capbuf ? st->capbuf * 2 : 1024;
			if ((nb = realloc(st->buf, st->capbuf *
			    sizeof(*nb))) == NULL)
				return (-1);
			st->buf = nb;
		}
		if ((rec = malloc(sizeof(*rec) + h.size)) == NULL)
			return (-1);
		rec->len = h.size;
		first = r->size - at < h.size ? r->size - at : h.size;
		memcpy(rec->bytes, r->data + at, first);
		memcpy(rec->bytes + first, r->data, h.size - first);
		rec->seq = st->seq++;
		rec->time = kp_record_time(rec->bytes, rec->len) + st->boot_off;
		*last = rec->time;
		st->buf[st->nbuf++] = rec;
		tail += h.size;
		n++;
	}
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
	return (0);
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec	*x = *(const struct rec *const *)a;
	const struct rec	*y = *(const struct rec *const *)b;

	if (x->time != y->time)
		return (x->time < y->time ? -1 : 1);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* One perf record into the decoder. */
static int
rec_decode(struct kprobe *st, const struct rec *rec)
{
	if (kp_record(st->dec, rec->bytes, rec->len, rec->time, st->fmts,
	    st->nev) == -1) {
		if (errno != EBADMSG)
			return (-1);
		st->bad_records++;
	}
	return (0);
}

static int
drain_decoder(struct kprobe *st)
{
	struct raw_event	*raw;
	int			 n = 0;

	while ((raw = kp_decoder_next(st->dec)) != NULL) {
		queue_submit(st->qq, raw);
		n++;
	}
	return (n);
}

/*
 * One poll: read the rings into the buffer, sort it by time, decode what
 * is complete.  The rings are read one after the other, so a ring read
 * early can miss a record that an event wrote just before the record of
 * a later event read from another ring (commit_creds on one CPU, then
 * the set*id call's exit on another): only records older than the start
 * of the reading by CUT_NS (a record reaches its ring microseconds after
 * its time is taken) are decoded; the rest wait, and the eventfd wakes
 * the caller for them.  A ring read in part (RING_BATCH) cuts at its last
 * record read.  A full buffer (BUF_MAX) stops reading: the rings are the
 * backpressure, and their losses are counted.
 */
static int
kprobe_poll(struct quark_queue *qq, void *state, int budget)
{
	struct kprobe	*st = state;
	struct epoll_event ee[8];
	struct timespec	 ts = { 0, CUT_NS };
	uint64_t	 cut, last, v;
	size_t		 i, done;
	int		 cpu, more, n = 0, again = 1;

again:
	st->boot_off = (uint64_t)clock_mono_to_boot(&st->mono);
	/* Clear the wakeups: the rings are read below whatever they say. */
	while (read(st->evfd, &v, sizeof(v)) > 0)
		;
	while (epoll_wait(st->epfd, ee, nitems(ee), 0) > 0)
		;
	if (st->nbuf < BUF_MAX) {
		cut = quark_boot_now() - CUT_NS;
		for (cpu = 0; cpu < st->ncpus; cpu++) {
			last = 0;
			if (ring_read(st, &st->rings[cpu], &last, &more) == -1)
				return (-1);
			if (more && last < cut)
				cut = last;
		}
		st->cut = cut;
	}
	cut = st->cut;
	qsort(st->buf, st->nbuf, sizeof(*st->buf), rec_cmp);
	for (done = 0; done < st->nbuf; done++) {
		if (st->buf[done]->time > cut ||
		    (budget > 0 && n >= budget))
			break;
		if (rec_decode(st, st->buf[done]) == -1)
			return (-1);
		free(st->buf[done]);
		st->buf[done] = NULL;
		n += drain_decoder(st);
	}
	for (i = done; i < st->nbuf; i++)
		st->buf[i - done] = st->buf[i];
	st->nbuf -= done;
	kp_decoder_expire(st->dec, quark_boot_now() - EXEC_WAIT_NS);
	n += drain_decoder(st);
	/*
	 * Nothing out, but records wait for the cut: they are decodable in
	 * CUT_NS; wait for them once, so that a poll that returns 0 (the
	 * queue's sign that a stopped backend is drained) never leaves one.
	 */
	if (n == 0 && st->nbuf > 0 && again--) {
		nanosleep(&ts, NULL);
		goto again;
	}
	v = 1;
	if (st->nbuf > 0 && write(st->evfd, &v, sizeof(v)) == -1 &&
	    errno != EAGAIN)
		return (-1);
	return (n);
}

static int
kprobe_fd(void *state)
{
	struct kprobe	*st = state;

	return (st != NULL ? st->epfd : -1);
}

static int
kprobe_stats(void *state, struct quark_backend_stats *bs)
{
	struct kprobe	*st = state;

	memset(bs, 0, sizeof(*bs));
	if (st == NULL)
		return (0);
	bs->lost = kp_decoder_lost(st->dec);
	bs->bad_records = st->bad_records;
	snprintf(bs->features_off, sizeof(bs->features_off), "%s", st->off);
	return (0);
}

/* Forgets the events from index `from` on, removing our kprobes. */
static void
events_remove(struct kprobe *st, int from)
{
	char	cmd[96];

	while (st->nev > from) {
		st->nev--;
		if (!st->ev[st->nev].created)
			continue;
		snprintf(cmd, sizeof(cmd), "-:%s/%s\n", GROUP,
		    st->ev[st->nev].name);
		(void)tracefs_write(st, "kprobe_events", cmd);
	}
}

static void
kprobe_close(void *state)
{
	struct kprobe	*st = state;
	size_t		 i;
	int		 cpu;

	if (st == NULL)
		return;
	/* The events first: tracefs refuses to remove a probe in use. */
	if (st->fds != NULL)
		for (i = 0; i < st->ncpus * nitems(st->ev); i++)
			if (st->fds[i] != -1)
				close(st->fds[i]);
	if (st->rings != NULL)
		for (cpu = 0; cpu < st->ncpus; cpu++)
			if (st->rings[cpu].meta != NULL)
				munmap(st->rings[cpu].meta, st->mapped);
	if (st->epfd > 0)
		close(st->epfd);
	if (st->evfd > 0)
		close(st->evfd);
	events_remove(st, 0);
	for (i = 0; i < st->nbuf; i++)
		free(st->buf[i]);
	free(st->buf);
	free(st->fds);
	free(st->rings);
	kp_decoder_free(st->dec);
	free(st);
}

/* A feature off, and why, for stats' features_off ("a; b"). */
static void __attribute__((format(printf, 2, 3)))
off_add(struct kprobe *st, const char *fmt, ...)
{
	va_list	ap;
	size_t	n = strlen(st->off);

	if (n > 0 && n + 2 < sizeof(st->off)) {
		memcpy(st->off + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(st->off + n, sizeof(st->off) - n, fmt, ap);
	va_end(ap);
}

/* Probes that must all be there, then those that may be missing. */
static const int required_kinds[] = { KP_FORK, KP_EXECB, KP_EXEC, KP_CWD,
    KP_ARGV0, KP_ARGV0 + 1, KP_EXIT };

static int
kprobe_open(struct quark_queue *qq, const struct quark_queue_attr *attr,
    void **state)
{
	struct kprobe	*st;
	struct btf	*btf = NULL;
	struct stat	 sb;
	char		 path[128], why[256], err[160];
	long		 mnt_off;
	size_t		 i;
	int		 saved, nreq;

	*state = NULL;
	why[0] = '\0';
	clock_init();
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return (-1);
	st->qq = qq;
	st->epfd = -1;
	for (i = 0; i < nitems(st->ev); i++)
		st->fmts[i] = &st->ev[i].fmt;
	st->evfd = -1;
	if (tracefs_find(st) == -1) {
		snprintf(why, sizeof(why), "tracefs is not mounted and cannot "
		    "be: %s", strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/kprobe_events", st->tracefs);
	if (stat(path, &sb) == -1) {
		snprintf(why, sizeof(why), "no %s (a kernel without "
		    "CONFIG_KPROBE_EVENTS)", path);
		goto fail;
	}
	if ((btf = btfinfo_load(attr->btf_path != NULL ? attr->btf_path :
	    "/sys/kernel/btf/vmlinux", err, sizeof(err))) == NULL) {
		snprintf(why, sizeof(why), "needs the kernel's BTF for "
		    "offsets: %s", err);
		goto fail;
	}
	if ((mnt_off = kp_btf_off(btf, "mount", "mnt")) < 0) {
		errno = ENOENT;
		snprintf(why, sizeof(why), "no struct mount in the BTF");
		goto fail;
	}
	if ((st->dec = kp_decoder_new((attr->flags & QQ_THREADS) != 0,
	    attr->argv_cap, (uint32_t)mnt_off)) == NULL)
		goto fail;
	stale_remove(st);
	for (i = 0; i < nitems(required_kinds); i++)
		if (kprobe_add(st, btf, required_kinds[i], why,
		    sizeof(why)) == -1)
			goto fail;
	if (attr->flags & QQ_ENV)
		off_add(st, "environments: not with the kprobe backend");
	/* The old pid of a thread's exec: the exec tracepoint. */
	if (exec_tracepoint_add(st) == -1) {
		kp_decoder_parts(st->dec, KP_EXEC_PARTS & ~(1U << KP_EXECTP));
		off_add(st, "the old pid of an exec by a thread: no "
		    "sched:sched_process_exec tracepoint");
	}
	/* Credential changes: commit_creds and the syscall tracepoints. */
	nreq = st->nev;
	if (kprobe_add(st, btf, KP_CREDS, why, sizeof(why)) == -1 ||
	    tracepoints_add(st) == -1) {
		off_add(st, "credential changes: %s", why[0] != '\0' ? why :
		    "no syscalls:sys_exit_set* tracepoints "
		    "(CONFIG_FTRACE_SYSCALLS)");
		events_remove(st, nreq);
		why[0] = '\0';
	}
	btf__free(btf);
	btf = NULL;
	if (rings_open(st, attr->ring_bytes) == -1) {
		snprintf(why, sizeof(why), "%s: %s", st->step, strerror(errno));
		goto fail;
	}
	*state = st;
	return (0);
fail:
	saved = errno != 0 ? errno : EINVAL;
	if (why[0] != '\0')
		queue_set_why(qq, "%s", why);
	btf__free(btf);
	kprobe_close(st);
	errno = saved;
	return (-1);
}

const struct quark_backend_ops quark_backend_kprobe = {
	.name = "kprobe",
	.open = kprobe_open,
	.poll = kprobe_poll,
	.fd = kprobe_fd,
	.stats = kprobe_stats,
	.close = kprobe_close,
};
