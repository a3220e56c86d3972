/*
 * output.c - the table of output formats (see output.h).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

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
