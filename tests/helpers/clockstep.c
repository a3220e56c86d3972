/*
 * clockstep SECONDS MAX_MS - step the wall clock by SECONDS (signed),
 * print "stepped" and hold it so until standard input ends (EOF) or
 * MAX_MS pass, then step it back and print "restored".  Exits 0, or 3
 * when MAX_MS passed first (the caller's work on the stepped clock may
 * not have been done on it).
 *
 * clockstep SECONDS - only step the clock (a test's safety net).
 *
 * The steps are adjtimex(ADJ_SETOFFSET): relative and atomic in the
 * kernel, so the two cancel exactly and the clock loses nothing.  The
 * clock is stepped back whatever happens in between (the signals that
 * could end us are blocked meanwhile): other programs on the host see the
 * stepped clock, keep it short.
 */
#include <sys/timex.h>

#include <err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static long long
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
main(int argc, char **argv)
{
	struct pollfd	pfd;
	sigset_t	all;
	long long	secs, max_ms, end, left;
	char		buf[256];
	int		timed_out = 1;

	if (argc < 2 || argc > 3 || (secs = strtoll(argv[1], NULL, 10)) == 0)
		errx(2, "usage: clockstep SECONDS [MAX_MS]");
	if (argc == 2) {
		if (step(secs) == -1)
			err(1, "adjtimex");
		return (0);
	}
	max_ms = strtoll(argv[2], NULL, 10);
	if (max_ms <= 0 || max_ms > 10000)
		errx(2, "MAX_MS: 1 to 10000");
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	if (step(secs) == -1)
		err(1, "adjtimex");
	printf("stepped\n");
	fflush(stdout);
	end = mono_ms() + max_ms;
	pfd.fd = STDIN_FILENO;
	pfd.events = POLLIN;
	while ((left = end - mono_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0) {
			timed_out = 0;
			break;
		}
	}
	if (step(-secs) == -1)
		err(4, "adjtimex: THE CLOCK IS STILL STEPPED BY %lld s", secs);
	printf("restored\n");
	return (timed_out ? 3 : 0);
}
