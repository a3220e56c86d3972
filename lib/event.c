/*
 * event.c - a record leaving the order queue becomes a quark_event.
 *
 * Its raw events are in the cache already (apply.c); the event lists them
 * as changes (but set*id calls that changed nothing) and points at the
 * record's views: the process after its raw events, the parent as it was
 * at the fork, and the images its earlier execs installed (kept by
 * apply.c).  All stay valid until the next quark_queue_next(), which
 * frees the record first.
 *
 * Thread records describe the thread on top of the view of its process,
 * in a scratch object that borrows the view's (or the raw event's)
 * strings.
 */
#include <errno.h>
#include <string.h>

#include <bsd/string.h>

#include "engine.h"

/* Which ids of a SETUID/SETGID the raw event knows (QUARK_CHK_*). */
static uint32_t
change_ids_known(const struct raw_event *raw)
{
	const struct quark_process	*t = &raw->task;
	uint32_t			 k = 0;

	if (t->known & QP_CREDS)
		k |= QUARK_CHK_IDS | QUARK_CHK_SAVED;
	else if (raw->flags & RAW_F_IDS)
		k |= QUARK_CHK_IDS;
	if (t->known & QP_FSCREDS)
		k |= QUARK_CHK_FS;
	return (k);
}

/* A change's details: only what its raw event knows, the rest 0. */
static void
change_fill(struct quark_change *ch, const struct raw_event *raw)
{
	const struct quark_process	*t = &raw->task;
	uint32_t			 k;

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
		ch->known = k = change_ids_known(raw);
		ch->uid = k & QUARK_CHK_IDS ? t->uid : 0;
		ch->euid = k & QUARK_CHK_IDS ? t->euid : 0;
		ch->suid = k & QUARK_CHK_SAVED ? t->suid : 0;
		ch->fsuid = k & QUARK_CHK_FS ? t->fsuid : 0;
		break;
	case QUARK_EV_SETGID:
		ch->known = k = change_ids_known(raw);
		ch->gid = k & QUARK_CHK_IDS ? t->gid : 0;
		ch->egid = k & QUARK_CHK_IDS ? t->egid : 0;
		ch->sgid = k & QUARK_CHK_SAVED ? t->sgid : 0;
		ch->fsgid = k & QUARK_CHK_FS ? t->fsgid : 0;
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

/* A thread record: the process's context, the thread's id and exit. */
static void
thread_fill(struct quark_event *ev, struct quark_process *scratch,
    const struct qrecord *rec)
{
	const struct raw_event		*raw = TAILQ_FIRST(&rec->raws);
	const struct quark_process	*p = view_get(&rec->proc);

	/* Shallow: the strings stay the view's or the raw event's. */
	*scratch = p != NULL ? *p : raw->task;
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
}

static void
lost_fill(struct quark_event *ev, const struct qrecord *rec)
{
	const struct raw_event	*raw;

	ev->kind = QUARK_EVENT_LOST;
	TAILQ_FOREACH(raw, &rec->raws, entry)
		ev->lost += raw->lost.count;
}

int
event_fill(struct quark_event *ev, struct quark_process *scratch,
    struct qrecord *rec)
{
	struct raw_event	*raw;

	memset(ev, 0, offsetof(struct quark_event, changes));
	ev->process = ev->parent = NULL;
	ev->lost = 0;
	ev->previous = NULL;
	ev->nprevious = ev->nprevious_dropped = 0;
	ev->time = rec->time;
	ev->flags = rec->flags;
	if (REC_HAS(rec, RAW_LOST)) {
		lost_fill(ev, rec);
		return (0);
	}
	ev->kind = QUARK_EVENT_PROCESS;
	TAILQ_FOREACH(raw, &rec->raws, entry)
		if (!raw->noop)
			change_add(ev, raw);
	ev->parent = view_get(&rec->parent);
	ev->previous = rec->prev;
	ev->nprevious = rec->nprev;
	ev->nprevious_dropped = rec->nprev_dropped;
	if (rec->flags & QUARK_EVF_THREAD)
		thread_fill(ev, scratch, rec);
	else if ((ev->process = view_get(&rec->proc)) == NULL) {
		/* No memory to keep the view: the pid, nothing else. */
		memset(scratch, 0, sizeof(*scratch));
		scratch->pid = rec->pid;
		ev->process = scratch;
	}
	/* Only calls that changed nothing: nothing to tell. */
	return (ev->nchanges == 0 && ev->nchanges_dropped == 0 ? 1 : 0);
}
