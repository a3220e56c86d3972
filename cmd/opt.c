/*
 * opt.c - parse, usage and help from a command's option table (opt.h).
 *
 * getopt_long(3) does the scanning with its own messages off (opterr = 0):
 * every complaint is ours, "quark: CMD: ...", whatever argv[0] is.  Long
 * names must be written in full: getopt_long accepts any unambiguous
 * prefix, and a prefix that works today ("--st" for --stats) would break
 * or change meaning when an option is added, as a prefix of a command
 * name would.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "opt.h"

#define NS_PER_MS	1000000ULL

/* getopt_long's value for row i: its letter, or 256 + i. */
static int
opt_id(const struct opt *t, int i)
{
	return (t[i].shortc != 0 ? t[i].shortc : 256 + i);
}

static int
opt_count(const struct opt *t)
{
	int	n = 0;

	while (t[n].name != NULL)
		n++;
	return (n);
}

static int
opt_takes_arg(const struct opt *o)
{
	return (o->arg != NULL);
}

static int
opt_find_id(const struct opt *t, int id)
{
	int	i;

	for (i = 0; t[i].name != NULL; i++)
		if (opt_id(t, i) == id)
			return (i);
	return (-1);
}

/* --- values -------------------------------------------------------- */

/* Splits "123suffix": the digits, and the rest. */
static int
split_num(const char *s, unsigned long long *v, const char **rest)
{
	unsigned long long	 n = 0;
	const char		*p = s;

	if (*p < '0' || *p > '9')
		return (-1);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (~0ULL - 9) / 10)
			return (-2);		/* too big for anything */
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	*v = n;
	*rest = p;
	return (0);
}

int
opt_parse_ms(const char *s, long long min_ms, long long max_ms, uint64_t *ns)
{
	unsigned long long	 v, mult;
	const char		*u;
	int			 r;

	if ((r = split_num(s, &v, &u)) == -1) {
		errno = EINVAL;
		return (-1);
	}
	if (r == 0 && *u == '\0')
		mult = 1;
	else if (r == 0 && strcmp(u, "ms") == 0)
		mult = 1;
	else if (r == 0 && strcmp(u, "s") == 0)
		mult = 1000;
	else if (r == -2) {
		errno = ERANGE;
		return (-1);
	} else {
		errno = EINVAL;
		return (-1);
	}
	if (v > (unsigned long long)max_ms / mult ||
	    v * mult < (unsigned long long)min_ms) {
		errno = ERANGE;
		return (-1);
	}
	*ns = v * mult * NS_PER_MS;
	return (0);
}

/* K and KiB are the same: 1024 (as in ls, dd and free). */
static const struct {
	const char		*suffix;
	unsigned long long	 mult;
} size_units[] = {
	{ "",		1 },
	{ "K",		1ULL << 10 },	{ "KiB",	1ULL << 10 },
	{ "M",		1ULL << 20 },	{ "MiB",	1ULL << 20 },
	{ "G",		1ULL << 30 },	{ "GiB",	1ULL << 30 },
};

int
opt_parse_size(const char *s, long long min, long long max,
    unsigned int flags, uint32_t *bytes)
{
	unsigned long long	 v, mult = 0;
	const char		*u;
	size_t			 i;
	int			 r;

	if ((r = split_num(s, &v, &u)) == -1) {
		errno = EINVAL;
		return (-1);
	}
	for (i = 0; r == 0 && i < sizeof(size_units) / sizeof(size_units[0]);
	    i++)
		if (strcmp(u, size_units[i].suffix) == 0)
			mult = size_units[i].mult;
	if (r == 0 && mult == 0) {
		errno = EINVAL;
		return (-1);
	}
	if (r == -2 || v > (unsigned long long)max / mult ||
	    v * mult < (unsigned long long)min) {
		errno = ERANGE;
		return (-1);
	}
	v *= mult;
	if ((flags & OPT_POW2) && (v == 0 || (v & (v - 1)) != 0)) {
		errno = EDOM;
		return (-1);
	}
	*bytes = (uint32_t)v;
	return (0);
}

void
opt_fmt_ms(uint64_t ns, char *buf, size_t len)
{
	uint64_t	ms = ns / NS_PER_MS;

	if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

void
opt_fmt_size(uint64_t b, char *buf, size_t len)
{
	if (b != 0 && b % (1ULL << 30) == 0)
		snprintf(buf, len, "%lluGiB", (unsigned long long)(b >> 30));
	else if (b != 0 && b % (1ULL << 20) == 0)
		snprintf(buf, len, "%lluMiB", (unsigned long long)(b >> 20));
	else if (b != 0 && b % (1ULL << 10) == 0)
		snprintf(buf, len, "%lluKiB", (unsigned long long)(b >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)b);
}

/* "1ms to 60s": the allowed values of o. */
static void
fmt_range(const struct opt *o, char *buf, size_t len)
{
	char	lo[32], hi[32];

	switch (o->kind) {
	case OPT_MS:
		opt_fmt_ms((uint64_t)o->min * NS_PER_MS, lo, sizeof(lo));
		opt_fmt_ms((uint64_t)o->max * NS_PER_MS, hi, sizeof(hi));
		break;
	case OPT_SIZE:
		opt_fmt_size((uint64_t)o->min, lo, sizeof(lo));
		opt_fmt_size((uint64_t)o->max, hi, sizeof(hi));
		break;
	default:
		snprintf(lo, sizeof(lo), "%lld", o->min);
		snprintf(hi, sizeof(hi), "%lld", o->max);
		break;
	}
	snprintf(buf, len, "%s to %s", lo, hi);
}

static void
fmt_choices(const struct opt *o, char *buf, size_t len)
{
	const struct opt_choice	*c;
	size_t			 n = 0;

	buf[0] = '\0';
	for (c = o->choices; c->name != NULL && n < len; c++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s",
		    c == o->choices ? "" : ", ", c->name);
}

/* Stores arg into o's field of the option struct; complains on a bad one. */
static int
opt_store(const struct opt *o, const char *arg, char *base)
{
	const struct opt_choice	*c;
	unsigned long long	 v;
	const char		*rest;
	char			 range[80], what[200];
	void			*p = base + o->off;
	int			 r = 0;

	switch (o->kind) {
	case OPT_HELP:
		return (0);
	case OPT_FLAG:
		*(int *)p = 1;
		return (0);
	case OPT_BITS:
		*(unsigned int *)p |= (unsigned int)o->val;
		return (0);
	case OPT_SET:
		*(int *)p = (int)o->val;
		return (0);
	case OPT_STRING:
		if (*arg == '\0') {
			cwarnx("--%s: an empty %s", o->name, o->arg);
			return (-1);
		}
		*(const char **)p = arg;
		return (0);
	case OPT_CHOICE:
		for (c = o->choices; c->name != NULL; c++) {
			if (strcmp(arg, c->name) == 0) {
				*(int *)p = c->val;
				return (0);
			}
		}
		fmt_choices(o, what, sizeof(what));
		cwarnx("unknown %s '%s' (one of: %s)", o->name, arg, what);
		return (-1);
	case OPT_MS:
		r = opt_parse_ms(arg, o->min, o->max, (uint64_t *)p);
		snprintf(what, sizeof(what), "a duration (milliseconds, "
		    "or a number with the unit ms or s)");
		break;
	case OPT_SIZE:
		r = opt_parse_size(arg, o->min, o->max, o->flags,
		    (uint32_t *)p);
		snprintf(what, sizeof(what), "a size (a number of bytes, "
		    "or with the unit K, M, G, KiB, MiB or GiB)");
		break;
	case OPT_COUNT:
		if ((r = split_num(arg, &v, &rest)) == 0 && *rest != '\0')
			r = -1;
		if (r == -1)
			errno = EINVAL;
		else if (r == -2 || v < (unsigned long long)o->min ||
		    v > (unsigned long long)o->max) {
			errno = ERANGE;
			r = -1;
		} else
			*(uint32_t *)p = (uint32_t)v;
		snprintf(what, sizeof(what), "a decimal number");
		break;
	}
	if (r == 0)
		return (0);
	fmt_range(o, range, sizeof(range));
	if (errno == ERANGE)
		cwarnx("--%s %s: out of range, %s", o->name, arg, range);
	else if (errno == EDOM)
		cwarnx("--%s %s: not a power of 2, %s", o->name, arg, range);
	else
		cwarnx("--%s %s: not %s, %s", o->name, arg, what, range);
	return (-1);
}

/* --- usage and help ---------------------------------------------------- */

void
opt_usage_line(const struct cmd *c, FILE *f)
{
	const struct opt	*t = c->opts->opts;
	int			 i;

	fprintf(f, "usage: quark%s%s", c->name != NULL ? " " : "",
	    c->name != NULL ? c->name : "");
	for (i = 0; t[i].name != NULL; i++) {
		fprintf(f, (t[i].flags & OPT_ALT) ? " | " : " [");
		if (t[i].shortc != 0)
			fprintf(f, "-%c", t[i].shortc);
		else
			fprintf(f, "--%s", t[i].name);
		if (opt_takes_arg(&t[i]))
			fprintf(f, " %s", t[i].arg);
		if (t[i + 1].name == NULL || !(t[i + 1].flags & OPT_ALT))
			fprintf(f, "]");
	}
	if (c->opts->operands != NULL)
		fprintf(f, " %s", c->opts->operands);
	fprintf(f, "\n");
}

/* The left column of o's help line: "-h, --help" or "--hold MS". */
static void
fmt_left(const struct opt *o, char *buf, size_t len)
{
	if (o->shortc != 0)
		snprintf(buf, len, "-%c, --%s%s%s", o->shortc, o->name,
		    o->arg ? " " : "", o->arg ? o->arg : "");
	else
		snprintf(buf, len, "--%s%s%s", o->name, o->arg ? " " : "",
		    o->arg ? o->arg : "");
}

/* The default of o in def, in words; "" when there is none to say. */
static void
fmt_default(const struct opt *o, const char *def, char *buf, size_t len)
{
	const struct opt_choice	*c;
	const void		*p = def + o->off;

	buf[0] = '\0';
	if (o->defword != NULL) {
		snprintf(buf, len, "%s", o->defword);
		return;
	}
	switch (o->kind) {
	case OPT_MS:
		opt_fmt_ms(*(const uint64_t *)p, buf, len);
		break;
	case OPT_SIZE:
		opt_fmt_size(*(const uint32_t *)p, buf, len);
		break;
	case OPT_COUNT:
		snprintf(buf, len, "%u", *(const uint32_t *)p);
		break;
	case OPT_CHOICE:
		for (c = o->choices; c->name != NULL; c++)
			if (c->val == *(const int *)p)
				snprintf(buf, len, "%s", c->name);
		break;
	case OPT_STRING:
		if (*(const char *const *)p != NULL)
			snprintf(buf, len, "%s", *(const char *const *)p);
		break;
	default:
		break;
	}
}

void
opt_help(const struct cmd *c, FILE *f)
{
	const struct opt	*t = c->opts->opts;
	char			*def, left[80], dflt[80], names[200];
	int			 i, w = 0;

	opt_usage_line(c, f);
	if ((def = calloc(1, c->opts->size ? c->opts->size : 1)) == NULL)
		return;
	if (c->opts->defaults != NULL)
		c->opts->defaults(def);
	for (i = 0; t[i].name != NULL; i++) {
		fmt_left(&t[i], left, sizeof(left));
		if ((int)strlen(left) > w)
			w = (int)strlen(left);
	}
	fprintf(f, "\n");
	for (i = 0; t[i].name != NULL; i++) {
		fmt_left(&t[i], left, sizeof(left));
		fmt_default(&t[i], def, dflt, sizeof(dflt));
		fprintf(f, "  %-*s  %s", w, left, t[i].help);
		names[0] = '\0';
		if (t[i].kind == OPT_CHOICE)
			fmt_choices(&t[i], names, sizeof(names));
		if (names[0] != '\0' && dflt[0] != '\0')
			fprintf(f, " (one of: %s; default: %s)", names, dflt);
		else if (names[0] != '\0')
			fprintf(f, " (one of: %s)", names);
		else if (dflt[0] != '\0')
			fprintf(f, " (default: %s)", dflt);
		fprintf(f, "\n");
	}
	free(def);
	if (c->opts->epilogue != NULL)
		c->opts->epilogue(f);
}

/* --- parse ----------------------------------------------------------- */

/* The word that named the long option just returned by getopt_long. */
static const char *
opt_word(char **argv)
{
	if (optarg != NULL && optind >= 2 && optarg == argv[optind - 1])
		return (argv[optind - 2]);
	return (argv[optind - 1]);
}

/* A usage complaint about the option getopt_long returned as '?' or ':'. */
static void
opt_complain(const struct opt *t, int ch, char **argv)
{
	const char	*w = optind >= 1 ? argv[optind - 1] : "";
	int		 i;

	i = optopt != 0 ? opt_find_id(t, optopt) : -1;
	if (ch == ':' && i >= 0)
		cwarnx("option --%s needs an argument (%s)", t[i].name,
		    t[i].arg);
	else if (ch == ':')
		cwarnx("option -%c needs an argument", optopt);
	else if (i >= 0 && strncmp(w, "--", 2) == 0)
		cwarnx("option --%s takes no argument", t[i].name);
	else if (optopt > 0 && optopt < 256)
		cwarnx("unknown option '-%c'", optopt);
	else
		cwarnx("unknown option '%s'", w);
}

int
opt_parse(const struct cmd *c, int argc, char **argv, void *o, int *status)
{
	const struct opt_set	*s = c->opts;
	const struct opt	*t = s->opts;
	struct option		*lo;
	char			 shorts[64], *seen;
	const char		*w;
	size_t			 ns = 0, len;
	int			 n = opt_count(t), i, j, ch, li, r = -1;

	*status = EXIT_USAGE;
	memset(o, 0, s->size);
	if (s->defaults != NULL)
		s->defaults(o);
	lo = calloc((size_t)n + 1, sizeof(*lo));
	seen = calloc((size_t)n + 1, 1);
	if (lo == NULL || seen == NULL) {
		cwarn("calloc");
		*status = 1;
		goto out;
	}
	/* '+': quark's own options stop at the command; ':': ours to say. */
	if (s->posix)
		shorts[ns++] = '+';
	shorts[ns++] = ':';
	for (i = 0; i < n; i++) {
		lo[i].name = t[i].name;
		lo[i].has_arg = opt_takes_arg(&t[i]) ? required_argument :
		    no_argument;
		lo[i].val = opt_id(t, i);
		if (t[i].shortc != 0 && ns + 3 < sizeof(shorts)) {
			shorts[ns++] = (char)t[i].shortc;
			if (opt_takes_arg(&t[i]))
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	opterr = 0;
	optind = 0;	/* glibc: full reinitialisation */
	for (;;) {
		li = -1;
		optopt = 0;
		if ((ch = getopt_long(argc, argv, shorts, lo, &li)) == -1)
			break;
		if (ch == '?' || ch == ':') {
			opt_complain(t, ch, argv);
			goto usage;
		}
		if ((i = opt_find_id(t, ch)) == -1)
			goto usage;
		/* Full names only: "--ho" is not --hold. */
		if (li >= 0) {
			w = opt_word(argv) + 2;
			len = strcspn(w, "=");
			if (len != strlen(t[i].name)) {
				cwarnx("unknown option '--%.*s' (did you mean "
				    "--%s?)", (int)len, w, t[i].name);
				goto usage;
			}
		}
		if (t[i].kind == OPT_HELP) {
			opt_help(c, stdout);
			*status = fflush(stdout) == EOF && errno != EPIPE ?
			    1 : 0;
			goto out;
		}
		/* Alternatives: --table and --json exclude each other. */
		for (j = 0; t[i].kind == OPT_SET && j < n; j++) {
			if (j != i && seen[j] && t[j].kind == OPT_SET &&
			    t[j].off == t[i].off && t[j].val != t[i].val) {
				cwarnx("--%s and --%s exclude each other",
				    t[j].name, t[i].name);
				goto usage;
			}
		}
		seen[i] = 1;
		if (opt_store(&t[i], optarg, o) == -1)
			goto usage;
	}
	r = 0;
	*status = 0;
	goto out;
usage:
	opt_usage_line(c, stderr);
out:
	free(lo);
	free(seen);
	return (r);
}
