/*
 * t_clock.c - the wall clock offsets of lib/clock.c: a boot time is
 * converted with the offset in effect at its moment, across steps either
 * way; a measurement that matches the current offset is no step; the
 * history is bounded; start times print the same in every run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quark_int.h"
#include "test.h"

#define SEC	1000000000LL
#define HOUR	(3600 * SEC)

static struct clock_offset
offset(uint64_t from, int64_t off, int64_t err)
{
	struct clock_offset	o;

	o.from = from;
	o.off = off;
	o.err = err;
	return (o);
}

/* The offset as measured now, forced in as the only one known. */
static int64_t
start_fresh(void)
{
	clock_reset();
	clock_init();
	return ((int64_t)quark_boot_to_wall(1000) - 1000);
}

static void
test_step_forward_and_back(void)
{
	struct clock_offset	o;
	int64_t			off0;

	T_CASE("each moment keeps the offset in effect then");
	off0 = start_fresh();
	/* +1 h noticed at boot 100 s, -1 h (back) at boot 200 s. */
	o = offset(100 * SEC, off0 + HOUR, 50);
	T_EQ_INT(clock_note_offset(&o), 1);
	o = offset(200 * SEC, off0, 50);
	T_EQ_INT(clock_note_offset(&o), 1);
	T_EQ_INT((int64_t)quark_boot_to_wall(5 * SEC), 5 * SEC + off0);
	T_EQ_INT((int64_t)quark_boot_to_wall(100 * SEC - 1),
	    100 * SEC - 1 + off0);
	T_EQ_INT((int64_t)quark_boot_to_wall(100 * SEC), 100 * SEC + off0 + HOUR);
	T_EQ_INT((int64_t)quark_boot_to_wall(150 * SEC), 150 * SEC + off0 + HOUR);
	T_EQ_INT((int64_t)quark_boot_to_wall(200 * SEC), 200 * SEC + off0);
	T_EQ_INT((int64_t)quark_boot_to_wall(900 * SEC), 900 * SEC + off0);
	/* A start time is converted at its moment too. */
	T_EQ_INT((int64_t)quark_start_to_wall(150 * SEC) -
	    (int64_t)quark_start_to_wall(50 * SEC), 100 * SEC + HOUR);

	T_CASE("a step back (before the first offset was measured)");
	off0 = start_fresh();
	o = offset(10 * SEC, off0 - HOUR, 0);
	T_EQ_INT(clock_note_offset(&o), 1);
	T_EQ_INT((int64_t)quark_boot_to_wall(9 * SEC), 9 * SEC + off0);
	T_EQ_INT((int64_t)quark_boot_to_wall(11 * SEC), 11 * SEC + off0 - HOUR);
}

static void
test_no_step(void)
{
	struct clock_offset	o;
	int64_t			off0;

	T_CASE("a measurement within the errors is no step");
	off0 = start_fresh();
	o = offset(100 * SEC, off0 + 300, 200);
	T_EQ_INT(clock_note_offset(&o), 0);
	T_EQ_INT((int64_t)quark_boot_to_wall(200 * SEC), 200 * SEC + off0);
	/* The real clock, measured again: unchanged (nobody set it). */
	T_EQ_INT(clock_remeasure(), 0);
	T_EQ_INT((int64_t)quark_boot_to_wall(200 * SEC), 200 * SEC + off0);

	T_CASE("a small step is one");
	o = offset(100 * SEC, off0 + 1000000, 200);	/* 1 ms */
	T_EQ_INT(clock_note_offset(&o), 1);
	T_EQ_INT((int64_t)quark_boot_to_wall(200 * SEC),
	    200 * SEC + off0 + 1000000);

	T_CASE("an offset dated before the current one is refused");
	o = offset(50 * SEC, off0 + HOUR, 0);
	T_EQ_INT(clock_note_offset(&o), 0);
	T_EQ_INT((int64_t)quark_boot_to_wall(60 * SEC), 60 * SEC + off0);
}

static void
test_bounded(void)
{
	struct clock_offset	o;
	int64_t			off0;
	int			i;

	T_CASE("the history keeps the last CLOCK_OFFSETS");
	off0 = start_fresh();
	for (i = 1; i <= CLOCK_OFFSETS + 3; i++) {
		o = offset((uint64_t)i * 10 * SEC, off0 + i * SEC, 0);
		T_EQ_INT(clock_note_offset(&o), 1);
	}
	/* The newest one is exact; before the oldest kept, the oldest. */
	T_EQ_INT((int64_t)quark_boot_to_wall(1000 * SEC),
	    1000 * SEC + off0 + (CLOCK_OFFSETS + 3) * SEC);
	T_EQ_INT((int64_t)quark_boot_to_wall(1 * SEC),
	    1 * SEC + off0 + 4 * SEC);
	T_EQ_INT((int64_t)quark_boot_to_wall(75 * SEC), 75 * SEC + off0 + 7 * SEC);
}

/*
 * Each run measures the offset anew, with a few ns of noise: a start
 * time must not show it (`quark lookup 1` five times, one value).
 */
static void
test_start_stable(void)
{
	uint64_t	start, first, w;
	long		hz = sysconf(_SC_CLK_TCK);
	int		i, same = 0;

	T_CASE("start_time is the same in every run");
	start = quark_start_trunc(123456789012ULL);
	first = (start_fresh(), quark_start_to_wall(start));
	for (i = 0; i < 50; i++) {
		start_fresh();
		w = quark_start_to_wall(start);
		same += w == first;
	}
	T_EQ_INT(same, 50);
	T_EQ_INT(first % 1000000, start % 1000000);
	/* Within a millisecond of the precise conversion. */
	w = quark_boot_to_wall(start);
	T_CHECK(first <= w && w - first < 1000000);
	T_CHECK(hz > 0);
}

/*
 * BOOTTIME - MONOTONIC for perf and proc connector stamps.  The flake it
 * fixes: a poll whose boot read was preempted for 7 ms between the two
 * clock reads stamped its samples 7 ms early, so a process's exit read
 * in it sorted before its setuid read in the poll before, and could not
 * join its record (kernel matrix, 5.10 nobpf: kp_setids 2 records).
 */
static void
test_mono(void)
{
	struct clock_mono	m;
	int64_t			off, d, v;
	int			i, moved = 0;

	T_CASE("boot - mono: the first bracket's middle");
	memset(&m, 0, sizeof(m));
	T_EQ_INT(clock_mono_note(&m, 1000, 1200), 1100);

	T_CASE("boot - mono: a preempted (wide) bracket moves nothing");
	/* m1, b, (7 ms preempted) m2: [b - m2, b - m1] = [off - 7 ms, off] */
	T_EQ_INT(clock_mono_note(&m, 1100 - 7000000, 1150), 1100);
	T_EQ_INT(clock_mono_note(&m, 1050, 1100 + 7000000), 1100);

	T_CASE("boot - mono: a bracket that excludes it moves it the least");
	T_EQ_INT(clock_mono_note(&m, 1120, 1130), 1120);
	T_EQ_INT(clock_mono_note(&m, 1000, 1110), 1110);

	T_CASE("boot - mono: a resume (1 h suspended) moves it at once");
	T_EQ_INT(clock_mono_note(&m, 1110 + HOUR, 1140 + HOUR), 1110 + HOUR);

	T_CASE("boot - mono: measured here, kept within its brackets");
	memset(&m, 0, sizeof(m));
	off = clock_mono_to_boot(&m);
	for (i = 0; i < 1000; i++) {
		v = clock_mono_to_boot(&m);
		moved += v != off;
		d = off < v ? v - off : off - v;
		T_CHECK(d < 100000);	/* no suspend while testing */
		off = v;
	}
	printf("# boot - mono %lld ns, moved %d times in 1000 polls\n",
	    (long long)off, moved);
}

int
main(void)
{
	test_mono();
	test_step_forward_and_back();
	test_no_step();
	test_bounded();
	test_start_stable();
	return (t_done());
}
