/*
 * t_procfs.c - the /proc parsers on odd inputs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quark_int.h"
#include "test.h"

#include <bsd/string.h>

#define TAIL	" 1 2 3 4 0 0 0 0 0 0 0 0 0 0 20 0 7 0 1234 0 0"

/* A stat line: ppid 1 pgrp 2 sid 3 tty 4 (tty_nr 4 = 0:4), 7 threads. */
static const struct stat_case {
	const char	*name;
	const char	*line;
	size_t		 len;		/* 0: strlen(line) */
	int		 ok;
	pid_t		 pid;
	const char	*comm;
	size_t		 comm_len;	/* 0: strlen(comm) */
	char		 state;
} stat_cases[] = {
	{ "plain", "42 (bash) S" TAIL, 0, 1, 42, "bash", 0, 'S' },
	{ "spaces", "42 (a b c) R" TAIL, 0, 1, 42, "a b c", 0, 'R' },
	{ "parens", "42 ((x)) S" TAIL, 0, 1, 42, "(x)", 0, 'S' },
	{ "close-open", "42 (a) (b) S" TAIL, 0, 1, 42, "a) (b", 0, 'S' },
	{ "only-paren", "42 ()) Z" TAIL, 0, 1, 42, ")", 0, 'Z' },
	{ "empty-comm", "42 () S" TAIL, 0, 1, 42, "", 0, 'S' },
	{ "newline", "42 (a\nb) S" TAIL "\n", 0, 1, 42, "a\nb", 0, 'S' },
	{ "fake-fields", "42 (x) S 9 9 9) S" TAIL, 0, 1, 42,
	  "x) S 9 9 9", 0, 'S' },
	{ "long-comm", "7 (0123456789abcdefXYZ) S" TAIL, 0, 1, 7,
	  "0123456789abcde", 0, 'S' },
	{ "binary", "7 (\x01\xff\x7f) D" TAIL, 0, 1, 7, "\x01\xff\x7f", 0,
	  'D' },
	{ "nul-in-comm", "7 (a\0b) S" TAIL, sizeof("7 (a\0b) S" TAIL) - 1, 1,
	  7, "a\0b", 3, 'S' },
	{ "empty", "", 0, 0, 0, NULL, 0, 0 },
	{ "no-paren", "42 bash S" TAIL, 0, 0, 0, NULL, 0, 0 },
	{ "no-close", "42 (bash S" TAIL, 0, 0, 0, NULL, 0, 0 },
	{ "short", "42 (bash) S 1 2 3", 0, 0, 0, NULL, 0, 0 },
	{ "truncated-in-comm", "42 (ba", 0, 0, 0, NULL, 0, 0 },
	{ "pid-zero", "0 (x) S" TAIL, 0, 0, 0, NULL, 0, 0 },
	{ "pid-junk", "4x2 (x) S" TAIL, 0, 0, 0, NULL, 0, 0 },
	{ "field-junk", "42 (x) S 1 2 3 4 0 0 0 0 0 0 0 0 0 0 20 0 z 0 1 0",
	  0, 0, 0, NULL, 0, 0 },
	{ "huge-number", "42 (x) S 1 2 3 4 0 0 0 0 0 0 0 0 0 0 20 0 7 0 "
	  "99999999999999999999999 0", 0, 0, 0, NULL, 0, 0 },
};

static void
test_stat_table(void)
{
	const struct stat_case	*c;
	struct quark_process	 p;
	size_t			 i, len, clen;
	int			 r;

	for (i = 0; i < nitems(stat_cases); i++) {
		c = &stat_cases[i];
		T_CASE(c->name);
		memset(&p, 0, sizeof(p));
		len = c->len ? c->len : strlen(c->line);
		r = procfs_parse_stat(c->line, len, &p);
		T_EQ_INT(r, c->ok ? 0 : -1);
		if (!c->ok) {
			T_EQ_INT(errno, EINVAL);
			T_EQ_INT(p.known, 0);
			continue;
		}
		clen = c->comm_len ? c->comm_len : strlen(c->comm);
		T_EQ_INT(p.pid, c->pid);
		T_CHECK(memcmp(p.comm, c->comm, clen) == 0 &&
		    p.comm[clen] == '\0');
		T_EQ_INT(p.state, c->state);
		T_EQ_INT(p.ppid, 1);
		T_EQ_INT(p.pgid, 2);
		T_EQ_INT(p.sid, 3);
		T_EQ_INT(p.tty_major, 0);
		T_EQ_INT(p.tty_minor, 4);
		T_EQ_INT(p.nthreads, 7);
		T_EQ_INT(p.kthread, 0);
		T_EQ_INT(p.start_ns, quark_ticks_to_ns(1234));
		T_EQ_INT(p.entity_id, quark_entity_id(c->pid, p.start_ns));
		T_CHECK((p.known & (QP_PPID | QP_COMM | QP_STATE | QP_PGID_SID |
		    QP_TTY | QP_KTHREAD | QP_NTHREADS | QP_START)) ==
		    (QP_PPID | QP_COMM | QP_STATE | QP_PGID_SID | QP_TTY |
		    QP_KTHREAD | QP_NTHREADS | QP_START));
	}
}

/* A real kthreadd line, and the tty and flag decoding. */
static void
test_stat_fields(void)
{
	static const char kthreadd[] = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 "
	    "0 0 0 0 0 0 0 20 0 1 0 0 0 0 18446744073709551615 0 0 0 0 0 0 "
	    "0 2147483647 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
	/* tty_nr 34817 = 136:1 (pts/1); flags 4194560 has no PF_KTHREAD. */
	static const char shell[] = "1000 (bash) S 999 1000 1000 34817 1000 "
	    "4194560 1 2 3 4 5 6 7 8 20 0 1 0 98765 1 2\n";
	/* A minor above 255: 136:300 = pts/300 -> 0x12c, high bits at 20. */
	static const char bigpts[] = "5 (x) S 1 1 1 1083436 1 0 0 0 0 0 0 0 "
	    "0 0 20 0 1 0 5 0\n";
	struct quark_process	p;

	T_CASE("kthreadd");
	memset(&p, 0, sizeof(p));
	T_EQ_INT(procfs_parse_stat(kthreadd, sizeof(kthreadd) - 1, &p), 0);
	T_EQ_INT(p.pid, 2);
	T_EQ_INT(p.ppid, 0);
	T_EQ_INT(p.kthread, 1);
	T_EQ_INT(p.tty_major, 0);
	T_EQ_INT(p.tty_minor, 0);
	T_EQ_INT(p.start_ns, 0);

	T_CASE("shell");
	memset(&p, 0, sizeof(p));
	T_EQ_INT(procfs_parse_stat(shell, sizeof(shell) - 1, &p), 0);
	T_EQ_INT(p.kthread, 0);
	T_EQ_INT(p.ppid, 999);
	T_EQ_INT(p.tty_major, 136);
	T_EQ_INT(p.tty_minor, 1);
	T_EQ_INT(p.start_ns, quark_ticks_to_ns(98765));

	T_CASE("bigpts");
	memset(&p, 0, sizeof(p));
	/* new_encode_dev(136, 300) = (300 & 0xff) | 136 << 8 | (300 & ~0xff) << 12 */
	T_EQ_INT((300 & 0xff) | (136 << 8) | ((300 & ~0xff) << 12), 1083436);
	T_EQ_INT(procfs_parse_stat(bigpts, sizeof(bigpts) - 1, &p), 0);
	T_EQ_INT(p.tty_major, 136);
	T_EQ_INT(p.tty_minor, 300);

	/* The buffer's length is respected: no NUL needed, none read past. */
	T_CASE("length");
	memset(&p, 0, sizeof(p));
	T_EQ_INT(procfs_parse_stat(shell, 20, &p), -1);
}

static const char status_full[] =
    "Name:\tbash\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t1000\n"
    "Ngid:\t0\n"
    "Pid:\t1000\n"
    "PPid:\t999\n"
    "TracerPid:\t0\n"
    "Uid:\t1001\t1002\t1003\t1004\n"
    "Gid:\t2001\t2002\t2003\t2004\n"
    "FDSize:\t256\n"
    "Groups:\t4 24 27 \n"
    "NSpid:\t1000\t1\n"
    "Threads:\t3\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001ffffffffff\n"
    "CapEff:\t000001fffffffffe\n"
    "CapBnd:\t000001ffffffffff\n"
    "CapAmb:\t0000000000000001\n"
    "NoNewPrivs:\t0\n";

static void
test_status(void)
{
	struct quark_process	p;
	const char		*thr;
	char			*buf;

	T_CASE("status-full");
	memset(&p, 0, sizeof(p));
	p.pid = 1000;
	T_EQ_INT(procfs_parse_status(status_full, sizeof(status_full) - 1,
	    &p), 0);
	T_EQ_INT(p.uid, 1001); T_EQ_INT(p.euid, 1002);
	T_EQ_INT(p.suid, 1003); T_EQ_INT(p.fsuid, 1004);
	T_EQ_INT(p.gid, 2001); T_EQ_INT(p.egid, 2002);
	T_EQ_INT(p.sgid, 2003); T_EQ_INT(p.fsgid, 2004);
	T_EQ_INT(p.cap[QUARK_CAP_INHERITABLE], 0);
	T_EQ_INT(p.cap[QUARK_CAP_PERMITTED], 0x1ffffffffffULL);
	T_EQ_INT(p.cap[QUARK_CAP_EFFECTIVE], 0x1fffffffffeULL);
	T_EQ_INT(p.cap[QUARK_CAP_BOUNDING], 0x1ffffffffffULL);
	T_EQ_INT(p.cap[QUARK_CAP_AMBIENT], 1);
	T_EQ_INT(p.nthreads, 3);
	T_EQ_INT(p.pid, 1000);
	T_EQ_INT(p.known, QP_CREDS | QP_FSCREDS | QP_CAPS | QP_NTHREADS);

	/* A thread's status: Pid is the tid, Tgid the process. */
	T_CASE("status-thread");
	memset(&p, 0, sizeof(p));
	thr = "Tgid:\t1000\nPid:\t1005\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
	T_EQ_INT(procfs_parse_status(thr, strlen(thr), &p), 0);
	T_EQ_INT(p.pid, 1000);
	T_EQ_INT(p.tid, 1005);
	T_CHECK(p.known & QP_TID);
	T_CHECK(!(p.known & QP_CAPS));

	/* Missing Gid: creds stay unknown. No CapAmb (old kernel): 0. */
	T_CASE("status-partial");
	memset(&p, 0, sizeof(p));
	p.cap[QUARK_CAP_AMBIENT] = 99;
	thr = "Uid:\t1\t2\t3\t4\nCapInh:\t1\nCapPrm:\t2\nCapEff:\t3\n"
	    "CapBnd:\tf\n";
	T_EQ_INT(procfs_parse_status(thr, strlen(thr), &p), 0);
	T_EQ_INT(p.known, QP_CAPS);
	T_EQ_INT(p.cap[QUARK_CAP_BOUNDING], 15);
	T_EQ_INT(p.cap[QUARK_CAP_AMBIENT], 0);

	/* Malformed lines: their group is unknown, the call says EINVAL. */
	T_CASE("status-bad");
	memset(&p, 0, sizeof(p));
	thr = "Uid:\t1\t2\t3\nGid:\t1\t2\t3\t4\nThreads:\t2x\n"
	    "CapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t12345678901234567\n";
	errno = 0;
	T_EQ_INT(procfs_parse_status(thr, strlen(thr), &p), -1);
	T_EQ_INT(errno, EINVAL);
	T_EQ_INT(p.known, 0);

	T_CASE("status-empty");
	memset(&p, 0, sizeof(p));
	T_EQ_INT(procfs_parse_status("", 0, &p), 0);
	T_EQ_INT(p.known, 0);

	/* Not NUL-terminated: the last line ends at len. */
	T_CASE("status-unterminated");
	memset(&p, 0, sizeof(p));
	if ((buf = malloc(10)) == NULL)
		abort();
	memcpy(buf, "Threads:\t9", 10);
	T_EQ_INT(procfs_parse_status(buf, 10, &p), 0);
	T_EQ_INT(p.nthreads, 9);
	free(buf);
}

static const struct {
	const char	*name;
	const char	*in;
	const char	*want;	/* NULL: -1 ENOENT */
} cgroup_cases[] = {
	{ "v2", "0::/user.slice/user-0.slice/session-1.scope\n",
	  "/user.slice/user-0.slice/session-1.scope" },
	{ "root", "0::/\n", "/" },
	{ "hybrid", "12:memory:/x\n1:name=systemd:/y\n0::/init.scope\n",
	  "/init.scope" },
	{ "no-newline", "0::/a b", "/a b" },
	{ "v1-only", "4:cpu:/z\n", NULL },
	{ "empty", "", NULL },
	{ "not-root-prefixed", "10::/x\n", NULL },
};

static void
test_cgroup(void)
{
	char	*path;
	size_t	 i;
	int	 r;

	for (i = 0; i < nitems(cgroup_cases); i++) {
		T_CASE(cgroup_cases[i].name);
		path = (char *)1;
		r = procfs_parse_cgroup(cgroup_cases[i].in,
		    strlen(cgroup_cases[i].in), &path);
		if (cgroup_cases[i].want == NULL) {
			T_EQ_INT(r, -1);
			T_EQ_INT(errno, ENOENT);
			T_CHECK(path == NULL);
		} else {
			T_EQ_INT(r, 0);
			T_EQ_STR(path, cgroup_cases[i].want);
		}
		free(path);
	}
}

static void
test_small(void)
{
	uint64_t	ino = 0;
	uint32_t	u = 0;
	char		buf[64];

	T_CASE("ns");
	T_EQ_INT(procfs_parse_ns("pid:[4026531836]", "pid", &ino), 0);
	T_EQ_INT(ino, 4026531836ULL);
	T_EQ_INT(procfs_parse_ns("net:[4026531836]", "pid", &ino), -1);
	T_EQ_INT(procfs_parse_ns("pid:[]", "pid", &ino), -1);
	T_EQ_INT(procfs_parse_ns("pid:[12", "pid", &ino), -1);
	T_EQ_INT(procfs_parse_ns("pid:[12]x", "pid", &ino), -1);
	T_EQ_INT(procfs_parse_ns("pidx:[12]", "pid", &ino), -1);

	T_CASE("u32");
	T_EQ_INT(procfs_parse_u32("4294967295", 10, &u), 0);
	T_EQ_INT(u, 4294967295U);
	T_EQ_INT(procfs_parse_u32("1000\n", 5, &u), 0);
	T_EQ_INT(u, 1000);
	T_EQ_INT(procfs_parse_u32("4294967296", 10, &u), -1);
	T_EQ_INT(procfs_parse_u32("", 0, &u), -1);
	T_EQ_INT(procfs_parse_u32("12 ", 3, &u), -1);

	T_CASE("deleted");
	strlcpy(buf, "/usr/bin/x (deleted)", sizeof(buf));
	T_EQ_INT(procfs_strip_deleted(buf), 1);
	T_EQ_STR(buf, "/usr/bin/x");
	T_EQ_INT(procfs_strip_deleted(buf), 0);
	T_EQ_STR(buf, "/usr/bin/x");
	strlcpy(buf, " (deleted)", sizeof(buf));
	T_EQ_INT(procfs_strip_deleted(buf), 0);

	T_CASE("count");
	T_EQ_INT(procfs_count_strings("", 0), 0);
	T_EQ_INT(procfs_count_strings("a\0", 2), 1);
	T_EQ_INT(procfs_count_strings("a\0\0b\0", 5), 3);
	T_EQ_INT(procfs_count_strings("a\0bc", 4), 2);
}

static const struct {
	uint32_t	 major, minor;
	const char	*want;	/* NULL: ENOENT */
} tty_cases[] = {
	{ 136, 0, "pts/0" },
	{ 136, 300, "pts/300" },
	{ 4, 1, "tty1" },
	{ 4, 63, "tty63" },
	{ 4, 64, "ttyS0" },
	{ 4, 0, "tty0" },
	{ 5, 1, "console" },
	{ 188, 2, "ttyUSB2" },
	{ 204, 64, "ttyAMA0" },
	{ 0, 0, NULL },
	{ 1, 3, NULL },
};

static void
test_tty(void)
{
	char	buf[32];
	size_t	i;

	T_CASE("tty");
	for (i = 0; i < nitems(tty_cases); i++) {
		memset(buf, 0, sizeof(buf));
		if (tty_cases[i].want == NULL) {
			T_EQ_INT(quark_tty_name(tty_cases[i].major,
			    tty_cases[i].minor, buf, sizeof(buf)), -1);
			T_EQ_INT(errno, ENOENT);
			continue;
		}
		T_EQ_INT(quark_tty_name(tty_cases[i].major,
		    tty_cases[i].minor, buf, sizeof(buf)), 0);
		T_EQ_STR(buf, tty_cases[i].want);
	}
	T_EQ_INT(quark_tty_name(136, 12345, buf, 6), -1);
	T_EQ_INT(errno, ENAMETOOLONG);
}

int
main(void)
{
	test_stat_table();
	test_stat_fields();
	test_status();
	test_cgroup();
	test_small();
	test_tty();
	return (t_done());
}
