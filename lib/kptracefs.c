/*
 * kptracefs.c - the kprobe backend's tracefs side: the events quark reads
 * (kprobe.h: struct kp_events): the kprobes it creates in its group
 * "quark" (kprobe_events), named KIND_PID so that two quarks never share
 * one, the tracepoints it reads, the `format` file of each (what
 * kpformat.c decodes samples with), and their removal: at close, and at
 * the next start for those of a quark killed by SIGKILL (a KIND_PID name
 * whose pid runs no quark).  The probe lines come from kpfetch.c; the
 * perf rings that read the events are kprobe.c's.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kprobe.h"

#define TRACEFS		"/sys/kernel/tracing"
#define GROUP		KP_GROUP
#define LINE_BYTES	4096

int
kp_tracefs_open(struct kp_events *st)
{
	static const char *const dirs[] = { TRACEFS,
	    "/sys/kernel/debug/tracing" };
	struct stat	sb;
	char		path[128];
	size_t		i;

	for (i = 0; i < nitems(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (stat(path, &sb) == 0) {
			snprintf(st->tracefs, sizeof(st->tracefs), "%s",
			    dirs[i]);
			return (0);
		}
	}
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) == -1)
		return (-1);
	snprintf(st->tracefs, sizeof(st->tracefs), "%s", TRACEFS);
	return (0);
}

static int
tracefs_write(struct kp_events *st, const char *file, const char *line)
{
	char	path[128];
	int	fd, saved;
	ssize_t	n;

	snprintf(path, sizeof(path), "%s/%s", st->tracefs, file);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1)
		return (-1);
	n = write(fd, line, strlen(line));
	saved = errno;
	close(fd);
	errno = saved;
	return (n == (ssize_t)strlen(line) ? 0 : -1);
}

static char *
tracefs_read(struct kp_events *st, const char *file, size_t *len)
{
	char	path[256], *buf = NULL, *nb;
	size_t	cap = 0, n = 0;
	ssize_t	r;
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", st->tracefs, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? cap * 2 : 16384;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				goto fail;
			buf = nb;
		}
		if ((r = read(fd, buf + n, cap - n)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return (buf);
fail:
	free(buf);
	close(fd);
	return (NULL);
}

/* Is pid a running quark?  Its name now, from /proc (enrich.c). */
static int
is_quark(pid_t pid)
{
	char	comm[QUARK_COMM_LEN];

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return (0);
	if (enrich_comm(pid, comm) == -1)
		return (0);
	return (strncmp(comm, "quark", 5) == 0);
}

/*
 * Removes the probes of quarks that are gone (SIGKILL leaves them):
 * lines "p:quark/KIND_PID ..." whose PID runs no quark.
 */
void
kp_stale_remove(struct kp_events *st)
{
	char		*buf, *line, *next, *name, *us, cmd[96];
	size_t		 len;
	long		 pid;

	if ((buf = tracefs_read(st, "kprobe_events", &len)) == NULL)
		return;
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((name = strchr(line, ':')) == NULL ||
		    strncmp(name + 1, GROUP "/", strlen(GROUP) + 1) != 0)
			continue;
		name += strlen(GROUP) + 2;
		name[strcspn(name, " ")] = '\0';
		if ((us = strrchr(name, '_')) == NULL)
			continue;
		pid = strtol(us + 1, NULL, 10);
		if (pid <= 0 || pid == getpid() || is_quark((pid_t)pid))
			continue;
		snprintf(cmd, sizeof(cmd), "-:%s/%s\n", GROUP, name);
		(void)tracefs_write(st, "kprobe_events", cmd);
	}
	free(buf);
}

static const char *const kind_names[KP_KIND_COUNT] = {
	[KP_FORK] = "fork", [KP_EXECB] = "execb", [KP_EXEC] = "exec",
	[KP_CWD] = "cwd", [KP_ARGV0] = "argv0", [KP_ARGV0 + 1] = "argv1",
	[KP_EXIT] = "exit", [KP_CREDS] = "creds",
};

static int
format_load(struct kp_events *st, struct kp_event *ev, const char *dir)
{
	char	path[160], *text;
	size_t	len;
	int	r;

	snprintf(path, sizeof(path), "events/%s/format", dir);
	if ((text = tracefs_read(st, path, &len)) == NULL)
		return (-1);
	r = kp_format_parse(&ev->fmt, text, len);
	free(text);
	ev->fmt.kind = ev->kind;
	return (r);
}

int
kp_kprobe_add(struct kp_events *st, const struct btf *btf, int kind, char *why,
    size_t whylen)
{
	struct kp_event	*ev = &st->ev[st->nev];
	char		*line, dir[96], func[64];

	if ((line = malloc(LINE_BYTES)) == NULL)
		return (-1);
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	snprintf(ev->name, sizeof(ev->name), "%s_%d", kind_names[kind],
	    (int)getpid());
	if (kp_probe_line(btf, kind, ev->name, line, LINE_BYTES, why,
	    whylen) == -1) {
		free(line);
		return (-1);
	}
	snprintf(func, sizeof(func), "%s", why);
	if (tracefs_write(st, "kprobe_events", line) == -1) {
		snprintf(why, whylen, "creating a kprobe on %s: %s", func,
		    strerror(errno));
		free(line);
		return (-1);
	}
	free(line);
	ev->created = 1;
	st->nev++;
	snprintf(dir, sizeof(dir), "%s/%s", GROUP, ev->name);
	if (format_load(st, ev, dir) == -1) {
		snprintf(why, whylen, "reading the format of %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	why[0] = '\0';
	return (0);
}

/* The syscall exit tracepoints of the credential calls. */
static const struct {
	const char	*name;
	int		 kind;
} cred_tps[] = {
	{ "sys_exit_setuid", KP_SETUID }, { "sys_exit_setreuid", KP_SETUID },
	{ "sys_exit_setresuid", KP_SETUID }, { "sys_exit_setgid", KP_SETGID },
	{ "sys_exit_setregid", KP_SETGID }, { "sys_exit_setresgid", KP_SETGID },
	{ "sys_exit_setfsuid", KP_SETFSUID },
	{ "sys_exit_setfsgid", KP_SETFSGID },
	{ "sys_exit_setsid", KP_SETSID },
};

/* sched:sched_process_exec, for old_pid: optional. */
int
kp_exec_tracepoint_add(struct kp_events *st)
{
	struct kp_event	*ev = &st->ev[st->nev];

	memset(ev, 0, sizeof(*ev));
	ev->kind = KP_EXECTP;
	snprintf(ev->name, sizeof(ev->name), "sched_process_exec");
	if (format_load(st, ev, "sched/sched_process_exec") == -1 ||
	    ev->fmt.slot[F_OLDPID] < 0)
		return (-1);
	st->nev++;
	return (0);
}

int
kp_cred_tracepoints_add(struct kp_events *st)
{
	struct kp_event	*ev;
	char		 dir[96];
	size_t		 i;

	if (st->nev + nitems(cred_tps) > KP_EVENTS) {
		errno = E2BIG;
		return (-1);
	}
	for (i = 0; i < nitems(cred_tps); i++) {
		ev = &st->ev[st->nev];
		memset(ev, 0, sizeof(*ev));
		ev->kind = cred_tps[i].kind;
		snprintf(ev->name, sizeof(ev->name), "%s", cred_tps[i].name);
		snprintf(dir, sizeof(dir), "syscalls/%s", cred_tps[i].name);
		if (format_load(st, ev, dir) == -1)
			return (-1);
		st->nev++;
	}
	return (0);
}


void
kp_events_remove(struct kp_events *st, int from)
{
	char	cmd[96];

	while (st->nev > from) {
		st->nev--;
		if (!st->ev[st->nev].created)
			continue;
		snprintf(cmd, sizeof(cmd), "-:%s/%s\n", GROUP,
		    st->ev[st->nev].name);
		(void)tracefs_write(st, "kprobe_events", cmd);
	}
}
