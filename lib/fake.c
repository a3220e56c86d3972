/*
 * fake.c - a backend that replays a script of raw events (in arrival
 * order) for the unit tests and the benchmarks: queue_open_test() with
 * QUARK_BACKEND_FAKE and struct queue_test's fake/nfake, which must
 * outlive the queue.  Each poll submits a deep copy of at most `budget`
 * events, so a test that sets a small poll budget can move its clock
 * between arrivals.
 */
#include <errno.h>
#include <stdlib.h>

#include "quark_int.h"

struct fake_state {
	const struct raw_event	*ev;
	size_t			 n;
	size_t			 next;
};

static int
fake_open(struct quark_queue *qq, const struct quark_queue_attr *attr,
    void **state)
{
	const struct queue_test	*t = queue_test_of(qq);
	struct fake_state	*fs;

	if (t->nfake > 0 && t->fake == NULL) {
		errno = EINVAL;
		return (-1);
	}
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return (-1);
	fs->ev = t->fake;
	fs->n = t->nfake;
	*state = fs;
	return (0);
}

static int
fake_poll(struct quark_queue *qq, void *state, int budget)
{
	struct fake_state	*fs = state;
	struct raw_event	*raw;
	int			 n = 0;

	while (fs->next < fs->n && (budget == 0 || n < budget)) {
		if ((raw = raw_event_dup(&fs->ev[fs->next])) == NULL)
			return (n > 0 ? n : -1);
		fs->next++;
		queue_submit(qq, raw);
		n++;
	}
	return (n);
}

static int
fake_fd(void *state)
{
	return (-1);
}

static int
fake_stats(void *state, struct quark_backend_stats *st)
{
	st->lost = 0;
	st->bad_records = 0;
	return (0);
}

static void
fake_close(void *state)
{
	free(state);
}

const struct quark_backend_ops quark_backend_fake = {
	.name = "fake",
	.open = fake_open,
	.poll = fake_poll,
	.fd = fake_fd,
	.stats = fake_stats,
	.close = fake_close,
};
