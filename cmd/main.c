/*
 * main.c - the command table and dispatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "quark.h"
#include "output.h"
#include "utf8.h"
#include "cmd.h"

/* Blocks from this size up are mmap(2)ed (bytes): glibc's initial value. */
#define MMAP_THRESHOLD	(128 * 1024)

/* Exact names only: a new command never changes what an old script runs. */
static const struct cmd cmds[] = {
	{ "watch",	cmd_watch,	&watch_options,
	  "stream process events as NDJSON" },
	{ "snapshot",	cmd_snapshot,	&snapshot_options,
	  "print the current process table from /proc" },
	{ "lookup",	cmd_lookup,	&lookup_options,
	  "print what is known about processes" },
	{ "btf",	cmd_btf,	&btf_options,
	  "report the kernel facts quark relies on" },
	{ "help",	cmd_help,	&help_options,
	  "print the help of a command" },
};

const struct cmd *cur_cmd;
const struct output *cur_output;
/* Room for the formats of outputs[] and the end of the list. */
struct opt_choice format_choices[16];

static void
format_init(void)
{
	size_t	i;

	for (i = 0; outputs[i] != NULL &&
	    i < sizeof(format_choices) / sizeof(format_choices[0]) - 1; i++) {
		format_choices[i].name = outputs[i]->name;
		format_choices[i].val = (int)i;
	}
	format_choices[i].name = NULL;
}

void
format_select(int format)
{
	cur_output = outputs[format];
}

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
list_commands(FILE *f)
{
	size_t	i;

	fprintf(f, "\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].desc);
}

/* quark's own options, before the command. */
struct main_opts {
	int	version;
};

static const struct opt main_opt_table[] = {
	{ "help", 'h', OPT_HELP, NULL, "print this help and exit",
	  .off = 0 },
	{ "version", 'V', OPT_FLAG, NULL, "print the version and exit",
	  .off = offsetof(struct main_opts, version) },
	{ .name = NULL }
};

static const struct opt_set main_options = {
	main_opt_table, sizeof(struct main_opts), NULL, "COMMAND [options]",
	1, list_commands
};

/* quark itself, for its usage and help: a command with no name. */
static const struct cmd main_cmd = { NULL, NULL, &main_options, NULL };

static void
main_usage(FILE *f)
{
	opt_usage_line(&main_cmd, f);
	list_commands(f);
}

int
cmd_usage(const struct cmd *c)
{
	opt_usage_line(c, stderr);
	return (EXIT_USAGE);
}

int
cmd_help_of(const struct cmd *c)
{
	opt_help(c, stdout);
	return (fflush(stdout) == EOF && errno != EPIPE ? 1 : 0);
}

struct help_opts {
	int	unused;
};

static const struct opt help_opt_table[] = {
	{ "help", 'h', OPT_HELP, NULL, "print this help and exit",
	  .off = 0 },
	{ .name = NULL }
};

const struct opt_set help_options = {
	help_opt_table, sizeof(struct help_opts), NULL, "[COMMAND]", 0, NULL
};

int
cmd_help(int argc, char **argv)
{
	const struct cmd	*c;
	struct help_opts	 o;
	int			 st;

	if (opt_parse(cur_cmd, argc, argv, &o, &st) == -1)
		return (st);
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return (cmd_help_of(&main_cmd));
	if (argc != 1) {
		cwarnx("unexpected argument '%s'", argv[1]);
		return (cmd_usage(cur_cmd));
	}
	if ((c = cmd_find(argv[0])) == NULL) {
		cwarnx("unknown command '%s'", argv[0]);
		main_usage(stderr);
		return (EXIT_USAGE);
	}
	return (cmd_help_of(c));
}

static void
vcwarn(int with_errno, const char *fmt, va_list ap)
{
	int		 saved = errno;
	char		 msg[1024], safe[1024], esc[UTF8_ESC_MAX];
	const char	*e;
	size_t		 i, n, o, len, elen;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/*
	 * Arguments from the command line or the system (a PID, a path, a
	 * user name) reach a terminal escaped, as text output does.
	 */
	len = strlen(msg);
	for (i = 0, o = 0; i < len; i += n) {
		if ((e = utf8_term_escape(msg + i, len - i, &n, esc)) == NULL)
			e = msg + i, elen = n;
		else
			elen = strlen(e);
		if (o + elen >= sizeof(safe))
			break;
		memcpy(safe + o, e, elen);
		o += elen;
	}
	safe[o] = '\0';
	/* One fprintf: the line is written whole. */
	fprintf(stderr, "quark: %s%s%s%s%s\n",
	    cur_cmd ? cur_cmd->name : "", cur_cmd ? ": " : "", safe,
	    with_errno ? ": " : "", with_errno ? strerror(saved) : "");
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
	long long	 v = 0;

	/* strtonum(3) takes leading blanks and a sign: ours is digits only. */
	errstr = "invalid";
	if (s[0] != '\0' && s[strspn(s, "0123456789")] == '\0')
		v = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		/* Worded as opt.c words an option's value. */
		if (strcmp(errstr, "invalid") != 0)
			cwarnx("%s %s: out of range, %lld to %lld", what, s,
			    min, max);
		else
			cwarnx("%s %s: not a decimal number, %lld to %lld",
			    what, s, min, max);
		return (-1);
	}
	*out = v;
	return (0);
}

void
output_init(void)
{
	signal(SIGPIPE, SIG_IGN);
}

/*
 * Descriptors 0, 1 and 2 open before anything else is: were stdout closed
 * (`quark watch >&-`), the first file quark opens (a BPF map) would become
 * fd 1 and records would be written into it.  Returns -1 when /dev/null
 * cannot be opened.
 */
static int
std_fds(void)
{
	int	fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lowest free descriptor: this one. */
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			return (-1);
	}
	return (0);
}

int
main(int argc, char **argv)
{
	struct main_opts	o;
	int			st;

	if (std_fds() == -1)
		return (1);
	/*
	 * Large blocks (the kernel's BTF, parsed and freed at start-up by the
	 * probe and the BPF loader) always come from mmap(2), so that freeing
	 * them gives the memory back.  glibc's default raises this threshold
	 * after the first such free, and the next parse then stays in the heap
	 * for good: watch ran with ~11 MiB it never used.
	 */
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	output_init();
	cur_output = outputs[0];
	format_init();
	if (opt_parse(&main_cmd, argc, argv, &o, &st) == -1)
		return (st);
	if (o.version) {
		printf("quark %s\n", QUARK_VERSION);
		return (fflush(stdout) == EOF && errno != EPIPE ? 1 : 0);
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		cwarnx("a command is needed");
		main_usage(stderr);
		return (EXIT_USAGE);
	}
	if ((cur_cmd = cmd_find(argv[0])) == NULL) {
		cwarnx("unknown command '%s'", argv[0]);
		main_usage(stderr);
		return (EXIT_USAGE);
	}
	return (cur_cmd->fn(argc, argv));
}
