/*
 * quark.bpf.c - kernel side of quark: process lifecycle hooks -> ring.
 *
 * Hooks (all tracepoints, so they work where kprobes and fentry do not):
 *   tp_btf/sched_process_fork	fork (thread creation flagged WIRE_F_THREAD)
 *   tp_btf/sched_process_exec	exec, with the full context of the new image
 *   tp_btf/sched_process_exit	exit; the group's exit once, when it is dead
 *   tp_btf/task_rename		comm changes outside exec
 *   tracepoint/syscalls/sys_exit_set*	credential changes and setsid
 *
 * Why syscall tracepoints for credentials, not one raw_tp on sys_exit
 * filtering syscall numbers: a raw_tp/sys_exit program runs on every
 * syscall of every task (tens of ns each, millions of times a second on a
 * busy host), while the per-syscall tracepoints cost a bitmap test in the
 * kernel for the syscalls not asked for.  The price is tracefs, which the
 * loader mounts when absent, or else leaves these hooks off (ebpf.c).
 *
 * exec renames the task (begin_new_exec -> __set_task_comm) and fires
 * task_rename; task->in_execve is set across bprm_execve() on every kernel
 * quark supports, so quark_comm skips those.  A kernel without the bit
 * would report that rename as a comm change right before the exec record.
 *
 * Every record is built in zeroed memory (the stack for the small ones, a
 * per-CPU scratch value for exec) and handed to bpf_ringbuf_output() with
 * exactly hdr.len bytes: no unwritten byte ever reaches the ring.  Failed
 * outputs are counted in `counters` (WIRE_CNT_LOST).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "wire.h"
#include "task.bpf.h"
#include "path.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Upper bounds the verifier checks against; the caps below are <= these. */
#define ARGV_MAX	WIRE_ARGV_MAX
#define ENV_MAX		WIRE_ENV_MAX
/*
 * Bounds for the verifier: each of the first 4 strings is < 2 * PATH_BYTES;
 * the v1 cgroup path after argv and env is too.
 */
#define REC_STRINGS	(sizeof(struct wire_exec) + 8 * PATH_BYTES)
#define REC_AREAS	(REC_STRINGS + ARGV_MAX + ENV_MAX)
#define SCRATCH_BYTES	(REC_AREAS + 2 * PATH_BYTES + 2 * NAME_BYTES)

/* Set by the loader before load (frozen: the verifier sees constants). */
const volatile __u32	argv_cap = 32 * 1024;
const volatile __u32	env_cap = 32 * 1024;
const volatile __u8	want_env = 0;
const volatile __u8	want_threads = 0;
const volatile __u8	has_group_dead = 0;	/* exit tp has group_dead */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);	/* set by the loader */
} rb SEC(".maps");

/* Mapped by user space, which reads them without a system call. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, WIRE_CNT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct scratch {
	char	buf[SCRATCH_BYTES];
};

/* One value per possible CPU (max_entries set by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline void
count(__u32 what)
{
	__u64	*c;

	if ((c = bpf_map_lookup_elem(&counters, &what)) != NULL)
		__sync_fetch_and_add(c, 1);
}

static __always_inline void
emit(void *rec, __u64 len)
{
	if (bpf_ringbuf_output(&rb, rec, len, 0) != 0)
		count(WIRE_CNT_LOST);
}

static __always_inline void
fill_hdr(struct wire_hdr *h, __u16 kind, __u32 len, struct task_struct *task)
{
	h->kind = kind;
	h->len = len;
	h->time = bpf_ktime_get_boot_ns();
	h->pid = BPF_CORE_READ(task, tgid);
	h->tid = BPF_CORE_READ(task, pid);
	h->cpu = bpf_get_smp_processor_id();
}

SEC("tp_btf/sched_process_fork")
int
BPF_PROG(quark_fork, struct task_struct *parent, struct task_struct *child)
{
	struct wire_fork	r;

	__builtin_memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WIRE_FORK, sizeof(r), child);
	if (r.hdr.pid != r.hdr.tid) {
		if (!want_threads)
			return (0);
		r.hdr.flags |= WIRE_F_THREAD;
	}
	fill_task(&r.task, child);
	r.parent_pid = BPF_CORE_READ(parent, tgid);
	r.parent_tid = BPF_CORE_READ(parent, pid);
	emit(&r, sizeof(r));
	return (0);
}

/*
 * wait(2) status of the group, as wait_task_zombie() computes it: the
 * group exit code when the group was taken down (exit_group, fatal signal,
 * core dump), else the leader's own exit code.
 */
static __always_inline __u32
group_status(struct task_struct *p)
{
	struct signal_struct	*sig;
	unsigned int		 sflags;

	sig = BPF_CORE_READ(p, signal);
	sflags = BPF_CORE_READ(sig, flags);
	if (sflags & SIGNAL_GROUP_EXIT)
		return (BPF_CORE_READ(sig, group_exit_code));
	return (BPF_CORE_READ(p, group_leader, exit_code));
}

SEC("tp_btf/sched_process_exit")
int
BPF_PROG(quark_exit, struct task_struct *p)
{
	struct wire_exit	r;
	int			dead;

	/*
	 * group_dead is an argument since 6.x; before, signal->live has
	 * been decremented before the tracepoint, so 0 means the last one.
	 */
	if (has_group_dead)
		dead = (__u8)ctx[1];
	else
		dead = BPF_CORE_READ(p, signal, live.counter) == 0;
	if (!dead && !want_threads)
		return (0);
	__builtin_memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WIRE_EXIT, sizeof(r), p);
	fill_task(&r.task, p);
	if (dead) {
		r.flags |= WIRE_EXIT_GROUP_DEAD;
		r.exit_code = group_status(p);
	} else {
		r.hdr.flags |= WIRE_F_THREAD;
		r.exit_code = BPF_CORE_READ(p, exit_code);
	}
	emit(&r, sizeof(r));
	return (0);
}

SEC("tp_btf/task_rename")
int
BPF_PROG(quark_comm, struct task_struct *task, const char *comm)
{
	struct wire_comm	r;

	/* exec renames the task too; the exec record carries that name. */
	if (bpf_core_field_exists(task->in_execve) &&
	    BPF_CORE_READ_BITFIELD_PROBED(task, in_execve))
		return (0);
	__builtin_memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WIRE_COMM, sizeof(r), task);
	if (r.hdr.pid != r.hdr.tid)
		r.hdr.flags |= WIRE_F_THREAD;
	fill_task(&r.task, task);
	bpf_probe_read_kernel_str(r.comm, sizeof(r.comm), comm);
	emit(&r, sizeof(r));
	return (0);
}

static __always_inline int
emit_cred(__u32 what)
{
	struct task_struct	*task;
	struct wire_cred	 r;

	task = (struct task_struct *)bpf_get_current_task();
	__builtin_memset(&r, 0, sizeof(r));
	fill_hdr(&r.hdr, WIRE_CRED, sizeof(r), task);
	if (r.hdr.pid != r.hdr.tid)
		r.hdr.flags |= WIRE_F_THREAD;
	fill_task(&r.task, task);
	r.what = what;
	emit(&r, sizeof(r));
	return (0);
}

/* The set*id calls return 0 on success. */
#define CRED_EXIT(call, what)						\
SEC("tracepoint/syscalls/sys_exit_" #call)				\
int									\
quark_##call(struct trace_event_raw_sys_exit *ctx)			\
{									\
	if (ctx->ret != 0)						\
		return (0);						\
	return (emit_cred(what));					\
}

CRED_EXIT(setuid, WIRE_CRED_SETUID)
CRED_EXIT(setreuid, WIRE_CRED_SETUID)
CRED_EXIT(setresuid, WIRE_CRED_SETUID)
CRED_EXIT(setgid, WIRE_CRED_SETGID)
CRED_EXIT(setregid, WIRE_CRED_SETGID)
CRED_EXIT(setresgid, WIRE_CRED_SETGID)

/* setfs[ug]id return the previous id, never an error: report a change. */
SEC("tracepoint/syscalls/sys_exit_setfsuid")
int
quark_setfsuid(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct	*task;
	__u32			 now;

	task = (struct task_struct *)bpf_get_current_task();
	now = BPF_CORE_READ(task, cred, fsuid.val);
	if ((__u32)ctx->ret == now)
		return (0);
	return (emit_cred(WIRE_CRED_SETUID));
}

SEC("tracepoint/syscalls/sys_exit_setfsgid")
int
quark_setfsgid(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct	*task;
	__u32			 now;

	task = (struct task_struct *)bpf_get_current_task();
	now = BPF_CORE_READ(task, cred, fsgid.val);
	if ((__u32)ctx->ret == now)
		return (0);
	return (emit_cred(WIRE_CRED_SETGID));
}

/* setsid returns the new session id. */
SEC("tracepoint/syscalls/sys_exit_setsid")
int
quark_setsid(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret <= 0)
		return (0);
	return (emit_cred(WIRE_CRED_SETSID));
}

/* Copies up to cap bytes of a user area; returns bytes held. */
static __always_inline __u32
put_user_area(char *dst, __u64 start, __u64 end, __u32 cap, __u32 max,
    __u32 tflag, struct wire_exec *e)
{
	__u64	len;

	if (end <= start)
		return (0);
	len = end - start;
	if (len > cap) {
		len = cap;
		e->trunc |= tflag;
	}
	if (len > max)
		len = max;
	if (bpf_probe_read_user(dst, len, (void *)start) != 0) {
		count(WIRE_CNT_READ_FAIL);
		e->trunc |= tflag;
		return (0);
	}
	return (len);
}

/*
 * Where string `slot` starts: after the header and the strings before it.
 * The lengths are reloaded from the record (map memory) and masked, so
 * that to the verifier `off` is one range whatever path each string took;
 * a length kept in a register would fork the state at every string and
 * each fork would re-walk the path loops.  The masks never change a
 * value: path lengths are <= PATH_BYTES.
 */
static __always_inline __u32
str_off(struct wire_exec *e, int slot)
{
	__u32	off = sizeof(*e);
	int	i;

	for (i = 0; i < slot && i <= WIRE_STR_CGROUP; i++)
		off += *(volatile __u32 *)&e->len[i] & (2 * PATH_BYTES - 1);
	return (off);
}

/* The path walk_path() just built, into slot. */
static __always_inline void
put_walked(char *rec, struct wire_exec *e, struct walk *w, int slot,
    __u32 tflag, __u32 t)
{
	e->len[slot] = put_walk(rec + str_off(e, slot), w);
	if (t)
		e->trunc |= tflag;
}

/*
 * Unlinked, as d_unlinked() says (what makes /proc append " (deleted)"):
 * unhashed, and not a root (a filesystem's root dentry is never hashed).
 */
static __always_inline int
unlinked(struct dentry *d)
{
	return (BPF_CORE_READ(d, d_hash.pprev) == NULL &&
	    BPF_CORE_READ(d, d_parent) != d);
}

/* The exe, cwd and cgroup paths, back to back after the filename. */
static __always_inline void
put_paths(char *rec, struct wire_exec *e, struct task_struct *p,
    struct linux_binprm *bprm)
{
	struct walk	*w;
	struct dentry	*d;
	__u32		 zero = 0, t;

	if ((w = bpf_map_lookup_elem(&walkbuf, &zero)) == NULL)
		return;
	/*
	 * The exe: bprm->file is what mm->exe_file is set to.  Deleted
	 * when unhashed, roots included: a memfd is its own root, and
	 * /proc says "(deleted)" of it too.
	 */
	t = 0;
	d = BPF_CORE_READ(bprm, file, f_path.dentry);
	walk_path(w, d, BPF_CORE_READ(bprm, file, f_path.mnt), &t);
	if (BPF_CORE_READ(d, d_hash.pprev) == NULL)
		e->flags |= WIRE_EXEC_EXE_DELETED;
	put_walked(rec, e, w, WIRE_STR_EXE, WIRE_T_EXE, t);
	t = 0;
	d = BPF_CORE_READ(p, fs, pwd.dentry);
	walk_path(w, d, BPF_CORE_READ(p, fs, pwd.mnt), &t);
	if (unlinked(d))
		e->flags |= WIRE_EXEC_CWD_DELETED;
	put_walked(rec, e, w, WIRE_STR_CWD, WIRE_T_CWD, t);
	t = 0;
	walk_kernfs(w, BPF_CORE_READ(p, cgroups, dfl_cgrp, kn), &t);
	put_path(rec + str_off(e, WIRE_STR_CGROUP), w, &t);
	e->len[WIRE_STR_CGROUP] = path_len(w);
	if (t)
		e->trunc |= WIRE_T_CGROUP;
}

/* The v1 cgroup path at rec + off, if any (see v1_cgroup_kn()): its bytes. */
static __always_inline __u32
put_cgroup_v1(char *rec, __u32 off, struct wire_exec *e,
    struct task_struct *p)
{
	struct kernfs_node	*kn;
	struct walk		*w;
	__u32			 zero = 0, t = 0;

	if ((kn = v1_cgroup_kn(p)) == NULL || off > REC_AREAS ||
	    (w = bpf_map_lookup_elem(&walkbuf, &zero)) == NULL)
		return (0);
	walk_kernfs(w, kn, &t);
	put_path(rec + off, w, &t);
	e->len[WIRE_STR_CGROUP_V1] = path_len(w);
	if (t)
		e->trunc |= WIRE_T_CGROUP_V1;
	return (e->len[WIRE_STR_CGROUP_V1]);
}

SEC("tp_btf/sched_process_exec")
int
BPF_PROG(quark_exec, struct task_struct *p, pid_t old_pid,
    struct linux_binprm *bprm)
{
	struct wire_exec	*e;
	struct mm_struct	*mm;
	const char		*fname;
	char			*rec, c;
	__u32			 cpu, off, len;
	long			 n;

	cpu = bpf_get_smp_processor_id();
	if ((rec = bpf_map_lookup_elem(&scratch, &cpu)) == NULL) {
		count(WIRE_CNT_LOST);
		return (0);
	}
	e = (struct wire_exec *)rec;
	__builtin_memset(e, 0, sizeof(*e));
	fill_task(&e->task, p);
	e->old_pid = old_pid;
	e->argc = BPF_CORE_READ(bprm, argc);
	e->envc = BPF_CORE_READ(bprm, envc);
	fname = BPF_CORE_READ(bprm, filename);
	n = bpf_probe_read_kernel_str(rec + sizeof(*e), PATH_BYTES, fname);
	e->len[WIRE_STR_FILENAME] = n > 0 && n <= PATH_BYTES ? n : 0;
	/*
	 * Cut if a byte follows the PATH_BYTES - 1 kept (execveat's
	 * "/dev/fd/N/" + a relative path can be longer than PATH_MAX).
	 */
	if (n == PATH_BYTES && bpf_probe_read_kernel(&c, 1,
	    fname + PATH_BYTES - 1) == 0 && c != '\0')
		e->trunc |= WIRE_T_FILENAME;
	put_paths(rec, e, p, bprm);
	off = str_off(e, WIRE_STR_ARGS);
	mm = BPF_CORE_READ(p, mm);
	e->args_total = BPF_CORE_READ(mm, arg_end) - BPF_CORE_READ(mm, arg_start);
	len = put_user_area(rec + off, BPF_CORE_READ(mm, arg_start),
	    BPF_CORE_READ(mm, arg_end), argv_cap, ARGV_MAX, WIRE_T_ARGS, e);
	e->len[WIRE_STR_ARGS] = len;
	off += len;
	if (want_env) {
		e->flags |= WIRE_EXEC_ENV;
		e->env_total = BPF_CORE_READ(mm, env_end) -
		    BPF_CORE_READ(mm, env_start);
		if (off > REC_STRINGS + ARGV_MAX)
			return (0);
		len = put_user_area(rec + off, BPF_CORE_READ(mm, env_start),
		    BPF_CORE_READ(mm, env_end), env_cap, ENV_MAX, WIRE_T_ENV, e);
		e->len[WIRE_STR_ENV] = len;
		off += len;
	}
	off += put_cgroup_v1(rec, off, e, p);
	fill_hdr(&e->hdr, WIRE_EXEC, off, p);
	if (off > SCRATCH_BYTES)
		return (0);
	emit(rec, off);
	return (0);
}
