/*
 * clock.c - one clock everywhere: CLOCK_BOOTTIME nanoseconds.
 *
 * The kernel stamps events with bpf_ktime_get_boot_ns() and keeps
 * task->start_boottime on the same clock; /proc/PID/stat's starttime is that
 * value in clock ticks (truncated).  Wall time is derived from a precise
 * offset measured here, not from /proc/stat's one-second btime.
 *
 * The offset (CLOCK_REALTIME - CLOCK_BOOTTIME) is a constant of the
 * kernel's timekeeping that changes only when the wall clock is set
 * (settimeofday, clock_settime, adjtimex ADJ_SETOFFSET, a leap second,
 * NTP's or an admin's step): NTP's slewing moves both clocks alike, and a
 * suspend moves both.  So it is measured at start, and again when a
 * timerfd armed with TFD_TIMER_CANCEL_ON_SET says the clock was set
 * (clock_watch_*; a queue checks it once per drain, see queue.c).  Each
 * new offset is kept with the boot time it was noticed at: a boot time
 * is converted with the offset in effect at that moment, so a record
 * held in the queue across a step keeps the wall time of its moment.
 *
 * Start times are kept truncated to the clock tick (10 ms at USER_HZ 100)
 * so that a process gets the same start_time and entity_id whether quark
 * learned of it from /proc or from the kernel.
 */
#include <sys/timerfd.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quark_int.h"

/*
 * One offset measurement: three reads (realtime, boottime, realtime) take
 * 60-100 ns through the vDSO; the offset is known to +-half that.  A read
 * interrupted by preemption is tried again, up to MEASURE_TRIES times,
 * keeping the narrowest bracket.
 */
#define MEASURE_TRIES	4
/* Offsets that differ by no more than their errors and this are one. */
#define OFFSET_SLACK	1000	/* ns */

static struct {
	int		ready;
	uint64_t	tick_ns;	/* ns per USER_HZ tick */
	struct clock_offset hist[CLOCK_OFFSETS];	/* oldest first */
	unsigned	nhist;
	uint8_t		boot_id[37];
} clk;

static uint64_t
ts_ns(clockid_t id)
{
	struct timespec	ts;

	if (clock_gettime(id, &ts) == -1)
		return (0);
	return ((uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec);
}

/*
 * Reads outer, inner, outer again (ns) up to MEASURE_TRIES times and keeps
 * the narrowest outer bracket around the inner reading; its width, or
 * UINT64_MAX when outer went back each time (the last reading is kept).
 */
static uint64_t
bracket(clockid_t outer, clockid_t inner, uint64_t *o1, uint64_t *in,
    uint64_t *o2)
{
	uint64_t	a, b, c, best = UINT64_MAX;
	int		i;

	for (i = 0; i < MEASURE_TRIES; i++) {
		a = ts_ns(outer);
		b = ts_ns(inner);
		c = ts_ns(outer);
		if (best == UINT64_MAX || (c >= a && c - a < best)) {
			*o1 = a;
			*in = b;
			*o2 = c;
		}
		if (c >= a && c - a < best)
			best = c - a;
	}
	return (best);
}

void
clock_measure(struct clock_offset *o)
{
	uint64_t	r1, b, r2;

	if (bracket(CLOCK_REALTIME, CLOCK_BOOTTIME, &r1, &b, &r2) ==
	    UINT64_MAX)		/* realtime went back each time */
		r1 = r2;
	o->from = b;
	o->off = (int64_t)(r1 + (r2 - r1) / 2) - (int64_t)b;
	o->err = (int64_t)((r2 - r1 + 1) / 2);
}

int
clock_note_offset(const struct clock_offset *o)
{
	struct clock_offset	*cur;
	int64_t			 d;

	if (clk.nhist > 0) {
		cur = &clk.hist[clk.nhist - 1];
		d = o->off - cur->off;
		if (d < 0)
			d = -d;
		if (d <= cur->err + o->err + OFFSET_SLACK)
			return (0);
		/* Not before the current one: boot times only go forward. */
		if (o->from < cur->from)
			return (0);
	}
	if (clk.nhist == CLOCK_OFFSETS) {
		memmove(&clk.hist[0], &clk.hist[1],
		    sizeof(clk.hist[0]) * (CLOCK_OFFSETS - 1));
		clk.nhist--;
	}
	clk.hist[clk.nhist++] = *o;
	return (1);
}

void
clock_reset(void)
{
	clk.ready = 0;
	clk.nhist = 0;
}

int64_t
clock_mono_note(struct clock_mono *m, int64_t lo, int64_t hi)
{
	if (!m->known) {
		m->off = lo + (hi - lo) / 2;
		m->known = 1;
	} else if (m->off < lo)
		m->off = lo;
	else if (m->off > hi)
		m->off = hi;
	return (m->off);
}

int64_t
clock_mono_to_boot(struct clock_mono *m)
{
	uint64_t	m1, b, m2;

	if (bracket(CLOCK_MONOTONIC, CLOCK_BOOTTIME, &m1, &b, &m2) ==
	    UINT64_MAX)		/* cannot be: monotonic */
		return (m->off);
	return (clock_mono_note(m, (int64_t)(b - m2), (int64_t)(b - m1)));
}

int
clock_init(void)
{
	struct clock_offset	o;
	long			hz;
	int			fd;
	ssize_t			n;

	if (clk.ready)
		return (0);
	if ((hz = sysconf(_SC_CLK_TCK)) <= 0)
		hz = 100;
	clk.tick_ns = NS_PER_SEC / (uint64_t)hz;
	clock_measure(&o);
	o.from = 0;		/* the offset of every earlier moment we know */
	clk.nhist = 0;
	clock_note_offset(&o);
	memset(clk.boot_id, 0, sizeof(clk.boot_id));
	if ((fd = open("/proc/sys/kernel/random/boot_id",
	    O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, clk.boot_id, sizeof(clk.boot_id) - 1);
		if (n < 0)
			memset(clk.boot_id, 0, sizeof(clk.boot_id));
		close(fd);
	}
	clk.ready = 1;
	return (0);
}

void
clock_set_fixed(int64_t wall_off, const char *boot_id)
{
	struct clock_offset	o = { 0, wall_off, 0 };

	clock_init();
	clk.nhist = 0;
	clock_note_offset(&o);
	memset(clk.boot_id, 0, sizeof(clk.boot_id));
	strncpy((char *)clk.boot_id, boot_id, sizeof(clk.boot_id) - 1);
}

int
clock_remeasure(void)
{
	struct clock_offset	o;

	clock_init();
	clock_measure(&o);
	return (clock_note_offset(&o));
}

/* Armed at an absolute time that never comes: only a set wakes it. */
static int
watch_arm(int fd)
{
	struct itimerspec	its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)1 << 40;	/* clamped by the kernel */
	return (timerfd_settime(fd, TFD_TIMER_ABSTIME |
	    TFD_TIMER_CANCEL_ON_SET, &its, NULL));
}

int
clock_watch_open(void)
{
	int	fd, saved;

	clock_init();
	if ((fd = timerfd_create(CLOCK_REALTIME,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1)
		return (-1);
	if (watch_arm(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

int
clock_watch_check(int fd)
{
	uint64_t	expired;
	ssize_t		n;

	if (fd == -1)
		return (clock_remeasure());
	n = read(fd, &expired, sizeof(expired));
	if (n == -1 && errno != ECANCELED)
		return (0);		/* EAGAIN: nothing happened */
	/*
	 * ECANCELED: the clock was set.  Re-arm: kernels before 5.x report
	 * ECANCELED until the timer is set again.
	 */
	watch_arm(fd);
	return (n == -1 ? clock_remeasure() : 0);
}

uint64_t
quark_boot_now(void)
{
	return (ts_ns(CLOCK_BOOTTIME));
}

/* The offset in effect at boot time t. */
static int64_t
offset_at(uint64_t t)
{
	unsigned	i;

	clock_init();
	for (i = clk.nhist; i > 1; i--)
		if (clk.hist[i - 1].from <= t)
			break;
	return (clk.hist[i - 1].off);
}

uint64_t
quark_boot_to_wall(uint64_t boot_ns)
{
	return ((uint64_t)((int64_t)boot_ns + offset_at(boot_ns)));
}

/*
 * The offset in whole milliseconds (rounded down): a measurement's noise
 * (tens of ns) changes it only when the offset lies that close to a
 * millisecond boundary, once in about 20,000 runs.
 */
uint64_t
quark_start_to_wall(uint64_t start_ns)
{
	int64_t	off = offset_at(start_ns);

	off -= ((off % (int64_t)NS_PER_MS) + (int64_t)NS_PER_MS) %
	    (int64_t)NS_PER_MS;
	return ((uint64_t)((int64_t)start_ns + off));
}

uint64_t
quark_ticks_to_ns(uint64_t ticks)
{
	clock_init();
	return (ticks * clk.tick_ns);
}

uint64_t
quark_start_trunc(uint64_t ns)
{
	clock_init();
	return (ns - ns % clk.tick_ns);
}
/* FNV-1a 64 over (boot id, pid, start ticks): cheap, stable, well spread. */
static uint64_t
fnv1a(uint64_t h, const void *buf, size_t len)
{
	const uint8_t	*p = buf;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

uint64_t
quark_entity_id(pid_t pid, uint64_t start_ns)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	uint64_t	ticks;
	uint32_t	upid = (uint32_t)pid;

	clock_init();
	ticks = start_ns / clk.tick_ns;
	h = fnv1a(h, clk.boot_id, strlen((char *)clk.boot_id));
	h = fnv1a(h, &upid, sizeof(upid));
	h = fnv1a(h, &ticks, sizeof(ticks));
	return (h == 0 ? 1 : h);	/* 0 means "no id" */
}
