/*
 * text.c - `--format text`: one line per record for a person at a
 * terminal, as execsnoop and forkstat print them.
 *
 *	14:02:11.532    4242    4100 alice    fork+exec+exit  exit 0        1.2ms ls -la /tmp
 *	14:02:11.600    4250    4100 root     exec+exit       SIGKILL       2.0s sleep 60
 *	14:02:11.601    4251    4100 root     fork+exec       -                 - sh -c 'exit 3'
 *	14:02:11.700 lost 12 events
 *
 * The columns: TIME, PID, PPID, USER, EVENTS, STATUS, DURATION, COMMAND
 * (no header line: the output stays greppable).
 *
 * TIME is local wall-clock time of the record's first change (of the
 * start, for snapshot and lookup).  USER names the real uid.  STATUS is
 * "exit N" or the killing signal ("SIGSEGV core"); DURATION runs from the
 * start to the exit.  A value quark does not know is "-", never a guess.
 * COMMAND is the argument list; without one, the exe, or [comm] as ps(1)
 * shows kernel threads.  A process that exec'd more than once in the
 * record shows each earlier image first, in order, each followed by an
 * arrow: "sh -c 'exec env true' → env true → true".
 *
 * Nothing a process chose reaches the terminal raw: control characters
 * (C0, DEL, C1) and bidirectional overrides are escaped (\n, \t, \x1b,
 * \u{9b}, \u{202e}), a byte that is not UTF-8 is \xNN, a backslash is \\,
 * and an argument that is empty or holds a space or a quote is quoted.
 * When fd is a terminal the line is cut to its width (one column per
 * character; double-width characters are not measured) and coloured,
 * unless NO_COLOR is set to a non-empty value (no-color.org) or TERM is
 * "dumb".
 * Each line is built whole and written with one write(2).
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quark.h"
#include "names.h"
#include "output.h"
#include "utf8.h"

#define C_DIM		"\033[2m"
#define C_RED		"\033[31m"
#define C_BOLDRED	"\033[1;31m"
#define C_GREEN		"\033[32m"
#define C_YELLOW	"\033[33m"
#define C_RESET		"\033[0m"

/* A line being built: bytes, and the columns they take on a terminal. */
struct line {
	char	*buf;
	size_t	 len, cap;
	size_t	 cols;		/* visible columns so far */
	size_t	 maxcols;	/* 0: no limit */
	int	 color;
	int	 err;		/* ENOMEM */
};

static char	*line_buf;	/* kept between records */
static size_t	 line_cap;

static void
l_raw(struct line *l, const char *s, size_t n)
{
	char	*p;
	size_t	 cap;

	if (l->err)
		return;
	if (l->len + n + 1 > l->cap) {
		for (cap = l->cap ? l->cap : 256; cap < l->len + n + 1;)
			cap *= 2;
		if ((p = realloc(l->buf, cap)) == NULL) {
			l->err = 1;
			return;
		}
		l->buf = p;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* n bytes that take one column each (or ncols for one sequence). */
static void
l_vis(struct line *l, const char *s, size_t n, size_t ncols)
{
	if (l->maxcols != 0 && l->cols + ncols > l->maxcols) {
		l->cols = l->maxcols;	/* full: the rest is cut */
		return;
	}
	l_raw(l, s, n);
	l->cols += ncols;
}

static void
l_str(struct line *l, const char *s)
{
	l_vis(l, s, strlen(s), strlen(s));
}

static void
l_printf(struct line *l, const char *fmt, ...)
{
	char	tmp[128];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	l_vis(l, tmp, (size_t)n, (size_t)n);
}

static void
l_color(struct line *l, const char *c)
{
	if (l->color)
		l_raw(l, c, strlen(c));
}

/* s padded with spaces to w columns (s is ASCII or already escaped). */
static void
l_pad(struct line *l, const char *s, size_t w)
{
	size_t	n = strlen(s);

	l_str(l, s);
	for (; n < w; n++)
		l_vis(l, " ", 1, 1);
}

/* Appends buf[0..len) escaped (see the top of the file). */
static void
l_escaped(struct line *l, const char *buf, size_t len)
{
	char		 esc[UTF8_ESC_MAX];
	const char	*e;
	size_t		 i = 0, n;

	while (i < len && !(l->maxcols != 0 && l->cols >= l->maxcols)) {
		if ((e = utf8_term_escape(buf + i, len - i, &n, esc)) != NULL)
			l_str(l, e);
		else
			l_vis(l, buf + i, n, 1);
		i += n;
	}
}

/* One argument: quoted when empty or when it holds a space or a quote. */
static void
l_arg(struct line *l, const char *s, size_t n)
{
	size_t	i, from = 0;
	int	quote = n == 0;

	for (i = 0; i < n && !quote; i++)
		quote = s[i] == ' ' || s[i] == '\'' || s[i] == '"';
	if (!quote) {
		l_escaped(l, s, n);
		return;
	}
	l_str(l, "'");
	for (i = 0; i < n; i++) {
		if (s[i] != '\'')
			continue;
		l_escaped(l, s + from, i - from);
		l_str(l, "\\'");
		from = i + 1;
	}
	l_escaped(l, s + from, n - from);
	l_str(l, "'");
}

/* COMMAND: the arguments, else the exe, else [comm], else "-". */
/*
 * An image: its argument list; without one, the exe, or [comm]; "-".
 * known: QP_ARGS, QP_EXE, QP_COMM; cut: args truncated.
 */
static void
l_image(struct line *l, uint64_t known, const char *args, size_t args_len,
    int cut, const char *exe, const char *comm)
{
	const char	*a, *end, *z;
	int		 first = 1;

	if ((known & QP_ARGS) && args != NULL && args_len > 0) {
		args_len = utf8_whole_len(args, args_len, cut);
		a = args;
		end = args + args_len;
		while (a < end) {
			if ((z = memchr(a, '\0', (size_t)(end - a))) == NULL)
				z = end;
			if (!first)
				l_str(l, " ");
			l_arg(l, a, (size_t)(z - a));
			first = 0;
			a = z + 1;
		}
		if (cut)
			l_str(l, " ...");
	} else if ((known & QP_EXE) && exe != NULL)
		l_escaped(l, exe, strlen(exe));
	else if (known & QP_COMM) {
		l_str(l, "[");
		l_escaped(l, comm, strnlen(comm, QUARK_COMM_LEN));
		l_str(l, "]");
	} else
		l_str(l, "-");
}

static void
l_command(struct line *l, const struct quark_process *p)
{
	l_image(l, p->known, p->args, p->args_len,
	    (p->truncated & QPT_ARGS) != 0, p->exe, p->comm);
}

/*
 * The images of a record's earlier execs, each followed by an arrow
 * (U+2192, one column), before the process's own: "sh -c 'exec env
 * true' → env true → true"; "... →" for the ones not kept.
 */
static void
l_previous(struct line *l, const struct quark_event *ev)
{
	const struct quark_exec	*x;
	uint32_t		 i;

	for (i = 0; i < ev->nprevious && i < QUARK_MAX_PREVIOUS; i++) {
		x = &ev->previous[i];
		l_image(l, x->known, x->args, x->args_len,
		    (x->truncated & QPT_ARGS) != 0, x->exe, x->comm);
		l_str(l, " ");
		l_vis(l, "\xe2\x86\x92", 3, 1);
		l_str(l, " ");
	}
	if (ev->nprevious_dropped != 0) {
		l_str(l, "... ");
		l_vis(l, "\xe2\x86\x92", 3, 1);
		l_str(l, " ");
	}
}

/* TIME: local HH:MM:SS.mmm of boot ns t, "-" when t is 0. */
static void
l_time(struct line *l, uint64_t boot_ns)
{
	struct tm	tm;
	time_t		sec;
	uint64_t	wall;
	char		buf[32];

	l_color(l, C_DIM);
	if (boot_ns == 0 || (wall = quark_boot_to_wall(boot_ns)) == 0) {
		l_pad(l, "-", 12);
	} else {
		sec = (time_t)(wall / 1000000000ULL);
		if (localtime_r(&sec, &tm) == NULL)
			l_pad(l, "-", 12);
		else {
			strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
			l_printf(l, "%s.%03u", buf,
			    (unsigned)(wall / 1000000ULL % 1000));
		}
	}
	l_color(l, C_RESET);
}

/* PID PPID USER; the user's name as of boot ns `at` (names.h). */
static void
l_who(struct line *l, const struct quark_process *p, uint64_t at)
{
	const char	*u;
	char		 buf[64];

	l_printf(l, " %7d", (int)p->pid);
	if (p->known & QP_PPID)
		l_printf(l, " %7d ", (int)p->ppid);
	else
		l_str(l, "       - ");
	if (!(p->known & QP_CREDS))
		snprintf(buf, sizeof(buf), "-");
	else if ((u = names_user_at(p->uid, at)) != NULL)
		snprintf(buf, sizeof(buf), "%s", u);
	else
		snprintf(buf, sizeof(buf), "%u", p->uid);
	/* A user name comes from outside too. */
	l_escaped(l, buf, strlen(buf));
	for (u = buf + strlen(buf); u < buf + 8; u++)
		l_str(l, " ");
	l_str(l, " ");
}

/* STATUS and DURATION. */
static void
l_exit(struct line *l, const struct quark_process *p)
{
	const char	*sig;
	char		 buf[48];
	uint64_t	 d;

	buf[0] = '\0';
	l_str(l, " ");
	if (!(p->known & QP_EXIT))
		snprintf(buf, sizeof(buf), "-");
	else if (p->exit_signal != 0) {
		sig = sigabbrev_np(p->exit_signal);
		if (sig != NULL)
			snprintf(buf, sizeof(buf), "SIG%s%s", sig,
			    p->core_dumped ? " core" : "");
		else
			snprintf(buf, sizeof(buf), "signal %d%s",
			    (int)p->exit_signal, p->core_dumped ? " core" : "");
		l_color(l, C_BOLDRED);
	} else {
		snprintf(buf, sizeof(buf), "exit %d", (int)p->exit_code);
		if (p->exit_code != 0)
			l_color(l, C_RED);
	}
	l_pad(l, buf, 10);
	l_color(l, C_RESET);
	if ((p->known & (QP_EXIT | QP_START)) != (QP_EXIT | QP_START) ||
	    p->exit_ns < p->start_ns)
		snprintf(buf, sizeof(buf), "-");
	else if ((d = p->exit_ns - p->start_ns) < 1000000ULL)
		snprintf(buf, sizeof(buf), "%lluus",
		    (unsigned long long)(d / 1000));
	else if (d < 1000000000ULL)
		snprintf(buf, sizeof(buf), "%.1fms", (double)d / 1e6);
	else
		snprintf(buf, sizeof(buf), "%.1fs", (double)d / 1e9);
	l_printf(l, " %8s ", buf);
}

/* Sets colour and width for fd: a terminal's, else none. */
static void
l_open(struct line *l, int fd)
{
	struct winsize	 ws;
	const char	*nc = getenv("NO_COLOR"), *term = getenv("TERM");

	memset(l, 0, sizeof(*l));
	l->buf = line_buf;
	l->cap = line_cap;
	if (!isatty(fd))
		return;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		l->maxcols = ws.ws_col;
	l->color = (nc == NULL || *nc == '\0') &&
	    (term == NULL || strcmp(term, "dumb") != 0);
}

/* Ends the line, writes it whole; returns 0 or -1 with errno. */
static int
l_write(struct line *l, int fd)
{
	l_color(l, C_RESET);
	l_raw(l, "\n", 1);
	line_buf = l->buf;
	line_cap = l->cap;
	if (l->err) {
		errno = ENOMEM;
		return (-1);
	}
	return (output_write(fd, l->buf, l->len));
}

static int
text_snapshot(int fd, const struct quark_process *p,
    const struct quark_process *parent)
{
	struct line	l;

	(void)parent;
	l_open(&l, fd);
	l_time(&l, (p->known & QP_START) ? p->start_ns : 0);
	l_who(&l, p, quark_boot_now());
	l_pad(&l, p->tid != 0 && (p->known & QP_TID) ? "thread" : "snapshot",
	    15);
	l_exit(&l, p);
	l_command(&l, p);
	return (l_write(&l, fd));
}

static int
text_event(int fd, const struct quark_event *ev)
{
	struct line	 l;
	char		 ev_s[160];
	size_t		 n = 0;
	uint32_t	 i, nc;
	int		 exec = 0;

	nc = ev->nchanges > QUARK_MAX_CHANGES ? QUARK_MAX_CHANGES :
	    ev->nchanges;
	l_open(&l, fd);
	l_time(&l, ev->time);
	if (ev->kind == QUARK_EVENT_LOST || ev->process == NULL) {
		l_color(&l, C_YELLOW);
		l_printf(&l, " lost %llu events", (unsigned long long)ev->lost);
		return (l_write(&l, fd));
	}
	/* Named as of the last change, as the NDJSON record is. */
	l_who(&l, ev->process, nc > 0 ? ev->changes[nc - 1].time : ev->time);
	ev_s[0] = '\0';
	for (i = 0; i < nc && n < sizeof(ev_s); i++) {
		n += (size_t)snprintf(ev_s + n, sizeof(ev_s) - n, "%s%s",
		    i ? "+" : "", quark_event_type_name(ev->changes[i].type));
		exec |= ev->changes[i].type == QUARK_EV_EXEC;
	}
	if (ev->nchanges_dropped != 0 && n < sizeof(ev_s))
		n += (size_t)snprintf(ev_s + n, sizeof(ev_s) - n, "+...");
	if (ev->flags & QUARK_EVF_THREAD && n < sizeof(ev_s))
		n += (size_t)snprintf(ev_s + n, sizeof(ev_s) - n, ",thread");
	if (ev->flags & QUARK_EVF_LATE && n < sizeof(ev_s))
		n += (size_t)snprintf(ev_s + n, sizeof(ev_s) - n, ",late");
	if (ev->flags & QUARK_EVF_STALE && n < sizeof(ev_s))
		n += (size_t)snprintf(ev_s + n, sizeof(ev_s) - n, ",stale");
	if (ev->flags & QUARK_EVF_FROM_PROC && n < sizeof(ev_s))
		n += (size_t)snprintf(ev_s + n, sizeof(ev_s) - n, ",from_proc");
	l_color(&l, exec ? C_GREEN : "");
	if (ev->flags & (QUARK_EVF_LATE | QUARK_EVF_STALE))
		l_color(&l, C_YELLOW);
	l_pad(&l, ev_s, 15);
	l_color(&l, C_RESET);
	l_exit(&l, ev->process);
	l_previous(&l, ev);
	l_command(&l, ev->process);
	return (l_write(&l, fd));
}

/* watch --stats: the counters as one line of words. */
static int
text_stats(int fd, const struct quark_stats *st)
{
	struct line	l;
	size_t		i;

	l_open(&l, fd);
	l.maxcols = 0;		/* every counter, whatever the width */
	l_str(&l, "stats: backend ");
	l_escaped(&l, st->backend, strnlen(st->backend, sizeof(st->backend)));
	for (i = 0; i < nstats_counters; i++)
		l_printf(&l, ", %s %llu", stats_counters[i].key,
		    (unsigned long long)*(const uint64_t *)
		    ((const char *)st + stats_counters[i].off));
	if (st->features_off[0] != '\0') {
		l_str(&l, ", features_off ");
		l_escaped(&l, st->features_off,
		    strnlen(st->features_off, sizeof(st->features_off)));
	}
	return (l_write(&l, fd));
}

static void
text_cleanup(void)
{
	free(line_buf);
	line_buf = NULL;
	line_cap = 0;
	names_flush();
}

const struct output output_text = {
	.name = "text",
	.desc = "one line per record for people at a terminal",
	.snapshot = text_snapshot,
	.event = text_event,
	.stats = text_stats,
	.cleanup = text_cleanup,
};
