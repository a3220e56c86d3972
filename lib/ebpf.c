/*
 * ebpf.c - the eBPF backend: load, attach, consume the ring, lost counters.
 *
 * Life cycle (libbpf skeleton): open -> rodata and map sizes -> load ->
 * attach each program (links owned by this process: nothing is pinned, so
 * a SIGKILL of quark leaves nothing attached) -> poll -> destroy.
 *
 * Required hooks: fork, exec, exit.  Optional: comm (task_rename) and the
 * credential hooks (syscall exit tracepoints, which need tracefs; mounted
 * at /sys/kernel/tracing when absent).  An optional hook that cannot be
 * had is switched off before load and its reason kept in the state.
 * What the kernel allows (privileges, tracefs, the exit tracepoint's
 * group_dead) is asked of probe.c, like everything `quark btf` reports;
 * ebpf_object_check() is probe.c's way to load the object once.
 *
 * libbpf's own messages are dropped (the library never prints) unless
 * QUARK_DEBUG_BPF is set in the environment, for debugging the loader.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "quark_int.h"
#include "wire.h"
#include "quark.skel.h"

#define MAX_LINKS	32
/* Stop a callback run with this to honour the poll budget. */
#define BUDGET_HIT	(-ECANCELED)
/*
 * poll runs once per quark_queue_next(): while records flow, read the lost
 * counters at most this often; on a poll that found the ring empty, once
 * if records came since the last read (so a stop's last drain sees every
 * loss), else never: the kernel side loses records only when it makes
 * them, and a ring that stayed empty took none.  The counters map is
 * mapped into memory, so a read is no system call (a bpf(2) call only
 * where the kernel cannot map it).
 */
#define LOST_CHECK_NS	(10 * NS_PER_MS)

struct ebpf {
	struct quark_queue	*qq;
	struct quark_bpf	*skel;
	struct ring_buffer	*rb;
	struct bpf_link		*links[MAX_LINKS];
	int			 nlinks;
	int			 ncpus;
	int			 threads;	/* QQ_THREADS */
	int			 submitted;	/* in this poll */
	int			 budget;
	const volatile uint64_t	*counters;	/* the map, mapped; or NULL */
	size_t			 counters_len;	/* bytes mapped */
	uint64_t		 lost_seen;	/* kernel counter at last read */
	uint64_t		 lost_checked;	/* boot ns of that read */
	int			 lost_dirty;	/* records came since that read */
	uint64_t		 lost;		/* total reported */
	uint64_t		 bad_records;
	const char		*cred_off;	/* why cred hooks are off */
	const char		*comm_off;
};


static int
is_cred_prog(const struct bpf_program *prog)
{
	return (strncmp(bpf_program__section_name(prog), "tracepoint/syscalls/",
	    20) == 0);
}

static uint32_t
pow2_at_least(uint32_t v, uint32_t min)
{
	uint32_t	p = min;

	while (p < v && p < (1U << 30))
		p <<= 1;
	return (p);
}

/*
 * Sizes and switches before load.  cred_off: why the credential hooks are
 * to stay unloaded (probe_syscall_tp_ready()), NULL to load them.
 */
static int
configure(struct ebpf *st, const struct quark_queue_attr *attr,
    int group_dead, const char *cred_off)
{
	struct quark_bpf	*s = st->skel;
	struct bpf_program	*prog;
	long			 page = sysconf(_SC_PAGESIZE);
	uint32_t		 ring;

	s->rodata->argv_cap = attr->argv_cap > WIRE_ARGV_MAX ?
	    WIRE_ARGV_MAX : attr->argv_cap;
	s->rodata->env_cap = attr->env_cap > WIRE_ENV_MAX ?
	    WIRE_ENV_MAX : attr->env_cap;
	s->rodata->want_env = (attr->flags & QQ_ENV) != 0;
	s->rodata->want_threads = st->threads;
	s->rodata->has_group_dead = group_dead;
	/* The ring must be a power of 2 and a multiple of the page size. */
	ring = pow2_at_least(attr->ring_bytes, page > 0 ? (uint32_t)page : 4096);
	if (bpf_map__set_max_entries(s->maps.rb, ring) != 0 ||
	    bpf_map__set_max_entries(s->maps.scratch, st->ncpus) != 0)
		return (-1);
	if ((st->cred_off = cred_off) != NULL) {
		bpf_object__for_each_program(prog, s->obj)
			if (is_cred_prog(prog))
				bpf_program__set_autoload(prog, false);
	}
	return (0);
}

/* Attach every loaded program; only fork/exec/exit are required. */
static int
attach(struct ebpf *st)
{
	struct bpf_program	*prog;
	struct bpf_link		*link;
	int			 err;

	bpf_object__for_each_program(prog, st->skel->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		if (st->nlinks == MAX_LINKS) {
			errno = E2BIG;
			return (-1);
		}
		if ((link = bpf_program__attach(prog)) != NULL) {
			st->links[st->nlinks++] = link;
			continue;
		}
		err = errno;
		if (is_cred_prog(prog))
			st->cred_off = "a syscall tracepoint failed to attach";
		else if (prog == st->skel->progs.quark_comm)
			st->comm_off = "task_rename failed to attach";
		else {
			errno = err;
			return (-1);
		}
	}
	return (0);
}

static int
on_record(void *ctx, void *data, size_t len)
{
	struct ebpf		*st = ctx;
	struct raw_event	*raw;

	if ((raw = decode_record(data, len)) == NULL) {
		st->bad_records++;
		return (0);
	}
	if ((raw->flags & RAW_F_THREAD) && !st->threads)
		raw_event_free(raw);
	else {
		queue_submit(st->qq, raw);
		st->submitted++;
	}
	if (st->budget > 0 && st->submitted >= st->budget)
		return (BUDGET_HIT);
	return (0);
}

/* Maps the counters map (BPF_F_MMAPABLE), read-only; NULL if it cannot. */
static void
map_counters(struct ebpf *st)
{
	long	page = sysconf(_SC_PAGESIZE);
	size_t	len = WIRE_CNT_COUNT * sizeof(uint64_t);
	void	*p;

	if (page > 0)
		len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED,
	    bpf_map__fd(st->skel->maps.counters), 0);
	if (p == MAP_FAILED)
		return;
	st->counters = p;
	st->counters_len = len;
}

/* The kernel's counter `which` (WIRE_CNT_*). */
static int
read_counter(struct ebpf *st, uint32_t which, uint64_t *val)
{
	if (st->counters != NULL) {
		*val = st->counters[which];
		return (0);
	}
	return (bpf_map__lookup_elem(st->skel->maps.counters, &which,
	    sizeof(which), val, sizeof(*val), 0) != 0 ? -1 : 0);
}

/* A RAW_LOST event for what the kernel dropped since the last look. */
static int
report_lost(struct ebpf *st, int throttle)
{
	struct raw_event	*raw;
	uint64_t		 now, t;

	if (!throttle && !st->lost_dirty)
		return (0);
	t = quark_boot_now();
	if (throttle && t - st->lost_checked < LOST_CHECK_NS)
		return (0);
	st->lost_checked = t;
	st->lost_dirty = 0;
	if (read_counter(st, WIRE_CNT_LOST, &now) == -1 || now <= st->lost_seen)
		return (0);
	if ((raw = raw_event_alloc(RAW_LOST)) == NULL)
		return (-1);
	raw->lost.count = now - st->lost_seen;
	raw->time = t;
	st->lost += raw->lost.count;
	st->lost_seen = now;
	queue_submit(st->qq, raw);
	return (1);
}

static void ebpf_close(void *);

/*
 * libbpf's messages: to stderr with QUARK_DEBUG_BPF, and the verifier's
 * last word on a program it refuses kept for the reason (load_why).
 */
static char	load_why[160];
static int	load_in_log;

static int
libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char	line[512];
	size_t	n;
	va_list	aq;

	va_copy(aq, ap);
	vsnprintf(line, sizeof(line), fmt, aq);
	va_end(aq);
	n = strcspn(line, "\n");
	line[n] = '\0';
	if (strstr(line, "-- BEGIN PROG LOAD LOG --") != NULL)
		load_in_log = 1;
	else if (strstr(line, "-- END PROG LOAD LOG --") != NULL)
		load_in_log = 0;
	else if (load_in_log && n > 0 && strncmp(line, "processed ", 10) != 0 &&
	    strncmp(line, "verification time", 17) != 0)
		snprintf(load_why, sizeof(load_why), "%.150s", line);
	if (getenv("QUARK_DEBUG_BPF") == NULL)
		return (0);
	return (vfprintf(stderr, fmt, ap));
}

/*
 * Open, configure and load the skeleton (nothing attached).  -1 and
 * errno: EOPNOTSUPP when, privileged, the kernel refuses the programs
 * (the verifier, a helper withheld by lockdown), not a permission matter.
 */
static int
ebpf_load(struct ebpf *st, const struct quark_queue_attr *attr,
    int group_dead, const char *cred_off)
{
	struct quark_probe	caps;
	struct rlimit		rl = { RLIM_INFINITY, RLIM_INFINITY };
	int			err;

	libbpf_set_print(libbpf_print);
	load_why[0] = '\0';
	load_in_log = 0;
	/* Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK. */
	(void)setrlimit(RLIMIT_MEMLOCK, &rl);
	if ((st->ncpus = libbpf_num_possible_cpus()) <= 0) {
		errno = -st->ncpus;
		return (-1);
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) == -1) {
		errno = ENOENT;
		return (-1);
	}
	if ((st->skel = quark_bpf__open()) == NULL)
		return (-1);
	if (configure(st, attr, group_dead, cred_off) == -1)
		return (-1);
	if ((err = quark_bpf__load(st->skel)) != 0) {
		errno = err < 0 ? -err : err;
		/*
		 * With the privileges to load, EACCES/EINVAL/E2BIG are the
		 * verifier (or the kernel) refusing our programs, not a
		 * permission problem: say so with EOPNOTSUPP.
		 */
		memset(&caps, 0, sizeof(caps));
		probe_caps(&caps);
		if ((errno == EACCES || errno == EINVAL || errno == E2BIG) &&
		    caps.privileged)
			errno = EOPNOTSUPP;
		/*
		 * EPERM with the privileges: a policy against bpf(2) (a
		 * seccomp filter, as container runtimes install, or an LSM).
		 */
		if (errno == EPERM && caps.privileged && st->qq != NULL)
			queue_set_why(st->qq, "bpf(2) refused although "
			    "privileged (a seccomp filter or a security policy "
			    "forbids BPF): %s", strerror(errno));
		return (-1);
	}
	return (0);
}

static int
ebpf_open(struct quark_queue *qq, const struct quark_queue_attr *attr,
    void **state)
{
	struct ebpf	*st;
	int		 err;

	*state = NULL;
	clock_init();
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return (-1);
	st->qq = qq;
	st->threads = (attr->flags & QQ_THREADS) != 0;
	if (ebpf_load(st, attr, probe_exit_group_dead(NULL),
	    probe_syscall_tp_ready()) == -1)
		goto fail;
	if (attach(st) == -1)
		goto fail;
	map_counters(st);
	st->rb = ring_buffer__new(bpf_map__fd(st->skel->maps.rb), on_record,
	    st, NULL);
	if (st->rb == NULL)
		goto fail;
	*state = st;
	return (0);
fail:
	err = errno;
	ebpf_close(st);
	errno = err != 0 ? err : EINVAL;
	return (-1);
}

int
ebpf_object_check(char *why, size_t len)
{
	struct quark_queue_attr	 attr;
	struct ebpf		*st;
	long			 page = sysconf(_SC_PAGESIZE);
	int			 err, n = 0;
	struct bpf_program	*prog;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(why, len, "%s", strerror(errno));
		return (-1);
	}
	/* What watch loads, with the smallest ring; every program. */
	quark_queue_default_attr(&attr);
	attr.ring_bytes = page > 0 ? (uint32_t)page : 4096;
	if (ebpf_load(st, &attr, 0, NULL) == -1) {
		err = errno;
		snprintf(why, len, "loading quark's BPF object: %s%s%s",
		    strerror(err), load_why[0] != '\0' ? ": " : "", load_why);
		ebpf_close(st);
		errno = err;
		return (-1);
	}
	bpf_object__for_each_program(prog, st->skel->obj)
		n++;
	snprintf(why, len, "quark's BPF object loads (%d programs, "
	    "not attached)", n);
	ebpf_close(st);
	return (0);
}

static int
ebpf_poll(struct quark_queue *qq, void *state, int budget)
{
	struct ebpf	*st = state;
	int		 r;

	st->submitted = 0;
	st->budget = budget;
	r = ring_buffer__consume(st->rb);
	if (r < 0 && r != BUDGET_HIT) {
		errno = -r;
		return (-1);
	}
	if (r != 0)
		st->lost_dirty = 1;
	if (r != BUDGET_HIT && report_lost(st, r > 0) == 1)
		st->submitted++;
	return (st->submitted);
}

static int
ebpf_fd(void *state)
{
	struct ebpf	*st = state;

	return (st != NULL && st->rb != NULL ?
	    ring_buffer__epoll_fd(st->rb) : -1);
}

static int
ebpf_stats(void *state, struct quark_backend_stats *bs)
{
	struct ebpf	*st = state;

	memset(bs, 0, sizeof(*bs));
	if (st == NULL)
		return (0);
	bs->lost = st->lost;
	bs->bad_records = st->bad_records;
	snprintf(bs->features_off, sizeof(bs->features_off), "%s%s%s%s%s",
	    st->cred_off ? "credential changes: " : "",
	    st->cred_off ? st->cred_off : "",
	    st->cred_off && st->comm_off ? "; " : "",
	    st->comm_off ? "comm changes: " : "",
	    st->comm_off ? st->comm_off : "");
	return (0);
}

static void
ebpf_close(void *state)
{
	struct ebpf	*st = state;
	int		 i;

	if (st == NULL)
		return;
	ring_buffer__free(st->rb);
	if (st->counters != NULL)
		munmap((void *)st->counters, st->counters_len);
	for (i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	quark_bpf__destroy(st->skel);
	free(st);
}

const struct quark_backend_ops quark_backend_ebpf = {
	.name = "ebpf",
	.open = ebpf_open,
	.poll = ebpf_poll,
	.fd = ebpf_fd,
	.stats = ebpf_stats,
	.close = ebpf_close,
};
