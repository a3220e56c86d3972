/*
 * names.h - uid/gid -> user/group names from the host's databases
 * (getpwuid_r/getgrgid_r: /etc/passwd, NSS), cached.
 *
 * Lookups go through NSS once per id and time-to-live: a snapshot of 500
 * processes owned by 5 users costs 5 lookups.  Answers expire on their
 * own, so a long `quark watch` sees users created, renamed or deleted
 * while it runs with nobody calling names_flush(): a miss is asked again
 * after NAMES_MISS_TTL (a user just being created is named within
 * seconds), a name after NAMES_HIT_TTL (renames are rare; this bounds the
 * NSS traffic to one lookup per id a minute).  The cache is bounded
 * (NAMES_MAX entries; expired ones are swept when it is full); beyond it
 * lookups still work, uncached.
 */
#ifndef QUARK_NAMES_H
#define QUARK_NAMES_H

#include <stdint.h>

#define NAMES_MAX	4096
#define NAMES_MISS_TTL	(5ULL * 1000000000)	/* ns */
#define NAMES_HIT_TTL	(60ULL * 1000000000)	/* ns */

/*
 * The name, or NULL when the id has none.  Valid until the next names_*()
 * call (a cached name lives until its entry expires and is looked up
 * again, or names_flush(); when the cache is full an answer is only kept
 * until the next lookup).
 */
const char	*names_user(uint32_t uid);
const char	*names_group(uint32_t gid);
/* Forget every cached name (frees them). */
void		 names_flush(void);

/*
 * For tests: the clock (ns, CLOCK_MONOTONIC by default) and the lookup
 * (getpwuid_r/getgrgid_r by default; returns a malloc'd name or NULL).
 * NULL restores the default.  Flushes the cache.
 */
void		 names_hooks(uint64_t (*now)(void),
		    char *(*lookup)(int group, uint32_t id));

#endif /* QUARK_NAMES_H */
