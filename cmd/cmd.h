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

#define EXIT_USAGE	2

struct cmd {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*usage;		/* after "quark NAME ", SYNOPSIS words */
	const char	*desc;		/* one line */
};

extern const struct cmd	*cur_cmd;	/* the command being run */
struct output;
/* The output format records are written in (output.h): outputs[0]. */
extern const struct output *cur_output;

int	cmd_watch(int, char **);
int	cmd_snapshot(int, char **);
int	cmd_lookup(int, char **);
int	cmd_btf(int, char **);
int	cmd_help(int, char **);

const struct cmd *cmd_find(const char *);
/* Prints "usage: quark NAME USAGE" to stderr; returns EXIT_USAGE. */
int	cmd_usage(const struct cmd *);
/* Prints the usage to stdout (for -h and `quark help`); returns 0. */
int	cmd_help_of(const struct cmd *);
/* "quark: CMD: msg[: strerror]" on stderr. */
void	cwarn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	cwarnx(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * Strict number parsing: the whole string is a decimal integer within
 * [min, max].  Returns 0, or -1 after printing a usage complaint naming
 * `what`.
 */
int	parse_num(const char *s, long long min, long long max,
	    const char *what, long long *out);
/* Like parse_num, with an optional unit suffix: "ms" "s" (time, to ns). */
int	parse_duration_ms(const char *s, uint64_t max_ms, const char *what,
	    uint64_t *out_ns);
/* Ignore SIGPIPE so that a closed stdout is EPIPE, a normal end. */
void	output_init(void);

#endif /* QUARK_CMD_H */
