/*
 * t_ndjson.c - the NDJSON writer: exact lines for known processes and
 * events, absent keys for unknown fields, argv splitting, the UTF-8
 * policy in records, huge values, EPIPE and one write per line.
 *
 * Times depend on the running clock (boot -> wall offset): they are
 * checked for format, then removed before comparing the rest exactly.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ndjson.h"
#include "output.h"
#include "test.h"

#define TIME_RE	"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}" \
		"\\.[0-9]{9}Z$"

static int
time_ok(json_t *v)
{
	regex_t	re;
	int	ok;

	if (!json_is_string(v))
		return (0);
	if (regcomp(&re, TIME_RE, REG_EXTENDED | REG_NOSUB) != 0)
		return (0);
	ok = regexec(&re, json_string_value(v), 0, NULL, 0) == 0;
	regfree(&re);
	return (ok);
}

/* Check the format of obj[key] (a time), then delete it. */
static void
take_time(json_t *obj, const char *key)
{
	T_CHECK(time_ok(json_object_get(obj, key)));
	json_object_del(obj, key);
}

/* Compact dump, for exact comparison. The caller frees. */
static char *
dump(json_t *j)
{
	return (j == NULL ? NULL : json_dumps(j, JSON_COMPACT));
}

static void
check_dump(json_t *j, const char *want)
{
	char	*s = dump(j);

	T_EQ_STR(s, want);
	free(s);
}

static char full_args[] = "bash\0-c\0\0echo hi\0";

static void
full_process(struct quark_process *p)
{
	memset(p, 0, sizeof(*p));
	p->known = QP_PPID | QP_COMM | QP_EXE | QP_ARGS | QP_CWD | QP_CREDS |
	    QP_FSCREDS | QP_PGID_SID | QP_TTY | QP_START | QP_CAPS | QP_NS |
	    QP_CGROUP | QP_STATE | QP_NTHREADS | QP_EXIT | QP_KTHREAD |
	    QP_TID | QP_LOGINUID | QP_FILENAME;
	p->truncated = QPT_EXE | QPT_ARGS | QPT_CWD | QPT_CGROUP |
	    QPT_EXE_DELETED | QPT_CWD_DELETED | QPT_FILENAME;
	p->pid = 42;
	p->tid = 43;
	p->ppid = 1;
	p->pgid = 42;
	p->sid = 40;
	p->nthreads = 3;
	p->state = 'S';
	p->kthread = 0;
	strcpy(p->comm, "bash");
	p->exe = "/usr/bin/bash (deleted)";
	p->filename = "./bash";
	p->cwd = "/root";
	p->cgroup = "/user.slice/user-0.slice/session-1.scope";
	p->args = full_args;
	p->args_len = sizeof(full_args) - 1;
	p->args_total = 100;
	p->argc = 5;
	p->uid = p->gid = p->euid = p->egid = 0;
	p->suid = 1;
	p->sgid = 2;
	p->fsuid = 3;
	p->fsgid = 4;
	p->loginuid = 1000;
	p->cap[QUARK_CAP_INHERITABLE] = 0;
	p->cap[QUARK_CAP_PERMITTED] = 0x1ffffffffffULL;
	p->cap[QUARK_CAP_EFFECTIVE] = 0x1ffffffffffULL;
	p->cap[QUARK_CAP_BOUNDING] = UINT64_MAX;
	p->cap[QUARK_CAP_AMBIENT] = 0x20;
	p->tty_major = 136;
	p->tty_minor = 3;
	p->start_ns = 5000000000ULL;
	p->start_ns_raw = 5001234567ULL;
	p->ns_known = (1 << QUARK_NS_PID) | (1 << QUARK_NS_MNT) |
	    (1 << QUARK_NS_USER);
	p->ns[QUARK_NS_PID] = 4026531836ULL;
	p->ns[QUARK_NS_MNT] = 4026531841ULL;
	p->ns[QUARK_NS_NET] = 999;	/* not in ns_known: absent */
	p->ns[QUARK_NS_USER] = 4026531837ULL;
	p->exit_code = 3;
	p->exit_signal = 0;
	p->core_dumped = 0;
	p->exit_ns = 6000000000ULL;
	p->entity_id = 0x0123456789abcdefULL;
}

static const char full_want[] =
    "{\"pid\":42,\"tid\":43,\"ppid\":1,\"comm\":\"bash\","
    "\"exe\":\"/usr/bin/bash (deleted)\",\"exe_truncated\":true,"
    "\"exe_deleted\":true,\"filename\":\"./bash\",\"filename_truncated\":true,"
    "\"args\":[\"bash\",\"-c\",\"\",\"echo hi\"],"
    "\"argc\":5,\"args_size\":100,\"args_truncated\":true,"
    "\"cwd\":\"/root\",\"cwd_truncated\":true,\"cwd_deleted\":true,\"state\":\"S\","
    "\"kthread\":false,\"threads\":3,"
    "\"uid\":0,\"gid\":0,\"euid\":0,\"egid\":0,\"suid\":1,\"sgid\":2,"
    "\"fsuid\":3,\"fsgid\":4,\"user\":\"root\",\"group\":\"root\","
    "\"euser\":\"root\",\"egroup\":\"root\",\"loginuid\":1000,"
    "\"pgid\":42,\"sid\":40,"
    "\"tty\":{\"major\":136,\"minor\":3,\"name\":\"pts/3\"},"
    "\"start_boottime_ns\":5001234567,\"entity_id\":\"0123456789abcdef\","
    "\"cgroup\":\"/user.slice/user-0.slice/session-1.scope\","
    "\"cgroup_truncated\":true,"
    "\"ns\":{\"pid\":4026531836,\"mnt\":4026531841,\"user\":4026531837},"
    "\"cap\":{\"inheritable\":\"0x0000000000000000\","
    "\"permitted\":\"0x000001ffffffffff\","
    "\"effective\":\"0x000001ffffffffff\","
    "\"bounding\":\"0xffffffffffffffff\","
    "\"ambient\":\"0x0000000000000020\"},"
    "\"exit\":{\"code\":3,\"core_dumped\":false,\"time_ns\":6000000000}}";

static void
test_full(void)
{
	struct quark_process	 p;
	json_t			*j;
	const char		*k, *prev = NULL;
	void			*it;
	int			 ordered = 1;

	T_CASE("full process");
	full_process(&p);
	j = ndjson_process(&p);
	T_CHECK(j != NULL);
	if (j == NULL)
		return;
	/* start_time sits between tty and start_boottime_ns. */
	for (it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
		k = json_object_iter_key(it);
		if (strcmp(k, "start_boottime_ns") == 0)
			ordered = prev != NULL && strcmp(prev, "start_time") == 0;
		prev = k;
	}
	T_CHECK(ordered);
	take_time(j, "start_time");
	take_time(json_object_get(j, "exit"), "time");
	check_dump(j, full_want);
	json_decref(j);
}

static void
test_unknown(void)
{
	struct quark_process	 p;
	json_t			*j;

	T_CASE("unknown fields absent");
	memset(&p, 0, sizeof(p));
	p.pid = 7;
	/* Values present in the struct but not known: never printed. */
	strcpy(p.comm, "ghost");
	p.exe = "/bin/ghost";
	p.filename = "./ghost";
	p.uid = 0;
	p.entity_id = 99;
	j = ndjson_process(&p);
	check_dump(j, "{\"pid\":7}");
	json_decref(j);

	T_CASE("known but empty strings, no tty, unset loginuid");
	p.known = QP_EXE | QP_CWD | QP_CGROUP | QP_TTY | QP_LOGINUID |
	    QP_NS | QP_START | QP_FILENAME;
	p.exe = NULL;
	p.filename = "";
	p.cwd = "";
	p.cgroup = NULL;
	p.loginuid = UINT32_MAX;
	p.entity_id = 0;
	p.start_ns = 1;
	j = ndjson_process(&p);
	T_CHECK(j != NULL && json_object_size(j) == 2);
	if (j != NULL)
		take_time(j, "start_time");
	check_dump(j, "{\"pid\":7}");
	json_decref(j);

	T_CASE("parent subset");
	full_process(&p);
	j = ndjson_parent(&p);
	if (j != NULL)
		take_time(j, "start_time");
	check_dump(j, "{\"pid\":42,\"entity_id\":\"0123456789abcdef\","
	    "\"comm\":\"bash\",\"exe\":\"/usr/bin/bash (deleted)\","
	    "\"args\":[\"bash\",\"-c\",\"\",\"echo hi\"],\"argc\":5,"
	    "\"uid\":0,\"euid\":0}");
	json_decref(j);
}

static const struct {
	const char	*name;
	const char	*buf;
	size_t		 len;
	const char	*want;
} argv_cases[] = {
#define A(n, b, w)	{ n, b, sizeof(b) - 1, w }
	A("empty",		"",		"[]"),
	A("one",		"ls\0",		"[\"ls\"]"),
	A("one empty arg",	"\0",		"[\"\"]"),
	A("two empty args",	"\0\0",		"[\"\",\"\"]"),
	A("empty in middle",	"a\0\0b\0",	"[\"a\",\"\",\"b\"]"),
	A("no final NUL",	"a\0b",		"[\"a\",\"b\"]"),
	A("escapes",		"a\"b\\c\nd\0",	"[\"a\\\"b\\\\c\\nd\"]"),
	A("control",		"\x1b[1m\0",	"[\"\\u001B[1m\"]"),
#undef A
};

static void
test_argv(void)
{
	struct quark_process	 p;
	json_t			*j;
	size_t			 i;

	for (i = 0; i < sizeof(argv_cases) / sizeof(argv_cases[0]); i++) {
		T_CASE(argv_cases[i].name);
		memset(&p, 0, sizeof(p));
		p.known = QP_ARGS;
		p.args = (char *)argv_cases[i].buf;
		p.args_len = argv_cases[i].len;
		j = ndjson_process(&p);
		check_dump(json_object_get(j, "args"), argv_cases[i].want);
		T_CHECK(json_object_get(j, "sanitized") == NULL);
		json_decref(j);
	}
}

static void
test_sanitized(void)
{
	struct quark_process	 p;
	json_t			*j;
	static char		 args[] = "ok\0bad\xff\0";

	T_CASE("invalid utf-8 is replaced and marked");
	memset(&p, 0, sizeof(p));
	p.pid = 1;
	p.known = QP_COMM | QP_EXE | QP_ARGS | QP_CWD | QP_FILENAME;
	memcpy(p.comm, "x\xc3(\n", 5);
	p.exe = "/tmp/\xed\xa0\x80";
	p.filename = "./\xc0\xafx";	/* an overlong '/' */
	p.cwd = "/ok/\xe2\x82\xac";
	p.args = args;
	p.args_len = sizeof(args) - 1;
	p.argc = 2;
	p.args_total = p.args_len;
	j = ndjson_process(&p);
	check_dump(j, "{\"pid\":1,\"comm\":\"x\xef\xbf\xbd(\\n\","
	    "\"exe\":\"/tmp/\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
	    "\"filename\":\"./\xef\xbf\xbd\xef\xbf\xbdx\","
	    "\"args\":[\"ok\",\"bad\xef\xbf\xbd\"],\"argc\":2,"
	    "\"args_size\":8,\"cwd\":\"/ok/\xe2\x82\xac\","
	    "\"sanitized\":[\"comm\",\"exe\",\"filename\",\"args\"]}");
	json_decref(j);
}

static void
test_huge(void)
{
	struct quark_process	 p;
	json_t			*j, *a;
	size_t			 len = 1024 * 1024;
	char			*buf;

	T_CASE("1 MiB argument intact");
	buf = malloc(len + 3);
	buf[0] = 'x';
	buf[1] = '\0';
	memset(buf + 2, 'A', len);
	buf[len + 2] = '\0';
	memset(&p, 0, sizeof(p));
	p.known = QP_ARGS;
	p.args = buf;
	p.args_len = len + 3;
	p.argc = 2;
	j = ndjson_process(&p);
	a = json_array_get(json_object_get(j, "args"), 1);
	T_EQ_INT(json_array_size(json_object_get(j, "args")), 2);
	T_EQ_INT(json_string_length(a), len);
	T_CHECK(a != NULL && memcmp(json_string_value(a), buf + 2, len) == 0);
	json_decref(j);
	free(buf);
}

static void
test_exit(void)
{
	struct quark_process	 p;
	json_t			*j;

	T_CASE("killed by a signal: no code");
	memset(&p, 0, sizeof(p));
	p.known = QP_EXIT;
	p.exit_code = -1;
	p.exit_signal = 9;
	p.core_dumped = 0;
	j = ndjson_process(&p);
	check_dump(json_object_get(j, "exit"),
	    "{\"signal\":9,\"core_dumped\":false}");
	json_decref(j);

	T_CASE("core dump");
	p.exit_signal = 11;
	p.core_dumped = 1;
	j = ndjson_process(&p);
	check_dump(json_object_get(j, "exit"),
	    "{\"signal\":11,\"core_dumped\":true}");
	json_decref(j);

	T_CASE("exit 0 is a code");
	p.exit_code = 0;
	p.exit_signal = 0;
	p.core_dumped = 0;
	j = ndjson_process(&p);
	check_dump(json_object_get(j, "exit"),
	    "{\"code\":0,\"core_dumped\":false}");
	json_decref(j);
}

static void
test_event(void)
{
	struct quark_event	 ev;
	struct quark_process	 p, parent;
	json_t			*j, *c;

	T_CASE("event record");
	memset(&ev, 0, sizeof(ev));
	memset(&p, 0, sizeof(p));
	memset(&parent, 0, sizeof(parent));
	p.pid = 100;
	parent.pid = 1;
	ev.kind = QUARK_EVENT_PROCESS;
	ev.flags = QUARK_EVF_LATE | QUARK_EVF_STALE | QUARK_EVF_FROM_PROC;
	ev.time = 1000;
	ev.nchanges = 5;
	ev.nchanges_dropped = 2;
	ev.changes[0].type = QUARK_EV_FORK;
	ev.changes[0].time = 1000;
	ev.changes[1].type = QUARK_EV_EXEC;
	ev.changes[1].time = 2000;
	ev.changes[1].tid = 101;
	ev.changes[1].old_pid = 101;
	ev.changes[2].type = QUARK_EV_SETUID;
	ev.changes[2].time = 3000;
	ev.changes[2].tid = 100;
	ev.changes[2].uid = 1;
	ev.changes[2].euid = 2;
	ev.changes[2].suid = 3;
	ev.changes[2].fsuid = 4;
	ev.changes[2].known = QUARK_CHK_IDS | QUARK_CHK_SAVED | QUARK_CHK_FS;
	ev.changes[3].type = QUARK_EV_COMM;
	ev.changes[3].time = 4000;
	strcpy(ev.changes[3].comm, "new\xff");
	ev.changes[4].type = QUARK_EV_EXIT;
	ev.changes[4].time = 5000;
	ev.process = &p;
	ev.parent = &parent;
	j = ndjson_event_json(&ev);
	T_CHECK(j != NULL);
	if (j == NULL)
		return;
	take_time(j, "time");
	c = json_object_get(j, "changes");
	T_EQ_INT(json_array_size(c), 3);
	take_time(json_array_get(c, 0), "time");
	take_time(json_array_get(c, 1), "time");
	take_time(json_array_get(c, 2), "time");
	check_dump(j, "{\"kind\":\"event\",\"time_ns\":1000,"
	    "\"events\":[\"fork\",\"exec\",\"setuid\",\"comm\",\"exit\"],"
	    "\"changes\":[{\"type\":\"exec\",\"tid\":101,\"old_pid\":101},"
	    "{\"type\":\"setuid\",\"uid\":1,\"euid\":2,\"suid\":3,"
	    "\"fsuid\":4},"
	    "{\"type\":\"comm\",\"comm\":\"new\xef\xbf\xbd\","
	    "\"sanitized\":[\"comm\"]}],"
	    "\"late\":true,\"stale\":true,\"from_proc\":true,"
	    "\"changes_dropped\":2,"
	    "\"process\":{\"pid\":100},\"parent\":{\"pid\":1}}");
	json_decref(j);

	T_CASE("a setuid whose saved and fs ids are unknown: not shown");
	ev.flags = 0;
	ev.nchanges = 3;
	ev.nchanges_dropped = 0;
	ev.changes[2].known = QUARK_CHK_IDS;
	j = ndjson_event_json(&ev);
	c = j != NULL ? json_object_get(j, "changes") : NULL;
	T_EQ_INT(json_array_size(c), 2);
	if (c != NULL) {
		take_time(j, "time");
		take_time(json_array_get(c, 0), "time");
		take_time(json_array_get(c, 1), "time");
	}
	check_dump(j, "{\"kind\":\"event\",\"time_ns\":1000,"
	    "\"events\":[\"fork\",\"exec\",\"setuid\"],"
	    "\"changes\":[{\"type\":\"exec\",\"tid\":101,\"old_pid\":101},"
	    "{\"type\":\"setuid\",\"uid\":1,\"euid\":2}],"
	    "\"process\":{\"pid\":100},\"parent\":{\"pid\":1}}");
	json_decref(j);
	ev.changes[2].known = 0;
	j = ndjson_event_json(&ev);
	c = j != NULL ? json_object_get(j, "changes") : NULL;
	T_CHECK(json_object_get(json_array_get(c, 1), "uid") == NULL);
	T_CHECK(json_object_get(json_array_get(c, 1), "suid") == NULL);
	json_decref(j);

	T_CASE("plain fork exec exit, thread");
	ev.flags = QUARK_EVF_THREAD;
	ev.nchanges = 2;
	ev.nchanges_dropped = 0;
	ev.changes[1].type = QUARK_EV_EXIT;
	ev.parent = NULL;
	j = ndjson_event_json(&ev);
	if (j != NULL)
		take_time(j, "time");
	check_dump(j, "{\"kind\":\"event\",\"time_ns\":1000,"
	    "\"events\":[\"fork\",\"exit\"],\"thread\":true,"
	    "\"process\":{\"pid\":100}}");
	json_decref(j);

	T_CASE("lost record");
	memset(&ev, 0, sizeof(ev));
	ev.kind = QUARK_EVENT_LOST;
	ev.time = 77;
	ev.lost = 12;
	j = ndjson_event_json(&ev);
	if (j != NULL)
		take_time(j, "time");
	check_dump(j, "{\"kind\":\"lost\",\"time_ns\":77,\"lost\":12}");
	json_decref(j);
}

/*
 * jtime_format() computes the date itself: it must agree with the C
 * library from 1970 to the end of u64 nanoseconds (2554: leap years,
 * centuries, 2100 and 2400).
 */
static void
time_sweep(void)
{
	char		 buf[JTIME_LEN], want[64];
	struct tm	 tm;
	time_t		 t;
	uint64_t	 ns, s;
	int		 bad = 0;

	for (s = 0; s <= UINT64_MAX / 1000000000ULL; s += 86400 + 3601 + 59) {
		ns = s * 1000000000ULL + s % 1000000000ULL;
		if (ns / 1000000000ULL != s)	/* past u64 */
			break;
		t = (time_t)s;
		gmtime_r(&t, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    ".%09lluZ", (unsigned long long)(ns % 1000000000ULL));
		if (jtime_format(ns, buf, sizeof(buf)) != 0 ||
		    strcmp(buf, want) != 0) {
			if (bad++ == 0)
				T_EQ_STR(buf, want);
		}
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(jtime_format(951782400ULL * 1000000000ULL, buf,
	    sizeof(buf)), 0);
	T_EQ_STR(buf, "2000-02-29T00:00:00.000000000Z");
	T_EQ_INT(jtime_format(UINT64_MAX, buf, sizeof(buf)), 0);
	T_EQ_STR(buf, "2554-07-21T23:34:33.709551615Z");
}

static void
test_time_tty(void)
{
	char	buf[JTIME_LEN];

	T_CASE("time format");
	T_EQ_INT(jtime_format(0, buf, sizeof(buf)), 0);
	T_EQ_STR(buf, "1970-01-01T00:00:00.000000000Z");
	T_EQ_INT(jtime_format(1700000000123456789ULL, buf,
	    sizeof(buf)), 0);
	T_EQ_STR(buf, "2023-11-14T22:13:20.123456789Z");
	T_EQ_INT(jtime_format(1700000000000000001ULL, buf, 10), -1);
	T_CASE("time format against gmtime_r + strftime");
	time_sweep();

	T_CASE("tty names");
#define TTY(ma, mi, want) do {						\
	T_EQ_INT(quark_tty_name(ma, mi, buf, sizeof(buf)), 0);		\
	T_EQ_STR(buf, want);						\
} while (0)
	TTY(136, 0, "pts/0");
	TTY(136, 255, "pts/255");
	TTY(137, 4, "pts/260");
	TTY(4, 1, "tty1");
	TTY(4, 63, "tty63");
	TTY(4, 64, "ttyS0");
	TTY(4, 65, "ttyS1");
	TTY(5, 0, "tty");
	TTY(5, 1, "console");
	TTY(188, 2, "ttyUSB2");
#undef TTY
	T_EQ_INT(quark_tty_name(5, 3, buf, sizeof(buf)), -1);
	T_EQ_INT(quark_tty_name(8, 0, buf, sizeof(buf)), -1);
}

static void
test_epipe(void)
{
	int	 fds[2], r, e;
	json_t	*j;

	T_CASE("closed pipe is EPIPE");
	signal(SIGPIPE, SIG_IGN);
	T_CHECK(pipe(fds) == 0);
	close(fds[0]);
	j = json_pack("{s:i}", "pid", 1);
	errno = 0;
	r = jline_write(fds[1], j);
	e = errno;
	T_EQ_INT(r, -1);
	T_EQ_INT(e, EPIPE);
	json_decref(j);
	close(fds[1]);
}

/*
 * One write(2) per line: on a SOCK_SEQPACKET socket every write is one
 * message, so the reader's first recv() must return the whole line.
 */
static void
test_one_write(void)
{
	struct quark_process	 p;
	int			 sv[2], sz = 1 << 20;
	size_t			 len = 100 * 1024;
	char			*args, *rbuf, *line;
	ssize_t			 n;
	json_t			*j;

	T_CASE("one write per line");
	T_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	args = malloc(len);
	memset(args, 'b', len);
	args[len - 1] = '\0';
	memset(&p, 0, sizeof(p));
	p.pid = 9;
	p.known = QP_ARGS;
	p.args = args;
	p.args_len = len;
	p.argc = 1;
	T_EQ_INT(ndjson_snapshot(sv[0], &p, NULL), 0);
	rbuf = malloc(4 * len);
	n = recv(sv[1], rbuf, 4 * len, MSG_DONTWAIT);
	T_CHECK(n > (ssize_t)len);
	if (n > 0) {
		T_EQ_INT(rbuf[n - 1], '\n');
		T_CHECK(memchr(rbuf, '\n', (size_t)n - 1) == NULL);
		line = strndup(rbuf, (size_t)n - 1);
		j = json_loads(line, 0, NULL);
		T_CHECK(j != NULL);
		T_EQ_STR(json_string_value(json_object_get(j, "kind")),
		    "snapshot");
		T_EQ_INT(json_string_length(json_array_get(json_object_get(
		    json_object_get(j, "process"), "args"), 0)), len - 1);
		take_time(j, "time");
		json_decref(j);
		free(line);
	}
	/* Nothing else was written. */
	T_EQ_INT(recv(sv[1], rbuf, 4 * len, MSG_DONTWAIT), -1);
	free(rbuf);
	free(args);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A batch (watch): whole lines held, then one write(2) for all of them;
 * a closed reader is EPIPE at the end of the batch.
 */
static void
test_batch(void)
{
	const struct output	*out = output_find("ndjson");
	struct quark_event	 ev;
	int			 sv[2], fds[2], i, r, e;
	char			 rbuf[4096];
	ssize_t			 n;

	T_CASE("a batch of lines is one write");
	T_CHECK(out != NULL && out->batch != NULL);
	if (out == NULL || out->batch == NULL)
		return;
	T_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	memset(&ev, 0, sizeof(ev));
	ev.kind = QUARK_EVENT_LOST;
	ev.lost = 12;
	T_EQ_INT(out->batch(sv[0], 1), 0);
	for (i = 0; i < 3; i++) {
		ev.time = 100 + i;
		T_EQ_INT(ndjson_event(sv[0], &ev), 0);
	}
	/* Nothing written yet. */
	T_EQ_INT(recv(sv[1], rbuf, sizeof(rbuf), MSG_DONTWAIT), -1);
	T_EQ_INT(out->batch(sv[0], 0), 0);
	n = recv(sv[1], rbuf, sizeof(rbuf) - 1, MSG_DONTWAIT);
	T_CHECK(n > 0);
	if (n > 0) {
		rbuf[n] = '\0';
		T_CHECK(strstr(rbuf, "\"time_ns\":100,\"lost\":12}\n{") != NULL);
		T_CHECK(strstr(rbuf, "\"time_ns\":101,\"lost\":12}\n{") != NULL);
		T_CHECK(strstr(rbuf, "\"time_ns\":102,\"lost\":12}\n") != NULL);
		T_EQ_INT(rbuf[n - 1], '\n');
	}
	T_EQ_INT(recv(sv[1], rbuf, sizeof(rbuf), MSG_DONTWAIT), -1);
	/* Not holding: each line at once. */
	T_EQ_INT(ndjson_event(sv[0], &ev), 0);
	n = recv(sv[1], rbuf, sizeof(rbuf), MSG_DONTWAIT);
	T_CHECK(n > 0 && memchr(rbuf, '\n', (size_t)n) == rbuf + n - 1);
	close(sv[0]);
	close(sv[1]);

	T_CASE("a batch to a closed pipe is EPIPE");
	signal(SIGPIPE, SIG_IGN);
	T_CHECK(pipe(fds) == 0);
	close(fds[0]);
	T_EQ_INT(out->batch(fds[1], 1), 0);
	T_EQ_INT(ndjson_event(fds[1], &ev), 0);
	errno = 0;
	r = out->batch(fds[1], 0);
	e = errno;
	T_EQ_INT(r, -1);
	T_EQ_INT(e, EPIPE);
	close(fds[1]);
}

static void
test_names(void)
{
	struct quark_process	 p;
	json_t			*j;

	T_CASE("id without a name");
	memset(&p, 0, sizeof(p));
	p.known = QP_CREDS;
	p.uid = p.gid = p.euid = p.egid = 3999999;
	j = ndjson_process(&p);
	T_CHECK(json_object_get(j, "uid") != NULL);
	T_CHECK(json_object_get(j, "user") == NULL);
	T_CHECK(json_object_get(j, "group") == NULL);
	T_CHECK(json_object_get(j, "euser") == NULL);
	json_decref(j);
}

/*
 * `t_ndjson --sample`: print records of every kind, with every field
 * set, for tests/bats/schema.bats to validate against the schema.
 */
static int
sample(void)
{
	struct quark_process	 p, parent;
	struct quark_event	 ev;
	struct quark_exec	 x;
	uint32_t		 i;

	full_process(&p);
	memcpy(p.comm, "bad\xff", 5);
	p.known |= QP_ENV;
	p.truncated |= QPT_ENV;
	p.env = full_args;
	p.env_len = sizeof(full_args) - 1;
	p.envc = 4;
	full_process(&parent);
	parent.pid = 1;
	if (ndjson_snapshot(1, &p, &parent) == -1)
		return (1);
	memset(&ev, 0, sizeof(ev));
	ev.kind = QUARK_EVENT_PROCESS;
	ev.flags = QUARK_EVF_LATE | QUARK_EVF_STALE | QUARK_EVF_THREAD;
	ev.time = p.start_ns;
	for (i = 0; i < QUARK_EV_TYPE_COUNT; i++) {
		ev.changes[i].type = i;
		ev.changes[i].time = p.start_ns + i;
		ev.changes[i].tid = 43;
		ev.changes[i].old_pid = i == QUARK_EV_EXEC ? 43 : 0;
		strcpy(ev.changes[i].comm, "new");
		ev.changes[i].sid = 42;
	}
	ev.nchanges = QUARK_EV_TYPE_COUNT;
	ev.nchanges_dropped = 1;
	ev.process = &p;
	ev.parent = &parent;
	/* An earlier image, every field of it. */
	memset(&x, 0, sizeof(x));
	x.time = p.start_ns + 1;
	x.known = QP_COMM | QP_EXE | QP_FILENAME | QP_ARGS;
	x.truncated = QPT_EXE | QPT_EXE_DELETED | QPT_FILENAME | QPT_ARGS;
	memcpy(x.comm, "s\xffh", 4);
	x.exe = p.exe;
	x.filename = "/bin/sh";
	x.args = full_args;
	x.args_len = sizeof(full_args) - 1;
	x.args_total = 99999;
	x.argc = 9;
	ev.previous = &x;
	ev.nprevious = 1;
	ev.nprevious_dropped = 2;
	if (ndjson_event(1, &ev) == -1)
		return (1);
	ev.previous = NULL;
	ev.nprevious = ev.nprevious_dropped = 0;
	p.exit_code = -1;
	p.exit_signal = 6;
	p.core_dumped = 1;
	/* A container, as the sources find it in the cgroup paths. */
	p.cgroup = "/system.slice/docker-"
	    "4f2a7c0e9d1b3a5c6e8f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d"
	    ".scope";
	quark_container_parse(p.cgroup, &p.container);
	p.known |= QP_CONTAINER;
	ev.parent = NULL;
	ev.flags = 0;
	if (ndjson_event(1, &ev) == -1)
		return (1);
	memset(&ev, 0, sizeof(ev));
	ev.kind = QUARK_EVENT_LOST;
	ev.time = 1;
	ev.lost = 5;
	if (ndjson_event(1, &ev) == -1)
		return (1);
	ndjson_cleanup();
	return (0);
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--sample") == 0)
		return (sample());
	test_full();
	test_unknown();
	test_argv();
	test_sanitized();
	test_huge();
	test_exit();
	test_event();
	test_time_tty();
	test_epipe();
	test_one_write();
	test_batch();
	test_names();
	ndjson_cleanup();
	return (t_done());
}
