/*
 * enrich.c - /proc enrichment of thin raw events: backends whose kernel
 * interface gives only pids (the proc connector, a tracefs kprobe) read
 * the rest from /proc right after the event, through scrape.c's pinned
 * reader (scrape_read_files(), quark_process_read()), so that a pid
 * reused while we read never lends its fields to the event.
 *
 * What /proc cannot say stays unknown: a process gone by the time we
 * read keeps its fields unknown, never the parent's, never made up.
 * Fields /proc gives only "now" (the scheduler state, an exit) are never
 * taken for the event's.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "quark_int.h"

/*
 * The child's start time, as /proc seeding would read it, and its comm:
 * inheriting the parent's would take a name the parent may only have
 * later (its exec aggregated into an earlier record).  A child that
 * already exec'd or renamed itself shows its new name, and that event
 * follows in the same record.
 */
void
enrich_fork(struct raw_event *raw)
{
	struct quark_process	p;

	/* stat and status allocate nothing: p needs no clearing. */
	memset(&p, 0, sizeof(p));
	if (scrape_read_files(raw->pid, 0, SCRAPE_STAT, &p) == -1 ||
	    p.pid != raw->pid)
		return;
	raw->task.start_ns = p.start_ns;
	raw->task.known |= QP_START;
	if (p.known & QP_COMM) {
		memcpy(raw->task.comm, p.comm, sizeof(raw->task.comm));
		raw->task.known |= QP_COMM;
	}
}

/* Everything /proc says about the new image; unknown if it is gone. */
void
enrich_exec(struct raw_event *raw, int qs, uint32_t argv_cap)
{
	struct quark_process	*p;

	if ((p = quark_process_read(raw->pid, qs)) == NULL)
		return;
	quark_process_clear(&raw->task);
	raw->task = *p;
	free(p);
	/* As the kernel backends capture it: argc and size are the whole. */
	if ((raw->task.known & QP_ARGS) && raw->task.args_len > argv_cap) {
		raw->task.args_len = argv_cap;
		raw->task.truncated |= QPT_ARGS;
	}
	raw->task.pid = raw->pid;
	/* A later exec before this moment: the image may be its (apply.c). */
	raw->proc_read_ns = quark_boot_now();
	/* Not the exec's: the scheduler state of the moment (maybe "Z"). */
	raw->task.known &= ~(QP_TID | QP_EXIT | QP_STATE);
}

int
enrich_ids(struct raw_event *raw)
{
	struct quark_process	p;
	int			same;

	/* stat and status allocate nothing: p needs no clearing. */
	memset(&p, 0, sizeof(p));
	if (scrape_read_files(raw->pid, raw->tid, SCRAPE_STATUS, &p) == -1 ||
	    (p.known & (QP_CREDS | QP_FSCREDS)) != (QP_CREDS | QP_FSCREDS) ||
	    p.pid != raw->pid)
		return (-1);
	if (raw->type == QUARK_EV_SETUID)
		same = p.uid == raw->task.uid && p.euid == raw->task.euid;
	else
		same = p.gid == raw->task.gid && p.egid == raw->task.egid;
	if (!same)
		return (-1);
	raw->task.uid = p.uid;
	raw->task.euid = p.euid;
	raw->task.suid = p.suid;
	raw->task.fsuid = p.fsuid;
	raw->task.gid = p.gid;
	raw->task.egid = p.egid;
	raw->task.sgid = p.sgid;
	raw->task.fsgid = p.fsgid;
	raw->task.known |= QP_CREDS | QP_FSCREDS;
	return (0);
}

int
enrich_group_threads(pid_t tgid, uint64_t exit_ns, int *live)
{
	struct quark_process	p;

	*live = 0;
	memset(&p, 0, sizeof(p));
	if (scrape_read_files(tgid, 0, SCRAPE_STAT, &p) == -1 ||
	    (p.known & QP_NTHREADS) == 0 || p.pid != tgid)
		return (0);
	/*
	 * A task that runs on (not Z, not X) and started in a clock tick
	 * before the exit's: the same process.  A new one on the pid starts
	 * after the old one's exit, so not before its tick (a pid taken at
	 * once, through ns_last_pid or clone3's set_tid, is in the same
	 * tick).  A process that exec'd by a thread within its first tick
	 * is left to nl_hold(): its exec's message follows.
	 */
	if ((p.known & (QP_STATE | QP_START)) == (QP_STATE | QP_START) &&
	    p.state != 'Z' && p.state != 'X' &&
	    p.start_ns < quark_start_trunc(exit_ns))
		*live = 1;
	return (p.nthreads > INT_MAX ? INT_MAX : (int)p.nthreads);
}

int
enrich_comm(pid_t pid, char comm[QUARK_COMM_LEN])
{
	struct quark_process	p;

	/* stat allocates nothing: p needs no clearing. */
	memset(&p, 0, sizeof(p));
	if (scrape_read_files(pid, 0, SCRAPE_STAT, &p) == -1)
		return (-1);
	if (p.pid != pid || (p.known & QP_COMM) == 0) {
		errno = ESRCH;
		return (-1);
	}
	memcpy(comm, p.comm, QUARK_COMM_LEN);
	return (0);
}
