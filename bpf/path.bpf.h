/*
 * path.bpf.h - bounded path walks: dentry chains (exe, cwd) and kernfs
 * chains (cgroup).
 *
 * A walk first collects the name pointers from the leaf up into a per-CPU
 * array (one slot per step, NULL where a step only crossed a mount), then
 * writes them root first straight into the record.  Both loops are
 * bounded: a path deeper than PATH_DEPTH components or longer than
 * PATH_BYTES - 1 bytes is written cut short and the caller flags it
 * truncated; it never fails.
 */
#ifndef QUARK_PATH_BPF_H
#define QUARK_PATH_BPF_H

#define PATH_DEPTH	64		/* components; a power of 2 */
#define PATH_BYTES	4096		/* PATH_MAX, NUL included */
#define NAME_BYTES	256		/* NAME_MAX + NUL */

struct walk {
	const char	*name[PATH_DEPTH];
	/*
	 * put_path()'s length so far.  Kept in map memory, not a register,
	 * on purpose: reloaded each iteration it is an unknown the verifier
	 * bounds with one check, so the states of every iteration are alike
	 * and get pruned (a register would carry a different range per
	 * path and the loop would blow the verifier's budget).
	 */
	__u32		len;
	/*
	 * Slots filled by the last walk, for the same reason: returned in
	 * a register it would be a different constant on each exit of the
	 * walk loop, and everything after would be verified once per value.
	 */
	__u32		n;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} walkbuf SEC(".maps");

/* container_of(vfsmnt, struct mount, mnt), relocatable. */
static __always_inline struct mount *
real_mount(struct vfsmount *vfsmnt)
{
	return ((struct mount *)((char *)vfsmnt -
	    bpf_core_field_offset(struct mount, mnt)));
}

/*
 * Collects the components of (dentry, vfsmnt) up to the global root,
 * crossing mounts, into w->name[0 .. w->n - 1]; *trunc = 1 when the bound
 * was hit before the root.
 */
static __noinline void
walk_dentry(struct walk *w, struct dentry *dentry, struct vfsmount *vfsmnt,
    __u32 *trunc)
{
	struct mount	*mnt, *mp;
	struct dentry	*parent, *mnt_root;
	__u32		 i;

	mnt = real_mount(vfsmnt);
	for (i = 0; i < PATH_DEPTH; i++) {
		w->name[i] = NULL;
		parent = BPF_CORE_READ(dentry, d_parent);
		mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
		if (dentry == mnt_root || dentry == parent) {
			if (dentry != mnt_root)
				goto done;	/* detached root */
			mp = BPF_CORE_READ(mnt, mnt_parent);
			if (mp == mnt || mp == NULL)
				goto done;	/* the global root */
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mp;
			continue;
		}
		w->name[i] = (const char *)BPF_CORE_READ(dentry, d_name.name);
		dentry = parent;
	}
	*trunc = 1;
done:
	w->n = i;
}

/* The unified-hierarchy path of a kernfs node, like walk_dentry(). */
static __noinline void
walk_kernfs(struct walk *w, struct kernfs_node *kn, __u32 *trunc)
{
	struct kernfs_node	*parent;
	__u32			 i;

	for (i = 0; i < PATH_DEPTH; i++) {
		w->name[i] = NULL;
		if (kn == NULL)
			goto done;
		if (bpf_core_field_exists(kn->__parent))
			parent = BPF_CORE_READ(kn, __parent);
		else
			parent = BPF_CORE_READ(
			    (struct kernfs_node___old *)kn, parent);
		if (parent == NULL)
			goto done;	/* the root's name is not in the path */
		w->name[i] = BPF_CORE_READ(kn, name);
		kn = parent;
	}
	*trunc = 1;
done:
	w->n = i;
}

/*
 * Writes the w->n collected components, root first, at buf (room for
 * PATH_BYTES + 2 * NAME_BYTES bytes): "/a/b\0".  Leaves the length, NUL
 * included (1 to PATH_BYTES), in w->len; see path_len().
 */
static __noinline void
put_path(char *buf, struct walk *w, __u32 *trunc)
{
	const char	*name;
	__u32		 i, len, n;
	long		 k;

	n = *(volatile __u32 *)&w->n;
	w->len = 0;
	/*
	 * Few branches on purpose: every branch that does not rejoin with
	 * the same registers multiplies what the verifier walks, per
	 * iteration.  A component that does not fit pins len at the last
	 * byte, so that nothing after it fits either.
	 */
	for (i = 0; i < PATH_DEPTH; i++) {
		if (i >= n)
			break;
		name = w->name[(n - 1 - i) & (PATH_DEPTH - 1)];
		if (name == NULL)
			continue;
		len = *(volatile __u32 *)&w->len & (PATH_BYTES - 1);
		buf[len] = '/';
		k = bpf_probe_read_kernel_str(buf + len + 1, NAME_BYTES, name);
		if (k < 1 || k > NAME_BYTES)
			k = 1;
		if (len + k > PATH_BYTES - 1) {
			w->len = PATH_BYTES - 1;
			*trunc = 1;
		} else
			w->len = len + k;
	}
	len = *(volatile __u32 *)&w->len & (PATH_BYTES - 1);
	if (len == 0)
		buf[len++] = '/';
	buf[len] = '\0';
	w->len = len + 1;
}

/*
 * The length put_path() left, as one range for the verifier whatever the
 * path taken inside (a returned register would fork the caller's state
 * once per exit of put_path).  The mask never changes the value.
 */
static __always_inline __u32
path_len(struct walk *w)
{
	return (*(volatile __u32 *)&w->len & (2 * PATH_BYTES - 1));
}

#endif /* QUARK_PATH_BPF_H */
