/*
 * ndjson.c - records -> one JSON line each.
 *
 * Key order is the order of insertion below (jansson keeps it) and is
 * part of the interface: man/quark-schema.7 lists the keys in this order.
 * Every string goes through the UTF-8 policy of utf8.h; a key whose value
 * had to be altered is named in the object's "sanitized" array, which is
 * always the last key.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ndjson.h"
#include "names.h"
#include "utf8.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* An object being built: errors are collected, reported once at the end. */
struct obj {
	json_t	*o;
	json_t	*san;		/* keys whose values were altered, or NULL */
	int	 err;
};

static void
o_init(struct obj *ob)
{
	ob->o = json_object();
	ob->san = NULL;
	ob->err = ob->o == NULL;
}

static void
o_set(struct obj *ob, const char *key, json_t *v)
{
	if (v == NULL || ob->o == NULL ||
	    json_object_set_new_nocheck(ob->o, key, v) == -1)
		ob->err = 1;
}

static void
o_altered(struct obj *ob, const char *key)
{
	if (ob->san == NULL && (ob->san = json_array()) == NULL) {
		ob->err = 1;
		return;
	}
	if (json_array_append_new(ob->san, json_string_nocheck(key)) == -1)
		ob->err = 1;
}

/* Returns the object (the caller owns it) or NULL, errno ENOMEM. */
static json_t *
o_finish(struct obj *ob)
{
	if (ob->san != NULL) {
		o_set(ob, "sanitized", ob->san);
		ob->san = NULL;
	}
	if (ob->err) {
		json_decref(ob->o);
		errno = ENOMEM;
		return (NULL);
	}
	return (ob->o);
}

/* A JSON string from any bytes, per utf8.h; *altered set when changed. */
static json_t *
jstr(const char *s, size_t len, int *altered)
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

/* A string key; NULL and "" are "unknown" and leave the key out. */
static void
o_str(struct obj *ob, const char *key, const char *s, size_t len)
{
	int	altered = 0;

	if (s == NULL || len == 0)
		return;
	o_set(ob, key, jstr(s, len, &altered));
	if (altered)
		o_altered(ob, key);
}

static void
o_cstr(struct obj *ob, const char *key, const char *s)
{
	if (s != NULL)
		o_str(ob, key, s, strlen(s));
}

static void
o_int(struct obj *ob, const char *key, json_int_t v)
{
	o_set(ob, key, json_integer(v));
}

static void
o_u64(struct obj *ob, const char *key, uint64_t v)
{
	if (v > INT64_MAX)
		o_altered(ob, key);
	else
		o_int(ob, key, (json_int_t)v);
}

static void
o_bool(struct obj *ob, const char *key, int v)
{
	o_set(ob, key, json_boolean(v));
}

/*
 * argv/envp: len bytes of NUL-separated strings.  The empty piece after
 * the final NUL is not an element; a missing final NUL (a truncated
 * buffer) still ends the last element.  Empty elements are kept.
 */
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
		    jstr(p, (size_t)(nul - p), altered)) == -1) {
			json_decref(a);
			return (NULL);
		}
		p = nul + 1;
	}
	return (a);
}

static void
o_argv(struct obj *ob, const char *key, const char *buf, size_t len)
{
	int	altered = 0;

	o_set(ob, key, jargv(buf != NULL ? buf : "", buf != NULL ? len : 0,
	    &altered));
	if (altered)
		o_altered(ob, key);
}

/* A wall time that cannot be printed (year > 9999) is left out, and marked. */
static void
o_wall(struct obj *ob, const char *key, uint64_t wall_ns)
{
	char	buf[NDJSON_TIME_LEN];

	if (ndjson_format_time(wall_ns, buf, sizeof(buf)) == -1)
		o_altered(ob, key);
	else
		o_set(ob, key, json_string_nocheck(buf));
}

static void
o_time(struct obj *ob, const char *key, uint64_t boot_ns)
{
	o_wall(ob, key, quark_boot_to_wall(boot_ns));
}

/* A start time: tick-granular, the same in every run (quark.h). */
static void
o_start_time(struct obj *ob, const struct quark_process *p)
{
	o_wall(ob, "start_time", quark_start_to_wall(p->start_ns));
}

static void
o_entity(struct obj *ob, const struct quark_process *p)
{
	char	buf[17];

	if (!(p->known & QP_START) || p->entity_id == 0)
		return;
	snprintf(buf, sizeof(buf), "%016" PRIx64, p->entity_id);
	o_set(ob, "entity_id", json_string_nocheck(buf));
}

static void
o_comm(struct obj *ob, const char *key, const char *comm)
{
	o_str(ob, key, comm, strnlen(comm, QUARK_COMM_LEN));
}

int
ndjson_format_time(uint64_t wall_ns, char *buf, size_t len)
{
	struct tm	tm;
	time_t		secs = (time_t)(wall_ns / 1000000000ULL);
	char		date[32];

	if (gmtime_r(&secs, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return (-1);
	if ((size_t)snprintf(buf, len, "%s.%09" PRIu64 "Z", date,
	    (uint64_t)(wall_ns % 1000000000ULL)) >= len)
		return (-1);
	return (0);
}

json_t *
ndjson_time(uint64_t boot_ns)
{
	char	buf[NDJSON_TIME_LEN];

	if (ndjson_format_time(quark_boot_to_wall(boot_ns), buf,
	    sizeof(buf)) == -1) {
		errno = ERANGE;
		return (NULL);
	}
	return (json_string_nocheck(buf));
}

static void
o_tty(struct obj *ob, const struct quark_process *p)
{
	struct obj	t;
	char		name[32];

	if (!(p->known & QP_TTY) || (p->tty_major == 0 && p->tty_minor == 0))
		return;
	o_init(&t);
	o_int(&t, "major", p->tty_major);
	o_int(&t, "minor", p->tty_minor);
	if (quark_tty_name(p->tty_major, p->tty_minor, name,
	    sizeof(name)) == 0)
		o_cstr(&t, "name", name);
	o_set(ob, "tty", o_finish(&t));
}

static void
o_container(struct obj *ob, const struct quark_process *p)
{
	struct quark_container	c = p->container;
	struct obj		t;
	int			altered = 0;

	if (!(p->known & QP_CONTAINER) || c.id[0] == '\0')
		return;
	c.id[sizeof(c.id) - 1] = '\0';
	o_init(&t);
	o_set(&t, "id", jstr(c.id, strlen(c.id), &altered));
	o_cstr(&t, "runtime", c.runtime);
	o_set(ob, "container", o_finish(&t));
	if (altered)
		o_altered(ob, "container");
}

static const char *const cap_keys[QUARK_CAP_COUNT] = {
	[QUARK_CAP_INHERITABLE]	= "inheritable",
	[QUARK_CAP_PERMITTED]	= "permitted",
	[QUARK_CAP_EFFECTIVE]	= "effective",
	[QUARK_CAP_BOUNDING]	= "bounding",
	[QUARK_CAP_AMBIENT]	= "ambient",
};

static void
o_ns_cap(struct obj *ob, const struct quark_process *p)
{
	struct obj	t;
	char		buf[24];
	size_t		i;

	if ((p->known & QP_NS) && (p->ns_known & ((1U << QUARK_NS_COUNT) - 1))) {
		o_init(&t);
		for (i = 0; i < QUARK_NS_COUNT; i++)
			if (p->ns_known & (1U << i))
				o_u64(&t, quark_ns_name(i), p->ns[i]);
		o_set(ob, "ns", o_finish(&t));
	}
	if (p->known & QP_CAPS) {
		o_init(&t);
		for (i = 0; i < QUARK_CAP_COUNT; i++) {
			snprintf(buf, sizeof(buf), "0x%016" PRIx64, p->cap[i]);
			o_set(&t, cap_keys[i], json_string_nocheck(buf));
		}
		o_set(ob, "cap", o_finish(&t));
	}
}

/* at: the moment the record describes (boot ns), for the names. */
static void
o_creds(struct obj *ob, const struct quark_process *p, uint64_t at)
{
	if (p->known & QP_CREDS) {
		o_int(ob, "uid", p->uid);
		o_int(ob, "gid", p->gid);
		o_int(ob, "euid", p->euid);
		o_int(ob, "egid", p->egid);
		o_int(ob, "suid", p->suid);
		o_int(ob, "sgid", p->sgid);
	}
	if (p->known & QP_FSCREDS) {
		o_int(ob, "fsuid", p->fsuid);
		o_int(ob, "fsgid", p->fsgid);
	}
	/* Names from the host's databases are sanitized like any string. */
	if (p->known & QP_CREDS) {
		o_cstr(ob, "user", names_user_at(p->uid, at));
		o_cstr(ob, "group", names_group_at(p->gid, at));
		o_cstr(ob, "euser", names_user_at(p->euid, at));
		o_cstr(ob, "egroup", names_group_at(p->egid, at));
	}
	/* (u32)-1: no login session (AUDIT_UID_UNSET). */
	if ((p->known & QP_LOGINUID) && p->loginuid != UINT32_MAX)
		o_int(ob, "loginuid", p->loginuid);
}

static void
o_exit(struct obj *ob, const struct quark_process *p)
{
	struct obj	t;

	if (!(p->known & QP_EXIT))
		return;
	o_init(&t);
	/* Killed by a signal: there is no exit code, not a code of 0. */
	if (p->exit_signal == 0 && p->exit_code >= 0)
		o_int(&t, "code", p->exit_code);
	if (p->exit_signal != 0)
		o_int(&t, "signal", p->exit_signal);
	o_bool(&t, "core_dumped", p->core_dumped);
	if (p->exit_ns != 0) {
		o_time(&t, "time", p->exit_ns);
		o_u64(&t, "time_ns", p->exit_ns);
	}
	o_set(ob, "exit", o_finish(&t));
}

/* pid .. threads: identity, image and state. */
static void
o_image(struct obj *ob, const struct quark_process *p)
{
	uint64_t	known = p->known;

	o_int(ob, "pid", p->pid);
	if (known & QP_TID)
		o_int(ob, "tid", p->tid);
	if (known & QP_PPID)
		o_int(ob, "ppid", p->ppid);
	if (known & QP_COMM)
		o_comm(ob, "comm", p->comm);
	if (known & QP_EXE) {
		o_cstr(ob, "exe", p->exe);
		if (p->truncated & QPT_EXE)
			o_bool(ob, "exe_truncated", 1);
	}
	if (p->truncated & QPT_EXE_DELETED)
		o_bool(ob, "exe_deleted", 1);
	/* As given to execve(2): "./prog", a symlink, a script. */
	if (known & QP_FILENAME)
		o_cstr(ob, "filename", p->filename);
	if (known & QP_ARGS) {
		o_argv(ob, "args", p->args, p->args_len);
		o_int(ob, "argc", p->argc);
		o_u64(ob, "args_size", p->args_total);
		if (p->truncated & QPT_ARGS)
			o_bool(ob, "args_truncated", 1);
	}
	if (known & QP_CWD) {
		o_cstr(ob, "cwd", p->cwd);
		if (p->truncated & QPT_CWD)
			o_bool(ob, "cwd_truncated", 1);
	}
	if ((known & QP_STATE) && p->state != '\0')
		o_str(ob, "state", &p->state, 1);
	if (known & QP_KTHREAD)
		o_bool(ob, "kthread", p->kthread != 0);
	if (known & QP_NTHREADS)
		o_int(ob, "threads", p->nthreads);
}

json_t *
ndjson_process(const struct quark_process *p)
{
	return (ndjson_process_at(p, quark_boot_now()));
}

json_t *
ndjson_process_at(const struct quark_process *p, uint64_t at)
{
	struct obj	ob;

	o_init(&ob);
	o_image(&ob, p);
	o_creds(&ob, p, at);
	if (p->known & QP_PGID_SID) {
		o_int(&ob, "pgid", p->pgid);
		o_int(&ob, "sid", p->sid);
	}
	o_tty(&ob, p);
	if (p->known & QP_START) {
		o_start_time(&ob, p);
		if (p->start_ns_raw != 0)
			o_u64(&ob, "start_boottime_ns", p->start_ns_raw);
	}
	o_entity(&ob, p);
	if (p->known & QP_CGROUP) {
		o_cstr(&ob, "cgroup", p->cgroup);
		if (p->truncated & QPT_CGROUP)
			o_bool(&ob, "cgroup_truncated", 1);
	}
	o_container(&ob, p);
	o_ns_cap(&ob, p);
	if (p->known & QP_ENV) {
		o_argv(&ob, "env", p->env, p->env_len);
		o_int(&ob, "envc", p->envc);
		if (p->truncated & QPT_ENV)
			o_bool(&ob, "env_truncated", 1);
	}
	o_exit(&ob, p);
	return (o_finish(&ob));
}

json_t *
ndjson_parent(const struct quark_process *p)
{
	struct obj	ob;

	o_init(&ob);
	o_int(&ob, "pid", p->pid);
	o_entity(&ob, p);
	if (p->known & QP_COMM)
		o_comm(&ob, "comm", p->comm);
	if (p->known & QP_EXE)
		o_cstr(&ob, "exe", p->exe);
	if (p->known & QP_ARGS) {
		o_argv(&ob, "args", p->args, p->args_len);
		o_int(&ob, "argc", p->argc);
	}
	if (p->known & QP_START)
		o_start_time(&ob, p);
	if (p->known & QP_CREDS) {
		o_int(&ob, "uid", p->uid);
		o_int(&ob, "euid", p->euid);
	}
	return (o_finish(&ob));
}

json_t *
ndjson_snapshot_json(const struct quark_process *p,
    const struct quark_process *parent)
{
	struct obj	ob;
	uint64_t	now = quark_boot_now();

	o_init(&ob);
	o_set(&ob, "kind", json_string_nocheck("snapshot"));
	o_time(&ob, "time", now);
	o_set(&ob, "process", ndjson_process_at(p, now));
	if (parent != NULL)
		o_set(&ob, "parent", ndjson_parent(parent));
	return (o_finish(&ob));
}

/* One entry of "changes", or NULL when the change has nothing to add. */
static json_t *
change_json(const struct quark_change *c, const struct quark_process *p)
{
	struct obj	ob;

	switch (c->type) {
	case QUARK_EV_SETUID:
	case QUARK_EV_SETGID:
	case QUARK_EV_SETSID:
	case QUARK_EV_COMM:
		break;
	case QUARK_EV_EXEC:
		if (c->old_pid != 0)
			break;
		/* FALLTHROUGH */
	default:
		return (NULL);
	}
	o_init(&ob);
	o_set(&ob, "type", json_string(quark_event_type_name(c->type)));
	o_time(&ob, "time", c->time);
	if (c->tid != 0 && (p == NULL || c->tid != p->pid))
		o_int(&ob, "tid", c->tid);
	switch (c->type) {
	case QUARK_EV_SETUID:
		o_int(&ob, "uid", c->uid);
		o_int(&ob, "euid", c->euid);
		o_int(&ob, "suid", c->suid);
		o_int(&ob, "fsuid", c->fsuid);
		break;
	case QUARK_EV_SETGID:
		o_int(&ob, "gid", c->gid);
		o_int(&ob, "egid", c->egid);
		o_int(&ob, "sgid", c->sgid);
		o_int(&ob, "fsgid", c->fsgid);
		break;
	case QUARK_EV_SETSID:
		o_int(&ob, "sid", c->sid);
		break;
	case QUARK_EV_COMM:
		o_comm(&ob, "comm", c->comm);
		break;
	case QUARK_EV_EXEC:
		o_int(&ob, "old_pid", c->old_pid);
		break;
	}
	return (o_finish(&ob));
}

static void
o_changes(struct obj *ob, const struct quark_event *ev)
{
	json_t		*events, *changes = NULL, *c;
	uint32_t	 i, n = ev->nchanges;

	if (n > QUARK_MAX_CHANGES)
		n = QUARK_MAX_CHANGES;
	if ((events = json_array()) == NULL) {
		ob->err = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		if (json_array_append_new(events, json_string(
		    quark_event_type_name(ev->changes[i].type))) == -1)
			ob->err = 1;
		if ((c = change_json(&ev->changes[i], ev->process)) == NULL)
			continue;
		if ((changes == NULL && (changes = json_array()) == NULL) ||
		    json_array_append_new(changes, c) == -1)
			ob->err = 1;
	}
	o_set(ob, "events", events);
	if (changes != NULL)
		o_set(ob, "changes", changes);
}

/*
 * The moment a record's process object describes: its last change (the
 * process is as after all of them).
 */
static uint64_t
event_moment(const struct quark_event *ev)
{
	uint32_t	n = ev->nchanges;

	if (n > QUARK_MAX_CHANGES)
		n = QUARK_MAX_CHANGES;
	return (n > 0 ? ev->changes[n - 1].time : ev->time);
}

json_t *
ndjson_event_json(const struct quark_event *ev)
{
	struct obj	ob;

	o_init(&ob);
	if (ev->kind == QUARK_EVENT_LOST) {
		o_set(&ob, "kind", json_string_nocheck("lost"));
		o_time(&ob, "time", ev->time);
		o_u64(&ob, "time_ns", ev->time);
		o_u64(&ob, "lost", ev->lost);
		return (o_finish(&ob));
	}
	o_set(&ob, "kind", json_string_nocheck("event"));
	o_time(&ob, "time", ev->time);
	o_u64(&ob, "time_ns", ev->time);
	o_changes(&ob, ev);
	if (ev->flags & QUARK_EVF_LATE)
		o_bool(&ob, "late", 1);
	if (ev->flags & QUARK_EVF_STALE)
		o_bool(&ob, "stale", 1);
	if (ev->flags & QUARK_EVF_THREAD)
		o_bool(&ob, "thread", 1);
	if (ev->nchanges_dropped != 0)
		o_int(&ob, "changes_dropped", ev->nchanges_dropped);
	if (ev->process != NULL)
		o_set(&ob, "process", ndjson_process_at(ev->process,
		    event_moment(ev)));
	if (ev->parent != NULL)
		o_set(&ob, "parent", ndjson_parent(ev->parent));
	return (o_finish(&ob));
}

/*
 * The line buffer, reused across lines.  A buffer grown past
 * WBUF_KEEP for a huge line (a 2 MiB argv) is given back afterwards.
 */
#define WBUF_MIN	4096
#define WBUF_KEEP	(1024 * 1024)
static char	*wbuf;
static size_t	 wcap;

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

int
ndjson_write(int fd, json_t *obj)
{
	size_t	 n, ncap;
	char	*nb;
	int	 r, saved;

	for (;;) {
		n = json_dumpb(obj, wbuf, wcap, JSON_COMPACT);
		if (n == 0) {
			errno = EINVAL;
			return (-1);
		}
		if (n < wcap)		/* room left for the '\n' */
			break;
		ncap = n + 1 < WBUF_MIN ? WBUF_MIN : n + 1;
		if ((nb = realloc(wbuf, ncap)) == NULL)
			return (-1);
		wbuf = nb;
		wcap = ncap;
	}
	wbuf[n++] = '\n';
	r = write_all(fd, wbuf, n);
	saved = errno;
	if (wcap > WBUF_KEEP) {
		free(wbuf);
		wbuf = NULL;
		wcap = 0;
	}
	errno = saved;
	return (r);
}

static int
write_obj(int fd, json_t *obj)
{
	int	r, saved;

	if (obj == NULL)
		return (-1);
	r = ndjson_write(fd, obj);
	saved = errno;
	json_decref(obj);
	errno = saved;
	return (r);
}

int
ndjson_snapshot(int fd, const struct quark_process *p,
    const struct quark_process *parent)
{
	return (write_obj(fd, ndjson_snapshot_json(p, parent)));
}

int
ndjson_event(int fd, const struct quark_event *ev)
{
	return (write_obj(fd, ndjson_event_json(ev)));
}

void
ndjson_cleanup(void)
{
	free(wbuf);
	wbuf = NULL;
	wcap = 0;
	names_flush();
}
