/*
 * opt.h - option tables: the one copy of a command's options.
 *
 * Each command describes its options once, as rows of `struct opt`: name,
 * argument, meaning, where the value goes and what values are allowed.
 * From that table come getopt_long(3)'s table, the usage line (`usage:
 * quark watch [-h] ...`, the man page's SYNOPSIS says the same words), the
 * `-h` help (one line per option: argument, meaning, default), the checks
 * of every value at parse time, and the messages of a usage error.
 * tests/bats/docs.bats holds the man page and the completions to it.
 *
 * Values land in the command's own option struct at `off`; defaults come
 * from the command's defaults function, so the help prints the values the
 * command really starts with.
 *
 * Adding an option: one row in the command's table (and its field in the
 * option struct), then the man page and the three completion files; the
 * docs test names what is missing.
 */
#ifndef QUARK_OPT_H
#define QUARK_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum opt_kind {
	OPT_HELP,	/* -h: print the help, exit 0 */
	OPT_FLAG,	/* int at off = 1 */
	OPT_BITS,	/* unsigned int at off |= val */
	OPT_SET,	/* int at off = val; rows marked OPT_ALT exclude each other */
	OPT_MS,		/* uint64_t ns at off; "25", "25ms", "2s"; min/max in ms */
	OPT_SIZE,	/* uint32_t bytes at off; "8M", "8MiB", "4096"; min/max bytes */
	OPT_COUNT,	/* uint32_t at off, decimal; min/max */
	OPT_STRING,	/* const char * at off (points into argv) */
	OPT_CHOICE,	/* int at off, the val of the named row of choices */
};

/* OPT_CHOICE: one allowed name; the list ends with a NULL name. */
struct opt_choice {
	const char	*name;
	int		 val;
};

/* flags */
#define OPT_POW2	0x1	/* OPT_SIZE: a power of 2 */
#define OPT_ALT		0x2	/* an alternative to the row before: [--a | --b] */

struct opt {
	const char	*name;		/* long name without "--" */
	int		 shortc;	/* the one-letter name, or 0 */
	enum opt_kind	 kind;
	const char	*arg;		/* the argument in usage ("MS"), or NULL */
	const char	*help;		/* what it does, one line, no period */
	size_t		 off;		/* offsetof the value in the option struct */
	long long	 min, max;	/* allowed range (OPT_MS: milliseconds) */
	long long	 val;		/* OPT_BITS: the bits; OPT_SET: the value */
	unsigned int	 flags;		/* OPT_POW2, OPT_ALT */
	const struct opt_choice *choices;	/* OPT_CHOICE */
	/*
	 * What the default means in words, printed as the default when set
	 * ("standard output", "off"); NULL: the default value is printed,
	 * when the option takes an argument.
	 */
	const char	*defword;
};

/* A command's options: the table, ending with a row whose name is NULL. */
struct opt_set {
	const struct opt *opts;
	size_t		 size;		/* of the option struct */
	void		(*defaults)(void *);	/* fills the option struct */
	const char	*operands;	/* after the options in usage, or NULL */
	int		 posix;		/* stop at the first operand (quark's own) */
	void		(*epilogue)(FILE *);	/* after the help's options */
};

struct cmd;

/*
 * Parses argv (argv[0] is the command name) into o, which is first zeroed
 * and set to the defaults.  Returns 0 with optind at the first operand, or -1 when
 * the command is to return *status at once: 0 after -h printed the help,
 * EXIT_USAGE after a usage error was reported (with the usage line).
 */
int	opt_parse(const struct cmd *, int argc, char **argv, void *o,
	    int *status);
/* "usage: quark CMD [-h] ..." + newline. */
void	opt_usage_line(const struct cmd *, FILE *);
/* The usage line, then one line per option: argument, meaning, default. */
void	opt_help(const struct cmd *, FILE *);

/*
 * Value parsers, strict: the whole string, within [min, max].  Return 0,
 * or -1 with errno EINVAL (not a number of that kind), ERANGE (out of
 * range) or EDOM (not a power of 2 with OPT_POW2).
 */
int	opt_parse_ms(const char *, long long min_ms, long long max_ms,
	    uint64_t *ns);
int	opt_parse_size(const char *, long long min, long long max,
	    unsigned int flags, uint32_t *bytes);
/* "25ms", "5s"; "8MiB", "32KiB", "1000" (into buf of len bytes). */
void	opt_fmt_ms(uint64_t ns, char *buf, size_t len);
void	opt_fmt_size(uint64_t bytes, char *buf, size_t len);

#endif /* QUARK_OPT_H */
