/*
 * cmd.h - quark's command table and the helpers every command shares.
 *
 * A command is a function `int fn(int argc, char **argv)` that returns the
 * exit status: 0 success, 1 error, 2 usage error.  Commands never call
 * exit(3); they report with cwarn()/cwarnx() ("quark: CMD: what went
 * wrong") and return.
 */
#ifndef QUARK_CMD_H
#define QUARK_CMD_H

#include <stdint.h>

#include "opt.h"

#define EXIT_USAGE	2

/*
 * A command: its exact name, its function, its option table (opt.h: the
 * one source of its getopt table, usage, help and SYNOPSIS) and one line
 * for the list of commands.  The table of commands is in main.c.
 */
struct cmd {
	const char		*name;
	int			(*fn)(int, char **);
	const struct opt_set	*opts;
	const char		*desc;		/* one line */
};

extern const struct cmd	*cur_cmd;	/* the command being run */
struct output;
/* The output format records are written in (output.h): outputs[0]. */
extern const struct output *cur_output;
/*
 * --format NAME: the names of outputs[], filled by main() before any
 * option is parsed (the table of formats is the one list of them); the
 * value is the index in outputs[], 0 (the default) when not given.
 */
extern struct opt_choice format_choices[];
#define FORMAT_OPT(where) \
	{ "format", 0, OPT_CHOICE, "NAME", "the output format", \
	  .off = (where), .choices = format_choices }
/* Selects outputs[format] as cur_output. */
void	format_select(int format);

int	cmd_watch(int, char **);
int	cmd_snapshot(int, char **);
int	cmd_lookup(int, char **);
int	cmd_btf(int, char **);
int	cmd_help(int, char **);

extern const struct opt_set	watch_options, snapshot_options,
				lookup_options, btf_options, help_options;

const struct cmd *cmd_find(const char *);
/* Prints "usage: quark NAME ..." to stderr; returns EXIT_USAGE. */
int	cmd_usage(const struct cmd *);
/* Prints the help (usage, options) to stdout, for -h and `quark help`. */
int	cmd_help_of(const struct cmd *);
/* "quark: CMD: msg[: strerror]" on stderr ("quark: msg" before a command). */
void	cwarn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	cwarnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * Strict number parsing: the whole string is decimal digits (no sign, no
 * blanks) whose value is within [min, max] (min >= 0).  Returns 0, or -1 after printing a usage complaint naming
 * `what`.
 */
int	parse_num(const char *s, long long min, long long max,
	    const char *what, long long *out);
/*
 * Become USER (a name, or a numeric uid): its uid, its gid and its
 * supplementary groups, keeping of the capabilities only those a running
 * watch still needs (see privdrop.c); ebpf: the eBPF backend is in use.
 * Returns 0, or -1 after saying why (the process may then be half
 * switched: the caller must exit).
 */
int	priv_drop(const char *user, int ebpf);
/* Ignore SIGPIPE so that a closed stdout is EPIPE, a normal end. */
void	output_init(void);

#endif /* QUARK_CMD_H */
