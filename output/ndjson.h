/*
 * ndjson.h - quark's records as NDJSON lines.
 *
 * Every line is built whole with jansson, serialized into memory and
 * written with one write(2), newline included.  Output is always valid
 * UTF-8 JSON whatever bytes a process holds: see utf8.h for the policy.
 * Unknown values (a clear QP_* bit) are absent keys, never zeros.
 *
 * Write functions return 0, or -1 with errno set; errno EPIPE means the
 * reader went away, which callers treat as a normal end.
 */
#ifndef QUARK_NDJSON_H
#define QUARK_NDJSON_H

#include <jansson.h>

#include "quark.h"

/* The process object (schema: man/quark-schema.7, schema/). New ref. */
json_t	*ndjson_process(const struct quark_process *);
/* The parent object: a subset of the process object.  New ref. */
json_t	*ndjson_parent(const struct quark_process *);
/* RFC 3339 UTC with nanoseconds from boot ns: "2026-11-22T00:33:21.123456789Z" */
json_t	*ndjson_time(uint64_t boot_ns);

/* Serialize obj, append '\n', one write(2) to fd.  Does not steal obj. */
int	 ndjson_write(int fd, json_t *obj);

/* {"kind":"snapshot","time":...,"process":{...},"parent":{...}} */
int	 ndjson_snapshot(int fd, const struct quark_process *,
	    const struct quark_process *parent);
/* {"kind":"event"|"lost", ...} from quark_queue_next(). */
int	 ndjson_event(int fd, const struct quark_event *);

#endif /* QUARK_NDJSON_H */
