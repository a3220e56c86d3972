/*
 * samepid [-s MS] [MARK...] - make two processes that get the same pid
 * within one clock tick: fork a child that exits at once, reap it, set
 * /proc/sys/kernel/ns_last_pid to its pid - 1 and fork again.  Retries
 * (other processes may take the pid, or the tick may end in between)
 * until the second child has the first's pid and the same start time in
 * ticks (/proc/PID/stat field 22, read while each is a zombie), then
 * prints "PID TICKS PARENT" (PARENT: its own pid) and exits 0; exits 1 after 500 tries.  Needs root
 * (CAP_SYS_ADMIN in the pid namespace).  -s MS: the second child lives
 * MS milliseconds (running while the first one's exit is looked at).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A child that exits after ms; its start ticks, read before reaping. */
static pid_t
child(unsigned long long *ticks, int ms)
{
	char		 path[64], buf[1024], *s;
	siginfo_t	 si;
	pid_t		 pid;
	ssize_t		 n;
	int		 fd, i;

	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		if (ms > 0)
			usleep((useconds_t)ms * 1000);
		_exit(0);
	}
	if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == -1)
		err(1, "waitid");
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	*ticks = 0;
	if ((fd = open(path, O_RDONLY)) != -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			/* Field 22; fields after the comm's ')' start at 3. */
			if ((s = strrchr(buf, ')')) != NULL) {
				for (i = 2; i < 22 && s != NULL; i++)
					s = strchr(s + 1, ' ');
				if (s != NULL)
					*ticks = strtoull(s + 1, NULL, 10);
			}
		}
	}
	if (waitpid(pid, NULL, 0) == -1)
		err(1, "waitpid");
	return (pid);
}

int
main(int argc, char **argv)
{
	unsigned long long	 ta, tb;
	pid_t			 a, b;
	char			 buf[32];
	int			 fd, i, len, ms = 0;

	if (argc > 2 && strcmp(argv[1], "-s") == 0)
		ms = atoi(argv[2]);
	for (i = 0; i < 500; i++) {
		a = child(&ta, 0);
		if ((fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY)) == -1)
			err(1, "ns_last_pid");
		len = snprintf(buf, sizeof(buf), "%d", (int)a - 1);
		if (write(fd, buf, (size_t)len) != len)
			err(1, "write ns_last_pid");
		close(fd);
		b = child(&tb, ms);
		if (b == a && ta == tb && ta != 0) {
			printf("%d %llu %d\n", (int)a, ta, (int)getpid());
			return (0);
		}
	}
	errx(1, "no pid reused within one tick in 500 tries");
}
