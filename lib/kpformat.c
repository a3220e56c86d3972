/*
 * kpformat.c - the kprobe backend's samples as tracefs describes them,
 * pure: the names quark gives its fetch-args (kpfetch.c writes them, the
 * `format` file gives them back), a `format` file's parser, bounded field
 * and string reads, and the path walks (kprobe.h, WALK_DEPTH) put back
 * together.  tests/t_kpdecode.c drives it with made-up formats and
 * samples.
 *
 * Nothing in a sample is trusted: a field is read only when the format
 * puts it inside the sample, a __data_loc string only when it lies inside
 * the sample and ends in its NUL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kprobe.h"

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
