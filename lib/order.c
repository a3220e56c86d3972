/*
 * order.c - records in the order queue, and when each one is due.
 *
 * Raw events reach user space in ring order, which is per-CPU time order
 * at best: a child's exec on CPU 1 can arrive before its fork seen on
 * CPU 0.  Raw events enter the cache in time order, each after waiting
 * reorder ns (25 ms) since it arrived (apply.c); records, sorted by
 * (time, causal rank, arrival seq) of their first raw event, wait here:
 *
 *  - a record that can no longer grow (done: it holds an exit, it is a
 *    lost, thread or non-aggregating record, or a later record of its
 *    process exists) is due reorder ns after its newest raw event
 *    arrived: long enough for the other CPUs' rings to deliver anything
 *    older;
 *  - any other record (held) is due hold(fill) after it began, so that
 *    its exec and exit can still join it; it then leaves as a partial
 *    record and the process's later events make records of their own.
 *    hold() shrinks as the queue fills so memory stays bounded: hold_max
 *    up to 10% fill, then linearly down to hold_min at 90%, and 0 from
 *    90% on.
 *
 * Which due record leaves:
 *  - default: any due record whose raw events are all in the cache and
 *    that is its process's first queued record.  A record leaves as soon
 *    as it is whole, whatever is held ahead of it (a process that runs
 *    for seconds delays nobody else's record).  Records of different
 *    processes may leave out of time order; records of one process never
 *    do.  A held record at its hold leaves with its process's earlier
 *    records before it;
 *  - sorted (QQ_SORTED): only the head, in key order, as a strict global
 *    time order; a record older than one already emitted leaves marked
 *    late.  A held head holds every record behind it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/*
 * Causal rank for equal timestamps: a process is forked, then execs,
 * then changes credentials or name, then exits.
 */
static const uint8_t causal_rank[RAW_TYPE_COUNT] = {
	[QUARK_EV_FORK] = 0,
	[QUARK_EV_EXEC] = 1,
	[QUARK_EV_SETUID] = 2,
	[QUARK_EV_SETGID] = 2,
	[QUARK_EV_SETSID] = 2,
	[QUARK_EV_COMM] = 2,
	[QUARK_EV_EXIT] = 3,
	[RAW_LOST] = 2,
};

uint32_t
raw_rank(uint32_t type)
{
	return (type < RAW_TYPE_COUNT ? causal_rank[type] : 2);
}

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return (a < b ? -1 : a > b);
}

int
raw_cmp(const struct raw_event *a, const struct raw_event *b)
{
	int	c;

	if ((c = cmp_u64(a->time, b->time)) != 0)
		return (c);
	if ((c = cmp_u64(raw_rank(a->type), raw_rank(b->type))) != 0)
		return (c);
	return (cmp_u64(a->seq, b->seq));
}

static int
rec_key_cmp(const struct qrecord *a, const struct qrecord *b)
{
	int	c;

	if ((c = cmp_u64(a->time, b->time)) != 0)
		return (c);
	if ((c = cmp_u64(a->rank, b->rank)) != 0)
		return (c);
	return (cmp_u64(a->seq, b->seq));
}

static int
rec_pid_cmp(const struct qrecord *a, const struct qrecord *b)
{
	if (a->pid != b->pid)
		return (a->pid < b->pid ? -1 : 1);
	return (rec_key_cmp(a, b));
}

RB_GENERATE_STATIC(order_key_tree, qrecord, by_key, rec_key_cmp)
RB_GENERATE_STATIC(order_pid_tree, qrecord, by_pid, rec_pid_cmp)
RB_GENERATE_STATIC(order_proc_tree, qrecord, by_proc, rec_pid_cmp)

static void
record_key(struct qrecord *rec)
{
	struct raw_event	*first = TAILQ_FIRST(&rec->raws);

	rec->time = first->time;
	rec->rank = raw_rank(first->type);
}

/* A record of one raw event, which it now owns. */
struct qrecord *
record_new(struct order *o, struct raw_event *raw, uint64_t now)
{
	struct qrecord	*rec;

	if ((rec = o->spare) != NULL) {
		o->spare = TAILQ_NEXT(rec, link);
		o->nspare--;
		memset(rec, 0, sizeof(*rec));
	} else if ((rec = calloc(1, sizeof(*rec))) == NULL)
		return (NULL);
	TAILQ_INIT(&rec->raws);
	TAILQ_INSERT_TAIL(&rec->raws, raw, entry);
	rec->nraws = 1;
	rec->kinds = 1U << raw->type;
	rec->pid = raw->pid;
	rec->seq = raw->seq;
	rec->arrival_first = rec->arrival_last = rec->done_at = now;
	record_key(rec);
	return (rec);
}

void
record_free(struct order *o, struct qrecord *rec)
{
	struct raw_event	*raw;

	if (rec == NULL)
		return;
	view_drop(&rec->proc);
	view_drop(&rec->parent);
	apply_prev_free(rec);
	while ((raw = TAILQ_FIRST(&rec->raws)) != NULL) {
		TAILQ_REMOVE(&rec->raws, raw, entry);
		raw_event_free(raw);
	}
	if (o != NULL && o->nspare < REC_SPARES) {
		TAILQ_NEXT(rec, link) = o->spare;
		o->spare = rec;
		o->nspare++;
	} else
		free(rec);
}

void
order_init(struct order *o)
{
	memset(o, 0, sizeof(*o));
	RB_INIT(&o->keys);
	RB_INIT(&o->pids);
	RB_INIT(&o->procs);
	TAILQ_INIT(&o->held);
	TAILQ_INIT(&o->done);
	TAILQ_INIT(&o->pending);
}

void
order_clear(struct order *o)
{
	struct qrecord	*rec;

	apply_clear(o);
	while ((rec = order_head(o)) != NULL) {
		order_remove(o, rec);
		record_free(NULL, rec);
	}
	while ((rec = o->spare) != NULL) {
		o->spare = TAILQ_NEXT(rec, link);
		free(rec);
	}
	o->nspare = 0;
}

static void
list_set(struct order *o, struct qrecord *rec, int list, uint64_t now)
{
	if (rec->list == REC_HELD)
		TAILQ_REMOVE(&o->held, rec, link);
	else if (rec->list == REC_DONE)
		TAILQ_REMOVE(&o->done, rec, link);
	rec->list = list;
	if (list == REC_HELD)
		TAILQ_INSERT_TAIL(&o->held, rec, link);
	else if (list == REC_DONE) {
		rec->done_at = now;
		TAILQ_INSERT_TAIL(&o->done, rec, link);
	}
}

static void
trees_insert(struct order *o, struct qrecord *rec, int aggregates)
{
	RB_INSERT(order_key_tree, &o->keys, rec);
	if (aggregates) {
		RB_INSERT(order_pid_tree, &o->pids, rec);
		rec->in_pidtree = 1;
	}
	if (rec->pid != 0 && !REC_HAS(rec, RAW_LOST)) {
		RB_INSERT(order_proc_tree, &o->procs, rec);
		rec->in_proctree = 1;
	}
}

static void
trees_remove(struct order *o, struct qrecord *rec)
{
	RB_REMOVE(order_key_tree, &o->keys, rec);
	if (rec->in_pidtree) {
		RB_REMOVE(order_pid_tree, &o->pids, rec);
		rec->in_pidtree = 0;
	}
	if (rec->in_proctree) {
		RB_REMOVE(order_proc_tree, &o->procs, rec);
		rec->in_proctree = 0;
	}
}

/* The nearest process record (not a thread's) of rec's pid before or after. */
static struct qrecord *
proc_neighbour(struct order *o, struct qrecord *rec, int after)
{
	struct qrecord	*n = rec;

	do
		n = after ? RB_NEXT(order_proc_tree, &o->procs, n) :
		    RB_PREV(order_proc_tree, &o->procs, n);
	while (n != NULL && n->pid == rec->pid &&
	    (n->flags & QUARK_EVF_THREAD));
	return (n != NULL && n->pid == rec->pid ? n : NULL);
}

/*
 * A record with a later record of its process can no longer grow in
 * time (what comes later starts there): done.  The earlier one is, too.
 * Thread records close nothing: the process's record still takes its
 * exit (they only wait behind it).
 */
static void
chain_close(struct order *o, struct qrecord *rec, uint64_t now)
{
	struct qrecord	*prev, *next;

	if (!rec->in_proctree || (rec->flags & QUARK_EVF_THREAD))
		return;
	prev = proc_neighbour(o, rec, 0);
	next = proc_neighbour(o, rec, 1);
	if (prev != NULL && prev->list == REC_HELD)
		list_set(o, prev, REC_DONE, now);
	if (next != NULL && rec->list == REC_HELD)
		list_set(o, rec, REC_DONE, now);
}

static int
record_is_complete(const struct qrecord *rec)
{
	return (!rec->in_pidtree || REC_HAS(rec, QUARK_EV_EXIT) ||
	    REC_HAS(rec, RAW_LOST) || (rec->flags &
	    (QUARK_EVF_THREAD | QUARK_EVF_LATE)));
}

/* aggregates: the record may take later raw events (it is in the pid index). */
void
order_insert(struct order *o, struct qrecord *rec, int aggregates)
{
	trees_insert(o, rec, aggregates);
	list_set(o, rec, record_is_complete(rec) ? REC_DONE : REC_HELD,
	    rec->arrival_last);
	chain_close(o, rec, rec->arrival_last);
	if (++o->length > o->peak)
		o->peak = o->length;
}

/* Out of the queue (emitted, or the queue closes). */
void
order_remove(struct order *o, struct qrecord *rec)
{
	trees_remove(o, rec);
	list_set(o, rec, 0, 0);
	o->length--;
}

/*
 * The record raw may join: the pid's latest record that begins before raw,
 * else the pid's first record (raw is older than all of them, e.g. a fork
 * arriving after the child's exec).
 */
struct qrecord *
order_candidate(struct order *o, const struct raw_event *raw)
{
	struct qrecord	 probe, *n, *p;

	memset(&probe, 0, sizeof(probe));
	probe.pid = raw->pid;
	probe.time = raw->time;
	probe.rank = raw_rank(raw->type);
	probe.seq = raw->seq;
	n = RB_NFIND(order_pid_tree, &o->pids, &probe);
	p = n != NULL ? RB_PREV(order_pid_tree, &o->pids, n) :
	    RB_MAX(order_pid_tree, &o->pids);
	if (p != NULL && p->pid == raw->pid)
		return (p);
	if (n != NULL && n->pid == raw->pid)
		return (n);
	return (NULL);
}

/* The record's first raw event changed: move it to its new place. */
void
order_rekey(struct order *o, struct qrecord *rec)
{
	int	aggregates = rec->in_pidtree;

	/* RB_REMOVE works on the node, not its (already changed) key. */
	trees_remove(o, rec);
	record_key(rec);
	trees_insert(o, rec, aggregates);
	chain_close(o, rec, rec->arrival_last);
}

/*
 * A raw event joined rec (or was applied late to it) at now: the reorder
 * window starts again, and a record that now holds an exit is done.
 */
void
order_grew(struct order *o, struct qrecord *rec, uint64_t now)
{
	if (now > rec->arrival_last)
		rec->arrival_last = now;
	if (rec->list == REC_DONE || record_is_complete(rec))
		list_set(o, rec, REC_DONE, now);
}

/* 1 when a record about pid waits in the queue. */
int
order_busy(struct order *o, pid_t pid)
{
	struct qrecord	 probe, *n;

	memset(&probe, 0, sizeof(probe));
	probe.pid = pid;
	n = RB_NFIND(order_proc_tree, &o->procs, &probe);
	return (n != NULL && n->pid == pid);
}

/* 1 when a queued record of pid has raw events not yet applied. */
int
order_unapplied(struct order *o, pid_t pid)
{
	struct qrecord	 probe, *n;

	memset(&probe, 0, sizeof(probe));
	probe.pid = pid;
	for (n = RB_NFIND(order_proc_tree, &o->procs, &probe);
	    n != NULL && n->pid == pid; n = RB_NEXT(order_proc_tree, &o->procs, n))
		if (n->unapplied > 0)
			return (1);
	return (0);
}

struct qrecord *
order_head(struct order *o)
{
	return (RB_MIN(order_key_tree, &o->keys));
}

/*
 * hold(fill): hold_max up to 10% fill, linear from hold_max at 10% to
 * hold_min at 90%, 0 from 90% on.  Fill is compared in exact integer
 * fractions (len * 10 against max) so 10% and 90% are not rounded.
 */
uint64_t
order_hold_ns(uint64_t hold_max, uint64_t hold_min, uint64_t len,
    uint64_t max)
{
	unsigned __int128	span;
	uint64_t		num, den;

	if (max == 0 || len * 10 >= max * 9)
		return (0);
	if (len * 10 <= max)
		return (hold_max);
	if (hold_min >= hold_max)
		return (hold_max);
	span = hold_max - hold_min;
	num = max * 9 - len * 10;	/* 8 * max at 10%, 0 at 90% */
	den = max * 8;
	return (hold_min + (uint64_t)(span * num / den));
}

/* The first queued record of rec's process: it leaves before rec. */
struct qrecord *
order_first_of(struct order *o, struct qrecord *rec)
{
	struct qrecord	*prev;

	if (!rec->in_proctree)
		return (rec);
	while ((prev = RB_PREV(order_proc_tree, &o->procs, rec)) != NULL &&
	    prev->pid == rec->pid)
		rec = prev;
	return (rec);
}

static uint64_t
held_due(const struct order *o, const struct order_policy *pol,
    const struct qrecord *rec)
{
	return (rec->arrival_first + order_hold_ns(pol->hold_max,
	    pol->hold_min, o->length, pol->max_length));
}

static uint64_t
done_due(const struct order_policy *pol, const struct qrecord *rec)
{
	return ((rec->arrival_last > rec->done_at ? rec->arrival_last :
	    rec->done_at) + pol->reorder);
}

/* Sorted: a record older than one already emitted is late. */
static int
record_is_late(const struct order *o, const struct qrecord *rec)
{
	return (o->sorted && o->emitted && rec->time < o->last_time);
}

/* Clock value at which rec, were it the head, is due (sorted). */
static uint64_t
head_due(const struct order *o, const struct order_policy *pol,
    const struct qrecord *rec)
{
	if (rec->list == REC_DONE || record_is_late(o, rec))
		return (done_due(pol, rec));
	return (held_due(o, pol, rec));
}

/* A done record that may leave now: in the cache, first of its process. */
static int
done_free(struct order *o, struct qrecord *rec)
{
	return (rec->unapplied == 0 && order_first_of(o, rec) == rec);
}

/*
 * The record to hand out now, or NULL.  *force: its raw events must be
 * applied first, their reorder window cut short (a hold that ran out,
 * a drain, the sorted head).  drain: everything is due, in key order.
 */
struct qrecord *
order_next(struct order *o, const struct order_policy *pol, uint64_t now,
    int drain, int *force)
{
	struct qrecord	*rec;

	*force = 1;
	if ((rec = order_head(o)) == NULL)
		return (NULL);
	if (drain)
		return (rec);
	if (o->sorted)
		return (now >= head_due(o, pol, rec) ? rec : NULL);
	*force = 0;
	TAILQ_FOREACH(rec, &o->done, link) {
		if (now < done_due(pol, rec))
			break;
		if (done_free(o, rec))
			return (rec);
	}
	*force = 1;
	if ((rec = TAILQ_FIRST(&o->held)) != NULL &&
	    now >= held_due(o, pol, rec))
		return (order_first_of(o, rec));
	return (NULL);
}

/*
 * 1 and *at: the clock value at which order_next() will have a record,
 * 0 if none is queued.  apply_at: when the oldest raw event not in the
 * cache is to be applied (has_apply), for a due record that waits for
 * its own.
 */
int
order_next_at(struct order *o, const struct order_policy *pol,
    int has_apply, uint64_t apply_at, uint64_t *at)
{
	struct qrecord	*rec;
	int		 has = 0;

	if ((rec = order_head(o)) == NULL)
		return (0);
	if (o->sorted) {
		*at = head_due(o, pol, rec);
		return (1);
	}
	TAILQ_FOREACH(rec, &o->done, link) {
		if (order_first_of(o, rec) != rec)
			continue;
		*at = done_due(pol, rec);
		if (rec->unapplied > 0 && has_apply && apply_at > *at)
			*at = apply_at;
		has = 1;
		break;
	}
	if ((rec = TAILQ_FIRST(&o->held)) != NULL &&
	    (!has || held_due(o, pol, rec) < *at)) {
		*at = held_due(o, pol, rec);
		has = 1;
	}
	return (has);
}

/* Takes rec out to be handed out; sorted: marks it late if it is. */
struct qrecord *
order_pop(struct order *o, struct qrecord *rec)
{
	order_remove(o, rec);
	if (record_is_late(o, rec)) {
		rec->flags |= QUARK_EVF_LATE;
		o->late++;
	} else if (o->sorted) {
		o->emitted = 1;
		o->last_time = rec->time;
	}
	return (rec);
}
