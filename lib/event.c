/*
 * event.c - a record leaving the order queue becomes a quark_event.
 *
 * Its raw events are applied to the cache in time order; the event lists
 * them as changes and points at the cache entry (the process after all of
 * them) and at the parent's entry.  Both stay valid until the next
 * quark_queue_next(): the cache only changes inside that call.
 *
 * Thread records do not touch the cache: they describe the thread on top
 * of its process's entry, in a scratch object that borrows the entry's
 * (or the raw event's) strings.
 */
#include <errno.h>
#include <string.h>

#include <bsd/string.h>

#include "engine.h"

static void
change_fill(struct quark_change *ch, const struct raw_event *raw)
{
	const struct quark_process	*t = &raw->task;

	memset(ch, 0, sizeof(*ch));
	ch->type = raw->type;
	ch->time = raw->time;
	ch->tid = raw->tid;
	switch (raw->type) {
	case QUARK_EV_EXEC:
		ch->old_pid = raw->exec.old_pid;
		break;
	case QUARK_EV_COMM:
		if (raw->comm.comm[0] != '\0')
			strlcpy(ch->comm, raw->comm.comm, sizeof(ch->comm));
		else if (t->known & QP_COMM)
			strlcpy(ch->comm, t->comm, sizeof(ch->comm));
		break;
	case QUARK_EV_SETUID:
		ch->uid = t->uid;
		ch->euid = t->euid;
		ch->suid = t->suid;
		ch->fsuid = t->fsuid;
		break;
	case QUARK_EV_SETGID:
		ch->gid = t->gid;
		ch->egid = t->egid;
		ch->sgid = t->sgid;
		ch->fsgid = t->fsgid;
		break;
	case QUARK_EV_SETSID:
		ch->sid = t->sid;
		break;
	}
}

static void
changes_fill(struct quark_event *ev, const struct qrecord *rec)
{
	const struct raw_event	*raw;

	TAILQ_FOREACH(raw, &rec->raws, entry) {
		if (ev->nchanges < QUARK_MAX_CHANGES)
			change_fill(&ev->changes[ev->nchanges++], raw);
		else
			ev->nchanges_dropped++;
	}
}

static const struct quark_process *
parent_of(struct cache *c, const struct quark_process *p)
{
	struct centry	*e;

	if ((p->known & QP_PPID) == 0 || p->ppid == p->pid)
		return (NULL);
	return ((e = cache_get(c, p->ppid)) != NULL ? &e->p : NULL);
}

/* A thread record: the process's context, the thread's id and exit. */
static void
thread_fill(struct quark_event *ev, struct quark_process *scratch,
    struct cache *c, const struct qrecord *rec)
{
	const struct raw_event	*raw = TAILQ_FIRST(&rec->raws);
	struct centry		*e;

	e = cache_get(c, raw->pid);
	/* Shallow: the strings stay the entry's or the raw event's. */
	*scratch = e != NULL ? e->p : raw->task;
	scratch->pid = raw->pid;
	scratch->tid = raw->tid;
	scratch->known |= QP_TID;
	scratch->known &= ~QP_EXIT;
	if (raw->type == QUARK_EV_EXIT && (raw->task.known & QP_EXIT)) {
		scratch->exit_code = raw->task.exit_code;
		scratch->exit_signal = raw->task.exit_signal;
		scratch->core_dumped = raw->task.core_dumped;
		scratch->exit_ns = raw->task.exit_ns;
		scratch->known |= QP_EXIT;
	}
	ev->process = scratch;
	ev->parent = parent_of(c, scratch);
}

static void
lost_fill(struct quark_event *ev, struct cache *c, const struct qrecord *rec)
{
	const struct raw_event	*raw;

	ev->kind = QUARK_EVENT_LOST;
	TAILQ_FOREACH(raw, &rec->raws, entry)
		ev->lost += raw->lost.count;
	/* Every entry learned before now may have missed an exec. */
	c->epoch++;
}

int
event_fill(struct quark_event *ev, struct quark_process *scratch,
    struct cache *c, struct qrecord *rec, uint64_t now)
{
	struct raw_event	*raw, *next;
	struct centry		*e = NULL;
	int			 flags;

	memset(ev, 0, offsetof(struct quark_event, changes));
	ev->process = ev->parent = NULL;
	ev->lost = 0;
	ev->time = rec->time;
	ev->flags = rec->flags;
	if (REC_HAS(rec, RAW_LOST)) {
		lost_fill(ev, c, rec);
		return (0);
	}
	ev->kind = QUARK_EVENT_PROCESS;
	changes_fill(ev, rec);
	if (rec->flags & QUARK_EVF_THREAD) {
		thread_fill(ev, scratch, c, rec);
		return (0);
	}
	TAILQ_FOREACH(raw, &rec->raws, entry) {
		next = TAILQ_NEXT(raw, entry);
		flags = next != NULL && next->type == QUARK_EV_EXEC ?
		    CACHE_EXEC_FOLLOWS : 0;
		if ((e = cache_apply(c, raw, now, flags)) == NULL)
			return (-1);
	}
	if (cache_stale(c, e))
		ev->flags |= QUARK_EVF_STALE;
	ev->process = &e->p;
	ev->parent = parent_of(c, &e->p);
	return (0);
}
