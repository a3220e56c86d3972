/*
 * names.h - uid/gid -> user/group names as of a moment (boot ns).
 *
 * The files databases (/etc/passwd, /etc/group) are read whole, again
 * only when they change, and kept by generation (the last NAMES_GENS),
 * each dated with the boot time its change was noticed at: a name is
 * the one the files gave at the moment asked about (see names.c).  A
 * queue notices changes through its notify fd (names_watch_*); without
 * a queue, a lookup sees the files as first read.
 *
 * Ids the files lack go to NSS (getpwuid_r/getgrgid_r: LDAP, sssd,
 * systemd), once per id and time-to-live: answers expire on their own,
 * a miss after NAMES_MISS_TTL, a name after NAMES_HIT_TTL (this bounds
 * the NSS traffic to one lookup per id a minute).  That cache is bounded
 * (NAMES_MAX entries; expired ones are swept when it is full); beyond it
 * lookups still work, uncached.
 */
#ifndef QUARK_NAMES_H
#define QUARK_NAMES_H

#include <stdint.h>

#define NAMES_GENS	8
#define NAMES_MAX	4096
#define NAMES_MISS_TTL	(5ULL * 1000000000)	/* ns */
#define NAMES_HIT_TTL	(60ULL * 1000000000)	/* ns */

/*
 * The name, or NULL when the id has none.  Valid until the next names_*()
 * call (a cached name lives until its entry expires and is looked up
 * again, or names_flush(); when the cache is full an answer is only kept
 * until the next lookup).
 */
const char	*names_user_at(uint32_t uid, uint64_t boot_ns);
const char	*names_group_at(uint32_t gid, uint64_t boot_ns);
/* The same, now. */
const char	*names_user(uint32_t uid);
const char	*names_group(uint32_t gid);

/*
 * Reads the files again; a new generation from boot time `at` if they
 * say something else.  1 new, 0 the same, -1 and errno on error.
 */
int		 names_reload(uint64_t at);
/*
 * An inotify fd (non-blocking) that becomes readable when the files'
 * directories change; reads the files first if not yet read.  -1 and
 * errno if none.  names_watch_check() drains it and reloads if the files
 * changed (with fd -1: if stat(2) says they did): names_reload()'s value.
 */
int		 names_watch_open(uint64_t now);
int		 names_watch_check(int fd, uint64_t now);
/* For tests: other files (NULL: /etc/passwd, /etc/group).  Flushes. */
void		 names_set_files(const char *passwd, const char *group);
/* Forget every cached name (frees them). */
void		 names_flush(void);

/*
 * For tests: the TTL clock (ns, CLOCK_MONOTONIC by default) and the NSS
 * lookup (getpwuid_r/getgrgid_r by default; returns a malloc'd name or
 * NULL).  NULL restores the default.  A fake lookup also stands for the
 * files (they are not read).  Flushes the cache.
 */
void		 names_hooks(uint64_t (*now)(void),
		    char *(*lookup)(int group, uint32_t id));

#endif /* QUARK_NAMES_H */
