/*
 * apply.c - raw events enter the process cache in time order, and each
 * record keeps a view of its process as its own raw events left it.
 *
 * Every raw event waits in `pending` (sorted by raw_cmp(): kernel time,
 * causal rank, arrival) until reorder ns (25 ms) have passed since it
 * arrived, then is applied when it is the oldest one waiting.  So the
 * cache always moves forward in kernel time, whatever order records
 * leave in: a child's fork is applied while its parent is as it was at
 * that moment, whatever the parent did later.  A record that must leave
 * sooner (its hold ran out, the queue is full, a drain, the sorted head)
 * has its raw events applied at once, with every older one before them.
 * A raw event that arrives older than one already applied is applied
 * anyway, out of order, and its record is marked late (and leaves after
 * the reorder window, held no longer).
 *
 * Views: after each of its raw events is applied, a record pins the
 * cache entry of its process (its `proc` view) and, at its fork (or when
 * the process's parent changes), the entry of its parent (`parent`).  A
 * pinned entry is the view for free; before an entry changes for any
 * other record, or is collected, view_detach() copies it once into a
 * snapshot shared by every view pinned to it.  A short process whose
 * parent does not change in the meantime costs no copy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

const struct quark_process *
view_get(const struct pview *v)
{
	if (v->e != NULL)
		return (&v->e->p);
	return (v->snap != NULL ? &v->snap->p : NULL);
}

void
view_drop(struct pview *v)
{
	if (v->e != NULL) {
		LIST_REMOVE(v, pin);
		v->e = NULL;
	}
	if (v->snap != NULL && --v->snap->refs == 0) {
		quark_process_clear(&v->snap->p);
		free(v->snap);
	}
	v->snap = NULL;
}

static void
view_pin(struct pview *v, struct centry *e)
{
	view_drop(v);
	if (e == NULL)
		return;
	v->e = e;
	LIST_INSERT_HEAD(&e->pins, v, pin);
}

/*
 * e is about to change or go: every view pinned to it gets one shared
 * copy of it as it is.  Without memory for the copy the views become
 * unknown (the records then say less, never something wrong).
 */
void
view_detach(struct centry *e)
{
	struct psnap	*s;
	struct pview	*v;

	if (LIST_EMPTY(&e->pins))
		return;
	if ((s = calloc(1, sizeof(*s))) != NULL &&
	    quark_process_copy(&s->p, &e->p) == -1) {
		free(s);
		s = NULL;
	}
	while ((v = LIST_FIRST(&e->pins)) != NULL) {
		LIST_REMOVE(v, pin);
		v->e = NULL;
		v->snap = s;
		if (s != NULL)
			s->refs++;
	}
}

static pid_t
view_pid(const struct pview *v)
{
	const struct quark_process	*p = view_get(v);

	return (p != NULL ? p->pid : 0);
}

/* Raw events arrive mostly in time order: search from the tail. */
void
apply_enqueue(struct order *o, struct raw_event *raw, struct qrecord *rec,
    uint64_t now)
{
	struct raw_event	*r;

	raw->rec = rec;
	raw->arrival = now;
	raw->applied = 0;
	rec->unapplied++;
	/* Older than one applied already: it will be applied out of order. */
	if (o->applied_any && raw_cmp(raw, &o->last_applied) < 0) {
		if ((rec->flags & QUARK_EVF_LATE) == 0) {
			rec->flags |= QUARK_EVF_LATE;
			o->late++;
		}
		order_grew(o, rec, rec->arrival_last);
	}
	TAILQ_FOREACH_REVERSE(r, &o->pending, raw_event_list, pending) {
		if (raw_cmp(r, raw) < 0)
			break;
	}
	if (r != NULL)
		TAILQ_INSERT_AFTER(&o->pending, r, raw, pending);
	else
		TAILQ_INSERT_HEAD(&o->pending, raw, pending);
}

/* The queue closes: the records own the raw events, and free them. */
void
apply_clear(struct order *o)
{
	TAILQ_INIT(&o->pending);
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

/*
 * The parent as it is now: taken at the fork, and kept (the process that
 * forked, as it was then, even once the process is reparented); in a
 * record without the fork, taken at its first raw event and again when
 * the process's parent changes (reparenting).
 */
static void
pin_parent(struct cache *c, struct qrecord *rec, struct centry *e,
    const struct raw_event *raw)
{
	const struct quark_process	*p = &e->p;
	struct centry			*pe = NULL;
	pid_t				 ppid = 0;

	if ((p->known & QP_PPID) && p->ppid != p->pid)
		ppid = p->ppid;
	if (raw->type == QUARK_EV_FORK)
		rec->parent_forked = 1;
	else if (rec->parent_forked || (view_get(&rec->parent) != NULL &&
	    view_pid(&rec->parent) == ppid) ||
	    (view_get(&rec->parent) == NULL && ppid == 0))
		return;
	if (ppid != 0 && (pe = cache_get(c, ppid)) == e)
		pe = NULL;
	view_pin(&rec->parent, pe);
}

static char *
dup_bytes(const char *s, size_t n)
{
	char	*d;

	if ((d = malloc(n + 1)) == NULL)
		return (NULL);
	memcpy(d, s, n);
	d[n] = '\0';
	return (d);
}

/*
 * x: what the exec raw event `exec` (applied already) reported of the
 * image, as e holds it while no exec replaced it since (image_time); the
 * raw's own plain fields otherwise survive its application, its strings
 * not.  Without memory for a string, that field is unknown.
 */
static void
prev_fill(struct quark_exec *x, const struct raw_event *exec,
    const struct centry *e)
{
	const struct quark_process	*t = &exec->task, *p = &e->p;
	const uint64_t			 img = QP_EXE | QP_FILENAME | QP_ARGS;

	memset(x, 0, sizeof(*x));
	x->time = exec->time;
	if (t->known & QP_COMM) {
		memcpy(x->comm, t->comm, sizeof(x->comm));
		x->comm[sizeof(x->comm) - 1] = '\0';
		x->known |= QP_COMM;
	}
	if (e->image_time != exec->time || e->image_lazy)
		return;
	x->known |= p->known & t->known & img;
	if ((x->known & QP_EXE) && (p->exe == NULL ||
	    (x->exe = strdup(p->exe)) == NULL))
		x->known &= ~QP_EXE;
	if ((x->known & QP_FILENAME) && (p->filename == NULL ||
	    (x->filename = strdup(p->filename)) == NULL))
		x->known &= ~QP_FILENAME;
	if ((x->known & QP_ARGS) && p->args != NULL &&
	    (x->args = dup_bytes(p->args, p->args_len)) == NULL)
		x->known &= ~QP_ARGS;
	if (x->known & QP_ARGS) {
		x->args_len = x->args != NULL ? p->args_len : 0;
		x->args_total = p->args_total;
		x->argc = p->argc;
	}
	x->truncated = p->truncated & (((x->known & QP_EXE) ?
	    QPT_EXE | QPT_EXE_DELETED : 0) |
	    ((x->known & QP_FILENAME) ? QPT_FILENAME : 0) |
	    ((x->known & QP_ARGS) ? QPT_ARGS : 0));
}

/*
 * raw, an exec, is about to replace the image that the record's previous
 * exec installed: the record keeps that image (the first
 * QUARK_MAX_PREVIOUS; the others, and one there is no memory for, are
 * counted).  Raw events are applied in time order, so the images come in
 * time order; an exec whose previous one is not applied yet (it arrived
 * late) has nothing to keep.
 */
static void
prev_keep(struct qrecord *rec, const struct raw_event *raw,
    const struct centry *e)
{
	const struct raw_event	*r = raw;

	while ((r = TAILQ_PREV(r, raw_event_list, entry)) != NULL &&
	    r->type != QUARK_EV_EXEC)
		;
	if (r == NULL || !r->applied)
		return;
	if (rec->nprev >= QUARK_MAX_PREVIOUS || (rec->prev == NULL &&
	    (rec->prev = calloc(QUARK_MAX_PREVIOUS,
	    sizeof(*rec->prev))) == NULL)) {
		rec->nprev_dropped++;
		return;
	}
	prev_fill(&rec->prev[rec->nprev++], r, e);
}

void
apply_prev_free(struct qrecord *rec)
{
	uint32_t	i;

	for (i = 0; i < rec->nprev; i++) {
		free(rec->prev[i].exe);
		free(rec->prev[i].filename);
		free(rec->prev[i].args);
	}
	free(rec->prev);
	rec->prev = NULL;
	rec->nprev = rec->nprev_dropped = 0;
}

/* A thread record does not change the cache: it views its process. */
static void
apply_thread(struct cache *c, struct qrecord *rec, struct raw_event *raw)
{
	struct centry	*e;

	if ((e = cache_get(c, raw->pid)) == NULL) {
		view_drop(&rec->proc);
		view_drop(&rec->parent);
		return;
	}
	view_pin(&rec->proc, e);
	pin_parent(c, rec, e, raw);
}

/*
 * An exec whose image was read from /proc after the fact (the proc
 * connector's): if the process exec'd again before the read, the image
 * read may be that later exec's.  It is then not this exec's to claim:
 * unknown (its fields absent, as for an image that could not be read).
 */
static void
image_superseded(struct raw_event *raw)
{
	const struct raw_event	*r = raw;

	if (raw->type != QUARK_EV_EXEC || raw->proc_read_ns == 0)
		return;
	while ((r = TAILQ_NEXT(r, entry)) != NULL) {
		if (r->time >= raw->proc_read_ns)
			return;
		if (r->type == QUARK_EV_EXEC)
			break;
	}
	if (r == NULL)
		return;
	quark_process_clear(&raw->task);
	raw->task.pid = raw->pid;
	raw->proc_read_ns = 0;
}

static int
apply_process(struct cache *c, struct qrecord *rec, struct raw_event *raw,
    uint64_t now)
{
	struct raw_event	*next = TAILQ_NEXT(raw, entry);
	struct centry		*e;
	int			 flags = 0;

	if ((raw->noop = cred_noop(c, raw)) != 0)
		c->cred_noops++;
	image_superseded(raw);
	/* Others' views of the entry keep it as it was. */
	view_drop(&rec->proc);
	if ((e = cache_get(c, raw->pid)) != NULL) {
		view_detach(e);
		if (raw->type == QUARK_EV_EXEC)
			prev_keep(rec, raw, e);
	}
	if (next != NULL && next->type == QUARK_EV_EXEC && !next->applied)
		flags = CACHE_EXEC_FOLLOWS;
	if ((e = cache_apply(c, raw, now, flags)) == NULL)
		return (-1);
	view_pin(&rec->proc, e);
	if (cache_stale(c, e))
		rec->flags |= QUARK_EVF_STALE;
	else
		rec->flags &= ~QUARK_EVF_STALE;
	if (e->from_proc)
		rec->flags |= QUARK_EVF_FROM_PROC;
	else
		rec->flags &= ~QUARK_EVF_FROM_PROC;
	pin_parent(c, rec, e, raw);
	return (0);
}

static int
apply_one(struct order *o, struct cache *c, struct raw_event *raw,
    uint64_t now)
{
	struct qrecord	*rec = raw->rec;

	TAILQ_REMOVE(&o->pending, raw, pending);
	raw->applied = 1;
	rec->unapplied--;
	/* Pending is in time order: only a late raw event is older. */
	if (!o->applied_any || raw_cmp(raw, &o->last_applied) > 0) {
		o->applied_any = 1;
		o->last_applied.time = raw->time;
		o->last_applied.type = raw->type;
		o->last_applied.seq = raw->seq;
	}
	if (raw->type == RAW_LOST) {
		/* Every entry learned before now may have missed an exec. */
		c->epoch++;
		c->reconcile_due = 1;
		return (0);
	}
	if (rec->flags & QUARK_EVF_THREAD) {
		apply_thread(c, rec, raw);
		return (0);
	}
	return (apply_process(c, rec, raw, now));
}

/*
 * Applies every raw event whose reorder window has passed, oldest first
 * (all of them with `all`), and stops after a loss (c->reconcile_due:
 * the caller reconciles with /proc, then calls again), so that the raw
 * events after a gap find the processes whose fork was in it.  -1 and
 * errno (ENOMEM) if one could not be applied: it is skipped, its record
 * says less.
 */
int
apply_due(struct order *o, struct cache *c, uint64_t reorder, uint64_t now,
    int all)
{
	struct raw_event	*raw;
	int			 r = 0;

	while (!c->reconcile_due && (raw = TAILQ_FIRST(&o->pending)) != NULL &&
	    (all || now >= raw->arrival + reorder))
		if (apply_one(o, c, raw, now) == -1)
			r = -1;
	return (r);
}

/* rec must leave now: its raw events, and all older ones, are applied. */
int
apply_record(struct order *o, struct cache *c, struct qrecord *rec,
    uint64_t now)
{
	struct raw_event	*raw;
	int			 r = 0;

	while (rec->unapplied > 0 && (raw = TAILQ_FIRST(&o->pending)) != NULL)
		if (apply_one(o, c, raw, now) == -1)
			r = -1;
	return (r);
}

/* 1 and *at: when the oldest waiting raw event is to be applied. */
int
apply_next_at(struct order *o, uint64_t reorder, uint64_t *at)
{
	struct raw_event	*raw;

	if ((raw = TAILQ_FIRST(&o->pending)) == NULL)
		return (0);
	*at = raw->arrival + reorder;
	return (1);
}
