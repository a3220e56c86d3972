/*
 * fileless MODE PROG ARGV0 [ARG...] - run PROG (a path), with argv ARGV0
 * ARG..., from a file that has no path of its own, the ways a process can:
 *   memfd     a copy in memfd_create("quark-memfd"), run with fexecve(3)
 *   tmpfile   a copy in an O_TMPFILE file of the cwd, run through
 *             /proc/self/fd/N
 *   detached  a copy on a tmpfs in a private mount namespace, unmounted
 *             with MNT_DETACH before fexecve(3) runs it
 *   path      PROG itself, by its path (relative: no shell makes it
 *             absolute, as bash does and fails for a cwd past PATH_MAX)
 *   newroot   a copy at /prog of a new root (a tmpfs with /usr bound in),
 *             pivot_root(2)ed to in a private mount namespace, as a
 *             container's runtime does
 * Exits 1 on a failed set-up step.  Needs root for detached and newroot.
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <err.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void
copy(int to, const char *from)
{
	char	buf[65536];
	ssize_t	n;
	int	fd;

	if ((fd = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "%s", from);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(to, buf, (size_t)n) != n)
			err(1, "write");
	if (n == -1)
		err(1, "read %s", from);
	close(fd);
}

/* A fresh private mount namespace with a tmpfs on dir. */
static void
private_tmpfs(const char *dir)
{
	if (unshare(CLONE_NEWNS) == -1)
		err(1, "unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(1, "make / private");
	if (mkdir(dir, 0700) == -1)
		err(1, "mkdir %s", dir);
	if (mount("quark-test", dir, "tmpfs", 0, "mode=0755") == -1)
		err(1, "mount tmpfs on %s", dir);
}

static int
copy_to(const char *path, const char *prog)
{
	int	fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0755)) == -1)
		err(1, "%s", path);
	copy(fd, prog);
	close(fd);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "%s", path);
	return (fd);
}

int
main(int argc, char *argv[])
{
	char	dir[64], path[128];
	int	fd, ro;

	if (argc < 4)
		errx(2, "usage: fileless path|memfd|tmpfile|detached|newroot PROG ARGV0 [ARG...]");
	if (strcmp(argv[1], "path") == 0) {
		execv(argv[2], argv + 3);
		err(1, "execv %s", argv[2]);
	}
	if (strcmp(argv[1], "memfd") == 0) {
		if ((fd = memfd_create("quark-memfd", MFD_CLOEXEC)) == -1)
			err(1, "memfd_create");
		copy(fd, argv[2]);
		fexecve(fd, argv + 3, environ);
		err(1, "fexecve");
	}
	if (strcmp(argv[1], "tmpfile") == 0) {
		if ((fd = open(".", O_TMPFILE | O_RDWR, 0755)) == -1)
			err(1, "O_TMPFILE");
		copy(fd, argv[2]);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		/* A writer left open would make the exec fail (ETXTBSY). */
		if ((ro = open(path, O_RDONLY)) == -1)
			err(1, "%s", path);
		close(fd);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", ro);
		execve(path, argv + 3, environ);
		err(1, "execve %s", path);
	}
	snprintf(dir, sizeof(dir), "/tmp/quark-fileless-%d", (int)getpid());
	if (strcmp(argv[1], "detached") == 0) {
		private_tmpfs(dir);
		snprintf(path, sizeof(path), "%s/prog", dir);
		fd = copy_to(path, argv[2]);
		if (umount2(dir, MNT_DETACH) == -1)
			err(1, "umount %s", dir);
		rmdir(dir);
		fexecve(fd, argv + 3, environ);
		err(1, "fexecve");
	}
	if (strcmp(argv[1], "newroot") == 0) {
		private_tmpfs(dir);
		snprintf(path, sizeof(path), "%s/prog", dir);
		close(copy_to(path, argv[2]));
		snprintf(path, sizeof(path), "%s/usr", dir);
		if (mkdir(path, 0755) == -1 ||
		    mount("/usr", path, NULL, MS_BIND | MS_REC, NULL) == -1)
			err(1, "bind /usr");
		snprintf(path, sizeof(path), "%s/lib", dir);
		if (symlink("usr/lib", path) == -1)
			err(1, "symlink lib");
		snprintf(path, sizeof(path), "%s/lib64", dir);
		if (symlink("usr/lib64", path) == -1)
			err(1, "symlink lib64");
		snprintf(path, sizeof(path), "%s/old", dir);
		if (mkdir(path, 0700) == -1)
			err(1, "mkdir old");
		if (chdir(dir) == -1)
			err(1, "chdir");
		if (syscall(SYS_pivot_root, ".", "old") == -1)
			err(1, "pivot_root");
		if (umount2("/old", MNT_DETACH) == -1 || chdir("/") == -1)
			err(1, "leave the old root");
		rmdir("/old");
		execv("/prog", argv + 3);
		err(1, "execv /prog");
	}
	errx(2, "unknown mode %s", argv[1]);
}
