/*
 * engine.h - the engine's stages, shared by order.c, agg.c, cache.c,
 * event.c and queue.c (and their unit tests).  Not part of the public API.
 *
 * A record is one pid's raw events that aggregate into one quark_event.
 * Raw events enter the cache one by one in time order (apply.c); records
 * wait in the order queue until due (order.c), then event.c builds the
 * event from views of the process taken as its raw events were applied.
 */
#ifndef QUARK_ENGINE_H
#define QUARK_ENGINE_H

/* libbsd's tree.h marks its static functions __unused, which glibc lacks. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif
#include <bsd/sys/tree.h>

#include "quark_int.h"

struct cache;

/*
 * A record never holds more raw events than this: a process renaming
 * itself in a loop makes a chain of records, not one unbounded record
 * (and the merge check, linear in the record, stays cheap).
 */
#define REC_MAX_RAWS	64
/*
 * Freed records kept for reuse: the one just freed is still in the CPU
 * cache, and malloc is a third of the cost per raw event otherwise.
 */
#define REC_SPARES	64

/*
 * A view of a process as it was at one moment (apply.c): while the cache
 * entry has not changed since, the entry itself (pinned: any change or
 * collection of the entry first copies it into a snapshot shared by all
 * its pins); else that snapshot.  Neither: unknown.
 */
struct psnap {
	uint32_t		 refs;
	struct quark_process	 p;
};

struct centry;

struct pview {
	LIST_ENTRY(pview)	 pin;		/* in e->pins while e is set */
	struct centry		*e;
	struct psnap		*snap;
};

LIST_HEAD(pview_list, pview);

struct qrecord {
	RB_ENTRY(qrecord)	 by_key;	/* order: (time, rank, seq) */
	RB_ENTRY(qrecord)	 by_pid;	/* order: (pid, time, rank, seq) */
	RB_ENTRY(qrecord)	 by_proc;	/* order: every record with a pid */
	TAILQ_ENTRY(qrecord)	 link;		/* held, done, ready or spare */
	struct raw_event_list	 raws;		/* sorted by raw_cmp() */
	uint64_t		 time;		/* first raw event's */
	uint32_t		 rank;		/* first raw event's causal rank */
	uint32_t		 nraws;
	uint64_t		 seq;		/* unique: the first arrival's seq */
	pid_t			 pid;
	uint32_t		 kinds;		/* 1 << raw type, for each raw */
	uint32_t		 flags;		/* QUARK_EVF_* */
	int			 in_pidtree;	/* may aggregate */
	int			 in_proctree;
	int			 list;		/* REC_HELD, REC_DONE, 0: none */
	uint32_t		 unapplied;	/* raws not in the cache yet */
	uint64_t		 arrival_first;	/* clock when the record began */
	uint64_t		 arrival_last;	/* clock of its newest raw event */
	uint64_t		 done_at;	/* clock when it could no longer grow,
						   or of its newest raw since */
	struct pview		 proc;		/* the process after its raws */
	struct pview		 parent;	/* its parent at the fork */
	int			 parent_forked;	/* parent taken at the fork */
};

#define REC_HELD	1	/* may still grow: due at the hold */
#define REC_DONE	2	/* can no longer grow: due after reorder */

#define REC_HAS(rec, type)	(((rec)->kinds & (1U << (type))) != 0)

/* order.c */
struct order_policy {
	uint64_t	hold_max;
	uint64_t	hold_min;
	uint64_t	reorder;
	uint32_t	max_length;
};

RB_HEAD(order_key_tree, qrecord);
RB_HEAD(order_pid_tree, qrecord);

RB_HEAD(order_proc_tree, qrecord);
TAILQ_HEAD(qrecord_list, qrecord);

struct order {
	struct order_key_tree	keys;
	struct order_pid_tree	pids;
	struct order_proc_tree	procs;
	struct qrecord_list	held;		/* REC_HELD, by arrival_first */
	struct qrecord_list	done;		/* REC_DONE, by done_at */
	int			sorted;		/* QQ_SORTED: strict time order */
	uint64_t		length;
	uint64_t		peak;
	uint64_t		late;
	int			emitted;	/* last_time is meaningful */
	uint64_t		last_time;	/* newest time emitted */
	struct qrecord		*spare;		/* freed records, for reuse */
	uint32_t		nspare;
	/* apply.c: raw events not in the cache yet, in raw_cmp() order. */
	struct raw_event_list	pending;
	int			applied_any;
	struct raw_event	last_applied;	/* time, rank and seq only */
};

uint32_t	 raw_rank(uint32_t type);
int		 raw_cmp(const struct raw_event *, const struct raw_event *);
struct qrecord	*record_new(struct order *, struct raw_event *, uint64_t now);
void		 record_free(struct order *, struct qrecord *);
void		 order_init(struct order *);
void		 order_clear(struct order *);
void		 order_insert(struct order *, struct qrecord *, int aggregates);
struct qrecord	*order_candidate(struct order *, const struct raw_event *);
void		 order_rekey(struct order *, struct qrecord *);
void		 order_grew(struct order *, struct qrecord *, uint64_t now);
int		 order_busy(struct order *, pid_t);
int		 order_unapplied(struct order *, pid_t);
struct qrecord	*order_head(struct order *);
struct qrecord	*order_first_of(struct order *, struct qrecord *);
uint64_t	 order_hold_ns(uint64_t hold_max, uint64_t hold_min,
		    uint64_t len, uint64_t max);
struct qrecord	*order_next(struct order *, const struct order_policy *,
		    uint64_t now, int drain, int *force);
int		 order_next_at(struct order *, const struct order_policy *,
		    int has_apply, uint64_t apply_at, uint64_t *at);
void		 order_remove(struct order *, struct qrecord *);
struct qrecord	*order_pop(struct order *, struct qrecord *);

/*
 * apply.c: raw events enter the cache in time order, each once it has
 * waited the reorder window (or sooner when a record must leave).
 */
void		 apply_enqueue(struct order *, struct raw_event *,
		    struct qrecord *, uint64_t now);
int		 apply_due(struct order *, struct cache *, uint64_t reorder,
		    uint64_t now, int all);
int		 apply_record(struct order *, struct cache *,
		    struct qrecord *, uint64_t now);
int		 apply_next_at(struct order *, uint64_t reorder, uint64_t *at);
void		 apply_clear(struct order *);
const struct quark_process *view_get(const struct pview *);
void		 view_drop(struct pview *);
void		 view_detach(struct centry *);

/* agg.c: 0 when raw joined rec (rec now owns it), -1 when it did not. */
int	agg_try(const struct quark_agg_rules *, struct qrecord *,
	    struct raw_event *);

/* cache.c */

/*
 * An image not copied: the one the entry (pid, serial) had at `time`.
 * A fork followed by an exec in one record copies nothing of the
 * parent's image; its children forked in between find it through this.
 */
struct image_ref {
	pid_t		pid;	/* 0: none */
	uint64_t	serial;
	uint64_t	time;
};

struct centry {
	RB_ENTRY(centry)	 entry;
	TAILQ_ENTRY(centry)	 gc_entry;
	struct quark_process	 p;
	uint64_t		 gc_at;	/* 0: not scheduled */
	uint64_t		 epoch;	/* loss epoch when exe/args were learned */
	int			 exited;
	/*
	 * Learned from /proc, its start not seen: added by the reconcile
	 * after a loss (cache_adopt()), or found on its pid by a reconcile.
	 */
	int			 from_proc;
	uint64_t		 serial;	/* this process's: unique in the cache */
	/*
	 * entity_id generations (see set_entity() in cache.c): the base id
	 * (quark_entity_id()) and generation of this process, and of the
	 * process that had the pid before it.
	 */
	uint64_t		 id_base, prev_base;
	uint32_t		 id_gen, prev_gen;
	/*
	 * One image of history, for the forks applied after an exec that
	 * came later than them (a record is applied at its first raw
	 * event's time): p's image since image_time (0: not installed by an
	 * exec seen here), prev's (image fields only) before it, since
	 * prev_time; with prev NULL, prev_ref says where it is, if known.
	 * image_lazy: p's image is prev_ref's, not copied, an exec follows.
	 */
	uint64_t		 image_time;
	struct quark_process	*prev;
	uint64_t		 prev_time;
	uint64_t		 prev_epoch;
	struct image_ref	 prev_ref;
	int			 image_lazy;
	struct pview_list	 pins;	/* views of p as it is (apply.c) */
};

RB_HEAD(cache_tree, centry);
TAILQ_HEAD(centry_list, centry);

typedef struct quark_process *(*cache_reader_fn)(pid_t, int);
/* The pids alive now: *pids malloc'd, the caller frees; -1 on error. */
typedef int (*cache_lister_fn)(pid_t **pids, size_t *n);

/*
 * Exited entries kept for their grace time, at most: under a spawn storm
 * (20,000 exits/s for a 5 s grace would be 100,000 entries, argv included)
 * the oldest go early, so memory stays bounded.
 */
#define CACHE_GC_MAX	8192

struct cache {
	struct cache_tree	tree;
	struct centry_list	gc;	/* by gc_at, oldest first */
	struct centry		*last;	/* last found: a record's raw events
					   are all about one pid */
	uint64_t		size;
	uint64_t		ngc;	/* entries in gc */
	uint64_t		gc_max;	/* CACHE_GC_MAX */
	uint64_t		grace_ns;
	uint64_t		epoch;	/* bumped at each loss */
	/*
	 * A loss was applied: the queue reconciles with /proc before the
	 * raw events after the gap are applied (apply_due() stops there).
	 */
	int			reconcile_due;
	uint64_t		serial;	/* last given to an entry */
	uint64_t		gcs;
	uint64_t		reconciles;
	uint64_t		evictions;
	uint64_t		adoptions;	/* unknown live processes added */
	uint64_t		cred_noops;	/* set*id calls that changed nothing */
};

void		 cache_init(struct cache *, uint64_t grace_ns);
void		 cache_clear(struct cache *);
struct centry	*cache_get(struct cache *, pid_t);
struct centry	*cache_first(struct cache *);
struct centry	*cache_next(struct cache *, struct centry *);
int		 cache_seed(struct cache *, struct quark_process *);
#define CACHE_EXEC_FOLLOWS	0x1
struct centry	*cache_apply(struct cache *, struct raw_event *, uint64_t now,
		    int flags);
void		 cache_gc(struct cache *, uint64_t now);
uint64_t	 cache_gc_due(struct cache *);
void		 cache_reconcile(struct cache *, cache_reader_fn, int qs_flags,
		    int (*busy)(void *, pid_t), void *arg, uint64_t now);
void		 cache_adopt(struct cache *, cache_lister_fn, cache_reader_fn,
		    int qs_flags, int (*busy)(void *, pid_t), void *arg);
int		 cache_stale(const struct cache *, const struct centry *);

/*
 * event.c: a record whose raw events are all applied becomes an event:
 * 0; 1 when it tells nothing (it held only set*id calls that changed
 * nothing, no event is due).
 */
int	event_fill(struct quark_event *, struct quark_process *scratch,
	    struct qrecord *);

/*
 * queue.c, for tests; call before open.  queue_set_auto(): the ops AUTO
 * opens for each rung of the ladder, in ladder order (NULL: each rung's
 * own backend).  queue_set_probe(): what AUTO's walk is told about the
 * kernel (NULL: probe_kernel_ladder()).
 */
void	queue_set_auto(const struct quark_backend_ops *const *, size_t);
void	queue_set_probe(void (*)(struct quark_probe *));
/*
 * queue.c: whether AUTO sees us as root (1) or not (0), for tests; -1
 * (the default) asks the kernel (CAP_SYS_ADMIN).
 */
void	queue_set_root(int);

#endif /* QUARK_ENGINE_H */
