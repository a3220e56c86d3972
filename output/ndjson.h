/*
 * ndjson.h - quark's records as NDJSON lines: the "ndjson" output of
 * output.h, and its objects for tests.
 *
 * Every line is built whole (json.h), serialized into memory and written
 * with one write(2), newline included.  Output is always valid UTF-8 JSON
 * whatever bytes a process holds: see utf8.h and json.h for the policies.
 * Unknown values (a clear QP_* bit) are absent keys, never zeros.
 *
 * Integers: entity_id is printed as 16 lowercase hex digits, capability
 * sets as "0x%016llx" (they use all 64 bits); every other integer (pids,
 * ids, namespace inodes, byte counts, boot nanoseconds, which reach
 * INT64_MAX in the year 2262) fits in int64; should one not, its key is
 * left out and named in "sanitized", never wrapped.
 *
 * Write functions return 0, or -1 with errno set; errno EPIPE means the
 * reader went away, which callers treat as a normal end.
 */
#ifndef QUARK_NDJSON_H
#define QUARK_NDJSON_H

#include <jansson.h>

#include "quark.h"
#include "json.h"

/*
 * The process object (schema: man/quark-schema.7, schema/). New ref.
 * User and group names as of boot time `at` (names.h); now without.
 */
json_t	*ndjson_process(const struct quark_process *);
json_t	*ndjson_process_at(const struct quark_process *, uint64_t at);
/* The parent object: a subset of the process object.  New ref. */
json_t	*ndjson_parent(const struct quark_process *);

/* {"kind":"snapshot","time":...,"process":{...},"parent":{...}} */
int	 ndjson_snapshot(int fd, const struct quark_process *,
	    const struct quark_process *parent);
/* {"kind":"event"|"lost", ...} from quark_queue_next(). */
int	 ndjson_event(int fd, const struct quark_event *);
/* {"kind":"stats","backend":...,counters...} (watch --stats). */
int	 ndjson_stats(int fd, const struct quark_stats *);

/* The records above as objects, without writing them.  New refs. */
json_t	*ndjson_snapshot_json(const struct quark_process *,
	    const struct quark_process *parent);
json_t	*ndjson_event_json(const struct quark_event *);
json_t	*ndjson_stats_json(const struct quark_stats *);

/* Free the writer's line buffer and the name cache (before exit). */
void	 ndjson_cleanup(void);

#endif /* QUARK_NDJSON_H */
