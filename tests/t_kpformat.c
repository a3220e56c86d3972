/*
 * t_kpformat.c - the kprobe backend's samples as tracefs describes them
 * (lib/kpformat.c): `format` files, field names, bounded field and
 * string reads, and the path walks put back together (across mounts, a
 * pseudo file's name, never a cut path).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kpsample.h"

static void
test_format(void)
{
	struct kp_format	fmt;
	const char		*bad = "ID: 5\n\tfield:int x;\toffset:zz;\n";
	const char		*noid = "\tfield:int x;\toffset:8;\tsize:4;\n";
	const char		*arr = "ID: 7\n"
	    "\tfield:u64 x[];\toffset:16;\tsize:512;\tsigned:0;\n"
	    "\tfield:__data_loc char[] uid;\toffset:528;\tsize:4;\tsigned:1;\n";
	char			 name[32];

	T_CASE("format");
	T_EQ_INT(kp_format_parse(&fmt, arr, strlen(arr)), 0);
	T_EQ_INT(fmt.id, 7);
	T_EQ_INT(fmt.nfields, 2);
	T_EQ_INT(fmt.f[0].size, 512);
	T_EQ_INT(fmt.min_len, 532);
	T_EQ_INT(fmt.slot[F_UID], 1);
	T_EQ_INT(fmt.f[1].dataloc, 1);
	T_EQ_INT(fmt.slot[F_GID], -1);
	errno = 0;
	T_EQ_INT(kp_format_parse(&fmt, bad, strlen(bad)), -1);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(kp_format_parse(&fmt, noid, strlen(noid)), -1);
	T_EQ_STR(kp_field_name(F_XWALK + W_QN(0) + 2, name, sizeof(name)),
	    "xqn0_2");
	T_EQ_STR(kp_field_name(F_XWALK + W_Q(2) + 1, name, sizeof(name)),
	    "xq2_1");
	T_EQ_STR(kp_field_name(F_CWALK + W_PPAR(0), name, sizeof(name)),
	    "cppar0");
	T_EQ_STR(kp_field_name(F_CWALK + W_PMR(2), name, sizeof(name)),
	    "cpmr2");
	T_EQ_STR(kp_field_name(F_CWALK + W_DNAME, name, sizeof(name)),
	    "cdname");
	T_EQ_STR(kp_field_name(F_CDEL, name, sizeof(name)), "cdel");
	T_EQ_STR(kp_field_name(F_ARGV0 + 15, name, sizeof(name)), "a15");
	T_EQ_STR(kp_field_name(F_PIDNS0 + 3, name, sizeof(name)), "pidns3");
}

/* A string is read only inside the sample and ending in its NUL. */
static void
test_strings(void)
{
	static struct build	b;
	struct kp_format	fmt;
	struct kp_sample	s;
	uint32_t		loc, n;

	T_CASE("strings");
	b_init(&b, 9);
	b_fstr(&b, F_COMM, "abc");
	b_field(&b, F_UID, 4, 7);
	b_done(&b, &fmt, KP_FORK);
	sample(&s, &fmt, &b, 1, 1, 1);
	T_EQ_STR(kp_str(&s, F_COMM, &n), "abc");
	T_EQ_INT(n, 4);
	T_CHECK(kp_str(&s, F_UID, NULL) == NULL);	/* not a string */
	s.len = b.dyn - 1;				/* cut the NUL off */
	T_CHECK(kp_str(&s, F_COMM, NULL) == NULL);
	s.len = b.dyn;
	b.data[b.dyn - 1] = 'x';			/* no NUL */
	T_CHECK(kp_str(&s, F_COMM, NULL) == NULL);
	loc = (200U << 16) | 20;			/* past the end */
	memcpy(b.data + 16, &loc, 4);
	T_CHECK(kp_str(&s, F_COMM, NULL) == NULL);
	loc = 20;					/* a fault: empty */
	memcpy(b.data + 16, &loc, 4);
	T_CHECK(kp_str(&s, F_COMM, NULL) == NULL);
}

static char *
walk_sample(struct build *b)
{
	struct kp_format	fmt;
	struct kp_sample	s;

	b_done(b, &fmt, KP_CWD);
	sample(&s, &fmt, b, 1, 1, 1);
	return (kp_walk_path(&s, F_CWALK, MNT_OFF));
}

static char *
walk_of(const char *const *names, int n, const char *const *mnames, int m,
    int in_root, int root_parent)
{
	static struct build	b;

	b_init(&b, 3);
	b_walk(&b, F_CWALK, names, n, mnames, m, in_root, root_parent);
	return (walk_sample(&b));
}

static char *
walk_mounts_of(const char *const *names, int n, const struct crossing *x,
    int mounts, int root_parent)
{
	static struct build	b;

	b_init(&b, 3);
	b_walk_mounts(&b, F_CWALK, names, n, x, mounts, root_parent);
	return (walk_sample(&b));
}

/* A pseudo file (memfd): d_op->d_dname set, a dentry of its own. */
static char *
walk_pseudo_of(const char *name, int with_dname)
{
	static struct build	b;

	b_init(&b, 3);
	b_field(&b, F_CWALK + W_P, 8, 0x1000);
	b_fstr(&b, F_CWALK + W_N, name);
	b_field(&b, F_CWALK + W_P + 1, 8, 0x1000);	/* its own parent */
	/* 2: d_op NULL, so that the d_dname read faulted: stale bytes. */
	b_field(&b, F_CWALK + W_DOP, 8, with_dname == 2 ? 0 :
	    0xffffffff82345670ULL);
	if (with_dname)
		b_field(&b, F_CWALK + W_DNAME, 8, 0xffffffff81234560ULL);
	b_field(&b, F_CWALK + W_MR, 8, 0x3000);		/* shm_mnt's root */
	b_field(&b, F_CWALK + W_MNT, 8, 0x5000 + MNT_OFF);
	b_field(&b, F_CWALK + W_PAR, 8, 0x5000);
	return (walk_sample(&b));
}

/* /tmp, a tmpfs root without d_op: the d_dname read faulted. */
static char *
walk_dop_null_of(void)
{
	static struct build	b;
	const char *const	tmp[] = { "tmp" };
	const struct crossing	x[] = { { tmp, 1 }, { NULL, 0 } };

	b_init(&b, 3);
	b_walk_mounts(&b, F_CWALK, NULL, 0, x, 2, 1);
	return (walk_sample(&b));
}

static void
test_walk(void)
{
	const char *const	abc[] = { "c", "b", "a" };
	const char *const	home[] = { "home" };
	const char *const	tmp[] = { "tmp" };
	const char *const	deep[] = { "1", "2", "3", "4", "5", "6", "7",
	    "8", "9", "10", "11" };
	const char *const	slash[] = { "a/b" };
	const struct crossing	nullfs[] = { { tmp, 1 }, { NULL, 0 } };
	const struct crossing	three[] = { { abc, 3 }, { home, 1 },
	    { NULL, 0 } };
	const struct crossing	four[] = { { tmp, 1 }, { home, 1 },
	    { NULL, 0 }, { NULL, 0 } };
	char			*p;

	T_CASE("walk");
	T_EQ_STR(p = walk_of(abc, 3, NULL, 0, 1, 1), "/a/b/c");
	free(p);
	T_EQ_STR(p = walk_of(NULL, 0, NULL, 0, 1, 1), "/");
	free(p);
	/* /home is a mount on /: its names, then the mountpoint's. */
	T_EQ_STR(p = walk_of(abc, 3, home, 1, 0, 1), "/home/a/b/c");
	free(p);
	/* A parent mount whose own crossing the sample lacks: unknown. */
	T_CHECK(walk_of(abc, 3, home, 1, 0, 0) == NULL);
	/* Deeper than the fetch-args reach: unknown. */
	T_CHECK(walk_of(deep, 11, NULL, 0, 1, 1) == NULL);
	/* A name with a slash cannot be a component. */
	T_CHECK(walk_of(slash, 1, NULL, 0, 1, 1) == NULL);

	/*
	 * 7.0 on: the initramfs is a mount on nullfs, the namespace's
	 * root; /tmp, a tmpfs on it, is two mounts below the root.
	 */
	T_CASE("walk across mounts: tmpfs on the initramfs on nullfs");
	T_EQ_STR(p = walk_mounts_of(NULL, 0, nullfs, 2, 1), "/tmp");
	free(p);
	T_EQ_STR(p = walk_mounts_of(abc, 3, nullfs, 2, 1), "/tmp/a/b/c");
	free(p);
	T_CASE("walk across mounts: names in every mount crossed");
	T_EQ_STR(p = walk_mounts_of(tmp, 1, three, 3, 1),
	    "/home/a/b/c/tmp");
	free(p);
	T_CASE("walk across mounts: more than the walk reaches, unknown");
	T_CHECK(walk_mounts_of(tmp, 1, three, 3, 0) == NULL);
	T_CHECK(walk_mounts_of(tmp, 1, four, WALK_MOUNTS, 0) == NULL);

	/* memfd_create("x") + fexecve: /proc says /memfd:x (deleted). */
	T_CASE("walk of a pseudo file: / and its name");
	T_EQ_STR(p = walk_pseudo_of("memfd:x", 1), "/memfd:x");
	free(p);
	T_EQ_STR(p = walk_pseudo_of("memfd:a/b", 1), "/memfd:a/b");
	free(p);
	/* Without d_dname, its own parent but no mount's root: unknown. */
	T_CHECK(walk_pseudo_of("memfd:x", 0) == NULL);
	T_CHECK(walk_pseudo_of("memfd:x", 2) == NULL);
	/* No d_op (tmpfs): whatever the faulted d_dname read left. */
	T_CASE("walk of a dentry without d_op: its path");
	T_EQ_STR(p = walk_dop_null_of(), "/tmp");
	free(p);
}

/* A cgroup walk: names leaf first, the root after them, then NULL. */
static char *
cgroup_of(const char *const *names, int n, int depth)
{
	static struct build	b;
	struct kp_format	fmt;
	struct kp_sample	s;
	int			i;

	b_init(&b, 4);
	for (i = 0; i <= depth && i <= GWALK_DEPTH; i++) {
		b_field(&b, F_GWALK + G_P + i, 8, i <= n ? 0x9000 + i : 0);
		if (i < GWALK_DEPTH && i < n)
			b_fstr(&b, F_GWALK + G_N + i, names[i]);
	}
	b_done(&b, &fmt, KP_CWD);
	sample(&s, &fmt, &b, 1, 1, 1);
	return (kp_cgroup_path(&s));
}

static void
test_cgroup(void)
{
	const char *const	docker[] = { "docker-ab12.scope",
	    "system.slice" };
	const char *const	deep[] = { "1", "2", "3", "4", "5", "6", "7",
	    "8", "9" };
	char			*p;

	T_CASE("cgroup");
	T_EQ_STR(p = cgroup_of(docker, 2, GWALK_DEPTH),
	    "/system.slice/docker-ab12.scope");
	free(p);
	T_EQ_STR(p = cgroup_of(NULL, 0, GWALK_DEPTH), "/");
	free(p);
	/* 7 names, the root, and its NULL parent: the deepest known. */
	T_EQ_STR(p = cgroup_of(deep, 7, GWALK_DEPTH), "/7/6/5/4/3/2/1");
	free(p);
	/* Deeper than the walk: unknown, not cut short. */
	T_CHECK(cgroup_of(deep, 8, GWALK_DEPTH) == NULL);
	/* A level the kernel could not fetch: unknown. */
	T_CHECK(cgroup_of(docker, 2, 1) == NULL);
}

int
main(void)
{
	test_format();
	test_strings();
	test_walk();
	test_cgroup();
	return (t_done_named("t_kpformat"));
}
