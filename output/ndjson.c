/*
 * ndjson.c - PLACEHOLDER until the output part of the foundation lands.
 */
#include <errno.h>

#include "ndjson.h"

json_t *
ndjson_process(const struct quark_process *p)
{
	return (json_object());
}

json_t *
ndjson_parent(const struct quark_process *p)
{
	return (json_object());
}

json_t *
ndjson_time(uint64_t boot_ns)
{
	return (json_integer((json_int_t)boot_ns));
}

int
ndjson_write(int fd, json_t *obj)
{
	errno = ENOSYS;
	return (-1);
}

int
ndjson_snapshot(int fd, const struct quark_process *p,
    const struct quark_process *parent)
{
	errno = ENOSYS;
	return (-1);
}

int
ndjson_event(int fd, const struct quark_event *ev)
{
	errno = ENOSYS;
	return (-1);
}
