/*
 * backend.c - which backend a queue reads: the one asked for, or for
 * AUTO the first rung of the ladder (eBPF -> kprobe -> proc connector)
 * that opens, and why the others were passed over (quark_queue_why()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "queue_int.h"

static void
auto_probe_default(struct quark_probe *p)
{
	probe_kernel_ladder(p);
}

/* AUTO is not a backend but the policy below. */
static const struct quark_backend_ops *const backends[] = {
	[QUARK_BACKEND_AUTO] = NULL,
	[QUARK_BACKEND_EBPF] = &quark_backend_ebpf,
	[QUARK_BACKEND_FAKE] = &quark_backend_fake,
	[QUARK_BACKEND_NETLINK] = &quark_backend_netlink,
	[QUARK_BACKEND_KPROBE] = &quark_backend_kprobe,
};

/*
 * AUTO walks the backend ladder of verdict.c (probe_ladder(): eBPF, then
 * kprobes without BPF, then the proc connector), the same walk that
 * writes `quark btf`'s verdict: a rung the probe says cannot work is
 * passed over without opening it.  A failure that means "not allowed"
 * ends the walk when we are not root: falling back would hide that the
 * user needs root (every backend does).  As root, "not allowed" is a
 * policy against that one interface (a seccomp filter on bpf(2), as
 * container runtimes install), and the next rung is tried, as for any
 * other failure (no BTF, BPF refused, too old).  When all fail, the errno
 * reported is the "not allowed" one that ended the walk, else the first
 * rung's.
 *
 * Tests replace the probe (auto_probe), each rung's ops (auto_ops[]) and
 * whether we are root (forced_root).
 */
static void	(*auto_probe)(struct quark_probe *) = auto_probe_default;
static const struct quark_backend_ops *const *auto_ops;
static size_t	auto_nops;

void
queue_set_auto(const struct quark_backend_ops *const *ops, size_t n)
{
	auto_ops = ops;
	auto_nops = ops != NULL ? n : 0;
}

void
queue_set_probe(void (*probe)(struct quark_probe *))
{
	auto_probe = probe != NULL ? probe : auto_probe_default;
}

int
backend_valid(int id)
{
	return (id >= 0 && (size_t)id < nitems(backends) &&
	    (backends[id] != NULL || id == QUARK_BACKEND_AUTO));
}

/* See quark_queue_why(): per thread, as errno is. */
static __thread char open_why[512];

const char *
quark_queue_why(void)
{
	return (open_why);
}

void
queue_set_why(struct quark_queue *qq, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(qq->why, sizeof(qq->why), fmt, ap);
	va_end(ap);
}

/* "NAME: why" for a backend that failed to open, into buf. */
static void
why_line(struct quark_queue *qq, const struct quark_backend_ops *ops, int e,
    char *buf, size_t len)
{
	snprintf(buf, len, "%s: %s", ops->name, qq->why[0] != '\0' ? qq->why :
	    strerror(e));
}

/* Appends a line to quark_queue_why()'s, "; " between two. */
static void
why_add(const char *line)
{
	size_t	n = strlen(open_why);

	if (line[0] != '\0')
		snprintf(open_why + n, sizeof(open_why) - n, "%s%s",
		    n > 0 ? "; " : "", line);
}

/* Opens one backend; on failure its line goes to note (if not NULL). */
static int
backend_try(struct quark_queue *qq, const struct quark_backend_ops *ops,
    char *note, size_t notelen)
{
	int	e;

	qq->state = NULL;
	qq->why[0] = '\0';
	if (ops->open(qq, &qq->attr, &qq->state) == -1) {
		e = errno;
		qq->state = NULL;
		if (note != NULL)
			why_line(qq, ops, e, note, notelen);
		errno = e;
		return (-1);
	}
	qq->ops = ops;
	strlcpy(qq->stats.backend, ops->name, sizeof(qq->stats.backend));
	return (0);
}

/* queue_set_root(): -1 asks the kernel (the probe's CAP_SYS_ADMIN). */
static int forced_root = -1;

void
queue_set_root(int root)
{
	forced_root = root;
}

/*
 * One rung of AUTO's walk: its backend's ops (or the test's; a test's
 * ladder may be shorter, its missing rungs say nothing).
 */
static int
auto_try(void *arg, size_t rung, int backend, char *note, size_t notelen)
{
	struct quark_queue	*qq = arg;

	if (auto_ops != NULL) {
		if (rung >= auto_nops) {
			note[0] = '\0';
			errno = ENOSYS;
			return (-1);
		}
		return (backend_try(qq, auto_ops[rung], note, notelen));
	}
	if (backend <= QUARK_BACKEND_AUTO || (size_t)backend >= nitems(backends) ||
	    backends[backend] == NULL) {
		errno = ENOSYS;
		return (-1);
	}
	return (backend_try(qq, backends[backend], note, notelen));
}

/*
 * Opens backend id, or for AUTO the first rung of the ladder that opens;
 * why the rungs before it were passed over goes to quark_queue_why().
 */
int
backend_open(struct quark_queue *qq, int id)
{
	struct quark_probe	*p;
	struct probe_choice	*c;
	char			 line[256];
	size_t			 i;
	int			 r, e;

	open_why[0] = '\0';
	if (id != QUARK_BACKEND_AUTO) {
		if ((r = backend_try(qq, backends[id], line,
		    sizeof(line))) == -1) {
			e = errno;
			why_add(line);
			errno = e;
		}
		return (r);
	}
	p = calloc(1, sizeof(*p));
	c = calloc(1, sizeof(*c));
	if (p == NULL || c == NULL) {
		free(p);
		free(c);
		return (-1);
	}
	auto_probe(p);
	if (forced_root != -1)
		p->cap_sys_admin = forced_root;
	r = probe_ladder(p, auto_try, qq, c);
	for (i = 0; i < c->nnotes; i++)
		why_add(c->note[i]);
	e = c->err;
	free(p);
	free(c);
	if (r == -1)
		errno = e;
	return (r);
}
