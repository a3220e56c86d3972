/*
 * t_decode.c - ring record -> raw event (lib/decode.c).
 *
 * Every record is handed to decode_record() in a heap copy of exactly the
 * length given, so that under ASan a read past the end is a crash, not a
 * silent pass.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quark_int.h"
#include "wire.h"
#include "test.h"

/* Room for any test record, 8-byte aligned like ring samples. */
static uint64_t	 recbuf[8192];

static struct raw_event *
dec(const void *rec, size_t len)
{
	struct raw_event	*raw;
	void			*copy;

	if ((copy = malloc(len == 0 ? 1 : len)) == NULL)
		abort();
	memcpy(copy, rec, len);
	errno = 0;
	raw = decode_record(copy, len);
	free(copy);
	return (raw);
}

/* A malformed record: NULL, errno EBADMSG. */
static void
expect_bad(const void *rec, size_t len)
{
	struct raw_event	*raw;

	raw = dec(rec, len);
	T_CHECK(raw == NULL);
	T_EQ_INT(errno, EBADMSG);
	raw_event_free(raw);
}

static void
fill_task(struct wire_task *t)
{
	int	i;

	t->start_boottime = 123456789012ULL;
	for (i = 0; i < WIRE_CAP_COUNT; i++)
		t->cap[i] = 0x100 + i;
	t->ppid = 10;
	t->pgid = 11;
	t->sid = 12;
	t->uid = 1000;
	t->gid = 1001;
	t->euid = 1002;
	t->egid = 1003;
	t->suid = 1004;
	t->sgid = 1005;
	t->fsuid = 1006;
	t->fsgid = 1007;
	t->loginuid = 1000;
	t->tty_major = 136;
	t->tty_minor = 3;
	for (i = 0; i < WIRE_NS_COUNT; i++)
		t->ns[i] = 4026531830U + i;
	t->ns[WIRE_NS_CGROUP] = 0;	/* absent */
	memcpy(t->comm, "worker", 7);
}

static void
fill_hdr(struct wire_hdr *h, uint16_t kind, uint32_t len)
{
	h->kind = kind;
	h->len = len;
	h->time = 5000000000ULL;
	h->pid = 42;
	h->tid = 42;
	h->cpu = 1;
}

static void
test_fork(void)
{
	struct wire_fork	 f;
	struct raw_event	*raw;
	struct quark_process	*p;

	T_CASE("fork");
	memset(&f, 0, sizeof(f));
	fill_hdr(&f.hdr, WIRE_FORK, sizeof(f));
	fill_task(&f.task);
	f.parent_pid = 10;
	f.parent_tid = 11;
	if (!T_CHECK((raw = dec(&f, sizeof(f))) != NULL))
		return;
	p = &raw->task;
	T_EQ_INT(raw->type, QUARK_EV_FORK);
	T_EQ_INT(raw->flags, 0);
	T_EQ_INT(raw->time, 5000000000ULL);
	T_EQ_INT(raw->pid, 42);
	T_EQ_INT(raw->tid, 42);
	T_EQ_INT(raw->cpu, 1);
	T_EQ_INT(raw->fork.parent_pid, 10);
	T_EQ_INT(raw->fork.parent_tid, 11);
	T_EQ_INT(p->pid, 42);
	T_EQ_INT(p->ppid, 10);
	T_EQ_INT(p->pgid, 11);
	T_EQ_INT(p->sid, 12);
	T_EQ_INT(p->euid, 1002);
	T_EQ_INT(p->fsgid, 1007);
	T_EQ_INT(p->cap[QUARK_CAP_EFFECTIVE], 0x102);
	T_EQ_INT(p->tty_major, 136);
	T_EQ_INT(p->tty_minor, 3);
	T_EQ_STR(p->comm, "worker");
	T_EQ_INT(p->start_ns_raw, 123456789012ULL);
	T_EQ_INT(p->start_ns, quark_start_trunc(123456789012ULL));
	T_CHECK(p->start_ns <= p->start_ns_raw);
	T_EQ_INT(p->entity_id, quark_entity_id(42, p->start_ns));
	T_EQ_INT(p->ns[QUARK_NS_NET], 4026531832U);
	T_CHECK(p->ns_known & (1U << QUARK_NS_USER));
	T_CHECK(!(p->ns_known & (1U << QUARK_NS_CGROUP)));
	T_CHECK((p->known & (QP_PPID | QP_CREDS | QP_FSCREDS | QP_CAPS |
	    QP_TTY | QP_START | QP_NS | QP_COMM | QP_PGID_SID)) ==
	    (QP_PPID | QP_CREDS | QP_FSCREDS | QP_CAPS | QP_TTY | QP_START |
	    QP_NS | QP_COMM | QP_PGID_SID));
	/* A fork says nothing of the image. */
	T_CHECK(!(p->known & (QP_EXE | QP_ARGS | QP_CWD | QP_EXIT | QP_TID)));
	raw_event_free(raw);

	T_CASE("fork of a thread; no tty");
	f.hdr.flags = WIRE_F_THREAD;
	f.hdr.tid = 43;
	f.task.flags = WIRE_TASK_NO_TTY;
	if (!T_CHECK((raw = dec(&f, sizeof(f))) != NULL))
		return;
	T_EQ_INT(raw->flags, RAW_F_THREAD);
	T_EQ_INT(raw->tid, 43);
	T_CHECK(raw->task.known & QP_TID);
	T_EQ_INT(raw->task.tid, 43);
	T_EQ_INT(raw->task.tty_major, 0);
	T_EQ_INT(raw->task.tty_minor, 0);
	raw_event_free(raw);

	T_CASE("fork, comm without its NUL");
	memset(f.task.comm, 'x', sizeof(f.task.comm));
	f.hdr.flags = 0;
	if (!T_CHECK((raw = dec(&f, sizeof(f))) != NULL))
		return;
	T_EQ_INT(strlen(raw->task.comm), QUARK_COMM_LEN - 1);
	raw_event_free(raw);
}

/* An exec record with the given strings (NULL: zero length). */
static size_t
make_exec(const char *str[WIRE_STR_COUNT], const uint32_t *lens)
{
	struct wire_exec	*e = (struct wire_exec *)recbuf;
	char			*d = (char *)(e + 1);
	int			 i;

	memset(recbuf, 0, sizeof(recbuf));
	fill_task(&e->task);
	for (i = 0; i < WIRE_STR_COUNT; i++) {
		e->len[i] = lens[i];
		if (str[i] != NULL)
			memcpy(d, str[i], lens[i]);
		d += lens[i];
	}
	fill_hdr(&e->hdr, WIRE_EXEC, (uint32_t)(d - (char *)e));
	return (e->hdr.len);
}

static void
test_exec(void)
{
	const char		*str[WIRE_STR_COUNT] = {
		"./prog", "/usr/bin/prog", "/home/u", "/user.slice",
		"./prog\0-x\0a b\0", "A=1\0B=2\0" };
	uint32_t		 lens[WIRE_STR_COUNT] = { 7, 14, 8, 12, 14, 8 };
	struct wire_exec	*e = (struct wire_exec *)recbuf;
	struct raw_event	*raw;
	struct quark_process	*p;
	size_t			 len;

	T_CASE("exec");
	len = make_exec(str, lens);
	e->argc = 3;
	e->args_total = 14;
	e->old_pid = 42;	/* a leader's exec: old_pid is its own pid */
	if (!T_CHECK((raw = dec(recbuf, len)) != NULL))
		return;
	p = &raw->task;
	T_EQ_INT(raw->type, QUARK_EV_EXEC);
	/* The path as given to execve, beside the resolved exe. */
	T_EQ_STR(p->filename, "./prog");
	T_CHECK(p->known & QP_FILENAME);
	T_EQ_INT(raw->exec.old_pid, 0);
	T_EQ_STR(p->exe, "/usr/bin/prog");
	T_EQ_STR(p->cwd, "/home/u");
	T_EQ_STR(p->cgroup, "/user.slice");
	T_EQ_INT(p->args_len, 14);
	T_CHECK(p->args != NULL && memcmp(p->args, "./prog\0-x\0a b\0", 14) == 0);
	T_EQ_INT(p->argc, 3);
	T_EQ_INT(p->args_total, 14);
	T_EQ_INT(p->truncated, 0);
	T_CHECK((p->known & (QP_EXE | QP_CWD | QP_CGROUP | QP_ARGS)) ==
	    (QP_EXE | QP_CWD | QP_CGROUP | QP_ARGS));
	/* The env is there only when the record says it was captured. */
	T_CHECK(!(p->known & QP_ENV));
	T_CHECK(p->env == NULL);
	raw_event_free(raw);

	T_CASE("exec with env, truncations, non-leader");
	len = make_exec(str, lens);
	e->flags = WIRE_EXEC_ENV | WIRE_EXEC_EXE_DELETED;
	e->trunc = WIRE_T_ARGS | WIRE_T_CWD | WIRE_T_ENV;
	e->envc = 2;
	e->argc = 5000;
	e->args_total = 23905;
	e->old_pid = 77;
	if (!T_CHECK((raw = dec(recbuf, len)) != NULL))
		return;
	p = &raw->task;
	T_EQ_INT(raw->exec.old_pid, 77);
	T_CHECK(p->known & QP_ENV);
	T_EQ_INT(p->env_len, 8);
	T_EQ_INT(p->envc, 2);
	T_CHECK(p->env != NULL && memcmp(p->env, "A=1\0B=2\0", 8) == 0);
	T_EQ_INT(p->truncated, QPT_ARGS | QPT_CWD | QPT_ENV | QPT_EXE_DELETED);
	T_EQ_INT(p->argc, 5000);
	T_EQ_INT(p->args_total, 23905);
	/* A cut path is its end after the mark, never a path of its own. */
	T_EQ_STR(p->cwd, "\xe2\x80\xa6/home/u");
	T_EQ_STR(p->exe, "/usr/bin/prog");
	raw_event_free(raw);

	T_CASE("exec, cut exe and filename, deleted cwd");
	len = make_exec(str, lens);
	e->flags = WIRE_EXEC_CWD_DELETED;
	e->trunc = WIRE_T_EXE | WIRE_T_FILENAME;
	if (!T_CHECK((raw = dec(recbuf, len)) != NULL))
		return;
	p = &raw->task;
	T_EQ_INT(p->truncated, QPT_EXE | QPT_FILENAME | QPT_CWD_DELETED);
	T_EQ_STR(p->exe, "\xe2\x80\xa6/usr/bin/prog");
	/* A filename keeps its start: the mark goes after it. */
	T_EQ_STR(p->filename, "./prog\xe2\x80\xa6");
	T_EQ_STR(p->cwd, "/home/u");
	raw_event_free(raw);

	T_CASE("exec, zero-length strings are unknown fields");
	memset(lens, 0, sizeof(lens));
	len = make_exec(str, lens);
	if (!T_CHECK((raw = dec(recbuf, len)) != NULL))
		return;
	p = &raw->task;
	T_CHECK(p->filename == NULL && !(p->known & QP_FILENAME));
	T_CHECK(p->exe == NULL && !(p->known & QP_EXE));
	T_CHECK(p->cwd == NULL && !(p->known & QP_CWD));
	T_CHECK(p->cgroup == NULL && !(p->known & QP_CGROUP));
	T_CHECK(p->args == NULL);
	T_EQ_INT(p->args_len, 0);
	raw_event_free(raw);
}

static void
test_exec_bad(void)
{
	const char		*str[WIRE_STR_COUNT] = {
		"./prog", "/usr/bin/prog", "/home/u", "/",
		"./prog\0", NULL };
	uint32_t		 lens[WIRE_STR_COUNT] = { 7, 14, 8, 2, 7, 0 };
	struct wire_exec	*e = (struct wire_exec *)recbuf;
	size_t			 len;

	T_CASE("exec strings one byte past the record");
	len = make_exec(str, lens);
	e->len[WIRE_STR_ARGS] += 1;
	expect_bad(recbuf, len);

	T_CASE("exec strings past hdr.len, inside the buffer");
	len = make_exec(str, lens);
	e->hdr.len -= 1;
	expect_bad(recbuf, len);

	T_CASE("exec string lengths that wrap 32 bits");
	len = make_exec(str, lens);
	e->len[WIRE_STR_ENV] = 0xffffffffU;
	e->len[WIRE_STR_CWD] = 0xffffffffU;
	expect_bad(recbuf, len);

	T_CASE("exec exe without its NUL");
	len = make_exec(str, lens);
	((char *)(e + 1))[7 + 13] = 'x';
	expect_bad(recbuf, len);

	T_CASE("exec cwd without its NUL");
	len = make_exec(str, lens);
	((char *)(e + 1))[7 + 14 + 7] = 'x';
	expect_bad(recbuf, len);

	T_CASE("exec shorter than struct wire_exec");
	len = make_exec(str, lens);
	e->hdr.len = sizeof(*e) - 8;
	memset(e->len, 0, sizeof(e->len));
	expect_bad(recbuf, sizeof(*e) - 8);
}

static void
test_exit(void)
{
	static const struct {
		const char	*name;
		uint32_t	 status;
		int32_t		 code, sig;
		int		 core;
	} cases[] = {
		{ "exit 0", 0x0000, 0, 0, 0 },
		{ "exit 3", 0x0300, 3, 0, 0 },
		{ "exit 255", 0xff00, 255, 0, 0 },
		{ "SIGKILL", 9, -1, 9, 0 },
		{ "SIGSEGV, core", 0x80 | 11, -1, 11, 1 },
		{ "SIGTERM", 15, -1, 15, 0 },
	};
	struct wire_exit	 x;
	struct raw_event	*raw;
	size_t			 i;

	for (i = 0; i < nitems(cases); i++) {
		T_CASE(cases[i].name);
		memset(&x, 0, sizeof(x));
		fill_hdr(&x.hdr, WIRE_EXIT, sizeof(x));
		fill_task(&x.task);
		x.exit_code = cases[i].status;
		x.flags = WIRE_EXIT_GROUP_DEAD;
		if (!T_CHECK((raw = dec(&x, sizeof(x))) != NULL))
			continue;
		T_EQ_INT(raw->type, QUARK_EV_EXIT);
		T_EQ_INT(raw->flags, RAW_F_GROUP_DEAD);
		T_CHECK(raw->task.known & QP_EXIT);
		T_EQ_INT(raw->task.exit_code, cases[i].code);
		T_EQ_INT(raw->task.exit_signal, cases[i].sig);
		T_EQ_INT(raw->task.core_dumped, cases[i].core);
		T_EQ_INT(raw->task.exit_ns, x.hdr.time);
		raw_event_free(raw);
	}
	T_CASE("thread exit");
	x.flags = 0;
	x.hdr.flags = WIRE_F_THREAD;
	if (T_CHECK((raw = dec(&x, sizeof(x))) != NULL)) {
		T_EQ_INT(raw->flags, RAW_F_THREAD);
		raw_event_free(raw);
	}
}

static void
test_cred_comm(void)
{
	static const struct {
		uint32_t	what;
		uint32_t	type;
	} cases[] = {
		{ WIRE_CRED_SETUID, QUARK_EV_SETUID },
		{ WIRE_CRED_SETGID, QUARK_EV_SETGID },
		{ WIRE_CRED_SETSID, QUARK_EV_SETSID },
	};
	struct wire_cred	 c;
	struct wire_comm	 m;
	struct raw_event	*raw;
	size_t			 i;

	for (i = 0; i < nitems(cases); i++) {
		T_CASE("cred");
		memset(&c, 0, sizeof(c));
		fill_hdr(&c.hdr, WIRE_CRED, sizeof(c));
		fill_task(&c.task);
		c.what = cases[i].what;
		if (!T_CHECK((raw = dec(&c, sizeof(c))) != NULL))
			continue;
		T_EQ_INT(raw->type, cases[i].type);
		T_EQ_INT(raw->task.uid, 1000);
		T_EQ_INT(raw->task.sid, 12);
		/* A successful call, maybe of no effect (event.c judges). */
		T_CHECK(raw->flags & RAW_F_CRED_CALL);
		raw_event_free(raw);
	}
	T_CASE("cred, unknown what");
	c.what = 99;
	expect_bad(&c, sizeof(c));
	c.what = 0;
	expect_bad(&c, sizeof(c));

	T_CASE("comm");
	memset(&m, 0, sizeof(m));
	fill_hdr(&m.hdr, WIRE_COMM, sizeof(m));
	fill_task(&m.task);
	memcpy(m.comm, "newname", 8);
	if (T_CHECK((raw = dec(&m, sizeof(m))) != NULL)) {
		T_EQ_INT(raw->type, QUARK_EV_COMM);
		T_EQ_STR(raw->comm.comm, "newname");
		T_EQ_STR(raw->task.comm, "newname");
		raw_event_free(raw);
	}
}

static void
test_bad_headers(void)
{
	struct wire_fork	 f;
	struct wire_hdr		 h;
	uint16_t		 kind;

	T_CASE("NULL record");
	errno = 0;
	T_CHECK(decode_record(NULL, 100) == NULL);
	T_EQ_INT(errno, EBADMSG);

	memset(&f, 0, sizeof(f));
	fill_hdr(&f.hdr, WIRE_FORK, sizeof(f));
	fill_task(&f.task);

	T_CASE("short header");
	expect_bad(&f, sizeof(struct wire_hdr) - 1);
	expect_bad(&f, 0);

	T_CASE("hdr.len beyond the buffer");
	expect_bad(&f, sizeof(f) - 1);
	f.hdr.len = 0xffffffffU;
	expect_bad(&f, sizeof(f));

	T_CASE("hdr.len smaller than the header");
	f.hdr.len = 4;
	expect_bad(&f, sizeof(f));

	T_CASE("fork shorter than its kind");
	f.hdr.len = sizeof(f) - 4;
	expect_bad(&f, sizeof(f));

	T_CASE("unknown kinds");
	f.hdr.len = sizeof(f);
	for (kind = 0; kind < 300; kind++) {
		if (kind > WIRE_FORK && kind < WIRE_KIND_COUNT)
			continue;
		f.hdr.kind = kind;
		if (kind == WIRE_FORK)
			continue;
		expect_bad(&f, sizeof(f));
	}

	T_CASE("a bare header of a known kind");
	memset(&h, 0, sizeof(h));
	fill_hdr(&h, WIRE_EXIT, sizeof(h));
	expect_bad(&h, sizeof(h));

	T_CASE("trailing bytes after hdr.len are ignored");
	fill_hdr(&f.hdr, WIRE_FORK, sizeof(f));
	{
		struct raw_event *raw;
		uint8_t big[sizeof(f) + 64];

		memset(big, 0xee, sizeof(big));
		memcpy(big, &f, sizeof(f));
		if (T_CHECK((raw = dec(big, sizeof(big))) != NULL)) {
			T_EQ_INT(raw->type, QUARK_EV_FORK);
			raw_event_free(raw);
		}
	}
}

int
main(void)
{
	test_fork();
	test_exec();
	test_exec_bad();
	test_exit();
	test_cred_comm();
	test_bad_headers();
	return (t_done());
}
