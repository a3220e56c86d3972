/*
 * leader-exits-first MS CODE - the main thread leaves with pthread_exit()
 * at once; a second thread sleeps MS milliseconds, then exit(CODE)s the
 * process.  The thread group's exit is the second thread's, MS after the
 * leader's (watch-netlink.bats: the connector reports one exit per
 * thread).
 */
#include <err.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static int	ms, code;

static void *
later(void *arg)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	exit(code);
}

int
main(int argc, char **argv)
{
	pthread_t	t;

	if (argc != 3)
		errx(2, "usage: leader-exits-first MS CODE");
	ms = atoi(argv[1]);
	code = atoi(argv[2]);
	if (pthread_create(&t, NULL, later, NULL) != 0)
		errx(1, "pthread_create");
	pthread_exit(NULL);
}
