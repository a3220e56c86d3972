/*
 * kpfetch.c - the kprobe backend's probes, pure: for each hook, the
 * kprobe_events line whose fetch-args read what quark needs at the
 * moment of the event, with offsets taken from the kernel's BTF (renames
 * handled by btfinfo.c), under the names kpformat.c reads them back by.
 * tracefs's limits shape it: a line under 4 KiB, a fetch-arg of at most
 * 63 bytes (the deep levels of a walk are left out), no loops (a walk is
 * one fetch-arg per level, see kprobe.h).  probe.c writes the same lines
 * to tell whether this backend can run (`quark btf`).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "kprobe.h"

#define GROUP		KP_GROUP
#define LINE_MAX_KP	4000	/* tracefs takes lines under 4096 bytes */
#define ARGSTR_MAX	63	/* and fetch-args of at most 63 bytes */

#if defined(__x86_64__)
#define ARG1	"%di"
#define ARG2	"%si"
#elif defined(__aarch64__)
#define ARG1	"%x0"
#define ARG2	"%x1"
#else
#error "kpfetch.c: unknown architecture (fetch-arg register names)"
#endif

/* Offsets from BTF ------------------------------------------------------- */

struct offs {
	const struct btf	*btf;
	int			 missing;	/* a required one was absent */
	char			 what[96];	/* the first missing */
};

/* Byte offset of type.member (a.b path), or -1 when absent. */
static long
off_of(struct offs *o, const char *type, const char *member, int required)
{
	struct btfinfo_want	w;
	struct btfinfo_found	f;

	memset(&w, 0, sizeof(w));
	w.kind = BTFINFO_FIELD;
	snprintf(w.type, sizeof(w.type), "%s", type);
	snprintf(w.member, sizeof(w.member), "%s", member);
	if (btfinfo_find(o->btf, &w, &f) == -1 || !f.present ||
	    f.bitfield != 0 || f.bit_offset % 8 != 0) {
		if (required && !o->missing) {
			o->missing = 1;
			snprintf(o->what, sizeof(o->what), "%s.%s", type,
			    member);
		}
		return (-1);
	}
	return ((long)(f.bit_offset / 8));
}

static long
size_of(struct offs *o, const char *type)
{
	struct btfinfo_want	w;
	struct btfinfo_found	f;

	memset(&w, 0, sizeof(w));
	w.kind = BTFINFO_TYPE;
	w.type_kind = BTF_KIND_STRUCT;
	snprintf(w.type, sizeof(w.type), "%s", type);
	if (btfinfo_find(o->btf, &w, &f) == -1 || !f.present)
		return (-1);
	return ((long)f.size);
}

static long
enum_of(struct offs *o, const char *type, const char *name, long dflt)
{
	struct btfinfo_want	w;
	struct btfinfo_found	f;

	memset(&w, 0, sizeof(w));
	w.kind = BTFINFO_ENUMVAL;
	w.type_kind = BTF_KIND_ENUM;
	snprintf(w.type, sizeof(w.type), "%s", type);
	snprintf(w.member, sizeof(w.member), "%s", name);
	if (btfinfo_find(o->btf, &w, &f) == -1 || !f.present)
		return (dflt);
	return ((long)f.value);
}

/* Probe lines ------------------------------------------------------------ */

struct line {
	char	s[LINE_MAX_KP + 64];
	size_t	len;
	int	over;
};

/* "+OFF(inner)" into out; OFF < 0 (absent) makes "" (the arg is left out). */
static void
deref(char *out, size_t n, long off, const char *inner)
{
	int	r;

	if (off == LONG_MIN || *inner == '\0') {
		*out = '\0';
		return;
	}
	r = snprintf(out, n, "%+ld(%s)", off, inner);
	if (r < 0 || (size_t)r >= n)
		*out = '\0';	/* too deep to write: left out */
}

#define X(e)	char e[512]

/* Adds fetch-arg fid: 1, or 0 when it is left out. */
static int
arg(struct line *l, int fid, const char *expr, const char *type)
{
	char	name[32];
	int	n;

	if (*expr == '\0')
		return (0);	/* a member this kernel lacks */
	/*
	 * tracefs takes at most MAX_ARGSTR_LEN (63) bytes of "expr:type":
	 * a longer one (a walk's deeper levels) is left out, and what it
	 * would feed stays unknown.
	 */
	if (strlen(expr) + 1 + strlen(type) > ARGSTR_MAX)
		return (0);
	kp_field_name(fid, name, sizeof(name));
	n = snprintf(l->s + l->len, sizeof(l->s) - l->len, " %s=%s:%s", name,
	    expr, type);
	if (n < 0 || l->len + n >= LINE_MAX_KP) {
		l->over = 1;
		return (0);
	}
	l->len += n;
	return (1);
}

/* An offset for deref(): LONG_MIN when absent. */
static long
O(struct offs *o, const char *type, const char *member)
{
	long	v = off_of(o, type, member, 0);

	return (v < 0 ? LONG_MIN : v);
}

/* Required: marks o->missing when absent. */
static long
R(struct offs *o, const char *type, const char *member)
{
	long	v = off_of(o, type, member, 1);

	return (v < 0 ? LONG_MIN : v);
}

/* Sum of two offsets, LONG_MIN when either is absent. */
static long
add(long a, long b)
{
	return (a == LONG_MIN || b == LONG_MIN ? LONG_MIN : a + b);
}

/* The task fields of task expression t (struct task_struct *). */
static void
task_args(struct line *l, struct offs *o, const char *t)
{
	static const struct { int fid; const char *m; } ids[] = {
		{ F_UID, "uid" }, { F_GID, "gid" }, { F_EUID, "euid" },
		{ F_EGID, "egid" }, { F_SUID, "suid" }, { F_SGID, "sgid" },
		{ F_FSUID, "fsuid" }, { F_FSGID, "fsgid" },
	};
	static const char *const caps[] = { "cap_inheritable",
	    "cap_permitted", "cap_effective", "cap_bset", "cap_ambient" };
	static const struct { int fid; const char *ptr, *type; } ns[] = {
		{ F_NSMNT, "mnt_ns", "mnt_namespace" },
		{ F_NSNET, "net_ns", "net" },
		{ F_NSUTS, "uts_ns", "uts_namespace" },
		{ F_NSIPC, "ipc_ns", "ipc_namespace" },
		{ F_NSCG, "cgroup_ns", "cgroup_namespace" },
	};
	X(e); X(c); X(s); X(a); X(b); X(tty);
	long	upid, pids, nr;
	size_t	i;

	deref(e, sizeof(e), R(o, "task_struct", "pid"), t);
	arg(l, F_PID, e, "s32");
	deref(e, sizeof(e), R(o, "task_struct", "tgid"), t);
	arg(l, F_TGID, e, "s32");
	deref(a, sizeof(a), R(o, "task_struct", "real_parent"), t);
	deref(e, sizeof(e), R(o, "task_struct", "tgid"), a);
	arg(l, F_PPID, e, "s32");
	deref(a, sizeof(a), R(o, "task_struct", "group_leader"), t);
	deref(e, sizeof(e), O(o, "task_struct", "start_boottime"), a);
	arg(l, F_START, e, "u64");
	deref(e, sizeof(e), O(o, "task_struct", "flags"), t);
	arg(l, F_PFLAGS, e, "u32");
	deref(e, sizeof(e), R(o, "task_struct", "comm"), t);
	arg(l, F_COMM, e, "string");
	deref(c, sizeof(c), R(o, "task_struct", "cred"), t);
	for (i = 0; i < nitems(ids); i++) {
		deref(e, sizeof(e), R(o, "cred", ids[i].m), c);
		arg(l, ids[i].fid, e, "u32");
	}
	for (i = 0; i < nitems(caps); i++) {
		deref(e, sizeof(e), O(o, "cred", caps[i]), c);
		arg(l, F_CAP0 + (int)i, e, "u64");
	}
	deref(a, sizeof(a), O(o, "cred", "user_ns"), c);
	deref(e, sizeof(e), O(o, "user_namespace", "ns.inum"), a);
	arg(l, F_USERNS, e, "u32");
	deref(e, sizeof(e), O(o, "task_struct", "loginuid"), t);
	arg(l, F_LOGINUID, e, "u32");
	/* signal->pids[PIDTYPE_PGID]->numbers[0].nr, and the SID's. */
	deref(s, sizeof(s), O(o, "task_struct", "signal"), t);
	pids = O(o, "signal_struct", "pids");
	nr = add(O(o, "pid", "numbers"), O(o, "upid", "nr"));
	deref(a, sizeof(a), add(pids, 8 * enum_of(o, "pid_type",
	    "PIDTYPE_PGID", 2)), s);
	deref(e, sizeof(e), nr, a);
	arg(l, F_PGID, e, "s32");
	deref(a, sizeof(a), add(pids, 8 * enum_of(o, "pid_type",
	    "PIDTYPE_SID", 3)), s);
	deref(e, sizeof(e), nr, a);
	arg(l, F_SID, e, "s32");
	deref(tty, sizeof(tty), O(o, "signal_struct", "tty"), s);
	arg(l, F_TTY, tty, "u64");
	deref(a, sizeof(a), O(o, "tty_struct", "driver"), tty);
	deref(e, sizeof(e), O(o, "tty_driver", "major"), a);
	arg(l, F_TTYMAJ, e, "s32");
	deref(e, sizeof(e), O(o, "tty_driver", "minor_start"), a);
	arg(l, F_TTYMIN, e, "s32");
	deref(e, sizeof(e), O(o, "tty_struct", "index"), tty);
	arg(l, F_TTYIDX, e, "s32");
	deref(b, sizeof(b), O(o, "task_struct", "nsproxy"), t);
	for (i = 0; i < nitems(ns); i++) {
		deref(a, sizeof(a), O(o, "nsproxy", ns[i].ptr), b);
		deref(e, sizeof(e), O(o, ns[i].type, "ns.inum"), a);
		arg(l, ns[i].fid, e, "u32");
	}
	/* task_active_pid_ns(): thread_pid->numbers[level].ns */
	deref(b, sizeof(b), O(o, "task_struct", "thread_pid"), t);
	deref(e, sizeof(e), O(o, "pid", "level"), b);
	arg(l, F_PIDLVL, e, "u32");
	if ((upid = size_of(o, "upid")) > 0) {
		for (i = 0; i < KP_PIDNS_LEVELS; i++) {
			deref(a, sizeof(a), add(add(O(o, "pid", "numbers"),
			    (long)i * upid), O(o, "upid", "ns")), b);
			deref(e, sizeof(e), O(o, "pid_namespace", "ns.inum"),
			    a);
			arg(l, F_PIDNS0 + (int)i, e, "u32");
		}
	}
}

/*
 * A d_parent chain from dentry expression d: the dentry after i parents
 * as field p + i (i <= depth), its name as n + i (i < depth).  A name left
 * out (too long for tracefs) ends the chain: the deeper dentries would
 * serve nothing.
 */
static void
chain_args(struct line *l, struct offs *o, int p, int n, int depth,
    const char *d)
{
	X(cur); X(tmp); X(e);
	long	parent = R(o, "dentry", "d_parent");
	long	name = R(o, "dentry", "d_name.name");
	int	i;

	snprintf(cur, sizeof(cur), "%s", d);
	for (i = 0; i <= depth; i++) {
		if (!arg(l, p + i, cur, "u64") || i == depth)
			return;
		deref(tmp, sizeof(tmp), name, cur);
		deref(e, sizeof(e), 0, tmp);
		if (!arg(l, n + i, e, "string"))
			return;
		deref(tmp, sizeof(tmp), parent, cur);
		snprintf(cur, sizeof(cur), "%s", tmp);
	}
}

/*
 * A path walk (kprobe.h) from dentry expression d in vfsmount expression
 * v: the chain in the leaf's mount, then for each mount crossed its
 * mountpoint's chain in its parent mount.  Mount k is expression m plus
 * bias: v - offsetof(struct mount, mnt) for the leaf's, then a mount
 * pointer as read.
 */
static void
walk_args(struct line *l, struct offs *o, int base, const char *d,
    const char *v)
{
	X(m); X(q); X(e); X(par); X(tmp);
	long	mnt = R(o, "mount", "mnt");
	long	mroot = R(o, "vfsmount", "mnt_root");
	long	mparent = R(o, "mount", "mnt_parent");
	long	mpoint = R(o, "mount", "mnt_mountpoint");
	long	bias = mnt == LONG_MIN ? LONG_MIN : -mnt;
	int	k;

	chain_args(l, o, base + W_P, base + W_N, WALK_DEPTH, d);
	deref(tmp, sizeof(tmp), O(o, "dentry", "d_op"), d);
	if (arg(l, base + W_DOP, tmp, "u64")) {
		deref(e, sizeof(e), O(o, "dentry_operations", "d_dname"), tmp);
		arg(l, base + W_DNAME, e, "u64");
	}
	deref(e, sizeof(e), mroot, v);
	arg(l, base + W_MR, e, "u64");
	arg(l, base + W_MNT, v, "u64");
	deref(par, sizeof(par), add(mparent, bias), v);
	arg(l, base + W_PAR, par, "u64");
	snprintf(m, sizeof(m), "%s", v);
	for (k = 0; k < WALK_MOUNTS; k++) {
		/* Mount k's mountpoint, in mount k + 1 (par). */
		deref(q, sizeof(q), add(mpoint, bias), m);
		chain_args(l, o, base + W_Q(k), base + W_QN(k), WALK_MDEPTH,
		    q);
		deref(e, sizeof(e), add(mnt, mroot), par);
		arg(l, base + W_PMR(k), e, "u64");
		deref(e, sizeof(e), mparent, par);
		arg(l, base + W_PPAR(k), e, "u64");
		snprintf(m, sizeof(m), "%s", par);
		snprintf(par, sizeof(par), "%s", e);
		bias = 0;
	}
}

/* task->cgroups->dfl_cgrp->kn, then its parents (cgroup v2). */
static void
cgroup_args(struct line *l, struct offs *o)
{
	X(p); X(e); X(tmp);
	long	parent = O(o, "kernfs_node", "parent");
	long	name = O(o, "kernfs_node", "name");
	int	i;

	deref(tmp, sizeof(tmp), O(o, "task_struct", "cgroups"), ARG1);
	deref(e, sizeof(e), O(o, "css_set", "dfl_cgrp"), tmp);
	deref(p, sizeof(p), O(o, "cgroup", "kn"), e);
	for (i = 0; i <= GWALK_DEPTH; i++) {
		arg(l, F_GWALK + G_P + i, p, "u64");
		if (i < GWALK_DEPTH) {
			deref(tmp, sizeof(tmp), name, p);
			deref(e, sizeof(e), 0, tmp);
			arg(l, F_GWALK + G_N + i, e, "string");
		}
		deref(tmp, sizeof(tmp), parent, p);
		snprintf(p, sizeof(p), "%s", tmp);
	}
}

/* The probe of kind k: "p:quark/NAME FUNC args..." into l. */
static const char *
probe_line(struct line *l, struct offs *o, int k, const char *name)
{
	X(a); X(b); X(e);
	const char	*func;
	int		 i, at;

	l->len = 0;
	l->over = 0;
	switch (k) {
	case KP_FORK:
		func = "wake_up_new_task";
		break;
	case KP_EXECB:
		func = "finalize_exec";
		break;
	case KP_EXIT:
		func = "taskstats_exit";
		break;
	case KP_CREDS:
		func = "commit_creds";
		break;
	default:
		func = "proc_exec_connector";
		break;
	}
	l->len = snprintf(l->s, sizeof(l->s), "p:%s/%s %s", GROUP, name, func);
	switch (k) {
	case KP_FORK:
		task_args(l, o, ARG1);
		break;
	case KP_EXIT:
		task_args(l, o, ARG1);
		deref(e, sizeof(e), R(o, "task_struct", "exit_code"), ARG1);
		arg(l, F_ECODE, e, "s32");
		deref(a, sizeof(a), R(o, "task_struct", "signal"), ARG1);
		deref(e, sizeof(e), R(o, "signal_struct", "flags"), a);
		arg(l, F_SFLAGS, e, "u32");
		deref(e, sizeof(e), R(o, "signal_struct", "group_exit_code"),
		    a);
		arg(l, F_GCODE, e, "s32");
		deref(a, sizeof(a), R(o, "task_struct", "group_leader"), ARG1);
		deref(e, sizeof(e), R(o, "task_struct", "exit_code"), a);
		arg(l, F_LCODE, e, "s32");
		arg(l, F_DEAD, ARG2, "u8");
		break;
	case KP_CREDS:
		for (i = F_UID; i <= F_FSGID; i++) {
			kp_field_name(i, b, sizeof(b));
			deref(e, sizeof(e), R(o, "cred", b), ARG1);
			arg(l, i, e, "u32");
		}
		for (i = 0; i < 5; i++) {
			static const char *const caps[] = { "cap_inheritable",
			    "cap_permitted", "cap_effective", "cap_bset",
			    "cap_ambient" };
			deref(e, sizeof(e), O(o, "cred", caps[i]), ARG1);
			arg(l, F_CAP0 + i, e, "u64");
		}
		break;
	case KP_EXECB:
		deref(a, sizeof(a), R(o, "linux_binprm", "filename"), ARG1);
		deref(e, sizeof(e), 0, a);
		arg(l, F_FILENAME, e, "string");
		deref(e, sizeof(e), R(o, "linux_binprm", "argc"), ARG1);
		arg(l, F_ARGC, e, "s32");
		deref(b, sizeof(b), R(o, "linux_binprm", "file"), ARG1);
		deref(a, sizeof(a), R(o, "file", "f_path.dentry"), b);
		deref(e, sizeof(e), O(o, "dentry", "d_hash.pprev"), a);
		arg(l, F_XDEL, e, "u64");
		deref(e, sizeof(e), R(o, "file", "f_path.mnt"), b);
		walk_args(l, o, F_XWALK, a, e);
		break;
	case KP_EXEC:
		task_args(l, o, ARG1);
		deref(a, sizeof(a), R(o, "task_struct", "mm"), ARG1);
		deref(e, sizeof(e), R(o, "mm_struct", "arg_start"), a);
		arg(l, F_ASTART, e, "u64");
		deref(e, sizeof(e), R(o, "mm_struct", "arg_end"), a);
		arg(l, F_AEND, e, "u64");
		cgroup_args(l, o);
		break;
	case KP_CWD:
		deref(b, sizeof(b), R(o, "task_struct", "fs"), ARG1);
		deref(a, sizeof(a), R(o, "fs_struct", "pwd.dentry"), b);
		deref(e, sizeof(e), O(o, "dentry", "d_hash.pprev"), a);
		arg(l, F_CDEL, e, "u64");
		deref(e, sizeof(e), R(o, "fs_struct", "pwd.mnt"), b);
		walk_args(l, o, F_CWALK, a, e);
		break;
	default:	/* argv: argv[at + i] through the pointers on the stack */
		at = (k - KP_ARGV0) * KP_ARGV_PER;
		deref(a, sizeof(a), R(o, "task_struct", "mm"), ARG1);
		deref(b, sizeof(b), R(o, "mm_struct", "start_stack"), a);
		for (i = 0; i < KP_ARGV_PER && *b != '\0'; i++) {
			snprintf(a, sizeof(a), "+u0(+u%d(%s))",
			    8 + 8 * (at + i), b);
			arg(l, F_ARGV0 + i, a, "ustring");
		}
		break;
	}
	return (func);
}


int
kp_probe_line(const struct btf *btf, int kind, const char *name, char *buf,
    size_t len, char *why, size_t whylen)
{
	struct offs	 o;
	struct line	*l;
	const char	*func;

	if ((l = malloc(sizeof(*l))) == NULL)
		return (-1);
	o.btf = btf;
	o.missing = 0;
	func = probe_line(l, &o, kind, name);
	if (o.missing || l->over || l->len + 2 > len) {
		snprintf(why, whylen, "%s: %s%s", func, o.missing ?
		    "no such member in the kernel's BTF: " : "probe too long",
		    o.missing ? o.what : "");
		free(l);
		errno = o.missing ? ENOENT : E2BIG;
		return (-1);
	}
	snprintf(buf, len, "%s\n", l->s);
	snprintf(why, whylen, "%s", func);
	free(l);
	return (0);
}

long
kp_btf_off(const struct btf *btf, const char *type, const char *member)
{
	struct offs	o;

	o.btf = btf;
	o.missing = 0;
	return (off_of(&o, type, member, 0));
}
