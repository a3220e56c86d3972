/*
 * dropids UID GID [MARK...] - drop the supplementary groups, then
 * setgid(GID) and setuid(UID) (in that order: a process that gave up root
 * could no longer change its group), then exit 0.  Run as root.  The
 * kernel-matrix workload (tests/vm/) checks the setgid and setuid records.
 */
#include <grp.h>
#include <err.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned int
id(const char *s)
{
	char		*end;
	unsigned long	 v;

	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > 0xfffffffeUL)
		errx(2, "bad id '%s'", s);
	return ((unsigned int)v);
}

int
main(int argc, char **argv)
{
	uid_t	uid;
	gid_t	gid;

	if (argc < 3)
		errx(2, "usage: dropids UID GID [MARK...]");
	uid = id(argv[1]);
	gid = id(argv[2]);
	if (setgroups(0, NULL) == -1)
		err(1, "setgroups");
	if (setgid(gid) == -1)
		err(1, "setgid %u", (unsigned int)gid);
	if (setuid(uid) == -1)
		err(1, "setuid %u", (unsigned int)uid);
	return (0);
}
