/*
 * watch.c - `quark watch`: stream process events in the output format
 * (output.h; NDJSON by default).
 *
 * The loop: block on the queue's fd (or until a held record is due), drain
 * every ready event to stdout, repeat.  SIGINT/SIGTERM stop capture; what
 * the queue still holds is flushed before exiting 0.  A closed stdout
 * (EPIPE) is a normal end.
 *
 * Readiness: once the programs are attached and the cache is seeded from
 * /proc, watch writes the line "quark: watch: ready" to stderr (stdout
 * carries records only).  Scripts and tests wait for that line: anything
 * that starts after it is seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "quark.h"
#include "output.h"
#include "cmd.h"

/* Poll period while records are held, ms: well under the reorder window. */
#define BATCH_MS	10

static volatile sig_atomic_t	stop_sig;
static volatile sig_atomic_t	stats_sig;
static volatile sig_atomic_t	reopen_sig;

/* What watch does besides the queue's attributes. */
struct wopts {
	int		 stats;		/* --stats */
	const char	*output;	/* --output FILE, NULL: stdout */
	int		 fd;		/* where records go */
};

enum {
	OPT_NO_AGGREGATE = 256,
	OPT_THREADS,
	OPT_ENV,
	OPT_STATS,
	OPT_HOLD,
	OPT_REORDER,
	OPT_MAX_LENGTH,
	OPT_RING_SIZE,
	OPT_ARGV_CAP,
	OPT_GRACE,
	OPT_BACKEND,
	OPT_OUTPUT,
};

static const struct option watch_opts[] = {
	{ "help",		no_argument,		NULL, 'h' },
	{ "no-aggregate",	no_argument,		NULL, OPT_NO_AGGREGATE },
	{ "threads",		no_argument,		NULL, OPT_THREADS },
	{ "env",		no_argument,		NULL, OPT_ENV },
	{ "stats",		no_argument,		NULL, OPT_STATS },
	{ "hold",		required_argument,	NULL, OPT_HOLD },
	{ "reorder",		required_argument,	NULL, OPT_REORDER },
	{ "max-length",		required_argument,	NULL, OPT_MAX_LENGTH },
	{ "ring-size",		required_argument,	NULL, OPT_RING_SIZE },
	{ "argv-cap",		required_argument,	NULL, OPT_ARGV_CAP },
	{ "grace",		required_argument,	NULL, OPT_GRACE },
	{ "backend",		required_argument,	NULL, OPT_BACKEND },
	{ "output",		required_argument,	NULL, OPT_OUTPUT },
	{ NULL,			0,			NULL, 0 }
};

static void
on_stop(int sig)
{
	stop_sig = sig;
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
	if ((fd = open(w->output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1) {
		cwarn("%s", w->output);
		return (-1);
	}
	if (w->fd > STDERR_FILENO)
		close(w->fd);
	w->fd = fd;
	return (0);
}

/* --backend NAME; AUTO: eBPF, else the proc connector (see lib/queue.c). */
static const struct {
	const char	*name;
	int		 id;
} watch_backends[] = {
	{ "auto",	QUARK_BACKEND_AUTO },
	{ "ebpf",	QUARK_BACKEND_EBPF },
	{ "netlink",	QUARK_BACKEND_NETLINK },
};

static int
parse_backend(const char *arg, int *id)
{
	size_t	i;

	for (i = 0; i < sizeof(watch_backends) / sizeof(watch_backends[0]);
	    i++) {
		if (strcmp(arg, watch_backends[i].name) == 0) {
			*id = watch_backends[i].id;
			return (0);
		}
	}
	cwarnx("unknown backend '%s' (auto, ebpf or netlink)", arg);
	return (-1);
}

static int
is_pow2(long long v)
{
	return (v > 0 && (v & (v - 1)) == 0);
}

/* Returns 0, or EXIT_USAGE after complaining. */
static int
watch_parse(int argc, char **argv, struct quark_queue_attr *attr,
    struct wopts *w)
{
	long long	v;
	int		ch;

	while ((ch = getopt_long(argc, argv, "h", watch_opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return (-1);
		case OPT_NO_AGGREGATE:
			attr->flags |= QQ_NO_AGGREGATE;
			break;
		case OPT_THREADS:
			attr->flags |= QQ_THREADS;
			break;
		case OPT_ENV:
			attr->flags |= QQ_ENV;
			break;
		case OPT_STATS:
			w->stats = 1;
			break;
		case OPT_OUTPUT:
			w->output = optarg;
			break;
		case OPT_HOLD:
			if (parse_duration_ms(optarg, 60000, "hold",
			    &attr->hold_max_ns) == -1)
				return (EXIT_USAGE);
			break;
		case OPT_REORDER:
			if (parse_duration_ms(optarg, 60000, "reorder",
			    &attr->reorder_ns) == -1)
				return (EXIT_USAGE);
			break;
		case OPT_GRACE:
			if (parse_duration_ms(optarg, 3600000, "grace",
			    &attr->grace_ns) == -1)
				return (EXIT_USAGE);
			break;
		case OPT_MAX_LENGTH:
			if (parse_num(optarg, 1, 10000000, "max-length",
			    &v) == -1)
				return (EXIT_USAGE);
			attr->max_length = (uint32_t)v;
			break;
		case OPT_RING_SIZE:
			if (parse_num(optarg, 4096, 1LL << 30, "ring-size",
			    &v) == -1)
				return (EXIT_USAGE);
			if (!is_pow2(v)) {
				cwarnx("ring-size must be a power of 2: %s",
				    optarg);
				return (EXIT_USAGE);
			}
			attr->ring_bytes = (uint32_t)v;
			break;
		case OPT_BACKEND:
			if (parse_backend(optarg, &attr->backend) == -1)
				return (EXIT_USAGE);
			break;
		case OPT_ARGV_CAP:
			/* 256 KiB: the kernel side's WIRE_ARGV_MAX. */
			if (parse_num(optarg, 0, 256 * 1024, "argv-cap",
			    &v) == -1)
				return (EXIT_USAGE);
			attr->argv_cap = (uint32_t)v;
			break;
		default:
			return (EXIT_USAGE);
		}
	}
	if (optind != argc) {
		cwarnx("unexpected argument '%s'", argv[optind]);
		return (EXIT_USAGE);
	}
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
drain(struct quark_queue *qq, int fd)
{
	const struct quark_event	*ev;

	for (;;) {
		errno = 0;
		if ((ev = quark_queue_next(qq)) == NULL)
			break;
		if (cur_output->event(fd, ev) == -1) {
			if (errno == EPIPE)
				return (1);
			cwarn("write");
			return (-1);
		}
	}
	if (errno != 0) {
		cwarn("reading events");
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
	if (backend == QUARK_BACKEND_NETLINK) {
		netlink_failed();
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

static int
watch_loop(struct quark_queue *qq, struct wopts *w)
{
	struct pollfd	pfd;
	int		r, timeout, nfds;

	pfd.fd = quark_queue_fd(qq);
	pfd.events = POLLIN;
	while (!stop_sig) {
		if ((r = drain(qq, w->fd)) != 0)
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
		/*
		 * While records are held nothing is due before the reorder
		 * window (25 ms) anyway: do not wake per ring record, take
		 * what arrived in batches every BATCH_MS (the ring holds
		 * seconds of a spawn storm).  With nothing held, block on the
		 * ring, waking at least every 100 ms for reconcile and grace.
		 */
		timeout = quark_queue_timeout_ms(qq);
		if (timeout >= 0) {
			nfds = 0;
			if (timeout > BATCH_MS)
				timeout = BATCH_MS;
		} else {
			nfds = pfd.fd == -1 ? 0 : 1;
			timeout = 100;
		}
		if (poll(&pfd, nfds, timeout) == -1 && errno != EINTR) {
			cwarn("poll");
			return (1);
		}
	}
	/* Stopped by a signal: flush what is held, then leave. */
	quark_queue_stop(qq);
	r = drain(qq, w->fd);
	return (r == -1 ? 1 : 0);
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
	struct quark_queue_attr	 attr;
	struct quark_queue	*qq;
	struct wopts		 w = { 0, NULL, STDOUT_FILENO };
	int			 r;

	quark_queue_default_attr(&attr);
	if ((r = watch_parse(argc, argv, &attr, &w)) != 0)
		return (r == -1 ? cmd_help_of(cur_cmd) : cmd_usage(cur_cmd));
	if (open_output(&w) == -1)
		return (1);
	watch_signals();
	if ((qq = quark_queue_open(&attr)) == NULL) {
		open_failed(attr.backend);
		return (1);
	}
	warn_features_off(qq);
	fprintf(stderr, "quark: %s: ready\n", cur_cmd->name);
	r = watch_loop(qq, &w);
	if (w.stats)
		print_stats(qq);
	quark_queue_close(qq);
	if (w.fd > STDERR_FILENO)
		close(w.fd);
	return (r);
}
