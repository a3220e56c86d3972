/*
 * setcomm NAME [MARK...] - rename the calling thread with
 * prctl(PR_SET_NAME) and exit 0.  The extra arguments are ignored: tests
 * put a unique marker there to find the process's record.
 */
#include <sys/prctl.h>

#include <err.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	if (argc < 2)
		errx(2, "usage: setcomm NAME [MARK...]");
	if (prctl(PR_SET_NAME, argv[1], 0, 0, 0) == -1)
		err(1, "prctl PR_SET_NAME");
	return (0);
}
