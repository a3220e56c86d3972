/*
 * ecs.c - the "ecs" output: one JSON line per record in the Elastic
 * Common Schema (ECS_VERSION), built with json.h.
 *
 * Every fact goes to the ECS field with that meaning; what ECS has no
 * field for (namespaces, the cgroup, exit signal and core dump, the
 * truncation flags, fsuid, the loginuid, late/stale, lost counts) goes
 * under the one custom namespace "quark", never into an ECS name that
 * means something else.  man/quark-schema.7 (ECS OUTPUT) has the table,
 * quark field -> ECS field; tests/ecs-check validates every leaf field
 * against ECS's own definitions (@elastic/ecs's EcsFlat).
 *
 * Not emitted, though ECS has the name: process.interactive (ECS infers
 * it from stdin and stderr being the controlling tty; quark knows the
 * tty, not the descriptors).
 *
 * Strings follow json.h's UTF-8 policy; the fields whose values had to be
 * altered are listed, by their ECS names, in quark.sanitized (ECS objects
 * cannot carry quark's per-object "sanitized" key).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "json.h"
#include "names.h"
#include "output.h"
#include "utf8.h"

/* The ECS release whose field definitions the output follows. */
#define ECS_VERSION	"9.4.0"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* A record being built: the ECS names of the altered fields. */
struct ecs {
	json_t	*san;
	int	 err;
};

/* Moves child's altered keys, named under prefix, into e. */
static void
e_fold(struct ecs *e, struct jobj *child, const char *prefix)
{
	char	 name[128];
	json_t	*v;
	size_t	 i;

	if (child->san == NULL)
		return;
	json_array_foreach(child->san, i, v) {
		snprintf(name, sizeof(name), "%s%s%s", prefix,
		    *prefix != '\0' ? "." : "", json_string_value(v));
		if ((e->san == NULL && (e->san = json_array()) == NULL) ||
		    json_array_append_new(e->san, json_string(name)) == -1)
			e->err = 1;
	}
	json_decref(child->san);
	child->san = NULL;
}

/* e_fold(), then child becomes key of parent, unless it is empty. */
static void
e_obj(struct ecs *e, struct jobj *parent, const char *key,
    struct jobj *child, const char *prefix)
{
	e_fold(e, child, prefix);
	if (child->o != NULL && json_object_size(child->o) == 0 &&
	    !child->err) {
		json_decref(jobj_finish(child));
		return;
	}
	jobj_obj(parent, key, child);
}

/* {"id": "0", "name": "root"}: ECS ids are keywords. */
static void
e_user(struct ecs *e, struct jobj *ob, const char *key, const char *prefix,
    uint32_t id, int group)
{
	struct jobj	u;
	char		pre[64];

	jobj_init(&u);
	snprintf(pre, sizeof(pre), "%" PRIu32, id);
	jobj_set(&u, "id", json_string_nocheck(pre));
	jobj_cstr(&u, "name", group ? names_group(id) : names_user(id));
	snprintf(pre, sizeof(pre), "%s%s%s", prefix, *prefix != '\0' ? "." : "",
	    key);
	e_obj(e, ob, key, &u, pre);
}

/* Capability numbers -> names (capability.h); past the table, digits. */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

static json_t *
e_caps(uint64_t set)
{
	json_t	*a;
	char	 buf[8];
	int	 i;

	if ((a = json_array()) == NULL)
		return (NULL);
	for (i = 0; i < 64; i++) {
		if (!(set & (1ULL << i)))
			continue;
		snprintf(buf, sizeof(buf), "%d", i);
		json_array_append_new(a, json_string_nocheck(
		    (size_t)i < nitems(cap_names) ? cap_names[i] : buf));
	}
	return (a);
}

static void
e_entity(struct jobj *ob, const struct quark_process *p)
{
	char	buf[17];

	if (!(p->known & QP_START) || p->entity_id == 0)
		return;
	snprintf(buf, sizeof(buf), "%016" PRIx64, p->entity_id);
	jobj_set(ob, "entity_id", json_string_nocheck(buf));
}

/* args joined by spaces, as ECS's process.command_line. */
static void
e_command_line(struct jobj *ob, const struct quark_process *p)
{
	char	*s;
	size_t	 i, n;

	n = utf8_whole_len(p->args, p->args_len, p->truncated & QPT_ARGS);
	if (p->args == NULL || n == 0)
		return;
	if ((s = malloc(n)) == NULL) {
		ob->err = 1;
		return;
	}
	memcpy(s, p->args, n);
	if (s[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	jobj_str(ob, "command_line", s, n);
	free(s);
}

/* The process's image: name, executable, args, cwd. */
static void
e_image(struct jobj *ob, struct jobj *q, const struct quark_process *p)
{
	if (p->known & QP_COMM)
		jobj_str(ob, "name", p->comm, strnlen(p->comm, QUARK_COMM_LEN));
	if (p->known & QP_EXE) {
		jobj_cstr(ob, "executable", p->exe);
		if (p->truncated & QPT_EXE)
			jobj_bool(q, "exe_truncated", 1);
	}
	if (p->truncated & QPT_EXE_DELETED)
		jobj_bool(q, "exe_deleted", 1);
	if (p->known & QP_FILENAME)
		jobj_cstr(q, "filename", p->filename);
	if (p->known & QP_ARGS) {
		jobj_argv(ob, "args", p->args, utf8_whole_len(p->args,
		    p->args_len, p->truncated & QPT_ARGS));
		jobj_int(ob, "args_count", p->argc);
		e_command_line(ob, p);
		jobj_u64(q, "args_size", p->args_total);
		if (p->truncated & QPT_ARGS)
			jobj_bool(q, "args_truncated", 1);
	}
	if (p->known & QP_CWD) {
		jobj_cstr(ob, "working_directory", p->cwd);
		if (p->truncated & QPT_CWD)
			jobj_bool(q, "cwd_truncated", 1);
	}
	if ((p->known & QP_STATE) && p->state != '\0')
		jobj_str(q, "state", &p->state, 1);
	if (p->known & QP_KTHREAD)
		jobj_bool(q, "kthread", p->kthread != 0);
	if (p->known & QP_NTHREADS)
		jobj_int(q, "threads", p->nthreads);
}

/* Users and groups: ECS's user is the effective one. */
static void
e_creds(struct ecs *e, struct jobj *ob, struct jobj *q,
    const struct quark_process *p)
{
	if (p->known & QP_CREDS) {
		e_user(e, ob, "user", "process", p->euid, 0);
		e_user(e, ob, "real_user", "process", p->uid, 0);
		e_user(e, ob, "saved_user", "process", p->suid, 0);
		e_user(e, ob, "group", "process", p->egid, 1);
		e_user(e, ob, "real_group", "process", p->gid, 1);
		e_user(e, ob, "saved_group", "process", p->sgid, 1);
	}
	if (p->known & QP_FSCREDS) {
		jobj_int(q, "fsuid", p->fsuid);
		jobj_int(q, "fsgid", p->fsgid);
	}
	/* (u32)-1: no login session (AUDIT_UID_UNSET). */
	if ((p->known & QP_LOGINUID) && p->loginuid != UINT32_MAX)
		jobj_int(q, "loginuid", p->loginuid);
}

static void
e_leaders(struct ecs *e, struct jobj *ob, const struct quark_process *p)
{
	struct jobj	l;

	if (!(p->known & QP_PGID_SID))
		return;
	jobj_init(&l);
	jobj_int(&l, "pid", p->pgid);
	e_obj(e, ob, "group_leader", &l, "process.group_leader");
	jobj_init(&l);
	jobj_int(&l, "pid", p->sid);
	e_obj(e, ob, "session_leader", &l, "process.session_leader");
}

static void
e_tty(struct ecs *e, struct jobj *ob, struct jobj *q,
    const struct quark_process *p)
{
	struct jobj	t, c;
	char		name[32];

	if (!(p->known & QP_TTY) || (p->tty_major == 0 && p->tty_minor == 0))
		return;
	jobj_init(&t);
	jobj_init(&c);
	jobj_int(&c, "major", p->tty_major);
	jobj_int(&c, "minor", p->tty_minor);
	e_obj(e, &t, "char_device", &c, "process.tty.char_device");
	e_obj(e, ob, "tty", &t, "process.tty");
	if (quark_tty_name(p->tty_major, p->tty_minor, name,
	    sizeof(name)) == 0)
		jobj_cstr(q, "tty_name", name);
}

static void
e_ns_cap(struct ecs *e, struct jobj *ob, struct jobj *q,
    const struct quark_process *p)
{
	struct jobj	t, c;
	size_t		i;

	if ((p->known & QP_NS) && p->ns_known != 0) {
		jobj_init(&t);
		for (i = 0; i < QUARK_NS_COUNT; i++)
			if (p->ns_known & (1U << i))
				jobj_u64(&t, quark_ns_name(i), p->ns[i]);
		e_obj(e, q, "ns", &t, "quark.process.ns");
	}
	/* process.thread: the thread's id (when not the leader), its caps. */
	jobj_init(&t);
	if ((p->known & QP_TID) && p->tid != p->pid)
		jobj_int(&t, "id", p->tid);
	if (p->known & QP_CAPS) {
		jobj_init(&c);
		jobj_set(&c, "effective", e_caps(p->cap[QUARK_CAP_EFFECTIVE]));
		jobj_set(&c, "permitted", e_caps(p->cap[QUARK_CAP_PERMITTED]));
		e_obj(e, &t, "capabilities", &c,
		    "process.thread.capabilities");
	}
	e_obj(e, ob, "thread", &t, "process.thread");
	if (!(p->known & QP_CAPS))
		return;
	jobj_init(&c);
	jobj_set(&c, "inheritable", e_caps(p->cap[QUARK_CAP_INHERITABLE]));
	jobj_set(&c, "bounding", e_caps(p->cap[QUARK_CAP_BOUNDING]));
	jobj_set(&c, "ambient", e_caps(p->cap[QUARK_CAP_AMBIENT]));
	e_obj(e, q, "cap", &c, "quark.process.cap");
}

static void
e_exit(struct ecs *e, struct jobj *ob, struct jobj *q,
    const struct quark_process *p)
{
	struct jobj	x;

	if (!(p->known & QP_EXIT))
		return;
	/* Killed by a signal: no exit code, the signal under quark. */
	if (p->exit_signal == 0 && p->exit_code >= 0)
		jobj_int(ob, "exit_code", p->exit_code);
	if (p->exit_ns != 0)
		jobj_time(ob, "end", p->exit_ns);
	jobj_init(&x);
	if (p->exit_signal != 0)
		jobj_int(&x, "signal", p->exit_signal);
	jobj_bool(&x, "core_dumped", p->core_dumped);
	if (p->exit_ns != 0)
		jobj_u64(&x, "time_ns", p->exit_ns);
	e_obj(e, q, "exit", &x, "quark.process.exit");
}

/* process.parent: what the cache knows of the parent. */
static void
e_parent(struct ecs *e, struct jobj *ob, const struct quark_process *p,
    const struct quark_process *pp)
{
	struct jobj	t;

	jobj_init(&t);
	if (pp != NULL) {
		jobj_int(&t, "pid", pp->pid);
		e_entity(&t, pp);
		if (pp->known & QP_COMM)
			jobj_str(&t, "name", pp->comm,
			    strnlen(pp->comm, QUARK_COMM_LEN));
		if (pp->known & QP_EXE)
			jobj_cstr(&t, "executable", pp->exe);
		if (pp->known & QP_ARGS) {
			jobj_argv(&t, "args", pp->args, utf8_whole_len(
			    pp->args, pp->args_len, pp->truncated & QPT_ARGS));
			jobj_int(&t, "args_count", pp->argc);
		}
		if (pp->known & QP_START)
			jobj_time(&t, "start", pp->start_ns);
		if (pp->known & QP_CREDS) {
			e_user(e, &t, "user", "process.parent", pp->euid, 0);
			e_user(e, &t, "real_user", "process.parent", pp->uid,
			    0);
		}
	} else if (p->known & QP_PPID)
		jobj_int(&t, "pid", p->ppid);
	e_obj(e, ob, "parent", &t, "process.parent");
}

/*
 * process.previous (ECS: executable, args and args_count only) and
 * quark.process.previous (the rest), one element each per earlier exec,
 * at the same index; quark.process.previous_dropped.
 */
static void
e_previous(struct ecs *e, struct jobj *ob, struct jobj *q,
    const struct quark_event *ev)
{
	const struct quark_exec	*x;
	struct jobj		 pe, pq;
	json_t			*ae, *aq;
	uint32_t		 i;

	if (ev == NULL || (ev->nprevious == 0 && ev->nprevious_dropped == 0))
		return;
	ae = json_array();
	aq = json_array();
	for (i = 0; i < ev->nprevious && i < QUARK_MAX_PREVIOUS; i++) {
		x = &ev->previous[i];
		jobj_init(&pe);
		jobj_init(&pq);
		jobj_time(&pq, "time", x->time);
		jobj_u64(&pq, "time_ns", x->time);
		if (x->known & QP_COMM)
			jobj_str(&pq, "comm", x->comm,
			    strnlen(x->comm, QUARK_COMM_LEN));
		if (x->known & QP_EXE) {
			jobj_cstr(&pe, "executable", x->exe);
			if (x->truncated & QPT_EXE)
				jobj_bool(&pq, "exe_truncated", 1);
			if (x->truncated & QPT_EXE_DELETED)
				jobj_bool(&pq, "exe_deleted", 1);
		}
		if (x->known & QP_FILENAME) {
			jobj_cstr(&pq, "filename", x->filename);
			if (x->truncated & QPT_FILENAME)
				jobj_bool(&pq, "filename_truncated", 1);
		}
		if (x->known & QP_ARGS) {
			jobj_argv(&pe, "args", x->args, utf8_whole_len(
			    x->args, x->args_len, x->truncated & QPT_ARGS));
			jobj_int(&pe, "args_count", x->argc);
			jobj_u64(&pq, "args_size", x->args_total);
			if (x->truncated & QPT_ARGS)
				jobj_bool(&pq, "args_truncated", 1);
		}
		e_fold(e, &pe, "process.previous");
		e_fold(e, &pq, "quark.process.previous");
		if (json_array_append_new(ae, jobj_finish(&pe)) == -1 ||
		    json_array_append_new(aq, jobj_finish(&pq)) == -1)
			e->err = 1;
	}
	jobj_set(ob, "previous", ae);
	jobj_set(q, "previous", aq);
	if (ev->nprevious_dropped != 0)
		jobj_int(q, "previous_dropped", ev->nprevious_dropped);
}

/* The container the process's cgroups name (QP_CONTAINER). */
static void
e_container(struct ecs *e, struct jobj *rec, const struct quark_process *p)
{
	struct quark_container	c = p->container;
	struct jobj		t;

	if (!(p->known & QP_CONTAINER) || c.id[0] == '\0')
		return;
	c.id[sizeof(c.id) - 1] = '\0';
	jobj_init(&t);
	jobj_cstr(&t, "id", c.id);
	jobj_cstr(&t, "runtime", c.runtime);
	e_obj(e, rec, "container", &t, "container");
}

/*
 * The process object and its quark.process companion; also the
 * top-level user and group (the effective ones, as SIEM rules read them).
 */
static void
e_process(struct ecs *e, struct jobj *rec, struct jobj *quark,
    const struct quark_process *p, const struct quark_process *parent,
    const struct quark_event *ev)
{
	struct jobj	ob, q;

	jobj_init(&ob);
	jobj_init(&q);
	jobj_int(&ob, "pid", p->pid);
	e_entity(&ob, p);
	e_image(&ob, &q, p);
	e_creds(e, &ob, &q, p);
	e_leaders(e, &ob, p);
	e_tty(e, &ob, &q, p);
	if (p->known & QP_START) {
		jobj_time(&ob, "start", p->start_ns);
		if (p->start_ns_raw != 0)
			jobj_u64(&q, "start_boottime_ns", p->start_ns_raw);
	}
	if (p->known & QP_CGROUP) {
		jobj_cstr(&q, "cgroup", p->cgroup);
		if (p->truncated & QPT_CGROUP)
			jobj_bool(&q, "cgroup_truncated", 1);
	}
	e_ns_cap(e, &ob, &q, p);
	if (p->known & QP_ENV) {
		jobj_argv(&ob, "env_vars", p->env, utf8_whole_len(p->env,
		    p->env_len, p->truncated & QPT_ENV));
		jobj_int(&q, "envc", p->envc);
		if (p->truncated & QPT_ENV)
			jobj_bool(&q, "env_truncated", 1);
	}
	e_exit(e, &ob, &q, p);
	e_previous(e, &ob, &q, ev);
	e_parent(e, &ob, p, parent);
	e_obj(e, rec, "process", &ob, "process");
	e_obj(e, quark, "process", &q, "quark.process");
	if (p->known & QP_CREDS) {
		e_user(e, rec, "user", "", p->euid, 0);
		e_user(e, rec, "group", "", p->egid, 1);
	}
	e_container(e, rec, p);
}

static void
e_host(struct ecs *e, struct jobj *rec)
{
	const struct host_info	*hi = host_info();
	struct jobj		 h, o, b;

	jobj_init(&h);
	if (hi->u_ok) {
		jobj_cstr(&h, "hostname", hi->u.nodename);
		jobj_cstr(&h, "name", hi->u.nodename);
		jobj_cstr(&h, "architecture", hi->u.machine);
	}
	jobj_cstr(&h, "id", hi->machine_id);
	jobj_init(&b);
	jobj_cstr(&b, "id", hi->boot_id);
	e_obj(e, &h, "boot", &b, "hi->boot");
	jobj_init(&o);
	jobj_set(&o, "type", json_string_nocheck("linux"));
	if (hi->u_ok)
		jobj_cstr(&o, "kernel", hi->u.release);
	jobj_cstr(&o, "name", hi->os_name);
	jobj_cstr(&o, "version", hi->os_version);
	jobj_cstr(&o, "platform", hi->os_id);
	jobj_cstr(&o, "family", hi->os_like[0] != '\0' ? hi->os_like :
	    hi->os_id);
	jobj_cstr(&o, "full", hi->os_full);
	e_obj(e, &h, "os", &o, "hi->os");
	e_obj(e, rec, "host", &h, "host");
}

/* "@timestamp" (the record's time), ecs, agent, host. */
static void
e_head(struct ecs *e, struct jobj *rec, uint64_t boot_ns)
{
	struct jobj	t;

	jobj_time(rec, "@timestamp", boot_ns);
	jobj_init(&t);
	jobj_set(&t, "version", json_string_nocheck(ECS_VERSION));
	e_obj(e, rec, "ecs", &t, "ecs");
	jobj_init(&t);
	jobj_set(&t, "type", json_string_nocheck("quark"));
	jobj_set(&t, "version", json_string_nocheck(QUARK_VERSION));
	e_obj(e, rec, "agent", &t, "agent");
	e_host(e, rec);
}

/*
 * event: kind, category, type, action, created.  created is when quark
 * wrote the record (ECS: when the agent first read the event).
 */
static void
e_event(struct ecs *e, struct jobj *rec, const char *kind,
    const char *category, const char *const *types, size_t ntypes,
    const char *action)
{
	struct jobj	 ev;
	json_t		*a;
	size_t		 i;

	jobj_init(&ev);
	jobj_set(&ev, "kind", json_string_nocheck(kind));
	jobj_set(&ev, "category", json_pack("[s]", category));
	if ((a = json_array()) == NULL)
		ev.err = 1;
	for (i = 0; a != NULL && i < ntypes; i++)
		json_array_append_new(a, json_string_nocheck(types[i]));
	jobj_set(&ev, "type", a);
	jobj_cstr(&ev, "action", action);
	jobj_time(&ev, "created", quark_boot_now());
	e_obj(e, rec, "event", &ev, "event");
}

/* Ends a record: quark.sanitized last in quark, quark last in the record. */
static json_t *
e_finish(struct ecs *e, struct jobj *rec, struct jobj *quark)
{
	/* The record's own altered keys ("@timestamp") are top-level names. */
	e_fold(e, rec, "");
	if (e->san != NULL) {
		jobj_set(quark, "sanitized", e->san);
		e->san = NULL;
	}
	e_obj(e, rec, "quark", quark, "quark");
	if (e->err)
		rec->err = 1;
	return (jobj_finish(rec));
}

/* What each kind of change is in ECS: event.type, and its rank for action. */
static const struct {
	const char	*type;
	int		 rank;		/* event.action: the highest present */
} ev_map[QUARK_EV_TYPE_COUNT] = {
	[QUARK_EV_FORK]		= { "start",	5 },
	[QUARK_EV_EXEC]		= { "start",	6 },
	[QUARK_EV_EXIT]		= { "end",	4 },
	[QUARK_EV_SETUID]	= { "change",	3 },
	[QUARK_EV_SETGID]	= { "change",	2 },
	[QUARK_EV_SETSID]	= { "change",	1 },
	[QUARK_EV_COMM]		= { "change",	0 },
};

/* quark.changes: the values of set*id/setsid/comm and a thread's exec. */
static void
e_changes(struct ecs *e, struct jobj *quark, const struct quark_event *ev,
    uint32_t n)
{
	const struct quark_change	*c;
	struct jobj			 t;
	json_t				*a;
	uint32_t			 i;

	if ((a = json_array()) == NULL) {
		e->err = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		c = &ev->changes[i];
		if (c->type == QUARK_EV_FORK || c->type == QUARK_EV_EXIT ||
		    (c->type == QUARK_EV_EXEC && c->old_pid == 0))
			continue;
		jobj_init(&t);
		jobj_set(&t, "type", json_string(
		    quark_event_type_name(c->type)));
		jobj_time(&t, "time", c->time);
		switch (c->type) {
		case QUARK_EV_SETUID:
			if (c->known & QUARK_CHK_IDS) {
				jobj_int(&t, "uid", c->uid);
				jobj_int(&t, "euid", c->euid);
			}
			if (c->known & QUARK_CHK_SAVED)
				jobj_int(&t, "suid", c->suid);
			if (c->known & QUARK_CHK_FS)
				jobj_int(&t, "fsuid", c->fsuid);
			break;
		case QUARK_EV_SETGID:
			if (c->known & QUARK_CHK_IDS) {
				jobj_int(&t, "gid", c->gid);
				jobj_int(&t, "egid", c->egid);
			}
			if (c->known & QUARK_CHK_SAVED)
				jobj_int(&t, "sgid", c->sgid);
			if (c->known & QUARK_CHK_FS)
				jobj_int(&t, "fsgid", c->fsgid);
			break;
		case QUARK_EV_SETSID:
			jobj_int(&t, "sid", c->sid);
			break;
		case QUARK_EV_COMM:
			jobj_str(&t, "comm", c->comm,
			    strnlen(c->comm, QUARK_COMM_LEN));
			break;
		case QUARK_EV_EXEC:
			jobj_int(&t, "old_pid", c->old_pid);
			break;
		}
		e_fold(e, &t, "quark.changes");
		json_array_append_new(a, jobj_finish(&t));
	}
	if (json_array_size(a) > 0)
		jobj_set(quark, "changes", a);
	else
		json_decref(a);
}

static json_t *
ecs_event_json(const struct quark_event *ev)
{
	struct ecs	 e = { NULL, 0 };
	struct jobj	 rec, quark;
	const char	*types[QUARK_EV_TYPE_COUNT], *action = NULL;
	json_t		*names;
	size_t		 ntypes = 0, k;
	uint32_t	 i, n = ev->nchanges, t;
	int		 rank = -1;

	jobj_init(&rec);
	jobj_init(&quark);
	e_head(&e, &rec, ev->time);
	if (ev->kind == QUARK_EVENT_LOST) {
		/* A loss is an event about quark itself, counted. */
		static const char *const info[] = { "info" };

		e_event(&e, &rec, "event", "host", info, 1, "lost");
		jobj_u64(&quark, "lost", ev->lost);
		jobj_u64(&quark, "time_ns", ev->time);
		return (e_finish(&e, &rec, &quark));
	}
	if (n > QUARK_MAX_CHANGES)
		n = QUARK_MAX_CHANGES;
	names = json_array();
	for (i = 0; i < n; i++) {
		if ((t = ev->changes[i].type) >= QUARK_EV_TYPE_COUNT)
			continue;
		json_array_append_new(names, json_string(
		    quark_event_type_name(t)));
		for (k = 0; k < ntypes && strcmp(types[k], ev_map[t].type); k++)
			;
		if (k == ntypes)
			types[ntypes++] = ev_map[t].type;
		if (ev_map[t].rank > rank) {
			rank = ev_map[t].rank;
			action = quark_event_type_name(t);
		}
	}
	e_event(&e, &rec, "event", "process", types, ntypes, action);
	if (ev->process != NULL)
		e_process(&e, &rec, &quark, ev->process, ev->parent, ev);
	jobj_set(&quark, "events", names);
	e_changes(&e, &quark, ev, n);
	if (ev->flags & QUARK_EVF_LATE)
		jobj_bool(&quark, "late", 1);
	if (ev->flags & QUARK_EVF_STALE)
		jobj_bool(&quark, "stale", 1);
	if (ev->flags & QUARK_EVF_THREAD)
		jobj_bool(&quark, "thread", 1);
	if (ev->flags & QUARK_EVF_FROM_PROC)
		jobj_bool(&quark, "from_proc", 1);
	if (ev->nchanges_dropped != 0)
		jobj_int(&quark, "changes_dropped", ev->nchanges_dropped);
	jobj_u64(&quark, "time_ns", ev->time);
	return (e_finish(&e, &rec, &quark));
}

/* snapshot and lookup: the state of a process read from /proc. */
static json_t *
ecs_snapshot_json(const struct quark_process *p,
    const struct quark_process *parent)
{
	static const char *const info[] = { "info" };
	struct ecs	 e = { NULL, 0 };
	struct jobj	 rec, quark;

	jobj_init(&rec);
	jobj_init(&quark);
	e_head(&e, &rec, quark_boot_now());
	e_event(&e, &rec, "state", "process", info, 1, "snapshot");
	e_process(&e, &rec, &quark, p, parent, NULL);
	return (e_finish(&e, &rec, &quark));
}

/* The counters (watch --stats): an ECS metric, the values under quark. */
static json_t *
ecs_stats_json(const struct quark_stats *st)
{
	static const char *const info[] = { "info" };
	struct ecs	 e = { NULL, 0 };
	struct jobj	 rec, quark, s;
	size_t		 i;

	jobj_init(&rec);
	jobj_init(&quark);
	jobj_init(&s);
	e_head(&e, &rec, quark_boot_now());
	e_event(&e, &rec, "metric", "host", info, 1, "stats");
	jobj_str(&s, "backend", st->backend,
	    strnlen(st->backend, sizeof(st->backend)));
	for (i = 0; i < nstats_counters; i++)
		jobj_u64(&s, stats_counters[i].key, *(const uint64_t *)
		    ((const char *)st + stats_counters[i].off));
	jobj_str(&s, "features_off", st->features_off,
	    strnlen(st->features_off, sizeof(st->features_off)));
	e_obj(&e, &quark, "stats", &s, "quark.stats");
	return (e_finish(&e, &rec, &quark));
}

static int
ecs_snapshot(int fd, const struct quark_process *p,
    const struct quark_process *parent)
{
	return (jline_put(fd, ecs_snapshot_json(p, parent)));
}

static int
ecs_event(int fd, const struct quark_event *ev)
{
	return (jline_put(fd, ecs_event_json(ev)));
}

static int
ecs_stats(int fd, const struct quark_stats *st)
{
	return (jline_put(fd, ecs_stats_json(st)));
}

static void
ecs_cleanup(void)
{
	jline_cleanup();
	names_flush();
}

const struct output output_ecs = {
	.name = "ecs",
	.desc = "one JSON object per line, Elastic Common Schema " ECS_VERSION,
	.snapshot = ecs_snapshot,
	.event = ecs_event,
	.stats = ecs_stats,
	.batch = jline_hold,
	.cleanup = ecs_cleanup,
};
