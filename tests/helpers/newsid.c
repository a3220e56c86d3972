/*
 * newsid [MARK...] - call setsid(2), print the new session id, exit 0.
 * Fails (exit 1) if the caller leads a process group: run it from a
 * non-interactive shell, whose children do not.
 */
#include <err.h>
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	pid_t	sid;

	if ((sid = setsid()) == -1)
		err(1, "setsid");
	printf("%d\n", (int)sid);
	return (0);
}
