/*
 * queue.c - the public queue: raw event intake (queue_submit), and
 * quark_queue_next() driving order -> cache -> event (the backend is
 * chosen and opened by backend.c).
 *
 * One call to quark_queue_next():
 *   1. releases the record handed out by the previous call;
 *   2. polls the backend for at most `budget` raw events, and never for
 *      more than the queue has room for (the ring is the backpressure);
 *   3. applies to the cache, in time order, the raw events whose reorder
 *      window has passed (see apply.c);
 *   4. collects exited processes past their grace time, reconciles the
 *      cache with /proc if a loss happened or reconcile_ns passed;
 *   5. hands out a due record (see order.c), its raw events applied.
 *
 * Host changes: at the first call of each drain (after a call that
 * returned NULL), before taking raw events, the queue asks whether the
 * wall clock was set or the user databases changed since (a timerfd and
 * an inotify fd in the notify fd's epoll set: one epoll_wait(0) per
 * drain, see clock.c and names.c) and dates the change to then.
 */
#include <sys/epoll.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "engine.h"
#include "names.h"

/* Exited processes are collected on whole seconds of the clock (ns). */
#define GC_QUANTUM_NS	NS_PER_SEC

#include "queue_int.h"

void
quark_queue_default_attr(struct quark_queue_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->backend = QUARK_BACKEND_AUTO;
	attr->max_length = 10000;
	attr->hold_max_ns = 1000 * NS_PER_MS;
	attr->hold_min_ns = 1 * NS_PER_MS;
	attr->reorder_ns = 25 * NS_PER_MS;
	attr->grace_ns = 5 * NS_PER_SEC;
	attr->reconcile_ns = 30 * NS_PER_SEC;
	attr->ring_bytes = 8U << 20;
	attr->argv_cap = 32U << 10;
	attr->env_cap = 32U << 10;
}

void
queue_set_clock(struct quark_queue *qq, uint64_t (*now)(void))
{
	qq->now = now != NULL ? now : quark_boot_now;
	qq->next_reconcile = 0;
}

/* The pids /proc lists now: its numeric names. */
static int
proc_pids(pid_t **pids, size_t *n)
{
	struct dirent	*de;
	const char	*err;
	pid_t		*v = NULL, *nv;
	size_t		 cap = 0;
	DIR		*d;
	long long	 pid;

	*n = 0;
	if ((d = opendir("/proc")) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = strtonum(de->d_name, 1, INT32_MAX, &err);
		if (err != NULL)
			continue;
		if (*n == cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				free(v);
				closedir(d);
				return (-1);
			}
			v = nv;
		}
		v[(*n)++] = (pid_t)pid;
	}
	closedir(d);
	*pids = v;
	return (0);
}

void
queue_set_reader(struct quark_queue *qq,
    struct quark_process *(*reader)(pid_t, int))
{
	qq->reader = reader != NULL ? reader : quark_process_read;
}

void
queue_set_lister(struct quark_queue *qq, int (*lister)(pid_t **, size_t *))
{
	qq->lister = lister != NULL ? lister : proc_pids;
}

void
queue_set_poll_budget(struct quark_queue *qq, int budget)
{
	qq->budget = budget > 0 ? budget : QUEUE_POLL_BUDGET;
}

static int
scrape_flags(const struct quark_queue *qq)
{
	return ((qq->attr.flags & QQ_ENV) ? QS_ENV : 0);
}

/* Seeds the cache from /proc: every process that predates the queue. */
static int
queue_seed(struct quark_queue *qq)
{
	struct quark_scrape	*qs;
	struct quark_process	*p;
	int			 saved;

	if ((qs = quark_scrape_open(scrape_flags(qq))) == NULL)
		return (-1);
	for (;;) {
		errno = 0;
		if ((p = quark_scrape_next(qs)) == NULL) {
			if (errno != 0)
				goto fail;
			break;
		}
		if (cache_seed(&qq->cache, p) == -1) {
			quark_process_free(p);
			goto fail;
		}
	}
	quark_scrape_close(qs);
	return (0);
fail:
	saved = errno;
	quark_scrape_close(qs);
	errno = saved;
	return (-1);
}

/*
 * The notify fd: an epoll set of the clock's timerfd and the user
 * databases' inotify fd.  Without one of them the queue still notices
 * the change, by measuring the clock offset again (3 vDSO clock reads)
 * or stat(2)ing the databases at every drain, only not woken by it.
 */
static void
notify_add(struct quark_queue *qq, int fd)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	if (fd != -1 && qq->notify_fd != -1 &&
	    epoll_ctl(qq->notify_fd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		close(qq->notify_fd);
		qq->notify_fd = -1;
	}
}

static void
notify_open(struct quark_queue *qq)
{
	qq->clock_fd = clock_watch_open();
	qq->names_fd = names_watch_open(quark_boot_now());
	if ((qq->notify_fd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return;
	notify_add(qq, qq->clock_fd);
	notify_add(qq, qq->names_fd);
}

static void
notify_close(struct quark_queue *qq)
{
	if (qq->notify_fd != -1)
		close(qq->notify_fd);
	if (qq->clock_fd != -1)
		close(qq->clock_fd);
	if (qq->names_fd != -1)
		close(qq->names_fd);
	qq->notify_fd = qq->clock_fd = qq->names_fd = -1;
}

/* What changed on the host since the last drain. */
static void
notify_check(struct quark_queue *qq)
{
	struct epoll_event	ev[2];
	int			n, i;

	if (qq->notify_fd == -1 || qq->clock_fd == -1)
		clock_watch_check(qq->clock_fd);
	if (qq->notify_fd == -1 || qq->names_fd == -1)
		names_watch_check(qq->names_fd, quark_boot_now());
	if (qq->notify_fd == -1 ||
	    (n = epoll_wait(qq->notify_fd, ev, nitems(ev), 0)) <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (ev[i].data.fd == qq->clock_fd)
			clock_watch_check(qq->clock_fd);
		else if (ev[i].data.fd == qq->names_fd)
			names_watch_check(qq->names_fd, quark_boot_now());
	}
}

static int
attr_valid(const struct quark_queue_attr *attr)
{
	if (!backend_valid(attr->backend))
		return (0);
	if (attr->max_length == 0 || attr->hold_min_ns > attr->hold_max_ns)
		return (0);
	return (1);
}

struct quark_queue *
quark_queue_open(const struct quark_queue_attr *attr)
{
	if (attr != NULL && attr->backend == QUARK_BACKEND_FAKE) {
		errno = EINVAL;
		return (NULL);
	}
	return (queue_open_test(attr, NULL));
}

const struct queue_test *
queue_test_of(const struct quark_queue *qq)
{
	return (&qq->test);
}

struct quark_queue *
queue_open_test(const struct quark_queue_attr *attr,
    const struct queue_test *t)
{
	struct quark_queue	*qq;
	struct quark_queue_attr	 def;
	int			 saved;

	if (attr == NULL) {
		quark_queue_default_attr(&def);
		attr = &def;
	}
	if (!attr_valid(attr) || (t != NULL && t->nfake > 0 &&
	    t->fake == NULL)) {
		errno = EINVAL;
		return (NULL);
	}
	if ((qq = calloc(1, sizeof(*qq))) == NULL)
		return (NULL);
	qq->notify_fd = qq->clock_fd = qq->names_fd = -1;
	qq->drained = 1;
	qq->attr = *attr;
	if (t != NULL)
		qq->test = *t;
	qq->rules = qq->test.agg != NULL ? qq->test.agg : &quark_agg_default;
	qq->now = quark_boot_now;
	qq->reader = quark_process_read;
	qq->lister = proc_pids;
	qq->budget = QUEUE_POLL_BUDGET;
	qq->policy.hold_max = attr->hold_max_ns;
	qq->policy.hold_min = attr->hold_min_ns;
	qq->policy.reorder = attr->reorder_ns;
	qq->policy.max_length = attr->max_length;
	order_init(&qq->order);
	qq->order.sorted = (attr->flags & QQ_SORTED) != 0;
	cache_init(&qq->cache, attr->grace_ns);
	TAILQ_INIT(&qq->ready);
	clock_init();
	notify_open(qq);
	/* Capture first, then /proc: nothing falls between the two. */
	if (backend_open(qq, attr->backend) == -1)
		goto fail;
	if ((attr->flags & QQ_NO_SCRAPE) == 0 && queue_seed(qq) == -1)
		goto fail;
	return (qq);
fail:
	saved = errno;
	quark_queue_close(qq);
	errno = saved;
	return (NULL);
}

void
quark_queue_close(struct quark_queue *qq)
{
	struct qrecord	*rec;

	if (qq == NULL)
		return;
	if (qq->state != NULL)
		qq->ops->close(qq->state);
	notify_close(qq);
	record_free(&qq->order, qq->cur);
	while ((rec = TAILQ_FIRST(&qq->ready)) != NULL) {
		TAILQ_REMOVE(&qq->ready, rec, link);
		record_free(&qq->order, rec);
	}
	/* Records first: their views may pin cache entries. */
	order_clear(&qq->order);
	cache_clear(&qq->cache);
	free(qq);
}

/*
 * Full: a record leaves now, so the queue never exceeds max_length: the
 * oldest, or an earlier record of its process before it.
 */
static void
force_out(struct quark_queue *qq, uint64_t now)
{
	struct qrecord	*rec;

	if ((rec = order_head(&qq->order)) == NULL)
		return;
	rec = order_first_of(&qq->order, rec);
	/* Without memory for the cache the record says less, and leaves. */
	(void)apply_record(&qq->order, &qq->cache, rec, now);
	order_pop(&qq->order, rec);
	TAILQ_INSERT_TAIL(&qq->ready, rec, link);
}

/* A record of its own for raw. */
static void
submit_alone(struct quark_queue *qq, struct raw_event *raw, uint32_t flags,
    uint64_t now)
{
	struct qrecord	*rec;
	int		 aggregates;

	if ((rec = record_new(&qq->order, raw, now)) == NULL) {
		/* Out of memory: as good as lost, and reported as such. */
		raw_event_free(raw);
		qq->stats.lost++;
		return;
	}
	rec->flags |= flags;
	aggregates = flags == 0 && raw->type != RAW_LOST &&
	    (qq->attr.flags & QQ_NO_AGGREGATE) == 0;
	if (qq->order.length >= qq->attr.max_length)
		force_out(qq, now);
	order_insert(&qq->order, rec, aggregates);
	apply_enqueue(&qq->order, raw, rec, now);
	qq->stats.non_aggregations++;
}

/* Tries to fold raw into a queued record of its pid; 0 if it did. */
static int
submit_merge(struct quark_queue *qq, struct raw_event *raw, uint64_t now)
{
	struct qrecord	*rec;
	int		 front;

	if ((rec = order_candidate(&qq->order, raw)) == NULL)
		return (-1);
	front = raw_cmp(raw, TAILQ_FIRST(&rec->raws)) < 0;
	if (agg_try(qq->rules, rec, raw) == -1)
		return (-1);
	if (front)
		order_rekey(&qq->order, rec);
	order_grew(&qq->order, rec, now);
	apply_enqueue(&qq->order, raw, rec, now);
	qq->stats.aggregations++;
	return (0);
}

/*
 * When raw arrived, as the reorder window and the hold count it: now; or,
 * for data the reader let gather (quark_queue_gathered()), when it was
 * there to read: its kernel time, not before the reader saw the fd ready,
 * not after now.
 */
static uint64_t
arrival_of(struct quark_queue *qq, const struct raw_event *raw)
{
	uint64_t	now = qq->now();

	if (qq->gathered == 0 || qq->gathered >= now)
		return (now);
	if (raw->time <= qq->gathered)
		return (qq->gathered);
	return (raw->time < now ? raw->time : now);
}

/* Backends hand over every raw event here; the queue owns it from now. */
void
queue_submit(struct quark_queue *qq, struct raw_event *raw)
{
	uint64_t	now = arrival_of(qq, raw);

	raw->seq = ++qq->seq;
	qq->stats.insertions++;
	if (raw->type == RAW_LOST) {
		qq->stats.lost += raw->lost.count;
		submit_alone(qq, raw, 0, now);
		return;
	}
	if (raw->flags & RAW_F_THREAD) {
		if ((qq->attr.flags & QQ_THREADS) == 0) {
			qq->stats.insertions--;
			raw_event_free(raw);
			return;
		}
		submit_alone(qq, raw, QUARK_EVF_THREAD, now);
		return;
	}
	if ((qq->attr.flags & QQ_NO_AGGREGATE) == 0 &&
	    submit_merge(qq, raw, now) == 0)
		return;
	submit_alone(qq, raw, 0, now);
}

static int
queue_poll(struct quark_queue *qq)
{
	uint64_t	room;
	int		n, budget;

	if (qq->stopped == 2 || qq->order.length >= qq->attr.max_length)
		return (0);
	room = qq->attr.max_length - qq->order.length;
	budget = room < (uint64_t)qq->budget ? (int)room : qq->budget;
	if ((n = qq->ops->poll(qq, qq->state, budget)) == -1)
		return (-1);
	/* Drained: what comes next arrives from now on. */
	if (n < budget)
		qq->gathered = 0;
	if (qq->stopped == 1 && n == 0)
		qq->stopped = 2;
	return (n);
}

/*
 * The reconcile runs when a loss is applied (apply_due() stops there):
 * an entry with raw events still to apply is left to them; the others,
 * queued records or not, are as the kernel last said (records keep
 * views of what they showed: view_detach()).
 */
static int
busy_pid(void *arg, pid_t pid)
{
	return (order_unapplied(arg, pid));
}

static void
housekeeping(struct quark_queue *qq, uint64_t now)
{
	cache_gc(&qq->cache, now);
	if (qq->next_reconcile == 0)
		qq->next_reconcile = now + qq->attr.reconcile_ns;
	if (qq->cache.reconcile_due || now >= qq->next_reconcile) {
		cache_reconcile(&qq->cache, qq->reader, scrape_flags(qq),
		    busy_pid, &qq->order, now);
		/* After a loss: the processes whose fork was in the gap. */
		if (qq->cache.reconcile_due)
			cache_adopt(&qq->cache, qq->lister, qq->reader,
			    scrape_flags(qq), busy_pid, &qq->order);
		qq->cache.reconcile_due = 0;
		qq->next_reconcile = now + qq->attr.reconcile_ns;
	}
}

const struct quark_event *
quark_queue_next(struct quark_queue *qq)
{
	struct qrecord	*rec;
	uint64_t	 now;
	int		 r, force;

	record_free(&qq->order, qq->cur);
	qq->cur = NULL;
	if (qq->drained) {
		qq->drained = 0;
		notify_check(qq);
	}
	if (queue_poll(qq) == -1) {
		qq->drained = 1;
		return (NULL);
	}
	now = qq->now();
	do {
		if (apply_due(&qq->order, &qq->cache, qq->policy.reorder, now,
		    qq->stopped != 0) == -1) {
			qq->drained = 1;
			return (NULL);
		}
		/* A loss stops apply_due(): reconcile, then the rest. */
		r = qq->cache.reconcile_due;
		housekeeping(qq, now);
	} while (r);
	for (;;) {
		if ((rec = TAILQ_FIRST(&qq->ready)) != NULL)
			TAILQ_REMOVE(&qq->ready, rec, link);
		else if ((rec = order_next(&qq->order, &qq->policy, now,
		    qq->stopped != 0, &force)) == NULL) {
			qq->drained = 1;
			errno = 0;
			return (NULL);
		} else {
			r = force ? apply_record(&qq->order, &qq->cache, rec,
			    now) : 0;
			order_pop(&qq->order, rec);
			if (r == -1) {
				qq->cur = rec;
				qq->drained = 1;
				return (NULL);
			}
		}
		qq->cur = rec;
		qq->stats.removals++;
		if (event_fill(&qq->event, &qq->scratch, rec) == 0)
			break;
		record_free(&qq->order, qq->cur);
		qq->cur = NULL;
	}
	return (&qq->event);
}

int
quark_queue_fd(struct quark_queue *qq)
{
	return (qq->ops->fd(qq->state));
}

void
quark_queue_gathered(struct quark_queue *qq, uint64_t since_ns)
{
	qq->gathered = since_ns;
}

int
quark_queue_notify_fd(struct quark_queue *qq)
{
	return (qq->notify_fd);
}

static int
ns_to_ms(uint64_t due, uint64_t now)
{
	uint64_t	ms;

	if (due <= now)
		return (0);
	ms = (due - now + NS_PER_MS - 1) / NS_PER_MS;
	return (ms > INT_MAX ? INT_MAX : (int)ms);
}

static void
due_min(uint64_t *due, int *has, uint64_t at)
{
	if (!*has || at < *due)
		*due = at;
	*has = 1;
}

/*
 * Until a record is due (and its raw events can be applied) or an exited
 * process is to be collected, whichever comes first: no wakeup for
 * anything else (raw events are applied on the way, the periodic
 * reconcile runs at the next call after its time).  0 when something is
 * ready or a reconcile is pending; -1 when nothing is held at all.
 */
int
quark_queue_timeout_ms(struct quark_queue *qq)
{
	uint64_t	 due = 0, at, apply_at = 0;
	int		 has = 0, has_apply;

	if (!TAILQ_EMPTY(&qq->ready) || qq->cache.reconcile_due)
		return (0);
	if (qq->stopped && (order_head(&qq->order) != NULL ||
	    qq->stopped == 1))
		return (0);
	has_apply = apply_next_at(&qq->order, qq->policy.reorder, &apply_at);
	if (order_next_at(&qq->order, &qq->policy, has_apply, apply_at, &at))
		due_min(&due, &has, at);
	/*
	 * Collections wait for the next whole second of the clock: the
	 * exits of one second cost one wakeup, not one each (the grace is
	 * a minimum; a lookup meanwhile still finds the entry).
	 */
	if ((at = cache_gc_due(&qq->cache)) != 0)
		due_min(&due, &has,
		    (at + GC_QUANTUM_NS - 1) / GC_QUANTUM_NS * GC_QUANTUM_NS);
	if (!has)
		return (-1);
	return (ns_to_ms(due, qq->now()));
}

int
quark_queue_stop(struct quark_queue *qq)
{
	if (qq->stopped == 0)
		qq->stopped = 1;
	return (0);
}

void
quark_queue_stats(struct quark_queue *qq, struct quark_stats *st)
{
	struct quark_backend_stats	bst;

	*st = qq->stats;
	st->late = qq->order.late;
	st->length = qq->order.length;
	st->peak_length = qq->order.peak;
	st->cache_size = qq->cache.size;
	st->garbage_collections = qq->cache.gcs;
	st->reconciles = qq->cache.reconciles;
	st->reconcile_evictions = qq->cache.evictions;
	st->cred_noops = qq->cache.cred_noops;
	memset(&bst, 0, sizeof(bst));
	if (qq->state != NULL && qq->ops->stats(qq->state, &bst) == 0) {
		st->bad_records = bst.bad_records;
		memcpy(st->features_off, bst.features_off,
		    sizeof(st->features_off));
		if (bst.lost > st->lost)
			st->lost = bst.lost;
	}
}

const struct quark_process *
quark_process_lookup(struct quark_queue *qq, pid_t pid)
{
	struct centry	*e;

	if ((e = cache_get(&qq->cache, pid)) == NULL) {
		errno = ESRCH;
		return (NULL);
	}
	return (&e->p);
}

void
quark_process_iter_init(struct quark_process_iter *it, struct quark_queue *qq)
{
	it->qq = qq;
	it->cur = cache_first(&qq->cache);
}

const struct quark_process *
quark_process_iter_next(struct quark_process_iter *it)
{
	struct centry	*e = it->cur;

	if (e == NULL)
		return (NULL);
	it->cur = cache_next(&it->qq->cache, e);
	return (&e->p);
}
