/*
 * nobpf PROGRAM [ARG...] - run PROGRAM with bpf(2) failing with EPERM, as
 * container runtimes' default seccomp profiles and systemd's
 * SystemCallFilter make it: install a seccomp filter that returns EPERM
 * for bpf(2) and allows everything else, then exec PROGRAM.  Used to
 * check that `quark watch` falls back from eBPF to kprobes.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <sys/prctl.h>
#include <sys/syscall.h>

#include <err.h>
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NOBPF_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NOBPF_ARCH	AUDIT_ARCH_AARCH64
#else
#error "nobpf: unknown architecture"
#endif

int
main(int argc, char **argv)
{
	struct sock_filter	filter[] = {
		/* Another architecture's calls: leave them alone. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NOBPF_ARCH, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog	prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (argc < 2)
		errx(2, "usage: nobpf PROGRAM [ARG...]");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		err(1, "prctl PR_SET_NO_NEW_PRIVS");
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == -1)
		err(1, "prctl PR_SET_SECCOMP");
	execvp(argv[1], argv + 1);
	err(127, "%s", argv[1]);
}
