/*
 * scrape.c - /proc reader.  PLACEHOLDER until the foundation issue lands.
 */
#include <errno.h>

#include "quark_int.h"

struct quark_process *
quark_process_read(pid_t pid, int flags)
{
	errno = ENOSYS;
	return (NULL);
}

struct quark_scrape *
quark_scrape_open(int flags)
{
	errno = ENOSYS;
	return (NULL);
}

struct quark_process *
quark_scrape_next(struct quark_scrape *qs)
{
	errno = ENOSYS;
	return (NULL);
}

void
quark_scrape_close(struct quark_scrape *qs)
{
}
