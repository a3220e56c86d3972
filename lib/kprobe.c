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
 * The data path: kpfetch.c writes each probe's fetch-args from BTF;
 * kptracefs.c creates the probes and reads their formats (and removes
 * them at close, or at the next start after a SIGKILL); this file opens
 * one perf ring per CPU for all the events and reads it; kprecord.c turns
 * ring records into samples; kpdecode.c samples into raw events (it joins
 * the parts of an exec and keeps each thread's credentials), with
 * kpformat.c's field reads and path walks.  Samples are merged in time
 * order per poll; the engine's ordering stage does the rest.  A ring that
 * overflows says how many samples it dropped (PERF_RECORD_LOST): those
 * become RAW_LOST events with that exact count.
 */
#include <linux/perf_event.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* Records read from one ring in one poll, at most: the rest waits. */
#define RING_BATCH	4096
/* Records younger than this at the start of a poll wait for the next. */
#define CUT_NS		(1 * NS_PER_MS)
/* Records read and not decoded, at most: then the rings wait. */
#define BUF_MAX		(4 * RING_BATCH)
/* An exec still missing parts this long after its first is handed out. */
#define EXEC_WAIT_NS	(200 * NS_PER_MS)

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
	struct kp_events	 evs;		/* tracefs events read */
	const struct kp_format	*fmts[KP_EVENTS];	/* evs.ev[i].fmt */
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

/* perf -------------------------------------------------------------------- */

static int
ring_open(struct kprobe *st, int cpu, const struct kp_event *ev, int first)
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
	st->fds[cpu * KP_EVENTS + (ev - st->evs.ev)] = fd;
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
	    (st->fds = malloc(st->ncpus * KP_EVENTS *
	    sizeof(*st->fds))) == NULL)
		return (-1);
	for (i = 0; i < st->ncpus * KP_EVENTS; i++)
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
		for (i = 0; i < st->evs.nev; i++) {
			if ((r = ring_open(st, cpu, &st->evs.ev[i],
			    i == 0)) == 1)
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
	    st->evs.nev) == -1) {
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
		for (i = 0; i < (size_t)st->ncpus * KP_EVENTS; i++)
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
	kp_events_remove(&st->evs, 0);
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
	for (i = 0; i < KP_EVENTS; i++)
		st->fmts[i] = &st->evs.ev[i].fmt;
	st->evfd = -1;
	if (kp_tracefs_open(&st->evs) == -1) {
		snprintf(why, sizeof(why), "tracefs is not mounted and cannot "
		    "be: %s", strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/kprobe_events", st->evs.tracefs);
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
	kp_stale_remove(&st->evs);
	for (i = 0; i < nitems(required_kinds); i++)
		if (kp_kprobe_add(&st->evs, btf, required_kinds[i], why,
		    sizeof(why)) == -1)
			goto fail;
	if (attr->flags & QQ_ENV)
		off_add(st, "environments: not with the kprobe backend");
	/* The old pid of a thread's exec: the exec tracepoint. */
	if (kp_exec_tracepoint_add(&st->evs) == -1) {
		kp_decoder_parts(st->dec, KP_EXEC_PARTS & ~(1U << KP_EXECTP));
		off_add(st, "the old pid of an exec by a thread: no "
		    "sched:sched_process_exec tracepoint");
	}
	/* Credential changes: commit_creds and the syscall tracepoints. */
	nreq = st->evs.nev;
	if (kp_kprobe_add(&st->evs, btf, KP_CREDS, why, sizeof(why)) == -1 ||
	    kp_cred_tracepoints_add(&st->evs) == -1) {
		off_add(st, "credential changes: %s", why[0] != '\0' ? why :
		    "no syscalls:sys_exit_set* tracepoints "
		    "(CONFIG_FTRACE_SYSCALLS)");
		kp_events_remove(&st->evs, nreq);
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
