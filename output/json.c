/*
 * json.c - the JSON line builder: a line streamed into a reused buffer
 * with the UTF-8 and u64 policies of json.h, RFC 3339 times, and the
 * whole-line writer.  Formats (ndjson.c, ...) decide which keys; this
 * file decides how.  The bytes are jansson's json_dumpb(JSON_COMPACT)
 * of the same object: '\\', '"' and control characters escaped ("\\n",
 * "\\u001F"), everything else (valid UTF-8) as is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quark.h"
#include "json.h"
#include "output.h"
#include "utf8.h"

#define WBUF_MIN	4096
/* A buffer grown past this for a huge line (a 2 MiB argv) is given back. */
#define WBUF_KEEP	(1024 * 1024)

static int
grow(struct jw *w, size_t need)
{
	size_t	 ncap;
	char	*nb;

	if (w->err)
		return (-1);
	if (w->cap - w->len >= need)
		return (0);
	ncap = w->cap < WBUF_MIN ? WBUF_MIN : w->cap;
	while (ncap - w->len < need)
		ncap *= 2;
	if ((nb = realloc(w->buf, ncap)) == NULL) {
		w->err = 1;
		return (-1);
	}
	w->buf = nb;
	w->cap = ncap;
	return (0);
}

static void
put(struct jw *w, const char *s, size_t n)
{
	if (grow(w, n) == -1)
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void
putc1(struct jw *w, char c)
{
	if (grow(w, 1) == -1)
		return;
	w->buf[w->len++] = c;
}

/* The separator, and "key": unless an array element. */
static void
key(struct jw *w, const char *k)
{
	size_t	n;

	if (w->depth > 0) {
		if (!w->lvl[w->depth - 1].first)
			putc1(w, ',');
		w->lvl[w->depth - 1].first = 0;
	}
	if (k == NULL)
		return;
	n = strlen(k);
	if (grow(w, n + 3) == -1)
		return;
	w->buf[w->len++] = '"';
	memcpy(w->buf + w->len, k, n);
	w->len += n;
	w->buf[w->len++] = '"';
	w->buf[w->len++] = ':';
}

void
jw_reset(struct jw *w)
{
	w->len = 0;
	w->err = 0;
	w->depth = 0;
	if (w->cap > WBUF_KEEP) {
		free(w->buf);
		w->buf = NULL;
		w->cap = 0;
	}
}

void
jw_free(struct jw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->cap = w->len = 0;
}

static void
push(struct jw *w, const char *k, char c)
{
	key(w, k);
	if (w->depth >= JW_DEPTH) {
		w->err = 1;
		return;
	}
	w->lvl[w->depth].first = 1;
	w->lvl[w->depth].nsan = 0;
	w->depth++;
	putc1(w, c);
}

void
jw_begin(struct jw *w, const char *k)
{
	push(w, k, '{');
}

void
jw_abegin(struct jw *w, const char *k)
{
	push(w, k, '[');
}

void
jw_aend(struct jw *w)
{
	if (w->depth > 0)
		w->depth--;
	putc1(w, ']');
}

void
jw_end(struct jw *w)
{
	int	i, n;

	if (w->depth == 0) {
		w->err = 1;
		return;
	}
	n = w->lvl[w->depth - 1].nsan;
	if (n > 0) {
		key(w, "sanitized");
		putc1(w, '[');
		for (i = 0; i < n; i++) {
			if (i > 0)
				putc1(w, ',');
			putc1(w, '"');
			put(w, w->lvl[w->depth - 1].san[i],
			    strlen(w->lvl[w->depth - 1].san[i]));
			putc1(w, '"');
		}
		putc1(w, ']');
	}
	w->depth--;
	putc1(w, '}');
}

void
jw_altered(struct jw *w, const char *k)
{
	if (w->depth == 0 || w->lvl[w->depth - 1].nsan >= JW_MAXSAN) {
		w->err = 1;
		return;
	}
	w->lvl[w->depth - 1].san[w->lvl[w->depth - 1].nsan++] = k;
}

/* A JSON string of valid UTF-8, escaped as jansson does. */
static void
quote(struct jw *w, const char *s, size_t len)
{
	static const char	hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, run;
	char			*o;

	/* Worst case: every byte "\u00XX". */
	if (grow(w, len * 6 + 2) == -1)
		return;
	o = w->buf + w->len;
	*o++ = '"';
	for (i = 0; i < len; ) {
		for (run = i; run < len && p[run] >= 0x20 && p[run] != '"' &&
		    p[run] != '\\'; run++)
			;
		memcpy(o, p + i, run - i);
		o += run - i;
		if ((i = run) == len)
			break;
		*o++ = '\\';
		switch (p[i]) {
		case '"':	*o++ = '"'; break;
		case '\\':	*o++ = '\\'; break;
		case '\b':	*o++ = 'b'; break;
		case '\f':	*o++ = 'f'; break;
		case '\n':	*o++ = 'n'; break;
		case '\r':	*o++ = 'r'; break;
		case '\t':	*o++ = 't'; break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[p[i] >> 4];
			*o++ = hex[p[i] & 15];
			break;
		}
		i++;
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
}

/* Any bytes, per utf8.h. */
static void
quote_utf8(struct jw *w, const char *s, size_t len, int *altered)
{
	char	*t;
	size_t	 tlen;
	int	 alt = 0;

	if (utf8_valid(s, len)) {
		quote(w, s, len);
		return;
	}
	if ((t = utf8_sanitize(s, len, &tlen, &alt)) == NULL) {
		w->err = 1;
		return;
	}
	*altered |= alt;
	quote(w, t, tlen);
	free(t);
}

void
jw_strv(struct jw *w, const char *k, const char *s, size_t len,
    int *altered)
{
	key(w, k);
	quote_utf8(w, s, len, altered);
}

void
jw_str(struct jw *w, const char *k, const char *s, size_t len)
{
	int	altered = 0;

	if (s == NULL || len == 0)
		return;
	jw_strv(w, k, s, len, &altered);
	if (altered)
		jw_altered(w, k);
}

void
jw_cstr(struct jw *w, const char *k, const char *s)
{
	if (s != NULL)
		jw_str(w, k, s, strlen(s));
}

void
jw_text(struct jw *w, const char *k, const char *s)
{
	int	altered = 0;

	if (s == NULL) {
		jw_null(w, k);
		return;
	}
	jw_strv(w, k, s, strlen(s), &altered);
	if (altered)
		jw_altered(w, k);
}

void
jw_ascii(struct jw *w, const char *k, const char *s)
{
	key(w, k);
	quote(w, s, strlen(s));
}

void
jw_int(struct jw *w, const char *k, int64_t v)
{
	char		 tmp[24], *e = tmp + sizeof(tmp), *p = e;
	uint64_t	 u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	key(w, k);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	put(w, p, (size_t)(e - p));
}

void
jw_u64(struct jw *w, const char *k, uint64_t v)
{
	if (v > INT64_MAX)
		jw_altered(w, k);
	else
		jw_int(w, k, (int64_t)v);
}

void
jw_bool(struct jw *w, const char *k, int v)
{
	key(w, k);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void
jw_null(struct jw *w, const char *k)
{
	key(w, k);
	put(w, "null", 4);
}

void
jw_argv(struct jw *w, const char *k, const char *buf, size_t len)
{
	const char	*p, *end, *nul;
	int		 altered = 0;

	if (buf == NULL)
		len = 0;
	p = buf;
	end = buf + len;
	jw_abegin(w, k);
	while (p < end) {
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			nul = end;
		key(w, NULL);
		quote_utf8(w, p, (size_t)(nul - p), &altered);
		p = nul + 1;
	}
	jw_aend(w);
	if (altered)
		jw_altered(w, k);
}

/* Days since 1970-01-01 -> civil date (H. Hinnant's days_from_civil inverse). */
static void
civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		era;
	unsigned	doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *
digits(char *p, uint64_t v, int n)
{
	int	i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return (p + n);
}

int
jtime_format(uint64_t wall_ns, char *buf, size_t len)
{
	uint64_t	secs = wall_ns / 1000000000ULL;
	uint64_t	sod = secs % 86400;
	int64_t		y;
	unsigned	m, d;
	char		*p = buf;

	civil((int64_t)(secs / 86400), &y, &m, &d);
	if (y > 9999 || len < 31)
		return (-1);
	p = digits(p, (uint64_t)y, 4);
	*p++ = '-';
	p = digits(p, m, 2);
	*p++ = '-';
	p = digits(p, d, 2);
	*p++ = 'T';
	p = digits(p, sod / 3600, 2);
	*p++ = ':';
	p = digits(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = digits(p, sod % 60, 2);
	*p++ = '.';
	p = digits(p, wall_ns % 1000000000ULL, 9);
	*p++ = 'Z';
	*p = '\0';
	return (0);
}

/* A time that cannot be printed (year > 9999) is left out, and marked. */
void
jw_wall(struct jw *w, const char *k, uint64_t wall_ns)
{
	char	buf[JTIME_LEN];

	if (jtime_format(wall_ns, buf, sizeof(buf)) == -1) {
		jw_altered(w, k);
		return;
	}
	key(w, k);
	put(w, "\"", 1);
	put(w, buf, 30);
	put(w, "\"", 1);
}

void
jw_time(struct jw *w, const char *k, uint64_t boot_ns)
{
	jw_wall(w, k, quark_boot_to_wall(boot_ns));
}

json_t *
jw_json(struct jw *w)
{
	json_t	*j;

	if (w->err || w->depth != 0) {
		errno = ENOMEM;
		return (NULL);
	}
	if ((j = json_loadb(w->buf, w->len, 0, NULL)) == NULL)
		errno = EINVAL;
	return (j);
}

/* Lines held for one write (jline_hold()). */
static struct {
	char	*buf;
	size_t	 len, cap;
	int	 fd, on;
} held = { .fd = -1 };


static int
flush_held(void)
{
	int	r = 0;

	if (held.len > 0)
		r = output_write(held.fd, held.buf, held.len);
	held.len = 0;
	return (r);
}

/* buf holds one or more whole lines. */
static int
out(int fd, const char *buf, size_t len)
{
	size_t	 ncap;
	char	*nb;

	if (!held.on)
		return (output_write(fd, buf, len));
	if (held.len > 0 && (fd != held.fd ||
	    held.len + len > JLINE_BATCH) && flush_held() == -1)
		return (-1);
	held.fd = fd;
	if (len > JLINE_BATCH)		/* a huge line: alone */
		return (output_write(fd, buf, len));
	if (held.cap < held.len + len) {
		ncap = JLINE_BATCH;
		if ((nb = realloc(held.buf, ncap)) == NULL)
			return (-1);
		held.buf = nb;
		held.cap = ncap;
	}
	memcpy(held.buf + held.len, buf, len);
	held.len += len;
	return (0);
}

int
jw_line(int fd, struct jw *w)
{
	if (w->err || w->depth != 0) {
		errno = ENOMEM;
		return (-1);
	}
	putc1(w, '\n');
	if (w->err) {
		errno = ENOMEM;
		return (-1);
	}
	return (out(fd, w->buf, w->len));
}

int
jline_hold(int fd, int on)
{
	int	r = 0;

	if (!on || (held.on && fd != held.fd))
		r = flush_held();
	held.on = on;
	held.fd = fd;
	if (!on && held.cap > JLINE_BATCH) {
		free(held.buf);
		held.buf = NULL;
		held.cap = 0;
	}
	return (r);
}

int
jline_write(int fd, json_t *obj)
{
	char	*s;
	size_t	 n;
	int	 r, saved;

	if ((s = json_dumps(obj, JSON_COMPACT)) == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	n = strlen(s);
	s[n] = '\n';		/* over the NUL: n + 1 bytes are ours */
	r = out(fd, s, n + 1);
	saved = errno;
	free(s);
	errno = saved;
	return (r);
}

void
jline_cleanup(void)
{
	held.len = 0;
	free(held.buf);
	held.buf = NULL;
	held.cap = 0;
}
