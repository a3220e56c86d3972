/*
 * queue_int.h - the queue's state, shared by queue.c (intake, order ->
 * cache -> event) and backend.c (which backend, and opening it) only.
 */
#ifndef QUEUE_INT_H
#define QUEUE_INT_H

#include "engine.h"

struct quark_queue {
	struct quark_queue_attr		 attr;
	const struct quark_backend_ops	*ops;
	void				*state;
	const struct quark_agg_rules	*rules;
	uint64_t			(*now)(void);
	cache_reader_fn			 reader;
	cache_lister_fn			 lister;
	int				 budget;
	struct order			 order;
	struct order_policy		 policy;
	struct cache			 cache;
	struct qrecord_list		 ready;	/* forced out at max_length */
	struct qrecord			*cur;	/* handed out, freed next call */
	struct quark_event		 event;
	struct quark_process		 scratch;	/* thread records */
	uint64_t			 seq;
	uint64_t			 next_reconcile;	/* 0: not set yet */
	int				 stopped;	/* 1 stopping, 2 drained */
	struct quark_stats		 stats;
	struct queue_test		 test;	/* queue_open_test() */
	int				 notify_fd;	/* epoll: the two below */
	int				 clock_fd;	/* timerfd, or -1 */
	int				 names_fd;	/* inotify, or -1 */
	int				 drained;	/* last next() gave NULL */
	uint64_t			 gathered;	/* quark_queue_gathered(), 0: none */
	char				 why[256];	/* the backend's, at open */
};

/*
 * Opens backend id (QUARK_BACKEND_*) into qq->ops and qq->state, or for
 * AUTO the first rung of the ladder that opens; why the rungs before it
 * were passed over goes to quark_queue_why().  0, or -1 with errno set
 * (see backend.c for which one when every rung fails).
 */
int	backend_open(struct quark_queue *qq, int id);
/* Whether id names a backend quark_queue_open() can open (or AUTO). */
int	backend_valid(int id);

#endif /* QUEUE_INT_H */
