/*
 * names.c - uid/gid -> user/group names as of a moment.
 *
 * The files databases (/etc/passwd, /etc/group) are read whole into a
 * generation, sorted by id, when names are first asked for or the queue
 * opens, and again when they change (inotify on their directories, in
 * the queue's notify fd; checked once per drain): never per record.  A
 * generation is dated with the boot time its change was noticed at, and
 * the last NAMES_GENS are kept, so a name is looked up in the files as
 * they were at the record's moment: a user deleted right after running
 * something keeps its name in that record; a uid that had no entry does
 * not take the name of a user created a moment later.
 *
 * Ids that the files do not have (LDAP, sssd, systemd's dynamic users)
 * are asked of NSS (getpwuid_r/getgrgid_r) and cached with a
 * time-to-live, as names.h says: those sources tell no history.  An id
 * that the files have now but did not have at the moment has no name.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
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

#include <bsd/string.h>

#include "quark.h"
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
static int		files_on = 1;	/* the files databases are read */
static size_t		nnames;
/* The last uncached answer, when the cache is full. */
static char		*overflow;
static uint64_t		next_sweep;
static uint64_t		(*clock_fn)(void) = mono_ns;
static char		*(*lookup_fn)(int, uint32_t) = nss_lookup;

/* The moments' clock: boot ns (names_hooks() leaves it alone). */
static uint64_t
clock_boot_fn(void)
{
	return (quark_boot_now());
}

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

/* --- the files databases, by generation ------------------------------ */

struct idname {
	uint32_t	 id;
	char		*name;
};

/* An entry and its line in the file, to keep the first line of an id. */
struct idline {
	struct idname	e;
	size_t		line;
};

struct names_gen {
	uint64_t	 from;		/* boot ns: in effect from then on */
	struct idname	*ids[2];	/* N_USER, N_GROUP: sorted by id */
	size_t		 n[2];
};

static struct names_gen	*gens[NAMES_GENS];	/* oldest first */
static unsigned		 ngens;
static const char	*db_path[2] = { "/etc/passwd", "/etc/group" };
/* What the files were when last read: a change shows in these. */
static struct stat	 db_st[2];

static int
idname_cmp(const void *a, const void *b)
{
	const struct idname	*x = a, *y = b;

	return (x->id < y->id ? -1 : x->id > y->id);
}

/* (id, line): equal ids keep their file order. */
static int
idname_line_cmp(const void *a, const void *b)
{
	const struct idline	*x = a, *y = b;

	if (x->e.id != y->e.id)
		return (x->e.id < y->e.id ? -1 : 1);
	return (x->line < y->line ? -1 : x->line > y->line);
}

static void
gen_free(struct names_gen *g)
{
	size_t	k, i;

	if (g == NULL)
		return;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < g->n[k]; i++)
			free(g->ids[k][i].name);
		free(g->ids[k]);
	}
	free(g);
}

/* One database into g->ids[kind]; a missing file is an empty one. */
static int
gen_read(struct names_gen *g, int kind)
{
	struct passwd	 pw, *pwp;
	struct group	 gr, *grp;
	struct idname	*v = NULL, *nv;
	size_t		 n = 0, cap = 0, i, o;
	char		*buf, *name;
	uint32_t	 id;
	FILE		*f;
	int		 r;

	if ((f = fopen(db_path[kind], "re")) == NULL)
		return (errno == ENOENT ? 0 : -1);
	if ((buf = malloc(NAMES_BUF_MAX)) == NULL)
		goto fail;
	for (;;) {
		if (kind == N_USER) {
			r = fgetpwent_r(f, &pw, buf, NAMES_BUF_MAX, &pwp);
			name = r == 0 ? pwp->pw_name : NULL;
			id = r == 0 ? pwp->pw_uid : 0;
		} else {
			r = fgetgrent_r(f, &gr, buf, NAMES_BUF_MAX, &grp);
			name = r == 0 ? grp->gr_name : NULL;
			id = r == 0 ? grp->gr_gid : 0;
		}
		if (r == ENOENT)
			break;
		if (r != 0)
			goto fail;
		/* NIS compat lines (+, -) name no one here. */
		if (name[0] == '\0' || name[0] == '+' || name[0] == '-')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		v[n].id = id;
		if ((v[n].name = strdup(name)) == NULL)
			goto fail;
		v[n].name[strcspn(v[n].name, "\n")] = '\0';
		n++;
	}
	/* Sorted, the first line of an id kept (as getpwuid does). */
	if (n > 1) {
		struct idline	*t;

		if ((t = calloc(n, sizeof(*t))) == NULL)
			goto fail;
		for (i = 0; i < n; i++) {
			t[i].e = v[i];
			t[i].line = i;
		}
		qsort(t, n, sizeof(*t), idname_line_cmp);
		for (i = o = 0; i < n; i++) {
			if (o > 0 && v[o - 1].id == t[i].e.id) {
				free(t[i].e.name);
				continue;
			}
			v[o++] = t[i].e;
		}
		free(t);
		n = o;
	}
	g->ids[kind] = v;
	g->n[kind] = n;
	free(buf);
	fclose(f);
	return (0);
fail:
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	free(buf);
	fclose(f);
	return (-1);
}

static int
gen_same(const struct names_gen *a, const struct names_gen *b)
{
	size_t	k, i;

	for (k = 0; k < 2; k++) {
		if (a->n[k] != b->n[k])
			return (0);
		for (i = 0; i < a->n[k]; i++)
			if (a->ids[k][i].id != b->ids[k][i].id ||
			    strcmp(a->ids[k][i].name, b->ids[k][i].name) != 0)
				return (0);
	}
	return (1);
}

static void
db_stat(struct stat *st)
{
	int	k;

	for (k = 0; k < 2; k++)
		if (stat(db_path[k], &st[k]) == -1)
			memset(&st[k], 0, sizeof(st[k]));
}

static int
db_changed(void)
{
	struct stat	st[2];
	int		k;

	db_stat(st);
	for (k = 0; k < 2; k++)
		if (st[k].st_ino != db_st[k].st_ino ||
		    st[k].st_dev != db_st[k].st_dev ||
		    st[k].st_size != db_st[k].st_size ||
		    st[k].st_mtim.tv_sec != db_st[k].st_mtim.tv_sec ||
		    st[k].st_mtim.tv_nsec != db_st[k].st_mtim.tv_nsec)
			return (1);
	return (0);
}

int
names_reload(uint64_t at)
{
	struct names_gen	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return (-1);
	db_stat(db_st);
	if (gen_read(g, N_USER) == -1 || gen_read(g, N_GROUP) == -1) {
		gen_free(g);
		return (-1);
	}
	if (ngens > 0 && gen_same(g, gens[ngens - 1])) {
		gen_free(g);
		return (0);
	}
	g->from = ngens == 0 ? 0 : at;
	if (ngens > 0 && at < gens[ngens - 1]->from)
		g->from = gens[ngens - 1]->from;
	if (ngens == NAMES_GENS) {
		gen_free(gens[0]);
		memmove(&gens[0], &gens[1], sizeof(gens[0]) * (NAMES_GENS - 1));
		ngens--;
	}
	gens[ngens++] = g;
	return (1);
}

static const struct names_gen *
gen_at(uint64_t at)
{
	unsigned	i;

	if (ngens == 0 && names_reload(0) == -1)
		return (NULL);
	if (ngens == 0)
		return (NULL);
	for (i = ngens; i > 1; i--)
		if (gens[i - 1]->from <= at)
			break;
	return (gens[i - 1]);
}

/* 1 and *name (maybe the gen's) when g has the id, else 0. */
static int
gen_find(const struct names_gen *g, int kind, uint32_t id, const char **name)
{
	struct idname	key, *e;

	if (g == NULL || g->n[kind] == 0)
		return (0);
	key.id = id;
	if ((e = bsearch(&key, g->ids[kind], g->n[kind], sizeof(key),
	    idname_cmp)) == NULL)
		return (0);
	*name = e->name;
	return (1);
}

static const char *
names_at(int kind, uint32_t id, uint64_t at)
{
	const char	*name;

	if (files_on && gen_find(gen_at(at), kind, id, &name))
		return (name);
	/* In the files now, not then: it had no name then. */
	if (files_on && ngens > 0 && gen_find(gens[ngens - 1], kind, id, &name))
		return (NULL);
	name = names_get(kind, id);
	/*
	 * NSS answered: from another source, or from files changed since
	 * they were read (not noticed yet).  In the latter case the id is
	 * in them now: it was not at the moment.
	 */
	if (name != NULL && files_on && db_changed() &&
	    names_reload(clock_boot_fn()) == 1 &&
	    gen_find(gens[ngens - 1], kind, id, &name))
		return (NULL);
	return (name);
}

const char *
names_user_at(uint32_t uid, uint64_t at)
{
	return (names_at(N_USER, uid, at));
}

const char *
names_group_at(uint32_t gid, uint64_t at)
{
	return (names_at(N_GROUP, gid, at));
}

const char *
names_user(uint32_t uid)
{
	return (names_at(N_USER, uid, clock_boot_fn()));
}

const char *
names_group(uint32_t gid)
{
	return (names_at(N_GROUP, gid, clock_boot_fn()));
}

/* inotify on the directories of the databases: renames replace them. */
int
names_watch_open(uint64_t now)
{
	char	dir[PATH_MAX], *slash;
	int	fd, k, saved;

	if (ngens == 0)
		names_reload(now);
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return (-1);
	for (k = 0; k < 2; k++) {
		if (strlcpy(dir, db_path[k], sizeof(dir)) >= sizeof(dir) ||
		    (slash = strrchr(dir, '/')) == NULL)
			continue;
		slash[slash == dir ? 1 : 0] = '\0';
		if (inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO |
		    IN_MOVED_FROM | IN_CREATE | IN_DELETE) == -1) {
			saved = errno;
			close(fd);
			errno = saved;
			return (-1);
		}
	}
	return (fd);
}

int
names_watch_check(int fd, uint64_t now)
{
	char	buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t	n;
	int	seen = 0;

	if (fd == -1)
		return (db_changed() ? names_reload(now) : 0);
	/* Any event in the directories: whether it was ours, stat says. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		seen = 1;
	if (!seen || !db_changed())
		return (0);
	return (names_reload(now));
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
	while (ngens > 0)
		gen_free(gens[--ngens]);
	memset(db_st, 0, sizeof(db_st));
}

void
names_set_files(const char *passwd, const char *group)
{
	names_flush();
	db_path[N_USER] = passwd != NULL ? passwd : "/etc/passwd";
	db_path[N_GROUP] = group != NULL ? group : "/etc/group";
	files_on = 1;
}

void
names_hooks(uint64_t (*now)(void), char *(*lookup)(int group, uint32_t id))
{
	names_flush();
	clock_fn = now != NULL ? now : mono_ns;
	lookup_fn = lookup != NULL ? lookup : nss_lookup;
	/* A fake database replaces the files too. */
	files_on = lookup == NULL;
}
