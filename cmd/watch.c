/*
 * watch.c - `quark watch`: stream process events in the output format
 * (output.h; NDJSON by default).
 *
 * The loop: block on the queue's fd (or until a held record is due), drain
 * every ready event to stdout, repeat.  SIGINT/SIGTERM stop capture; what
 * the queue still holds is flushed before exiting 0, unless a write
 * blocks for FLUSH_MAX_S (or a second signal comes): then exit 1.
 * A closed stdout (EPIPE) is a normal end.
 *
 * Readiness: once the programs are attached and the cache is seeded from
 * /proc, watch writes the line "quark: watch: ready" to stderr (stdout
 * carries records only).  Scripts and tests wait for that line: anything
 * that starts after it is seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "quark.h"
#include "output.h"
#include "cmd.h"

/*
 * Ring data that wakes watch is read this long after (ms) past the
 * reorder window, at most GATHER_MAX_MS: see watch_loop().
 */
#define GATHER_MS	5
#define GATHER_MAX_MS	50
/*
 * After SIGINT/SIGTERM, a write may block this long (s): then (or at a
 * second signal) watch gives up on a stalled reader.
 */
#define FLUSH_MAX_S	5

static volatile sig_atomic_t	stop_sig;
static volatile sig_atomic_t	give_up;	/* 1: FLUSH_MAX_S, 2: a 2nd signal */
static volatile sig_atomic_t	stats_sig;
static volatile sig_atomic_t	reopen_sig;

/* watch's options: the queue's attributes and what watch itself does. */
struct wopts {
	struct quark_queue_attr	 attr;
	int			 stats;		/* --stats */
	const char		*output;	/* --output FILE, NULL: stdout */
	const char		*user;		/* --user USER, NULL: stay */
	int			 format;	/* --format: index in outputs[] */
	int			 fd;		/* where records go */
};

/*
 * --backend NAME; AUTO: eBPF, else kprobes, else the proc connector (see
 * lib/queue.c).
 */
static const struct opt_choice watch_backends[] = {
	{ "auto",	QUARK_BACKEND_AUTO },
	{ "ebpf",	QUARK_BACKEND_EBPF },
	{ "kprobe",	QUARK_BACKEND_KPROBE },
	{ "netlink",	QUARK_BACKEND_NETLINK },
	{ NULL,		0 }
};

#define A(field)	offsetof(struct wopts, attr.field)
#define W(field)	offsetof(struct wopts, field)

/*
 * The ranges: hold 1 ms (the hold's floor as the queue fills, hold_min_ns)
 * to 60 s; a reorder window or grace of 0 means none; 256 KiB of argv is
 * the kernel side's WIRE_ARGV_MAX and 0 captures no arguments; the ring
 * is a power of 2 from a page to 1 GiB.
 */
static const struct opt watch_opt_table[] = {
	{ "help", 'h', OPT_HELP, NULL, "print this help and exit",
	  .off = 0 },
	{ "no-aggregate", 0, OPT_BITS, NULL, "print every raw event as its own record",
	  .off = A(flags), .val = QQ_NO_AGGREGATE },
	{ "sorted", 0, OPT_BITS, NULL, "print records in strict time order (a held record holds all)",
	  .off = A(flags), .val = QQ_SORTED },
	{ "threads", 0, OPT_BITS, NULL, "also report the creation and exit of threads",
	  .off = A(flags), .val = QQ_THREADS },
	{ "env", 0, OPT_BITS, NULL, "capture environments (they hold secrets)",
	  .off = A(flags), .val = QQ_ENV },
	{ "stats", 0, OPT_FLAG, NULL, "print counters to stderr on exit and on SIGUSR1",
	  .off = W(stats) },
	{ "hold", 0, OPT_MS, "MS", "hold a record up to MS for its exec and exit to join it",
	  .off = A(hold_max_ns), .min = 1, .max = 60000 },
	{ "reorder", 0, OPT_MS, "MS", "wait MS for older events; print a complete record once it is MS old",
	  .off = A(reorder_ns), .max = 60000 },
	{ "max-length", 0, OPT_COUNT, "N", "bound the queue to N records",
	  .off = A(max_length), .min = 1, .max = 10000000 },
	{ "ring-size", 0, OPT_SIZE, "BYTES", "size of the BPF ring buffer, or of the netlink socket buffer",
	  .off = A(ring_bytes), .min = 4096, .max = 1LL << 30, .flags = OPT_POW2 },
	{ "argv-cap", 0, OPT_SIZE, "BYTES", "capture at most BYTES of the arguments of each exec",
	  .off = A(argv_cap), .max = 256 * 1024 },
	{ "grace", 0, OPT_MS, "MS", "keep exited processes cached for MS",
	  .off = A(grace_ns), .max = 3600000 },
	{ "backend", 0, OPT_CHOICE, "NAME", "the capture backend",
	  .off = A(backend), .choices = watch_backends },
	{ "output", 0, OPT_STRING, "FILE", "append records to FILE, reopened on SIGHUP",
	  .off = W(output), .defword = "standard output" },
	FORMAT_OPT(W(format)),
	{ "user", 0, OPT_STRING, "USER", "switch to USER once attached",
	  .off = W(user), .defword = "no switch" },
	{ "btf", 0, OPT_STRING, "FILE", "read the kprobe offsets from this kernel BTF",
	  .off = A(btf_path), .defword = "/sys/kernel/btf/vmlinux" },
	{ .name = NULL }
};

#undef A
#undef W

static void
watch_defaults(void *o)
{
	struct wopts	*w = o;

	quark_queue_default_attr(&w->attr);
	w->output = NULL;
	w->fd = STDOUT_FILENO;
}

const struct opt_set watch_options = {
	watch_opt_table, sizeof(struct wopts), watch_defaults, NULL, 0, NULL
};

static void
on_stop(int sig)
{
	if (stop_sig)
		give_up = 2;
	else
		alarm(FLUSH_MAX_S);
	stop_sig = sig;
}

static void
on_alarm(int sig)
{
	if (!give_up)
		give_up = 1;
}

static void
on_usr1(int sig)
{
	stats_sig = 1;
}

static void
on_hup(int sig)
{
	reopen_sig = 1;
}

/* No SA_RESTART: a signal must interrupt poll(2). */
static void
watch_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	output_give_up_on(&give_up);
}

/* --output FILE: appended to, created 0640; reopened on SIGHUP (logrotate). */
static int
open_output(struct wopts *w)
{
	int	fd;

	if (w->output == NULL) {
		w->fd = STDOUT_FILENO;
		return (0);
	}
	/*
	 * A reopen must not block capture: a FIFO without a reader fails
	 * (ENXIO) instead of waiting for one.  Writes block as before.
	 */
	if ((fd = open(w->output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    (w->fd > STDERR_FILENO ? O_NONBLOCK : 0), 0640)) == -1 ||
	    (w->fd > STDERR_FILENO && fcntl(fd, F_SETFL, O_APPEND) == -1)) {
		if (w->fd > STDERR_FILENO)
			cwarnx("cannot reopen %s on SIGHUP (%s): still "
			    "writing to the file opened before", w->output,
			    strerror(errno));
		else
			cwarn("%s", w->output);
		return (-1);
	}
	if (w->fd > STDERR_FILENO)
		close(w->fd);
	w->fd = fd;
	return (0);
}

/* One line of counters on stderr, in the output format. */
static void
print_stats(struct quark_queue *qq)
{
	struct quark_stats	st;

	quark_queue_stats(qq, &st);
	cur_output->stats(STDERR_FILENO, &st);
}

/*
 * Write every ready event.  Returns 0 when the queue has nothing ready,
 * 1 when stdout went away (EPIPE), -1 on error.
 */
static int
drain(struct quark_queue *qq, int fd, int stoppable)
{
	const struct quark_event	*ev;
	int				 r = 0, saved;

	/*
	 * Whole lines gather and leave together: one write(2) per batch
	 * (formats without a batch entry write each line at once).
	 */
	if (cur_output->batch != NULL)
		cur_output->batch(fd, 1);
	for (;;) {
		errno = 0;
		/* Under a load quark is behind on, this never runs dry. */
		if (stoppable && stop_sig)
			break;
		if ((ev = quark_queue_next(qq)) == NULL)
			break;
		if (cur_output->event(fd, ev) == -1) {
			r = -1;
			break;
		}
		/* Stopping: the output has FLUSH_MAX_S again for the rest. */
		if (stop_sig && !give_up)
			alarm(FLUSH_MAX_S);
	}
	saved = errno;
	if (cur_output->batch != NULL && cur_output->batch(fd, 0) == -1 &&
	    r == 0) {
		r = -1;
		saved = errno;
	} else if (r == 0 && saved != 0) {
		cwarn("reading events");
		return (-1);
	}
	if (r == -1) {
		if (saved == EPIPE)
			return (1);
		if (saved == EINTR && give_up) {
			if (give_up == 2)
				cwarnx("a second signal while a write to the "
				    "output was blocked: records left "
				    "unwritten");
			else
				cwarnx("after the stop, a write to the output "
				    "was blocked for %d s: records left "
				    "unwritten", FLUSH_MAX_S);
			return (-1);
		}
		errno = saved;
		cwarn("write");
		return (-1);
	}
	return (0);
}

/* --backend netlink: the proc connector's own reasons. */
static void
netlink_failed(void)
{
	switch (errno) {
	case EPERM:
	case EACCES:
		cwarnx("the proc connector needs root (CAP_NET_ADMIN); "
		    "try sudo");
		break;
	case EPROTONOSUPPORT:
	case EAFNOSUPPORT:
		cwarnx("this kernel has no proc connector "
		    "(CONFIG_PROC_EVENTS); run quark btf for details");
		break;
	default:
		cwarn("starting the proc connector");
		break;
	}
}

static void
open_failed(int backend)
{
	const char	*why = quark_queue_why();

	if (backend == QUARK_BACKEND_NETLINK) {
		netlink_failed();
		return;
	}
	if (backend == QUARK_BACKEND_KPROBE) {
		if (errno == EPERM || errno == EACCES)
			cwarnx("kprobes need root (CAP_SYS_ADMIN); try sudo");
		else
			cwarnx("cannot capture with kprobes: %s", *why != '\0' ?
			    why + strlen("kprobe: ") : strerror(errno));
		return;
	}
	if (backend == QUARK_BACKEND_AUTO && errno != EPERM &&
	    errno != EACCES && *why != '\0') {
		cwarnx("no backend could start: %s", why);
		return;
	}
	if (backend == QUARK_BACKEND_EBPF && *why != '\0') {
		cwarnx("cannot capture with eBPF: %s", why + strlen("ebpf: "));
		return;
	}
	switch (errno) {
	case EPERM:
	case EACCES:
		cwarnx("loading BPF needs root (CAP_BPF and CAP_PERFMON); "
		    "try sudo");
		break;
	case ENOENT:
		cwarnx("no kernel BTF at /sys/kernel/btf/vmlinux; "
		    "a kernel with CONFIG_DEBUG_INFO_BTF=y is needed "
		    "(see quark btf)");
		break;
	case ENOSYS:
	case EOPNOTSUPP:
		cwarnx("this kernel refused quark's BPF programs (%s); "
		    "run quark btf for details", strerror(errno));
		break;
	default:
		cwarn("starting capture");
		break;
	}
}

/*
 * Sleep in poll(2) until the ring has data or the queue has something
 * due (a record, an exited process to collect), and no longer: an idle
 * host costs no wakeup at all.  Ring data is not read at once: none of
 * its records may leave before the reorder window has passed since its
 * newest event, so watch first gathers for that window plus GATHER_MS,
 * sleeping with the ring unwatched (a host change ends it early; a
 * record that falls due meanwhile leaves at its end: cut short for each,
 * a storm would cost a wakeup per record), then reads it all, telling
 * the queue since when it was there (quark_queue_gathered(): the window
 * runs from then, not from the read).  A short process (fork, exec and
 * exit within GATHER_MS) costs two wakeups, and its record leaves at the
 * second, about 30 ms after its fork; under any load, about one wakeup
 * per gathering (30 ms by default, at most GATHER_MAX_MS).
 */
static int
watch_loop(struct quark_queue *qq, struct wopts *w)
{
	struct pollfd	pfd[2];
	uint64_t	since;
	int		r, timeout, gather;

	gather = (int)(w->attr.reorder_ns / 1000000) + GATHER_MS;
	if (gather > GATHER_MAX_MS)
		gather = GATHER_MAX_MS;
	/*
	 * pfd[0]: the ring; pfd[1]: host changes (a clock step, a passwd
	 * change), always watched so that the queue dates them right.
	 */
	pfd[0].fd = quark_queue_fd(qq);
	pfd[1].fd = quark_queue_notify_fd(qq);
	pfd[0].events = pfd[1].events = POLLIN;
	while (!stop_sig) {
		if ((r = drain(qq, w->fd, 1)) != 0)
			return (r == 1 ? 0 : 1);
		/* A failed reopen keeps writing to the file already open. */
		if (reopen_sig) {
			reopen_sig = 0;
			if (w->output != NULL)
				open_output(w);
		}
		if (stats_sig) {
			stats_sig = 0;
			print_stats(qq);
		}
		timeout = quark_queue_timeout_ms(qq);
		pfd[0].revents = 0;
		if ((r = poll(pfd, 2, timeout)) == -1 && errno != EINTR) {
			cwarn("poll");
			return (1);
		}
		if (r <= 0 || pfd[0].fd == -1 || !(pfd[0].revents & POLLIN) ||
		    stop_sig)
			continue;
		/*
		 * Ring data: gather, whatever falls due meanwhile (it leaves
		 * at the end: cut short for each due record, a storm would
		 * cost a wakeup per record).
		 */
		since = quark_boot_now();
		if (poll(&pfd[1], 1, gather) == -1 && errno != EINTR) {
			cwarn("poll");
			return (1);
		}
		quark_queue_gathered(qq, since);
	}
	/*
	 * Stopped by a signal: flush what is held, then leave; a write
	 * blocked for FLUSH_MAX_S (on_stop(), drain()) is given up on.
	 */
	quark_queue_stop(qq);
	r = drain(qq, w->fd, 0);
	alarm(0);
	return (r == -1 ? 1 : 0);
}

static const char *
backend_name(struct quark_queue *qq)
{
	static struct quark_stats	st;

	quark_queue_stats(qq, &st);
	return (st.backend);
}

/* Say what the backend could not switch on: never hide a blind spot. */
static void
warn_features_off(struct quark_queue *qq)
{
	struct quark_stats	st;

	quark_queue_stats(qq, &st);
	if (st.features_off[0] != '\0')
		cwarnx("capture without %s", st.features_off);
}

int
cmd_watch(int argc, char **argv)
{
	struct quark_queue	*qq;
	struct quark_stats	 st;
	struct wopts		 w;
	int			 r;

	if (opt_parse(cur_cmd, argc, argv, &w, &r) == -1)
		return (r);
	format_select(w.format);
	if (optind != argc) {
		cwarnx("unexpected argument '%s'", argv[optind]);
		return (cmd_usage(cur_cmd));
	}
	if (open_output(&w) == -1)
		return (1);
	watch_signals();
	if ((qq = quark_queue_open(&w.attr)) == NULL) {
		open_failed(w.attr.backend);
		return (1);
	}
	if (w.attr.backend == QUARK_BACKEND_AUTO && *quark_queue_why() != '\0')
		cwarnx("using the %s backend (%s)", backend_name(qq),
		    quark_queue_why());
	warn_features_off(qq);
	/* Attached and seeded: what is left needs (almost) nothing. */
	if (w.user != NULL) {
		quark_queue_stats(qq, &st);
		if (priv_drop(w.user, strcmp(st.backend, "ebpf") == 0) == -1) {
			quark_queue_close(qq);
			return (1);
		}
	}
	fprintf(stderr, "quark: %s: ready\n", cur_cmd->name);
	r = watch_loop(qq, &w);
	if (w.stats)
		print_stats(qq);
	quark_queue_close(qq);
	if (w.fd > STDERR_FILENO)
		close(w.fd);
	return (r);
}
