/*
 * jobj.c - JSON objects key by key as jansson trees (json.h's jobj_*()),
 * for records off the hot path (quark btf) and callers that want an
 * object.  The same UTF-8, u64 and time policies as the streaming
 * builder of json.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quark.h"
#include "json.h"
#include "utf8.h"

void
jobj_init(struct jobj *ob)
{
	ob->o = json_object();
	ob->san = NULL;
	ob->err = ob->o == NULL;
}

void
jobj_set(struct jobj *ob, const char *key, json_t *v)
{
	if (v == NULL || ob->o == NULL ||
	    json_object_set_new_nocheck(ob->o, key, v) == -1)
		ob->err = 1;
}

void
jobj_altered(struct jobj *ob, const char *key)
{
	if (ob->san == NULL && (ob->san = json_array()) == NULL) {
		ob->err = 1;
		return;
	}
	if (json_array_append_new(ob->san, json_string_nocheck(key)) == -1)
		ob->err = 1;
}

json_t *
jobj_finish(struct jobj *ob)
{
	if (ob->san != NULL) {
		jobj_set(ob, "sanitized", ob->san);
		ob->san = NULL;
	}
	if (ob->err) {
		json_decref(ob->o);
		ob->o = NULL;
		errno = ENOMEM;
		return (NULL);
	}
	return (ob->o);
}

void
jobj_obj(struct jobj *ob, const char *key, struct jobj *child)
{
	jobj_set(ob, key, jobj_finish(child));
}

json_t *
jstr_utf8(const char *s, size_t len, int *altered)
{
	json_t	*j;
	char	*t;
	size_t	 tlen;
	int	 alt;

	if (utf8_valid(s, len))
		return (json_stringn_nocheck(s, len));
	if ((t = utf8_sanitize(s, len, &tlen, &alt)) == NULL)
		return (NULL);
	*altered |= alt;
	j = json_stringn_nocheck(t, tlen);
	free(t);
	return (j);
}

void
jobj_str(struct jobj *ob, const char *key, const char *s, size_t len)
{
	int	altered = 0;

	if (s == NULL || len == 0)
		return;
	jobj_set(ob, key, jstr_utf8(s, len, &altered));
	if (altered)
		jobj_altered(ob, key);
}

void
jobj_cstr(struct jobj *ob, const char *key, const char *s)
{
	if (s != NULL)
		jobj_str(ob, key, s, strlen(s));
}

void
jobj_text(struct jobj *ob, const char *key, const char *s)
{
	int	altered = 0;

	if (s == NULL) {
		jobj_null(ob, key);
		return;
	}
	jobj_set(ob, key, jstr_utf8(s, strlen(s), &altered));
	if (altered)
		jobj_altered(ob, key);
}

void
jobj_int(struct jobj *ob, const char *key, json_int_t v)
{
	jobj_set(ob, key, json_integer(v));
}

void
jobj_u64(struct jobj *ob, const char *key, uint64_t v)
{
	if (v > INT64_MAX)
		jobj_altered(ob, key);
	else
		jobj_int(ob, key, (json_int_t)v);
}

void
jobj_bool(struct jobj *ob, const char *key, int v)
{
	jobj_set(ob, key, json_boolean(v));
}

void
jobj_null(struct jobj *ob, const char *key)
{
	jobj_set(ob, key, json_null());
}

static json_t *
jargv(const char *buf, size_t len, int *altered)
{
	json_t		*a;
	const char	*p = buf, *end = buf + len, *nul;

	if ((a = json_array()) == NULL)
		return (NULL);
	while (p < end) {
		if ((nul = memchr(p, '\0', (size_t)(end - p))) == NULL)
			nul = end;
		if (json_array_append_new(a,
		    jstr_utf8(p, (size_t)(nul - p), altered)) == -1) {
			json_decref(a);
			return (NULL);
		}
		p = nul + 1;
	}
	return (a);
}

void
jobj_argv(struct jobj *ob, const char *key, const char *buf, size_t len)
{
	int	altered = 0;

	jobj_set(ob, key, jargv(buf != NULL ? buf : "", buf != NULL ? len : 0,
	    &altered));
	if (altered)
		jobj_altered(ob, key);
}

json_t *
jtime(uint64_t boot_ns)
{
	char	buf[JTIME_LEN];

	if (jtime_format(quark_boot_to_wall(boot_ns), buf,
	    sizeof(buf)) == -1) {
		errno = ERANGE;
		return (NULL);
	}
	return (json_string_nocheck(buf));
}

/* A time that cannot be printed (year > 9999) is left out, and marked. */
void
jobj_wall(struct jobj *ob, const char *key, uint64_t wall_ns)
{
	char	buf[JTIME_LEN];

	if (jtime_format(wall_ns, buf, sizeof(buf)) == -1)
		jobj_altered(ob, key);
	else
		jobj_set(ob, key, json_string_nocheck(buf));
}

void
jobj_time(struct jobj *ob, const char *key, uint64_t boot_ns)
{
	jobj_wall(ob, key, quark_boot_to_wall(boot_ns));
}

int
jline_put(int fd, json_t *obj)
{
	int	r, saved;

	if (obj == NULL)
		return (-1);
	r = jline_write(fd, obj);
	saved = errno;
	json_decref(obj);
	errno = saved;
	return (r);
}

