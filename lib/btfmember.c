/*
 * btfmember.c - the kernel members quark's BPF side reads, and where a
 * kernel's BTF puts them.
 *
 * The list has one source: the CO-RE relocations clang wrote into the
 * compiled BPF object (.BTF.ext), read back from the object the skeleton
 * embeds in this binary.  A member the BPF side starts reading is thus
 * reported without anyone editing this file.  To that we add a short
 * required list (members quark cannot work without), so the report stays
 * useful if the BPF side stops reading one by mistake, and so the CI
 * checks of well-known offsets never depend on the BPF code of the day.
 * Each reported member says which of the two it came from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>
#include <linux/btf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "quark_int.h"
#include "quark.skel.h"

#define MAX_DEPTH	32	/* typedef/modifier chains, nested members */
#define MAX_ACCESS	64	/* indices in one CO-RE access string */
#define MAX_RELOS	65536	/* more is a corrupt object */
#define MAX_VISITS	1024	/* types visited to find one member */

/* The optional-part-included .BTF.ext header (kernel btf.rst, "BTF.ext"). */
struct ext_hdr {
	uint16_t	magic;
	uint8_t		version;
	uint8_t		flags;
	uint32_t	hdr_len;
	uint32_t	func_info_off;
	uint32_t	func_info_len;
	uint32_t	line_info_off;
	uint32_t	line_info_len;
	uint32_t	core_relo_off;
	uint32_t	core_relo_len;
};

/*
 * Kernel renames: the first name is the one we report, the others are
 * what some kernels call it.  Order is the search order.
 */
static const struct {
	const char	*type;
	const char	*names[4];	/* NULL-terminated */
} aliases[] = {
	{ "task_struct",	{ "state", "__state" } },
	{ "task_struct",	{ "start_boottime", "real_start_time" } },
	{ "kernfs_node",	{ "parent", "__parent" } },
	{ "kernfs_node",	{ "name", "__name" } },
};

/* Members quark needs whatever the BPF object says (see top comment). */
static const struct {
	const char	*type;
	const char	*member;
} required[] = {
	{ "task_struct", "tgid" },	{ "task_struct", "pid" },
	{ "task_struct", "real_parent" }, { "task_struct", "comm" },
	{ "task_struct", "cred" },	{ "task_struct", "mm" },
	{ "task_struct", "fs" },	{ "task_struct", "nsproxy" },
	{ "task_struct", "signal" },	{ "task_struct", "cgroups" },
	{ "task_struct", "start_time" }, { "task_struct", "start_boottime" },
	{ "task_struct", "state" },	{ "task_struct", "exit_code" },
	{ "task_struct", "group_leader" }, { "task_struct", "thread_pid" },
	{ "cred", "uid" },	{ "cred", "gid" },	{ "cred", "euid" },
	{ "cred", "egid" },	{ "cred", "suid" },	{ "cred", "sgid" },
	{ "cred", "fsuid" },	{ "cred", "fsgid" },
	{ "cred", "cap_inheritable" },	{ "cred", "cap_permitted" },
	{ "cred", "cap_effective" },	{ "cred", "cap_bset" },
	{ "cred", "cap_ambient" },
	{ "mm_struct", "arg_start" },	{ "mm_struct", "arg_end" },
	{ "mm_struct", "env_start" },	{ "mm_struct", "env_end" },
	{ "mm_struct", "exe_file" },
	{ "fs_struct", "pwd" },		{ "fs_struct", "root" },
	{ "path", "dentry" },		{ "path", "mnt" },
	{ "dentry", "d_name" },		{ "dentry", "d_parent" },
	{ "qstr", "name" },		{ "qstr", "len" },
	{ "vfsmount", "mnt_root" },	{ "mount", "mnt" },
	{ "mount", "mnt_parent" },	{ "mount", "mnt_mountpoint" },
	{ "nsproxy", "uts_ns" },	{ "nsproxy", "ipc_ns" },
	{ "nsproxy", "mnt_ns" },	{ "nsproxy", "pid_ns_for_children" },
	{ "nsproxy", "net_ns" },	{ "nsproxy", "cgroup_ns" },
	{ "nsproxy", "time_ns" },	{ "ns_common", "inum" },
	{ "uts_namespace", "ns.inum" },	{ "ipc_namespace", "ns.inum" },
	{ "mnt_namespace", "ns.inum" },	{ "pid_namespace", "ns.inum" },
	{ "net", "ns.inum" },		{ "cgroup_namespace", "ns.inum" },
	{ "time_namespace", "ns.inum" },
	{ "css_set", "dfl_cgrp" },	{ "cgroup", "kn" },
	{ "kernfs_node", "name" },	{ "kernfs_node", "parent" },
	{ "signal_struct", "live" },	{ "signal_struct", "tty" },
	{ "signal_struct", "pids" },	{ "signal_struct", "group_exit_code" },
	{ "tty_struct", "name" },	{ "tty_struct", "index" },
	{ "tty_struct", "driver" },	{ "tty_driver", "major" },
	{ "tty_driver", "minor_start" },
	{ "linux_binprm", "filename" },	{ "linux_binprm", "argc" },
	{ "linux_binprm", "file" },
	{ "pid", "numbers" },		{ "upid", "nr" },
	{ "file", "f_path" },
};


struct wlist {
	struct btfinfo_want	*v;
	size_t			 n, cap;
};

static int
wlist_add(struct wlist *l, const struct btfinfo_want *w)
{
	struct btfinfo_want	*nv;
	size_t			 ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 64;
		if ((nv = reallocarray(l->v, ncap, sizeof(*nv))) == NULL)
			return (-1);
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = *w;
	return (0);
}

static int
want_cmp(const void *a, const void *b)
{
	const struct btfinfo_want	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->type, y->type)) != 0)
		return (c);
	if (x->kind != y->kind)
		return (x->kind < y->kind ? -1 : 1);
	return (strcmp(x->member, y->member));
}

/* Sort, then merge duplicates (their flags OR-ed). */
static void
wlist_uniq(struct wlist *l)
{
	size_t	i, o;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), want_cmp);
	for (i = 1, o = 0; i < l->n; i++) {
		if (want_cmp(&l->v[o], &l->v[i]) == 0)
			l->v[o].flags |= l->v[i].flags;
		else
			l->v[++o] = l->v[i];
	}
	l->n = o + 1;
}

static uint32_t
skip_mods(const struct btf *btf, uint32_t id)
{
	const struct btf_type	*t;
	int			 i;

	for (i = 0; i < MAX_DEPTH; i++) {
		if ((t = btf__type_by_id(btf, id)) == NULL)
			return (0);
		if (!btf_is_mod(t) && !btf_is_typedef(t))
			return (id);
		id = t->type;
	}
	return (0);
}

/* The name without libbpf's "___flavor" suffix; "" for anonymous. */
static void
type_name(const struct btf *btf, const struct btf_type *t, char *buf,
    size_t len)
{
	const char	*n = btf__name_by_offset(btf, t->name_off);
	const char	*f;

	if (n == NULL)
		n = "";
	f = strstr(n, "___");
	snprintf(buf, len, "%.*s", (int)(f ? (size_t)(f - n) : strlen(n)), n);
}

/* Names a member of `type` goes by; `name` itself when not renamed. */
static const char *const *
alias_of(const char *type, const char *name, const char *one[2])
{
	size_t	i, j;

	for (i = 0; i < nitems(aliases); i++) {
		if (strcmp(aliases[i].type, type) != 0)
			continue;
		for (j = 0; aliases[i].names[j] != NULL; j++)
			if (strcmp(aliases[i].names[j], name) == 0)
				return (aliases[i].names);
	}
	one[0] = name;
	one[1] = NULL;
	return (one);
}

static int
path_add(char *path, size_t len, const char *comp)
{
	size_t	n = strlen(path);
	int	r;

	r = snprintf(path + n, len - n, "%s%s", n ? "." : "", comp);
	return (r < 0 || (size_t)r >= len - n ? -1 : 0);
}

/* Parse "0:1:2" into idx[]; returns the count or -1. */
static int
access_parse(const char *s, uint32_t *idx, int max)
{
	unsigned long	v;
	char		*end;
	int		 n = 0;

	if (s == NULL || *s == '\0')
		return (-1);
	for (;;) {
		if (*s < '0' || *s > '9' || n == max)
			return (-1);
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || v > UINT32_MAX)
			return (-1);
		idx[n++] = (uint32_t)v;
		if (*end == '\0')
			return (n);
		if (*end != ':')
			return (-1);
		s = end + 1;
	}
}

/* A field access "0:i:j..." from root id -> "member.member" names. */
static int
field_path(const struct btf *btf, uint32_t id, const uint32_t *idx, int n,
    char *path, size_t len)
{
	const struct btf_type	*t;
	const struct btf_member	*m;
	const char		*name, *one[2];
	char			 cname[64];
	int			 i;

	path[0] = '\0';
	for (i = 1; i < n; i++) {
		if ((t = btf__type_by_id(btf, id)) == NULL)
			return (-1);
		if (btf_is_array(t)) {
			id = skip_mods(btf, btf_array(t)->type);
			continue;
		}
		if (!btf_is_composite(t) || idx[i] >= btf_vlen(t))
			return (-1);
		m = btf_members(t) + idx[i];
		name = btf__name_by_offset(btf, m->name_off);
		if (name != NULL && *name != '\0') {
			type_name(btf, t, cname, sizeof(cname));
			name = alias_of(cname, name, one)[0];
			if (path_add(path, len, name) == -1)
				return (-1);
		}
		id = skip_mods(btf, m->type);
	}
	return (path[0] == '\0' ? -1 : 0);
}

static int
relo_want(const struct btf *btf, const struct bpf_core_relo *r,
    struct btfinfo_want *w)
{
	const struct btf_type	*t;
	const struct btf_enum	*e;
	uint32_t		 idx[MAX_ACCESS], root = r->type_id;
	const char		*name;
	int			 n;

	memset(w, 0, sizeof(*w));
	w->flags = BTFINFO_F_BPF;
	n = access_parse(btf__str_by_offset(btf, r->access_str_off), idx,
	    MAX_ACCESS);
	if (n < 1)
		return (-1);
	switch (r->kind) {
	case BPF_CORE_FIELD_BYTE_OFFSET: case BPF_CORE_FIELD_BYTE_SIZE:
	case BPF_CORE_FIELD_EXISTS: case BPF_CORE_FIELD_SIGNED:
	case BPF_CORE_FIELD_LSHIFT_U64: case BPF_CORE_FIELD_RSHIFT_U64:
		w->kind = BTFINFO_FIELD;
		root = skip_mods(btf, root);
		if (field_path(btf, root, idx, n, w->member,
		    sizeof(w->member)) == -1)
			return (-1);
		break;
	case BPF_CORE_ENUMVAL_EXISTS: case BPF_CORE_ENUMVAL_VALUE:
		w->kind = BTFINFO_ENUMVAL;
		if ((t = btf__type_by_id(btf, root)) == NULL ||
		    !btf_is_any_enum(t) || idx[0] >= btf_vlen(t))
			return (-1);
		e = btf_is_enum(t) ? btf_enum(t) + idx[0] : NULL;
		name = btf__name_by_offset(btf, e ? e->name_off :
		    btf_enum64(t)[idx[0]].name_off);
		if (name == NULL)
			return (-1);
		snprintf(w->member, sizeof(w->member), "%s", name);
		break;
	default:	/* type based: TYPE_ID_*, TYPE_EXISTS/SIZE/MATCHES */
		w->kind = BTFINFO_TYPE;
		break;
	}
	if ((t = btf__type_by_id(btf, root)) == NULL)
		return (-1);
	w->type_kind = btf_kind(t);
	type_name(btf, t, w->type, sizeof(w->type));
	/* Local ids (e.g. for bpf_core_type_id_local) need no kernel type. */
	if (w->type[0] == '\0' || r->kind == BPF_CORE_TYPE_ID_LOCAL)
		return (1);
	return (0);
}

/* The core_relo part of .BTF.ext: every record, bounds-checked. */
static int
relos_walk(const struct btf *btf, const unsigned char *ext, size_t len,
    struct wlist *l, char *err, size_t errlen)
{
	struct ext_hdr		h;
	struct bpf_core_relo	r;
	struct btfinfo_want	w;
	const unsigned char	*p, *end;
	uint32_t		rec, nrec, i, total = 0;

	memset(&h, 0, sizeof(h));
	if (len < 8)
		goto bad;
	memcpy(&h, ext, len < sizeof(h) ? len : sizeof(h));
	if (h.magic != BTF_MAGIC || h.hdr_len < 8 || h.hdr_len > len)
		goto bad;
	if (h.hdr_len < sizeof(h) || h.core_relo_len == 0)
		return (0);	/* older clang: no CO-RE relocations */
	if (h.core_relo_off > len - h.hdr_len ||
	    h.core_relo_len > len - h.hdr_len - h.core_relo_off ||
	    h.core_relo_len < 4)
		goto bad;
	p = ext + h.hdr_len + h.core_relo_off;
	end = p + h.core_relo_len;
	memcpy(&rec, p, 4);
	p += 4;
	if (rec < sizeof(r) || rec > 1024)
		goto bad;
	while (p < end) {
		if (end - p < 8)
			goto bad;
		memcpy(&nrec, p + 4, 4);	/* after sec_name_off */
		p += 8;
		if (nrec > (size_t)(end - p) / rec ||
		    (total += nrec) > MAX_RELOS)
			goto bad;
		for (i = 0; i < nrec; i++, p += rec) {
			memcpy(&r, p, sizeof(r));
			switch (relo_want(btf, &r, &w)) {
			case -1:
				btfinfo_err(err, errlen, "CO-RE relocation %u "
				    "does not match the object's BTF", total);
				errno = EBADMSG;
				return (-1);
			case 0:
				if (wlist_add(l, &w) == -1)
					return (-1);
			}
		}
	}
	return (0);
bad:
	btfinfo_err(err, errlen, "corrupt .BTF.ext section");
	errno = EBADMSG;
	return (-1);
}

int
btfinfo_relocs(const void *elf, size_t len, struct btfinfo_want **out,
    size_t *n, char *err, size_t errlen)
{
	struct wlist	 l = { NULL, 0, 0 };
	struct btf	*btf = NULL;
	const void	*sec, *ext;
	size_t		 seclen, extlen;
	int		 r;

	*out = NULL;
	*n = 0;
	r = btfinfo_elf_section(elf, len, ".BTF.ext", &ext, &extlen);
	if (r == 0)
		return (0);	/* no BTF.ext, no relocations */
	if (r == -1 || btfinfo_elf_section(elf, len, ".BTF", &sec,
	    &seclen) != 1) {
		btfinfo_err(err, errlen, "not a BPF object with BTF");
		errno = EBADMSG;
		return (-1);
	}
	if ((btf = btfinfo_load_mem(sec, seclen, err, errlen)) == NULL)
		return (-1);
	if (relos_walk(btf, ext, extlen, &l, err, errlen) == -1)
		goto fail;
	btf__free(btf);
	wlist_uniq(&l);
	*out = l.v;
	*n = l.n;
	return (0);
fail:
	btf__free(btf);
	free(l.v);
	return (-1);
}

int
btfinfo_wanted(struct btfinfo_want **out, size_t *n, char *err,
    size_t errlen)
{
	struct wlist		 l;
	struct btfinfo_want	 w;
	const void		*obj;
	size_t			 objlen, i;

	obj = quark_bpf__elf_bytes(&objlen);
	if (btfinfo_relocs(obj, objlen, &l.v, &l.n, err, errlen) == -1)
		return (-1);
	l.cap = l.n;
	for (i = 0; i < nitems(required); i++) {
		memset(&w, 0, sizeof(w));
		w.kind = BTFINFO_FIELD;
		w.type_kind = BTF_KIND_STRUCT;
		w.flags = BTFINFO_F_REQUIRED;
		snprintf(w.type, sizeof(w.type), "%s", required[i].type);
		snprintf(w.member, sizeof(w.member), "%s", required[i].member);
		if (wlist_add(&l, &w) == -1) {
			free(l.v);
			return (-1);
		}
	}
	wlist_uniq(&l);
	*out = l.v;
	*n = l.n;
	return (0);
}

/*
 * Member `name` of composite `sid`, looking into anonymous struct/union
 * members too (mm_struct keeps its fields in one).  Adds its bit offset
 * to *bits; *holder and *idx name the member found.  *budget bounds the
 * types visited: a corrupt BTF can nest anonymous members in a cycle.
 */
static int
member_find(const struct btf *btf, uint32_t sid, const char *name,
    int *budget, uint32_t *bits, const struct btf_type **holder,
    uint16_t *idx)
{
	const struct btf_type	*t;
	const struct btf_member	*m;
	const char		*mn;
	uint32_t		 sub, off;
	uint16_t		 i, n;

	if (--*budget < 0 || (t = btf__type_by_id(btf, sid)) == NULL ||
	    !btf_is_composite(t))
		return (0);
	n = btf_vlen(t);
	for (i = 0, m = btf_members(t); i < n; i++, m++) {
		mn = btf__name_by_offset(btf, m->name_off);
		if (mn != NULL && strcmp(mn, name) == 0) {
			*bits += btf_member_bit_offset(t, i);
			*holder = t;
			*idx = i;
			return (1);
		}
	}
	for (i = 0, m = btf_members(t); i < n; i++, m++) {
		mn = btf__name_by_offset(btf, m->name_off);
		if (mn != NULL && *mn != '\0')
			continue;
		off = *bits + btf_member_bit_offset(t, i);
		sub = skip_mods(btf, m->type);
		if (member_find(btf, sub, name, budget, &off, holder, idx)) {
			*bits = off;
			return (1);
		}
	}
	return (0);
}

/* One path component, under any of its names. */
static const char *
component_find(const struct btf *btf, uint32_t sid, const char *comp,
    uint32_t *bits, const struct btf_type **holder, uint16_t *idx)
{
	const struct btf_type	*t = btf__type_by_id(btf, sid);
	const char *const	*names, *one[2];
	char			 tname[64];
	size_t			 i;
	int			 budget;

	if (t == NULL)
		return (NULL);
	type_name(btf, t, tname, sizeof(tname));
	names = alias_of(tname, comp, one);

	for (i = 0; names[i] != NULL; i++) {
		budget = MAX_VISITS;
		if (member_find(btf, sid, names[i], &budget, bits, holder, idx))
			return (names[i]);
	}
	return (NULL);
}

static int
field_find(const struct btf *btf, uint32_t sid, const char *path,
    struct btfinfo_found *f)
{
	const struct btf_type	*holder = NULL, *t;
	const char		*got;
	char			 buf[sizeof(((struct btfinfo_want *)0)->member)];
	char			*comp, *rest;
	uint32_t		 bits = 0, mtype = 0;
	uint16_t		 idx = 0;
	int			 sz;

	snprintf(buf, sizeof(buf), "%s", path);
	for (rest = buf; (comp = strsep(&rest, ".")) != NULL;) {
		if ((t = btf__type_by_id(btf, sid)) != NULL && btf_is_array(t))
			sid = skip_mods(btf, btf_array(t)->type);
		got = component_find(btf, sid, comp, &bits, &holder, &idx);
		if (got == NULL)
			return (0);
		if (path_add(f->matched, sizeof(f->matched), got) == -1)
			return (-1);
		mtype = btf_members(holder)[idx].type;
		sid = skip_mods(btf, mtype);
	}
	f->present = 1;
	f->bit_offset = bits;
	f->bitfield = btf_member_bitfield_size(holder, idx);
	sz = btf__resolve_size(btf, mtype);
	f->size = sz < 0 ? 0 : (uint32_t)sz;
	return (0);
}

static int32_t
type_find(const struct btf *btf, const char *name, int kind)
{
	int32_t	id;

	id = btf__find_by_name_kind(btf, name, kind);
	/* CO-RE treats ENUM and ENUM64, STRUCT and UNION's fwd alike. */
	if (id < 0 && kind == BTF_KIND_ENUM)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM64);
	else if (id < 0 && kind == BTF_KIND_ENUM64)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	return (id);
}

static void
enum_find(const struct btf *btf, int32_t id, const char *name,
    struct btfinfo_found *f)
{
	const struct btf_type	*t = btf__type_by_id(btf, id);
	const char		*n;
	uint16_t		 i;

	for (i = 0; t != NULL && i < btf_vlen(t); i++) {
		if (btf_is_enum(t)) {
			n = btf__name_by_offset(btf, btf_enum(t)[i].name_off);
			f->value = btf_kflag(t) ? btf_enum(t)[i].val :
			    (int64_t)(uint32_t)btf_enum(t)[i].val;
		} else {
			n = btf__name_by_offset(btf,
			    btf_enum64(t)[i].name_off);
			f->value = (int64_t)btf_enum64_value(btf_enum64(t) + i);
		}
		if (n != NULL && strcmp(n, name) == 0) {
			f->present = 1;
			snprintf(f->matched, sizeof(f->matched), "%s", n);
			return;
		}
	}
	f->value = 0;
}

int
btfinfo_find(const struct btf *btf, const struct btfinfo_want *w,
    struct btfinfo_found *f)
{
	int32_t	id;
	int	sz;

	memset(f, 0, sizeof(*f));
	switch (w->kind) {
	case BTFINFO_FIELD:
		id = btf__find_by_name_kind(btf, w->type, BTF_KIND_STRUCT);
		if (id < 0)
			id = btf__find_by_name_kind(btf, w->type,
			    BTF_KIND_UNION);
		if (id < 0)
			return (0);
		if (field_find(btf, (uint32_t)id, w->member, f) == -1) {
			memset(f, 0, sizeof(*f));
			errno = ENAMETOOLONG;
			return (-1);
		}
		if (!f->present)
			f->matched[0] = '\0';
		return (0);
	case BTFINFO_TYPE:
		if ((id = type_find(btf, w->type, w->type_kind)) < 0)
			return (0);
		f->present = 1;
		snprintf(f->matched, sizeof(f->matched), "%s", w->type);
		sz = btf__resolve_size(btf, (uint32_t)id);
		f->size = sz < 0 ? 0 : (uint32_t)sz;
		return (0);
	case BTFINFO_ENUMVAL:
		if ((id = type_find(btf, w->type, w->type_kind)) >= 0)
			enum_find(btf, id, w->member, f);
		return (0);
	}
	errno = EINVAL;
	return (-1);
}
