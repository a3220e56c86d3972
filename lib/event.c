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
change_add(struct quark_event *ev, const struct raw_event *raw)
{
	if (ev->nchanges < QUARK_MAX_CHANGES)
		change_fill(&ev->changes[ev->nchanges++], raw);
	else
		ev->nchanges_dropped++;
}

/*
 * A setuid/setgid family call that changed none of the four ids of its
 * process.  The eBPF hooks see every successful call (GNU make calls
 * setuid(getuid()) in each child; RAW_F_CRED_CALL), the proc connector
 * only changes: such a call is no change, so that both backends say the
 * same.  Only when the ids before it are known for this very process.
 * (The connector's ids come from /proc, read after the fact: comparing
 * them would make real changes look like none.)
 */
static int
cred_noop(struct cache *c, const struct raw_event *raw)
{
	const uint64_t			 need = QP_CREDS | QP_FSCREDS;
	const struct quark_process	*t = &raw->task, *p;
	struct centry			*e;

	if ((raw->type != QUARK_EV_SETUID && raw->type != QUARK_EV_SETGID) ||
	    (raw->flags & RAW_F_CRED_CALL) == 0)
		return (0);
	if ((e = cache_get(c, raw->pid)) == NULL || e->exited)
		return (0);
	p = &e->p;
	if ((p->known & need) != need || (t->known & need) != need)
		return (0);
	if ((t->known & QP_START) && (!(p->known & QP_START) ||
	    t->start_ns != p->start_ns))
		return (0);
	if (raw->type == QUARK_EV_SETUID)
		return (t->uid == p->uid && t->euid == p->euid &&
		    t->suid == p->suid && t->fsuid == p->fsuid);
	return (t->gid == p->gid && t->egid == p->egid &&
	    t->sgid == p->sgid && t->fsgid == p->fsgid);
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
	if (rec->flags & QUARK_EVF_THREAD) {
		TAILQ_FOREACH(raw, &rec->raws, entry)
			change_add(ev, raw);
		thread_fill(ev, scratch, c, rec);
		return (0);
	}
	/* Each change is judged against the process just before it. */
	TAILQ_FOREACH(raw, &rec->raws, entry) {
		if (cred_noop(c, raw))
			c->cred_noops++;
		else
			change_add(ev, raw);
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
	/* Only calls that changed nothing: nothing to tell. */
	return (ev->nchanges == 0 && ev->nchanges_dropped == 0 ? 1 : 0);
}
