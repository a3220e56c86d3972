/*
 * clockstep SECONDS SETTLE_MS BEFORE... -- AFTER... - run BEFORE... (a
 * path and its arguments), step the wall clock by
 * SECONDS (signed), wait SETTLE_MS, run AFTER..., then step the clock
 * back.  Prints four CLOCK_REALTIME readings in ns, one a line, as `date
 * +%s%N` would print them: right before and after BEFORE, and right
 * before and after AFTER (those two on the stepped clock).
 *
 * clockstep SECONDS alone only steps the clock (a test's safety net).
 *
 * The steps are adjtimex(ADJ_SETOFFSET): relative and atomic in the
 * kernel, so the two cancel exactly and the clock loses nothing.  The
 * clock is stepped back whatever happens in between (signals that could
 * end us are blocked meanwhile), and for no longer than SETTLE_MS plus
 * the run of AFTER: other programs on the host see the stepped clock.
 */
#include <sys/timex.h>
#include <sys/wait.h>

#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

static int
step(long long secs)
{
	struct timex	tx;

	memset(&tx, 0, sizeof(tx));
	tx.modes = ADJ_SETOFFSET | ADJ_NANO;
	tx.time.tv_sec = secs;
	tx.time.tv_usec = 0;	/* ns with ADJ_NANO */
	return (adjtimex(&tx) == -1 ? -1 : 0);
}

/* Runs argv, returns its exit status (or 1 if it could not run). */
static int
run(char **argv, sigset_t *old)
{
	pid_t	pid;
	int	st;

	if ((pid = fork()) == -1)
		return (1);
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) == -1)
		return (1);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

int
main(int argc, char **argv)
{
	sigset_t	all, old;
	long long	secs, t[4];
	long		settle;
	char		**after = NULL;
	int		 i, rc = 0;

	if (argc == 2) {
		if ((secs = strtoll(argv[1], NULL, 10)) == 0)
			errx(2, "bad step");
		if (step(secs) == -1)
			err(1, "adjtimex");
		return (0);
	}
	for (i = 4; i < argc - 1; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			after = argv + i + 1;
			break;
		}
	if (argc < 6 || after == NULL)
		errx(2, "usage: clockstep SECONDS SETTLE_MS BEFORE... -- AFTER...");
	secs = strtoll(argv[1], NULL, 10);
	settle = strtol(argv[2], NULL, 10);
	if (secs == 0 || settle < 0 || settle > 1000)
		errx(2, "bad step or settle time");
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	t[0] = now_ns();
	rc |= run(argv + 3, &old);
	t[1] = now_ns();
	if (step(secs) == -1)
		err(1, "adjtimex");
	usleep((useconds_t)settle * 1000);
	t[2] = now_ns();
	rc |= run(after, &old);
	t[3] = now_ns();
	if (step(-secs) == -1)
		err(3, "adjtimex: THE CLOCK IS STILL STEPPED BY %lld s", secs);
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("%lld\n%lld\n%lld\n%lld\n", t[0], t[1], t[2], t[3]);
	return (rc);
}
