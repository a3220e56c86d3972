/*
 * tree.h - the process table as an indented tree, for humans
 * (`quark snapshot --tree`).
 */
#ifndef QUARK_TREE_H
#define QUARK_TREE_H

#include <stdio.h>

#include "quark.h"

/* A process table as cmd/ptable.c reads it (nothing here is owned). */
struct tree_table {
	/* Scan order: each process followed by its threads (QP_TID). */
	struct quark_process	*const *v;
	size_t			 n;
	/* The processes (not threads) sorted by pid. */
	struct quark_process	*const *idx;
	size_t			 nidx;
};

/*
 * Writes one line per process and thread to f: "PID comm  args", indented
 * two spaces per level; threads as "TID {comm}", kernel threads "[comm]".
 * Roots are the processes whose parent is not in the table.  Control
 * characters, backslashes and bytes that are not UTF-8 are escaped
 * C-style; arguments are cut after 100 bytes with "...".  Returns 0, or
 * -1 with errno set when allocating or writing fails.
 */
int	tree_print(const struct tree_table *, FILE *f);

#endif /* QUARK_TREE_H */
