/*
 * kpsample.h - samples for the kprobe backend's unit tests (t_kpformat.c,
 * t_kpdecode.c), built the way the kernel lays them out: the common
 * fields, __probe_ip, the fetch-args in order, then the strings; with
 * the `format` text that describes them.
 */
#ifndef QUARK_TESTS_KPSAMPLE_H
#define QUARK_TESTS_KPSAMPLE_H

#include <stdio.h>
#include <string.h>

#include "kprobe.h"
#include "test.h"

#define MNT_OFF	32	/* offsetof(struct mount, mnt) in these tests */

/* A sample under construction: fields by name, with values. */
struct build {
	char		 fmt[16384];
	size_t		 flen;
	uint8_t		 data[8192];
	uint32_t	 fixed;		/* end of the fixed part */
	uint32_t	 dyn;		/* end of the strings */
	struct {
		uint32_t	 off;
		const char	*str;	/* NULL: not a string */
	} pend[256];
	int		 npend;
};

static inline void
b_init(struct build *b, int id)
{
	memset(b, 0, sizeof(*b));
	b->flen = snprintf(b->fmt, sizeof(b->fmt), "name: t\nID: %d\n"
	    "format:\n"
	    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	    "\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n",
	    id);
	memcpy(b->data, &(uint16_t){ (uint16_t)id }, 2);
	b->fixed = 16;
}

/* A numeric field of size bytes (1, 4 or 8). */
static inline void
b_num(struct build *b, const char *name, int size, uint64_t v)
{
	b->flen += snprintf(b->fmt + b->flen, sizeof(b->fmt) - b->flen,
	    "\tfield:u%d %s;\toffset:%u;\tsize:%d;\tsigned:0;\n", size * 8,
	    name, b->fixed, size);
	memcpy(b->data + b->fixed, &v, size);
	b->fixed += size;
}

static inline void
b_str(struct build *b, const char *name, const char *s)
{
	b->flen += snprintf(b->fmt + b->flen, sizeof(b->fmt) - b->flen,
	    "\tfield:__data_loc char[] %s;\toffset:%u;\tsize:4;\tsigned:1;\n",
	    name, b->fixed);
	b->pend[b->npend].off = b->fixed;
	b->pend[b->npend++].str = s;
	b->fixed += 4;
}

/* Lays out the strings after the fixed part; returns the sample length. */
static inline uint32_t
b_done(struct build *b, struct kp_format *fmt, int kind)
{
	uint32_t	loc, n;
	int		i;

	b->dyn = b->fixed;
	for (i = 0; i < b->npend; i++) {
		n = b->pend[i].str != NULL ? strlen(b->pend[i].str) + 1 : 0;
		loc = (n << 16) | b->dyn;
		memcpy(b->data + b->pend[i].off, &loc, 4);
		if (n > 0)
			memcpy(b->data + b->dyn, b->pend[i].str, n);
		b->dyn += n;
	}
	T_EQ_INT(kp_format_parse(fmt, b->fmt, b->flen), 0);
	fmt->kind = kind;
	return (b->dyn);
}

static inline void
sample(struct kp_sample *s, const struct kp_format *fmt,
    const struct build *b, uint64_t time, pid_t pid, pid_t tid)
{
	memset(s, 0, sizeof(*s));
	s->fmt = fmt;
	s->data = b->data;
	s->len = b->dyn;
	s->time = time;
	s->pid = pid;
	s->tid = tid;
}

static inline void
b_field(struct build *b, int fid, int size, uint64_t v)
{
	char	name[32];

	b_num(b, kp_field_name(fid, name, sizeof(name)), size, v);
}

static inline void
b_fstr(struct build *b, int fid, const char *s)
{
	char	name[32];

	b_str(b, kp_field_name(fid, name, sizeof(name)), s);
}

/* The task fields: pid/tgid, ppid, creds (uid = base), comm. */
static inline void
b_task(struct build *b, pid_t pid, pid_t tgid, uint32_t uid, const char *comm)
{
	int	i;

	b_field(b, F_PID, 4, pid);
	b_field(b, F_TGID, 4, tgid);
	b_field(b, F_PPID, 4, 1);
	b_field(b, F_START, 8, 5000000000ULL);
	b_field(b, F_PFLAGS, 4, 0);
	b_fstr(b, F_COMM, comm);
	for (i = F_UID; i <= F_FSGID; i++)
		b_field(b, i, 4, uid + (i - F_UID));
	for (i = F_CAP0; i <= F_CAP4; i++)
		b_field(b, i, 8, 0x1ff);
	b_field(b, F_PGID, 4, 10);
	b_field(b, F_SID, 4, 11);
	b_field(b, F_TTY, 8, 0xffff888000001000ULL);
	b_field(b, F_TTYMAJ, 4, 136);
	b_field(b, F_TTYMIN, 4, 0);
	b_field(b, F_TTYIDX, 4, 3);
	b_field(b, F_NSMNT, 4, 4026531841U);
	b_field(b, F_PIDLVL, 4, 1);
	b_field(b, F_PIDNS0, 4, 4026531836U);
	b_field(b, F_PIDNS0 + 1, 4, 4026532000U);
}

/* The names (leaf first) up one mount crossed, to its parent's root. */
struct crossing {
	const char *const	*names;
	int			 n;
};

/*
 * A walk (base F_XWALK or F_CWALK) for names[] (leaf first) in a mount
 * whose root is reached after n names; then across `mounts` mounts, up
 * x[k] in each parent.  The last parent is the namespace's root mount
 * (its own parent) when `root_parent`, else a mount below one more.
 */
static inline void
b_walk_mounts(struct build *b, int base, const char *const *names, int n,
    const struct crossing *x, int mounts, int root_parent)
{
	uint64_t	mnt = 0x5000 + MNT_OFF, self = 0x5000;
	int		i, k;

	for (i = 0; i <= n && i <= WALK_DEPTH; i++) {
		b_field(b, base + W_P + i, 8, 0x1000 + i);	/* root: n */
		if (i < n)
			b_fstr(b, base + W_N + i, names[i]);
	}
	/* No d_op; its d_dname read faulted and left stale bytes. */
	b_field(b, base + W_DOP, 8, 0);
	b_field(b, base + W_DNAME, 8, 0xffff888012345678ULL);
	b_field(b, base + W_MR, 8, 0x1000 + n);
	b_field(b, base + W_MNT, 8, mnt);
	/* Mount k is at 0x5000 + 0x1000 k; the last one is its own parent. */
	b_field(b, base + W_PAR, 8, mounts == 0 && root_parent ? self :
	    self + 0x1000);
	for (k = 0; k < mounts; k++) {
		for (i = 0; i <= x[k].n; i++) {
			b_field(b, base + W_Q(k) + i, 8,
			    0x20000 + 0x1000 * k + i);
			if (i < x[k].n)
				b_fstr(b, base + W_QN(k) + i, x[k].names[i]);
		}
		b_field(b, base + W_PMR(k), 8, 0x20000 + 0x1000 * k + x[k].n);
		b_field(b, base + W_PPAR(k), 8, self + 0x1000 * (k + 1) +
		    (k + 1 == mounts && root_parent ? 0 : 0x1000));
	}
}

/* One mount crossed at most: in the root mount, or one below it. */
static inline void
b_walk(struct build *b, int base, const char *const *names, int n,
    const char *const *mnames, int m, int in_root_mount, int root_parent)
{
	struct crossing	x = { mnames, m };

	b_walk_mounts(b, base, names, n, &x, in_root_mount ? 0 : 1,
	    root_parent);
}

#endif /* QUARK_TESTS_KPSAMPLE_H */
