/*
 * cache.c - the process cache: one entry per pid, updated by every raw
 * event in time order (apply.c), so that it describes the process as of
 * the last raw event applied.  Records keep views of entries; an entry
 * about to change or go is first copied for them (view_detach()).
 *
 *  - fork: a fresh entry for the child, with the parent's context (exe,
 *    args, cwd, cgroup, creds, ...: fork shares the image), then what the
 *    raw event knows;
 *  - exec: the image changes: exe, filename, args, env and cwd are
 *    dropped and replaced by what the raw event knows, and so are comm,
 *    credentials and capabilities (event_changes[]): what the exec does
 *    not say is unknown after it, never the value before; the rest is
 *    overlaid;
 *  - id, session and name changes: what the event may have changed and
 *    its raw event does not say is unknown after it (event_changes[]);
 *  - moments (state, threads) are never kept: only snapshot and lookup,
 *    which read them, show them;
 *  - history: raw events are applied in time order, but a late one (a
 *    child's fork that arrives after its parent's exec was applied) and
 *    a fork applied with its exec to follow (CACHE_EXEC_FOLLOWS) must
 *    still inherit the image the parent had at the fork, not the exec's:
 *    an exec keeps the image it replaces (one level, see history_push()),
 *    and a fork takes the image its parent had at the fork's time, or
 *    leaves it unknown when that is not known;
 *  - exit: exit fields set, the entry is collected grace_ns later so that
 *    a lookup right after the exit still answers;
 *  - pid reuse: a fork on a pid, or any event whose start time differs
 *    from the entry's, resets the entry in place: nothing of the old
 *    process (exit fields, exe, args, pending collection) survives;
 *  - /proc (seeding, reconcile) never knows the filename given to
 *    execve(2): a refresh keeps the cached one only while /proc shows
 *    the same exe, the one image it can have been learned for.
 *
 * Loss epochs: each entry remembers the loss epoch in which its exe/args
 * were last learned for certain (exec, seeding, reconcile).  After a loss
 * an entry from an older epoch may have missed an exec: its records are
 * marked stale until reconcile refreshes it from /proc.
 *
 * Strings move from raw events into entries (the raw's pointer is NULLed):
 * no copy on the hot path except the fork's inheritance.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static int
centry_cmp(const struct centry *a, const struct centry *b)
{
	return (a->p.pid < b->p.pid ? -1 : a->p.pid > b->p.pid);
}

RB_GENERATE_STATIC(cache_tree, centry, entry, centry_cmp)

/* Plain (string-free) field groups: one contiguous range per QP_* bit. */
struct field_range {
	uint64_t	bit;
	size_t		off;
	size_t		end;
};

#define QP_FIELD_END(f)	(offsetof(struct quark_process, f) + \
	sizeof(((struct quark_process *)NULL)->f))
#define RANGE(bit, first, last) \
	{ bit, offsetof(struct quark_process, first), QP_FIELD_END(last) }

static const struct field_range plain_fields[] = {
	RANGE(QP_PPID,		ppid,		ppid),
	RANGE(QP_COMM,		comm,		comm),
	RANGE(QP_CREDS,		uid,		sgid),
	RANGE(QP_FSCREDS,	fsuid,		fsgid),
	RANGE(QP_PGID_SID,	pgid,		sid),
	RANGE(QP_TTY,		tty_major,	tty_minor),
	RANGE(QP_START,		start_ns,	start_ns_raw),
	RANGE(QP_CAPS,		cap,		cap),
	RANGE(QP_NS,		ns_known,	ns),
	RANGE(QP_STATE,		state,		state),
	RANGE(QP_NTHREADS,	nthreads,	nthreads),
	RANGE(QP_EXIT,		exit_code,	exit_ns),
	RANGE(QP_KTHREAD,	kthread,	kthread),
	RANGE(QP_TID,		tid,		tid),
	RANGE(QP_LOGINUID,	loginuid,	loginuid),
	RANGE(QP_CONTAINER,	container,	container),
};

/* What a fork does not inherit: it is the child's own. */
#define QP_OWN	(QP_EXIT | QP_START | QP_STATE | QP_NTHREADS | QP_TID | \
	QP_PPID)

/*
 * The image: what an exec installs, one line per field (a string, its
 * QP_ and QPT_ bits, the plain fields that go with it).  An exec replaces
 * the image: what its raw event does not say is unknown after it.  The
 * cwd too, although an exec does not change it: the value before may
 * be a guess that no event could correct (the fork's copy of a parent
 * that changed directory since), and the exec's is the one to trust.
 */
struct image_field {
	uint64_t	bit;		/* QP_* */
	uint32_t	tbits;		/* QPT_* about it */
	size_t		str;		/* offset of the string */
	size_t		off, end;	/* plain fields that go with it */
};

#define QP_OFF(f)	offsetof(struct quark_process, f)
#define IMG_STR(bit, tbits, s) \
	{ bit, tbits, QP_OFF(s), 0, 0 }
#define IMG_MEM(bit, tbits, s, first, last) \
	{ bit, tbits, QP_OFF(s), QP_OFF(first), QP_FIELD_END(last) }

static const struct image_field image_fields[] = {
	IMG_STR(QP_EXE,		QPT_EXE | QPT_EXE_DELETED,	exe),
	IMG_STR(QP_FILENAME,	QPT_FILENAME,			filename),
	IMG_MEM(QP_ARGS,	QPT_ARGS,	args,	args_len, argc),
	IMG_MEM(QP_ENV,		QPT_ENV,	env,	env_len, envc),
	IMG_STR(QP_CWD,		QPT_CWD | QPT_CWD_DELETED,	cwd),
};

/* The image's QP_* bits. */
#define QP_IMAGE	(QP_EXE | QP_FILENAME | QP_ARGS | QP_ENV | QP_CWD)

/*
 * What each kind of event may change besides the image, the one rule for
 * every backend: a field an event may have changed is, after it, what its
 * raw event says, or unknown; never the value before the event.  A
 * backend may report an event without its outcome (the proc connector's,
 * whose process was gone, or had changed again, before /proc was read; a
 * kprobe without the committed credentials).
 *  - exec: the name, the ids (set-id bits) and the capabilities (file
 *    capabilities, the ids' change); and, like the cwd (image_fields[]),
 *    what changes with no event any backend sees (setpgid(2), a
 *    controlling terminal, unshare(2) and setns(2), a move to another
 *    cgroup, the audit login uid): the value before is the fork's copy
 *    of the parent's, and every backend reads them anew at an exec;
 *  - setuid family: the four uids, and the capabilities (leaving uid 0
 *    clears them, setfsuid() the effective ones: capabilities(7));
 *  - setgid family: the four gids;
 *  - setsid: the process group and session, and the controlling
 *    terminal, which the new session has none of.
 * The ids of one family share a QP_* bit with the other's (QP_CREDS,
 * QP_FSCREDS): a change of either family unknown makes both unknown.
 */
static const uint64_t event_changes[QUARK_EV_TYPE_COUNT] = {
	[QUARK_EV_EXEC] = QP_COMM | QP_CREDS | QP_FSCREDS | QP_CAPS |
	    QP_PGID_SID | QP_TTY | QP_NS | QP_CGROUP | QP_CONTAINER |
	    QP_LOGINUID,
	[QUARK_EV_SETUID] = QP_CREDS | QP_FSCREDS | QP_CAPS,
	[QUARK_EV_SETGID] = QP_CREDS | QP_FSCREDS,
	[QUARK_EV_SETSID] = QP_PGID_SID | QP_TTY,
	[QUARK_EV_COMM] = QP_COMM,
};

/*
 * Moments: what a process is doing at one instant (scheduler state,
 * number of threads).  Read from /proc for snapshot and lookup; the
 * cache never keeps them, so that no later record shows an old one as
 * if it were current.
 */
#define QP_MOMENT	(QP_STATE | QP_NTHREADS)

#define IMG_FOREACH(f) \
	for ((f) = image_fields; (f) < image_fields + nitems(image_fields); \
	    (f)++)

static char **
img_str(struct quark_process *p, const struct image_field *f)
{
	return ((char **)(void *)((char *)p + f->str));
}

/* dst's field f becomes src's, or unknown (src NULL); shallow. */
static void
field_view(struct quark_process *dst, const struct quark_process *src,
    const struct image_field *f)
{
	uint64_t	k = src != NULL ? src->known & f->bit : 0;

	if (k) {
		*img_str(dst, f) = *img_str((struct quark_process *)src, f);
		memcpy((char *)dst + f->off, (const char *)src + f->off,
		    f->end - f->off);
	} else {
		*img_str(dst, f) = NULL;
		memset((char *)dst + f->off, 0, f->end - f->off);
	}
	dst->known = (dst->known & ~f->bit) | k;
	dst->truncated = (dst->truncated & ~f->tbits) |
	    (k ? src->truncated & f->tbits : 0);
}

/*
 * dst's image fields become src's, or unknown when src is NULL.
 * Shallow: no string is copied or freed.
 */
static void
image_view(struct quark_process *dst, const struct quark_process *src)
{
	const struct image_field	*f;

	IMG_FOREACH(f)
		field_view(dst, src, f);
}

/* Frees p's image fields: they become unknown. */
static void
image_drop(struct quark_process *p)
{
	const struct image_field	*f;

	IMG_FOREACH(f)
		free(*img_str(p, f));
	image_view(p, NULL);
}

/* dst's whole image is dropped for src's; src's becomes unknown. */
static void
image_move(struct quark_process *dst, struct quark_process *src)
{
	image_drop(dst);
	image_view(dst, src);
	image_view(src, NULL);
}

static void
steal(char **dst, char **src)
{
	free(*dst);
	*dst = *src;
	*src = NULL;
}

static void
overlay_strings(struct quark_process *dst, struct quark_process *src)
{
	uint64_t	k = src->known;

	if (k & QP_EXE) {
		steal(&dst->exe, &src->exe);
		dst->truncated &= ~(QPT_EXE | QPT_EXE_DELETED);
		dst->truncated |= src->truncated & (QPT_EXE | QPT_EXE_DELETED);
	}
	if (k & QP_FILENAME) {
		steal(&dst->filename, &src->filename);
		dst->truncated = (dst->truncated & ~QPT_FILENAME) |
		    (src->truncated & QPT_FILENAME);
	}
	if (k & QP_CWD) {
		steal(&dst->cwd, &src->cwd);
		dst->truncated &= ~(QPT_CWD | QPT_CWD_DELETED);
		dst->truncated |= src->truncated & (QPT_CWD | QPT_CWD_DELETED);
	}
	if (k & QP_CGROUP) {
		steal(&dst->cgroup, &src->cgroup);
		dst->truncated = (dst->truncated & ~QPT_CGROUP) |
		    (src->truncated & QPT_CGROUP);
	}
	if (k & QP_ARGS) {
		steal(&dst->args, &src->args);
		dst->args_len = src->args_len;
		dst->args_total = src->args_total;
		dst->argc = src->argc;
		dst->truncated = (dst->truncated & ~QPT_ARGS) |
		    (src->truncated & QPT_ARGS);
	}
	if (k & QP_ENV) {
		steal(&dst->env, &src->env);
		dst->env_len = src->env_len;
		dst->envc = src->envc;
		dst->truncated = (dst->truncated & ~QPT_ENV) |
		    (src->truncated & QPT_ENV);
	}
}

/* Everything src knows goes into dst; src's strings move. */
static void
overlay(struct quark_process *dst, struct quark_process *src)
{
	const struct field_range	*f;
	size_t				 i;

	for (i = 0; i < nitems(plain_fields); i++) {
		f = &plain_fields[i];
		if ((src->known & f->bit) == 0)
			continue;
		memcpy((char *)dst + f->off, (char *)src + f->off,
		    f->end - f->off);
	}
	overlay_strings(dst, src);
	dst->known |= src->known;
}

/*
 * The entity id of e's process: quark_entity_id(pid, start tick), the
 * id /proc readers (snapshot, lookup) compute too.  A process that
 * reuses the pid of one started in the same clock tick (possible with
 * ns_last_pid or clone3's set_tid) would have its predecessor's: it gets
 * the next generation of that id instead, generation n being
 * splitmix64(base + n * 2^64/phi), so that two processes never share an
 * id within a run.  (A /proc reader, seeing only the one alive, gives
 * such a process the base id.)
 */
static void
set_entity(struct centry *e)
{
	uint64_t	base, z;

	if ((e->p.known & QP_START) == 0) {
		e->p.entity_id = 0;
		return;
	}
	base = quark_entity_id(e->p.pid, e->p.start_ns);
	if (base != e->id_base) {
		e->id_base = base;
		e->id_gen = base == e->prev_base ? e->prev_gen + 1 : 0;
	}
	if (e->id_gen == 0) {
		e->p.entity_id = base;
		return;
	}
	z = base + e->id_gen * 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	e->p.entity_id = z != 0 ? z : 1;
}

/* The image before image_time is unknown. */
static void
history_forget(struct centry *e)
{
	quark_process_free(e->prev);
	e->prev = NULL;
	e->prev_time = e->prev_epoch = 0;
	memset(&e->prev_ref, 0, sizeof(e->prev_ref));
	e->image_lazy = 0;
}

/*
 * An exec at time t: the current image becomes prev, the one that the
 * forks applied later but older than t must still inherit.  The fields
 * an exec replaces are unknown until the raw event's are overlaid.  One
 * image of history is enough: raw events are applied in time order, so
 * only a late fork can be older than the image before the current one,
 * and it then inherits nothing rather than a guess.  (A record's own
 * earlier images are kept by the record, apply.c.)
 */
static void
history_push(struct cache *c, struct centry *e, uint64_t t)
{
	uint64_t	known = e->p.known & QP_IMAGE;

	if (e->image_lazy) {
		/* Fork and exec in one record: prev is where prev_ref says. */
		e->image_lazy = 0;
		image_drop(&e->p);
		goto out;
	}
	memset(&e->prev_ref, 0, sizeof(e->prev_ref));
	if (known == 0 || (e->prev == NULL &&
	    (e->prev = calloc(1, sizeof(*e->prev))) == NULL)) {
		history_forget(e);
		image_drop(&e->p);
		goto out;
	}
	image_move(e->prev, &e->p);
	e->prev_time = e->image_time;
	e->prev_epoch = e->epoch;
out:
	e->image_time = t;
	e->epoch = c->epoch;
}

/*
 * The image e had at time t, and the loss epoch it was learned in: its
 * current one, prev, or through prev_ref another entry's; NULL when
 * that is not known.  A chain of refs (each a fork then an exec in one
 * record) is followed a few steps, no more.
 */
#define HISTORY_DEPTH	8

static const struct quark_process *
history_at(struct cache *c, struct centry *e, uint64_t t, uint64_t *epoch)
{
	struct centry	*src;
	int		 depth;

	for (depth = 0; depth < HISTORY_DEPTH; depth++) {
		if (e->image_time <= t && !e->image_lazy) {
			*epoch = e->epoch;
			return (&e->p);
		}
		if (e->prev != NULL) {
			*epoch = e->prev_epoch;
			return (e->prev_time <= t ? e->prev : NULL);
		}
		if (e->prev_ref.pid == 0 ||
		    (src = cache_get(c, e->prev_ref.pid)) == NULL ||
		    src->serial != e->prev_ref.serial || src == e)
			return (NULL);
		t = e->prev_ref.time;
		e = src;
	}
	return (NULL);
}

static void
unschedule(struct cache *c, struct centry *e)
{
	if (e->gc_at != 0) {
		TAILQ_REMOVE(&c->gc, e, gc_entry);
		e->gc_at = 0;
		c->ngc--;
	}
}

static void
schedule(struct cache *c, struct centry *e, uint64_t now)
{
	if (e->gc_at != 0)
		return;
	e->gc_at = now + c->grace_ns;
	if (e->gc_at == 0)
		e->gc_at = 1;
	TAILQ_INSERT_TAIL(&c->gc, e, gc_entry);
	c->ngc++;
}

/* Pid reuse: the entry becomes a new, empty process on the same pid. */
static void
entry_reset(struct cache *c, struct centry *e)
{
	pid_t	pid = e->p.pid;

	view_detach(e);
	unschedule(c, e);
	if (e->id_base != 0) {
		e->prev_base = e->id_base;
		e->prev_gen = e->id_gen;
	}
	e->id_base = 0;
	e->id_gen = 0;
	quark_process_clear(&e->p);
	e->p.pid = pid;
	e->exited = 0;
	e->from_proc = 0;
	e->epoch = c->epoch;
	e->serial = ++c->serial;
	history_forget(e);
	e->image_time = 0;
}

static struct centry *
entry_new(struct cache *c, pid_t pid)
{
	struct centry	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (NULL);
	e->p.pid = pid;
	e->epoch = c->epoch;
	e->serial = ++c->serial;
	RB_INSERT(cache_tree, &c->tree, e);
	c->size++;
	return (e);
}

static void
entry_free(struct cache *c, struct centry *e)
{
	view_detach(e);
	unschedule(c, e);
	if (c->last == e)
		c->last = NULL;
	RB_REMOVE(cache_tree, &c->tree, e);
	c->size--;
	quark_process_clear(&e->p);
	history_forget(e);
	free(e);
}

void
cache_init(struct cache *c, uint64_t grace_ns)
{
	memset(c, 0, sizeof(*c));
	RB_INIT(&c->tree);
	TAILQ_INIT(&c->gc);
	c->grace_ns = grace_ns;
	c->gc_max = CACHE_GC_MAX;
}

void
cache_clear(struct cache *c)
{
	struct centry	*e;

	while ((e = RB_MIN(cache_tree, &c->tree)) != NULL)
		entry_free(c, e);
}

struct centry *
cache_get(struct cache *c, pid_t pid)
{
	struct centry	probe, *e;

	if (c->last != NULL && c->last->p.pid == pid)
		return (c->last);
	probe.p.pid = pid;
	if ((e = RB_FIND(cache_tree, &c->tree, &probe)) != NULL)
		c->last = e;
	return (e);
}

struct centry *
cache_first(struct cache *c)
{
	return (RB_MIN(cache_tree, &c->tree));
}

struct centry *
cache_next(struct cache *c, struct centry *e)
{
	return (RB_NEXT(cache_tree, &c->tree, e));
}

/* Takes p (allocated, as quark_scrape_next() returns it) into the cache. */
int
cache_seed(struct cache *c, struct quark_process *p)
{
	struct centry	*e;

	if ((e = cache_get(c, p->pid)) != NULL)
		entry_reset(c, e);
	else if ((e = entry_new(c, p->pid)) == NULL)
		return (-1);
	e->p = *p;
	free(p);
	e->p.known &= ~QP_MOMENT;
	set_entity(e);
	return (0);
}

/*
 * Two processes: their kernel start times (ns) differ, or, when one was
 * learned from /proc (ticks only), their start ticks.
 */
static int
start_differs(const struct quark_process *a, const struct quark_process *b)
{
	if ((a->known & QP_START) == 0 || (b->known & QP_START) == 0)
		return (0);
	if (a->start_ns_raw != 0 && b->start_ns_raw != 0)
		return (a->start_ns_raw != b->start_ns_raw);
	return (quark_start_trunc(a->start_ns) !=
	    quark_start_trunc(b->start_ns));
}

/*
 * The fork's child: a fresh entry with the parent's context, and the
 * image the parent had at the fork's time (its exec may have been applied
 * already, in a record that began earlier): unknown if that is not known.
 * With an exec to follow, the image is not copied, only pointed at.
 */
static struct centry *
apply_fork(struct cache *c, struct centry *e, struct raw_event *raw,
    int flags)
{
	const struct quark_process	*img;
	struct quark_process		 from;
	struct centry			*parent;
	uint64_t			 epoch;

	if (e == NULL && (e = entry_new(c, raw->pid)) == NULL)
		return (NULL);
	entry_reset(c, e);
	parent = cache_get(c, raw->fork.parent_pid);
	/* Started after the fork (a late one): another process, its pid's. */
	if (parent != NULL && (parent->p.known & QP_START) &&
	    parent->p.start_ns > raw->time)
		parent = NULL;
	if (parent != NULL && parent != e) {
		/* Shallow view of the parent, with its image at the fork. */
		from = parent->p;
		epoch = parent->epoch;
		img = history_at(c, parent, raw->time, &epoch);
		image_view(&from, img);
		if (flags & CACHE_EXEC_FOLLOWS) {
			image_view(&from, NULL);
			e->prev_ref.pid = parent->p.pid;
			e->prev_ref.serial = parent->serial;
			e->prev_ref.time = raw->time;
			e->image_lazy = 1;
		}
		if (quark_process_copy(&e->p, &from) == -1)
			return (NULL);
		e->p.known &= ~QP_OWN;
		e->p.pid = raw->pid;
		e->p.tid = 0;
		e->p.nthreads = 0;
		e->p.state = 0;
		e->p.start_ns = e->p.start_ns_raw = e->p.exit_ns = 0;
		e->p.exit_code = e->p.exit_signal = e->p.core_dumped = 0;
		e->p.entity_id = 0;
		e->epoch = epoch;
	}
	e->p.ppid = raw->fork.parent_pid;
	e->p.known |= QP_PPID;
	return (e);
}

/*
 * Applies one raw event (not a thread's, not a loss) to the cache and
 * returns the entry it is about; NULL and ENOMEM if it cannot.  The raw
 * event's strings move into the entry.  CACHE_EXEC_FOLLOWS: an exec of
 * the same process comes next, so a fork need not copy the parent's
 * image (exe, args, env) only for the exec to drop it.
 */
struct centry *
cache_apply(struct cache *c, struct raw_event *raw, uint64_t now, int flags)
{
	struct centry	*e;

	e = cache_get(c, raw->pid);
	if (raw->type == QUARK_EV_FORK) {
		if ((e = apply_fork(c, e, raw, flags)) == NULL)
			goto nomem;
	} else if (e == NULL) {
		if ((e = entry_new(c, raw->pid)) == NULL)
			goto nomem;
	} else if (start_differs(&e->p, &raw->task))
		entry_reset(c, e);
	if (raw->type == QUARK_EV_EXEC)
		history_push(c, e, raw->time);
	/* What the event may have changed and does not say: unknown. */
	if (raw->type < QUARK_EV_TYPE_COUNT)
		e->p.known &= ~(event_changes[raw->type] & ~raw->task.known);
	/* A process record is about the group: a thread id is not its own. */
	raw->task.known &= ~(QP_TID | QP_MOMENT);
	overlay(&e->p, &raw->task);
	set_entity(e);
	if (raw->type == QUARK_EV_COMM && raw->comm.comm[0] != '\0') {
		memcpy(e->p.comm, raw->comm.comm, sizeof(e->p.comm));
		e->p.comm[sizeof(e->p.comm) - 1] = '\0';
		e->p.known |= QP_COMM;
	}
	if (raw->type == QUARK_EV_EXIT) {
		e->exited = 1;
		schedule(c, e, now);
	}
	return (e);
nomem:
	errno = ENOMEM;
	return (NULL);
}

/*
 * Collects the entries whose grace time has passed, and the oldest ones
 * beyond gc_max.  Only here (never while an entry is being applied or
 * walked) is an entry freed.
 */
void
cache_gc(struct cache *c, uint64_t now)
{
	struct centry	*e;

	while ((e = TAILQ_FIRST(&c->gc)) != NULL &&
	    (e->gc_at <= now || c->ngc > c->gc_max)) {
		entry_free(c, e);
		c->gcs++;
	}
}

/* Clock value of the next collection, 0 if none is pending. */
uint64_t
cache_gc_due(struct cache *c)
{
	struct centry	*e;

	return ((e = TAILQ_FIRST(&c->gc)) != NULL ? e->gc_at : 0);
}

int
cache_stale(const struct cache *c, const struct centry *e)
{
	return (e->epoch < c->epoch);
}

/*
 * The exe /proc shows is the one the entry learned, in full: the entry's
 * filename can still be this image's.  (An exec we missed of the same
 * exe by another path cannot be told apart.)
 */
static int
same_exe(const struct quark_process *e, const struct quark_process *p)
{
	if ((e->known & QP_EXE) == 0 || (p->known & QP_EXE) == 0 ||
	    e->exe == NULL || p->exe == NULL || (e->truncated & QPT_EXE))
		return (0);
	return (strcmp(e->exe, p->exe) == 0);
}

/*
 * A survivor: /proc's exe, args, cwd and comm are current.  /proc has no
 * filename: the entry's is kept only for an unchanged exe.
 */
static void
refresh(struct cache *c, struct centry *e, struct quark_process *p)
{
	char	*filename = NULL;

	view_detach(e);
	if (p->known & QP_EXE) {
		if (same_exe(&e->p, p) && (e->p.known & QP_FILENAME)) {
			filename = e->p.filename;
			e->p.filename = NULL;
		}
		image_drop(&e->p);
		if (filename != NULL) {
			e->p.filename = filename;
			e->p.known |= QP_FILENAME;
		}
	}
	p->known &= QP_EXE | QP_ARGS | QP_CWD | QP_COMM;
	overlay(&e->p, p);
	e->epoch = c->epoch;
}

/*
 * After a loss: the live processes the cache does not know (their fork,
 * and maybe their exec, were in the gap) are read with reader and added,
 * as learned from /proc now (not stale); their later records and their
 * children's then have their context.  Even with raw events still to
 * apply (busy): they are after the gap, and apply on top.
 */
void
cache_adopt(struct cache *c, cache_lister_fn list, cache_reader_fn reader,
    int qs_flags, int (*busy)(void *, pid_t), void *arg)
{
	struct centry		*e;
	struct quark_process	*p;
	pid_t			*pids;
	size_t			 i, n;

	if (list(&pids, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (cache_get(c, pids[i]) != NULL)
			continue;
		if ((p = reader(pids[i], qs_flags)) == NULL)
			continue;
		if (cache_seed(c, p) == -1) {
			quark_process_free(p);
			continue;
		}
		if ((e = cache_get(c, pids[i])) != NULL)
			e->from_proc = 1;
		c->adoptions++;
	}
	free(pids);
}

/*
 * Checks every live entry against /proc (read with reader): a pid that is
 * gone is collected after the grace time (its exit may still be on its
 * way); a pid that now belongs to another process gets that process;
 * survivors get their exe, args and cwd refreshed.  Entries that busy()
 * says have records queued are left to those records.  A reader failure
 * other than ESRCH leaves the entry as it was.
 */
void
cache_reconcile(struct cache *c, cache_reader_fn reader, int qs_flags,
    int (*busy)(void *, pid_t), void *arg, uint64_t now)
{
	struct centry		*e;
	struct quark_process	*p;

	c->reconciles++;
	RB_FOREACH(e, cache_tree, &c->tree) {
		if (e->gc_at != 0 || (busy != NULL && busy(arg, e->p.pid)))
			continue;
		if ((p = reader(e->p.pid, qs_flags)) == NULL) {
			if (errno == ESRCH) {
				schedule(c, e, now);
				c->evictions++;
			}
			continue;
		}
		if (start_differs(&e->p, p)) {
			/* Another process on this pid: take it whole. */
			entry_reset(c, e);
			e->p = *p;
			free(p);
			e->p.known &= ~QP_MOMENT;
			e->from_proc = 1;
			set_entity(e);
			c->evictions++;
			continue;
		}
		refresh(c, e, p);
		quark_process_free(p);
	}
}
