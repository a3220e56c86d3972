/*
 * t_btf.c - BTF reading, CO-RE relocation reading, member lookup, verdict.
 *
 * The fuzz part feeds truncated and corrupted BTF (the machine's own
 * vmlinux BTF, and a small object built from tests/fixtures/core.bpf.c)
 * to the same entry points `quark btf --btf` uses: every input must give
 * a clean error or a clean result, never a crash (run it under ASan:
 * make BUILD=build/san SANITIZE=1 tests).  Run from the top directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/btf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "quark_int.h"
#include "test.h"

#define VMLINUX		"/sys/kernel/btf/vmlinux"
#define FIXTURE		"tests/fixtures/core.bpf.c"

static char	err[256];

static int
quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return (0);
}

static void *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 cap = 0, n;

	*len = 0;
	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		if ((n = fread(buf + *len, 1, cap - *len, f)) == 0)
			break;
		*len += n;
	}
	fclose(f);
	return (buf);
}

/* Build the fixture object with the BPF compiler the Makefile uses. */
static void *
fixture(size_t *len)
{
	char		 cmd[512], out[] = "/tmp/t_btf.XXXXXX";
	const char	*cc = getenv("BPF_CLANG");
	void		*obj;
	int		 fd;

	if ((fd = mkstemp(out)) == -1)
		return (NULL);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s -g -O2 -target bpf "
	    "-I/usr/include/$(uname -m)-linux-gnu -c %s -o %s",
	    cc ? cc : "clang-19", FIXTURE, out);
	obj = system(cmd) == 0 ? slurp(out, len) : NULL;
	unlink(out);
	return (obj);
}

/* Whatever came out of a corrupt input, using it must be safe. */
static void
use(struct btf *btf)
{
	static const struct btfinfo_want w[] = {
		{ BTFINFO_FIELD, BTF_KIND_STRUCT, 0, "task_struct", "tgid" },
		{ BTFINFO_FIELD, BTF_KIND_STRUCT, 0, "task_struct", "state" },
		{ BTFINFO_FIELD, BTF_KIND_STRUCT, 0, "mm_struct", "arg_start" },
		{ BTFINFO_FIELD, BTF_KIND_STRUCT, 0, "fs_struct",
		    "pwd.dentry" },
		{ BTFINFO_TYPE, BTF_KIND_STRUCT, 0, "qstr", "" },
		{ BTFINFO_ENUMVAL, BTF_KIND_ENUM, 0, "pid_type",
		    "PIDTYPE_TGID" },
	};
	struct btfinfo_found	f;
	size_t			i;

	for (i = 0; btf != NULL && i < nitems(w); i++)
		(void)btfinfo_find(btf, &w[i], &f);
	btf__free(btf);
}

static void
t_load_errors(void)
{
	static const char text[] = "#!/bin/sh\necho not btf\n";
	char	dir[] = "/tmp/t_btf.dXXXXXX";

	T_CASE("load errors");
	T_CHECK(btfinfo_load("/nonexistent/btf", err, sizeof(err)) == NULL);
	T_EQ_INT(errno, ENOENT);
	T_EQ_STR(err, strerror(ENOENT));
	T_CHECK(mkdtemp(dir) != NULL);
	T_CHECK(btfinfo_load(dir, err, sizeof(err)) == NULL);
	T_EQ_STR(err, strerror(EISDIR));
	rmdir(dir);
	T_CHECK(btfinfo_load_mem("", 0, err, sizeof(err)) == NULL);
	T_EQ_STR(err, "empty file");
	T_CHECK(btfinfo_load_mem(text, sizeof(text), err, sizeof(err)) ==
	    NULL);
	T_EQ_STR(err, "not BTF (no BTF magic, not ELF)");
	T_CHECK(btfinfo_load_mem("\x7f" "ELF", 4, err, sizeof(err)) == NULL);
	T_EQ_STR(err, "corrupt ELF file");
}

/* vmlinux: truncations everywhere; header and type-section flips. */
static void
t_fuzz_vmlinux(void)
{
	struct btf_header	 h;
	unsigned char		*buf;
	struct btf		*btf;
	size_t			 len, cut, i, bad = 0, ok = 0, n = 0;
	unsigned		 seed = 1;

	T_CASE("fuzz vmlinux");
	buf = slurp(VMLINUX, &len);
	if (!T_CHECK(buf != NULL && len > sizeof(h)))
		return;
	memcpy(&h, buf, sizeof(h));
	btf = btfinfo_load_mem(buf, len, err, sizeof(err));
	T_CHECK(btf != NULL);
	use(btf);
	/* Every truncation is refused, with a reason that says so. */
	for (cut = 0; cut < len; cut = cut < 64 ? cut + 1 : cut * 5 / 4) {
		btf = btfinfo_load_mem(buf, cut, err, sizeof(err));
		bad += btf == NULL && (cut == 0 || strstr(err, "truncated") ||
		    strstr(err, "not BTF"));
		use(btf);
		n++;
	}
	T_EQ_INT(bad, n);
	btf = btfinfo_load_mem(buf, len - 1, err, sizeof(err));
	T_CHECK(btf == NULL && strstr(err, "truncated") != NULL);
	/* Every header byte, a few values each. */
	for (i = 0; i < sizeof(h); i++) {
		static const unsigned char x[] = { 0x01, 0x80, 0xff };
		size_t k;

		for (k = 0; k < sizeof(x); k++) {
			buf[i] ^= x[k];
			btf = btfinfo_load_mem(buf, len, err, sizeof(err));
			ok += btf != NULL;
			use(btf);
			buf[i] ^= x[k];
		}
	}
	T_CHECK(ok < sizeof(h) * 3);	/* most header flips are refused */
	/* Random single-byte flips in the first 64 KiB of types. */
	for (i = 0; i < 40; i++) {
		size_t at = h.hdr_len + h.type_off + rand_r(&seed) % 65536;
		unsigned char v = (unsigned char)(1 + rand_r(&seed) % 255);

		buf[at] ^= v;
		use(btfinfo_load_mem(buf, len, err, sizeof(err)));
		buf[at] ^= v;
	}
	T_CHECK(1);	/* reached: no crash */
	free(buf);
}

/* The fixture's relocations: exactly what core.bpf.c reads. */
static void
t_relocs(const void *obj, size_t len)
{
	static const struct {
		int		 kind;
		const char	*type, *member;
	} want[] = {
		{ BTFINFO_FIELD, "fs_struct", "pwd.dentry" },
		{ BTFINFO_FIELD, "mm_struct", "arg_start" },
		{ BTFINFO_TYPE, "qstr", "" },
		{ BTFINFO_FIELD, "task_struct", "fs" },
		{ BTFINFO_FIELD, "task_struct", "mm" },
		{ BTFINFO_FIELD, "task_struct", "real_parent" },
		/* __state and task_struct___old.state: one, renamed */
		{ BTFINFO_FIELD, "task_struct", "state" },
		{ BTFINFO_FIELD, "task_struct", "tgid" },
	};
	struct btfinfo_want	*w;
	size_t			 n, i;

	T_CASE("fixture relocations");
	if (!T_CHECK(btfinfo_relocs(obj, len, &w, &n, err, sizeof(err)) == 0))
		return;
	T_EQ_INT(n, nitems(want));
	for (i = 0; i < n && i < nitems(want); i++) {
		T_EQ_INT(w[i].kind, want[i].kind);
		T_EQ_STR(w[i].type, want[i].type);
		T_EQ_STR(w[i].member, want[i].member);
		T_EQ_INT(w[i].flags, BTFINFO_F_BPF);
	}
	free(w);
}

/* Lookups against the fixture's own BTF: offsets we can work out. */
static void
t_find(const void *obj, size_t len)
{
	static const struct {
		const char	*type, *member, *matched;
		int		 present;
		uint32_t	 offset, size;
	} cases[] = {
		{ "task_struct", "tgid", "tgid", 1, 0, 4 },
		{ "task_struct", "real_parent", "real_parent", 1, 8, 8 },
		{ "task_struct", "mm", "mm", 1, 24, 8 },
		{ "task_struct", "state", "__state", 1, 32, 4 },
		{ "task_struct", "__state", "__state", 1, 32, 4 },
		{ "task_struct", "comm", NULL, 0, 0, 0 },
		{ "mm_struct", "arg_start", "arg_start", 1, 0, 8 },
		{ "fs_struct", "pwd.dentry", "pwd.dentry", 1, 0, 8 },
		{ "fs_struct", "pwd.mnt", NULL, 0, 0, 0 },
		{ "no_such_struct", "x", NULL, 0, 0, 0 },
	};
	struct btfinfo_want	 w;
	struct btfinfo_found	 f;
	struct btf		*btf;
	size_t			 i;

	T_CASE("find");
	btf = btfinfo_load_mem(obj, len, err, sizeof(err));
	if (!T_CHECK(btf != NULL))
		return;
	for (i = 0; i < nitems(cases); i++) {
		memset(&w, 0, sizeof(w));
		w.kind = BTFINFO_FIELD;
		snprintf(w.type, sizeof(w.type), "%s", cases[i].type);
		snprintf(w.member, sizeof(w.member), "%s", cases[i].member);
		T_EQ_INT(btfinfo_find(btf, &w, &f), 0);
		T_EQ_INT(f.present, cases[i].present);
		if (!cases[i].present)
			continue;
		T_EQ_STR(f.matched, cases[i].matched);
		T_EQ_INT(f.bit_offset, cases[i].offset * 8);
		T_EQ_INT(f.size, cases[i].size);
	}
	btf__free(btf);
}

/* Every byte of the object, three ways: no crash, errors say why. */
static void
t_fuzz_object(const unsigned char *obj, size_t len)
{
	static const unsigned char x[] = { 0x01, 0x80, 0xff };
	struct btfinfo_want	*w;
	unsigned char		*buf;
	size_t			 i, k, n, silent = 0;

	T_CASE("fuzz object");
	if ((buf = malloc(len)) == NULL)
		abort();
	memcpy(buf, obj, len);
	for (i = 0; i < len; i++) {
		for (k = 0; k < sizeof(x); k++) {
			buf[i] ^= x[k];
			err[0] = '\0';
			if (btfinfo_relocs(buf, len, &w, &n, err,
			    sizeof(err)) == 0)
				free(w);
			else
				silent += err[0] == '\0';
			use(btfinfo_load_mem(buf, len, err, sizeof(err)));
			buf[i] ^= x[k];
		}
	}
	for (i = 0; i < len; i += 7) {
		if (btfinfo_relocs(buf, i, &w, &n, err, sizeof(err)) == 0)
			free(w);
		use(btfinfo_load_mem(buf, i, err, sizeof(err)));
	}
	T_EQ_INT(silent, 0);
	free(buf);
}

/* A struct whose anonymous members are itself: lookups must end. */
static void
t_cycle(void)
{
	struct btfinfo_want	 w = { BTFINFO_FIELD, BTF_KIND_STRUCT, 0,
				    "s", "nope" };
	struct btfinfo_found	 f;
	struct btf		*b, *btf;
	const void		*raw;
	uint32_t		 len;
	int			 s, i;

	T_CASE("anonymous member cycle");
	b = btf__new_empty();
	T_CHECK(btf__add_int(b, "int", 4, BTF_INT_SIGNED) == 1);
	T_CHECK((s = btf__add_struct(b, "s", 8)) == 2);
	for (i = 0; i < 4; i++)
		T_EQ_INT(btf__add_field(b, NULL, s, 0, 0), 0);
	T_EQ_INT(btf__add_field(b, "x", 1, 0, 0), 0);
	raw = btf__raw_data(b, &len);
	btf = btfinfo_load_mem(raw, len, err, sizeof(err));
	if (T_CHECK(btf != NULL)) {
		T_EQ_INT(btfinfo_find(btf, &w, &f), 0);
		T_EQ_INT(f.present, 0);
		snprintf(w.member, sizeof(w.member), "x");
		T_EQ_INT(btfinfo_find(btf, &w, &f), 0);
		T_EQ_INT(f.present, 1);
		T_EQ_INT(f.size, 4);
	}
	btf__free(btf);
	btf__free(b);
}

static void
all_ok(struct quark_probe *p)
{
	int	i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < PROBE_COUNT; i++) {
		p->state[i] = PROBE_OK;
		snprintf(p->why[i], sizeof(p->why[i]), "why %d", i);
	}
	p->privileged = 1;
	p->kprobe_events = 1;
}

static void
t_verdict(void)
{
	static const struct {
		const char	*name;
		int		 priv, f1, s1, f2, s2;
		const char	*backend, *hooks, *mode;
		int		 creds, fentry, kprobe;
	} cases[] = {
		{ "this machine", 1, PROBE_FENTRY, PROBE_UNUSABLE,
		  PROBE_KPROBE, PROBE_ABSENT,
		  "ebpf", "tp_btf", "tracepoint-only", 1, 0, 0 },
		{ "everything", 1, -1, 0, -1, 0,
		  "ebpf", "tp_btf", "tracepoint-only", 1, 1, 1 },
		{ "unprivileged", 0, -1, 0, -1, 0,
		  "none", NULL, NULL, 0, 0, 0 },
		/*
		 * eBPF cannot work: kprobes without BPF if they can, else
		 * the proc connector (the same ladder as lib/queue.c).
		 */
		{ "no ring buffer", 1, PROBE_RINGBUF, PROBE_ABSENT, -1, 0,
		  "kprobe", NULL, NULL, 1, 0, 0 },
		{ "bpf(2) refused (seccomp)", 1, PROBE_BPF_SYSCALL,
		  PROBE_UNUSABLE, -1, 0, "kprobe", NULL, NULL, 1, 0, 0 },
		{ "bpf(2) refused, no syscall tracepoints", 1,
		  PROBE_BPF_SYSCALL, PROBE_UNUSABLE, PROBE_SYSCALL_TP,
		  PROBE_ABSENT, "kprobe", NULL, NULL, 0, 0, 0 },
		{ "no ring buffer, no kprobes", 1, PROBE_RINGBUF, PROBE_ABSENT,
		  PROBE_KPROBE, PROBE_ABSENT, "netlink", NULL, NULL, 1, 0, 0 },
		{ "bpf(2) refused, no perf tracepoints", 1, PROBE_BPF_SYSCALL,
		  PROBE_UNUSABLE, PROBE_PERF_TP, PROBE_UNUSABLE,
		  "netlink", NULL, NULL, 1, 0, 0 },
		/* Both need BTF. */
		{ "no BTF", 1, PROBE_BTF, PROBE_ABSENT, -1, 0,
		  "netlink", NULL, NULL, 1, 0, 0 },
		{ "no BTF, no connector", 1, PROBE_BTF, PROBE_ABSENT,
		  PROBE_PROC_CONNECTOR, PROBE_ABSENT,
		  "none", NULL, NULL, 0, 0, 0 },
		{ "no bpf(2), connector refused: kprobes", 1,
		  PROBE_BPF_SYSCALL, PROBE_UNUSABLE, PROBE_PROC_CONNECTOR,
		  PROBE_UNUSABLE, "kprobe", NULL, NULL, 1, 0, 0 },
		{ "no BTF, connector refused", 1, PROBE_BTF, PROBE_ABSENT,
		  PROBE_PROC_CONNECTOR, PROBE_UNUSABLE,
		  "none", NULL, NULL, 0, 0, 0 },
		{ "raw_tp only", 1, PROBE_TP_BTF, PROBE_UNUSABLE, -1, 0,
		  "ebpf", "raw_tp", "tracepoint-only", 1, 1, 1 },
		{ "no hooks", 1, PROBE_TP_BTF, PROBE_ABSENT, PROBE_RAW_TP,
		  PROBE_ABSENT, "kprobe", NULL, NULL, 1, 0, 0 },
		{ "raw syscalls only", 1, PROBE_SYSCALL_TP, PROBE_UNKNOWN,
		  PROBE_FENTRY, PROBE_ABSENT,
		  "ebpf", "tp_btf", "tracepoint-only", 0, 0, 1 },
		{ "no syscall hooks", 1, PROBE_SYSCALL_TP, PROBE_ABSENT,
		  PROBE_RAW_SYSCALLS, PROBE_ABSENT,
		  "ebpf", "tp_btf", "tracepoint-only", 0, 1, 1 },
		/*
		 * lockdown=confidentiality: the trivial programs load, quark's
		 * own are refused (probe-read helpers withheld).
		 */
		{ "object refused", 1, PROBE_BPF_OBJECT, PROBE_UNUSABLE, -1, 0,
		  "kprobe", NULL, NULL, 1, 0, 0 },
		{ "object refused, no kprobes", 1, PROBE_BPF_OBJECT,
		  PROBE_UNUSABLE, PROBE_KPROBE, PROBE_ABSENT,
		  "netlink", NULL, NULL, 1, 0, 0 },
		/* Not probed (watch's AUTO): the backend's own load tells. */
		{ "object not probed", 1, PROBE_BPF_OBJECT, PROBE_UNKNOWN, -1, 0,
		  "ebpf", "tp_btf", "tracepoint-only", 1, 1, 1 },
		/* The loader mounts a mountable tracefs (lib/ebpf.c). */
		{ "tracefs not mounted", 1, PROBE_TRACEFS, PROBE_MOUNTABLE,
		  -1, 0,
		  "ebpf", "tp_btf", "tracepoint-only", 1, 1, 1 },
		{ "tracefs absent", 1, PROBE_TRACEFS, PROBE_ABSENT,
		  -1, 0,
		  "ebpf", "tp_btf", "tracepoint-only", 0, 1, 1 },
	};
	struct quark_probe	p;
	struct probe_verdict	v;
	size_t			i;

	for (i = 0; i < nitems(cases); i++) {
		T_CASE(cases[i].name);
		all_ok(&p);
		p.privileged = cases[i].priv;
		if (cases[i].f1 != -1)
			p.state[cases[i].f1] = cases[i].s1;
		if (cases[i].f2 != -1)
			p.state[cases[i].f2] = cases[i].s2;
		probe_verdict(&p, &v);
		T_EQ_STR(v.backend, cases[i].backend);
		T_EQ_STR(v.hooks, cases[i].hooks);
		T_EQ_STR(v.mode, cases[i].mode);
		T_EQ_INT(v.on[FEAT_CREDS], cases[i].creds);
		T_EQ_INT(v.on[FEAT_FENTRY], cases[i].fentry);
		T_EQ_INT(v.on[FEAT_KPROBE], cases[i].kprobe);
		T_CHECK(v.why[0] != '\0');
		T_CHECK(v.feat_why[FEAT_FENTRY][0] != '\0');
	}
	T_CASE("unprivileged reason");
	all_ok(&p);
	p.privileged = 0;
	probe_verdict(&p, &v);
	T_CHECK(strstr(v.why, "try sudo") != NULL);
	T_CASE("netlink reason says why not eBPF");
	all_ok(&p);
	p.state[PROBE_BTF] = PROBE_ABSENT;
	probe_verdict(&p, &v);
	T_EQ_STR(v.backend, "netlink");
	T_CHECK(strstr(v.why, "why 0") != NULL);
	T_CHECK(strstr(v.why, "proc connector") != NULL);
	T_EQ_INT(v.on[FEAT_COMM], 1);
	T_CASE("refused object, no kprobes: netlink, the reason says so");
	all_ok(&p);
	p.kprobe_events = 0;
	p.state[PROBE_BPF_OBJECT] = PROBE_UNUSABLE;
	snprintf(p.why[PROBE_BPF_OBJECT], sizeof(p.why[0]), "program of this "
	    "type cannot use helper bpf_probe_read#4");
	probe_verdict(&p, &v);
	T_EQ_STR(v.backend, "netlink");
	T_CHECK(strstr(v.why, "refuses quark's BPF programs") != NULL);
	T_CHECK(strstr(v.why, "bpf_probe_read#4") != NULL);
	T_CHECK(strstr(v.why, "falling back to the proc connector") != NULL);
	T_CASE("kprobe reason says why not eBPF");
	all_ok(&p);
	p.state[PROBE_BPF_SYSCALL] = PROBE_UNUSABLE;
	probe_verdict(&p, &v);
	T_EQ_STR(v.backend, "kprobe");
	T_CHECK(strstr(v.why, "why 1") != NULL);
	T_CHECK(strstr(v.why, "kprobes without BPF") != NULL);
	T_CASE("netlink reason says why not kprobes either");
	p.kprobe_events = 0;
	probe_verdict(&p, &v);
	T_EQ_STR(v.backend, "netlink");
	T_CHECK(strstr(v.why, "kprobe_events") != NULL);
	T_CASE("off reason names the facility");
	all_ok(&p);
	p.state[PROBE_FENTRY] = PROBE_UNUSABLE;
	probe_verdict(&p, &v);
	T_CHECK(strstr(v.feat_why[FEAT_FENTRY], "fentry unusable") != NULL);
}

/* probe_kernel(): the ints agree with the states, reasons are filled. */
static void
t_probe(void)
{
	struct quark_probe	p;
	int			i;

	T_CASE("probe_kernel");
	T_EQ_INT(probe_kernel(&p), 0);
	for (i = 0; i < PROBE_COUNT; i++)
		T_CHECK(p.why[i][0] != '\0');
	T_EQ_INT(p.btf, p.state[PROBE_BTF] == PROBE_OK);
	T_EQ_INT(p.fentry, p.state[PROBE_FENTRY] == PROBE_OK);
	T_EQ_INT(p.kprobe, p.state[PROBE_KPROBE] == PROBE_OK);
	T_EQ_INT(p.tp_btf, p.state[PROBE_TP_BTF] == PROBE_OK);
	T_EQ_STR(p.btf_path, VMLINUX);
}

int
main(void)
{
	void	*obj;
	size_t	 len;

	libbpf_set_print(quiet);
	t_load_errors();
	t_fuzz_vmlinux();
	T_CASE("fixture");
	obj = fixture(&len);
	if (T_CHECK(obj != NULL)) {
		t_relocs(obj, len);
		t_find(obj, len);
		t_fuzz_object(obj, len);
	}
	free(obj);
	t_cycle();
	t_verdict();
	t_probe();
	return (t_done());
}
