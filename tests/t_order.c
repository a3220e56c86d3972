/*
 * t_order.c - time ordering, the hold policy, the reorder window, late
 * events, the queue bound.
 */
#include "engine_test.h"

static void
test_hold_values(void)
{
	const uint64_t	hmax = 1000 * MS, hmin = 1 * MS;
	uint64_t	len, prev, h;

	T_CASE("hold values");
	T_EQ_INT(order_hold_ns(hmax, hmin, 0, 1000), hmax);	/* 0% */
	T_EQ_INT(order_hold_ns(hmax, hmin, 100, 1000), hmax);	/* 10% */
	T_EQ_INT(order_hold_ns(hmax, hmin, 500, 1000),		/* 50% */
	    hmin + (hmax - hmin) / 2);
	T_EQ_INT(order_hold_ns(hmax, hmin, 900, 1000), 0);	/* 90% */
	T_EQ_INT(order_hold_ns(hmax, hmin, 1000, 1000), 0);	/* 100% */
	/* Just inside the linear part: near hold_max, near the floor. */
	T_CHECK(order_hold_ns(hmax, hmin, 101, 1000) < hmax);
	T_CHECK(order_hold_ns(hmax, hmin, 101, 1000) > hmax - 2 * MS);
	T_CHECK(order_hold_ns(hmax, hmin, 899, 1000) >= hmin);
	T_CHECK(order_hold_ns(hmax, hmin, 899, 1000) < hmin + 2 * MS);
	/* Never grows with the fill. */
	prev = hmax;
	for (len = 0; len <= 1000; len++) {
		h = order_hold_ns(hmax, hmin, len, 1000);
		if (h > prev)
			break;
		prev = h;
	}
	T_EQ_INT(len, 1001);
	T_EQ_INT(order_hold_ns(hmax, hmin, 1, 0), 0);
}

/* Deterministic shuffle (xorshift). */
static void
shuffle(struct raw_event *r, size_t n, uint64_t seed)
{
	struct raw_event	tmp;
	size_t			i, j;

	for (i = n - 1; i > 0; i--) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		j = seed % (i + 1);
		tmp = r[i];
		r[i] = r[j];
		r[j] = tmp;
	}
}

#define NPROC	300

static void
shuffled_case(uint32_t flags, uint64_t seed)
{
	static struct raw_event		 raws[NPROC * 3];
	const struct quark_event	*ev;
	struct quark_queue		*qq;
	struct quark_stats		 st;
	uint64_t			 last = 0, t;
	size_t				 i, n = 0, nev = 0, bad = 0, exits = 0;

	for (i = 0; i < NPROC; i++) {
		t = 1000 + i * 7;
		raws[n++] = (struct raw_event)R_FORK(t, 1000 + i, 1);
		raws[n++] = (struct raw_event)R_EXEC(t + 3, 1000 + i, "/bin/x");
		raws[n++] = (struct raw_event)R_EXIT(t + 5 + (i % 3) * 4,
		    1000 + i, 0);
	}
	shuffle(raws, n, seed);
	qq = t_open(raws, n, flags, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	queue_set_poll_budget(qq, 100000);
	T_CHECK(quark_queue_next(qq) == NULL);
	quark_queue_stop(qq);
	while ((ev = quark_queue_next(qq)) != NULL) {
		nev++;
		if (ev->time < last || (ev->flags & QUARK_EVF_LATE))
			bad++;
		for (i = 1; i < ev->nchanges; i++)
			if (ev->changes[i].time < ev->changes[i - 1].time)
				bad++;
		if (ev->changes[ev->nchanges - 1].type == QUARK_EV_EXIT)
			exits++;
		if ((flags & QQ_NO_AGGREGATE) == 0 && ev->nchanges != 3)
			bad++;
		last = ev->time;
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(exits, NPROC);
	T_EQ_INT(nev, (flags & QQ_NO_AGGREGATE) ? NPROC * 3 : NPROC);
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.late, 0);
	T_EQ_INT(st.removals, nev);
	quark_queue_close(qq);
}

static void
test_shuffled(void)
{
	T_CASE("shuffled, aggregated");
	shuffled_case(0, 0x9e3779b97f4a7c15ULL);
	T_CASE("shuffled, not aggregated");
	shuffled_case(QQ_NO_AGGREGATE, 0x2545f4914f6cdd1dULL);
}

static void
test_equal_times(void)
{
	const struct raw_event	a[] = { R_EXIT(10, 100, 0),
	    R_COMM(10, 100, "x"), R_EXEC(10, 100, "/a"), R_FORK(10, 100, 1) };
	const struct raw_event	b[] = { R_EXEC(10, 100, "/a"),
	    R_FORK(10, 100, 1), R_EXIT(10, 100, 0) };
	const struct raw_event	c[] = { R_EXEC(20, 100, "/a"),
	    R_FORK(10, 100, 1) };

	T_CASE("equal times, aggregated");
	T_EQ_STR(t_run(a, nitems(a), 0, NULL), "100:fork+exec+comm+exit");
	T_CASE("equal times, not aggregated");
	T_EQ_STR(t_run(a, nitems(a), QQ_NO_AGGREGATE, NULL),
	    "100:fork 100:exec 100:comm 100:exit");
	T_EQ_STR(t_run(b, nitems(b), QQ_NO_AGGREGATE, NULL),
	    "100:fork 100:exec 100:exit");
	T_CASE("exec arrives before fork, not aggregated");
	T_EQ_STR(t_run(c, nitems(c), QQ_NO_AGGREGATE, NULL),
	    "100:fork 100:exec");
}

/* Feeds one raw event per quark_queue_next() call. */
static struct quark_queue *
open_stepwise(const struct raw_event *raws, size_t n,
    struct quark_queue_attr *attr)
{
	struct quark_queue	*qq;

	if ((qq = t_open(raws, n, 0, attr)) != NULL)
		queue_set_poll_budget(qq, 1);
	return (qq);
}

static void
test_reorder_window(void)
{
	const struct raw_event	 raws[] = { R_FORK(10, 100, 1),
	    R_EXEC(20, 100, "/a"), R_EXIT(30, 100, 0) };
	char			 buf[256] = "";
	struct quark_queue	*qq;

	T_CASE("complete head after the reorder window");
	qq = open_stepwise(raws, nitems(raws), NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	t_now = 0;
	T_CHECK(quark_queue_next(qq) == NULL);		/* fork at 0 */
	T_EQ_INT(quark_queue_timeout_ms(qq), 1000);
	t_now = 10 * MS;
	T_CHECK(quark_queue_next(qq) == NULL);		/* exec at 10 ms */
	t_now = 20 * MS;
	T_CHECK(quark_queue_next(qq) == NULL);		/* exit at 20 ms */
	T_EQ_INT(quark_queue_timeout_ms(qq), 25);
	t_now = 45 * MS - 1;
	T_CHECK(quark_queue_next(qq) == NULL);
	T_EQ_INT(quark_queue_timeout_ms(qq), 1);
	t_now = 45 * MS;
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	T_EQ_STR(buf, "100:fork+exec+exit");
	/* The exit's grace (5.045 s), to the next whole second. */
	T_EQ_INT(quark_queue_timeout_ms(qq), 5955);
	quark_queue_close(qq);
}

/*
 * Data the reader let gather (quark_queue_gathered()) counts as arrived
 * at its kernel time, not before the reader saw it: a fork, exec and exit
 * at 10, 11 and 12 ms, read at 40 ms after a wakeup at 10 ms, leave at
 * 37 ms (12 + 25), that is at once, not at 65 ms.  Once the backend is
 * found drained, the next data arrives when read again.
 */
static void
test_gathered(void)
{
	const struct raw_event	 raws[] = { R_FORK(10 * MS, 100, 1),
	    R_EXEC(11 * MS, 100, "/a"), R_EXIT(12 * MS, 100, 0),
	    R_FORK(50 * MS, 200, 1), R_EXIT(51 * MS, 200, 0) };
	char			 buf[256] = "";
	struct quark_queue	*qq;

	T_CASE("gathered data: the reorder window from when it was there");
	qq = t_open(raws, 3, 0, NULL);
	if (!T_CHECK(qq != NULL))
		return;
	t_now = 40 * MS;
	quark_queue_gathered(qq, 10 * MS);
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	T_EQ_STR(buf, "100:fork+exec+exit");
	quark_queue_close(qq);

	T_CASE("gathered data, read before its window passed");
	qq = t_open(raws, 3, 0, NULL);
	if (!T_CHECK(qq != NULL))
		return;
	t_now = 30 * MS;
	quark_queue_gathered(qq, 10 * MS);
	T_CHECK(quark_queue_next(qq) == NULL);
	T_EQ_INT(quark_queue_timeout_ms(qq), 7);	/* 12 + 25 - 30 */
	quark_queue_close(qq);

	T_CASE("not gathered: the reorder window from when it was read");
	qq = t_open(raws + 3, 2, 0, NULL);
	if (!T_CHECK(qq != NULL))
		return;
	t_now = 80 * MS;
	T_CHECK(quark_queue_next(qq) == NULL);
	T_EQ_INT(quark_queue_timeout_ms(qq), 25);
	quark_queue_close(qq);
}

static void
test_hold(void)
{
	const struct raw_event	 raws[] = { R_FORK(10, 100, 1),
	    R_EXEC(20, 100, "/a") };
	char			 buf[256] = "";
	struct quark_queue	*qq;

	T_CASE("incomplete head after the hold");
	qq = open_stepwise(raws, nitems(raws), NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	T_CHECK(quark_queue_next(qq) == NULL);
	t_now = 500 * MS;
	T_CHECK(quark_queue_next(qq) == NULL);
	t_now = 1000 * MS - 1;
	T_CHECK(quark_queue_next(qq) == NULL);
	t_now = 1000 * MS;
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	T_EQ_STR(buf, "100:fork+exec");
	T_EQ_INT(quark_queue_timeout_ms(qq), -1);
	quark_queue_close(qq);
}

/* At 50% fill the hold is halfway between hold_max and the floor. */
static void
test_hold_fill(void)
{
	static struct raw_event	 raws[9];
	struct quark_queue_attr	 attr;
	struct quark_queue	*qq;
	char			 buf[512] = "";
	size_t			 i;

	T_CASE("hold shrinks with the fill");
	for (i = 0; i < nitems(raws); i++)
		raws[i] = (struct raw_event)R_EXEC(10 + i, 100 + i, "/a");
	quark_queue_default_attr(&attr);
	attr.max_length = 10;
	qq = t_open(raws, 5, 0, &attr);		/* 5 of 10: 50% */
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	T_CHECK(quark_queue_next(qq) == NULL);
	T_EQ_INT(quark_queue_timeout_ms(qq), 501);	/* 500.5 ms */
	t_now = 500 * MS;
	T_CHECK(quark_queue_next(qq) == NULL);
	t_now = 501 * MS;
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	quark_queue_close(qq);

	T_CASE("no hold at 90% fill");
	buf[0] = '\0';
	qq = t_open(raws, 9, 0, &attr);		/* 9 of 10: 90% */
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	/* Each emission lowers the fill below 90%: one comes out at once. */
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	T_EQ_STR(buf, "100:exec");
	quark_queue_close(qq);
}

static void
test_max_length(void)
{
	static struct raw_event		 raws[100];
	struct quark_queue_attr		 attr;
	struct quark_queue		*qq;
	struct quark_stats		 st;
	const struct quark_event	*ev;
	uint64_t			 last = 0;
	size_t				 i, nev = 0, over = 0, bad = 0;

	T_CASE("never more than max_length");
	for (i = 0; i < nitems(raws); i++)
		raws[i] = (struct raw_event)R_EXEC(10 + i, 100 + i, "/a");
	quark_queue_default_attr(&attr);
	attr.max_length = 10;
	qq = t_open(raws, nitems(raws), 0, &attr);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	queue_set_poll_budget(qq, 1000);
	/* The clock never moves: only the bound lets records out. */
	for (i = 0; i < 1000 && nev < nitems(raws); i++) {
		if ((ev = quark_queue_next(qq)) != NULL) {
			if (ev->time < last)
				bad++;
			last = ev->time;
			nev++;
		}
		quark_queue_stats(qq, &st);
		if (st.length > 10)
			over++;
	}
	quark_queue_stop(qq);
	while ((ev = quark_queue_next(qq)) != NULL)
		nev++;
	quark_queue_stats(qq, &st);
	T_EQ_INT(over, 0);
	T_EQ_INT(bad, 0);
	T_CHECK(st.peak_length <= 10);
	T_EQ_INT(nev, nitems(raws));
	quark_queue_close(qq);
}

/* A backend that submits more than the room left: the head leaves early. */
static void
test_max_length_submit(void)
{
	struct quark_queue_attr	 attr;
	struct quark_queue	*qq;
	struct quark_stats	 st;
	struct raw_event	*raw;
	char			 buf[512] = "";
	int			 i;

	T_CASE("submit beyond max_length");
	quark_queue_default_attr(&attr);
	attr.max_length = 3;
	qq = t_open(NULL, 0, 0, &attr);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	for (i = 5; i >= 1; i--) {
		raw = raw_event_alloc(QUARK_EV_EXEC);
		raw->time = i * 10;
		raw->pid = raw->tid = 100 + i;
		queue_submit(qq, raw);
	}
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.length, 3);
	T_EQ_INT(st.peak_length, 3);
	quark_queue_stop(qq);
	t_drain_ready(qq, buf, sizeof(buf));
	/*
	 * 102 and 101 each pushed the head out (103, then 102); 101 came
	 * out after newer ones: late.
	 */
	T_EQ_STR(buf, "103:exec 102:exec!L 101:exec!L 104:exec 105:exec");
	quark_queue_close(qq);
}

static void
test_late(void)
{
	const struct raw_event	 raws[] = { R_EXEC(100, 100, "/a"),
	    R_EXIT(110, 100, 0) };
	struct quark_queue	*qq;
	struct quark_stats	 st;
	struct raw_event	*raw;
	char			 buf[256] = "";

	T_CASE("late events");
	qq = t_open(raws, nitems(raws), 0, NULL);
	T_CHECK(qq != NULL);
	if (qq == NULL)
		return;
	T_CHECK(quark_queue_next(qq) == NULL);
	t_now = 25 * MS;
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	/* Arrives after 100's record left, and is older than it. */
	raw = raw_event_alloc(QUARK_EV_EXEC);
	raw->time = 50;
	raw->pid = raw->tid = 200;
	queue_submit(qq, raw);
	/* Late: only the reorder window, not the hold. */
	T_EQ_INT(quark_queue_timeout_ms(qq), 25);
	t_now = 50 * MS - 1;
	T_CHECK(quark_queue_next(qq) == NULL);
	t_now = 50 * MS;
	T_EQ_INT(t_drain_ready(qq, buf, sizeof(buf)), 1);
	T_EQ_STR(buf, "100:exec+exit 200:exec!L");
	quark_queue_stats(qq, &st);
	T_EQ_INT(st.late, 1);
	quark_queue_close(qq);
}

int
main(void)
{
	test_hold_values();
	test_shuffled();
	test_equal_times();
	test_reorder_window();
	test_gathered();
	test_hold();
	test_hold_fill();
	test_max_length();
	test_max_length_submit();
	test_late();
	return (t_done_named("t_order"));
}
