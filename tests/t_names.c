/*
 * t_names.c - uid/gid names of lib/names.h: the files databases by
 * generation, a name as of a moment (a deleted user keeps its name at
 * moments before the deletion, an id gets no name created after the
 * moment), read only when they change; and the NSS cache for other
 * ids: hits and misses are cached, and expire after their time-to-live,
 * against a fake clock and a fake user database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "quark.h"
#include "ndjson.h"
#include "names.h"
#include "test.h"

#define SEC	1000000000ULL

static uint64_t	 fake_now;
static unsigned	 nlookups;
/* The fake database: one user and one group name per id below 8. */
static const char *fake_users[8], *fake_groups[8];

static uint64_t
fake_clock(void)
{
	return (fake_now);
}

static char *
fake_lookup(int group, uint32_t id)
{
	const char	*s;

	nlookups++;
	if (id >= 8)
		return (NULL);
	s = group ? fake_groups[id] : fake_users[id];
	return (s != NULL ? strdup(s) : NULL);
}

static void
reset(void)
{
	memset(fake_users, 0, sizeof(fake_users));
	memset(fake_groups, 0, sizeof(fake_groups));
	fake_now = 1000 * SEC;
	nlookups = 0;
	names_hooks(fake_clock, fake_lookup);
}

/* A user created while we run: named once the miss expires. */
static void
test_miss_expires(void)
{
	T_CASE("miss is cached, then expires");
	reset();
	T_EQ_STR(names_user(1), NULL);
	T_EQ_INT(nlookups, 1);
	fake_users[1] = "alice";
	fake_now += NAMES_MISS_TTL - 1;
	T_EQ_STR(names_user(1), NULL);		/* still the cached miss */
	T_EQ_INT(nlookups, 1);
	fake_now += 1;
	T_EQ_STR(names_user(1), "alice");
	T_EQ_INT(nlookups, 2);
	T_EQ_STR(names_user(1), "alice");
	T_EQ_INT(nlookups, 2);
}

/* A renamed or deleted user: the old name until the hit expires. */
static void
test_hit_expires(void)
{
	T_CASE("hit is cached, then expires");
	reset();
	fake_users[2] = "bob";
	T_EQ_STR(names_user(2), "bob");
	fake_users[2] = "robert";
	fake_now += NAMES_HIT_TTL - 1;
	T_EQ_STR(names_user(2), "bob");
	T_EQ_INT(nlookups, 1);
	fake_now += 1;
	T_EQ_STR(names_user(2), "robert");
	T_EQ_INT(nlookups, 2);
	fake_users[2] = NULL;			/* deleted */
	fake_now += NAMES_HIT_TTL;
	T_EQ_STR(names_user(2), NULL);
	T_EQ_INT(nlookups, 3);
	/* Now a miss: asked again after the shorter TTL. */
	fake_users[2] = "bob";
	fake_now += NAMES_MISS_TTL;
	T_EQ_STR(names_user(2), "bob");
	T_EQ_INT(nlookups, 4);
}

static void
test_user_group_apart(void)
{
	T_CASE("users and groups are cached apart");
	reset();
	fake_users[3] = "carol";
	fake_groups[3] = "staff";
	T_EQ_STR(names_user(3), "carol");
	T_EQ_STR(names_group(3), "staff");
	T_EQ_STR(names_user(3), "carol");
	T_EQ_STR(names_group(3), "staff");
	T_EQ_INT(nlookups, 2);
}

/* Full of misses: still answers; expired entries make room again. */
static void
test_full(void)
{
	uint32_t	i;

	T_CASE("a full cache answers uncached, then sweeps expired entries");
	reset();
	for (i = 0; i < NAMES_MAX; i++)
		names_user(100 + i);
	T_EQ_INT(nlookups, NAMES_MAX);
	fake_users[4] = "dave";
	T_EQ_STR(names_user(4), "dave");	/* not cached: full */
	T_EQ_STR(names_user(4), "dave");
	T_EQ_INT(nlookups, NAMES_MAX + 2);
	fake_now += NAMES_MISS_TTL;		/* every miss expired */
	T_EQ_STR(names_user(4), "dave");	/* sweeps, then caches */
	T_EQ_INT(nlookups, NAMES_MAX + 3);
	T_EQ_STR(names_user(4), "dave");
	T_EQ_INT(nlookups, NAMES_MAX + 3);
	T_EQ_STR(names_user(100), NULL);	/* swept: asked again */
	T_EQ_INT(nlookups, NAMES_MAX + 4);
}

static void
test_flush(void)
{
	T_CASE("names_flush forgets");
	reset();
	fake_users[5] = "eve";
	T_EQ_STR(names_user(5), "eve");
	names_flush();
	T_EQ_STR(names_user(5), "eve");
	T_EQ_INT(nlookups, 2);
}

/* The writer: a user created during a watch gets its name in records. */
static void
test_writer(void)
{
	struct quark_process	 p;
	json_t			*j;

	T_CASE("the writer names a user created after its first record");
	reset();
	memset(&p, 0, sizeof(p));
	p.known = QP_CREDS;
	p.uid = p.euid = 6;
	p.gid = p.egid = 6;
	j = ndjson_process(&p);
	T_CHECK(json_object_get(j, "user") == NULL);
	json_decref(j);
	fake_users[6] = "frank";
	fake_groups[6] = "frank";
	fake_now += NAMES_MISS_TTL;
	j = ndjson_process(&p);
	T_EQ_STR(json_string_value(json_object_get(j, "user")), "frank");
	T_EQ_STR(json_string_value(json_object_get(j, "egroup")), "frank");
	json_decref(j);
}

/* The real clock and database: root is uid 0 everywhere. */
static void
test_real(void)
{
	T_CASE("real clock and NSS");
	names_hooks(NULL, NULL);
	T_EQ_STR(names_user(0), "root");
	T_EQ_STR(names_group(0), "root");
	T_EQ_STR(names_user(3999999), NULL);
}

/* --- the files databases ------------------------------------------- */

static char	dir[64], pw_path[96], gr_path[96];

/* Writes path whole, by rename (as useradd does), or in place. */
static void
put_file(const char *path, const char *text, int in_place)
{
	char	 tmp[128];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s+", path);
	if ((f = fopen(in_place ? path : tmp, "w")) == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	if (!in_place && rename(tmp, path) == -1)
		abort();
}

static void
files_reset(const char *pw, const char *gr)
{
	reset();
	put_file(pw_path, pw, 0);
	put_file(gr_path, gr, 0);
	names_set_files(pw_path, gr_path);
	T_EQ_INT(names_reload(0), 1);
}

#define PW(n, id)	n ":x:" #id ":" #id "::/home/" n ":/bin/sh\n"
#define GR(n, id)	n ":x:" #id ":\n"

static void
test_deleted_keeps_name(void)
{
	T_CASE("a user deleted after the moment keeps its name then");
	files_reset(PW("root", 0) PW("alice", 1001), GR("root", 0)
	    GR("alice", 1001));
	put_file(pw_path, PW("root", 0), 0);
	put_file(gr_path, GR("root", 0), 0);
	T_EQ_INT(names_reload(200 * SEC), 1);
	T_EQ_STR(names_user_at(1001, 150 * SEC), "alice");
	T_EQ_STR(names_group_at(1001, 150 * SEC), "alice");
	T_EQ_STR(names_user_at(1001, 250 * SEC), NULL);
	T_EQ_STR(names_group_at(1001, 250 * SEC), NULL);
	/* The files were read twice; NSS never asked. */
	T_EQ_INT(nlookups, 2);
	T_EQ_STR(names_user_at(0, 250 * SEC), "root");
}

static void
test_created_after(void)
{
	T_CASE("an id without an entry gets no name created after the moment");
	files_reset(PW("root", 0), GR("root", 0));
	put_file(pw_path, PW("root", 0) PW("bob", 1002), 0);
	put_file(gr_path, GR("root", 0) GR("bob", 1002), 0);
	T_EQ_INT(names_reload(200 * SEC), 1);
	fake_users[7] = "nss-only";
	T_EQ_STR(names_user_at(1002, 150 * SEC), NULL);
	T_EQ_STR(names_group_at(1002, 150 * SEC), NULL);
	T_EQ_STR(names_user_at(1002, 200 * SEC), "bob");
	T_EQ_INT(nlookups, 0);
	/* An id the files never had: NSS (LDAP, sssd, systemd). */
	T_EQ_STR(names_user_at(7, 150 * SEC), "nss-only");
	T_EQ_INT(nlookups, 1);
}

static void
test_unnoticed_change(void)
{
	T_CASE("NSS answering from files changed since read: no name then");
	files_reset(PW("root", 0), GR("root", 0));
	/* Changed, not reloaded yet; NSS (the fake) already sees it. */
	put_file(pw_path, PW("root", 0) PW("carl", 5), 0);
	fake_users[5] = "carl";
	T_EQ_STR(names_user_at(5, 150 * SEC), NULL);
	/* It was reloaded on the way: later moments have the name. */
	T_EQ_STR(names_user_at(5, UINT64_MAX), "carl");
}

static void
test_reload_same(void)
{
	T_CASE("files rewritten with the same content: no new generation");
	files_reset(PW("root", 0) PW("dup", 1003) PW("dup2", 1003),
	    GR("root", 0));
	put_file(pw_path, PW("root", 0) PW("dup", 1003) PW("dup2", 1003), 0);
	T_EQ_INT(names_reload(100 * SEC), 0);
	/* The first line of an id is its name, as for getpwuid(3). */
	T_EQ_STR(names_user_at(1003, 0), "dup");
	T_EQ_STR(names_user_at(1003, 200 * SEC), "dup");
}

static void
test_watch(void)
{
	int	fd;

	T_CASE("a change of the files is noticed, once, and dated");
	files_reset(PW("root", 0), GR("root", 0));
	T_CHECK((fd = names_watch_open(10 * SEC)) != -1);
	T_EQ_INT(names_watch_check(fd, 20 * SEC), 0);
	put_file(pw_path, PW("root", 0) PW("erin", 1004), 0);
	T_EQ_INT(names_watch_check(fd, 30 * SEC), 1);
	T_EQ_INT(names_watch_check(fd, 40 * SEC), 0);
	T_EQ_STR(names_user_at(1004, 29 * SEC), NULL);
	T_EQ_STR(names_user_at(1004, 30 * SEC), "erin");
	/* Edited in place (no rename): noticed too. */
	put_file(gr_path, GR("root", 0) GR("erin", 1004), 1);
	T_EQ_INT(names_watch_check(fd, 50 * SEC), 1);
	T_EQ_STR(names_group_at(1004, 49 * SEC), NULL);
	T_EQ_STR(names_group_at(1004, 50 * SEC), "erin");
	/* Without the fd: stat(2) says. */
	put_file(pw_path, PW("root", 0), 0);
	T_EQ_INT(names_watch_check(-1, 60 * SEC), 1);
	T_EQ_STR(names_user_at(1004, 59 * SEC), "erin");
	T_EQ_STR(names_user_at(1004, 60 * SEC), NULL);
	close(fd);
}

static void
test_bounded(void)
{
	char	text[64];
	int	i;

	T_CASE("the last NAMES_GENS generations are kept");
	files_reset(PW("root", 0), GR("root", 0));
	for (i = 1; i <= NAMES_GENS + 2; i++) {
		snprintf(text, sizeof(text), "u%d:x:2000:0::/:/bin/sh\n", i);
		put_file(pw_path, text, 0);
		T_EQ_INT(names_reload((uint64_t)i * 10 * SEC), 1);
	}
	T_EQ_STR(names_user_at(2000, 1000 * SEC), "u10");
	T_EQ_STR(names_user_at(2000, 95 * SEC), "u9");
	/* Before the oldest kept: the oldest. */
	T_EQ_STR(names_user_at(2000, 1 * SEC), "u3");
}

static void
test_files(void)
{
	snprintf(dir, sizeof(dir), "%s/t_names.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(pw_path, sizeof(pw_path), "%s/passwd", dir);
	snprintf(gr_path, sizeof(gr_path), "%s/group", dir);
	test_deleted_keeps_name();
	test_created_after();
	test_unnoticed_change();
	test_reload_same();
	test_watch();
	test_bounded();
	unlink(pw_path);
	unlink(gr_path);
	rmdir(dir);
	names_set_files(NULL, NULL);
}

int
main(void)
{
	test_miss_expires();
	test_hit_expires();
	test_user_group_apart();
	test_full();
	test_flush();
	test_writer();
	test_files();
	test_real();
	names_hooks(NULL, NULL);
	ndjson_cleanup();
	return (t_done());
}
