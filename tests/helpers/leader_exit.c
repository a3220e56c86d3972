/*
 * leader_exit [-d US] CODE [MARK...] - the group leader leaves first
 * (pthread_exit), a second thread exits the process later with CODE:
 * 200 ms later, or US microseconds.  The process is gone only when that
 * thread is: one exit, with CODE.
 */
#include <err.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int	code;
static useconds_t	delay = 200000;

static void *
thread_main(void *arg)
{
	usleep(delay);
	exit(code);
}

int
main(int argc, char **argv)
{
	pthread_t	t;
	int		e;

	if (argc > 3 && strcmp(argv[1], "-d") == 0) {
		delay = (useconds_t)atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc < 2)
		errx(2, "usage: leader_exit [-d US] CODE [MARK...]");
	code = atoi(argv[1]);
	if ((e = pthread_create(&t, NULL, thread_main, NULL)) != 0)
		errx(1, "pthread_create: %s", strerror(e));
	pthread_exit(NULL);
}
