/*
 * names.c - cached uid/gid -> name lookups.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* getpw*_r buffers start here and double on ERANGE up to 1 MiB. */
#define NAMES_BUF	1024
#define NAMES_BUF_MAX	(1024 * 1024)
/* When full, look for expired entries to drop at most this often. */
#define NAMES_SWEEP	(1ULL * 1000000000)	/* ns */

enum { N_USER = 0, N_GROUP = 1 };	/* names_hooks()'s `group` */

struct name {
	RB_ENTRY(name)	 entry;
	int		 kind;		/* N_USER, N_GROUP */
	uint32_t	 id;
	uint64_t	 expires;	/* clock ns: look up again from then */
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

static char	*nss_lookup(int, uint32_t);
static uint64_t	 mono_ns(void);

static struct name_tree	names = RB_INITIALIZER(&names);
static size_t		nnames;
/* The last uncached answer, when the cache is full. */
static char		*overflow;
static uint64_t		next_sweep;
static uint64_t		(*clock_fn)(void) = mono_ns;
static char		*(*lookup_fn)(int, uint32_t) = nss_lookup;

static uint64_t
mono_ns(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return (0);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

/* NSS lookup: a malloc'd name, or NULL (no name, or error). */
static char *
nss_lookup(int kind, uint32_t id)
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

static uint64_t
expiry(uint64_t now, const char *name)
{
	return (now + (name != NULL ? NAMES_HIT_TTL : NAMES_MISS_TTL));
}

/* Full: drop the expired entries, at most once per NAMES_SWEEP. */
static void
sweep(uint64_t now)
{
	struct name	*n, *next;

	if (now < next_sweep)
		return;
	next_sweep = now + NAMES_SWEEP;
	RB_FOREACH_SAFE(n, name_tree, &names, next) {
		if (now < n->expires)
			continue;
		RB_REMOVE(name_tree, &names, n);
		free(n->name);
		free(n);
		nnames--;
	}
}

static const char *
names_get(int kind, uint32_t id)
{
	struct name	 key, *n;
	uint64_t	 now = clock_fn();
	char		*s;

	key.kind = kind;
	key.id = id;
	if ((n = RB_FIND(name_tree, &names, &key)) != NULL) {
		if (now < n->expires)
			return (n->name);
		/* Expired: ask again, in place. */
		free(n->name);
		n->name = lookup_fn(kind, id);
		n->expires = expiry(now, n->name);
		return (n->name);
	}
	s = lookup_fn(kind, id);
	if (nnames >= NAMES_MAX)
		sweep(now);
	if (nnames >= NAMES_MAX || (n = calloc(1, sizeof(*n))) == NULL) {
		free(overflow);
		overflow = s;
		return (s);
	}
	n->kind = kind;
	n->id = id;
	n->name = s;
	n->expires = expiry(now, s);
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
	next_sweep = 0;
	free(overflow);
	overflow = NULL;
}

void
names_hooks(uint64_t (*now)(void), char *(*lookup)(int group, uint32_t id))
{
	names_flush();
	clock_fn = now != NULL ? now : mono_ns;
	lookup_fn = lookup != NULL ? lookup : nss_lookup;
}
