/*
 * ptable.h - the process table read once from /proc, for `quark snapshot`
 * (and its --tree) and `quark lookup`.
 */
#ifndef QUARK_PTABLE_H
#define QUARK_PTABLE_H

#include "quark.h"

struct ptable {
	/* Scan order: each process followed by its threads.  Owned. */
	struct quark_process	**v;
	size_t			  n, cap;
	/* The processes (not threads) sorted by pid, for parents. */
	struct quark_process	**idx;
	size_t			  nidx;
};

/* Reads /proc (QS_* flags).  -1 and errno on error; *t is then empty. */
int	ptable_scan(struct ptable *t, int qs);
/* The process pid, or NULL. */
const struct quark_process *ptable_find(const struct ptable *t, pid_t pid);
void	ptable_free(struct ptable *t);

#endif /* QUARK_PTABLE_H */
