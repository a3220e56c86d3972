/*
 * t_replay.c - a golden replay: a fixed stream of raw events goes through
 * the fake backend, the whole engine and the "ndjson" output, and the
 * bytes written must equal tests/fixtures/replay.ndjson exactly.
 *
 * The stream is chosen to reach every optional key of an event line:
 * every process field, truncation flags, strings and names that are not
 * UTF-8 (sanitized), times and u64 values beyond what the output can
 * print, late / stale / thread records, dropped changes, a process that
 * execs again (its earlier images), losses, and the stats line.  Clock offset, boot id (entity ids) and user names are
 * fixed, so the bytes do not depend on the host.
 *
 * The golden file was recorded from the writer as it was before the JSON
 * builder moved out of ndjson.c: any change of bytes is a change of
 * output, to be made on purpose.  `t_replay --print` writes the stream to
 * stdout (to inspect it, or to record it again after such a change).
 *
 * Run from the top of the tree (tests/run.sh does).
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine_test.h"
#include "names.h"
#include "output.h"

#define GOLDEN	"tests/fixtures/replay.ndjson"

/* 2026-11-30T00:00:00Z at boot 0. */
#define WALL_OFF	1795996800000000000LL

static char	args_bad[] = "bash\0-c\0echo \xff\xfe ok\0\0x";
static char	env_ok[] = "HOME=/root\0LANG=C.UTF-8\0";
static char	args_small[] = "sh\0-c\0true\0";
/* Every byte JSON escapes: quote, backslash, control characters. */
static char	args_esc[] = "printf\0a\"b\\c\0\n\t\b\f\r\0\x01\x1f\x7f/\0";
static char	env_esc[] = "X=\"\\\0Y=\x02\0";

#define CAPS { 0, 0x1ffffffffffULL, 0x1ffffffffffULL, UINT64_MAX, 0x20 }
/* What changes with no event: 100's fork says it, and its exec again. */
#define CTX_KNOWN (QP_LOGINUID | QP_PGID_SID | QP_TTY | QP_NS | QP_CGROUP | \
	QP_CONTAINER)
#define CTX \
	.loginuid = 1000, .pgid = 100, .sid = 40, \
	.tty_major = 136, .tty_minor = 3, \
	.ns_known = (1 << QUARK_NS_COUNT) - 1 - (1 << QUARK_NS_CGROUP), \
	.ns = { [QUARK_NS_PID] = 4026531836ULL, \
	[QUARK_NS_MNT] = 4026531841ULL, [QUARK_NS_NET] = 4026531840ULL, \
	[QUARK_NS_UTS] = 4026531838ULL, [QUARK_NS_IPC] = 4026531839ULL, \
	[QUARK_NS_USER] = 4026531837ULL, \
	[QUARK_NS_CGROUP] = 99 /* not known: absent */ }, \
	.cgroup = "/system.slice/docker-" \
	"4f2a7c0e9d1b3a5c6e8f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d" \
	".scope", .container = { .id = "4f2a7c0e9d1b3a5c6e8f0a1b2c3d4e5f" \
	"6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d", .runtime = "docker" }

static const struct raw_event script[] = {
	/* 50: the parent, fork + exec. */
	{ RAW(QUARK_EV_FORK, 1 * MS, 50), .fork.parent_pid = 1,
	  .task = { .known = QP_PPID | QP_START | QP_CREDS | QP_COMM,
	  .ppid = 1, .start_ns = 1 * MS, .start_ns_raw = 1 * MS + 7,
	  .comm = "init-ish", .uid = 0, .gid = 0, .euid = 0, .egid = 0 } },
	/* An exec says what it may change (creds), as the kernel's do. */
	{ RAW(QUARK_EV_EXEC, 2 * MS, 50), .task = { .known = QP_EXE |
	  QP_ARGS | QP_COMM | QP_CREDS, .exe = "/usr/sbin/sshd", .comm = "sshd",
	  .uid = 0, .gid = 0, .euid = 0, .egid = 0,
	  .args = args_small, .args_len = sizeof(args_small) - 1,
	  .args_total = sizeof(args_small) - 1, .argc = 3 } },
	/* 100: every field, then an image with bytes that are not UTF-8. */
	{ RAW(QUARK_EV_FORK, 10 * MS, 100), .fork.parent_pid = 50,
	  .task = { .known = QP_PPID | QP_COMM | QP_CWD | QP_CREDS |
	  QP_FSCREDS | QP_PGID_SID | QP_TTY | QP_START | QP_CAPS | QP_NS |
	  QP_CGROUP | QP_STATE | QP_NTHREADS | QP_KTHREAD | QP_LOGINUID |
	  QP_CONTAINER,
	  .truncated = QPT_CWD | QPT_CGROUP, .ppid = 50, .comm = "sshd",
	  .cwd = "/ro\xc3\x28t", .uid = 1000, .gid = 1000, .euid = 1000,
	  .egid = 1000, .suid = 1000, .sgid = 1000, .fsuid = 1000,
	  .fsgid = 1000, .start_ns = 10 * MS,
	  .start_ns_raw = 10 * MS + 3, .cap = CAPS, CTX,
	  .state = 'S', .nthreads = 1, .kthread = 0 } },
	{ RAW(QUARK_EV_EXEC, 11 * MS, 100), .task = { .known = QP_EXE |
	  QP_ARGS | QP_ENV | QP_FILENAME | QP_COMM | QP_CWD | QP_CREDS |
	  QP_FSCREDS | QP_CAPS | CTX_KNOWN, .truncated = QPT_EXE | QPT_ARGS |
	  QPT_ENV | QPT_EXE_DELETED | QPT_CWD | QPT_CWD_DELETED |
	  QPT_FILENAME | QPT_CGROUP, CTX,
	  .cwd = "/ro\xc3\x28t", .uid = 1000, .gid = 1000, .euid = 1000,
	  .egid = 1000, .suid = 1000, .sgid = 1000, .fsuid = 1000,
	  .fsgid = 1000, .cap = CAPS, .exe = "/usr/bin/b\xe2\x82" "ash",
	  .filename = "./bash", .comm = "ba\xffsh", .args = args_bad,
	  .args_len = sizeof(args_bad) - 1, .args_total = 70000, .argc = 6,
	  .env = env_ok, .env_len = sizeof(env_ok) - 1, .envc = 2 } },
	/* Id changes say the ids and capabilities after, as eBPF's do. */
	{ RAW(QUARK_EV_SETUID, 12 * MS, 100), .flags = RAW_F_CRED_CALL,
	  .task = { .known = QP_CREDS | QP_FSCREDS | QP_CAPS, .uid = 1000,
	  .euid = 0, .suid = 0, .fsuid = 0, .gid = 1000, .egid = 1000,
	  .sgid = 1000, .fsgid = 1000, .cap = CAPS } },
	/* 101: a thread of 100's. */
	{ RAW_T(QUARK_EV_FORK, 12 * MS, 100, 101), .flags = RAW_F_THREAD,
	  .fork.parent_pid = 100, .fork.parent_tid = 100,
	  .task = { .known = QP_TID, .tid = 101 } },
	{ RAW(QUARK_EV_SETGID, 13 * MS, 100), .flags = RAW_F_CRED_CALL,
	  .task = { .known = QP_CREDS | QP_FSCREDS | QP_CAPS, .uid = 1000,
	  .euid = 0, .suid = 0, .fsuid = 0, .gid = 1000, .egid = 2000,
	  .sgid = 2000, .fsgid = 2000, .cap = CAPS } },
	/* A new session has no controlling terminal (the thread's has). */
	{ RAW(QUARK_EV_SETSID, 14 * MS, 100), .task = { .known = QP_PGID_SID |
	  QP_TTY, .pgid = 100, .sid = 100, .tty_major = 0, .tty_minor = 0 } },
	{ RAW_T(QUARK_EV_COMM, 15 * MS, 100, 102), .comm.comm = "w\xc0rker" },
	{ RAW(QUARK_EV_EXIT, 16 * MS, 100), .flags = RAW_F_GROUP_DEAD,
	  .task = { .known = QP_EXIT, .exit_code = -1, .exit_signal = 9,
	  .core_dumped = 1, .exit_ns = 16 * MS } },
	/* 200: exec by a thread (old_pid), an exit time out of range. */
	{ RAW(QUARK_EV_FORK, 20 * MS, 200), .fork.parent_pid = 50,
	  .task = { .known = QP_PPID | QP_START, .ppid = 50,
	  .start_ns = 20 * MS } },
	{ RAW(QUARK_EV_EXEC, 21 * MS, 200), .exec.old_pid = 203,
	  .task = { .known = QP_EXE | QP_ARGS, .exe = "/bin/true",
	  .args = args_small, .args_len = sizeof(args_small) - 1,
	  .args_total = sizeof(args_small) - 1, .argc = 3 } },
	{ RAW(QUARK_EV_EXIT, 22 * MS, 200), .flags = RAW_F_GROUP_DEAD,
	  .task = { .known = QP_EXIT, .exit_code = 0,
	  .exit_ns = (1ULL << 63) + 5 } },
	/* A loss: later records may be stale. */
	{ .type = RAW_LOST, .time = 30 * MS, .lost.count = 7 },
	/* 300: more changes than a record holds. */
#define C300(t) { RAW(QUARK_EV_COMM, (t) * MS, 300), .comm.comm = "spin" }
	{ RAW(QUARK_EV_FORK, 40 * MS, 300), .fork.parent_pid = 100,
	  .task = { .known = QP_PPID | QP_START, .ppid = 100,
	  .start_ns = 40 * MS } },
	C300(41), C300(41), C300(41), C300(41), C300(41), C300(41),
	C300(41), C300(41), C300(41), C300(41), C300(41), C300(41),
	C300(41), C300(41), C300(41), C300(41), C300(41), C300(41),
#undef C300
	/* 500: strings with every byte JSON escapes. */
	{ RAW(QUARK_EV_FORK, 50 * MS, 500), .fork.parent_pid = 50,
	  .task = { .known = QP_PPID | QP_START | QP_CWD | QP_COMM,
	  .ppid = 50, .start_ns = 50 * MS, .cwd = "/tmp/a\"b\\c\n",
	  .comm = "t\tab\x1b" } },
	{ RAW(QUARK_EV_EXEC, 51 * MS, 500), .task = { .known = QP_EXE |
	  QP_ARGS | QP_ENV | QP_FILENAME, .exe = "/opt/x\x01y\x7f\"",
	  .filename = "./q\\\"", .args = args_esc,
	  .args_len = sizeof(args_esc) - 1, .args_total = sizeof(args_esc) - 1,
	  .argc = 4, .env = env_esc, .env_len = sizeof(env_esc) - 1,
	  .envc = 2 } },
	{ RAW(QUARK_EV_EXIT, 52 * MS, 500), .flags = RAW_F_GROUP_DEAD,
	  .task = { .known = QP_EXIT, .exit_code = 1, .exit_ns = 52 * MS } },
	/* 600: execs three times; the earlier images are kept, as reported. */
	{ RAW(QUARK_EV_FORK, 60 * MS, 600), .fork.parent_pid = 50,
	  .task = { .known = QP_PPID | QP_START, .ppid = 50,
	  .start_ns = 60 * MS } },
	{ RAW(QUARK_EV_EXEC, 61 * MS, 600), .task = { .known = QP_EXE |
	  QP_ARGS | QP_FILENAME | QP_COMM | QP_CWD, .truncated = QPT_EXE |
	  QPT_EXE_DELETED | QPT_FILENAME | QPT_ARGS, .exe = "/usr/bin/da\xffsh",
	  .filename = "/bin/s", .comm = "s\xfeh", .cwd = "/", .args = args_bad,
	  .args_len = sizeof(args_bad) - 1, .args_total = 70000, .argc = 6 } },
	{ RAW(QUARK_EV_EXEC, 62 * MS, 600), .task = { .known = QP_EXE |
	  QP_ARGS | QP_COMM, .exe = "/usr/bin/env", .comm = "env",
	  .args = args_small, .args_len = sizeof(args_small) - 1,
	  .args_total = sizeof(args_small) - 1, .argc = 3 } },
	{ RAW(QUARK_EV_EXEC, 63 * MS, 600), .task = { .known = QP_EXE |
	  QP_ARGS | QP_COMM, .exe = "/bin/true", .comm = "true",
	  .args = args_small, .args_len = sizeof(args_small) - 1,
	  .args_total = sizeof(args_small) - 1, .argc = 3 } },
	{ RAW(QUARK_EV_EXIT, 64 * MS, 600), .flags = RAW_F_GROUP_DEAD,
	  .task = { .known = QP_EXIT, .exit_code = 0, .exit_ns = 64 * MS } },
	/* 400 is emitted, then one from the past arrives: late. */
	{ RAW(QUARK_EV_FORK, 100 * MS, 400), .fork.parent_pid = 50,
	  .task = { .known = QP_PPID, .ppid = 50 } },
	{ RAW(QUARK_EV_EXIT, 101 * MS, 400), .flags = RAW_F_GROUP_DEAD,
	  .task = { .known = QP_EXIT, .exit_code = 255,
	  .exit_ns = 101 * MS } },
	{ RAW(QUARK_EV_FORK, 102 * MS, 401), .fork.parent_pid = 50,
	  .task = { .known = QP_PPID, .ppid = 50 } },
	{ RAW(QUARK_EV_FORK, 103 * MS, 402), .fork.parent_pid = 50,
	  .task = { .known = QP_PPID, .ppid = 50 } },
	{ RAW(QUARK_EV_SETSID, 45 * MS, 50), .task = {
	  .known = QP_PGID_SID, .pgid = 50, .sid = 50 } },
};

/* uid/gid -> names: one with no name, one with bytes that are not UTF-8. */
static char *
fake_names(int group, uint32_t id)
{
	char	buf[32];

	if (id == 2000)
		return (NULL);
	if (group && id == 1000)
		return (strdup("gr\xfeup"));
	snprintf(buf, sizeof(buf), "%s%u", group ? "g" : "u", id);
	return (strdup(buf));
}

static uint64_t
names_clock(void)
{
	return (1);
}

static int
emit_stats(const struct output *out, int fd, struct quark_queue *qq)
{
	struct quark_stats	st;

	quark_queue_stats(qq, &st);
	if (out->stats(fd, &st) == -1)
		return (-1);
	/* Every optional key of the stats line too. */
	strcpy(st.features_off, "credential changes: no tracefs; "
	    "comm changes: no task_rename");
	return (out->stats(fd, &st));
}

/* Replays the script with the fixed clock; writes every line to fd. */
static int
replay(int fd)
{
	const struct output		*out;
	const struct quark_event	*ev;
	struct quark_queue_attr		 attr;
	struct quark_queue		*qq;
	size_t				 step;

	if ((out = output_find("ndjson")) == NULL)
		return (-1);
	clock_set_fixed(WALL_OFF, "8a0c2b7e-6d7e-4c4e-9f7e-4a0f6d1b2c3d");
	names_hooks(names_clock, fake_names);
	quark_queue_default_attr(&attr);
	/* Records are due 30 ms after their time: the last one is late. */
	attr.hold_max_ns = 30 * MS;
	if ((qq = t_open(script, nitems(script), QQ_ENV | QQ_THREADS,
	    &attr)) == NULL)
		return (-1);
	/*
	 * One quark_queue_next() per step, which takes one raw event: the
	 * clock is 2 ms past the raw event's time, and jumps 200 ms ahead
	 * with the raw event before one from the past (so that what came
	 * before is emitted, and the one from the past is late).
	 */
	queue_set_poll_budget(qq, 1);
	for (step = 0; step < nitems(script) + 100; step++) {
		if (step < nitems(script)) {
			if (step + 1 < nitems(script) &&
			    script[step + 1].time < script[step].time)
				t_now += 200 * MS;
			if (t_now < script[step].time + 2 * MS)
				t_now = script[step].time + 2 * MS;
		} else
			t_now += 5 * MS;
		if ((ev = quark_queue_next(qq)) != NULL &&
		    out->event(fd, ev) == -1)
			goto fail;
	}
	quark_queue_stop(qq);
	while ((ev = quark_queue_next(qq)) != NULL)
		if (out->event(fd, ev) == -1)
			goto fail;
	if (emit_stats(out, fd, qq) == -1)
		goto fail;
	quark_queue_close(qq);
	names_hooks(NULL, NULL);
	out->cleanup();
	return (0);
fail:
	quark_queue_close(qq);
	return (-1);
}

/* The whole of fd's file, NUL-terminated; *len its length. */
static char *
slurp(int fd, size_t *len)
{
	char	*buf = NULL, *nb;
	size_t	 cap = 0, n = 0;
	ssize_t	 r;

	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return (NULL);
			}
			buf = nb;
		}
		if ((r = read(fd, buf + n, cap - n - 1)) <= 0)
			break;
		n += (size_t)r;
	}
	if (buf != NULL)
		buf[n] = '\0';
	*len = n;
	return (buf);
}

/* The first line where a and b differ, for the failure message. */
static void
first_diff(const char *a, const char *b)
{
	int	line = 1;
	size_t	i;

	for (i = 0; a[i] != '\0' && a[i] == b[i]; i++)
		if (a[i] == '\n')
			line++;
	fprintf(stderr, "     first difference on line %d, byte %zu\n",
	    line, i);
}

static void
test_golden(void)
{
	char	*got, *want;
	size_t	 glen, wlen;
	int	 mfd, gfd;

	T_CASE("replay through ndjson is byte-identical to " GOLDEN);
	mfd = memfd_create("replay", 0);
	T_CHECK(mfd != -1);
	T_EQ_INT(replay(mfd), 0);
	lseek(mfd, 0, SEEK_SET);
	got = slurp(mfd, &glen);
	gfd = open(GOLDEN, O_RDONLY | O_CLOEXEC);
	T_CHECK(gfd != -1);
	want = gfd == -1 ? NULL : slurp(gfd, &wlen);
	T_CHECK(got != NULL && want != NULL);
	if (got != NULL && want != NULL) {
		T_EQ_INT(glen, wlen);
		if (!T_CHECK(glen == wlen && memcmp(got, want, glen) == 0))
			first_diff(got, want);
	}
	/* The stream is what the header says it is. */
	T_CHECK(got != NULL && strstr(got, "\"sanitized\"") != NULL);
	T_CHECK(got != NULL && strstr(got, "\"late\":true") != NULL);
	T_CHECK(got != NULL && strstr(got, "\"stale\":true") != NULL);
	T_CHECK(got != NULL && strstr(got, "\"thread\":true") != NULL);
	T_CHECK(got != NULL && strstr(got, "\"changes_dropped\"") != NULL);
	T_CHECK(got != NULL && strstr(got, "\"previous\":[{") != NULL);
	T_CHECK(got != NULL && strstr(got, "\"kind\":\"lost\"") != NULL);
	T_CHECK(got != NULL && strstr(got, "\"kind\":\"stats\"") != NULL);
	T_CHECK(got != NULL && strstr(got, "\"features_off\"") != NULL);
	T_CHECK(got != NULL && strstr(got,
	    "\"a\\\"b\\\\c\",\"\\n\\t\\b\\f\\r\",\"\\u0001\\u001F\x7f/\"")
	    != NULL);
	free(got);
	free(want);
	if (gfd != -1)
		close(gfd);
	close(mfd);
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--print") == 0)
		return (replay(STDOUT_FILENO) == -1 ? 1 : 0);
	test_golden();
	return (t_done());
}
