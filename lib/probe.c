/*
 * probe.c - what the kernel offers quark.  The one place that asks: `quark
 * btf` reports it, the backend ladder (verdict.c) chooses watch's
 * backend from it, and the eBPF loader (ebpf.c) takes its privileges,
 * tracefs and tracepoint facts from here.
 *
 * Every probe asks the kernel directly (a trivial program load, a map
 * create, a socket) rather than guessing from versions or config files.
 * A refusal with EPERM means "unusable" when we hold the capabilities
 * (the kernel or a security policy says no) and "unknown" when we do not
 * (root might get a different answer).
 */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "quark_int.h"
#include "kprobe.h"

#define VMLINUX_BTF	"/sys/kernel/btf/vmlinux"
#define TRACEFS_MAGIC	0x74726163
#define CAP_SYS_ADMIN_	21
#define CAP_PERFMON_	38
#define CAP_BPF_	39

static const char *const facility_names[PROBE_COUNT] = {
	[PROBE_BTF] = "btf",
	[PROBE_BPF_SYSCALL] = "bpf_syscall",
	[PROBE_RINGBUF] = "ringbuf",
	[PROBE_RAW_TP] = "raw_tracepoint",
	[PROBE_TP_BTF] = "tp_btf",
	[PROBE_SCHED_TP] = "sched_tracepoints",
	[PROBE_TASK_RENAME] = "task_rename_tracepoint",
	[PROBE_SYSCALL_TP] = "syscall_tracepoints",
	[PROBE_RAW_SYSCALLS] = "raw_syscalls_tracepoint",
	[PROBE_FENTRY] = "fentry",
	[PROBE_KPROBE] = "kprobe",
	[PROBE_BPF_LSM] = "bpf_lsm",
	[PROBE_PERF_TP] = "perf_tracepoint",
	[PROBE_PROC_CONNECTOR] = "proc_connector",
	[PROBE_TRACEFS] = "tracefs",
	[PROBE_CAP_BPF] = "cap_bpf",
	[PROBE_CAP_PERFMON] = "cap_perfmon",
	[PROBE_CAP_SYS_ADMIN] = "cap_sys_admin",
	[PROBE_BPF_OBJECT] = "bpf_object",
};

static const char *const state_names[PROBE_STATE_COUNT] = {
	[PROBE_ABSENT] = "absent",
	[PROBE_OK] = "available",
	[PROBE_UNUSABLE] = "unusable",
	[PROBE_UNKNOWN] = "unknown",
	[PROBE_MOUNTABLE] = "mountable",
};

/* The tracepoints quark attaches to, by their BTF typedef. */
static const char *const sched_tps[] = {
	"sched_process_fork", "sched_process_exec", "sched_process_exit",
};

/* The credential syscalls whose exit tracepoints quark may use. */
static const char *const cred_syscalls[] = {
	"setuid", "setgid", "setreuid", "setregid", "setresuid",
	"setresgid", "setfsuid", "setfsgid", "setsid",
};

/* Functions to try fentry and BPF LSM loads against, first found wins. */
static const char *const fentry_targets[] = {
	"do_exit", "wake_up_new_task", "do_nanosleep",
};

const char *
probe_name(int f)
{
	return (f >= 0 && f < PROBE_COUNT ? facility_names[f] : "?");
}

const char *
probe_state_name(int s)
{
	return (s >= 0 && s < PROBE_STATE_COUNT ? state_names[s] : "?");
}

static void
set(struct quark_probe *p, int f, int state, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
set(struct quark_probe *p, int f, int state, const char *fmt, ...)
{
	va_list	ap;

	p->state[f] = state;
	va_start(ap, fmt);
	vsnprintf(p->why[f], sizeof(p->why[f]), fmt, ap);
	va_end(ap);
}

/* A refusal: whose fault it is depends on what we hold. */
static void
set_errno(struct quark_probe *p, int f, int err, const char *what)
{
	if (err == EPERM || err == EACCES) {
		if (p->privileged)
			set(p, f, PROBE_UNUSABLE, "%s: %s (refused although "
			    "privileged)", what, strerror(err));
		else
			set(p, f, PROBE_UNKNOWN, "%s: %s (needs CAP_BPF and "
			    "CAP_PERFMON, or root)", what, strerror(err));
	} else if (err == EINVAL || err == EOPNOTSUPP || err == ENOENT ||
	    err == 524 /* ENOTSUPP */ || err == ENOSYS || err == E2BIG)
		set(p, f, PROBE_ABSENT, "%s: %s (not supported by this "
		    "kernel)", what, strerror(err));
	else
		set(p, f, PROBE_UNUSABLE, "%s: %s", what, strerror(err));
}

void
probe_caps(struct quark_probe *p)
{
	static const struct { int f, bit; } caps[] = {
		{ PROBE_CAP_BPF, CAP_BPF_ },
		{ PROBE_CAP_PERFMON, CAP_PERFMON_ },
		{ PROBE_CAP_SYS_ADMIN, CAP_SYS_ADMIN_ },
	};
	unsigned long long	 eff = 0;
	char			 line[256];
	FILE			*f;
	size_t			 i;
	int			 found = 0;

	if ((f = fopen("/proc/self/status", "re")) != NULL) {
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = sscanf(line, "CapEff: %llx", &eff) == 1;
		fclose(f);
	}
	for (i = 0; i < nitems(caps); i++) {
		if (!found)
			set(p, caps[i].f, PROBE_UNKNOWN, "no CapEff in "
			    "/proc/self/status");
		else if (eff & (1ULL << caps[i].bit))
			set(p, caps[i].f, PROBE_OK, "held (CapEff %llx)", eff);
		else
			set(p, caps[i].f, PROBE_ABSENT, "not held (CapEff "
			    "%llx)", eff);
	}
	p->cap_bpf = p->state[PROBE_CAP_BPF] == PROBE_OK;
	p->cap_perfmon = p->state[PROBE_CAP_PERFMON] == PROBE_OK;
	p->cap_sys_admin = p->state[PROBE_CAP_SYS_ADMIN] == PROBE_OK;
	p->privileged = (p->cap_bpf && p->cap_perfmon) || p->cap_sys_admin;
}

/* "r0 = 0; exit": loads as any type.  fd, or -1 with errno. */
static int
prog_load(enum bpf_prog_type type, enum bpf_attach_type at, int btf_id)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o,
	    .expected_attach_type = at,
	    .attach_btf_id = btf_id > 0 ? (uint32_t)btf_id : 0);

	return (bpf_prog_load(type, NULL, "GPL", insns, nitems(insns), &o));
}

/* Loads a program of a type; sets facility f from the outcome. */
static void
probe_load(struct quark_probe *p, int f, enum bpf_prog_type type,
    enum bpf_attach_type at, int btf_id, const char *what)
{
	int	fd;

	if (p->state[PROBE_BPF_SYSCALL] != PROBE_OK) {
		set(p, f, PROBE_UNKNOWN, "cannot tell: bpf(2) not usable");
		return;
	}
	if ((fd = prog_load(type, at, btf_id)) == -1) {
		set_errno(p, f, errno, what);
		return;
	}
	close(fd);
	set(p, f, PROBE_OK, "%s: loads", what);
}

static void
probe_maps(struct quark_probe *p)
{
	long	page = sysconf(_SC_PAGESIZE);
	int	fd;

	if ((fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1,
	    NULL)) == -1) {
		if (errno == ENOSYS)
			set(p, PROBE_BPF_SYSCALL, PROBE_ABSENT, "bpf(2): %s "
			    "(CONFIG_BPF_SYSCALL off)", strerror(errno));
		else if (errno == EPERM && !p->privileged)
			set(p, PROBE_BPF_SYSCALL, PROBE_UNUSABLE, "bpf(2): %s "
			    "(needs CAP_BPF, or root)", strerror(errno));
		else if (errno == EPERM)
			set(p, PROBE_BPF_SYSCALL, PROBE_UNUSABLE, "bpf(2) "
			    "refused although privileged (a seccomp filter or "
			    "a security policy forbids BPF): %s",
			    strerror(errno));
		else
			set(p, PROBE_BPF_SYSCALL, PROBE_UNUSABLE, "bpf(2): %s",
			    strerror(errno));
	} else {
		close(fd);
		set(p, PROBE_BPF_SYSCALL, PROBE_OK, "bpf(2) creates maps");
	}
	if (p->state[PROBE_BPF_SYSCALL] != PROBE_OK) {
		set(p, PROBE_RINGBUF, PROBE_UNKNOWN, "cannot tell: bpf(2) "
		    "not usable");
		return;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0,
	    (uint32_t)(page > 0 ? page : 4096), NULL);
	if (fd == -1)
		set_errno(p, PROBE_RINGBUF, errno, "BPF_MAP_TYPE_RINGBUF");
	else {
		close(fd);
		set(p, PROBE_RINGBUF, PROBE_OK, "BPF_MAP_TYPE_RINGBUF "
		    "creates");
	}
}

static int
btf_has(const struct btf *btf, const char *name, int kind)
{
	return (btf != NULL && btf__find_by_name_kind(btf, name, kind) > 0);
}

/* Tracepoints by their btf_trace_NAME typedefs (what tp_btf attaches). */
static void
probe_tracepoints(struct quark_probe *p, const struct btf *btf)
{
	char	name[64];
	size_t	i;

	if (btf == NULL) {
		set(p, PROBE_SCHED_TP, PROBE_UNKNOWN, "cannot tell: no BTF");
		set(p, PROBE_TASK_RENAME, PROBE_UNKNOWN, "cannot tell: no BTF");
		set(p, PROBE_RAW_SYSCALLS, PROBE_UNKNOWN, "cannot tell: no "
		    "BTF");
		return;
	}
	set(p, PROBE_SCHED_TP, PROBE_OK, "btf_trace_sched_process_{fork,"
	    "exec,exit} in BTF");
	for (i = 0; i < nitems(sched_tps); i++) {
		snprintf(name, sizeof(name), "btf_trace_%s", sched_tps[i]);
		if (!btf_has(btf, name, BTF_KIND_TYPEDEF)) {
			set(p, PROBE_SCHED_TP, PROBE_ABSENT, "no %s in BTF",
			    name);
			break;
		}
	}
	if (btf_has(btf, "btf_trace_task_rename", BTF_KIND_TYPEDEF))
		set(p, PROBE_TASK_RENAME, PROBE_OK, "btf_trace_task_rename "
		    "in BTF");
	else
		set(p, PROBE_TASK_RENAME, PROBE_ABSENT, "no "
		    "btf_trace_task_rename in BTF");
	if (btf_has(btf, "btf_trace_sys_exit", BTF_KIND_TYPEDEF))
		set(p, PROBE_RAW_SYSCALLS, PROBE_OK, "btf_trace_sys_exit in "
		    "BTF");
	else
		set(p, PROBE_RAW_SYSCALLS, PROBE_ABSENT, "no "
		    "btf_trace_sys_exit in BTF (CONFIG_FTRACE_SYSCALLS off?)");
}

static int
first_func(const struct btf *btf, const char *const *names, size_t n,
    const char **which)
{
	int32_t	id;
	size_t	i;

	for (i = 0; btf != NULL && i < n; i++) {
		if ((id = btf__find_by_name_kind(btf, names[i],
		    BTF_KIND_FUNC)) > 0) {
			*which = names[i];
			return (id);
		}
	}
	return (-1);
}

static void
probe_progs(struct quark_probe *p, const struct btf *btf)
{
	const char	*fn = NULL;
	char		 what[96];
	int32_t		 id;

	probe_load(p, PROBE_RAW_TP, BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0,
	    "raw_tp program");
	id = btf ? btf__find_by_name_kind(btf, "btf_trace_sched_process_exec",
	    BTF_KIND_TYPEDEF) : -1;
	if (id <= 0)
		set(p, PROBE_TP_BTF, btf ? PROBE_ABSENT : PROBE_UNKNOWN,
		    "no btf_trace_sched_process_exec to attach to");
	else
		probe_load(p, PROBE_TP_BTF, BPF_PROG_TYPE_TRACING,
		    BPF_TRACE_RAW_TP, id, "tp_btf/sched_process_exec");
	if ((id = first_func(btf, fentry_targets, nitems(fentry_targets),
	    &fn)) <= 0)
		set(p, PROBE_FENTRY, btf ? PROBE_ABSENT : PROBE_UNKNOWN,
		    "no function in BTF to attach to");
	else {
		snprintf(what, sizeof(what), "fentry/%s", fn);
		probe_load(p, PROBE_FENTRY, BPF_PROG_TYPE_TRACING,
		    BPF_TRACE_FENTRY, id, what);
	}
	id = btf ? btf__find_by_name_kind(btf, "bpf_lsm_bprm_check_security",
	    BTF_KIND_FUNC) : -1;
	if (id <= 0)
		set(p, PROBE_BPF_LSM, btf ? PROBE_ABSENT : PROBE_UNKNOWN,
		    "no bpf_lsm_bprm_check_security in BTF "
		    "(CONFIG_BPF_LSM off)");
	else
		probe_load(p, PROBE_BPF_LSM, BPF_PROG_TYPE_LSM, BPF_LSM_MAC,
		    id, "lsm/bprm_check_security");
}

/* An LSM program that loads is still useless unless "bpf" is active. */
static void
probe_lsm_active(struct quark_probe *p)
{
	char	 buf[512];
	FILE	*f;

	if (p->state[PROBE_BPF_LSM] != PROBE_OK)
		return;
	if ((f = fopen("/sys/kernel/security/lsm", "re")) == NULL) {
		set(p, PROBE_BPF_LSM, PROBE_UNKNOWN, "loads, but the active "
		    "LSMs are unknown: /sys/kernel/security/lsm: %s",
		    strerror(errno));
		return;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	if (strstr(buf, "bpf") == NULL)
		set(p, PROBE_BPF_LSM, PROBE_ABSENT, "\"bpf\" not among the "
		    "active LSMs (%.64s)", buf);
}

static void
probe_connector(struct quark_probe *p)
{
	struct sockaddr_nl	sa;
	int			fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (fd == -1) {
		if (errno == EPROTONOSUPPORT || errno == EAFNOSUPPORT)
			set(p, PROBE_PROC_CONNECTOR, PROBE_ABSENT, "netlink "
			    "connector: %s (CONFIG_CONNECTOR off)",
			    strerror(errno));
		else
			set(p, PROBE_PROC_CONNECTOR, PROBE_UNUSABLE, "netlink "
			    "connector socket: %s", strerror(errno));
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = CN_IDX_PROC;
	sa.nl_pid = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		set(p, PROBE_PROC_CONNECTOR, errno == EPERM && !p->privileged ?
		    PROBE_UNKNOWN : PROBE_UNUSABLE, "bind to CN_IDX_PROC: %s",
		    strerror(errno));
	else
		set(p, PROBE_PROC_CONNECTOR, PROBE_OK, "bound to CN_IDX_PROC");
	close(fd);
}

static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

static int
is_dir(const char *path)
{
	struct stat	st;

	return (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

static void
probe_syscall_tp(struct quark_probe *p, const char *dir)
{
	char	path[256];
	size_t	i;

	for (i = 0; i < nitems(cred_syscalls); i++) {
		snprintf(path, sizeof(path), "%s/events/syscalls/sys_exit_%s",
		    dir, cred_syscalls[i]);
		if (!is_dir(path)) {
			set(p, PROBE_SYSCALL_TP, PROBE_ABSENT, "no "
			    "syscalls:sys_exit_%s in %s/events",
			    cred_syscalls[i], dir);
			return;
		}
	}
	set(p, PROBE_SYSCALL_TP, PROBE_OK, "syscalls:sys_exit_{setuid,...,"
	    "setsid} in %s/events", dir);
}

static void
probe_perf_tp(struct quark_probe *p, const char *dir)
{
	struct perf_event_attr	 a;
	char			 path[256];
	unsigned long long	 id;
	FILE			*f;
	int			 fd, ok;

	snprintf(path, sizeof(path), "%s/events/sched/sched_process_exec/id",
	    dir);
	if ((f = fopen(path, "re")) == NULL) {
		set(p, PROBE_PERF_TP, PROBE_ABSENT, "%s: %s", path,
		    strerror(errno));
		return;
	}
	ok = fscanf(f, "%llu", &id) == 1;
	fclose(f);
	if (!ok) {
		set(p, PROBE_PERF_TP, PROBE_UNUSABLE, "%s: no id", path);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = id;
	a.sample_period = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, -1, 0, -1,
	    PERF_FLAG_FD_CLOEXEC);
	if (fd == -1)
		set_errno(p, PROBE_PERF_TP, errno,
		    "perf_event_open(sched:sched_process_exec)");
	else {
		close(fd);
		set(p, PROBE_PERF_TP, PROBE_OK, "perf_event_open on "
		    "sched:sched_process_exec works");
	}
}

/* The kprobe PMU (Linux 4.17+), else legacy kprobe_events in tracefs. */
static void
probe_kprobe(struct quark_probe *p, const char *dir)
{
	char	path[256];

	/* The kprobe backend creates its probes there (lib/kprobe.c). */
	if (dir != NULL) {
		snprintf(path, sizeof(path), "%s/kprobe_events", dir);
		p->kprobe_events = access(path, F_OK) == 0;
	}
	if (access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0) {
		set(p, PROBE_KPROBE, PROBE_OK, "kprobe PMU in "
		    "/sys/bus/event_source/devices");
		return;
	}
	if (dir == NULL) {
		set(p, PROBE_KPROBE, PROBE_ABSENT, "no kprobe PMU in "
		    "/sys/bus/event_source/devices (tracefs not checked)");
		return;
	}
	snprintf(path, sizeof(path), "%s/kprobe_events", dir);
	if (access(path, F_OK) == 0)
		set(p, PROBE_KPROBE, PROBE_OK, "%s exists", path);
	else
		set(p, PROBE_KPROBE, PROBE_ABSENT, "no kprobe PMU, no %s "
		    "(CONFIG_KPROBE_EVENTS off)", path);
}

static void
tracefs_checks(struct quark_probe *p, const char *dir)
{
	char	path[256];

	/* tracefs is root-only by default: unreadable is not absent. */
	snprintf(path, sizeof(path), "%s/events", dir);
	if (access(path, R_OK | X_OK) == -1) {
		set(p, PROBE_SYSCALL_TP, PROBE_UNKNOWN, "cannot tell: %s: %s",
		    path, strerror(errno));
		set(p, PROBE_PERF_TP, PROBE_UNKNOWN, "cannot tell: %s: %s",
		    path, strerror(errno));
		probe_kprobe(p, NULL);
		return;
	}
	probe_syscall_tp(p, dir);
	probe_perf_tp(p, dir);
	probe_kprobe(p, dir);
}

/*
 * tracefs is not mounted: mount it in a child's private mount namespace,
 * run the checks there and send the results back.  The namespace, and
 * the mount with it, dies with the child.  0, or -1 if that failed.
 */
static int
tracefs_private(struct quark_probe *p, const char *dir)
{
	static const int	 fs[] = { PROBE_SYSCALL_TP, PROBE_PERF_TP,
				    PROBE_KPROBE };
	struct quark_probe	*c;
	size_t			 got = 0, i;
	ssize_t			 r;
	pid_t			 pid;
	int			 fds[2], status;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (-1);
	if (pipe2(fds, O_CLOEXEC) == -1) {
		free(c);
		return (-1);
	}
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		free(c);
		return (-1);
	}
	if (pid == 0) {
		close(fds[0]);
		if (unshare(CLONE_NEWNS) == 0 &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		    mount("tracefs", dir, "tracefs", 0, NULL) == 0) {
			tracefs_checks(p, dir);
			(void)!write(fds[1], p, sizeof(*p));
		}
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(*c) && ((r = read(fds[0], (char *)c + got,
	    sizeof(*c) - got)) > 0 || (r == -1 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	for (i = 0; got == sizeof(*c) && i < nitems(fs); i++) {
		p->state[fs[i]] = c->state[fs[i]];
		snprintf(p->why[fs[i]], sizeof(p->why[0]), "%s (tracefs "
		    "mounted for the check)", c->why[fs[i]]);
	}
	free(c);
	return (got == sizeof(*c) ? 0 : -1);
}

static void
probe_tracefs(struct quark_probe *p)
{
	struct statfs	sf;
	const char	*dir = tracefs_dirs[0];
	size_t		 i;

	for (i = 0; i < nitems(tracefs_dirs); i++) {
		if (statfs(tracefs_dirs[i], &sf) == 0 &&
		    sf.f_type == TRACEFS_MAGIC) {
			snprintf(p->tracefs_path, sizeof(p->tracefs_path),
			    "%s", tracefs_dirs[i]);
			set(p, PROBE_TRACEFS, PROBE_OK, "mounted at %s",
			    tracefs_dirs[i]);
			tracefs_checks(p, tracefs_dirs[i]);
			return;
		}
	}
	if (p->cap_sys_admin && is_dir(dir) && tracefs_private(p, dir) == 0) {
		set(p, PROBE_TRACEFS, PROBE_MOUNTABLE, "not mounted; mountable "
		    "at %s (mount -t tracefs nodev %s)", dir, dir);
		return;
	}
	set(p, PROBE_TRACEFS, p->cap_sys_admin ? PROBE_ABSENT : PROBE_UNKNOWN,
	    "not mounted%s", p->cap_sys_admin ? ", and mounting failed" :
	    "; mounting it needs CAP_SYS_ADMIN");
	set(p, PROBE_SYSCALL_TP, PROBE_UNKNOWN, "cannot tell: tracefs not "
	    "mounted");
	set(p, PROBE_PERF_TP, PROBE_UNKNOWN, "cannot tell: tracefs not "
	    "mounted");
	probe_kprobe(p, NULL);
}

/*
 * Whether the kprobe backend's probes can be written from this BTF (the
 * members they read, under their names of this kernel): lib/kpfetch.c
 * writes them here as the backend will.
 */
static void
probe_kprobe_btf(struct quark_probe *p, const struct btf *btf)
{
	static const int	 kinds[] = { KP_FORK, KP_EXECB, KP_EXEC,
				    KP_CWD, KP_ARGV0, KP_EXIT };
	char			*line, why[160];
	size_t			 i;

	p->kprobe_btf = 0;
	snprintf(p->kprobe_btf_why, sizeof(p->kprobe_btf_why), "no BTF");
	if (btf == NULL || (line = malloc(4096)) == NULL)
		return;
	for (i = 0; i < nitems(kinds); i++) {
		if (kp_probe_line(btf, kinds[i], "probe", line, 4096, why,
		    sizeof(why)) == -1) {
			snprintf(p->kprobe_btf_why, sizeof(p->kprobe_btf_why),
			    "%s", why);
			free(line);
			return;
		}
	}
	free(line);
	p->kprobe_btf = 1;
	snprintf(p->kprobe_btf_why, sizeof(p->kprobe_btf_why), "every "
	    "member the probes read is in the BTF");
}

/*
 * Does the sched_process_exit tracepoint pass group_dead?  Its BTF
 * typedef btf_trace_sched_process_exit is a pointer to a prototype of
 * (void *, struct task_struct *[, bool group_dead]).
 */
int
probe_exit_group_dead(const struct btf *kbtf)
{
	struct btf		*own = NULL;
	const struct btf_type	*t;
	int			 id, n = 0;

	if (kbtf == NULL && (kbtf = own = btf__load_vmlinux_btf()) == NULL)
		return (0);
	id = btf__find_by_name_kind(kbtf, "btf_trace_sched_process_exit",
	    BTF_KIND_TYPEDEF);
	if (id > 0 && (t = btf__type_by_id(kbtf, id)) != NULL &&
	    (t = btf__type_by_id(kbtf, t->type)) != NULL &&
	    btf_is_ptr(t) && (t = btf__type_by_id(kbtf, t->type)) != NULL &&
	    btf_is_func_proto(t))
		n = btf_vlen(t);
	btf__free(own);
	return (n == 3);
}

const char *
probe_syscall_tp_ready(void)
{
	const char	*dir = tracefs_dirs[0];
	char		 tp[128], ev[128];
	struct stat	 st;

	snprintf(tp, sizeof(tp), "%s/events/syscalls/sys_exit_setuid", dir);
	snprintf(ev, sizeof(ev), "%s/events", dir);
	if (stat(tp, &st) == 0)
		return (NULL);
	if (stat(ev, &st) == -1 &&
	    mount("nodev", dir, "tracefs", 0, NULL) == -1)
		return ("tracefs not mounted and cannot be mounted");
	if (stat(tp, &st) == -1)
		return ("no syscalls:sys_exit_setuid tracepoint");
	return (NULL);
}

/*
 * quark's own BPF object, loaded once and never attached (ebpf.c): what
 * the trivial programs above cannot tell, such as a security policy that
 * withholds the probe-read helpers from tracing programs.
 */
static void
probe_object(struct quark_probe *p)
{
	static const int	needs[] = { PROBE_BTF, PROBE_BPF_SYSCALL,
				    PROBE_RINGBUF };
	char			why[sizeof(p->why[0])];
	size_t			i;

	if (!p->privileged) {
		set(p, PROBE_BPF_OBJECT, PROBE_UNKNOWN, "cannot tell: "
		    "loading it needs CAP_BPF and CAP_PERFMON, or root");
		return;
	}
	for (i = 0; i < nitems(needs); i++) {
		if (p->state[needs[i]] != PROBE_OK) {
			set(p, PROBE_BPF_OBJECT, PROBE_UNKNOWN, "cannot tell: "
			    "%s %s", probe_name(needs[i]),
			    probe_state_name(p->state[needs[i]]));
			return;
		}
	}
	if (ebpf_object_check(why, sizeof(why)) == 0)
		set(p, PROBE_BPF_OBJECT, PROBE_OK, "%s", why);
	else if (errno == ENOMEM || errno == EMFILE)
		set(p, PROBE_BPF_OBJECT, PROBE_UNKNOWN, "cannot tell: %s",
		    why);
	else
		set(p, PROBE_BPF_OBJECT, PROBE_UNUSABLE, "%s", why);
}

/* The int members from state[]. */
static void
probe_ints(struct quark_probe *p)
{
	p->btf = p->state[PROBE_BTF] == PROBE_OK;
	p->bpf_syscall = p->state[PROBE_BPF_SYSCALL] == PROBE_OK;
	p->ringbuf = p->state[PROBE_RINGBUF] == PROBE_OK;
	p->raw_tp = p->state[PROBE_RAW_TP] == PROBE_OK;
	p->tp_btf = p->state[PROBE_TP_BTF] == PROBE_OK;
	p->fentry = p->state[PROBE_FENTRY] == PROBE_OK;
	p->kprobe = p->state[PROBE_KPROBE] == PROBE_OK;
	p->bpf_lsm = p->state[PROBE_BPF_LSM] == PROBE_OK;
	p->perf_tp = p->state[PROBE_PERF_TP] == PROBE_OK;
	p->proc_connector = p->state[PROBE_PROC_CONNECTOR] == PROBE_OK;
	p->tracefs = p->state[PROBE_TRACEFS] == PROBE_OK;
	p->syscall_tp = p->state[PROBE_SYSCALL_TP] == PROBE_OK;
	p->sched_tp = p->state[PROBE_SCHED_TP] == PROBE_OK;
	p->task_rename = p->state[PROBE_TASK_RENAME] == PROBE_OK;
	p->raw_syscalls = p->state[PROBE_RAW_SYSCALLS] == PROBE_OK;
}

/* Caps, BTF, maps, the hook programs, tracepoints: both probes start so. */
static struct btf *
probe_base(struct quark_probe *p, const struct btf **kbtf)
{
	struct btf	*own = NULL;
	char		 err[96];
	int		 i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < PROBE_COUNT; i++)
		set(p, i, PROBE_UNKNOWN, "not probed");
	snprintf(p->btf_path, sizeof(p->btf_path), "%s", VMLINUX_BTF);
	probe_caps(p);
	if (*kbtf == NULL && (*kbtf = own = btfinfo_load(VMLINUX_BTF, err,
	    sizeof(err))) == NULL)
		set(p, PROBE_BTF, errno == ENOENT ? PROBE_ABSENT :
		    PROBE_UNUSABLE, "%s: %s%s", VMLINUX_BTF, err,
		    errno == ENOENT ? " (CONFIG_DEBUG_INFO_BTF off)" : "");
	else
		set(p, PROBE_BTF, PROBE_OK, "%s: %u types", VMLINUX_BTF,
		    btf__type_cnt(*kbtf) - 1);
	probe_maps(p);
	probe_progs(p, *kbtf);
	probe_tracepoints(p, *kbtf);
	p->exit_group_dead = probe_exit_group_dead(*kbtf);
	probe_connector(p);
	return (own);
}

int
probe_kernel_btf(struct quark_probe *p, const struct btf *kbtf)
{
	struct btf	*own;

	own = probe_base(p, &kbtf);
	probe_lsm_active(p);
	probe_tracefs(p);
	probe_object(p);
	probe_kprobe_btf(p, kbtf);
	btf__free(own);
	probe_ints(p);
	return (0);
}

int
probe_kernel_ladder(struct quark_probe *p)
{
	const struct btf	*kbtf = NULL;
	struct btf		*own;

	own = probe_base(p, &kbtf);
	probe_tracefs(p);
	set(p, PROBE_BPF_OBJECT, PROBE_UNKNOWN, "not probed: the eBPF "
	    "backend's own load tells");
	probe_kprobe_btf(p, kbtf);
	btf__free(own);
	probe_ints(p);
	return (0);
}

int
probe_kernel(struct quark_probe *p)
{
	return (probe_kernel_btf(p, NULL));
}
