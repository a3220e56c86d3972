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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quark.h"
#include "output.h"
#include "tree.h"
#include "cmd.h"
#include "ptable.h"

/*
 * Prints every record with its parent, whole lines gathered into few
 * write(2)s when the format batches; EPIPE is a normal end.
 */
static int
print_records(struct ptable *t)
{
	const struct quark_process	*p;
	size_t				 i;
	int				 r = 0;

	if (cur_output->batch != NULL)
		cur_output->batch(STDOUT_FILENO, 1);
	for (i = 0; i < t->n && r == 0; i++) {
		p = t->v[i];
		r = cur_output->snapshot(STDOUT_FILENO, p,
		    ptable_find(t, p->ppid));
	}
	if (cur_output->batch != NULL &&
	    cur_output->batch(STDOUT_FILENO, 0) == -1)
		r = -1;
	if (r == -1) {
		if (errno == EPIPE)
			return (0);
		cwarn("write");
		return (1);
	}
	return (0);
}

static int
print_tree(const struct ptable *t)
{
	struct tree_table	tt = { t->v, t->n, t->idx, t->nidx };

	return (tree_print(&tt, stdout));
}

struct snapshot_opts {
	unsigned int	qs;		/* QS_* */
	int		tree;		/* --tree */
	int		format;		/* --format: index in outputs[] */
};

#define S(field)	offsetof(struct snapshot_opts, field)

static const struct opt snapshot_opt_table[] = {
	{ "help", 'h', OPT_HELP, NULL, "print this help and exit",
	  .off = 0 },
	{ "threads", 0, OPT_BITS, NULL, "also print one record per thread",
	  .off = S(qs), .val = QS_THREADS },
	{ "tree", 0, OPT_FLAG, NULL, "print an indented process tree for humans",
	  .off = S(tree) },
	{ "no-kthreads", 0, OPT_BITS, NULL, "leave kernel threads out",
	  .off = S(qs), .val = QS_NO_KTHREADS },
	{ "env", 0, OPT_BITS, NULL, "also read the environment of each process",
	  .off = S(qs), .val = QS_ENV },
	FORMAT_OPT(S(format)),
	{ .name = NULL }
};

#undef S

const struct opt_set snapshot_options = {
	snapshot_opt_table, sizeof(struct snapshot_opts), NULL, NULL, 0, NULL
};

int
cmd_snapshot(int argc, char **argv)
{
	struct snapshot_opts	o;
	struct ptable		t;
	int			r;

	if (opt_parse(cur_cmd, argc, argv, &o, &r) == -1)
		return (r);
	format_select(o.format);
	if (optind != argc) {
		cwarnx("unexpected argument '%s'", argv[optind]);
		return (cmd_usage(cur_cmd));
	}
	if (ptable_scan(&t, (int)o.qs) == -1) {
		cwarn("reading /proc");
		return (1);
	}
	r = o.tree ? print_tree(&t) : print_records(&t);
	if (o.tree && r == -1) {
		r = 0;
		if (errno != EPIPE) {
			cwarn("write");
			r = 1;
		}
	}
	ptable_free(&t);
	return (r);
}
