/*
 * spawn N PATH MARK - run PATH MARK I for I in 0..N-1 as fast as fork and
 * execve allow, at most 8 children at a time.  Exits 0 when every child
 * exited 0.
 */
#include <sys/wait.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_RUNNING	8

static int
reap(void)
{
	int	st;

	if (wait(&st) == -1)
		err(1, "wait");
	return (WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1);
}

int
main(int argc, char **argv)
{
	char	 num[24], *cargv[4];
	long	 n, i;
	int	 running = 0, bad = 0;
	pid_t	 pid;

	if (argc != 4 || (n = strtol(argv[1], NULL, 10)) <= 0)
		errx(2, "usage: spawn N PATH MARK");
	cargv[0] = argv[2];
	cargv[1] = argv[3];
	cargv[2] = num;
	cargv[3] = NULL;
	for (i = 0; i < n; i++) {
		if (running == MAX_RUNNING) {
			bad += reap();
			running--;
		}
		snprintf(num, sizeof(num), "%ld", i);
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid == 0) {
			execv(cargv[0], cargv);
			_exit(127);
		}
		running++;
	}
	while (running-- > 0)
		bad += reap();
	if (bad != 0)
		errx(1, "%d children failed", bad);
	return (0);
}
