/*
 * kpformat.c - the tracefs side of the kprobe backend, pure: each
 * probe's definition (fetch-args with offsets from BTF), the names quark
 * gives its fetch-args, a `format` file's parser, bounded field and string
 * reads, and the path walks (kprobe.h, WALK_DEPTH).
 * Pure: tests/t_kpdecode.c drives it with made-up formats and samples.
 *
 * Nothing in a sample is trusted: a field is read only when the format
 * puts it inside the sample, a __data_loc string only when it lies inside
 * the sample and ends in its NUL.
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
#error "kpformat.c: unknown architecture (fetch-arg register names)"
#endif

static const char *const task_names[] = {
	[F_PID] = "pid", [F_TGID] = "tgid", [F_PPID] = "ppid",
	[F_START] = "start", [F_PFLAGS] = "pflags", [F_COMM] = "comm",
	[F_UID] = "uid", [F_GID] = "gid", [F_EUID] = "euid",
	[F_EGID] = "egid", [F_SUID] = "suid", [F_SGID] = "sgid",
	[F_FSUID] = "fsuid", [F_FSGID] = "fsgid",
	[F_CAP0] = "cap0", [F_CAP1] = "cap1", [F_CAP2] = "cap2",
	[F_CAP3] = "cap3", [F_CAP4] = "cap4", [F_USERNS] = "userns",
	[F_LOGINUID] = "loginuid", [F_PGID] = "pgid", [F_SID] = "sid",
	[F_TTY] = "tty", [F_TTYMAJ] = "ttymaj", [F_TTYMIN] = "ttymin",
	[F_TTYIDX] = "ttyidx", [F_NSMNT] = "nsmnt", [F_NSNET] = "nsnet",
	[F_NSUTS] = "nsuts", [F_NSIPC] = "nsipc", [F_NSCG] = "nscg",
	[F_PIDLVL] = "pidlvl",
	[F_ECODE] = "ecode", [F_SFLAGS] = "sflags", [F_GCODE] = "gcode",
	[F_LCODE] = "lcode", [F_DEAD] = "dead", [F_FILENAME] = "filename",
	[F_ARGC] = "argc", [F_XDEL] = "xdel", [F_CDEL] = "cdel",
	[F_ASTART] = "astart",
	[F_AEND] = "aend", [F_OLDPID] = "old_pid", [F_RET] = "ret",
};

static const char *const walk_names[W_X] = {
	[W_MR] = "mr", [W_MNT] = "mnt", [W_PAR] = "par", [W_DOP] = "dop",
	[W_DNAME] = "dname",
};

/* The name of field w of walk c ('x' or 'c'): "cp3", "xqn1_2", "cppar0". */
static void
walk_name(char *buf, size_t len, int c, int w)
{
	int	k, j;

	if (w < W_N)
		snprintf(buf, len, "%cp%d", c, w - W_P);
	else if (w < W_MR)
		snprintf(buf, len, "%cn%d", c, w - W_N);
	else if (w < W_X)
		snprintf(buf, len, "%c%s", c, walk_names[w]);
	else {
		k = (w - W_X) / W_XLEN;
		j = (w - W_X) % W_XLEN;
		if (j <= WALK_MDEPTH)
			snprintf(buf, len, "%cq%d_%d", c, k, j);
		else if (j < W_PMR(0) - W_X)
			snprintf(buf, len, "%cqn%d_%d", c, k, j - WALK_MDEPTH - 1);
		else if (j == W_PMR(0) - W_X)
			snprintf(buf, len, "%cpmr%d", c, k);
		else
			snprintf(buf, len, "%cppar%d", c, k);
	}
}

const char *
kp_field_name(int fid, char *buf, size_t len)
{
	if (fid >= F_PIDNS0 && fid < F_PIDNS0 + KP_PIDNS_LEVELS)
		snprintf(buf, len, "pidns%d", fid - F_PIDNS0);
	else if (fid >= F_ARGV0 && fid < F_ARGV0 + KP_ARGV_PER)
		snprintf(buf, len, "a%d", fid - F_ARGV0);
	else if (fid >= F_GWALK && fid < F_GWALK + G_N)
		snprintf(buf, len, "gp%d", fid - F_GWALK);
	else if (fid >= F_GWALK + G_N && fid < F_GWALK + G_COUNT)
		snprintf(buf, len, "gn%d", fid - F_GWALK - G_N);
	else if (fid >= F_XWALK && fid < F_CWALK)
		walk_name(buf, len, 'x', fid - F_XWALK);
	else if (fid >= F_CWALK && fid < F_CWALK + W_COUNT)
		walk_name(buf, len, 'c', fid - F_CWALK);
	else if (fid >= 0 && fid < (int)nitems(task_names) &&
	    task_names[fid] != NULL)
		snprintf(buf, len, "%s", task_names[fid]);
	else
		snprintf(buf, len, "?");
	return (buf);
}

/* "field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;" */
static int
field_parse(const char *line, size_t n, char *name, size_t namelen,
    struct kp_field *f)
{
	char		 buf[256], *semi, *sp, *br;
	unsigned	 off, size;
	const char	*p;

	if (n >= sizeof(buf))
		return (-1);
	memcpy(buf, line, n);
	buf[n] = '\0';
	if ((semi = strchr(buf, ';')) == NULL)
		return (-1);
	*semi = '\0';
	if ((p = strstr(semi + 1, "offset:")) == NULL ||
	    sscanf(p, "offset:%u;", &off) != 1 ||
	    (p = strstr(semi + 1, "size:")) == NULL ||
	    sscanf(p, "size:%u;", &size) != 1 || off > 0xffff || size > 0xffff)
		return (-1);
	if ((sp = strrchr(buf, ' ')) == NULL)
		return (-1);
	if ((br = strchr(sp, '[')) != NULL)
		*br = '\0';
	if (strlen(sp + 1) == 0 || strlen(sp + 1) >= namelen)
		return (-1);
	strcpy(name, sp + 1);
	f->off = off;
	f->size = size;
	f->dataloc = strstr(buf, "__data_loc") != NULL;
	if (f->dataloc && size != 4)
		return (-1);
	return (0);
}

int
kp_format_parse(struct kp_format *fmt, const char *text, size_t len)
{
	char		 (*names)[32], name[32];
	const char	*line, *end = text + len, *nl, *p;
	unsigned	 id;
	int		 have_id = 0, i, fid;
	size_t		 n;

	if ((names = calloc(nitems(fmt->f), sizeof(*names))) == NULL)
		return (-1);
	fmt->nfields = 0;
	fmt->min_len = 0;
	for (line = text; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', end - line)) == NULL)
			nl = end;
		n = nl - line;
		if (n > 3 && memcmp(line, "ID:", 3) == 0) {
			if (sscanf(line, "ID: %u", &id) != 1 || id > 0xffff)
				goto bad;
			fmt->id = id;
			have_id = 1;
			continue;
		}
		for (p = line; p < nl && (*p == ' ' || *p == '\t'); p++)
			;
		if (nl - p < 6 || memcmp(p, "field:", 6) != 0)
			continue;
		if (fmt->nfields == (int)nitems(fmt->f))
			goto bad;
		if (field_parse(p + 6, nl - p - 6, names[fmt->nfields],
		    sizeof(names[0]), &fmt->f[fmt->nfields]) == -1)
			goto bad;
		if (fmt->f[fmt->nfields].off + fmt->f[fmt->nfields].size >
		    fmt->min_len)
			fmt->min_len = fmt->f[fmt->nfields].off +
			    fmt->f[fmt->nfields].size;
		fmt->nfields++;
	}
	if (!have_id)
		goto bad;
	for (fid = 0; fid < F_COUNT; fid++) {
		fmt->slot[fid] = -1;
		kp_field_name(fid, name, sizeof(name));
		for (i = 0; i < fmt->nfields; i++)
			if (strcmp(names[i], name) == 0) {
				fmt->slot[fid] = i;
				break;
			}
	}
	free(names);
	return (0);
bad:
	free(names);
	errno = EINVAL;
	return (-1);
}

int
kp_u64(const struct kp_sample *s, int fid, uint64_t *v)
{
	const struct kp_field	*f;
	const uint8_t		*p;
	uint32_t		 u32;
	uint16_t		 u16;

	if (fid < 0 || fid >= F_COUNT || s->fmt->slot[fid] < 0)
		return (0);
	f = &s->fmt->f[s->fmt->slot[fid]];
	if (f->dataloc || (uint32_t)f->off + f->size > s->len)
		return (0);
	p = s->data + f->off;
	switch (f->size) {
	case 1:
		*v = *p;
		break;
	case 2:
		memcpy(&u16, p, 2);
		*v = u16;
		break;
	case 4:
		memcpy(&u32, p, 4);
		*v = u32;
		break;
	case 8:
		memcpy(v, p, 8);
		break;
	default:
		return (0);
	}
	return (1);
}

const char *
kp_str(const struct kp_sample *s, int fid, uint32_t *len)
{
	const struct kp_field	*f;
	uint32_t		 loc, off, n;

	if (fid < 0 || fid >= F_COUNT || s->fmt->slot[fid] < 0)
		return (NULL);
	f = &s->fmt->f[s->fmt->slot[fid]];
	if (!f->dataloc || (uint32_t)f->off + 4 > s->len)
		return (NULL);
	memcpy(&loc, s->data + f->off, 4);
	off = loc & 0xffff;
	n = loc >> 16;
	if (n == 0 || off + n > s->len || s->data[off + n - 1] != '\0')
		return (NULL);
	if (len != NULL)
		*len = n;
	return ((const char *)s->data + off);
}

int
kp_all(const struct kp_sample *s, int first, int n, uint64_t *v)
{
	int	i;

	for (i = 0; i < n; i++)
		if (!kp_u64(s, first + i, &v[i]))
			return (0);
	return (1);
}

/* One path component, leaf first, for kp_walk_path(). */
struct comp {
	const char	*name;
	uint32_t	 len;	/* with the NUL */
};

static int
walk_push(const struct kp_sample *s, int fid, struct comp *c, int *n)
{
	if ((c[*n].name = kp_str(s, fid, &c[*n].len)) == NULL ||
	    c[*n].len < 2 || memchr(c[*n].name, '/', c[*n].len - 1) != NULL)
		return (-1);
	(*n)++;
	return (0);
}

static char	*comps_path(const struct comp *, int);

/*
 * The path of a walk (kprobe.h), as d_path() gives it from the root of
 * the mount namespace, or NULL when the walk did not reach that root.
 */
char *
kp_walk_path(const struct kp_sample *s, int base, uint32_t mnt_off)
{
	struct comp	 c[WALK_DEPTH + WALK_MOUNTS * WALK_MDEPTH];
	uint64_t	 cur, next, mr, mnt, par, mount, root, v;
	int		 n = 0, i, k;

	if (!kp_u64(s, base + W_P, &cur) || cur == 0)
		return (NULL);
	/*
	 * A file its filesystem names (d_op->d_dname: memfd, any file of
	 * alloc_file_pseudo()): "/" and its one name, as simple_dname()
	 * says, without the " (deleted)" it appends.  The name is the
	 * filesystem's, not a directory entry: a '/' in it is no separator.
	 */
	if (kp_u64(s, base + W_DOP, &v) && v != 0 &&
	    kp_u64(s, base + W_DNAME, &v) && v != 0) {
		if ((c[0].name = kp_str(s, base + W_N, &c[0].len)) == NULL ||
		    c[0].len < 2)
			return (NULL);
		return (comps_path(c, 1));
	}
	if (!kp_u64(s, base + W_MR, &mr) || !kp_u64(s, base + W_MNT, &mnt) ||
	    !kp_u64(s, base + W_PAR, &par))
		return (NULL);
	for (i = 0; cur != mr; i++) {
		if (i == WALK_DEPTH || cur == 0 ||
		    !kp_u64(s, base + W_P + i + 1, &next))
			return (NULL);
		if (next == cur)	/* a root that is no mount's: detached */
			return (NULL);
		if (walk_push(s, base + W_N + i, c, &n) == -1)
			return (NULL);
		cur = next;
	}
	/*
	 * At a mount's root: on to its mountpoint in its parent mount, up
	 * to the namespace's root mount, or a detached mount's root (umount
	 * -l): a mount that is its own parent.
	 */
	mount = mnt - mnt_off;
	for (k = 0; par != mount; k++) {
		if (k == WALK_MOUNTS || par == 0 ||
		    !kp_u64(s, base + W_PMR(k), &root) ||
		    !kp_u64(s, base + W_Q(k), &cur))
			return (NULL);
		for (i = 0; cur != root; i++) {
			if (i == WALK_MDEPTH || cur == 0 ||
			    !kp_u64(s, base + W_Q(k) + i + 1, &next) ||
			    next == cur)
				return (NULL);
			if (walk_push(s, base + W_QN(k) + i, c, &n) == -1)
				return (NULL);
			cur = next;
		}
		mount = par;
		if (!kp_u64(s, base + W_PPAR(k), &par))
			return (NULL);
	}
	return (comps_path(c, n));
}

/* "/" + the names of c[n - 1] .. c[0]; "/" for none. */
static char *
comps_path(const struct comp *c, int n)
{
	char	*path;
	size_t	 len = 0, at;
	int	 i;

	for (i = 0; i < n; i++)
		len += c[i].len;	/* "/" + name for each */
	if ((path = malloc(len + 2)) == NULL)
		return (NULL);
	at = 0;
	for (i = n - 1; i >= 0; i--) {
		path[at++] = '/';
		memcpy(path + at, c[i].name, c[i].len - 1);
		at += c[i].len - 1;
	}
	if (at == 0)
		path[at++] = '/';
	path[at] = '\0';
	return (path);
}

char *
kp_cgroup_path(const struct kp_sample *s)
{
	struct comp	c[GWALK_DEPTH];
	uint64_t	cur, next;
	int		n = 0, i;

	if (!kp_u64(s, F_GWALK + G_P, &cur) || cur == 0)
		return (NULL);
	for (i = 0; i < GWALK_DEPTH; i++) {
		if (!kp_u64(s, F_GWALK + G_P + i + 1, &next))
			return (NULL);
		if (next == 0)		/* cur is the root: done */
			return (comps_path(c, n));
		if (walk_push(s, F_GWALK + G_N + i, c, &n) == -1)
			return (NULL);
		cur = next;
	}
	return (NULL);		/* deeper than the fetch-args reach */
}


/* Probe definitions: offsets from BTF --------------------------------- */

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
