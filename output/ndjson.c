/*
 * ndjson.c - the "ndjson" output: quark's schema, one JSON line per
 * record, built with json.h.
 *
 * Key order is the order of insertion below (jansson keeps it) and is
 * part of the interface: man/quark-schema.7 lists the keys in this order.
 * How values are printed (the UTF-8 and u64 policies, "sanitized" as the
 * last key, times, the one-write line) is json.h's business.  Lines are
 * streamed into one reused builder; the *_json() functions parse what
 * it built (jansson) for callers that want objects.
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
#include "utf8.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* A start time: tick-granular, the same in every run (quark.h). */
static void
o_start_time(struct jw *ob, const struct quark_process *p)
{
	jw_wall(ob, "start_time", quark_start_to_wall(p->start_ns));
}

static void
o_entity(struct jw *ob, const struct quark_process *p)
{
	static const char	hex[] = "0123456789abcdef";
	char			buf[17];
	int			i;

	if (!(p->known & QP_START) || p->entity_id == 0)
		return;
	for (i = 0; i < 16; i++)
		buf[i] = hex[(p->entity_id >> (60 - 4 * i)) & 15];
	buf[16] = '\0';
	jw_ascii(ob, "entity_id", buf);
}

static void
o_comm(struct jw *ob, const char *key, const char *comm)
{
	jw_str(ob, key, comm, strnlen(comm, QUARK_COMM_LEN));
}

static void
o_tty(struct jw *ob, const struct quark_process *p)
{
	char	name[32];

	if (!(p->known & QP_TTY) || (p->tty_major == 0 && p->tty_minor == 0))
		return;
	jw_begin(ob, "tty");
	jw_int(ob, "major", p->tty_major);
	jw_int(ob, "minor", p->tty_minor);
	if (quark_tty_name(p->tty_major, p->tty_minor, name,
	    sizeof(name)) == 0)
		jw_cstr(ob, "name", name);
	jw_end(ob);
}

static void
o_container(struct jw *ob, const struct quark_process *p)
{
	struct quark_container	c = p->container;
	int			altered = 0;

	if (!(p->known & QP_CONTAINER) || c.id[0] == '\0')
		return;
	c.id[sizeof(c.id) - 1] = '\0';
	jw_begin(ob, "container");
	jw_strv(ob, "id", c.id, strlen(c.id), &altered);
	jw_cstr(ob, "runtime", c.runtime);
	jw_end(ob);
	if (altered)
		jw_altered(ob, "container");
}

static const char *const cap_keys[QUARK_CAP_COUNT] = {
	[QUARK_CAP_INHERITABLE]	= "inheritable",
	[QUARK_CAP_PERMITTED]	= "permitted",
	[QUARK_CAP_EFFECTIVE]	= "effective",
	[QUARK_CAP_BOUNDING]	= "bounding",
	[QUARK_CAP_AMBIENT]	= "ambient",
};

static void
o_ns_cap(struct jw *ob, const struct quark_process *p)
{
	static const char	hex[] = "0123456789abcdef";
	char			buf[19];
	size_t			i;
	int			k;

	if ((p->known & QP_NS) && (p->ns_known & ((1U << QUARK_NS_COUNT) - 1))) {
		jw_begin(ob, "ns");
		for (i = 0; i < QUARK_NS_COUNT; i++)
			if (p->ns_known & (1U << i))
				jw_u64(ob, quark_ns_name(i), p->ns[i]);
		jw_end(ob);
	}
	if (p->known & QP_CAPS) {
		jw_begin(ob, "cap");
		buf[0] = '0';
		buf[1] = 'x';
		buf[18] = '\0';
		for (i = 0; i < QUARK_CAP_COUNT; i++) {
			for (k = 0; k < 16; k++)
				buf[2 + k] = hex[(p->cap[i] >> (60 - 4 * k)) & 15];
			jw_ascii(ob, cap_keys[i], buf);
		}
		jw_end(ob);
	}
}

/* at: the moment the record describes (boot ns), for the names. */
static void
o_creds(struct jw *ob, const struct quark_process *p, uint64_t at)
{
	if (p->known & QP_CREDS) {
		jw_int(ob, "uid", p->uid);
		jw_int(ob, "gid", p->gid);
		jw_int(ob, "euid", p->euid);
		jw_int(ob, "egid", p->egid);
		jw_int(ob, "suid", p->suid);
		jw_int(ob, "sgid", p->sgid);
	}
	if (p->known & QP_FSCREDS) {
		jw_int(ob, "fsuid", p->fsuid);
		jw_int(ob, "fsgid", p->fsgid);
	}
	/* Names from the host's databases are sanitized like any string. */
	if (p->known & QP_CREDS) {
		jw_cstr(ob, "user", names_user_at(p->uid, at));
		jw_cstr(ob, "group", names_group_at(p->gid, at));
		jw_cstr(ob, "euser", names_user_at(p->euid, at));
		jw_cstr(ob, "egroup", names_group_at(p->egid, at));
	}
	/* (u32)-1: no login session (AUDIT_UID_UNSET). */
	if ((p->known & QP_LOGINUID) && p->loginuid != UINT32_MAX)
		jw_int(ob, "loginuid", p->loginuid);
}

static void
o_exit(struct jw *ob, const struct quark_process *p)
{
	if (!(p->known & QP_EXIT))
		return;
	jw_begin(ob, "exit");
	/* Killed by a signal: there is no exit code, not a code of 0. */
	if (p->exit_signal == 0 && p->exit_code >= 0)
		jw_int(ob, "code", p->exit_code);
	if (p->exit_signal != 0)
		jw_int(ob, "signal", p->exit_signal);
	jw_bool(ob, "core_dumped", p->core_dumped);
	if (p->exit_ns != 0) {
		jw_time(ob, "time", p->exit_ns);
		jw_u64(ob, "time_ns", p->exit_ns);
	}
	jw_end(ob);
}

/* pid .. threads: identity, image and state. */
static void
o_image(struct jw *ob, const struct quark_process *p)
{
	uint64_t	known = p->known;

	jw_int(ob, "pid", p->pid);
	if (known & QP_TID)
		jw_int(ob, "tid", p->tid);
	if (known & QP_PPID)
		jw_int(ob, "ppid", p->ppid);
	if (known & QP_COMM)
		o_comm(ob, "comm", p->comm);
	if (known & QP_EXE) {
		jw_cstr(ob, "exe", p->exe);
		if (p->truncated & QPT_EXE)
			jw_bool(ob, "exe_truncated", 1);
	}
	if (p->truncated & QPT_EXE_DELETED)
		jw_bool(ob, "exe_deleted", 1);
	/* As given to execve(2): "./prog", a symlink, a script. */
	if (known & QP_FILENAME) {
		jw_cstr(ob, "filename", p->filename);
		if (p->truncated & QPT_FILENAME)
			jw_bool(ob, "filename_truncated", 1);
	}
	if (known & QP_ARGS) {
		jw_argv(ob, "args", p->args, utf8_whole_len(p->args,
		    p->args_len, p->truncated & QPT_ARGS));
		jw_int(ob, "argc", p->argc);
		jw_u64(ob, "args_size", p->args_total);
		if (p->truncated & QPT_ARGS)
			jw_bool(ob, "args_truncated", 1);
	}
	if (known & QP_CWD) {
		jw_cstr(ob, "cwd", p->cwd);
		if (p->truncated & QPT_CWD)
			jw_bool(ob, "cwd_truncated", 1);
		if (p->truncated & QPT_CWD_DELETED)
			jw_bool(ob, "cwd_deleted", 1);
	}
	if ((known & QP_STATE) && p->state != '\0')
		jw_str(ob, "state", &p->state, 1);
	if (known & QP_KTHREAD)
		jw_bool(ob, "kthread", p->kthread != 0);
	if (known & QP_NTHREADS)
		jw_int(ob, "threads", p->nthreads);
}

/*
 * "previous": the images the process had before its last exec, one per
 * earlier exec of the record, oldest first, as each exec reported them;
 * "previous_dropped": the earlier execs beyond those kept.
 */
static void
o_previous(struct jw *ob, const struct quark_event *ev)
{
	const struct quark_exec	*x;
	uint32_t		 i;

	if (ev == NULL || (ev->nprevious == 0 && ev->nprevious_dropped == 0))
		return;
	jw_abegin(ob, "previous");
	for (i = 0; i < ev->nprevious && i < QUARK_MAX_PREVIOUS; i++) {
		x = &ev->previous[i];
		jw_begin(ob, NULL);
		jw_time(ob, "time", x->time);
		jw_u64(ob, "time_ns", x->time);
		if (x->known & QP_COMM)
			o_comm(ob, "comm", x->comm);
		if (x->known & QP_EXE) {
			jw_cstr(ob, "exe", x->exe);
			if (x->truncated & QPT_EXE)
				jw_bool(ob, "exe_truncated", 1);
			if (x->truncated & QPT_EXE_DELETED)
				jw_bool(ob, "exe_deleted", 1);
		}
		if (x->known & QP_FILENAME) {
			jw_cstr(ob, "filename", x->filename);
			if (x->truncated & QPT_FILENAME)
				jw_bool(ob, "filename_truncated", 1);
		}
		if (x->known & QP_ARGS) {
			jw_argv(ob, "args", x->args, utf8_whole_len(x->args,
			    x->args_len, x->truncated & QPT_ARGS));
			jw_int(ob, "argc", x->argc);
			jw_u64(ob, "args_size", x->args_total);
			if (x->truncated & QPT_ARGS)
				jw_bool(ob, "args_truncated", 1);
		}
		jw_end(ob);
	}
	jw_aend(ob);
	if (ev->nprevious_dropped != 0)
		jw_int(ob, "previous_dropped", ev->nprevious_dropped);
}

/*
 * The process object as key (NULL: the line itself); at: the moment it
 * describes (boot ns), for the names; ev: the record it is of (its
 * earlier images), or NULL.
 */
static void
w_process(struct jw *ob, const char *key, const struct quark_process *p,
    uint64_t at, const struct quark_event *ev)
{
	jw_begin(ob, key);
	o_image(ob, p);
	o_creds(ob, p, at);
	if (p->known & QP_PGID_SID) {
		jw_int(ob, "pgid", p->pgid);
		jw_int(ob, "sid", p->sid);
	}
	o_tty(ob, p);
	if (p->known & QP_START) {
		o_start_time(ob, p);
		if (p->start_ns_raw != 0)
			jw_u64(ob, "start_boottime_ns", p->start_ns_raw);
	}
	o_entity(ob, p);
	if (p->known & QP_CGROUP) {
		jw_cstr(ob, "cgroup", p->cgroup);
		if (p->truncated & QPT_CGROUP)
			jw_bool(ob, "cgroup_truncated", 1);
	}
	o_container(ob, p);
	o_ns_cap(ob, p);
	if (p->known & QP_ENV) {
		jw_argv(ob, "env", p->env, utf8_whole_len(p->env,
		    p->env_len, p->truncated & QPT_ENV));
		jw_int(ob, "envc", p->envc);
		if (p->truncated & QPT_ENV)
			jw_bool(ob, "env_truncated", 1);
	}
	o_exit(ob, p);
	o_previous(ob, ev);
	jw_end(ob);
}

static void
w_parent(struct jw *ob, const char *key, const struct quark_process *p)
{
	jw_begin(ob, key);
	jw_int(ob, "pid", p->pid);
	o_entity(ob, p);
	if (p->known & QP_COMM)
		o_comm(ob, "comm", p->comm);
	if (p->known & QP_EXE)
		jw_cstr(ob, "exe", p->exe);
	if (p->known & QP_ARGS) {
		jw_argv(ob, "args", p->args, utf8_whole_len(p->args,
		    p->args_len, p->truncated & QPT_ARGS));
		jw_int(ob, "argc", p->argc);
	}
	if (p->known & QP_START)
		o_start_time(ob, p);
	if (p->known & QP_CREDS) {
		jw_int(ob, "uid", p->uid);
		jw_int(ob, "euid", p->euid);
	}
	jw_end(ob);
}

static void
w_snapshot(struct jw *ob, const struct quark_process *p,
    const struct quark_process *parent)
{
	uint64_t	now = quark_boot_now();

	jw_reset(ob);
	jw_begin(ob, NULL);
	jw_ascii(ob, "kind", "snapshot");
	jw_time(ob, "time", now);
	w_process(ob, "process", p, now, NULL);
	if (parent != NULL)
		w_parent(ob, "parent", parent);
	jw_end(ob);
}

/* Does the change have an entry in "changes"? */
static int
change_has_entry(const struct quark_change *c)
{
	switch (c->type) {
	case QUARK_EV_SETUID:
	case QUARK_EV_SETGID:
	case QUARK_EV_SETSID:
	case QUARK_EV_COMM:
		return (1);
	case QUARK_EV_EXEC:
		return (c->old_pid != 0);
	default:
		return (0);
	}
}

/* One entry of "changes". */
static void
w_change(struct jw *ob, const struct quark_change *c,
    const struct quark_process *p)
{
	jw_begin(ob, NULL);
	jw_text(ob, "type", quark_event_type_name(c->type));
	jw_time(ob, "time", c->time);
	if (c->tid != 0 && (p == NULL || c->tid != p->pid))
		jw_int(ob, "tid", c->tid);
	switch (c->type) {
	case QUARK_EV_SETUID:
		if (c->known & QUARK_CHK_IDS) {
			jw_int(ob, "uid", c->uid);
			jw_int(ob, "euid", c->euid);
		}
		if (c->known & QUARK_CHK_SAVED)
			jw_int(ob, "suid", c->suid);
		if (c->known & QUARK_CHK_FS)
			jw_int(ob, "fsuid", c->fsuid);
		break;
	case QUARK_EV_SETGID:
		if (c->known & QUARK_CHK_IDS) {
			jw_int(ob, "gid", c->gid);
			jw_int(ob, "egid", c->egid);
		}
		if (c->known & QUARK_CHK_SAVED)
			jw_int(ob, "sgid", c->sgid);
		if (c->known & QUARK_CHK_FS)
			jw_int(ob, "fsgid", c->fsgid);
		break;
	case QUARK_EV_SETSID:
		jw_int(ob, "sid", c->sid);
		break;
	case QUARK_EV_COMM:
		o_comm(ob, "comm", c->comm);
		break;
	case QUARK_EV_EXEC:
		jw_int(ob, "old_pid", c->old_pid);
		break;
	}
	jw_end(ob);
}

static void
o_changes(struct jw *ob, const struct quark_event *ev)
{
	uint32_t	i, n = ev->nchanges, some = 0;

	if (n > QUARK_MAX_CHANGES)
		n = QUARK_MAX_CHANGES;
	jw_abegin(ob, "events");
	for (i = 0; i < n; i++) {
		jw_text(ob, NULL, quark_event_type_name(ev->changes[i].type));
		some |= change_has_entry(&ev->changes[i]);
	}
	jw_aend(ob);
	if (!some)
		return;
	jw_abegin(ob, "changes");
	for (i = 0; i < n; i++)
		if (change_has_entry(&ev->changes[i]))
			w_change(ob, &ev->changes[i], ev->process);
	jw_aend(ob);
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

static void
w_event(struct jw *ob, const struct quark_event *ev)
{
	jw_reset(ob);
	jw_begin(ob, NULL);
	if (ev->kind == QUARK_EVENT_LOST) {
		jw_ascii(ob, "kind", "lost");
		jw_time(ob, "time", ev->time);
		jw_u64(ob, "time_ns", ev->time);
		jw_u64(ob, "lost", ev->lost);
		jw_end(ob);
		return;
	}
	jw_ascii(ob, "kind", "event");
	jw_time(ob, "time", ev->time);
	jw_u64(ob, "time_ns", ev->time);
	o_changes(ob, ev);
	if (ev->flags & QUARK_EVF_LATE)
		jw_bool(ob, "late", 1);
	if (ev->flags & QUARK_EVF_STALE)
		jw_bool(ob, "stale", 1);
	if (ev->flags & QUARK_EVF_THREAD)
		jw_bool(ob, "thread", 1);
	if (ev->flags & QUARK_EVF_FROM_PROC)
		jw_bool(ob, "from_proc", 1);
	if (ev->nchanges_dropped != 0)
		jw_int(ob, "changes_dropped", ev->nchanges_dropped);
	if (ev->process != NULL)
		w_process(ob, "process", ev->process, event_moment(ev), ev);
	if (ev->parent != NULL)
		w_parent(ob, "parent", ev->parent);
	jw_end(ob);
}

/*
 * The stats line (watch --stats, SIGUSR1): the queue's counters in
 * struct quark_stats order, then "features_off" when capture runs
 * without something.
 */
static void
w_stats(struct jw *ob, const struct quark_stats *st)
{
	size_t		i;
	int		altered = 0;

	jw_reset(ob);
	jw_begin(ob, NULL);
	jw_ascii(ob, "kind", "stats");
	jw_strv(ob, "backend", st->backend,
	    strnlen(st->backend, sizeof(st->backend)), &altered);
	if (altered)
		jw_altered(ob, "backend");
	/* Counters as json_pack()'s "I" had them: int64, wrapped. */
	for (i = 0; i < nstats_counters; i++)
		jw_int(ob, stats_counters[i].key, (int64_t)*(const uint64_t *)
		    ((const char *)st + stats_counters[i].off));
	jw_str(ob, "features_off", st->features_off,
	    strnlen(st->features_off, sizeof(st->features_off)));
	jw_end(ob);
}

/* The writer's builder, reused line after line. */
static struct jw	line;

/* Objects for callers that want them: built aside, parsed back. */
static json_t *
parsed(struct jw *ob)
{
	json_t	*j = jw_json(ob);

	jw_free(ob);
	return (j);
}

json_t *
ndjson_process(const struct quark_process *p)
{
	return (ndjson_process_at(p, quark_boot_now()));
}

json_t *
ndjson_process_at(const struct quark_process *p, uint64_t at)
{
	struct jw	ob = { 0 };

	w_process(&ob, NULL, p, at, NULL);
	return (parsed(&ob));
}

json_t *
ndjson_parent(const struct quark_process *p)
{
	struct jw	ob = { 0 };

	w_parent(&ob, NULL, p);
	return (parsed(&ob));
}

json_t *
ndjson_snapshot_json(const struct quark_process *p,
    const struct quark_process *parent)
{
	struct jw	ob = { 0 };

	w_snapshot(&ob, p, parent);
	return (parsed(&ob));
}

json_t *
ndjson_event_json(const struct quark_event *ev)
{
	struct jw	ob = { 0 };

	w_event(&ob, ev);
	return (parsed(&ob));
}

json_t *
ndjson_stats_json(const struct quark_stats *st)
{
	struct jw	ob = { 0 };

	w_stats(&ob, st);
	return (parsed(&ob));
}

int
ndjson_snapshot(int fd, const struct quark_process *p,
    const struct quark_process *parent)
{
	w_snapshot(&line, p, parent);
	return (jw_line(fd, &line));
}

int
ndjson_event(int fd, const struct quark_event *ev)
{
	w_event(&line, ev);
	return (jw_line(fd, &line));
}

int
ndjson_stats(int fd, const struct quark_stats *st)
{
	w_stats(&line, st);
	return (jw_line(fd, &line));
}

void
ndjson_cleanup(void)
{
	jw_free(&line);
	jline_cleanup();
	names_flush();
}

const struct output output_ndjson = {
	.name = "ndjson",
	.desc = "one JSON object per line, quark's schema (quark-schema(7))",
	.snapshot = ndjson_snapshot,
	.event = ndjson_event,
	.stats = ndjson_stats,
	.batch = jline_hold,
	.cleanup = ndjson_cleanup,
};
