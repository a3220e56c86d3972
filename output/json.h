/*
 * json.h - the JSON line builder every output format uses: objects built
 * key by key, the UTF-8 and u64 policies, RFC 3339 times, and the
 * whole-line writer.
 *
 * Build a line: jobj_init(), then jobj_*() for each key in output order
 * (jansson keeps insertion order), then jobj_finish() for the object.  A
 * builder collects errors (allocation) and reports them once, at
 * jobj_finish(), which then returns NULL with errno ENOMEM: format code
 * need not check each key.
 *
 * Strings: every string goes through the policy of utf8.h.  A key whose
 * value had to be altered is named in the object's "sanitized" array,
 * which jobj_finish() adds as the last key; a value is never silently
 * changed.
 *
 * Integers: JSON readers commonly hold integers as int64 (or doubles).
 * jobj_u64() leaves out a value above INT64_MAX and names its key in
 * "sanitized", never wraps it.  Values that use all 64 bits by nature
 * (ids, bit sets) are for the format to print as strings.
 *
 * Lines: jline_write() serializes an object into a reused buffer, appends
 * '\n' and writes the whole line with one write(2) (retried only for a
 * short write or EINTR), so that readers never see half a line.  Write
 * functions return 0, or -1 with errno set; errno EPIPE means the reader
 * went away, which callers treat as a normal end.
 */
#ifndef QUARK_JSON_H
#define QUARK_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* An object being built. */
struct jobj {
	json_t	*o;
	json_t	*san;		/* keys whose values were altered, or NULL */
	int	 err;		/* an allocation failed */
};

void	 jobj_init(struct jobj *);
/* Sets key to v, stealing v; v NULL (a failed allocation) is an error. */
void	 jobj_set(struct jobj *, const char *key, json_t *v);
/* Names key in "sanitized". */
void	 jobj_altered(struct jobj *, const char *key);
/*
 * The object, with "sanitized" last if any key was altered; the caller
 * owns it.  NULL (errno ENOMEM) if anything failed: the object is freed.
 */
json_t	*jobj_finish(struct jobj *);
/* Sets key to the finished child object (jobj_set(jobj_finish(child))). */
void	 jobj_obj(struct jobj *, const char *key, struct jobj *child);

/* A string from any bytes; NULL and "" (unknown) leave the key out. */
void	 jobj_str(struct jobj *, const char *key, const char *s, size_t len);
void	 jobj_cstr(struct jobj *, const char *key, const char *s);
/* A string that is always there: "" stays "", NULL is null. */
void	 jobj_text(struct jobj *, const char *key, const char *s);
void	 jobj_int(struct jobj *, const char *key, json_int_t v);
/* Left out, and named in "sanitized", above INT64_MAX. */
void	 jobj_u64(struct jobj *, const char *key, uint64_t v);
void	 jobj_bool(struct jobj *, const char *key, int v);
void	 jobj_null(struct jobj *, const char *key);
/*
 * argv/envp: len bytes of NUL-separated strings, an array of strings.
 * The empty piece after the final NUL is not an element; a missing final
 * NUL (a truncated buffer) still ends the last element; empty elements
 * are kept.  buf NULL is an empty array.
 */
void	 jobj_argv(struct jobj *, const char *key, const char *buf,
	    size_t len);
/* A boot-clock time as RFC 3339 UTC; out of range: left out, "sanitized". */
void	 jobj_time(struct jobj *, const char *key, uint64_t boot_ns);
/* The same from a wall-clock time (realtime ns). */
void	 jobj_wall(struct jobj *, const char *key, uint64_t wall_ns);

/*
 * A JSON string from any bytes, per utf8.h; *altered is set (never
 * cleared) when bytes were replaced.  New reference, NULL on ENOMEM.
 */
json_t	*jstr_utf8(const char *s, size_t len, int *altered);

/*
 * Wall-clock ns -> "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" into buf (at least
 * JTIME_LEN bytes).  Returns 0, or -1 if the year is out of range.
 */
#define JTIME_LEN	40
int	 jtime_format(uint64_t wall_ns, char *buf, size_t len);
/* The same from boot ns (quark_boot_to_wall()): new ref, NULL ERANGE. */
json_t	*jtime(uint64_t boot_ns);

/* Serialize obj, append '\n', one write(2) to fd.  Does not steal obj. */
int	 jline_write(int fd, json_t *obj);
/* The same, then frees obj; obj NULL (a failed build) is -1, errno kept. */
int	 jline_put(int fd, json_t *obj);
/* Free the line buffer (before exit). */
void	 jline_cleanup(void);

#endif /* QUARK_JSON_H */
