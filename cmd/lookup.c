/*
 * lookup.c - `quark lookup [--ancestors] [--env] PID ...`: one record (in
 * the output format, NDJSON by default) per pid, read from /proc; with
 * --ancestors each is followed by its parent, grandparent, ... up to pid 1
 * (or the top of its pid namespace).
 *
 * Every pid is parsed before anything is printed, so a usage error never
 * leaves half an output.  A pid that does not exist is reported and makes
 * the status 1; the others are still printed.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "quark.h"
#include "output.h"
#include "cmd.h"

/* Deeper than any real chain: a guard against a ppid loop from pid reuse. */
#define ANCESTORS_MAX	4096

enum { LK_OK, LK_GONE, LK_ERR, LK_EPIPE };

/* The parent of p read from /proc, or NULL (errno ESRCH if none). */
static struct quark_process *
read_parent(const struct quark_process *p, int qs)
{
	if (!(p->known & QP_PPID) || p->ppid <= 0 || p->ppid == p->pid) {
		errno = ESRCH;
		return (NULL);
	}
	return (quark_process_read(p->ppid, qs));
}

static int
emit(const struct quark_process *p, const struct quark_process *parent)
{
	if (cur_output->snapshot(STDOUT_FILENO, p, parent) == 0)
		return (LK_OK);
	if (errno == EPIPE)
		return (LK_EPIPE);
	cwarn("write");
	return (LK_ERR);
}

/*
 * Prints pid (and its ancestors).  Each line carries its parent, which is
 * also the next ancestor: one read per level.
 */
static int
lookup_one(pid_t pid, int qs, int ancestors)
{
	struct quark_process	*p, *parent;
	int			 r, depth = 0;

	if ((p = quark_process_read(pid, qs)) == NULL) {
		if (errno == ESRCH) {
			cwarnx("%d: no such process", (int)pid);
			return (LK_GONE);
		}
		cwarn("%d", (int)pid);
		return (LK_ERR);
	}
	for (;;) {
		parent = read_parent(p, qs);
		r = emit(p, parent);
		quark_process_free(p);
		p = parent;
		/* A parent that vanished just ends the chain. */
		if (r != LK_OK || !ancestors || p == NULL ||
		    ++depth >= ANCESTORS_MAX)
			break;
	}
	quark_process_free(p);
	return (r);
}

struct lookup_opts {
	unsigned int	qs;		/* QS_ENV */
	int		ancestors;	/* --ancestors */
};

#define L(field)	offsetof(struct lookup_opts, field)

static const struct opt lookup_opt_table[] = {
	{ "help", 'h', OPT_HELP, NULL, "print this help and exit",
	  .off = 0 },
	{ "ancestors", 0, OPT_FLAG, NULL, "follow each process with its ancestors",
	  .off = L(ancestors) },
	{ "env", 0, OPT_BITS, NULL, "also read the environments",
	  .off = L(qs), .val = QS_ENV },
	{ .name = NULL }
};

#undef L

const struct opt_set lookup_options = {
	lookup_opt_table, sizeof(struct lookup_opts), NULL, "PID ...", 0, NULL
};

int
cmd_lookup(int argc, char **argv)
{
	struct lookup_opts	 o;
	pid_t			*pids;
	long long		 v;
	int			 i, n, status = 0, r;

	if (opt_parse(cur_cmd, argc, argv, &o, &r) == -1)
		return (r);
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		cwarnx("no pid given");
		return (cmd_usage(cur_cmd));
	}
	if ((pids = calloc(argc, sizeof(*pids))) == NULL) {
		cwarn("calloc");
		return (1);
	}
	for (i = 0; i < argc; i++) {
		if (parse_num(argv[i], 1, INT_MAX, "PID", &v) == -1) {
			free(pids);
			return (cmd_usage(cur_cmd));
		}
		pids[i] = (pid_t)v;
	}
	n = argc;
	for (i = 0; i < n; i++) {
		r = lookup_one(pids[i], (int)o.qs, o.ancestors);
		if (r == LK_EPIPE)
			break;
		if (r != LK_OK)
			status = 1;
	}
	free(pids);
	return (status);
}
