/*
 * output.c - the table of output formats (see output.h).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

/* One row per format; each is defined in output/NAME.c. */
extern const struct output	output_ndjson;
extern const struct output	output_ecs;
extern const struct output	output_text;

const struct output *const outputs[] = {
	&output_ndjson,		/* the default */
	&output_ecs,
	&output_text,
	NULL
};

const struct stats_counter stats_counters[] = {
#define C(f)	{ #f, offsetof(struct quark_stats, f) }
	C(insertions), C(removals), C(aggregations),
	C(non_aggregations), C(lost), C(late),
	C(garbage_collections), C(reconciles),
	C(reconcile_evictions), C(bad_records), C(cred_noops),
	C(length), C(peak_length), C(cache_size),
#undef C
};
const size_t nstats_counters = sizeof(stats_counters) /
    sizeof(stats_counters[0]);

const struct output *
output_find(const char *name)
{
	size_t	i;

	for (i = 0; outputs[i] != NULL; i++)
		if (strcmp(outputs[i]->name, name) == 0)
			return (outputs[i]);
	errno = ENOENT;
	return (NULL);
}

static volatile sig_atomic_t	*give_up;

void
output_give_up_on(volatile sig_atomic_t *flag)
{
	give_up = flag;
}

int
output_write(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno != EINTR)
			return (-1);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		}
		if (len > 0 && give_up != NULL && *give_up) {
			errno = EINTR;
			return (-1);
		}
	}
	return (0);
}
