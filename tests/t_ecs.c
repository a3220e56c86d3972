/*
 * t_ecs.c - the "ecs" output (output/ecs.c): the ECS field each quark
 * fact lands in, for made-up processes and events through the outputs[]
 * table, one line each.  tests/bats/ecs.bats checks real output against
 * ECS's own field definitions; here are the choices those cannot see:
 * ids as strings, capability names, no exit code for a killed process,
 * "sanitized" only as quark.sanitized with ECS names, event.type and
 * event.action from the events, a loss as an event of its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <jansson.h>

#include "output.h"
#include "test.h"

static const struct output	*ecs;

/* The one line the format writes for ev (or p), parsed; NULL on error. */
static json_t *
line_of(const struct quark_event *ev, const struct quark_process *p)
{
	char	 buf[65536];
	ssize_t	 n;
	size_t	 got = 0;
	int	 fds[2], r;
	json_t	*j;

	if (pipe(fds) == -1)
		return (NULL);
	r = ev != NULL ? ecs->event(fds[1], ev) : ecs->snapshot(fds[1], p, NULL);
	close(fds[1]);
	while (r == 0 && got < sizeof(buf) - 1 &&
	    (n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(fds[0]);
	buf[got] = '\0';
	T_CHECK(r == 0);
	/* One line, whole. */
	T_CHECK(got > 0 && buf[got - 1] == '\n' &&
	    memchr(buf, '\n', got - 1) == NULL);
	j = json_loads(buf, 0, NULL);
	T_CHECK(j != NULL);
	return (j);
}

/* obj at a dotted path ("process.user.id"), or NULL. */
static json_t *
at(json_t *j, const char *path)
{
	char	 key[128];
	size_t	 n;

	while (j != NULL && *path != '\0') {
		n = strcspn(path, ".");
		if (n >= sizeof(key))
			return (NULL);
		memcpy(key, path, n);
		key[n] = '\0';
		j = json_object_get(j, key);
		path += n + (path[n] == '.');
	}
	return (j);
}

static const char *
str_at(json_t *j, const char *path)
{
	return (json_string_value(at(j, path)));
}

/* The strings of the array at path, joined by ",". */
static const char *
list_at(json_t *j, const char *path)
{
	static char	 buf[1024];
	json_t		*v;
	size_t		 i;

	buf[0] = '\0';
	json_array_foreach(at(j, path), i, v) {
		if (i > 0)
			strlcat(buf, ",", sizeof(buf));
		strlcat(buf, json_string_value(v) ? json_string_value(v) : "?",
		    sizeof(buf));
	}
	return (buf);
}

/* No object in j has a key "sanitized" (quark's own): ECS objects can't. */
static int
no_sanitized_key(json_t *j, int top)
{
	const char	*k;
	json_t		*v;

	if (!json_is_object(j))
		return (1);
	json_object_foreach(j, k, v) {
		if (strcmp(k, "sanitized") == 0 && !top)
			return (0);
		if (!no_sanitized_key(v, strcmp(k, "quark") == 0))
			return (0);
	}
	return (1);
}

static char args[] = "sh\0-c\0exit 3\0";

static void
process(struct quark_process *p)
{
	memset(p, 0, sizeof(*p));
	p->known = QP_PPID | QP_COMM | QP_EXE | QP_ARGS | QP_CWD | QP_CREDS |
	    QP_FSCREDS | QP_PGID_SID | QP_START | QP_CAPS | QP_EXIT | QP_TID |
	    QP_NS | QP_CONTAINER;
	p->pid = 100;
	p->tid = 101;
	p->ppid = 1;
	p->pgid = 100;
	p->sid = 90;
	strcpy(p->comm, "sh");
	p->exe = "/usr/bin/dash";
	p->cwd = "/tmp";
	p->args = args;
	p->args_len = sizeof(args) - 1;
	p->argc = 3;
	p->args_total = sizeof(args) - 1;
	p->uid = 1001;
	p->euid = 1000;
	p->suid = 1002;
	p->gid = 2001;
	p->egid = 2000;
	p->sgid = 2002;
	p->cap[QUARK_CAP_EFFECTIVE] = (1ULL << 21) | (1ULL << 39) |
	    (1ULL << 45);
	p->cap[QUARK_CAP_PERMITTED] = 1ULL << 0;
	p->start_ns = 5000000000ULL;
	p->exit_code = 3;
	p->exit_ns = 6000000000ULL;
	p->entity_id = 0xabcULL;
	p->ns_known = 1 << QUARK_NS_PID;
	p->ns[QUARK_NS_PID] = 4026531836ULL;
	strcpy(p->container.id, "0123abcd");
	p->container.runtime = "docker";
}

static void
t_process_fields(void)
{
	struct quark_process	p;
	struct quark_event	ev;
	json_t			*j;

	T_CASE("process fields");
	process(&p);
	memset(&ev, 0, sizeof(ev));
	ev.kind = QUARK_EVENT_PROCESS;
	ev.time = 5000000000ULL;
	ev.nchanges = 3;
	ev.changes[0].type = QUARK_EV_FORK;
	ev.changes[1].type = QUARK_EV_EXEC;
	ev.changes[2].type = QUARK_EV_EXIT;
	ev.process = &p;
	if ((j = line_of(&ev, NULL)) == NULL)
		return;
	T_EQ_STR(str_at(j, "ecs.version"), "9.4.0");
	T_EQ_STR(str_at(j, "event.kind"), "event");
	T_EQ_STR(list_at(j, "event.category"), "process");
	T_EQ_STR(list_at(j, "event.type"), "start,end");
	T_EQ_STR(str_at(j, "event.action"), "exec");
	T_EQ_STR(list_at(j, "quark.events"), "fork,exec,exit");
	T_EQ_INT(json_integer_value(at(j, "process.pid")), 100);
	T_EQ_INT(json_integer_value(at(j, "process.thread.id")), 101);
	T_EQ_INT(json_integer_value(at(j, "process.parent.pid")), 1);
	T_EQ_STR(str_at(j, "process.name"), "sh");
	T_EQ_STR(str_at(j, "process.executable"), "/usr/bin/dash");
	T_EQ_STR(list_at(j, "process.args"), "sh,-c,exit 3");
	T_EQ_STR(str_at(j, "process.command_line"), "sh -c exit 3");
	T_EQ_INT(json_integer_value(at(j, "process.args_count")), 3);
	T_EQ_STR(str_at(j, "process.working_directory"), "/tmp");
	/* ECS ids are keywords: strings.  user is the effective one. */
	T_EQ_STR(str_at(j, "process.user.id"), "1000");
	T_EQ_STR(str_at(j, "process.real_user.id"), "1001");
	T_EQ_STR(str_at(j, "process.saved_user.id"), "1002");
	T_EQ_STR(str_at(j, "process.group.id"), "2000");
	T_EQ_STR(str_at(j, "process.real_group.id"), "2001");
	T_EQ_STR(str_at(j, "process.saved_group.id"), "2002");
	T_EQ_STR(str_at(j, "user.id"), "1000");
	T_EQ_STR(str_at(j, "group.id"), "2000");
	T_EQ_INT(json_integer_value(at(j, "quark.process.fsuid")), 0);
	T_EQ_INT(json_integer_value(at(j, "process.group_leader.pid")), 100);
	T_EQ_INT(json_integer_value(at(j, "process.session_leader.pid")), 90);
	T_EQ_STR(str_at(j, "process.entity_id"), "0000000000000abc");
	/* Names; a bit without one is its number. */
	T_EQ_STR(list_at(j, "process.thread.capabilities.effective"),
	    "CAP_SYS_ADMIN,CAP_BPF,45");
	T_EQ_STR(list_at(j, "process.thread.capabilities.permitted"),
	    "CAP_CHOWN");
	T_EQ_STR(list_at(j, "quark.process.cap.ambient"), "");
	T_EQ_INT(json_integer_value(at(j, "process.exit_code")), 3);
	T_CHECK(str_at(j, "process.end") != NULL);
	T_CHECK(at(j, "quark.process.exit.signal") == NULL);
	T_EQ_INT(json_integer_value(at(j, "quark.process.ns.pid")),
	    4026531836LL);
	T_EQ_STR(str_at(j, "container.id"), "0123abcd");
	T_EQ_STR(str_at(j, "container.runtime"), "docker");
	T_EQ_STR(str_at(j, "agent.type"), "quark");
	T_EQ_STR(str_at(j, "host.os.type"), "linux");
	/* Not emitted: ECS defines it by the descriptors quark does not read. */
	T_CHECK(at(j, "process.interactive") == NULL);
	T_CHECK(at(j, "quark.sanitized") == NULL);
	T_CHECK(no_sanitized_key(j, 0));
	json_decref(j);
}

static void
t_killed_sanitized(void)
{
	struct quark_process	p;
	struct quark_event	ev;
	json_t			*j;

	T_CASE("killed, sanitized, u64 out of range");
	process(&p);
	p.exit_code = -1;
	p.exit_signal = 9;
	p.core_dumped = 1;
	p.tid = p.pid;
	strcpy(p.comm, "a\xff");
	p.exe = "/x/\xfe";
	p.ns[QUARK_NS_PID] = UINT64_MAX;
	memset(&ev, 0, sizeof(ev));
	ev.kind = QUARK_EVENT_PROCESS;
	ev.time = 5000000000ULL;
	ev.nchanges = 1;
	ev.changes[0].type = QUARK_EV_EXIT;
	ev.process = &p;
	if ((j = line_of(&ev, NULL)) == NULL)
		return;
	/* Killed: no exit code at all, not a made-up one. */
	T_CHECK(at(j, "process.exit_code") == NULL);
	T_EQ_INT(json_integer_value(at(j, "quark.process.exit.signal")), 9);
	T_CHECK(json_is_true(at(j, "quark.process.exit.core_dumped")));
	T_EQ_STR(list_at(j, "event.type"), "end");
	T_EQ_STR(str_at(j, "event.action"), "exit");
	/* The leader: no thread id. */
	T_CHECK(at(j, "process.thread.id") == NULL);
	T_EQ_STR(str_at(j, "process.name"), "a\xef\xbf\xbd");
	/* By their ECS names, in no particular order. */
	T_EQ_INT(json_array_size(at(j, "quark.sanitized")), 3);
	T_CHECK(strstr(list_at(j, "quark.sanitized"), "process.name") != NULL);
	T_CHECK(strstr(list_at(j, "quark.sanitized"), "process.executable") !=
	    NULL);
	T_CHECK(strstr(list_at(j, "quark.sanitized"), "quark.process.ns.pid") !=
	    NULL);
	T_CHECK(at(j, "quark.process.ns.pid") == NULL);
	T_CHECK(no_sanitized_key(j, 0));
	json_decref(j);
}

static void
t_changes_lost_snapshot(void)
{
	struct quark_process	p;
	struct quark_event	ev;
	json_t			*j;

	T_CASE("a setuid alone");
	process(&p);
	memset(&ev, 0, sizeof(ev));
	ev.kind = QUARK_EVENT_PROCESS;
	ev.time = 5000000000ULL;
	ev.flags = QUARK_EVF_LATE | QUARK_EVF_FROM_PROC;
	ev.nchanges = 2;
	ev.changes[0].type = QUARK_EV_SETUID;
	ev.changes[0].euid = 7;
	ev.changes[0].known = QUARK_CHK_IDS;	/* only uid, euid said */
	ev.changes[1].type = QUARK_EV_COMM;
	strcpy(ev.changes[1].comm, "new");
	ev.process = &p;
	if ((j = line_of(&ev, NULL)) != NULL) {
		T_EQ_STR(list_at(j, "event.type"), "change");
		T_EQ_STR(str_at(j, "event.action"), "setuid");
		T_EQ_INT(json_array_size(at(j, "quark.changes")), 2);
		T_EQ_INT(json_integer_value(json_object_get(json_array_get(
		    at(j, "quark.changes"), 0), "euid")), 7);
		T_CHECK(json_object_get(json_array_get(at(j, "quark.changes"),
		    0), "suid") == NULL);
		T_CHECK(json_is_true(at(j, "quark.late")));
		T_CHECK(json_is_true(at(j, "quark.from_proc")));
		T_CHECK(at(j, "quark.stale") == NULL);
		json_decref(j);
	}

	T_CASE("a loss");
	memset(&ev, 0, sizeof(ev));
	ev.kind = QUARK_EVENT_LOST;
	ev.time = 5000000000ULL;
	ev.lost = 7;
	if ((j = line_of(&ev, NULL)) != NULL) {
		T_EQ_STR(str_at(j, "event.kind"), "event");
		T_EQ_STR(list_at(j, "event.category"), "host");
		T_EQ_STR(str_at(j, "event.action"), "lost");
		T_EQ_INT(json_integer_value(at(j, "quark.lost")), 7);
		T_CHECK(at(j, "process") == NULL);
		T_CHECK(str_at(j, "@timestamp") != NULL);
		json_decref(j);
	}

	T_CASE("a snapshot");
	process(&p);
	p.known &= ~QP_EXIT;
	if ((j = line_of(NULL, &p)) != NULL) {
		T_EQ_STR(str_at(j, "event.kind"), "state");
		T_EQ_STR(list_at(j, "event.type"), "info");
		T_EQ_STR(str_at(j, "event.action"), "snapshot");
		T_CHECK(at(j, "process.end") == NULL);
		T_CHECK(at(j, "quark.events") == NULL);
		json_decref(j);
	}
}

static char prev_args[] = "sh\0-c\0exec env true\0";

/*
 * A process that exec'd three times: its earlier images in
 * process.previous (executable, args, args_count: ECS's) and, at the
 * same index, quark.process.previous (the rest).
 */
static void
t_previous(void)
{
	struct quark_process	p;
	struct quark_event	ev;
	struct quark_exec	x[2];
	json_t			*j, *e0, *q0, *q1;

	T_CASE("previous images: ECS's fields in process.previous, the rest "
	    "in quark.process.previous");
	process(&p);
	memset(x, 0, sizeof(x));
	x[0].time = 5000000000ULL;
	x[0].known = QP_EXE | QP_FILENAME | QP_ARGS | QP_COMM;
	x[0].truncated = QPT_EXE_DELETED | QPT_ARGS;
	x[0].exe = "/usr/bin/da\xffsh";
	x[0].filename = "/bin/sh";
	strcpy(x[0].comm, "sh");
	x[0].args = prev_args;
	x[0].args_len = sizeof(prev_args) - 1;
	x[0].args_total = 9000;
	x[0].argc = 3;
	x[1].time = 5000000001ULL;	/* an exec that said nothing */
	memset(&ev, 0, sizeof(ev));
	ev.kind = QUARK_EVENT_PROCESS;
	ev.time = 5000000000ULL;
	ev.nchanges = 3;
	ev.changes[0].type = QUARK_EV_EXEC;
	ev.changes[1].type = QUARK_EV_EXEC;
	ev.changes[2].type = QUARK_EV_EXEC;
	ev.process = &p;
	ev.previous = x;
	ev.nprevious = 2;
	ev.nprevious_dropped = 5;
	if ((j = line_of(&ev, NULL)) == NULL)
		return;
	T_EQ_STR(list_at(j, "quark.events"), "exec,exec,exec");
	T_EQ_INT(json_array_size(at(j, "process.previous")), 2);
	T_EQ_INT(json_array_size(at(j, "quark.process.previous")), 2);
	e0 = json_array_get(at(j, "process.previous"), 0);
	q0 = json_array_get(at(j, "quark.process.previous"), 0);
	q1 = json_array_get(at(j, "quark.process.previous"), 1);
	T_EQ_STR(str_at(e0, "executable"), "/usr/bin/da\xef\xbf\xbdsh");
	T_EQ_STR(list_at(e0, "args"), "sh,-c,exec env true");
	T_EQ_INT(json_integer_value(at(e0, "args_count")), 3);
	T_EQ_INT(json_object_size(e0), 3);
	T_EQ_STR(str_at(q0, "filename"), "/bin/sh");
	T_EQ_STR(str_at(q0, "comm"), "sh");
	T_EQ_INT(json_integer_value(at(q0, "args_size")), 9000);
	T_CHECK(json_is_true(at(q0, "args_truncated")));
	T_CHECK(json_is_true(at(q0, "exe_deleted")));
	T_CHECK(at(q0, "exe_truncated") == NULL);
	T_EQ_INT(json_integer_value(at(q0, "time_ns")), 5000000000LL);
	T_CHECK(str_at(q0, "time") != NULL);
	/* An exec that reported nothing: its time, nothing made up. */
	T_EQ_INT(json_object_size(json_array_get(at(j, "process.previous"),
	    1)), 0);
	T_EQ_INT(json_object_size(q1), 2);
	T_EQ_INT(json_integer_value(at(j,
	    "quark.process.previous_dropped")), 5);
	T_EQ_STR(list_at(j, "quark.sanitized"), "process.previous.executable");
	T_CHECK(no_sanitized_key(j, 0));
	json_decref(j);
}

int
main(void)
{
	if ((ecs = output_find("ecs")) == NULL) {
		T_CHECK(!"no ecs in outputs[]");
		return (t_done());
	}
	t_process_fields();
	t_killed_sanitized();
	t_changes_lost_snapshot();
	t_previous();
	ecs->cleanup();
	return (t_done());
}
