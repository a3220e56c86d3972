/*
 * t_kpdecode.c - the kprobe backend's samples -> raw events
 * (lib/kpdecode.c, lib/kprecord.c): fork, exit, the exec join, the
 * credentials kept per thread, perf records.  Samples: kpsample.h.
 */
#include <linux/perf_event.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kpsample.h"

static struct raw_event *
next_of(struct kp_decoder *d, uint32_t type)
{
	struct raw_event	*raw = kp_decoder_next(d);

	T_CHECK(raw != NULL);
	if (raw != NULL)
		T_EQ_INT(raw->type, type);
	return (raw);
}

static void
test_fork(void)
{
	static struct build	b;
	struct kp_format	fmt;
	struct kp_sample	s;
	struct kp_decoder	*d = kp_decoder_new(0, 4096, MNT_OFF);
	struct raw_event	*raw;

	T_CASE("fork");
	b_init(&b, 10);
	b_task(&b, 200, 200, 1000, "child");
	b_done(&b, &fmt, KP_FORK);
	sample(&s, &fmt, &b, 100, 50, 51);
	T_EQ_INT(kp_decode(d, &s), 0);
	if ((raw = next_of(d, QUARK_EV_FORK)) != NULL) {
		T_EQ_INT(raw->pid, 200);
		T_EQ_INT(raw->fork.parent_pid, 50);
		T_EQ_INT(raw->fork.parent_tid, 51);
		T_EQ_INT(raw->time, 100);
		T_EQ_STR(raw->task.comm, "child");
		T_EQ_INT(raw->task.uid, 1000);
		T_EQ_INT(raw->task.fsgid, 1007);
		T_EQ_INT(raw->task.tty_major, 136);
		T_EQ_INT(raw->task.tty_minor, 3);
		T_EQ_INT(raw->task.pgid, 10);
		/* pid level 1: the second namespace's inode. */
		T_EQ_INT(raw->task.ns[QUARK_NS_PID], 4026532000U);
		T_CHECK(raw->task.known & QP_CAPS);
		T_CHECK((raw->flags & RAW_F_THREAD) == 0);
		raw_event_free(raw);
	}
	T_EQ_INT(kp_decoder_creds(d), 1);
	/* A thread's creation: dropped without threads. */
	b_init(&b, 10);
	b_task(&b, 201, 200, 1000, "child");
	b_done(&b, &fmt, KP_FORK);
	sample(&s, &fmt, &b, 101, 200, 200);
	T_EQ_INT(kp_decode(d, &s), 0);
	T_CHECK(kp_decoder_next(d) == NULL);
	/* A sample without the child's ids is malformed. */
	b_init(&b, 10);
	b_fstr(&b, F_COMM, "x");
	b_done(&b, &fmt, KP_FORK);
	sample(&s, &fmt, &b, 102, 1, 1);
	errno = 0;
	T_EQ_INT(kp_decode(d, &s), -1);
	T_EQ_INT(errno, EBADMSG);
	kp_decoder_free(d);
}

/* exit: group_dead, signal flags, codes -> wait(2) status fields. */
static void
test_exit(void)
{
	static const struct {
		const char	*name;
		int		 dead;
		uint32_t	 sflags, gcode, lcode, ecode;
		int		 code, sig, core, record;
	} cases[] = {
		{ "exit(42)", 1, 0, 0, 42 << 8, 42 << 8, 42, 0, 0, 1 },
		{ "exit_group(3)", 1, 4, 3 << 8, 0, 0, 3, 0, 0, 1 },
		{ "SIGKILL", 1, 4, 9, 0, 0, -1, 9, 0, 1 },
		{ "SIGSEGV core", 1, 4, 0x80 | 11, 0, 0, -1, 11, 1, 1 },
		{ "a thread", 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	};
	static struct build	b;
	struct kp_format	fmt;
	struct kp_sample	s;
	struct kp_decoder	*d = kp_decoder_new(0, 4096, MNT_OFF);
	struct raw_event	*raw;
	size_t			 i;

	for (i = 0; i < nitems(cases); i++) {
		T_CASE(cases[i].name);
		b_init(&b, 11);
		b_task(&b, 300, 300, 0, "x");
		b_field(&b, F_ECODE, 4, cases[i].ecode);
		b_field(&b, F_SFLAGS, 4, cases[i].sflags);
		b_field(&b, F_GCODE, 4, cases[i].gcode);
		b_field(&b, F_LCODE, 4, cases[i].lcode);
		b_field(&b, F_DEAD, 1, cases[i].dead);
		b_done(&b, &fmt, KP_EXIT);
		sample(&s, &fmt, &b, 500, 300, 300);
		T_EQ_INT(kp_decode(d, &s), 0);
		raw = kp_decoder_next(d);
		T_EQ_INT(raw != NULL, cases[i].record);
		if (raw == NULL)
			continue;
		T_EQ_INT(raw->type, QUARK_EV_EXIT);
		T_CHECK(raw->flags & RAW_F_GROUP_DEAD);
		T_CHECK(raw->task.known & QP_EXIT);
		T_EQ_INT(raw->task.exit_code, cases[i].code);
		T_EQ_INT(raw->task.exit_signal, cases[i].sig);
		T_EQ_INT(raw->task.core_dumped, cases[i].core);
		T_EQ_INT(raw->task.exit_ns, 500);
		raw_event_free(raw);
	}
	kp_decoder_free(d);
}

/* The exec parts the decoder expects in exec_feed() (0: all). */
static uint32_t feed_parts;
/* exec_feed() feeds the parts last first (a thread moved between CPUs). */
static int feed_reverse;
/* exec_feed()'s cwd dentry's d_hash.pprev: 0 when removed, -1 absent. */
static int64_t feed_cdel = -1;

/* The parts of an exec, fed in order; `skip` is left out. */
static struct kp_decoder *
exec_feed(int skip, uint32_t cap, const char *const *argv, int argc)
{
	static struct build	b[KP_ARGV0 + KP_ARGV_PROBES - KP_EXECB];
	static struct kp_format	fmt[KP_ARGV0 + KP_ARGV_PROBES - KP_EXECB];
	const char *const	exe[] = { "busybox", "bin" };
	const char *const	cwd[] = { "c", "b", "a", "tmp" };
	struct kp_decoder	*d = kp_decoder_new(0, cap, MNT_OFF);
	struct kp_sample	 s;
	int			 k, i;

	if (feed_parts != 0)
		kp_decoder_parts(d, feed_parts);

	for (k = KP_EXECB; k < KP_ARGV0 + KP_ARGV_PROBES; k++) {
		i = k - KP_EXECB;
		b_init(&b[i], 20 + i);
		switch (k) {
		case KP_EXECB:
			b_fstr(&b[i], F_FILENAME, "./true");
			b_field(&b[i], F_ARGC, 4, argc);
			b_field(&b[i], F_XDEL, 8, 0xabc);
			b_walk(&b[i], F_XWALK, exe, 2, NULL, 0, 1, 1);
			break;
		case KP_EXECTP:
			/* Thread 401 exec'd: it is the leader, 400, now. */
			b_fstr(&b[i], F_FILENAME, "./true");
			b_field(&b[i], F_PID, 4, 400);
			b_field(&b[i], F_OLDPID, 4, 401);
			break;
		case KP_EXEC:
			b_task(&b[i], 400, 400, 0, "true");
			b_field(&b[i], F_ASTART, 8, 0x7ff0000);
			b_field(&b[i], F_AEND, 8, 0x7ff0000 + 18);
			break;
		case KP_CWD:
			if (feed_cdel >= 0)
				b_field(&b[i], F_CDEL, 8, (uint64_t)feed_cdel);
			b_walk(&b[i], F_CWALK, cwd, 3, cwd + 3, 1, 0, 1);
			break;
		default:
			for (int j = 0; j < KP_ARGV_PER; j++) {
				int at = (k - KP_ARGV0) * KP_ARGV_PER + j;

				b_fstr(&b[i], F_ARGV0 + j, at < argc ?
				    argv[at] : "ENV=secret");
			}
			break;
		}
		b_done(&b[i], &fmt[i], k);
	}
	for (k = KP_EXECB; k < KP_ARGV0 + KP_ARGV_PROBES; k++) {
		i = feed_reverse ? KP_ARGV0 + KP_ARGV_PROBES - 1 - k : k - KP_EXECB;
		if (i + KP_EXECB == skip)
			continue;
		sample(&s, &fmt[i], &b[i], 1000 + i, 400, 400);
		T_EQ_INT(kp_decode(d, &s), 0);
	}
	return (d);
}

static void
test_exec(void)
{
	const char *const	argv[] = { "/bin/true", "one", "two" };
	struct kp_decoder	*d;
	struct raw_event	*raw;

	T_CASE("exec whole");
	d = exec_feed(-1, 4096, argv, 3);
	T_EQ_INT(kp_decoder_pending(d), 0);
	if ((raw = next_of(d, QUARK_EV_EXEC)) != NULL) {
		T_EQ_INT(raw->time, 1000);	/* finalize_exec's */
		T_EQ_STR(raw->task.filename, "./true");
		T_EQ_STR(raw->task.exe, "/bin/busybox");
		T_EQ_STR(raw->task.cwd, "/tmp/a/b/c");
		T_EQ_INT(raw->task.args_len, 18);
		T_CHECK(memcmp(raw->task.args, "/bin/true\0one\0two", 18) == 0);
		T_EQ_INT(raw->task.argc, 3);
		T_EQ_INT(raw->task.args_total, 18);
		T_EQ_INT(raw->task.truncated, 0);	/* no QPT_ARGS */
		T_EQ_STR(raw->task.comm, "true");
		T_EQ_INT(raw->exec.old_pid, 401);
		raw_event_free(raw);
	}
	kp_decoder_free(d);

	T_CASE("exec waits for the tracepoint's part");
	d = exec_feed(KP_EXECTP, 4096, argv, 3);
	T_EQ_INT(kp_decoder_pending(d), 1);
	kp_decoder_free(d);
	T_CASE("exec without the tracepoint, where there is none");
	feed_parts = KP_EXEC_PARTS & ~(1U << KP_EXECTP);
	d = exec_feed(KP_EXECTP, 4096, argv, 3);
	feed_parts = 0;
	T_EQ_INT(kp_decoder_pending(d), 0);
	if ((raw = next_of(d, QUARK_EV_EXEC)) != NULL) {
		T_EQ_INT(raw->exec.old_pid, 0);		/* unknown */
		T_EQ_STR(raw->task.cwd, "/tmp/a/b/c");
		raw_event_free(raw);
	}
	kp_decoder_free(d);

	T_CASE("exec parts in any order");
	feed_reverse = 1;
	d = exec_feed(-1, 4096, argv, 3);
	feed_reverse = 0;
	T_EQ_INT(kp_decoder_pending(d), 0);
	if ((raw = next_of(d, QUARK_EV_EXEC)) != NULL) {
		T_EQ_INT(raw->time, 1000);	/* still finalize_exec's */
		T_EQ_STR(raw->task.exe, "/bin/busybox");
		T_EQ_STR(raw->task.cwd, "/tmp/a/b/c");
		T_EQ_INT(raw->task.argc, 3);
		T_EQ_INT(raw->exec.old_pid, 401);
		raw_event_free(raw);
	}
	kp_decoder_free(d);

	T_CASE("exec without an argv part past argc: not held back");
	d = exec_feed(KP_ARGV0 + 1, 4096, argv, 3);
	T_EQ_INT(kp_decoder_pending(d), 0);
	if ((raw = next_of(d, QUARK_EV_EXEC)) != NULL) {
		T_EQ_INT(raw->task.argc, 3);
		T_CHECK(raw->task.known & QP_ARGS);
		raw_event_free(raw);
	}
	kp_decoder_free(d);
	T_CASE("the late part of an exec handed out makes no record");
	d = exec_feed(-1, 4096, argv, 3);
	if ((raw = next_of(d, QUARK_EV_EXEC)) != NULL)
		raw_event_free(raw);
	T_CHECK(kp_decoder_next(d) == NULL);
	kp_decoder_expire(d, UINT64_MAX);
	T_CHECK(kp_decoder_next(d) == NULL);
	kp_decoder_free(d);

	T_CASE("exec argv cut at the cap");
	d = exec_feed(-1, 12, argv, 3);
	if ((raw = next_of(d, QUARK_EV_EXEC)) != NULL) {
		T_EQ_INT(raw->task.args_len, 12);
		T_CHECK(raw->task.truncated & QPT_ARGS);
		T_EQ_INT(raw->task.args_total, 18);
		raw_event_free(raw);
	}
	kp_decoder_free(d);

	/* rmdir of the cwd: /proc says "/tmp/a/b/c (deleted)". */
	T_CASE("exec in a removed cwd: its path, cwd_deleted");
	feed_cdel = 0;
	d = exec_feed(-1, 4096, argv, 3);
	if ((raw = next_of(d, QUARK_EV_EXEC)) != NULL) {
		T_EQ_STR(raw->task.cwd, "/tmp/a/b/c");
		T_CHECK(raw->task.truncated & QPT_CWD_DELETED);
		T_CHECK((raw->task.truncated & QPT_CWD) == 0);
		raw_event_free(raw);
	}
	kp_decoder_free(d);
	T_CASE("exec in a cwd still linked: not cwd_deleted");
	feed_cdel = 0x888000123450LL;	/* hashed: in its parent */
	d = exec_feed(-1, 4096, argv, 3);
	if ((raw = next_of(d, QUARK_EV_EXEC)) != NULL) {
		T_EQ_STR(raw->task.cwd, "/tmp/a/b/c");
		T_CHECK((raw->task.truncated & QPT_CWD_DELETED) == 0);
		raw_event_free(raw);
	}
	kp_decoder_free(d);
	feed_cdel = -1;

	T_CASE("exec without its cwd part");
	d = exec_feed(KP_CWD, 4096, argv, 3);
	T_CHECK(kp_decoder_next(d) == NULL);	/* waits for the part */
	T_EQ_INT(kp_decoder_pending(d), 1);
	kp_decoder_expire(d, 1000);		/* not yet */
	T_CHECK(kp_decoder_next(d) == NULL);
	kp_decoder_expire(d, 1001);
	if ((raw = next_of(d, QUARK_EV_EXEC)) != NULL) {
		T_CHECK((raw->task.known & QP_CWD) == 0);
		T_CHECK(raw->task.cwd == NULL);
		T_EQ_STR(raw->task.exe, "/bin/busybox");
		T_CHECK(raw->task.known & QP_ARGS);
		raw_event_free(raw);
	}
	kp_decoder_free(d);

	T_CASE("exec without an argv part it needs: argv unknown");
	d = exec_feed(KP_ARGV0, 4096, argv, 3);
	kp_decoder_expire(d, UINT64_MAX);
	if ((raw = next_of(d, QUARK_EV_EXEC)) != NULL) {
		T_CHECK((raw->task.known & QP_ARGS) == 0);
		T_CHECK(raw->task.args == NULL);
		raw_event_free(raw);
	}
	kp_decoder_free(d);
}

static void
test_creds(void)
{
	static struct build	bc, bx;
	struct kp_format	fc, fx;
	struct kp_sample	s;
	struct kp_decoder	*d = kp_decoder_new(0, 4096, MNT_OFF);
	struct raw_event	*raw;
	int			 i;

	T_CASE("setuid after commit_creds");
	b_init(&bc, 30);
	for (i = F_UID; i <= F_FSGID; i++)
		b_field(&bc, i, 4, 65534);
	b_done(&bc, &fc, KP_CREDS);
	b_init(&bx, 31);
	b_num(&bx, "__syscall_nr", 4, 105);
	b_field(&bx, F_RET, 8, 0);
	b_done(&bx, &fx, KP_SETUID);
	sample(&s, &fc, &bc, 10, 600, 600);
	T_EQ_INT(kp_decode(d, &s), 0);
	T_CHECK(kp_decoder_next(d) == NULL);
	sample(&s, &fx, &bx, 11, 600, 600);
	T_EQ_INT(kp_decode(d, &s), 0);
	if ((raw = next_of(d, QUARK_EV_SETUID)) != NULL) {
		T_EQ_INT(raw->task.uid, 65534);
		T_EQ_INT(raw->task.fsgid, 65534);
		T_CHECK(raw->flags & RAW_F_CRED_CALL);
		T_CHECK((raw->task.known & QP_CAPS) == 0);
		raw_event_free(raw);
	}

	T_CASE("setuid that failed");
	b_init(&bx, 31);
	b_num(&bx, "__syscall_nr", 4, 105);
	b_field(&bx, F_RET, 8, (uint64_t)-1);
	b_done(&bx, &fx, KP_SETUID);
	sample(&s, &fx, &bx, 12, 600, 600);
	T_EQ_INT(kp_decode(d, &s), 0);
	T_CHECK(kp_decoder_next(d) == NULL);

	T_CASE("setfsuid to the id it had: no change");
	b_init(&bx, 32);
	b_field(&bx, F_RET, 8, 65534);
	b_done(&bx, &fx, KP_SETFSUID);
	sample(&s, &fx, &bx, 13, 600, 600);
	T_EQ_INT(kp_decode(d, &s), 0);
	T_CHECK(kp_decoder_next(d) == NULL);
	T_CASE("setfsuid that changed the id");
	b_init(&bx, 32);
	b_field(&bx, F_RET, 8, 0);
	b_done(&bx, &fx, KP_SETFSUID);
	sample(&s, &fx, &bx, 14, 600, 600);
	T_EQ_INT(kp_decode(d, &s), 0);
	if ((raw = next_of(d, QUARK_EV_SETUID)) != NULL) {
		T_EQ_INT(raw->task.fsuid, 65534);
		raw_event_free(raw);
	}

	T_CASE("setsid");
	b_init(&bx, 33);
	b_field(&bx, F_RET, 8, 600);
	b_done(&bx, &fx, KP_SETSID);
	sample(&s, &fx, &bx, 15, 600, 600);
	T_EQ_INT(kp_decode(d, &s), 0);
	if ((raw = next_of(d, QUARK_EV_SETSID)) != NULL) {
		T_EQ_INT(raw->task.sid, 600);
		T_EQ_INT(raw->task.pgid, 600);
		T_CHECK(raw->task.known & QP_PGID_SID);
		/* A new session has no controlling terminal. */
		T_CHECK(raw->task.known & QP_TTY);
		T_EQ_INT(raw->task.tty_major, 0);
		T_EQ_INT(raw->task.tty_minor, 0);
		raw_event_free(raw);
	}

	T_CASE("a thread's exit drops its credentials");
	T_EQ_INT(kp_decoder_creds(d), 1);
	b_init(&bx, 34);
	b_task(&bx, 600, 600, 0, "x");
	b_field(&bx, F_DEAD, 1, 1);
	b_done(&bx, &fx, KP_EXIT);
	sample(&s, &fx, &bx, 16, 600, 600);
	T_EQ_INT(kp_decode(d, &s), 0);
	raw_event_free(kp_decoder_next(d));
	T_EQ_INT(kp_decoder_creds(d), 0);

	T_CASE("comm");
	T_EQ_INT(kp_decode_comm(d, 700, 700, "a-very-long-name-indeed", 24,
	    17), 0);
	if ((raw = next_of(d, QUARK_EV_COMM)) != NULL) {
		T_EQ_STR(raw->comm.comm, "a-very-long-nam");
		T_EQ_INT(raw->time, 17);
		raw_event_free(raw);
	}
	kp_decoder_free(d);
}

/* perf records: a sample, LOST, COMM, malformed ones. */
static void
test_records(void)
{
	static struct build	b;
	struct kp_format	fmt;
	const struct kp_format	*fmts[1] = { &fmt };
	struct kp_decoder	*d = kp_decoder_new(0, 4096, MNT_OFF);
	struct raw_event	*raw;
	uint8_t			 rec[1024] __attribute__((aligned(8)));
	struct perf_event_header h;
	uint32_t		 u32, n;
	uint64_t		 u64;

	T_CASE("records: a sample, at the time given");
	b_init(&b, 12);
	b_task(&b, 800, 800, 0, "kid");
	n = b_done(&b, &fmt, KP_FORK);
	memset(rec, 0, sizeof(rec));
	h.type = PERF_RECORD_SAMPLE;
	h.misc = 0;
	h.size = 36 + n;
	memcpy(rec, &h, sizeof(h));
	u32 = 42;				/* pid, tid of the parent */
	memcpy(rec + 8, &u32, 4);
	memcpy(rec + 12, &u32, 4);
	u64 = 5;				/* the perf clock */
	memcpy(rec + 16, &u64, 8);
	memcpy(rec + 32, &n, 4);		/* RAW size */
	memcpy(rec + 36, b.data, n);
	T_EQ_INT(kp_record_time(rec, h.size), 5);
	T_EQ_INT(kp_record(d, rec, h.size, 7000, fmts, 1), 0);
	if ((raw = next_of(d, QUARK_EV_FORK)) != NULL) {
		T_EQ_INT(raw->time, 7000);	/* boot ns, not perf's */
		T_EQ_INT(raw->pid, 800);
		T_EQ_INT(raw->fork.parent_pid, 42);
		raw_event_free(raw);
	}
	T_CASE("records: a sample of no known event");
	memcpy(rec + 36, &(uint16_t){ 99 }, 2);
	errno = 0;
	T_EQ_INT(kp_record(d, rec, h.size, 7000, fmts, 1), -1);
	T_EQ_INT(errno, EBADMSG);
	T_CASE("records: a RAW size past the record");
	memcpy(rec + 32, &(uint32_t){ 4000 }, 4);
	T_EQ_INT(kp_record(d, rec, h.size, 7000, fmts, 1), -1);
	T_CASE("records: LOST, the kernel's count");
	memset(rec, 0, sizeof(rec));
	h.type = PERF_RECORD_LOST;
	h.size = 8 + 16 + 24;
	memcpy(rec, &h, sizeof(h));
	u64 = 1234;
	memcpy(rec + 16, &u64, 8);
	u64 = 77;				/* sample_id.time */
	memcpy(rec + h.size - 16, &u64, 8);
	T_EQ_INT(kp_record_time(rec, h.size), 77);
	T_EQ_INT(kp_record(d, rec, h.size, 8000, fmts, 1), 0);
	if ((raw = next_of(d, RAW_LOST)) != NULL) {
		T_EQ_INT(raw->lost.count, 1234);
		raw_event_free(raw);
	}
	T_EQ_INT(kp_decoder_lost(d), 1234);
	T_CASE("records: COMM, not from exec");
	memset(rec, 0, sizeof(rec));
	h.type = PERF_RECORD_COMM;
	h.misc = PERF_RECORD_MISC_COMM_EXEC;
	h.size = 8 + 8 + 8 + 24;
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + 8, &(uint32_t){ 900 }, 4);
	memcpy(rec + 12, &(uint32_t){ 900 }, 4);
	memcpy(rec + 16, "newname", 8);
	T_EQ_INT(kp_record(d, rec, h.size, 9000, fmts, 1), 0);
	T_CHECK(kp_decoder_next(d) == NULL);	/* the exec has it */
	h.misc = 0;
	memcpy(rec, &h, sizeof(h));
	T_EQ_INT(kp_record(d, rec, h.size, 9000, fmts, 1), 0);
	if ((raw = next_of(d, QUARK_EV_COMM)) != NULL) {
		T_EQ_STR(raw->comm.comm, "newname");
		T_EQ_INT(raw->pid, 900);
		raw_event_free(raw);
	}
	T_CASE("records: too short");
	T_EQ_INT(kp_record(d, rec, 4, 9000, fmts, 1), -1);
	kp_decoder_free(d);
}

int
main(void)
{
	test_fork();
	test_exit();
	test_exec();
	test_creds();
	test_records();
	return (t_done_named("t_kpdecode"));
}
