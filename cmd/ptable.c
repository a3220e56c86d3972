/*
 * ptable.c - the process table read once from /proc, indexed by pid.
 * Printing it as a tree is output/tree.c's job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptable.h"

static int
push(struct ptable *t, struct quark_process *p)
{
	struct quark_process	**nv;
	size_t			  ncap;

	if (t->n == t->cap) {
		ncap = t->cap == 0 ? 512 : t->cap * 2;
		if ((nv = reallocarray(t->v, ncap, sizeof(*nv))) == NULL)
			return (-1);
		t->v = nv;
		t->cap = ncap;
	}
	t->v[t->n++] = p;
	return (0);
}

static int
by_pid(const void *a, const void *b)
{
	const struct quark_process	*pa = *(struct quark_process *const *)a;
	const struct quark_process	*pb = *(struct quark_process *const *)b;

	return ((pa->pid > pb->pid) - (pa->pid < pb->pid));
}

static int
build_index(struct ptable *t)
{
	size_t	i;

	if ((t->idx = calloc(t->n + 1, sizeof(*t->idx))) == NULL)
		return (-1);
	for (i = 0; i < t->n; i++)
		if (!(t->v[i]->known & QP_TID))
			t->idx[t->nidx++] = t->v[i];
	qsort(t->idx, t->nidx, sizeof(*t->idx), by_pid);
	return (0);
}

int
ptable_scan(struct ptable *t, int qs)
{
	struct quark_scrape	*s;
	struct quark_process	*p;
	int			 saved;

	memset(t, 0, sizeof(*t));
	if ((s = quark_scrape_open(qs)) == NULL)
		return (-1);
	while ((p = quark_scrape_next(s)) != NULL) {
		if (push(t, p) == -1) {
			quark_process_free(p);
			goto fail;
		}
	}
	if (errno != 0)
		goto fail;
	quark_scrape_close(s);
	if (build_index(t) == -1) {
		saved = errno;
		ptable_free(t);
		errno = saved;
		return (-1);
	}
	return (0);
fail:
	saved = errno;
	quark_scrape_close(s);
	ptable_free(t);
	errno = saved;
	return (-1);
}

const struct quark_process *
ptable_find(const struct ptable *t, pid_t pid)
{
	struct quark_process	 key, *kp = &key, **r;

	if (t->nidx == 0)
		return (NULL);
	key.pid = pid;
	r = bsearch(&kp, t->idx, t->nidx, sizeof(*t->idx), by_pid);
	return (r != NULL ? *r : NULL);
}

void
ptable_free(struct ptable *t)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		quark_process_free(t->v[i]);
	free(t->v);
	free(t->idx);
	memset(t, 0, sizeof(*t));
}
