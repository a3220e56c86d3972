/*
 * task.bpf.h - the task context every record carries (struct wire_task).
 *
 * Everything is read with CO-RE (BPF_CORE_READ and friends), so one object
 * works on every kernel from 5.10 on; members that moved or changed shape
 * across versions are handled here and nowhere else.
 */
#ifndef QUARK_TASK_BPF_H
#define QUARK_TASK_BPF_H

/* Kernel constants that are #defines, hence not in vmlinux.h. */
#define PF_KTHREAD		0x00200000	/* include/linux/sched.h */
#define SIGNAL_GROUP_EXIT	0x00000004	/* include/linux/sched/signal.h */

/* kernfs_node.parent became __parent in 6.15. */
struct kernfs_node___old {
	struct kernfs_node	*parent;
} __attribute__((preserve_access_index));

/*
 * The cgroup of the task in a v1 hierarchy, for container detection on
 * v1 and hybrid hosts, where a cgroupfs driver names a container only
 * there (memory:/docker/ID).  The first controller in this order that is
 * bound to a v1 hierarchy (not to the unified one) and where the task is
 * not at the root: runtimes put a container in every v1 controller, and
 * memory comes last because resource managers place tasks in it alone.
 * NULL when there is none (a v2 host).  Controllers this kernel lacks
 * are skipped (CO-RE enum checks).
 */
static __always_inline struct kernfs_node *
v1_kn(struct css_set *cs, struct cgroup_root *dfl, __u32 id)
{
	struct cgroup_subsys_state	*css = NULL;
	struct cgroup			*cg;
	__u32				 off;

	if (id >= 64)
		return (NULL);
	off = bpf_core_field_offset(struct css_set, subsys);
	if (bpf_probe_read_kernel(&css, sizeof(css),
	    (char *)cs + off + id * sizeof(css)) != 0 || css == NULL)
		return (NULL);
	cg = BPF_CORE_READ(css, cgroup);
	if (cg == NULL || BPF_CORE_READ(cg, root) == dfl ||
	    BPF_CORE_READ(cg, level) == 0)
		return (NULL);
	return (BPF_CORE_READ(cg, kn));
}

#define V1_TRY(name) do {						\
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, name) &&	\
	    (kn = v1_kn(cs, dfl,					\
	    bpf_core_enum_value(enum cgroup_subsys_id, name))) != NULL)	\
		return (kn);						\
} while (0)

static __always_inline struct kernfs_node *
v1_cgroup_kn(struct task_struct *p)
{
	struct css_set		*cs = BPF_CORE_READ(p, cgroups);
	struct cgroup_root	*dfl = BPF_CORE_READ(cs, dfl_cgrp, root);
	struct kernfs_node	*kn;

	V1_TRY(pids_cgrp_id);
	V1_TRY(cpu_cgrp_id);
	V1_TRY(cpuacct_cgrp_id);
	V1_TRY(devices_cgrp_id);
	V1_TRY(freezer_cgrp_id);
	V1_TRY(io_cgrp_id);
	V1_TRY(cpuset_cgrp_id);
	V1_TRY(net_cls_cgrp_id);
	V1_TRY(net_prio_cgrp_id);
	V1_TRY(perf_event_cgrp_id);
	V1_TRY(hugetlb_cgrp_id);
	V1_TRY(memory_cgrp_id);
	return (NULL);
}

/*
 * kernel_cap_t was { u32 cap[2]; } before 6.3 and { u64 val; } since: eight
 * little-endian bytes either way, so read them raw.
 */
static __always_inline __u64
read_cap(const kernel_cap_t *c)
{
	__u64	v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), c);
	return (v);
}

static __always_inline __u32
ns_inum(const struct ns_common *ns)
{
	return (BPF_CORE_READ(ns, inum));
}

/* The number of a struct pid in the initial pid namespace (numbers[0]). */
static __always_inline __u32
pid_nr0(struct pid *pid)
{
	if (pid == NULL)
		return (0);
	return (BPF_CORE_READ(pid, numbers[0].nr));
}

/* task_active_pid_ns(): pid->numbers[pid->level].ns */
static __always_inline __u32
pid_ns_inum(struct task_struct *task)
{
	struct pid		*pid;
	struct upid		*up;
	struct pid_namespace	*ns;
	unsigned int		 level;

	pid = BPF_CORE_READ(task, thread_pid);
	if (pid == NULL)
		return (0);
	level = BPF_CORE_READ(pid, level);
	if (level > 32)
		return (0);
	/*
	 * struct upid is { int nr; struct pid_namespace *ns; } on every
	 * kernel quark supports: its local size is right, and a type-size
	 * relocation would only add a record to `quark btf`.
	 */
	up = (struct upid *)((char *)pid +
	    bpf_core_field_offset(struct pid, numbers) +
	    level * sizeof(struct upid));
	ns = BPF_CORE_READ(up, ns);
	if (ns == NULL)
		return (0);
	return (BPF_CORE_READ(ns, ns.inum));
}

static __always_inline void
fill_creds(struct wire_task *t, const struct cred *cred)
{
	t->uid = BPF_CORE_READ(cred, uid.val);
	t->gid = BPF_CORE_READ(cred, gid.val);
	t->euid = BPF_CORE_READ(cred, euid.val);
	t->egid = BPF_CORE_READ(cred, egid.val);
	t->suid = BPF_CORE_READ(cred, suid.val);
	t->sgid = BPF_CORE_READ(cred, sgid.val);
	t->fsuid = BPF_CORE_READ(cred, fsuid.val);
	t->fsgid = BPF_CORE_READ(cred, fsgid.val);
	t->cap[0] = read_cap(__builtin_preserve_access_index(
	    &cred->cap_inheritable));
	t->cap[1] = read_cap(__builtin_preserve_access_index(
	    &cred->cap_permitted));
	t->cap[2] = read_cap(__builtin_preserve_access_index(
	    &cred->cap_effective));
	t->cap[3] = read_cap(__builtin_preserve_access_index(
	    &cred->cap_bset));
	t->cap[4] = read_cap(__builtin_preserve_access_index(
	    &cred->cap_ambient));
	t->ns[WIRE_NS_USER] = BPF_CORE_READ(cred, user_ns, ns.inum);
}

static __always_inline void
fill_signal(struct wire_task *t, struct signal_struct *sig)
{
	struct tty_struct	*tty;
	struct pid		*pg, *sess;
	int			 major, minor, index;

	/* enum pid_type has been PID TGID PGID SID since 4.19 */
	pg = BPF_CORE_READ(sig, pids[PIDTYPE_PGID]);
	sess = BPF_CORE_READ(sig, pids[PIDTYPE_SID]);
	t->pgid = pid_nr0(pg);
	t->sid = pid_nr0(sess);
	tty = BPF_CORE_READ(sig, tty);
	if (tty == NULL) {
		t->flags |= WIRE_TASK_NO_TTY;
		return;
	}
	major = BPF_CORE_READ(tty, driver, major);
	minor = BPF_CORE_READ(tty, driver, minor_start);
	index = BPF_CORE_READ(tty, index);
	t->tty_major = major;
	t->tty_minor = minor + index;
}

static __always_inline void
fill_ns(struct wire_task *t, struct task_struct *task)
{
	struct nsproxy	*nsp;

	t->ns[WIRE_NS_PID] = pid_ns_inum(task);
	nsp = BPF_CORE_READ(task, nsproxy);
	if (nsp == NULL)	/* exiting: exit_task_namespaces() ran */
		return;
	t->ns[WIRE_NS_MNT] = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	t->ns[WIRE_NS_NET] = BPF_CORE_READ(nsp, net_ns, ns.inum);
	t->ns[WIRE_NS_UTS] = BPF_CORE_READ(nsp, uts_ns, ns.inum);
	t->ns[WIRE_NS_IPC] = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	if (bpf_core_field_exists(nsp->cgroup_ns))
		t->ns[WIRE_NS_CGROUP] = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
}

/*
 * The context of `task` (a thread; the group's values where they are
 * per-process).  t must be zeroed.  A subprogram: called from every hook.
 */
static __noinline void
fill_task(struct wire_task *t, struct task_struct *task)
{
	struct task_struct	*leader;
	const struct cred	*cred;
	struct signal_struct	*sig;
	unsigned int		 pflags;

	if (task == NULL)
		return;
	leader = BPF_CORE_READ(task, group_leader);
	t->start_boottime = BPF_CORE_READ(leader, start_boottime);
	t->ppid = BPF_CORE_READ(task, real_parent, tgid);
	pflags = BPF_CORE_READ(task, flags);
	if (pflags & PF_KTHREAD)
		t->flags |= WIRE_TASK_KTHREAD;
	bpf_core_read_str(t->comm, sizeof(t->comm), &task->comm);
	cred = BPF_CORE_READ(task, cred);
	if (cred != NULL)
		fill_creds(t, cred);
	t->loginuid = (__u32)-1;
	if (bpf_core_field_exists(task->loginuid))
		t->loginuid = BPF_CORE_READ(task, loginuid.val);
	sig = BPF_CORE_READ(task, signal);
	if (sig != NULL)
		fill_signal(t, sig);
	fill_ns(t, task);
}

#endif /* QUARK_TASK_BPF_H */
