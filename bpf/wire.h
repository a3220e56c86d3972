/*
 * wire.h - the only kernel <-> user ABI of quark.
 *
 * Every record the BPF programs put in the ring starts with struct
 * wire_hdr.  Fixed-width types only, explicit padding, sizes and the
 * offset of every member checked by static asserts, and implicit padding
 * an error (-Wpadded): both compilers check this file, clang for BPF
 * (bpf/quark.bpf.c) and the host's for user space (lib/decode.c), so the
 * two sides cannot disagree on a layout.  No size_t, bool, enum, long or
 * packed here.  The BPF side
 * builds each record in zeroed scratch memory and submits exactly hdr.len
 * bytes, so no stale ring bytes ever reach user space.
 *
 * Only lib/decode.c reads these structures on the user side.
 */
#ifndef QUARK_WIRE_H
#define QUARK_WIRE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Any implicit padding in the structures below is an error. */
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wpadded"

/* hdr.kind */
#define WIRE_FORK	1
#define WIRE_EXEC	2
#define WIRE_EXIT	3
#define WIRE_CRED	4	/* setuid family / setsid returned 0 */
#define WIRE_COMM	5	/* task_rename outside exec */
#define WIRE_KIND_COUNT	6

/* hdr.flags */
#define WIRE_F_THREAD	(1 << 0)	/* about a thread, not a thread group */

struct wire_hdr {
	__u16	kind;		/* WIRE_* */
	__u16	flags;		/* WIRE_F_* */
	__u32	len;		/* whole record, header included */
	__u64	time;		/* bpf_ktime_get_boot_ns() */
	__u32	pid;		/* tgid the record is about */
	__u32	tid;		/* thread the record is about */
	__u32	cpu;
	__u32	pad0;
};

/* wire_task.flags */
#define WIRE_TASK_KTHREAD	(1 << 0)
#define WIRE_TASK_NO_TTY	(1 << 1)	/* no controlling terminal */

/* wire_task.ns[] slots, same order as enum quark_ns */
#define WIRE_NS_PID	0
#define WIRE_NS_MNT	1
#define WIRE_NS_NET	2
#define WIRE_NS_UTS	3
#define WIRE_NS_IPC	4
#define WIRE_NS_USER	5
#define WIRE_NS_CGROUP	6
#define WIRE_NS_COUNT	7

/* wire_task.cap[] slots, same order as enum quark_cap */
#define WIRE_CAP_COUNT	5

/* The task context every record carries (of the task it is about). */
struct wire_task {
	__u64	start_boottime;	/* group leader's start_boottime, ns */
	__u64	cap[WIRE_CAP_COUNT];	/* inh prm eff bnd amb */
	__u32	ppid;		/* real_parent->tgid */
	__u32	pgid;
	__u32	sid;
	__u32	uid, gid, euid, egid, suid, sgid, fsuid, fsgid;
	__u32	loginuid;	/* (u32)-1 when unset or not compiled in */
	__u32	tty_major;
	__u32	tty_minor;
	__u32	ns[WIRE_NS_COUNT];	/* inode numbers, 0 when absent */
	__u32	flags;		/* WIRE_TASK_* */
	char	comm[16];
};

struct wire_fork {
	struct wire_hdr		hdr;	/* pid/tid: the child */
	struct wire_task	task;	/* the child */
	__u32			parent_pid;
	__u32			parent_tid;
};

/* wire_exec.trunc and wire_exec.flags */
#define WIRE_T_EXE	(1 << 0)
#define WIRE_T_ARGS	(1 << 1)
#define WIRE_T_CWD	(1 << 2)
#define WIRE_T_CGROUP	(1 << 3)
#define WIRE_T_ENV	(1 << 4)
#define WIRE_T_FILENAME	(1 << 5)	/* execve's path longer than kept */
#define WIRE_T_CGROUP_V1 (1 << 6)
#define WIRE_EXEC_EXE_DELETED	(1 << 0)	/* exe dentry unlinked */
#define WIRE_EXEC_ENV		(1 << 1)	/* env captured (maybe empty) */
#define WIRE_EXEC_CWD_DELETED	(1 << 2)	/* cwd dentry unlinked */

/*
 * Hard upper bounds of the argv and env captures (the BPF scratch buffer
 * is sized for them); the loader clamps attr->argv_cap and env_cap here.
 */
#define WIRE_ARGV_MAX	(256 * 1024)
#define WIRE_ENV_MAX	(128 * 1024)

/* Strings that follow struct wire_exec, in this order, each len[] bytes. */
#define WIRE_STR_FILENAME	0	/* as given to execve, NUL-terminated */
#define WIRE_STR_EXE		1	/* resolved exe path, NUL-terminated */
#define WIRE_STR_CWD		2	/* NUL-terminated */
#define WIRE_STR_CGROUP		3	/* unified hierarchy path, NUL-terminated */
#define WIRE_STR_ARGS		4	/* argv area as is: NUL-separated */
#define WIRE_STR_ENV		5	/* envp area as is, when captured */
/*
 * On a v1 or hybrid host: the path of the task's cgroup in one v1
 * controller's hierarchy (the first, in quark.bpf.c's order, where the
 * task is not at the root), NUL-terminated; 0 bytes when there is none.
 */
#define WIRE_STR_CGROUP_V1	6
#define WIRE_STR_COUNT		7

struct wire_exec {
	struct wire_hdr		hdr;
	struct wire_task	task;	/* after exec: new creds, comm */
	__u64			args_total;	/* arg_end - arg_start */
	__u64			env_total;	/* env_end - env_start */
	__u32			old_pid;	/* tid before exec (non-leader exec) */
	__u32			argc;		/* mm argc (bprm->argc) */
	__u32			envc;
	__u32			trunc;		/* WIRE_T_* */
	__u32			flags;		/* WIRE_EXEC_* */
	__u32			len[WIRE_STR_COUNT];	/* bytes of each string */
	/* char data[]: the strings, back to back, sum(len) bytes */
};

/* wire_exit.flags */
#define WIRE_EXIT_GROUP_DEAD	(1 << 0)	/* last thread of the group */

struct wire_exit {
	struct wire_hdr		hdr;
	struct wire_task	task;
	__u32			exit_code;	/* wait(2) status: code << 8 | sig | 0x80 core */
	__u32			flags;		/* WIRE_EXIT_* */
};

/* wire_cred.what */
#define WIRE_CRED_SETUID	1	/* setuid setreuid setresuid setfsuid */
#define WIRE_CRED_SETGID	2	/* setgid setregid setresgid setfsgid */
#define WIRE_CRED_SETSID	3

struct wire_cred {
	struct wire_hdr		hdr;
	struct wire_task	task;	/* after the change */
	__u32			what;	/* WIRE_CRED_* */
	__u32			pad0;
};

struct wire_comm {
	struct wire_hdr		hdr;
	struct wire_task	task;	/* task.comm is the old name */
	char			comm[16];	/* the new name */
};

#pragma GCC diagnostic pop

_Static_assert(sizeof(struct wire_hdr) == 32, "wire_hdr size");
_Static_assert(sizeof(struct wire_task) == 152, "wire_task size");
_Static_assert(sizeof(struct wire_fork) == 192, "wire_fork size");
_Static_assert(sizeof(struct wire_exec) == 248, "wire_exec size");
_Static_assert(sizeof(struct wire_exit) == 192, "wire_exit size");
_Static_assert(sizeof(struct wire_cred) == 192, "wire_cred size");
_Static_assert(sizeof(struct wire_comm) == 200, "wire_comm size");

#define WIRE_OFFSET(t, f, off) \
	_Static_assert(__builtin_offsetof(struct t, f) == (off), \
	    #t "." #f " offset")
WIRE_OFFSET(wire_hdr, kind, 0);
WIRE_OFFSET(wire_hdr, flags, 2);
WIRE_OFFSET(wire_hdr, len, 4);
WIRE_OFFSET(wire_hdr, time, 8);
WIRE_OFFSET(wire_hdr, pid, 16);
WIRE_OFFSET(wire_hdr, tid, 20);
WIRE_OFFSET(wire_hdr, cpu, 24);
WIRE_OFFSET(wire_hdr, pad0, 28);
WIRE_OFFSET(wire_task, start_boottime, 0);
WIRE_OFFSET(wire_task, cap, 8);
WIRE_OFFSET(wire_task, ppid, 48);
WIRE_OFFSET(wire_task, pgid, 52);
WIRE_OFFSET(wire_task, sid, 56);
WIRE_OFFSET(wire_task, uid, 60);
WIRE_OFFSET(wire_task, gid, 64);
WIRE_OFFSET(wire_task, euid, 68);
WIRE_OFFSET(wire_task, egid, 72);
WIRE_OFFSET(wire_task, suid, 76);
WIRE_OFFSET(wire_task, sgid, 80);
WIRE_OFFSET(wire_task, fsuid, 84);
WIRE_OFFSET(wire_task, fsgid, 88);
WIRE_OFFSET(wire_task, loginuid, 92);
WIRE_OFFSET(wire_task, tty_major, 96);
WIRE_OFFSET(wire_task, tty_minor, 100);
WIRE_OFFSET(wire_task, ns, 104);
WIRE_OFFSET(wire_task, flags, 132);
WIRE_OFFSET(wire_task, comm, 136);
WIRE_OFFSET(wire_fork, hdr, 0);
WIRE_OFFSET(wire_fork, task, 32);
WIRE_OFFSET(wire_fork, parent_pid, 184);
WIRE_OFFSET(wire_fork, parent_tid, 188);
WIRE_OFFSET(wire_exec, hdr, 0);
WIRE_OFFSET(wire_exec, task, 32);
WIRE_OFFSET(wire_exec, args_total, 184);
WIRE_OFFSET(wire_exec, env_total, 192);
WIRE_OFFSET(wire_exec, old_pid, 200);
WIRE_OFFSET(wire_exec, argc, 204);
WIRE_OFFSET(wire_exec, envc, 208);
WIRE_OFFSET(wire_exec, trunc, 212);
WIRE_OFFSET(wire_exec, flags, 216);
WIRE_OFFSET(wire_exec, len, 220);
WIRE_OFFSET(wire_exit, hdr, 0);
WIRE_OFFSET(wire_exit, task, 32);
WIRE_OFFSET(wire_exit, exit_code, 184);
WIRE_OFFSET(wire_exit, flags, 188);
WIRE_OFFSET(wire_cred, hdr, 0);
WIRE_OFFSET(wire_cred, task, 32);
WIRE_OFFSET(wire_cred, what, 184);
WIRE_OFFSET(wire_cred, pad0, 188);
WIRE_OFFSET(wire_comm, hdr, 0);
WIRE_OFFSET(wire_comm, task, 32);
WIRE_OFFSET(wire_comm, comm, 184);
#undef WIRE_OFFSET

/*
 * Counters in the "counters" map (BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, one
 * u64 each, added to atomically): user space maps it and reads them
 * without a system call.
 */
#define WIRE_CNT_LOST		0	/* ringbuf reserve/output failed */
#define WIRE_CNT_READ_FAIL	1	/* a probe read failed */
#define WIRE_CNT_COUNT		2

#endif /* QUARK_WIRE_H */
