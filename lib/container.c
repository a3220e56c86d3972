/*
 * container.c - cgroup path -> container.  PLACEHOLDER.
 */
#include "quark_int.h"

int
quark_container_parse(const char *cgroup, struct quark_container *c)
{
	return (0);
}
