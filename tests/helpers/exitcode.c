/*
 * exitcode CODE [MARK...] - exit with status CODE (0 to 255), nothing else.
 * The kernel-matrix workload (tests/vm/) checks that the exit record says
 * CODE.
 */
#include <err.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	char	*end;
	long	 code;

	if (argc < 2)
		errx(2, "usage: exitcode CODE [MARK...]");
	code = strtol(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || code < 0 || code > 255)
		errx(2, "bad exit code '%s'", argv[1]);
	return ((int)code);
}
