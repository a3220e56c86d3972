/*
 * coredump [MARK...] - fork a child that raises SIGABRT with
 * RLIMIT_CORE unlimited, in the current directory.  Prints
 * "PID core" or "PID nocore" (the child, and whether the kernel says it
 * dumped core: WCOREDUMP) and exits 0.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	struct rlimit	rl = { RLIM_INFINITY, RLIM_INFINITY };
	pid_t		pid;
	int		st;

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		err(1, "setrlimit");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		raise(SIGABRT);
		_exit(99);
	}
	if (waitpid(pid, &st, 0) == -1)
		err(1, "waitpid");
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT)
		errx(1, "child %d did not die of SIGABRT", (int)pid);
	printf("%d %s\n", (int)pid, WCOREDUMP(st) ? "core" : "nocore");
	return (0);
}
