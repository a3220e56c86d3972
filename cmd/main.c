/*
 * main.c - the command table and dispatch.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "quark.h"
#include "output.h"
#include "cmd.h"

/* Exact names only: a new command never changes what an old script runs. */
static const struct cmd cmds[] = {
	{ "watch", cmd_watch,
	  "[-h] [--no-aggregate] [--threads] [--env] [--stats] "
	  "[--hold MS] [--reorder MS] [--max-length N] [--ring-size BYTES] "
	  "[--argv-cap BYTES] [--grace MS] [--backend NAME] [--output FILE]",
	  "stream process events as NDJSON" },
	{ "snapshot", cmd_snapshot,
	  "[-h] [--threads] [--tree] [--no-kthreads] [--env]",
	  "print the current process table from /proc" },
	{ "lookup", cmd_lookup,
	  "[-h] [--ancestors] [--env] PID ...",
	  "print what is known about processes" },
	{ "btf", cmd_btf,
	  "[-h] [--table | --json] [--btf FILE]",
	  "report the kernel facts quark relies on" },
	{ "help", cmd_help,
	  "[COMMAND]",
	  "print the usage of a command" },
};

const struct cmd *cur_cmd;
const struct output *cur_output;

const struct cmd *
cmd_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return (&cmds[i]);
	return (NULL);
}

static void
main_usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: quark [-h] [-V] COMMAND [options]\n");
	fprintf(f, "commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].desc);
}

int
cmd_usage(const struct cmd *c)
{
	fprintf(stderr, "usage: quark %s %s\n", c->name, c->usage);
	return (EXIT_USAGE);
}

int
cmd_help_of(const struct cmd *c)
{
	printf("usage: quark %s %s\n", c->name, c->usage);
	return (fflush(stdout) == EOF && errno != EPIPE ? 1 : 0);
}

int
cmd_help(int argc, char **argv)
{
	const struct cmd	*c;

	if (argc == 1) {
		main_usage(stdout);
		return (0);
	}
	if (argc != 2)
		return (cmd_usage(cur_cmd));
	if ((c = cmd_find(argv[1])) == NULL) {
		cwarnx("unknown command '%s'", argv[1]);
		main_usage(stderr);
		return (EXIT_USAGE);
	}
	return (cmd_help_of(c));
}

static void
vcwarn(int with_errno, const char *fmt, va_list ap)
{
	int	saved = errno;
	char	msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "quark: %s: %s: %s\n",
		    cur_cmd ? cur_cmd->name : "quark", msg, strerror(saved));
	else
		fprintf(stderr, "quark: %s: %s\n",
		    cur_cmd ? cur_cmd->name : "quark", msg);
	errno = saved;
}

void
cwarn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vcwarn(1, fmt, ap);
	va_end(ap);
}

void
cwarnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vcwarn(0, fmt, ap);
	va_end(ap);
}

int
parse_num(const char *s, long long min, long long max, const char *what,
    long long *out)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		cwarnx("%s is %s: %s", what, errstr, s);
		return (-1);
	}
	*out = v;
	return (0);
}

int
parse_duration_ms(const char *s, uint64_t max_ms, const char *what,
    uint64_t *out_ns)
{
	char		 buf[32];
	size_t		 n = strlen(s);
	uint64_t	 mult = 1;	/* ms */
	long long	 v;

	if (n >= sizeof(buf)) {
		cwarnx("%s is too long: %s", what, s);
		return (-1);
	}
	memcpy(buf, s, n + 1);
	if (n > 2 && strcmp(buf + n - 2, "ms") == 0)
		buf[n - 2] = '\0';
	else if (n > 1 && buf[n - 1] == 's') {
		buf[n - 1] = '\0';
		mult = 1000;
	}
	if (parse_num(buf, 0, (long long)(max_ms / mult), what, &v) == -1)
		return (-1);
	*out_ns = (uint64_t)v * mult * 1000000ULL;
	return (0);
}

void
output_init(void)
{
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char **argv)
{
	int	ch;

	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL,	'h' },
		{ "version",	no_argument,	NULL,	'V' },
		{ NULL,		0,		NULL,	0 }
	};

	output_init();
	cur_output = outputs[0];
	/* '+': stop at the command name; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			main_usage(stdout);
			return (0);
		case 'V':
			printf("quark %s\n", QUARK_VERSION);
			return (0);
		default:
			main_usage(stderr);
			return (EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		main_usage(stderr);
		return (EXIT_USAGE);
	}
	if ((cur_cmd = cmd_find(argv[0])) == NULL) {
		warnx("unknown command '%s'", argv[0]);
		main_usage(stderr);
		return (EXIT_USAGE);
	}
	optind = 0;	/* glibc: full reinitialisation for the command */
	return (cur_cmd->fn(argc, argv));
}
