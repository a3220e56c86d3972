/*
 * ring.c - the eBPF backend.  PLACEHOLDER until the eBPF issue lands.
 */
#include <errno.h>

#include "quark_int.h"

static int
ebpf_open(struct quark_queue *qq, const struct quark_queue_attr *attr,
    void **state)
{
	errno = ENOSYS;
	return (-1);
}

static int
ebpf_poll(struct quark_queue *qq, void *state, int budget)
{
	return (0);
}

static int
ebpf_fd(void *state)
{
	return (-1);
}

static int
ebpf_stats(void *state, struct quark_backend_stats *st)
{
	return (0);
}

static void
ebpf_close(void *state)
{
}

const struct quark_backend_ops quark_backend_ebpf = {
	.name = "ebpf",
	.open = ebpf_open,
	.poll = ebpf_poll,
	.fd = ebpf_fd,
	.stats = ebpf_stats,
	.close = ebpf_close,
};
