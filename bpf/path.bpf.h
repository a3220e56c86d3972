/*
 * path.bpf.h - bounded path walks: dentry chains (exe, cwd) and kernfs
 * chains (cgroup).
 *
 * exe and cwd: walk_path() builds the path from the leaf up, each name
 * put in front of the ones before it, as the kernel's d_path() does, in
 * a per-CPU buffer of PATH_MAX bytes: the whole path whatever its number
 * of components (up to 2048, all PATH_MAX can hold), and when longer, its
 * end, flagged truncated.  The loop lives in a global function,
 * walk_steps(), that the verifier checks once on its own (see there).
 *
 * cgroup: the names are collected from the leaf up into a per-CPU array
 * (PATH_DEPTH of them), then written root first into the record; a
 * deeper path is cut and flagged.  Nothing ever fails.
 */
#ifndef QUARK_PATH_BPF_H
#define QUARK_PATH_BPF_H

#define PATH_DEPTH	64		/* components; a power of 2 */
#define PATH_BYTES	4096		/* PATH_MAX, NUL included */
#define NAME_BYTES	256		/* NAME_MAX + NUL */
/*
 * Steps of walk_path(): one per component or mount crossed.  PATH_MAX
 * bytes hold at most 2048 components ("/a" each); the rest is room for
 * the mounts crossed on the way.
 */
#define WALK_STEPS	2304
#define WALK_CHUNK	256		/* steps per call of walk_steps() */

struct walk {
	/* walk_path()'s path, built from the end: buf[pos .. PATH_BYTES). */
	char		buf[PATH_BYTES];
	__u32		pos;
	__u32		done;		/* the walk reached its end */
	__u32		cut;		/* ... because the path did not fit */
	__u32		pad;
	__u64		dentry;		/* where the walk is: struct dentry * */
	__u64		mnt;		/* struct mount * */
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
 * One component in front of the path being built in w->buf: "/name".
 * 0, or -1 when it does not fit (nothing is written then).  pos is
 * reloaded from map memory and every offset masked, so that to the
 * verifier each iteration of the caller's loop looks the same; the
 * masks never change a value (pos < PATH_BYTES, a name <= NAME_MAX).
 */
static __always_inline int
prepend_name(struct walk *w, struct dentry *dentry)
{
	const unsigned char	*name;
	__u32			 pos, len, at;

	pos = *(volatile __u32 *)&w->pos & (PATH_BYTES - 1);
	len = BPF_CORE_READ(dentry, d_name.len);
	name = BPF_CORE_READ(dentry, d_name.name);
	if (len > NAME_BYTES - 1 || len + 1 > pos)
		return (-1);
	at = (pos - len) & (PATH_BYTES - 1);
	bpf_probe_read_kernel(&w->buf[at], len & (NAME_BYTES - 1), name);
	at = (at - 1) & (PATH_BYTES - 1);
	w->buf[at] = '/';
	w->pos = at;
	return (0);
}

/*
 * WALK_CHUNK steps of the walk that w->dentry and w->mnt are at.  A
 * global function (not static): the verifier checks it once, on its
 * own, whatever the number of calls, and its loop's branches do not add
 * up with the caller's (a 2304-step loop inline has more pending
 * branches than the verifier's 8192).  Hence no pointer argument and
 * the state in map memory.  Sets w->done at the end of the path; 0.
 */
__attribute__((noinline)) int
walk_steps(void)
{
	struct mount	*mnt, *mp;
	struct dentry	*dentry, *parent, *mnt_root;
	struct walk	*w;
	__u32		 i, zero = 0;

	if ((w = bpf_map_lookup_elem(&walkbuf, &zero)) == NULL)
		return (0);
	if (w->done)
		return (0);
	dentry = (struct dentry *)w->dentry;
	mnt = (struct mount *)w->mnt;
	for (i = 0; i < WALK_CHUNK; i++) {
		parent = BPF_CORE_READ(dentry, d_parent);
		mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
		if (dentry == mnt_root) {
			mp = BPF_CORE_READ(mnt, mnt_parent);
			if (mp == mnt || mp == NULL)
				goto done;	/* the root */
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mp;
			continue;
		}
		if (dentry == parent) {
			w->pos = PATH_BYTES - 1;	/* disconnected */
			goto done;
		}
		if (prepend_name(w, dentry) != 0) {
			w->cut = 1;
			goto done;
		}
		dentry = parent;
	}
	w->dentry = (__u64)dentry;
	w->mnt = (__u64)mnt;
	return (0);
done:
	w->done = 1;
	return (0);
}

/*
 * The path of (dentry, vfsmnt) as d_path(), hence /proc/PID/exe and
 * cwd, gives it to a reader at the global root, built from the leaf up
 * in w->buf[w->pos .. PATH_BYTES - 1], NUL included:
 *  - crossing mounts up to the root of the task's mount namespace (a
 *    container's paths are the container's), or to the root of a
 *    detached mount (umount -l) for a file on it;
 *  - a dentry whose filesystem names it (d_op->d_dname: memfd, and any
 *    file made by alloc_file_pseudo()) is "/" and its one name, as
 *    simple_dname() says, without the " (deleted)" it appends;
 *  - a dentry that is its own parent but not its mount's root (one
 *    disconnected from its tree) makes the path "/", as d_path() does.
 * Whatever the number of components, up to PATH_MAX bytes.  Longer, the
 * path kept is the end of it, and *trunc = 1.
 */
static __noinline void
walk_path(struct walk *w, struct dentry *dentry, struct vfsmount *vfsmnt,
    __u32 *trunc)
{
	const struct dentry_operations	*op;
	int				 i;

	w->pos = PATH_BYTES - 1;
	w->buf[PATH_BYTES - 1] = '\0';
	w->cut = 0;
	w->done = 0;
	w->dentry = (__u64)dentry;
	w->mnt = (__u64)real_mount(vfsmnt);
	op = BPF_CORE_READ(dentry, d_op);
	if (op != NULL && BPF_CORE_READ(op, d_dname) != NULL) {
		if (prepend_name(w, dentry) != 0)
			w->cut = 1;
		w->done = 1;
	}
	for (i = 0; i < WALK_STEPS / WALK_CHUNK; i++)
		walk_steps();
	if (!*(volatile __u32 *)&w->done || *(volatile __u32 *)&w->cut)
		*trunc = 1;
	if (*(volatile __u32 *)&w->pos == PATH_BYTES - 1) {
		w->buf[PATH_BYTES - 2] = '/';
		w->pos = PATH_BYTES - 2;
	}
}

/*
 * Copies the path walk_path() built to dst (room for PATH_BYTES bytes);
 * returns its length, NUL included (2 to PATH_BYTES), as one range for
 * the verifier.
 */
static __always_inline __u32
put_walk(char *dst, struct walk *w)
{
	__u32	pos, len;

	pos = *(volatile __u32 *)&w->pos & (PATH_BYTES - 1);
	len = PATH_BYTES - pos;
	if (len > PATH_BYTES || len < 1)
		return (0);
	if (bpf_probe_read_kernel(dst, len, &w->buf[pos]) != 0)
		return (0);
	return (len);
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
