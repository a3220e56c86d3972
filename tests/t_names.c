/*
 * t_names.c - the uid/gid name cache of output/names.h: hits and misses
 * are cached, and expire after their time-to-live, against a fake clock
 * and a fake user database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
main(void)
{
	test_miss_expires();
	test_hit_expires();
	test_user_group_apart();
	test_full();
	test_flush();
	test_writer();
	test_real();
	names_hooks(NULL, NULL);
	ndjson_cleanup();
	return (t_done());
}
