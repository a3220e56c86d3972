/*
 * names.c - cached uid/gid -> name lookups.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * libbsd leaves __unused undefined (a Linux header has a member of that
 * name); RB_GENERATE_STATIC needs it.  Nothing after this includes one.
 */
#include <bsd/sys/cdefs.h>
#undef __unused
#define __unused	__attribute__((__unused__))
#include <bsd/sys/tree.h>

#include "names.h"

/* Enough for any real host; a hostile id storm cannot grow us forever. */
#define NAMES_MAX	4096
/* getpw*_r buffers start here and double on ERANGE up to 1 MiB. */
#define NAMES_BUF	1024
#define NAMES_BUF_MAX	(1024 * 1024)

enum { N_USER, N_GROUP };

struct name {
	RB_ENTRY(name)	 entry;
	int		 kind;		/* N_USER, N_GROUP */
	uint32_t	 id;
	char		*name;		/* NULL: no such id (cached miss) */
};

static int
name_cmp(struct name *a, struct name *b)
{
	if (a->kind != b->kind)
		return (a->kind < b->kind ? -1 : 1);
	if (a->id != b->id)
		return (a->id < b->id ? -1 : 1);
	return (0);
}

RB_HEAD(name_tree, name);
RB_GENERATE_STATIC(name_tree, name, entry, name_cmp)

static struct name_tree	names = RB_INITIALIZER(&names);
static size_t		nnames;
/* The last uncached answer, when the cache is full. */
static char		*overflow;

/* NSS lookup: a malloc'd name, or NULL (no name, or error). */
static char *
lookup(int kind, uint32_t id)
{
	struct passwd	 pw, *pwp = NULL;
	struct group	 gr, *grp = NULL;
	char		*buf = NULL, *nb, *res = NULL;
	size_t		 sz = NAMES_BUF;
	int		 r;

	for (;;) {
		if ((nb = realloc(buf, sz)) == NULL)
			break;
		buf = nb;
		if (kind == N_USER) {
			r = getpwuid_r(id, &pw, buf, sz, &pwp);
			if (r == 0 && pwp != NULL)
				res = strdup(pwp->pw_name);
		} else {
			r = getgrgid_r(id, &gr, buf, sz, &grp);
			if (r == 0 && grp != NULL)
				res = strdup(grp->gr_name);
		}
		if (r != ERANGE || sz >= NAMES_BUF_MAX)
			break;
		sz *= 2;
	}
	free(buf);
	if (res != NULL && res[0] == '\0') {
		free(res);
		res = NULL;
	}
	return (res);
}

static const char *
names_get(int kind, uint32_t id)
{
	struct name	 key, *n;
	char		*s;

	key.kind = kind;
	key.id = id;
	if ((n = RB_FIND(name_tree, &names, &key)) != NULL)
		return (n->name);
	s = lookup(kind, id);
	if (nnames >= NAMES_MAX || (n = calloc(1, sizeof(*n))) == NULL) {
		free(overflow);
		overflow = s;
		return (s);
	}
	n->kind = kind;
	n->id = id;
	n->name = s;
	RB_INSERT(name_tree, &names, n);
	nnames++;
	return (s);
}

const char *
names_user(uint32_t uid)
{
	return (names_get(N_USER, uid));
}

const char *
names_group(uint32_t gid)
{
	return (names_get(N_GROUP, gid));
}

void
names_flush(void)
{
	struct name	*n, *next;

	RB_FOREACH_SAFE(n, name_tree, &names, next) {
		RB_REMOVE(name_tree, &names, n);
		free(n->name);
		free(n);
	}
	nnames = 0;
	free(overflow);
	overflow = NULL;
}
