/*
 * raw_event.c - allocation, copy and release of raw events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quark_int.h"

struct raw_event *
raw_event_alloc(uint32_t type)
{
	struct raw_event	*raw;

	if (type >= RAW_TYPE_COUNT) {
		errno = EINVAL;
		return (NULL);
	}
	if ((raw = calloc(1, sizeof(*raw))) == NULL)
		return (NULL);
	raw->type = type;
	return (raw);
}

void
raw_event_free(struct raw_event *raw)
{
	if (raw == NULL)
		return;
	quark_process_clear(&raw->task);
	free(raw);
}

struct raw_event *
raw_event_dup(const struct raw_event *src)
{
	struct raw_event	*raw;

	if ((raw = raw_event_alloc(src->type)) == NULL)
		return (NULL);
	*raw = *src;
	memset(&raw->entry, 0, sizeof(raw->entry));
	memset(&raw->pending, 0, sizeof(raw->pending));
	raw->rec = NULL;
	raw->arrival = 0;
	raw->applied = raw->noop = 0;
	memset(&raw->task, 0, sizeof(raw->task));
	if (quark_process_copy(&raw->task, &src->task) == -1) {
		raw_event_free(raw);
		return (NULL);
	}
	return (raw);
}
