/*
 * privdrop.c - `quark watch --user USER`: become USER once the capture is
 * attached and the cache seeded, keeping only the capabilities that the
 * rest of the run still needs.
 *
 * What a running watch still does with privileges (everything else was
 * done before the switch: BPF load and attach, the proc connector's bind,
 * mounting tracefs, the /proc seed):
 *
 *   CAP_SYS_PTRACE       read /proc/PID/{exe,cwd,environ} and ns/ of other
 *                        users' processes (ptrace_may_access, READ mode):
 *                        the netlink backend enriches every event from
 *                        /proc, both backends read /proc for a parent
 *                        missing from the cache and for the reconcile.
 *   CAP_DAC_READ_SEARCH  open /proc/PID/environ (mode 0400, owned by the
 *                        process's user) for --env, and /proc/PID
 *                        directories of non-dumpable processes.
 *   CAP_BPF              only where the kernel checks it on every bpf(2)
 *                        call (Linux before 6.5 with unprivileged BPF
 *                        disabled), for a kernel that cannot map the lost
 *                        counters' BPF map: they are then read by fd
 *                        (else from memory).  Probed, not assumed: see
 *                        bpf_fd_ops_need_cap().  CAP_SYS_ADMIN instead on
 *                        kernels without CAP_BPF (before 5.8).
 *
 * Everything else goes: from the effective, permitted, inheritable and
 * ambient sets and from the bounding set; no_new_privs is set, so no exec
 * can give anything back.  Reading the ring and the netlink socket needs
 * no capability: their fds are open.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bsd/stdlib.h>

#include "cmd.h"

#ifndef CAP_BPF
#define CAP_BPF		39
#endif

/* A capability set as the kernel's 64-bit mask (bit N: capability N). */
typedef unsigned long long capmask;

#define CAPBIT(c)	(1ULL << (c))

static int
caps_get(capmask *eff, capmask *prm)
{
	struct __user_cap_header_struct	hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	d[2];

	if (syscall(SYS_capget, &hdr, d) == -1)
		return (-1);
	*eff = d[0].effective | (capmask)d[1].effective << 32;
	*prm = d[0].permitted | (capmask)d[1].permitted << 32;
	return (0);
}

/* Sets effective and permitted; inheritable becomes empty. */
static int
caps_set(capmask eff, capmask prm)
{
	struct __user_cap_header_struct	hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	return ((int)syscall(SYS_capset, &hdr, d));
}

/* The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
static int
cap_last(void)
{
	FILE	*f;
	int	 n = -1;

	if ((f = fopen("/proc/sys/kernel/cap_last_cap", "re")) != NULL) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return (n < 0 || n > 63 ? 40 : n);
}

/*
 * Does a bpf(2) call on a map fd need CAP_BPF here?  Linux 6.5 moved the
 * unprivileged_bpf_disabled check from every command to map and program
 * creation; before, a lookup without CAP_BPF (or CAP_SYS_ADMIN) fails with
 * EPERM.  Asked of the kernel: a one-element array is created with our
 * privileges, then looked up with CAP_BPF and CAP_SYS_ADMIN out of the
 * effective set.  1 yes, 0 no, -1 on error (errno set).
 */
static int
bpf_fd_ops_need_cap(capmask eff, capmask prm)
{
	uint32_t	key = 0;
	uint64_t	val;
	int		fd, r, err;

	if ((fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "quark_probe",
	    sizeof(key), sizeof(val), 1, NULL)) < 0)
		return (-1);
	if (caps_set(eff & ~(CAPBIT(CAP_BPF) | CAPBIT(CAP_SYS_ADMIN)),
	    prm) == -1) {
		err = errno;
		close(fd);
		errno = err;
		return (-1);
	}
	r = bpf_map_lookup_elem(fd, &key, &val);
	err = errno;
	close(fd);
	if (caps_set(eff, prm) == -1)
		return (-1);
	if (r == 0)
		return (0);
	if (err == EPERM || err == EACCES)
		return (1);
	errno = err;
	return (-1);
}

/* USER is a name from the password database, or a numeric uid. */
static struct passwd *
find_user(const char *user)
{
	struct passwd	*pw;
	const char	*errstr;
	long long	 uid;

	errno = 0;
	if ((pw = getpwnam(user)) != NULL)
		return (pw);
	uid = strtonum(user, 0, UINT32_MAX - 1, &errstr);
	if (errstr == NULL && (pw = getpwuid((uid_t)uid)) != NULL)
		return (pw);
	if (errno != 0)
		cwarn("looking up user '%s'", user);
	else
		cwarnx("unknown user '%s'", user);
	return (NULL);
}

int
priv_drop(const char *user, int ebpf)
{
	struct passwd	*pw;
	capmask		 eff, prm, keep;
	int		 c, last, need;
	uid_t		 ru, eu, su;
	gid_t		 rg, eg, sg;

	if ((pw = find_user(user)) == NULL)
		return (-1);
	if (caps_get(&eff, &prm) == -1) {
		cwarn("capget");
		return (-1);
	}
	if ((eff & CAPBIT(CAP_SETUID)) == 0 ||
	    (eff & CAPBIT(CAP_SETGID)) == 0) {
		cwarnx("--user needs CAP_SETUID and CAP_SETGID");
		return (-1);
	}
	last = cap_last();
	keep = CAPBIT(CAP_SYS_PTRACE) | CAPBIT(CAP_DAC_READ_SEARCH);
	if (ebpf) {
		if ((need = bpf_fd_ops_need_cap(eff, prm)) == -1) {
			cwarn("checking whether reading BPF maps needs CAP_BPF");
			return (-1);
		}
		if (need)
			keep |= last >= CAP_BPF ? CAPBIT(CAP_BPF) :
			    CAPBIT(CAP_SYS_ADMIN);
	}
	/* Only what we have: the service unit may have bounded it already. */
	keep &= prm;
	/*
	 * The bounding set, while CAP_SETPCAP is still effective.  Without
	 * it (a service already bounded) no_new_privs below is what keeps
	 * an exec from gaining anything.
	 */
	for (c = 0; c <= last && (eff & CAPBIT(CAP_SETPCAP)); c++) {
		if ((keep & CAPBIT(c)) == 0 &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1 &&
		    errno != EINVAL) {
			cwarn("dropping capability %d from the bounding set",
			    c);
			return (-1);
		}
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1) {
		cwarn("switching to user '%s'", pw->pw_name);
		return (-1);
	}
	if (caps_set(keep, keep) == -1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		cwarn("dropping capabilities");
		return (-1);
	}
	/* Trust, but check: no way back to what was left. */
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid ||
	    rg != pw->pw_gid || eg != pw->pw_gid || sg != pw->pw_gid ||
	    caps_get(&eff, &prm) == -1 || eff != keep || prm != keep ||
	    (pw->pw_uid != 0 && setresuid(0, 0, 0) != -1)) {
		cwarnx("switching to user '%s' left privileges behind",
		    pw->pw_name);
		return (-1);
	}
	return (0);
}
