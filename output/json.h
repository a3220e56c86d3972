/*
 * json.h - the JSON line builder every output format uses: a line
 * streamed key by key into a reused buffer, the UTF-8 and u64 policies,
 * RFC 3339 times, and the whole-line writer.
 *
 * Build a line: jw_reset(), jw_begin(w, NULL) for the record, then
 * jw_*() for each key in output order (nested objects and arrays with
 * jw_begin()/jw_abegin() and jw_end()/jw_aend()), then jw_end().  Bytes
 * go straight into the builder's buffer, exactly as jansson's
 * json_dumpb(JSON_COMPACT) prints the same object (the golden replay test
 * holds them to it): no object tree, no allocation per key.  A builder
 * collects errors (allocation) and reports them once, at jw_line() /
 * jw_json(), which then fail with errno ENOMEM: format code need not
 * check each key.  A key argument NULL is an array element.
 *
 * Strings: every string goes through the policy of utf8.h.  A key whose
 * value had to be altered is named in its object's "sanitized" array,
 * which jw_end() adds as the last key; a value is never silently
 * changed.
 *
 * Integers: JSON readers commonly hold integers as int64 (or doubles).
 * jw_u64() leaves out a value above INT64_MAX and names its key in
 * "sanitized", never wraps it.  Values that use all 64 bits by nature
 * (ids, bit sets) are for the format to print as strings.
 *
 * Lines: jw_line() appends '\n' and writes the whole line with one
 * write(2) (output_write(): retried for a short write or EINTR), so
 * that readers never see half a line.  Between jline_hold(1) and jline_hold(0) (a
 * batch of ready records), whole lines gather in memory and go out
 * together in one write(2) when the batch ends or holds JLINE_BATCH
 * bytes.  Write functions return 0, or -1 with errno set; errno EPIPE
 * means the reader went away, which callers treat as a normal end.
 */
#ifndef QUARK_JSON_H
#define QUARK_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define JW_DEPTH	8	/* nesting of objects and arrays */
#define JW_MAXSAN	48	/* altered keys of one object */

/* A line being built; zero it once, jw_reset() before each line. */
struct jw {
	char	*buf;
	size_t	 len, cap;
	int	 err;		/* an allocation or a limit failed */
	int	 depth;
	struct {
		int		 first;	/* nothing written at this level yet */
		int		 nsan;
		const char	*san[JW_MAXSAN];	/* static strings */
	} lvl[JW_DEPTH];
};

void	 jw_reset(struct jw *);
void	 jw_free(struct jw *);
void	 jw_begin(struct jw *, const char *key);	/* {, or "key":{ */
void	 jw_end(struct jw *);				/* "sanitized", } */
void	 jw_abegin(struct jw *, const char *key);	/* [, or "key":[ */
void	 jw_aend(struct jw *);
/* Names key (a static string) in the current object's "sanitized". */
void	 jw_altered(struct jw *, const char *key);

/* A string from any bytes; NULL and "" (unknown) leave the key out. */
void	 jw_str(struct jw *, const char *key, const char *s, size_t len);
void	 jw_cstr(struct jw *, const char *key, const char *s);
/* A string that is always there ("" stays ""); *altered set, not cleared. */
void	 jw_strv(struct jw *, const char *key, const char *s, size_t len,
	    int *altered);
/* A string that is always there: "" stays "", NULL is null. */
void	 jw_text(struct jw *, const char *key, const char *s);
/* A string known to need no escaping (hex, names of this program). */
void	 jw_ascii(struct jw *, const char *key, const char *s);
void	 jw_int(struct jw *, const char *key, int64_t v);
/* Left out, and named in "sanitized", above INT64_MAX. */
void	 jw_u64(struct jw *, const char *key, uint64_t v);
void	 jw_bool(struct jw *, const char *key, int v);
void	 jw_null(struct jw *, const char *key);
/*
 * argv/envp: len bytes of NUL-separated strings, an array of strings.
 * The empty piece after the final NUL is not an element; a missing final
 * NUL (a truncated buffer) still ends the last element; empty elements
 * are kept.  buf NULL is an empty array.
 */
void	 jw_argv(struct jw *, const char *key, const char *buf, size_t len);
/* A boot-clock time as RFC 3339 UTC; out of range: left out, "sanitized". */
void	 jw_time(struct jw *, const char *key, uint64_t boot_ns);
/* The same from a wall-clock time (realtime ns). */
void	 jw_wall(struct jw *, const char *key, uint64_t wall_ns);

/* The line built as a jansson object (tests, callers that want one). */
json_t	*jw_json(struct jw *);
/* Append '\n' and write the line (or hold it, see jline_hold()). */
int	 jw_line(int fd, struct jw *);

/*
 * Wall-clock ns -> "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" into buf (at least
 * JTIME_LEN bytes).  Returns 0, or -1 if the year is out of range or
 * len is too small.
 */
#define JTIME_LEN	40
int	 jtime_format(uint64_t wall_ns, char *buf, size_t len);

/* Serialize obj, append '\n', one write(2) to fd.  Does not steal obj. */
int	 jline_write(int fd, json_t *obj);

/*
 * on 1: hold whole lines for fd in memory; on 0: write what is held, in
 * one write(2), and stop holding.  Returns 0, or -1 (errno) for the
 * write.  A batch is flushed when it reaches JLINE_BATCH bytes.
 */
#define JLINE_BATCH	(64 * 1024)
int	 jline_hold(int fd, int on);
/* Free the line buffers (before exit). */
void	 jline_cleanup(void);

/*
 * Off the hot path (jobj.c): the same policies building a jansson
 * object key by key, in output order.  Errors (allocation) are collected
 * and reported once, at jobj_finish(), which then returns NULL with
 * errno ENOMEM.
 */
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
/* The object, "sanitized" last; the caller owns it.  NULL: ENOMEM. */
json_t	*jobj_finish(struct jobj *);
/* Sets key to the finished child object (jobj_set(jobj_finish(child))). */
void	 jobj_obj(struct jobj *, const char *key, struct jobj *child);
void	 jobj_str(struct jobj *, const char *key, const char *s, size_t len);
void	 jobj_cstr(struct jobj *, const char *key, const char *s);
void	 jobj_text(struct jobj *, const char *key, const char *s);
void	 jobj_int(struct jobj *, const char *key, json_int_t v);
void	 jobj_u64(struct jobj *, const char *key, uint64_t v);
void	 jobj_bool(struct jobj *, const char *key, int v);
void	 jobj_null(struct jobj *, const char *key);
void	 jobj_argv(struct jobj *, const char *key, const char *buf,
	    size_t len);
void	 jobj_time(struct jobj *, const char *key, uint64_t boot_ns);
/* The same from a wall-clock time (realtime ns). */
void	 jobj_wall(struct jobj *, const char *key, uint64_t wall_ns);
/* A JSON string from any bytes; *altered set (never cleared).  New ref. */
json_t	*jstr_utf8(const char *s, size_t len, int *altered);
/* A boot ns time as an RFC 3339 string: new ref, NULL ERANGE. */
json_t	*jtime(uint64_t boot_ns);
/* jline_write(), then frees obj; obj NULL (a failed build) is -1. */
int	 jline_put(int fd, json_t *obj);

#endif /* QUARK_JSON_H */
