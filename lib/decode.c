/*
 * decode.c - one ring record -> one raw event.  The only user-side reader
 * of bpf/wire.h.
 *
 * Nothing in a record is trusted: the header length must fit in what the
 * ring handed us, the record must be at least its kind's fixed size, the
 * exec strings must add up to no more than the record holds, and the
 * strings that are C strings must end in their NUL.  Anything else is
 * EBADMSG, and not a byte is read outside [rec, rec + len).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quark_int.h"
#include "wire.h"

/* Fixed part of each kind, indexed by WIRE_*; 0 = unknown kind. */
static const size_t wire_size[WIRE_KIND_COUNT] = {
	[WIRE_FORK] = sizeof(struct wire_fork),
	[WIRE_EXEC] = sizeof(struct wire_exec),
	[WIRE_EXIT] = sizeof(struct wire_exit),
	[WIRE_CRED] = sizeof(struct wire_cred),
	[WIRE_COMM] = sizeof(struct wire_comm),
};

static const uint32_t wire_ns_slot[WIRE_NS_COUNT] = {
	[WIRE_NS_PID] = QUARK_NS_PID,
	[WIRE_NS_MNT] = QUARK_NS_MNT,
	[WIRE_NS_NET] = QUARK_NS_NET,
	[WIRE_NS_UTS] = QUARK_NS_UTS,
	[WIRE_NS_IPC] = QUARK_NS_IPC,
	[WIRE_NS_USER] = QUARK_NS_USER,
	[WIRE_NS_CGROUP] = QUARK_NS_CGROUP,
};

_Static_assert(WIRE_CAP_COUNT == QUARK_CAP_COUNT, "cap slots");
_Static_assert(WIRE_NS_COUNT == QUARK_NS_COUNT, "ns slots");
_Static_assert(sizeof(((struct wire_task *)0)->comm) == QUARK_COMM_LEN,
    "comm length");

static void
copy_comm(char *dst, const char *src)
{
	memcpy(dst, src, QUARK_COMM_LEN);
	dst[QUARK_COMM_LEN - 1] = '\0';
}

static void
decode_task(struct quark_process *p, const struct wire_hdr *h,
    const struct wire_task *t)
{
	int	i;

	p->pid = (pid_t)h->pid;
	p->tid = (pid_t)h->tid;
	if (h->flags & WIRE_F_THREAD)
		p->known |= QP_TID;
	p->ppid = (pid_t)t->ppid;
	p->pgid = (pid_t)t->pgid;
	p->sid = (pid_t)t->sid;
	p->known |= QP_PPID | QP_PGID_SID;
	p->uid = t->uid;
	p->gid = t->gid;
	p->euid = t->euid;
	p->egid = t->egid;
	p->suid = t->suid;
	p->sgid = t->sgid;
	p->fsuid = t->fsuid;
	p->fsgid = t->fsgid;
	p->known |= QP_CREDS | QP_FSCREDS;
	p->loginuid = t->loginuid;
	p->known |= QP_LOGINUID;
	for (i = 0; i < WIRE_CAP_COUNT; i++)
		p->cap[i] = t->cap[i];
	p->known |= QP_CAPS;
	if (t->flags & WIRE_TASK_NO_TTY)
		p->tty_major = p->tty_minor = 0;
	else {
		p->tty_major = t->tty_major;
		p->tty_minor = t->tty_minor;
	}
	p->known |= QP_TTY;
	for (i = 0; i < WIRE_NS_COUNT; i++) {
		if (t->ns[i] == 0)
			continue;
		p->ns[wire_ns_slot[i]] = t->ns[i];
		p->ns_known |= 1U << wire_ns_slot[i];
	}
	if (p->ns_known)
		p->known |= QP_NS;
	if (t->start_boottime != 0) {
		p->start_ns_raw = t->start_boottime;
		p->start_ns = quark_start_trunc(t->start_boottime);
		p->entity_id = quark_entity_id(p->pid, p->start_ns);
		p->known |= QP_START;
	}
	p->kthread = (t->flags & WIRE_TASK_KTHREAD) != 0;
	p->known |= QP_KTHREAD;
	copy_comm(p->comm, t->comm);
	p->known |= QP_COMM;
}

/*
 * Exec strings.  str[i] points into the record, n[i] bytes each; the sum
 * was checked against the record's length by the caller.
 */
static int
dup_cstr(char **dst, const char *s, uint32_t n)
{
	*dst = NULL;
	if (n == 0)
		return (0);
	if (s[n - 1] != '\0') {
		errno = EBADMSG;
		return (-1);
	}
	if ((*dst = strdup(s)) == NULL)
		return (-1);
	return (0);
}

/* Raw NUL-separated area, with one spare NUL (see quark_process). */
static int
dup_area(char **dst, const char *s, uint32_t n)
{
	*dst = NULL;
	if (n == 0)
		return (0);
	if ((*dst = malloc((size_t)n + 1)) == NULL)
		return (-1);
	memcpy(*dst, s, n);
	(*dst)[n] = '\0';
	return (0);
}

static int
decode_exec(struct raw_event *raw, const struct wire_exec *e, size_t len)
{
	struct quark_process	*p = &raw->task;
	const char		*str[WIRE_STR_COUNT];
	const char		*data = (const char *)(e + 1);
	char			*v1 = NULL;
	uint64_t		 sum = 0;
	int			 i;

	for (i = 0; i < WIRE_STR_COUNT; i++) {
		str[i] = data + sum;
		sum += e->len[i];
	}
	if (sum > len - sizeof(*e)) {
		errno = EBADMSG;
		return (-1);
	}
	if (dup_cstr(&p->filename, str[WIRE_STR_FILENAME],
	    e->len[WIRE_STR_FILENAME]) == -1 ||
	    dup_cstr(&p->exe, str[WIRE_STR_EXE], e->len[WIRE_STR_EXE]) == -1 ||
	    dup_cstr(&p->cwd, str[WIRE_STR_CWD], e->len[WIRE_STR_CWD]) == -1 ||
	    dup_cstr(&p->cgroup, str[WIRE_STR_CGROUP],
	    e->len[WIRE_STR_CGROUP]) == -1 ||
	    dup_area(&p->args, str[WIRE_STR_ARGS], e->len[WIRE_STR_ARGS]) == -1 ||
	    dup_cstr(&v1, str[WIRE_STR_CGROUP_V1],
	    e->len[WIRE_STR_CGROUP_V1]) == -1) {
		free(v1);
		return (-1);
	}
	/* A cut v1 path may have lost the component that names a container. */
	if (e->trunc & WIRE_T_CGROUP_V1) {
		free(v1);
		v1 = NULL;
	}
	if (e->flags & WIRE_EXEC_ENV) {
		if (dup_area(&p->env, str[WIRE_STR_ENV],
		    e->len[WIRE_STR_ENV]) == -1) {
			free(v1);
			return (-1);
		}
		p->env_len = e->len[WIRE_STR_ENV];
		p->envc = e->envc;
		p->known |= QP_ENV;
	}
	if (p->exe != NULL)
		p->known |= QP_EXE;
	if (p->filename != NULL)
		p->known |= QP_FILENAME;
	if (p->cwd != NULL)
		p->known |= QP_CWD;
	if (p->cgroup != NULL) {
		p->known |= QP_CGROUP | QP_CONTAINER;
		container_from_paths(p->cgroup, v1, &p->container);
	}
	free(v1);
	p->args_len = e->len[WIRE_STR_ARGS];
	p->args_total = e->args_total;
	p->argc = e->argc;
	p->known |= QP_ARGS;
	if (e->trunc & WIRE_T_EXE)
		p->truncated |= QPT_EXE;
	if (e->trunc & WIRE_T_ARGS)
		p->truncated |= QPT_ARGS;
	if (e->trunc & WIRE_T_CWD)
		p->truncated |= QPT_CWD;
	if (e->trunc & WIRE_T_CGROUP)
		p->truncated |= QPT_CGROUP;
	if (e->trunc & WIRE_T_ENV)
		p->truncated |= QPT_ENV;
	if (e->flags & WIRE_EXEC_EXE_DELETED)
		p->truncated |= QPT_EXE_DELETED;
	/* sched_process_exec's old_pid is the pid itself for a leader. */
	raw->exec.old_pid = e->old_pid != e->hdr.pid ? (pid_t)e->old_pid : 0;
	return (0);
}

static uint32_t
raw_type(const void *rec)
{
	const struct wire_hdr	*h = rec;
	const struct wire_cred	*c = rec;

	switch (h->kind) {
	case WIRE_FORK:
		return (QUARK_EV_FORK);
	case WIRE_EXEC:
		return (QUARK_EV_EXEC);
	case WIRE_EXIT:
		return (QUARK_EV_EXIT);
	case WIRE_COMM:
		return (QUARK_EV_COMM);
	case WIRE_CRED:
		switch (c->what) {
		case WIRE_CRED_SETUID:
			return (QUARK_EV_SETUID);
		case WIRE_CRED_SETGID:
			return (QUARK_EV_SETGID);
		case WIRE_CRED_SETSID:
			return (QUARK_EV_SETSID);
		}
		break;
	}
	return (RAW_TYPE_COUNT);
}

struct raw_event *
decode_record(const void *rec, size_t len)
{
	const struct wire_hdr	*h = rec;
	struct raw_event	*raw;
	uint32_t		 type;

	if (rec == NULL || len < sizeof(*h) || h->len < sizeof(*h) ||
	    h->len > len || h->kind >= WIRE_KIND_COUNT ||
	    wire_size[h->kind] == 0 || h->len < wire_size[h->kind] ||
	    (type = raw_type(rec)) == RAW_TYPE_COUNT) {
		errno = EBADMSG;
		return (NULL);
	}
	len = h->len;	/* never look past the record itself */
	if ((raw = raw_event_alloc(type)) == NULL)
		return (NULL);
	raw->time = h->time;
	raw->pid = (pid_t)h->pid;
	raw->tid = (pid_t)h->tid;
	raw->cpu = h->cpu;
	if (h->flags & WIRE_F_THREAD)
		raw->flags |= RAW_F_THREAD;
	/* Every kind starts with hdr + task (checked by the asserts). */
	decode_task(&raw->task, h, (const struct wire_task *)(h + 1));
	switch (h->kind) {
	case WIRE_FORK: {
		const struct wire_fork *f = rec;

		raw->fork.parent_pid = (pid_t)f->parent_pid;
		raw->fork.parent_tid = (pid_t)f->parent_tid;
		break;
	}
	case WIRE_EXEC:
		if (decode_exec(raw, rec, len) == -1)
			goto fail;
		break;
	case WIRE_EXIT: {
		const struct wire_exit *x = rec;

		process_wait_status(x->exit_code, &raw->task);
		raw->task.exit_ns = h->time;
		if (x->flags & WIRE_EXIT_GROUP_DEAD)
			raw->flags |= RAW_F_GROUP_DEAD;
		break;
	}
	case WIRE_CRED:
		/* The syscall returned 0: maybe without changing an id. */
		raw->flags |= RAW_F_CRED_CALL;
		break;
	case WIRE_COMM: {
		const struct wire_comm *c = rec;

		copy_comm(raw->comm.comm, c->comm);
		/* The context is "after": the task now has the new name. */
		copy_comm(raw->task.comm, c->comm);
		break;
	}
	}
	return (raw);
fail:
	raw_event_free(raw);
	return (NULL);
}

/* Every record kind is hdr, then task, at these offsets. */
_Static_assert(offsetof(struct wire_fork, task) == sizeof(struct wire_hdr),
    "fork task");
_Static_assert(offsetof(struct wire_exec, task) == sizeof(struct wire_hdr),
    "exec task");
_Static_assert(offsetof(struct wire_exit, task) == sizeof(struct wire_hdr),
    "exit task");
_Static_assert(offsetof(struct wire_cred, task) == sizeof(struct wire_hdr),
    "cred task");
_Static_assert(offsetof(struct wire_comm, task) == sizeof(struct wire_hdr),
    "comm task");
