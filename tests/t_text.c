/*
 * t_text.c - `--format text`: exact lines for known records, "-" for what
 * is unknown, escaping of everything a process chose, and the terminal
 * rules: cut to the width and coloured only on a terminal (a pty here),
 * never with NO_COLOR set, never on a pipe.
 *
 * The TIME column depends on the clock (boot -> wall offset): it is
 * checked against the wall time computed here, then the rest of the line
 * is compared exactly.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "names.h"
#include "test.h"

#define SEC	1000000000ULL

static const struct output	*text;

/* Names without NSS: uid 0 is root, 1000 alice; no other has a name. */
static char *
fake_lookup(int group, uint32_t id)
{
	if (group)
		return (NULL);
	return (id == 0 ? strdup("root") : id == 1000 ? strdup("alice") : NULL);
}

/* Reads what fd holds now (a pipe or a pty master) into buf. */
static void
drain(int fd, char *buf, size_t len)
{
	size_t	n = 0;
	ssize_t	r;

	while (n + 1 < len) {
		r = read(fd, buf + n, len - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
}

/* A record through a pipe: the line, newline included. */
static void
via_pipe(const struct quark_event *ev, const struct quark_process *p,
    char *buf, size_t len)
{
	int	fds[2];

	buf[0] = '\0';
	if (!T_CHECK(pipe2(fds, O_NONBLOCK) == 0))
		return;
	if (ev != NULL)
		T_EQ_INT(text->event(fds[1], ev), 0);
	else
		T_EQ_INT(text->snapshot(fds[1], p, NULL), 0);
	close(fds[1]);
	drain(fds[0], buf, len);
	close(fds[0]);
}

/* "HH:MM:SS.mmm" of boot ns t, in UTC (TZ is set so). */
static void
want_time(uint64_t t, char *buf, size_t len)
{
	uint64_t	wall = quark_boot_to_wall(t);
	time_t		sec = (time_t)(wall / SEC);
	struct tm	tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)(wall / 1000000 % 1000));
}

/* The line starts with the time of t; the rest is want. */
static void
check_line(const char *got, uint64_t t, const char *want)
{
	char	tm[32];

	want_time(t, tm, sizeof(tm));
	T_CHECK(strncmp(got, tm, strlen(tm)) == 0);
	if (strlen(got) >= strlen(tm))
		T_EQ_STR(got + strlen(tm), want);
	else
		T_EQ_STR(got, want);
}

static void
base_process(struct quark_process *p)
{
	memset(p, 0, sizeof(*p));
	p->known = QP_PPID | QP_COMM | QP_CREDS | QP_START;
	p->pid = 4242;
	p->ppid = 4100;
	p->uid = 1000;
	strcpy(p->comm, "ls");
	p->start_ns = 100 * SEC;
}

static void
set_args(struct quark_process *p, const char *args, size_t len)
{
	p->known |= QP_ARGS;
	p->args = (char *)args;
	p->args_len = len;
}

static void
event_of(struct quark_event *ev, const struct quark_process *p,
    const uint32_t *types, int n)
{
	int	i;

	memset(ev, 0, sizeof(*ev));
	ev->kind = QUARK_EVENT_PROCESS;
	ev->time = p->start_ns;
	ev->process = p;
	for (i = 0; i < n; i++)
		ev->changes[i].type = types[i];
	ev->nchanges = (uint32_t)n;
}

static const uint32_t	fee[] = { QUARK_EV_FORK, QUARK_EV_EXEC, QUARK_EV_EXIT };

static void
t_columns(void)
{
	struct quark_process	p;
	struct quark_event	ev;
	char			buf[1024];
	static const char	args[] = "ls\0-la\0/tmp";

	T_CASE("a whole record: pid, ppid, user, events, exit, duration, argv");
	base_process(&p);
	set_args(&p, args, sizeof(args));
	p.known |= QP_EXIT;
	p.exit_ns = p.start_ns + 1200000;
	event_of(&ev, &p, fee, 3);
	via_pipe(&ev, NULL, buf, sizeof(buf));
	check_line(buf, ev.time, "    4242    4100 alice    fork+exec+exit  "
	    "exit 0        1.2ms ls -la /tmp\n");

	T_CASE("killed with a core; a uid with no name; seconds");
	p.uid = 1234;
	p.exit_code = -1;
	p.exit_signal = SIGSEGV;
	p.core_dumped = 1;
	p.exit_ns = p.start_ns + 2 * SEC;
	via_pipe(&ev, NULL, buf, sizeof(buf));
	check_line(buf, ev.time, "    4242    4100 1234     fork+exec+exit  "
	    "SIGSEGV core     2.0s ls -la /tmp\n");

	T_CASE("no exit yet, no ppid, no credentials: '-', never a guess");
	p.known &= ~(QP_EXIT | QP_PPID | QP_CREDS);
	event_of(&ev, &p, fee, 2);
	via_pipe(&ev, NULL, buf, sizeof(buf));
	check_line(buf, ev.time, "    4242       - -        fork+exec       "
	    "-                 - ls -la /tmp\n");

	T_CASE("exit 3, microseconds, flags after the events");
	p.known |= QP_EXIT | QP_PPID | QP_CREDS;
	p.uid = 0;
	p.exit_code = 3;
	p.exit_signal = 0;
	p.core_dumped = 0;
	p.exit_ns = p.start_ns + 250000;
	event_of(&ev, &p, fee + 2, 1);
	ev.flags = QUARK_EVF_LATE | QUARK_EVF_STALE;
	via_pipe(&ev, NULL, buf, sizeof(buf));
	check_line(buf, ev.time, "    4242    4100 root     exit,late,stale "
	    "exit 3        250us ls -la /tmp\n");
	ev.flags = QUARK_EVF_FROM_PROC;
	via_pipe(&ev, NULL, buf, sizeof(buf));
	check_line(buf, ev.time, "    4242    4100 root     exit,from_proc  "
	    "exit 3        250us ls -la /tmp\n");
	T_CHECK(strstr(buf, "\033") == NULL);
}

/* Earlier images first, each followed by an arrow; the ones not kept "...". */
static void
t_previous(void)
{
	static const uint32_t	fe3[] = { QUARK_EV_FORK, QUARK_EV_EXEC,
	    QUARK_EV_EXEC, QUARK_EV_EXEC, QUARK_EV_EXIT };
	static const char	sh[] = "sh\0-c\0exec env true\0";
	static const char	tr[] = "true\0";
	struct quark_process	p;
	struct quark_event	ev;
	struct quark_exec	x[2];
	char			buf[1024];

	T_CASE("a process that exec'd again: each earlier image, then an "
	    "arrow, before its own");
	base_process(&p);
	set_args(&p, tr, sizeof(tr) - 1);
	p.known |= QP_EXIT;
	p.exit_ns = p.start_ns + 1200000;
	event_of(&ev, &p, fe3, 5);
	memset(x, 0, sizeof(x));
	x[0].known = QP_ARGS | QP_EXE | QP_COMM;
	x[0].args = (char *)sh;
	x[0].args_len = sizeof(sh) - 1;
	x[0].exe = "/usr/bin/dash";
	x[1].known = QP_EXE | QP_COMM;	/* no args: the exe */
	x[1].exe = "/usr/bin/e\033nv";
	ev.previous = x;
	ev.nprevious = 2;
	via_pipe(&ev, NULL, buf, sizeof(buf));
	check_line(buf, ev.time, "    4242    4100 alice    "
	    "fork+exec+exec+exec+exit exit 0        1.2ms "
	    "sh -c 'exec env true' \xe2\x86\x92 /usr/bin/e\\x1bnv "
	    "\xe2\x86\x92 true\n");
	T_CASE("earlier images not kept: '...'");
	ev.nprevious = 1;
	ev.nprevious_dropped = 3;
	via_pipe(&ev, NULL, buf, sizeof(buf));
	T_CHECK(strstr(buf, " sh -c 'exec env true' \xe2\x86\x92 ... "
	    "\xe2\x86\x92 true\n") != NULL);
}

static void
t_command(void)
{
	static const struct {
		const char	*name;
		const char	*args;
		size_t		 len;
		const char	*want;
	} cases[] = {
		{ "control characters are escaped",
		  "printf\0a\nb\tc\033[31m\0", 18,
		  "printf a\\nb\\tc\\x1b[31m" },
		{ "a byte that is not UTF-8 is \\xNN; UTF-8 stays",
		  "echo\0\xff\xc3\xa9t\xc3\xa9\0", 12, "echo \\xffété" },
		{ "C1 controls and bidi overrides are escaped",
		  "x\0\xc2\x9b" "2J\0a\xe2\x80\xae" "b\0", 13,
		  "x \\u{9b}2J a\\u{202e}b" },
		{ "spaces, quotes and empty arguments are quoted",
		  "sh\0-c\0echo 'hi' there\0\0", 23,
		  "sh -c 'echo \\'hi\\' there' ''" },
		{ "a backslash is doubled", "a\\b\0", 4, "a\\\\b" },
		{ "no trailing NUL", "ab\0cd", 5, "ab cd" },
	};
	struct quark_process	p;
	char			buf[1024], *cmd;
	size_t			i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_CASE(cases[i].name);
		base_process(&p);
		set_args(&p, cases[i].args, cases[i].len);
		via_pipe(NULL, &p, buf, sizeof(buf));
		/* The command is the last column. */
		cmd = strstr(buf, "snapshot");
		T_CHECK(cmd != NULL);
		if (cmd == NULL)
			continue;
		cmd += strlen("snapshot");
		while (*cmd == ' ' || *cmd == '-')
			cmd++;
		buf[strcspn(buf, "\n")] = '\0';
		T_EQ_STR(cmd, cases[i].want);
	}

	T_CASE("no arguments: the exe; no exe: [comm]; nothing: '-'");
	base_process(&p);
	p.known |= QP_EXE;
	p.exe = "/usr/bin/ls";
	via_pipe(NULL, &p, buf, sizeof(buf));
	T_CHECK(strstr(buf, "snapshot        -                 - /usr/bin/ls\n")
	    != NULL);
	p.known &= ~QP_EXE;
	strcpy(p.comm, "kthr\033d");
	via_pipe(NULL, &p, buf, sizeof(buf));
	T_CHECK(strstr(buf, " - [kthr\\x1bd]\n") != NULL);
	p.known &= ~QP_COMM;
	p.known &= ~QP_START;
	via_pipe(NULL, &p, buf, sizeof(buf));
	T_EQ_STR(buf, "-               4242    4100 alice    snapshot        "
	    "-                 - -\n");

	T_CASE("truncated arguments end with ...");
	base_process(&p);
	set_args(&p, "yes\0y", 5);
	p.truncated = QPT_ARGS;
	via_pipe(NULL, &p, buf, sizeof(buf));
	T_CHECK(strstr(buf, " yes y ...\n") != NULL);
}

static void
t_lost_stats(void)
{
	struct quark_event	ev;
	struct quark_stats	st;
	char			buf[2048];
	int			fds[2];

	T_CASE("a lost record");
	memset(&ev, 0, sizeof(ev));
	ev.kind = QUARK_EVENT_LOST;
	ev.time = 50 * SEC;
	ev.lost = 12;
	via_pipe(&ev, NULL, buf, sizeof(buf));
	check_line(buf, ev.time, " lost 12 events\n");

	T_CASE("the stats line: every counter, by name");
	memset(&st, 0, sizeof(st));
	strcpy(st.backend, "ebpf");
	st.insertions = 7;
	st.cache_size = 99;
	strcpy(st.features_off, "credential changes: no tracefs");
	T_CHECK(pipe2(fds, O_NONBLOCK) == 0);
	T_EQ_INT(text->stats(fds[1], &st), 0);
	close(fds[1]);
	drain(fds[0], buf, sizeof(buf));
	close(fds[0]);
	T_CHECK(strncmp(buf, "stats: backend ebpf, insertions 7,", 34) == 0);
	T_CHECK(strstr(buf, ", cache_size 99, features_off credential "
	    "changes: no tracefs\n") != NULL);
}

/* Writes ev to a pty of the given width; returns what the master read. */
static void
via_pty(const struct quark_event *ev, unsigned short cols, char *buf,
    size_t len)
{
	struct winsize	ws = { .ws_row = 24, .ws_col = cols };
	struct termios	tio;
	int		m, s, fl;

	buf[0] = '\0';
	if (!T_CHECK(openpty(&m, &s, NULL, NULL, &ws) == 0))
		return;
	/* Raw: the bytes as written, no "\n" -> "\r\n". */
	tcgetattr(s, &tio);
	cfmakeraw(&tio);
	tcsetattr(s, TCSANOW, &tio);
	T_EQ_INT(text->event(s, ev), 0);
	fl = fcntl(m, F_GETFL);
	fcntl(m, F_SETFL, fl | O_NONBLOCK);
	usleep(10000);
	drain(m, buf, len);
	close(s);
	close(m);
}

/* Visible columns of s: escape sequences take none. */
static size_t
visible(const char *s)
{
	size_t	n = 0;

	while (*s != '\0' && *s != '\n') {
		if (*s == '\033') {
			while (*s != '\0' && *s != 'm')
				s++;
			if (*s != '\0')
				s++;
			continue;
		}
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
		s++;
	}
	return (n);
}

static void
t_terminal(void)
{
	struct quark_process	p;
	struct quark_event	ev;
	char			buf[4096], big[600];
	size_t			i;

	base_process(&p);
	for (i = 0; i + 1 < sizeof(big); i++)
		big[i] = i % 10 == 9 ? '\0' : 'a' + (char)(i % 10);
	big[sizeof(big) - 1] = '\0';
	set_args(&p, big, sizeof(big));
	p.known |= QP_EXIT;
	p.exit_code = 1;
	p.exit_ns = p.start_ns + SEC;
	event_of(&ev, &p, fee, 3);

	T_CASE("on a terminal: cut to its width, coloured");
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);
	via_pty(&ev, 60, buf, sizeof(buf));
	T_EQ_INT(visible(buf), 60);
	T_CHECK(strstr(buf, "\033[") != NULL);
	T_CHECK(strstr(buf, "\033[31mexit 1") != NULL);
	T_CHECK(strstr(buf, "\033[0m\n") != NULL);
	T_CHECK(buf[strlen(buf) - 1] == '\n');
	via_pty(&ev, 200, buf, sizeof(buf));
	T_EQ_INT(visible(buf), 200);

	T_CASE("NO_COLOR set: no colour, still cut");
	setenv("NO_COLOR", "1", 1);
	via_pty(&ev, 60, buf, sizeof(buf));
	T_EQ_INT(visible(buf), 60);
	T_CHECK(strchr(buf, '\033') == NULL);
	T_EQ_INT(strlen(buf), 61);

	T_CASE("NO_COLOR empty, as no-color.org says, is not set");
	setenv("NO_COLOR", "", 1);
	via_pty(&ev, 60, buf, sizeof(buf));
	T_CHECK(strchr(buf, '\033') != NULL);

	T_CASE("TERM=dumb: no colour");
	unsetenv("NO_COLOR");
	setenv("TERM", "dumb", 1);
	via_pty(&ev, 60, buf, sizeof(buf));
	T_CHECK(strchr(buf, '\033') == NULL);

	T_CASE("not a terminal: the whole line, no colour");
	setenv("TERM", "xterm", 1);
	via_pipe(&ev, NULL, buf, sizeof(buf));
	T_CHECK(strchr(buf, '\033') == NULL);
	T_CHECK(visible(buf) > 600);
	T_CHECK(strstr(buf, " abcdefghi abcdefghi ") != NULL);
}

static void
t_epipe(void)
{
	struct quark_process	p;
	int			fds[2];

	T_CASE("a reader that went away is EPIPE");
	base_process(&p);
	T_CHECK(pipe(fds) == 0);
	close(fds[0]);
	errno = 0;
	T_EQ_INT(text->snapshot(fds[1], &p, NULL), -1);
	T_EQ_INT(errno, EPIPE);
	close(fds[1]);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	setenv("TZ", "UTC", 1);
	tzset();
	names_hooks(NULL, fake_lookup);
	T_CASE("text is a format of the output table");
	text = output_find("text");
	T_CHECK(text != NULL);
	if (text == NULL)
		return (t_done());
	T_EQ_STR(text->name, "text");
	t_columns();
	t_command();
	t_previous();
	t_lost_stats();
	t_terminal();
	t_epipe();
	text->cleanup();
	return (t_done());
}
