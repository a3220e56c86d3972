/*
 * thread_exec PATH [ARG...] - a thread other than the group leader
 * execs PATH with argv PATH ARG...: the kernel kills the other threads
 * and the exec'ing thread takes over the process id.  Prints
 * "PID TID" (the process, the thread before exec) on stdout first.
 */
#include <sys/syscall.h>

#include <err.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char	**exec_argv;

static void *
thread_main(void *arg)
{
	printf("%d %d\n", (int)getpid(), (int)syscall(SYS_gettid));
	fflush(stdout);
	execv(exec_argv[0], exec_argv);
	err(127, "execv %s", exec_argv[0]);
}

int
main(int argc, char **argv)
{
	pthread_t	t;
	int		e;

	if (argc < 2)
		errx(2, "usage: thread_exec PATH [ARG...]");
	exec_argv = argv + 1;
	if ((e = pthread_create(&t, NULL, thread_main, NULL)) != 0)
		errx(1, "pthread_create: %s", strerror(e));
	/* The exec kills this thread; it never returns. */
	pthread_join(t, NULL);
	errx(1, "the thread came back");
}
