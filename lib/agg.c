/*
 * agg.c - which raw events of one pid become one record.
 *
 * The policy is the table below and nothing else: merge[a][b] is set when
 * an event of kind b may follow one of kind a inside a record.  A raw
 * event joins a record only if the table allows it against every event
 * already there (those before it in time as rows, those after it as
 * columns), so:
 *
 *  - fork + exec + exit, and every part of it, is one record;
 *  - so is a process that execs again (sh -c 'exec env true'): each
 *    exec joins, and the image each earlier one installed stays in the
 *    record (apply.c keeps it, the event's `previous`), so that no exe
 *    or argv is lost;
 *  - credential and comm changes join the record they follow, each one
 *    kept as a change of its own;
 *  - nothing joins a record after its exit (a later fork on the same pid
 *    is a new process).
 */
#include <errno.h>

#include "engine.h"

#define M	agg_append

const struct quark_agg_rules quark_agg_default = {
	.name = "default",
	.merge = {
	/* in record \ joining:  fork  exec  exit  setuid setgid setsid comm */
	[QUARK_EV_FORK]   = {    NULL, M,    M,    M,     M,     M,     M },
	[QUARK_EV_EXEC]   = {    NULL, M,    M,    M,     M,     M,     M },
	[QUARK_EV_EXIT]   = {    NULL, NULL, NULL, NULL,  NULL,  NULL,  NULL },
	[QUARK_EV_SETUID] = {    NULL, M,    M,    M,     M,     M,     M },
	[QUARK_EV_SETGID] = {    NULL, M,    M,    M,     M,     M,     M },
	[QUARK_EV_SETSID] = {    NULL, M,    M,    M,     M,     M,     M },
	[QUARK_EV_COMM]   = {    NULL, M,    M,    M,     M,     M,     M },
	},
};

#undef M

/*
 * The default merge: put raw in its place in time order.  Most events
 * arrive in order, so the search starts from the tail.  The caller
 * re-keys the record if raw became its first event.
 */
int
agg_append(struct qrecord *rec, struct raw_event *raw)
{
	struct raw_event	*r;

	TAILQ_FOREACH_REVERSE(r, &rec->raws, raw_event_list, entry) {
		if (raw_cmp(r, raw) < 0)
			break;
	}
	if (r != NULL)
		TAILQ_INSERT_AFTER(&rec->raws, r, raw, entry);
	else
		TAILQ_INSERT_HEAD(&rec->raws, raw, entry);
	rec->nraws++;
	rec->kinds |= 1U << raw->type;
	return (0);
}

/* Both know their process's start time, and they differ: pid reuse. */
static int
other_process(const struct raw_event *a, const struct raw_event *b)
{
	return ((a->task.known & QP_START) && (b->task.known & QP_START) &&
	    quark_start_trunc(a->task.start_ns) !=
	    quark_start_trunc(b->task.start_ns));
}

/*
 * Whether raw may join rec, asked of the table for every event in rec;
 * then the merge function of its predecessor (or successor) does it.
 * Events of another process on the same pid never join, whatever the
 * table says.
 */
int
agg_try(const struct quark_agg_rules *rules, struct qrecord *rec,
    struct raw_event *raw)
{
	struct raw_event	*r, *prev = NULL, *next = NULL;
	quark_agg_fn		 fn;

	if (raw->type >= QUARK_EV_TYPE_COUNT || rec->nraws >= REC_MAX_RAWS ||
	    (rec->flags & QUARK_EVF_THREAD))
		return (-1);
	TAILQ_FOREACH(r, &rec->raws, entry) {
		if (r->type >= QUARK_EV_TYPE_COUNT || other_process(r, raw))
			return (-1);
		if (raw_cmp(r, raw) < 0) {
			if (rules->merge[r->type][raw->type] == NULL)
				return (-1);
			prev = r;
		} else {
			if (rules->merge[raw->type][r->type] == NULL)
				return (-1);
			if (next == NULL)
				next = r;
		}
	}
	fn = prev != NULL ? rules->merge[prev->type][raw->type] :
	    rules->merge[raw->type][next->type];
	return (fn(rec, raw));
}
