/*
 * bench_clock.c - what noticing a step of the wall clock costs.
 *
 * quark_queue_next() asks once per drain whether the clock was set: one
 * epoll_wait(0) on the notify fd (timerfd, TFD_TIMER_CANCEL_ON_SET).  The
 * alternative, measuring the offset again each drain, is timed too, and
 * the conversion of a boot time to wall time that every time key pays,
 * and a user name as of a moment (the files read once, a binary search
 * per lookup), which each record pays four times.  Prints ns per call
 * (CPU time).
 */
#include <sys/epoll.h>

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "quark_int.h"
#include "names.h"

#define N	1000000

static uint64_t
cpu_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ((uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec);
}

int
main(void)
{
	struct epoll_event	ev;
	uint64_t		t0, sink = 0;
	int			tfd, ep, i;

	clock_init();
	if ((tfd = clock_watch_open()) == -1 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("bench_clock");
		return (1);
	}
	ev.events = EPOLLIN;
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

	t0 = cpu_ns();
	for (i = 0; i < N; i++)
		sink += (uint64_t)epoll_wait(ep, &ev, 1, 0);
	printf("clock step check per drain (epoll_wait 0, timerfd): %.0f ns\n",
	    (double)(cpu_ns() - t0) / N);
	t0 = cpu_ns();
	for (i = 0; i < N; i++)
		sink += (uint64_t)clock_watch_check(tfd);
	printf("timerfd read alone (EAGAIN):                        %.0f ns\n",
	    (double)(cpu_ns() - t0) / N);
	t0 = cpu_ns();
	for (i = 0; i < N; i++)
		sink += (uint64_t)clock_remeasure();
	printf("offset re-measured instead (vDSO reads, no syscall): %.0f ns\n",
	    (double)(cpu_ns() - t0) / N);
	t0 = cpu_ns();
	for (i = 0; i < N; i++)
		sink += quark_boot_to_wall((uint64_t)i * 1000);
	printf("boot -> wall conversion per time key:                %.1f ns\n",
	    (double)(cpu_ns() - t0) / N);
	names_user_at(0, 1);		/* reads the files */
	t0 = cpu_ns();
	for (i = 0; i < N; i++)
		sink += names_user_at(0, (uint64_t)i) != NULL;
	printf("user name as of a moment (files, per lookup):         %.0f ns\n",
	    (double)(cpu_ns() - t0) / N);
	names_flush();
	close(ep);
	close(tfd);
	return (sink == 42 ? 1 : 0);
}
