/*
 * names.h - uid/gid -> user/group names from the host's databases
 * (getpwuid_r/getgrgid_r: /etc/passwd, NSS), cached.
 *
 * Lookups go through NSS once per id: a snapshot of 500 processes owned by
 * 5 users costs 5 lookups.  Misses are cached too.  The cache is bounded
 * (NAMES_MAX entries); beyond it lookups still work, uncached.
 */
#ifndef QUARK_NAMES_H
#define QUARK_NAMES_H

#include <stdint.h>

/*
 * The name, or NULL when the id has none.  Valid until the next names_*()
 * call (cached names live until names_flush(), but when the cache is full
 * an answer is only kept until the next lookup).
 */
const char	*names_user(uint32_t uid);
const char	*names_group(uint32_t gid);
/* Forget every cached name (frees them). */
void		 names_flush(void);

#endif /* QUARK_NAMES_H */
