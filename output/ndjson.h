/*
 * ndjson.h - quark's records as NDJSON lines.
 *
 * Every line is built whole with jansson, serialized into memory and
 * written with one write(2), newline included.  Output is always valid
 * UTF-8 JSON whatever bytes a process holds: see utf8.h for the policy.
 * Unknown values (a clear QP_* bit) are absent keys, never zeros.
 *
 * Integers: JSON readers commonly hold integers as int64 (or doubles).
 * Values that use all 64 bits are printed as strings: entity_id as 16
 * lowercase hex digits, capability sets as "0x%016llx".  Every other
 * integer (pids, ids, namespace inodes, byte counts, boot nanoseconds,
 * which reach INT64_MAX in the year 2262) fits in int64; should one not,
 * its key is left out and named in "sanitized", never wrapped.
 *
 * Write functions return 0, or -1 with errno set; errno EPIPE means the
 * reader went away, which callers treat as a normal end.
 */
#ifndef QUARK_NDJSON_H
#define QUARK_NDJSON_H

#include <jansson.h>

#include "quark.h"

/*
 * The process object (schema: man/quark-schema.7, schema/). New ref.
 * User and group names as of boot time `at` (names.h); now without.
 */
json_t	*ndjson_process(const struct quark_process *);
json_t	*ndjson_process_at(const struct quark_process *, uint64_t at);
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

/* The records above as objects, without writing them.  New refs. */
json_t	*ndjson_snapshot_json(const struct quark_process *,
	    const struct quark_process *parent);
json_t	*ndjson_event_json(const struct quark_event *);

/*
 * Wall-clock ns -> "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" into buf (at least
 * NDJSON_TIME_LEN bytes).  Returns 0, or -1 if the year is out of range.
 */
#define NDJSON_TIME_LEN	40
int	 ndjson_format_time(uint64_t wall_ns, char *buf, size_t len);

/* Free the writer's line buffer and the name cache (before exit). */
void	 ndjson_cleanup(void);

#endif /* QUARK_NDJSON_H */
