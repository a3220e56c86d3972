/*
 * clock.c - one clock everywhere: CLOCK_BOOTTIME nanoseconds.
 *
 * The kernel stamps events with bpf_ktime_get_boot_ns() and keeps
 * task->start_boottime on the same clock; /proc/PID/stat's starttime is that
 * value in clock ticks (truncated).  Wall time is derived from a precise
 * offset measured here, not from /proc/stat's one-second btime.
 *
 * Start times are kept truncated to the clock tick (10 ms at USER_HZ 100)
 * so that a process gets the same start_time and entity_id whether quark
 * learned of it from /proc or from the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "quark_int.h"

static struct {
	int		ready;
	uint64_t	tick_ns;	/* ns per USER_HZ tick */
	int64_t		wall_off;	/* realtime - boottime, ns */
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

int
clock_init(void)
{
	uint64_t	r1, b, r2;
	long		hz;
	int		fd;
	ssize_t		n;

	if (clk.ready)
		return (0);
	if ((hz = sysconf(_SC_CLK_TCK)) <= 0)
		hz = 100;
	clk.tick_ns = NS_PER_SEC / (uint64_t)hz;
	/* Bracket the boot clock with two realtime reads: error < 1 us. */
	r1 = ts_ns(CLOCK_REALTIME);
	b = ts_ns(CLOCK_BOOTTIME);
	r2 = ts_ns(CLOCK_REALTIME);
	clk.wall_off = (int64_t)(r1 + (r2 - r1) / 2) - (int64_t)b;
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
	clock_init();
	clk.wall_off = wall_off;
	memset(clk.boot_id, 0, sizeof(clk.boot_id));
	strncpy((char *)clk.boot_id, boot_id, sizeof(clk.boot_id) - 1);
}

uint64_t
quark_boot_now(void)
{
	return (ts_ns(CLOCK_BOOTTIME));
}

uint64_t
quark_boot_to_wall(uint64_t boot_ns)
{
	clock_init();
	return ((uint64_t)((int64_t)boot_ns + clk.wall_off));
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
