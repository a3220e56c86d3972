/*
 * kpdecode.c - the kprobe backend's samples -> raw events.  Pure: no
 * kernel, no tracefs; tests/t_kpdecode.c feeds it made-up formats and
 * samples.
 *
 * A field the sample lacks (the kernel's
 * BTF has no such member, or the kernel could not read it) leaves what it
 * feeds unknown: never a zero standing in for a value.
 *
 * Two joins:
 *  - An exec is five samples (kprobe.h: KP_EXECB .. the argv probes),
 *    fired one after the other by the exec'ing thread; they are joined by
 *    thread id.  An exec missing a part (a lost sample) is handed out
 *    after kp_decoder_expire()'s deadline with what it has.
 *  - The syscall exit tracepoints of setuid & co. say that a call
 *    succeeded, not the credentials it left: those are the thread's last
 *    commit_creds() (a successful set*id call commits; one that changed
 *    nothing on newer kernels may not, and then the ids are unchanged).
 *    So each thread's last committed credentials are kept, learned too
 *    from its fork and exec, and dropped at its exit.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libbsd's tree.h marks its static functions __unused, which glibc lacks. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif
#include <bsd/sys/tree.h>

#include "kprobe.h"

#define SIGNAL_GROUP_EXIT	0x00000004	/* include/linux/sched/signal.h */
#define PF_KTHREAD		0x00200000	/* include/linux/sched.h */
/* Threads whose credentials are kept, at most (then all are dropped). */
#define CREDS_MAX		65536
#define ARGV_MAX		(KP_ARGV_PER * KP_ARGV_PROBES)

/* A thread's last committed credentials. */
struct kcred {
	RB_ENTRY(kcred)	entry;
	pid_t		tid;
	uint64_t	id[8];		/* F_UID .. F_FSGID */
	uint64_t	cap[5];
	int		has_cap;
};

static int
kcred_cmp(const struct kcred *a, const struct kcred *b)
{
	return (a->tid < b->tid ? -1 : a->tid > b->tid);
}

RB_HEAD(kcred_tree, kcred);
RB_GENERATE_STATIC(kcred_tree, kcred, entry, kcred_cmp)

/* An exec being joined. */
struct kexec {
	TAILQ_ENTRY(kexec)	 entry;
	struct raw_event	*raw;		/* NULL once handed out */
	pid_t			 tid;
	uint64_t		 time;		/* of its first part */
	uint32_t		 parts;		/* 1 << KP_* seen */
	uint64_t		 argc;
	int			 have_argc;
	char			*argv[ARGV_MAX];
	uint32_t		 argv_len[ARGV_MAX];	/* with the NUL */
};

struct kp_decoder {
	int			 threads;
	uint32_t		 parts;		/* those of a complete exec */
	uint32_t		 argv_cap;
	uint32_t		 mnt_off;
	struct kcred_tree	 creds;
	size_t			 ncreds;
	TAILQ_HEAD(, kexec)	 execs;
	size_t			 nexecs;
	uint64_t		 lost;		/* LOST records' sum */
	struct raw_event_list	 ready;
};

struct kp_decoder *
kp_decoder_new(int threads, uint32_t argv_cap, uint32_t mnt_off)
{
	struct kp_decoder	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (NULL);
	d->threads = threads;
	d->parts = KP_EXEC_PARTS;
	d->argv_cap = argv_cap;
	d->mnt_off = mnt_off;
	RB_INIT(&d->creds);
	TAILQ_INIT(&d->execs);
	TAILQ_INIT(&d->ready);
	return (d);
}

static void
kexec_free(struct kexec *x)
{
	int	i;

	if (x == NULL)
		return;
	raw_event_free(x->raw);
	for (i = 0; i < ARGV_MAX; i++)
		free(x->argv[i]);
	free(x);
}

static void
creds_clear(struct kp_decoder *d)
{
	struct kcred	*c;

	while ((c = RB_MIN(kcred_tree, &d->creds)) != NULL) {
		RB_REMOVE(kcred_tree, &d->creds, c);
		free(c);
	}
	d->ncreds = 0;
}

void
kp_decoder_free(struct kp_decoder *d)
{
	struct kexec		*x;
	struct raw_event	*raw;

	if (d == NULL)
		return;
	creds_clear(d);
	while ((x = TAILQ_FIRST(&d->execs)) != NULL) {
		TAILQ_REMOVE(&d->execs, x, entry);
		kexec_free(x);
	}
	while ((raw = TAILQ_FIRST(&d->ready)) != NULL) {
		TAILQ_REMOVE(&d->ready, raw, entry);
		raw_event_free(raw);
	}
	free(d);
}

void
kp_decoder_parts(struct kp_decoder *d, uint32_t parts)
{
	d->parts = parts & KP_EXEC_PARTS;
}

size_t
kp_decoder_pending(const struct kp_decoder *d)
{
	return (d->nexecs);
}

size_t
kp_decoder_creds(const struct kp_decoder *d)
{
	return (d->ncreds);
}

struct raw_event *
kp_decoder_next(struct kp_decoder *d)
{
	struct raw_event	*raw;

	if ((raw = TAILQ_FIRST(&d->ready)) != NULL)
		TAILQ_REMOVE(&d->ready, raw, entry);
	return (raw);
}

static void
ready(struct kp_decoder *d, struct raw_event *raw)
{
	if ((raw->flags & RAW_F_THREAD) && !d->threads) {
		raw_event_free(raw);
		return;
	}
	TAILQ_INSERT_TAIL(&d->ready, raw, entry);
}

static struct kcred *
cred_find(struct kp_decoder *d, pid_t tid)
{
	struct kcred	key;

	key.tid = tid;
	return (RB_FIND(kcred_tree, &d->creds, &key));
}

static void
cred_drop(struct kp_decoder *d, pid_t tid)
{
	struct kcred	*c;

	if ((c = cred_find(d, tid)) != NULL) {
		RB_REMOVE(kcred_tree, &d->creds, c);
		free(c);
		d->ncreds--;
	}
}

/* Keeps the credentials a sample carries (all eight ids, or nothing). */
static int
cred_keep(struct kp_decoder *d, const struct kp_sample *s, pid_t tid)
{
	struct kcred	*c, n;

	memset(&n, 0, sizeof(n));
	if (!kp_all(s, F_UID, 8, n.id))
		return (0);
	n.has_cap = kp_all(s, F_CAP0, 5, n.cap);
	if ((c = cred_find(d, tid)) == NULL) {
		if (d->ncreds >= CREDS_MAX)
			creds_clear(d);
		if ((c = malloc(sizeof(*c))) == NULL)
			return (-1);
		c->tid = tid;
		RB_INSERT(kcred_tree, &d->creds, c);
		d->ncreds++;
	}
	memcpy(c->id, n.id, sizeof(c->id));
	memcpy(c->cap, n.cap, sizeof(c->cap));
	c->has_cap = n.has_cap;
	return (0);
}

static void
cred_put(struct quark_process *p, const struct kcred *c)
{
	int	i;

	p->uid = c->id[0];
	p->gid = c->id[1];
	p->euid = c->id[2];
	p->egid = c->id[3];
	p->suid = c->id[4];
	p->sgid = c->id[5];
	p->fsuid = c->id[6];
	p->fsgid = c->id[7];
	p->known |= QP_CREDS | QP_FSCREDS;
	if (c->has_cap) {
		for (i = 0; i < 5; i++)
			p->cap[i] = c->cap[i];
		p->known |= QP_CAPS;
	}
}

static const int ns_fid[] = {
	[QUARK_NS_MNT] = F_NSMNT, [QUARK_NS_NET] = F_NSNET,
	[QUARK_NS_UTS] = F_NSUTS, [QUARK_NS_IPC] = F_NSIPC,
	[QUARK_NS_USER] = F_USERNS, [QUARK_NS_CGROUP] = F_NSCG,
};

/* The task fields of a sample (FORK, EXEC, EXIT) into p. */
static void
task_decode(struct quark_process *p, const struct kp_sample *s)
{
	struct kcred	 c;
	uint64_t	 v, w[3], lvl;
	const char	*comm;
	uint32_t	 n;
	int		 i;

	if (kp_u64(s, F_PPID, &v)) {
		p->ppid = (pid_t)v;
		p->known |= QP_PPID;
	}
	if (kp_u64(s, F_START, &v) && v != 0) {
		p->start_ns_raw = v;
		p->start_ns = quark_start_trunc(v);
		p->entity_id = quark_entity_id(p->pid, p->start_ns);
		p->known |= QP_START;
	}
	if (kp_u64(s, F_PFLAGS, &v)) {
		p->kthread = (v & PF_KTHREAD) != 0;
		p->known |= QP_KTHREAD;
	}
	if ((comm = kp_str(s, F_COMM, &n)) != NULL) {
		snprintf(p->comm, sizeof(p->comm), "%s", comm);
		p->known |= QP_COMM;
	}
	memset(&c, 0, sizeof(c));
	if (kp_all(s, F_UID, 8, c.id)) {
		c.has_cap = kp_all(s, F_CAP0, 5, c.cap);
		cred_put(p, &c);
	}
	if (kp_u64(s, F_LOGINUID, &v)) {
		p->loginuid = (uint32_t)v;
		p->known |= QP_LOGINUID;
	}
	if (kp_u64(s, F_PGID, &v) && kp_u64(s, F_SID, &w[0])) {
		p->pgid = (pid_t)v;
		p->sid = (pid_t)w[0];
		p->known |= QP_PGID_SID;
	}
	if (kp_u64(s, F_TTY, &v)) {
		if (v == 0) {
			p->tty_major = p->tty_minor = 0;
			p->known |= QP_TTY;
		} else if (kp_all(s, F_TTYMAJ, 3, w)) {
			p->tty_major = (uint32_t)w[0];
			p->tty_minor = (uint32_t)(w[1] + w[2]);
			p->known |= QP_TTY;
		}
	}
	for (i = 0; i < (int)nitems(ns_fid); i++) {
		if (ns_fid[i] == 0 || !kp_u64(s, ns_fid[i], &v) || v == 0)
			continue;
		p->ns[i] = (uint32_t)v;
		p->ns_known |= 1U << i;
	}
	if (kp_u64(s, F_PIDLVL, &lvl) && lvl < KP_PIDNS_LEVELS &&
	    kp_u64(s, F_PIDNS0 + (int)lvl, &v) && v != 0) {
		p->ns[QUARK_NS_PID] = (uint32_t)v;
		p->ns_known |= 1U << QUARK_NS_PID;
	}
	if (p->ns_known)
		p->known |= QP_NS;
}

/* The thread a task sample is about: 0 when the sample lacks it. */
static int
task_ids(const struct kp_sample *s, pid_t *pid, pid_t *tid)
{
	uint64_t	p, t;

	if (!kp_u64(s, F_TGID, &p) || !kp_u64(s, F_PID, &t) || p == 0)
		return (0);
	*pid = (pid_t)p;
	*tid = (pid_t)t;
	return (1);
}

static struct raw_event *
raw_new(uint32_t type, const struct kp_sample *s, pid_t pid, pid_t tid)
{
	struct raw_event	*raw;

	if ((raw = raw_event_alloc(type)) == NULL)
		return (NULL);
	raw->time = s->time;
	raw->cpu = s->cpu;
	raw->pid = raw->task.pid = pid;
	raw->tid = raw->task.tid = tid;
	if (pid != tid) {
		raw->flags |= RAW_F_THREAD;
		raw->task.known |= QP_TID;
	}
	return (raw);
}

static int
decode_fork(struct kp_decoder *d, const struct kp_sample *s)
{
	struct raw_event	*raw;
	pid_t			 pid, tid;

	if (!task_ids(s, &pid, &tid)) {
		errno = EBADMSG;
		return (-1);
	}
	if (cred_keep(d, s, tid) == -1 ||
	    (raw = raw_new(QUARK_EV_FORK, s, pid, tid)) == NULL)
		return (-1);
	task_decode(&raw->task, s);
	raw->fork.parent_pid = s->pid;
	raw->fork.parent_tid = s->tid;
	ready(d, raw);
	return (0);
}

/* wait(2) status of an exit, as the eBPF side computes it. */
static int
decode_exit(struct kp_decoder *d, const struct kp_sample *s)
{
	struct raw_event	*raw;
	uint64_t		 dead, v, sflags;
	uint32_t		 status;
	pid_t			 pid, tid;

	if (!task_ids(s, &pid, &tid) || !kp_u64(s, F_DEAD, &dead)) {
		errno = EBADMSG;
		return (-1);
	}
	cred_drop(d, tid);
	if ((raw = raw_new(QUARK_EV_EXIT, s, pid, tid)) == NULL)
		return (-1);
	task_decode(&raw->task, s);
	/* A thread's exit (not the group's last) is a thread record. */
	if (dead & 0xff) {
		raw->flags |= RAW_F_GROUP_DEAD;
		raw->flags &= ~RAW_F_THREAD;
		raw->task.known &= ~QP_TID;
		/* The group's code if it was taken down, else the leader's. */
		if (kp_u64(s, F_SFLAGS, &sflags) &&
		    kp_u64(s, (sflags & SIGNAL_GROUP_EXIT) ? F_GCODE : F_LCODE,
		    &v))
			goto status;
	} else {
		raw->flags |= RAW_F_THREAD;
		raw->task.known |= QP_TID;
		if (kp_u64(s, F_ECODE, &v))
			goto status;
	}
	ready(d, raw);		/* no status: the exit, without its code */
	return (0);
status:
	status = (uint32_t)v;
	process_wait_status(status, &raw->task);
	raw->task.exit_ns = s->time;
	ready(d, raw);
	return (0);
}

static int
decode_cred_call(struct kp_decoder *d, const struct kp_sample *s, int kind)
{
	struct raw_event	*raw;
	struct kcred		*c;
	uint64_t		 ret;
	uint32_t		 type;

	if (!kp_u64(s, F_RET, &ret)) {
		errno = EBADMSG;
		return (-1);
	}
	c = cred_find(d, s->tid);
	switch (kind) {
	case KP_SETUID:
	case KP_SETGID:
		if ((int64_t)ret != 0)
			return (0);
		type = kind == KP_SETUID ? QUARK_EV_SETUID : QUARK_EV_SETGID;
		break;
	case KP_SETFSUID:
	case KP_SETFSGID:
		/* Returns the old id: a change when the committed one differs. */
		if (c == NULL || (uint32_t)ret ==
		    (uint32_t)c->id[kind == KP_SETFSUID ? 6 : 7])
			return (0);
		type = kind == KP_SETFSUID ? QUARK_EV_SETUID : QUARK_EV_SETGID;
		break;
	case KP_SETSID:
		if ((int64_t)ret <= 0)
			return (0);
		if ((raw = raw_new(QUARK_EV_SETSID, s, s->pid, s->tid)) == NULL)
			return (-1);
		/* A new session, without a controlling terminal. */
		raw->task.pgid = raw->task.sid = (pid_t)ret;
		raw->task.tty_major = raw->task.tty_minor = 0;
		raw->task.known |= QP_PGID_SID | QP_TTY;
		ready(d, raw);
		return (0);
	default:
		errno = EINVAL;
		return (-1);
	}
	if ((raw = raw_new(type, s, s->pid, s->tid)) == NULL)
		return (-1);
	raw->flags |= RAW_F_CRED_CALL;
	if (c != NULL)
		cred_put(&raw->task, c);
	ready(d, raw);
	return (0);
}

static struct kexec *
exec_find(struct kp_decoder *d, pid_t tid)
{
	struct kexec	*x;

	TAILQ_FOREACH(x, &d->execs, entry)
		if (x->tid == tid)
			return (x);
	return (NULL);
}

/* Argv from the argv parts: the first argc strings, within the cap. */
static int
exec_args(struct kp_decoder *d, struct kexec *x)
{
	struct quark_process	*p = &x->raw->task;
	uint64_t		 argc = x->argc;
	size_t			 len = 0, n;
	uint32_t		 i, want;
	int			 k;

	if (!x->have_argc)
		return (0);
	want = argc > ARGV_MAX ? ARGV_MAX : (uint32_t)argc;
	for (k = 0; k * KP_ARGV_PER < (int)want; k++)
		if ((x->parts & (1U << (KP_ARGV0 + k))) == 0)
			return (0);	/* a part is missing: unknown */
	for (i = 0; i < want && x->argv[i] != NULL; i++)
		len += x->argv_len[i];
	if (len > d->argv_cap)
		len = d->argv_cap;
	if ((p->args = malloc(len + 1)) == NULL)
		return (-1);
	n = 0;
	for (i = 0; i < want && x->argv[i] != NULL && n < len; i++) {
		memcpy(p->args + n, x->argv[i], len - n < x->argv_len[i] ?
		    len - n : x->argv_len[i]);
		n += len - n < x->argv_len[i] ? len - n : x->argv_len[i];
	}
	p->args[len] = '\0';
	p->args_len = len;
	p->argc = (uint32_t)argc;
	if (i < argc || n < (size_t)p->args_total)
		p->truncated |= QPT_ARGS;
	if (p->args_total < len)
		p->args_total = len;
	p->known |= QP_ARGS;
	return (0);
}

/* Hands the exec out (once); x stays to swallow its late parts. */
static int
exec_hand(struct kp_decoder *d, struct kexec *x)
{
	if (x->raw == NULL)
		return (0);
	d->nexecs--;
	if (exec_args(d, x) == -1)
		return (-1);
	ready(d, x->raw);
	x->raw = NULL;
	return (0);
}

static int
exec_done(struct kp_decoder *d, struct kexec *x)
{
	int	r;

	r = exec_hand(d, x);
	TAILQ_REMOVE(&d->execs, x, entry);
	kexec_free(x);
	return (r);
}

/*
 * The parts this exec needs: all of them, but the argv parts past its
 * argc once argc is known.  Those still fire and are read, but one the
 * kernel dropped (a sample too big for perf: the environment follows the
 * arguments) must not hold the exec back.
 */
static uint32_t
exec_needs(const struct kp_decoder *d, const struct kexec *x)
{
	uint32_t	need = d->parts;
	int		k;

	if (!x->have_argc)
		return (need);
	for (k = 0; k < KP_ARGV_PROBES; k++)
		if ((uint64_t)k * KP_ARGV_PER >= x->argc)
			need &= ~(1U << (KP_ARGV0 + k));
	return (need);
}

static int
exec_part(struct kp_decoder *d, const struct kp_sample *s, int kind)
{
	struct kexec		*x;
	struct quark_process	*p;
	const char		*str;
	uint64_t		 v, w;
	uint32_t		 n;
	int			 i, at;

	/* A part seen already: a new exec, the old one is done. */
	if ((x = exec_find(d, s->tid)) != NULL &&
	    (x->parts & (1U << kind)) && exec_done(d, x) == -1)
		return (-1);
	if ((x = exec_find(d, s->tid)) != NULL && x->raw == NULL) {
		/* A late part of an exec handed out: nothing it needs. */
		x->parts |= 1U << kind;
		if ((x->parts & d->parts) == d->parts)
			return (exec_done(d, x));
		return (0);
	}
	if (x == NULL) {
		if ((x = calloc(1, sizeof(*x))) == NULL)
			return (-1);
		if ((x->raw = raw_new(QUARK_EV_EXEC, s, s->pid, s->tid)) ==
		    NULL) {
			free(x);
			return (-1);
		}
		x->tid = s->tid;
		x->time = s->time;
		TAILQ_INSERT_TAIL(&d->execs, x, entry);
		d->nexecs++;
	}
	x->parts |= 1U << kind;
	p = &x->raw->task;
	switch (kind) {
	case KP_EXECB:
		/* The first part in time: the exec's time is this one's. */
		x->raw->time = x->time = s->time;
		if ((str = kp_str(s, F_FILENAME, NULL)) != NULL &&
		    (p->filename = strdup(str)) != NULL)
			p->known |= QP_FILENAME;
		if (kp_u64(s, F_ARGC, &v)) {
			x->argc = (uint32_t)v;
			x->have_argc = 1;
		}
		if ((p->exe = kp_walk_path(s, F_XWALK, d->mnt_off)) != NULL) {
			p->known |= QP_EXE;
			if (kp_u64(s, F_XDEL, &v) && v == 0)
				p->truncated |= QPT_EXE_DELETED;
		}
		break;
	case KP_EXECTP:
		/* Not the pid itself: a thread that exec'd, now the leader. */
		if (kp_u64(s, F_OLDPID, &v) && (pid_t)v != s->pid)
			x->raw->exec.old_pid = (pid_t)v;
		break;
	case KP_EXEC:
		task_decode(p, s);
		if (cred_keep(d, s, s->tid) == -1)
			return (-1);
		if (kp_u64(s, F_ASTART, &v) && kp_u64(s, F_AEND, &w) && w >= v)
			p->args_total = w - v;
		/* The v2 path only: no v1 hierarchy's (see container.c). */
		if ((p->cgroup = kp_cgroup_path(s)) != NULL) {
			p->known |= QP_CGROUP | QP_CONTAINER;
			container_from_paths(p->cgroup, NULL, &p->container);
		}
		break;
	case KP_CWD:
		if ((p->cwd = kp_walk_path(s, F_CWALK, d->mnt_off)) == NULL)
			break;
		p->known |= QP_CWD;
		/* Removed, as d_unlinked() says: unhashed, and not a root. */
		if (kp_u64(s, F_CDEL, &v) && v == 0 &&
		    kp_u64(s, F_CWALK + W_P, &v) &&
		    kp_u64(s, F_CWALK + W_P + 1, &w) && v != w)
			p->truncated |= QPT_CWD_DELETED;
		break;
	default:	/* an argv part */
		at = (kind - KP_ARGV0) * KP_ARGV_PER;
		for (i = 0; i < KP_ARGV_PER; i++) {
			if ((str = kp_str(s, F_ARGV0 + i, &n)) == NULL)
				continue;
			free(x->argv[at + i]);
			if ((x->argv[at + i] = malloc(n)) == NULL)
				return (-1);
			memcpy(x->argv[at + i], str, n);
			x->argv_len[at + i] = n;
		}
		break;
	}
	if ((x->parts & d->parts) == d->parts)
		return (exec_done(d, x));
	if ((x->parts & exec_needs(d, x)) == exec_needs(d, x))
		return (exec_hand(d, x));
	return (0);
}

int
kp_decode(struct kp_decoder *d, const struct kp_sample *s)
{
	int	kind = s->fmt->kind;

	if (s->len < s->fmt->min_len) {
		errno = EBADMSG;
		return (-1);
	}
	switch (kind) {
	case KP_FORK:
		return (decode_fork(d, s));
	case KP_EXIT:
		return (decode_exit(d, s));
	case KP_CREDS:
		return (cred_keep(d, s, s->tid));
	case KP_SETUID:
	case KP_SETGID:
	case KP_SETFSUID:
	case KP_SETFSGID:
	case KP_SETSID:
		return (decode_cred_call(d, s, kind));
	default:
		if (kind >= KP_EXECB && kind < KP_ARGV0 + KP_ARGV_PROBES)
			return (exec_part(d, s, kind));
	}
	errno = EBADMSG;
	return (-1);
}

int
kp_decode_comm(struct kp_decoder *d, pid_t pid, pid_t tid, const char *comm,
    size_t len, uint64_t time)
{
	struct raw_event	*raw;
	struct kp_sample	 s;
	size_t			 n;

	memset(&s, 0, sizeof(s));
	s.time = time;
	if ((raw = raw_new(QUARK_EV_COMM, &s, pid, tid)) == NULL)
		return (-1);
	n = strnlen(comm, len < QUARK_COMM_LEN ? len : QUARK_COMM_LEN - 1);
	memcpy(raw->comm.comm, comm, n);
	raw->comm.comm[n] = '\0';
	memcpy(raw->task.comm, raw->comm.comm, sizeof(raw->task.comm));
	raw->task.known |= QP_COMM;
	ready(d, raw);
	return (0);
}

void
kp_decoder_expire(struct kp_decoder *d, uint64_t older_than)
{
	struct kexec	*x, *next;

	for (x = TAILQ_FIRST(&d->execs); x != NULL; x = next) {
		next = TAILQ_NEXT(x, entry);
		if (x->time < older_than)
			(void)exec_done(d, x);
	}
}

int
kp_decode_lost(struct kp_decoder *d, uint64_t count, uint64_t time)
{
	struct raw_event	*raw;

	if (count == 0)
		return (0);
	if ((raw = raw_event_alloc(RAW_LOST)) == NULL)
		return (-1);
	raw->lost.count = count;
	raw->time = time;
	d->lost += count;
	TAILQ_INSERT_TAIL(&d->ready, raw, entry);
	return (0);
}

uint64_t
kp_decoder_lost(const struct kp_decoder *d)
{
	return (d->lost);
}
