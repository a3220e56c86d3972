/*
 * tree.c - the process table as an indented tree, for humans
 * (`quark snapshot --tree`): children under their parent in pid order,
 * threads under their process, bytes escaped for a terminal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"
#include "utf8.h"

/* Width of the argument text shown in a tree line, in bytes. */
#define TREE_ARGS_MAX	100

/*
 * Bytes for a terminal, escaped as the text format escapes them
 * (utf8_term_escape()): control characters, backslashes, bytes that are
 * not UTF-8 and bidirectional controls; the rest of valid UTF-8 is kept.
 * NUL separates arguments: a space.  Stops after about max bytes with
 * "...".
 */
static void
put_escaped(FILE *f, const char *s, size_t len, size_t max)
{
	char		 esc[UTF8_ESC_MAX];
	const char	*e;
	size_t		 i = 0, n;

	while (i < len) {
		if (i >= max) {
			fputs("...", f);
			return;
		}
		if (s[i] == '\0') {
			putc(' ', f);
			i++;
			continue;
		}
		if ((e = utf8_term_escape(s + i, len - i, &n, esc)) != NULL)
			fputs(e, f);
		else
			fwrite(s + i, 1, n, f);
		i += n;
	}
}

/* Links of the tree: indexes into t->idx (children) and t->v (threads). */
struct tree {
	const struct tree_table	*t;
	size_t			*child, *sibling;	/* over idx; SIZE_MAX: none */
	size_t			*thread, *next_thread;	/* thread: over v */
	FILE			*f;
};

/* The slot of pid in t->idx, or SIZE_MAX. */
static size_t
idx_of(const struct tree_table *t, pid_t pid)
{
	size_t	lo = 0, hi = t->nidx, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->idx[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < t->nidx && t->idx[lo]->pid == pid ? lo : SIZE_MAX);
}

static void
print_line(struct tree *tr, const struct quark_process *p, int depth)
{
	FILE	*f = tr->f;
	size_t	 len;

	fprintf(f, "%*s%d ", depth * 2, "",
	    (p->known & QP_TID) ? (int)p->tid : (int)p->pid);
	if (p->known & QP_TID)
		putc('{', f);
	else if (p->kthread)
		putc('[', f);
	put_escaped(f, p->comm, strlen(p->comm), QUARK_COMM_LEN);
	if (p->known & QP_TID)
		putc('}', f);
	else if (p->kthread)
		putc(']', f);
	if ((p->known & QP_ARGS) && !(p->known & QP_TID)) {
		len = utf8_whole_len(p->args, p->args_len,
		    p->truncated & QPT_ARGS);
		while (len > 0 && p->args[len - 1] == '\0')
			len--;
		fputs("  ", f);
		put_escaped(f, p->args, len, TREE_ARGS_MAX);
	}
	putc('\n', f);
}

/* Depth first; an explicit stack would be needed past ~100k levels. */
static void
print_node(struct tree *tr, size_t i, int depth)
{
	size_t	c;

	if (ferror(tr->f))
		return;
	print_line(tr, tr->t->idx[i], depth);
	for (c = tr->thread[i]; c != SIZE_MAX; c = tr->next_thread[c])
		print_line(tr, tr->t->v[c], depth + 1);
	for (c = tr->child[i]; c != SIZE_MAX; c = tr->sibling[c])
		print_node(tr, c, depth + 1);
}

/* Links children (in pid order) and threads to their process. */
static void
link_tree(struct tree *tr)
{
	const struct tree_table	*t = tr->t;
	const struct quark_process *p;
	size_t			 i, par;

	for (i = t->nidx; i-- > 0;) {
		p = t->idx[i];
		par = idx_of(t, p->ppid);
		if (p->ppid == p->pid || par == SIZE_MAX)
			continue;	/* a root */
		tr->sibling[i] = tr->child[par];
		tr->child[par] = i;
	}
	for (i = t->n; i-- > 0;) {
		p = t->v[i];
		if (!(p->known & QP_TID) || (par = idx_of(t, p->pid)) ==
		    SIZE_MAX)
			continue;
		tr->next_thread[i] = tr->thread[par];
		tr->thread[par] = i;
	}
}

int
tree_print(const struct tree_table *t, FILE *f)
{
	struct tree	 tr;
	size_t		 i, par;
	int		 r = -1;

	memset(&tr, 0, sizeof(tr));
	tr.t = t;
	tr.f = f;
	tr.child = malloc((t->nidx + 1) * sizeof(size_t));
	tr.sibling = malloc((t->nidx + 1) * sizeof(size_t));
	tr.thread = malloc((t->nidx + 1) * sizeof(size_t));
	tr.next_thread = malloc((t->n + 1) * sizeof(size_t));
	if (tr.child == NULL || tr.sibling == NULL || tr.thread == NULL ||
	    tr.next_thread == NULL)
		goto done;
	memset(tr.child, 0xff, (t->nidx + 1) * sizeof(size_t));
	memset(tr.sibling, 0xff, (t->nidx + 1) * sizeof(size_t));
	memset(tr.thread, 0xff, (t->nidx + 1) * sizeof(size_t));
	memset(tr.next_thread, 0xff, (t->n + 1) * sizeof(size_t));
	link_tree(&tr);
	for (i = 0; i < t->nidx; i++) {
		par = idx_of(t, t->idx[i]->ppid);
		if (par == SIZE_MAX || t->idx[i]->ppid == t->idx[i]->pid)
			print_node(&tr, i, 0);
	}
	r = (fflush(f) == EOF || ferror(f)) ? -1 : 0;
done:
	free(tr.child);
	free(tr.sibling);
	free(tr.thread);
	free(tr.next_thread);
	return (r);
}
