/*
 * order.c - the time-ordering queue and its hold policy.
 *
 * Raw events reach user space in ring order, which is per-CPU time order
 * at best: a child's exec on CPU 1 can arrive before its fork seen on
 * CPU 0.  Records wait here, sorted by (time, causal rank, arrival seq) of
 * their first raw event, until due:
 *
 *  - a record that is complete (it holds an exit: nothing can join it
 *    any more), a lost record, a thread record or a late one is due
 *    reorder ns (25 ms) after its newest raw event arrived: long enough
 *    for the other CPUs' rings to deliver anything older;
 *  - any other record is due hold(fill) after it began, so that its
 *    exec and exit can still join it.  hold() shrinks as the queue fills
 *    so memory stays bounded: hold_max up to 10% fill, then linearly
 *    down to hold_min at 90%, and 0 from 90% on.
 *
 * Only the head is ever due: records leave in key order.  A record whose
 * time is older than a record already emitted leaves marked late.
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
		o->spare = TAILQ_NEXT(rec, ready);
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
	rec->arrival_first = rec->arrival_last = now;
	record_key(rec);
	return (rec);
}

void
record_free(struct order *o, struct qrecord *rec)
{
	struct raw_event	*raw;

	if (rec == NULL)
		return;
	while ((raw = TAILQ_FIRST(&rec->raws)) != NULL) {
		TAILQ_REMOVE(&rec->raws, raw, entry);
		raw_event_free(raw);
	}
	if (o != NULL && o->nspare < REC_SPARES) {
		TAILQ_NEXT(rec, ready) = o->spare;
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
}

void
order_clear(struct order *o)
{
	struct qrecord	*rec;

	while ((rec = order_pop(o)) != NULL)
		record_free(NULL, rec);
	while ((rec = o->spare) != NULL) {
		o->spare = TAILQ_NEXT(rec, ready);
		free(rec);
	}
	o->nspare = 0;
}

/* aggregates: the record may take later raw events (it is in the pid index). */
void
order_insert(struct order *o, struct qrecord *rec, int aggregates)
{
	RB_INSERT(order_key_tree, &o->keys, rec);
	if (aggregates) {
		RB_INSERT(order_pid_tree, &o->pids, rec);
		rec->in_pidtree = 1;
	}
	if (++o->length > o->peak)
		o->peak = o->length;
}

static void
order_unlink(struct order *o, struct qrecord *rec)
{
	RB_REMOVE(order_key_tree, &o->keys, rec);
	if (rec->in_pidtree) {
		RB_REMOVE(order_pid_tree, &o->pids, rec);
		rec->in_pidtree = 0;
	}
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
	order_unlink(o, rec);
	record_key(rec);
	order_insert(o, rec, aggregates);
}

/* 1 when a record about pid waits in the queue. */
int
order_busy(struct order *o, pid_t pid)
{
	struct qrecord	 probe, *n;

	memset(&probe, 0, sizeof(probe));
	probe.pid = pid;
	n = RB_NFIND(order_pid_tree, &o->pids, &probe);
	return (n != NULL && n->pid == pid);
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

static int
record_is_late(const struct order *o, const struct qrecord *rec)
{
	return (o->emitted && rec->time < o->last_time);
}

static int
record_is_complete(const struct qrecord *rec)
{
	return (REC_HAS(rec, QUARK_EV_EXIT) || REC_HAS(rec, RAW_LOST) ||
	    (rec->flags & QUARK_EVF_THREAD));
}

/* Clock value at which rec, were it the head, is due. */
uint64_t
order_due_at(const struct order *o, const struct order_policy *pol,
    const struct qrecord *rec)
{
	if (record_is_complete(rec) || record_is_late(o, rec))
		return (rec->arrival_last + pol->reorder);
	return (rec->arrival_first + order_hold_ns(pol->hold_max,
	    pol->hold_min, o->length, pol->max_length));
}

/* Takes the head out, due or not, and marks it late if it is. */
struct qrecord *
order_pop(struct order *o)
{
	struct qrecord	*rec;

	if ((rec = order_head(o)) == NULL)
		return (NULL);
	order_unlink(o, rec);
	if (record_is_late(o, rec)) {
		rec->flags |= QUARK_EVF_LATE;
		o->late++;
	} else {
		o->emitted = 1;
		o->last_time = rec->time;
	}
	return (rec);
}

/* The head if it is due at now (or drain is set), else NULL. */
struct qrecord *
order_pop_due(struct order *o, const struct order_policy *pol, uint64_t now,
    int drain)
{
	struct qrecord	*rec;

	if ((rec = order_head(o)) == NULL)
		return (NULL);
	if (!drain && now < order_due_at(o, pol, rec))
		return (NULL);
	return (order_pop(o));
}
