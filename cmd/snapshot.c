/*
 * snapshot.c - `quark snapshot`: the process table from /proc, one record
 * per process with its parent (in the output format, NDJSON by default),
 * or as a tree for humans (output/tree.c).
 *
 * The whole table is read first, then printed: each line carries its
 * parent, found by pid in a sorted index.  A few hundred processes take a
 * few milliseconds and a few hundred KiB.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quark.h"
#include "output.h"
#include "tree.h"
#include "cmd.h"
#include "ptable.h"

/* Prints every record with its parent; EPIPE is a normal end. */
static int
print_records(struct ptable *t)
{
	const struct quark_process	*p;
	size_t				 i;

	for (i = 0; i < t->n; i++) {
		p = t->v[i];
		if (cur_output->snapshot(STDOUT_FILENO, p,
		    ptable_find(t, p->ppid)) == -1) {
			if (errno == EPIPE)
				return (0);
			cwarn("write");
			return (1);
		}
	}
	return (0);
}

static int
print_tree(const struct ptable *t)
{
	struct tree_table	tt = { t->v, t->n, t->idx, t->nidx };

	return (tree_print(&tt, stdout));
}

int
cmd_snapshot(int argc, char **argv)
{
	struct ptable	t;
	int		ch, qs = 0, tree = 0, r;

	static const struct option longopts[] = {
		{ "help",	 no_argument,	NULL,	'h' },
		{ "threads",	 no_argument,	NULL,	'T' },
		{ "tree",	 no_argument,	NULL,	't' },
		{ "no-kthreads", no_argument,	NULL,	'K' },
		{ "env",	 no_argument,	NULL,	'E' },
		{ NULL,		 0,		NULL,	0 }
	};

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return (cmd_help_of(cur_cmd));
		case 'T':
			qs |= QS_THREADS;
			break;
		case 't':
			tree = 1;
			break;
		case 'K':
			qs |= QS_NO_KTHREADS;
			break;
		case 'E':
			qs |= QS_ENV;
			break;
		default:
			return (cmd_usage(cur_cmd));
		}
	}
	if (optind != argc) {
		cwarnx("unexpected argument '%s'", argv[optind]);
		return (cmd_usage(cur_cmd));
	}
	if (ptable_scan(&t, qs) == -1) {
		cwarn("reading /proc");
		return (1);
	}
	r = tree ? print_tree(&t) : print_records(&t);
	if (tree && r == -1) {
		r = 0;
		if (errno != EPIPE) {
			cwarn("write");
			r = 1;
		}
	}
	ptable_free(&t);
	return (r);
}
