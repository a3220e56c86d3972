/*
 * storm.c - spawn storm: W workers fork + execve + wait as fast as they can
 * for S seconds; prints the total spawn rate.  Used by bench/storm.sh.
 *
 *	storm WORKERS SECONDS [PROGRAM]
 */
#include <sys/wait.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static unsigned long
worker(double secs, const char *prog)
{
	unsigned long	 n = 0;
	double		 end = now() + secs;
	char		*args[] = { (char *)prog, NULL };
	char		*envp[] = { NULL };
	pid_t		 pid;
	int		 st;

	while (now() < end) {
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid == 0) {
			execve(prog, args, envp);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) == -1)
			err(1, "waitpid");
		n++;
	}
	return (n);
}

int
main(int argc, char **argv)
{
	const char	*errstr, *prog = "/bin/true";
	long long	 workers, secs, i;
	unsigned long	 total = 0, n;
	int		 fds[2], st;
	double		 t0;

	if (argc < 3 || argc > 4)
		errx(2, "usage: storm WORKERS SECONDS [PROGRAM]");
	workers = strtonum(argv[1], 1, 64, &errstr);
	if (errstr != NULL)
		errx(2, "workers %s", errstr);
	secs = strtonum(argv[2], 1, 600, &errstr);
	if (errstr != NULL)
		errx(2, "seconds %s", errstr);
	if (argc == 4)
		prog = argv[3];
	if (pipe(fds) == -1)
		err(1, "pipe");
	t0 = now();
	for (i = 0; i < workers; i++) {
		if (fork() == 0) {
			n = worker((double)secs, prog);
			if (write(fds[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < workers; i++) {
		if (read(fds[0], &n, sizeof(n)) != sizeof(n))
			errx(1, "worker died");
		total += n;
	}
	while (wait(&st) > 0)
		;
	printf("%lu %.1f\n", total, total / (now() - t0));
	return (0);
}
