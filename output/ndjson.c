/*
 * ndjson.c - the "ndjson" output: quark's schema, one JSON line per
 * record, built with json.h.
 *
 * Key order is the order of insertion below (jansson keeps it) and is
 * part of the interface: man/quark-schema.7 lists the keys in this order.
 * How values are printed (the UTF-8 and u64 policies, "sanitized" as the
 * last key, times, the one-write line) is json.h's business.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "names.h"
#include "ndjson.h"
#include "output.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* A start time: tick-granular, the same in every run (quark.h). */
static void
o_start_time(struct jobj *ob, const struct quark_process *p)
{
	jobj_wall(ob, "start_time", quark_start_to_wall(p->start_ns));
}

static void
o_entity(struct jobj *ob, const struct quark_process *p)
{
	char	buf[17];

	if (!(p->known & QP_START) || p->entity_id == 0)
		return;
	snprintf(buf, sizeof(buf), "%016" PRIx64, p->entity_id);
	jobj_set(ob, "entity_id", json_string_nocheck(buf));
}

static void
o_comm(struct jobj *ob, const char *key, const char *comm)
{
	jobj_str(ob, key, comm, strnlen(comm, QUARK_COMM_LEN));
}

static void
o_tty(struct jobj *ob, const struct quark_process *p)
{
	struct jobj	t;
	char		name[32];

	if (!(p->known & QP_TTY) || (p->tty_major == 0 && p->tty_minor == 0))
		return;
	jobj_init(&t);
	jobj_int(&t, "major", p->tty_major);
	jobj_int(&t, "minor", p->tty_minor);
	if (quark_tty_name(p->tty_major, p->tty_minor, name,
	    sizeof(name)) == 0)
		jobj_cstr(&t, "name", name);
	jobj_set(ob, "tty", jobj_finish(&t));
}

static void
o_container(struct jobj *ob, const struct quark_process *p)
{
	struct quark_container	c = p->container;
	struct jobj		t;
	int			altered = 0;

	if (!(p->known & QP_CONTAINER) || c.id[0] == '\0')
		return;
	c.id[sizeof(c.id) - 1] = '\0';
	jobj_init(&t);
	jobj_set(&t, "id", jstr_utf8(c.id, strlen(c.id), &altered));
	jobj_cstr(&t, "runtime", c.runtime);
	jobj_set(ob, "container", jobj_finish(&t));
	if (altered)
		jobj_altered(ob, "container");
}

static const char *const cap_keys[QUARK_CAP_COUNT] = {
	[QUARK_CAP_INHERITABLE]	= "inheritable",
	[QUARK_CAP_PERMITTED]	= "permitted",
	[QUARK_CAP_EFFECTIVE]	= "effective",
	[QUARK_CAP_BOUNDING]	= "bounding",
	[QUARK_CAP_AMBIENT]	= "ambient",
};

static void
o_ns_cap(struct jobj *ob, const struct quark_process *p)
{
	struct jobj	t;
	char		buf[24];
	size_t		i;

	if ((p->known & QP_NS) && (p->ns_known & ((1U << QUARK_NS_COUNT) - 1))) {
		jobj_init(&t);
		for (i = 0; i < QUARK_NS_COUNT; i++)
			if (p->ns_known & (1U << i))
				jobj_u64(&t, quark_ns_name(i), p->ns[i]);
		jobj_set(ob, "ns", jobj_finish(&t));
	}
	if (p->known & QP_CAPS) {
		jobj_init(&t);
		for (i = 0; i < QUARK_CAP_COUNT; i++) {
			snprintf(buf, sizeof(buf), "0x%016" PRIx64, p->cap[i]);
			jobj_set(&t, cap_keys[i], json_string_nocheck(buf));
		}
		jobj_set(ob, "cap", jobj_finish(&t));
	}
}

/* at: the moment the record describes (boot ns), for the names. */
static void
o_creds(struct jobj *ob, const struct quark_process *p, uint64_t at)
{
	if (p->known & QP_CREDS) {
		jobj_int(ob, "uid", p->uid);
		jobj_int(ob, "gid", p->gid);
		jobj_int(ob, "euid", p->euid);
		jobj_int(ob, "egid", p->egid);
		jobj_int(ob, "suid", p->suid);
		jobj_int(ob, "sgid", p->sgid);
	}
	if (p->known & QP_FSCREDS) {
		jobj_int(ob, "fsuid", p->fsuid);
		jobj_int(ob, "fsgid", p->fsgid);
	}
	/* Names from the host's databases are sanitized like any string. */
	if (p->known & QP_CREDS) {
		jobj_cstr(ob, "user", names_user_at(p->uid, at));
		jobj_cstr(ob, "group", names_group_at(p->gid, at));
		jobj_cstr(ob, "euser", names_user_at(p->euid, at));
		jobj_cstr(ob, "egroup", names_group_at(p->egid, at));
	}
	/* (u32)-1: no login session (AUDIT_UID_UNSET). */
	if ((p->known & QP_LOGINUID) && p->loginuid != UINT32_MAX)
		jobj_int(ob, "loginuid", p->loginuid);
}

static void
o_exit(struct jobj *ob, const struct quark_process *p)
{
	struct jobj	t;

	if (!(p->known & QP_EXIT))
		return;
	jobj_init(&t);
	/* Killed by a signal: there is no exit code, not a code of 0. */
	if (p->exit_signal == 0 && p->exit_code >= 0)
		jobj_int(&t, "code", p->exit_code);
	if (p->exit_signal != 0)
		jobj_int(&t, "signal", p->exit_signal);
	jobj_bool(&t, "core_dumped", p->core_dumped);
	if (p->exit_ns != 0) {
		jobj_time(&t, "time", p->exit_ns);
		jobj_u64(&t, "time_ns", p->exit_ns);
	}
	jobj_set(ob, "exit", jobj_finish(&t));
}

/* pid .. threads: identity, image and state. */
static void
o_image(struct jobj *ob, const struct quark_process *p)
{
	uint64_t	known = p->known;

	jobj_int(ob, "pid", p->pid);
	if (known & QP_TID)
		jobj_int(ob, "tid", p->tid);
	if (known & QP_PPID)
		jobj_int(ob, "ppid", p->ppid);
	if (known & QP_COMM)
		o_comm(ob, "comm", p->comm);
	if (known & QP_EXE) {
		jobj_cstr(ob, "exe", p->exe);
		if (p->truncated & QPT_EXE)
			jobj_bool(ob, "exe_truncated", 1);
	}
	if (p->truncated & QPT_EXE_DELETED)
		jobj_bool(ob, "exe_deleted", 1);
	/* As given to execve(2): "./prog", a symlink, a script. */
	if (known & QP_FILENAME)
		jobj_cstr(ob, "filename", p->filename);
	if (known & QP_ARGS) {
		jobj_argv(ob, "args", p->args, p->args_len);
		jobj_int(ob, "argc", p->argc);
		jobj_u64(ob, "args_size", p->args_total);
		if (p->truncated & QPT_ARGS)
			jobj_bool(ob, "args_truncated", 1);
	}
	if (known & QP_CWD) {
		jobj_cstr(ob, "cwd", p->cwd);
		if (p->truncated & QPT_CWD)
			jobj_bool(ob, "cwd_truncated", 1);
	}
	if ((known & QP_STATE) && p->state != '\0')
		jobj_str(ob, "state", &p->state, 1);
	if (known & QP_KTHREAD)
		jobj_bool(ob, "kthread", p->kthread != 0);
	if (known & QP_NTHREADS)
		jobj_int(ob, "threads", p->nthreads);
}

json_t *
ndjson_process(const struct quark_process *p)
{
	return (ndjson_process_at(p, quark_boot_now()));
}

json_t *
ndjson_process_at(const struct quark_process *p, uint64_t at)
{
	struct jobj	ob;

	jobj_init(&ob);
	o_image(&ob, p);
	o_creds(&ob, p, at);
	if (p->known & QP_PGID_SID) {
		jobj_int(&ob, "pgid", p->pgid);
		jobj_int(&ob, "sid", p->sid);
	}
	o_tty(&ob, p);
	if (p->known & QP_START) {
		o_start_time(&ob, p);
		if (p->start_ns_raw != 0)
			jobj_u64(&ob, "start_boottime_ns", p->start_ns_raw);
	}
	o_entity(&ob, p);
	if (p->known & QP_CGROUP) {
		jobj_cstr(&ob, "cgroup", p->cgroup);
		if (p->truncated & QPT_CGROUP)
			jobj_bool(&ob, "cgroup_truncated", 1);
	}
	o_container(&ob, p);
	o_ns_cap(&ob, p);
	if (p->known & QP_ENV) {
		jobj_argv(&ob, "env", p->env, p->env_len);
		jobj_int(&ob, "envc", p->envc);
		if (p->truncated & QPT_ENV)
			jobj_bool(&ob, "env_truncated", 1);
	}
	o_exit(&ob, p);
	return (jobj_finish(&ob));
}

json_t *
ndjson_parent(const struct quark_process *p)
{
	struct jobj	ob;

	jobj_init(&ob);
	jobj_int(&ob, "pid", p->pid);
	o_entity(&ob, p);
	if (p->known & QP_COMM)
		o_comm(&ob, "comm", p->comm);
	if (p->known & QP_EXE)
		jobj_cstr(&ob, "exe", p->exe);
	if (p->known & QP_ARGS) {
		jobj_argv(&ob, "args", p->args, p->args_len);
		jobj_int(&ob, "argc", p->argc);
	}
	if (p->known & QP_START)
		o_start_time(&ob, p);
	if (p->known & QP_CREDS) {
		jobj_int(&ob, "uid", p->uid);
		jobj_int(&ob, "euid", p->euid);
	}
	return (jobj_finish(&ob));
}

json_t *
ndjson_snapshot_json(const struct quark_process *p,
    const struct quark_process *parent)
{
	struct jobj	ob;
	uint64_t	now = quark_boot_now();

	jobj_init(&ob);
	jobj_set(&ob, "kind", json_string_nocheck("snapshot"));
	jobj_time(&ob, "time", now);
	jobj_set(&ob, "process", ndjson_process_at(p, now));
	if (parent != NULL)
		jobj_set(&ob, "parent", ndjson_parent(parent));
	return (jobj_finish(&ob));
}

/* One entry of "changes", or NULL when the change has nothing to add. */
static json_t *
change_json(const struct quark_change *c, const struct quark_process *p)
{
	struct jobj	ob;

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
	jobj_init(&ob);
	jobj_set(&ob, "type", json_string(quark_event_type_name(c->type)));
	jobj_time(&ob, "time", c->time);
	if (c->tid != 0 && (p == NULL || c->tid != p->pid))
		jobj_int(&ob, "tid", c->tid);
	switch (c->type) {
	case QUARK_EV_SETUID:
		jobj_int(&ob, "uid", c->uid);
		jobj_int(&ob, "euid", c->euid);
		jobj_int(&ob, "suid", c->suid);
		jobj_int(&ob, "fsuid", c->fsuid);
		break;
	case QUARK_EV_SETGID:
		jobj_int(&ob, "gid", c->gid);
		jobj_int(&ob, "egid", c->egid);
		jobj_int(&ob, "sgid", c->sgid);
		jobj_int(&ob, "fsgid", c->fsgid);
		break;
	case QUARK_EV_SETSID:
		jobj_int(&ob, "sid", c->sid);
		break;
	case QUARK_EV_COMM:
		o_comm(&ob, "comm", c->comm);
		break;
	case QUARK_EV_EXEC:
		jobj_int(&ob, "old_pid", c->old_pid);
		break;
	}
	return (jobj_finish(&ob));
}

static void
o_changes(struct jobj *ob, const struct quark_event *ev)
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
	jobj_set(ob, "events", events);
	if (changes != NULL)
		jobj_set(ob, "changes", changes);
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
	struct jobj	ob;

	jobj_init(&ob);
	if (ev->kind == QUARK_EVENT_LOST) {
		jobj_set(&ob, "kind", json_string_nocheck("lost"));
		jobj_time(&ob, "time", ev->time);
		jobj_u64(&ob, "time_ns", ev->time);
		jobj_u64(&ob, "lost", ev->lost);
		return (jobj_finish(&ob));
	}
	jobj_set(&ob, "kind", json_string_nocheck("event"));
	jobj_time(&ob, "time", ev->time);
	jobj_u64(&ob, "time_ns", ev->time);
	o_changes(&ob, ev);
	if (ev->flags & QUARK_EVF_LATE)
		jobj_bool(&ob, "late", 1);
	if (ev->flags & QUARK_EVF_STALE)
		jobj_bool(&ob, "stale", 1);
	if (ev->flags & QUARK_EVF_THREAD)
		jobj_bool(&ob, "thread", 1);
	if (ev->nchanges_dropped != 0)
		jobj_int(&ob, "changes_dropped", ev->nchanges_dropped);
	if (ev->process != NULL)
		jobj_set(&ob, "process", ndjson_process_at(ev->process,
		    event_moment(ev)));
	if (ev->parent != NULL)
		jobj_set(&ob, "parent", ndjson_parent(ev->parent));
	return (jobj_finish(&ob));
}

/*
 * The stats line (watch --stats, SIGUSR1): the queue's counters in
 * struct quark_stats order, then "features_off" when capture runs
 * without something.
 */
json_t *
ndjson_stats_json(const struct quark_stats *st)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} counters[] = {
#define C(f)	{ #f, offsetof(struct quark_stats, f) }
		C(insertions), C(removals), C(aggregations),
		C(non_aggregations), C(lost), C(late),
		C(garbage_collections), C(reconciles),
		C(reconcile_evictions), C(bad_records), C(cred_noops),
		C(length), C(peak_length), C(cache_size),
#undef C
	};
	struct jobj	ob;
	size_t		i;
	int		altered = 0;

	jobj_init(&ob);
	jobj_set(&ob, "kind", json_string_nocheck("stats"));
	jobj_set(&ob, "backend", jstr_utf8(st->backend,
	    strnlen(st->backend, sizeof(st->backend)), &altered));
	if (altered)
		jobj_altered(&ob, "backend");
	/* Counters as json_pack()'s "I" had them: int64, wrapped. */
	for (i = 0; i < nitems(counters); i++)
		jobj_int(&ob, counters[i].key, (json_int_t)*(const uint64_t *)
		    ((const char *)st + counters[i].off));
	jobj_str(&ob, "features_off", st->features_off,
	    strnlen(st->features_off, sizeof(st->features_off)));
	return (jobj_finish(&ob));
}

int
ndjson_snapshot(int fd, const struct quark_process *p,
    const struct quark_process *parent)
{
	return (jline_put(fd, ndjson_snapshot_json(p, parent)));
}

int
ndjson_event(int fd, const struct quark_event *ev)
{
	return (jline_put(fd, ndjson_event_json(ev)));
}

int
ndjson_stats(int fd, const struct quark_stats *st)
{
	return (jline_put(fd, ndjson_stats_json(st)));
}

void
ndjson_cleanup(void)
{
	jline_cleanup();
	names_flush();
}

const struct output output_ndjson = {
	.name = "ndjson",
	.desc = "one JSON object per line, quark's schema (quark-schema(7))",
	.snapshot = ndjson_snapshot,
	.event = ndjson_event,
	.stats = ndjson_stats,
	.cleanup = ndjson_cleanup,
};
