/*
 * t_fuzz.c - bad input never crashes quark and never yields invalid JSON.
 *
 * Deterministic random inputs (fixed seed, so a failure reproduces) and
 * mutations of valid samples go through every parser that sees bytes from
 * outside: /proc files, ring records, cgroup paths, and the UTF-8
 * sanitizer + NDJSON writer.  Run under ASan+UBSan by `make check`, so a
 * read past a buffer fails the run even where no invariant notices.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "quark_int.h"
#include "kprobe.h"
#include "wire.h"
#include "ndjson.h"
#include "utf8.h"
#include "test.h"

#define ROUNDS	20000
#define MAXLEN	600

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_rand(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545f4914f6cdd1dULL);
}

/* Random bytes, biased towards the characters parsers split on. */
static void
fill_random(unsigned char *buf, size_t len)
{
	static const char	special[] = " ()\n:\t0123456789/-\\\xff\xc3\xe2";
	size_t			i;

	for (i = 0; i < len; i++) {
		if (next_rand() % 3 == 0)
			buf[i] = (unsigned char)special[next_rand() %
			    (sizeof(special) - 1)];
		else
			buf[i] = (unsigned char)next_rand();
	}
}

/* Flip, insert-like overwrite or truncate a copy of a valid sample. */
static size_t
mutate(unsigned char *buf, size_t cap, const char *sample)
{
	size_t	len = strlen(sample), i, n;

	if (len > cap)
		len = cap;
	memcpy(buf, sample, len);
	n = 1 + next_rand() % 4;
	for (i = 0; i < n && len > 0; i++)
		buf[next_rand() % len] = (unsigned char)next_rand();
	if (next_rand() % 4 == 0)
		len = next_rand() % (len + 1);
	return (len);
}

/* Exact-size heap copy so that ASan sees any read past the end. */
static char *
exact(const unsigned char *buf, size_t len)
{
	char	*p = malloc(len ? len : 1);

	if (p != NULL)
		memcpy(p, buf, len);
	return (p);
}

static const char stat_sample[] = "1234 (a (b) c) S 1 1234 1234 34816 1234 "
    "4194560 100 0 0 0 1 2 0 0 20 0 1 0 4242 10000000 300 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
static const char status_sample[] = "Name:\tbash\nUmask:\t0022\nState:\tS\n"
    "Tgid:\t1234\nNgid:\t0\nPid:\t1234\nPPid:\t1\nUid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\nThreads:\t1\nCapInh:\t0000000000000000\n"
    "CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
    "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n";
static const char cgroup_sample[] = "0::/system.slice/docker-"
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    ".scope\n";

static void
fuzz_procfs(void)
{
	unsigned char		 buf[MAXLEN];
	struct quark_process	 p;
	size_t			 len;
	char			*copy, *path;
	int			 i, r;
	unsigned		 ok = 0, bad = 0;

	T_CASE("procfs parsers");
	for (i = 0; i < ROUNDS; i++) {
		if (i % 2)
			len = mutate(buf, sizeof(buf), i % 4 == 1 ?
			    stat_sample : i % 4 == 3 ? status_sample :
			    cgroup_sample);
		else {
			len = next_rand() % sizeof(buf);
			fill_random(buf, len);
		}
		if ((copy = exact(buf, len)) == NULL)
			break;
		memset(&p, 0, sizeof(p));
		errno = 0;
		r = procfs_parse_stat(copy, len, &p);
		if (r == -1 && errno == 0)
			bad++;	/* a failure must say why */
		r == 0 ? ok++ : 0;
		quark_process_clear(&p);
		memset(&p, 0, sizeof(p));
		procfs_parse_status(copy, len, &p);
		quark_process_clear(&p);
		path = NULL;
		if (procfs_parse_cgroup(copy, len, &path) == 0 && path != NULL)
			T_CHECK(strlen(path) <= len);
		free(path);
		free(copy);
	}
	t_iterations((unsigned)i);
	T_EQ_INT(bad, 0);
	/* The mutated samples keep some valid stat lines: the parser ran. */
	T_CHECK(ok > 0);
}

static void
fuzz_container(void)
{
	unsigned char		buf[MAXLEN];
	struct quark_container	c;
	size_t			len;
	int			i;

	T_CASE("container parse");
	for (i = 0; i < ROUNDS; i++) {
		if (i % 2)
			len = mutate(buf, sizeof(buf) - 1, cgroup_sample + 3);
		else {
			len = next_rand() % (sizeof(buf) - 1);
			fill_random(buf, len);
		}
		buf[len] = '\0';
		memset(&c, 0, sizeof(c));
		if (quark_container_parse((char *)buf, &c) == 1) {
			T_CHECK(c.runtime != NULL);
			T_CHECK(strlen(c.id) < sizeof(c.id));
		}
		/* The same bytes as a whole /proc/PID/cgroup (no NUL). */
		memset(&c, 'x', sizeof(c));
		if (container_from_proc((char *)buf, len, &c) == 1) {
			T_CHECK(c.runtime != NULL);
			T_CHECK(strlen(c.id) < sizeof(c.id));
		} else
			T_CHECK(c.runtime == NULL && c.id[0] == '\0');
	}
	t_iterations((unsigned)i);
}

/* A valid exec record with its strings, then a few bytes changed. */
static size_t
mutated_exec(unsigned char *buf, size_t cap)
{
	static const char	 strs[] = "./p\0/usr/bin/p\0/tmp\0/\0p\0a\0";
	static const uint32_t	 lens[WIRE_STR_COUNT] = { 4, 11, 5, 2, 4, 0 };
	struct wire_exec	*e = (struct wire_exec *)buf;
	size_t			 len = sizeof(*e) + sizeof(strs) - 1, i, n;

	memset(buf, 0, len);
	e->hdr.kind = WIRE_EXEC;
	e->hdr.len = (uint32_t)len;
	e->hdr.pid = e->hdr.tid = 77;
	e->argc = 2;
	e->args_total = 4;
	memcpy(e->len, lens, sizeof(lens));
	memcpy(buf + sizeof(*e), strs, sizeof(strs) - 1);
	n = next_rand() % 3;	/* 0: stays valid */
	for (i = 0; i < n; i++)
		buf[next_rand() % len] = (unsigned char)next_rand();
	return (len <= cap ? len : cap);
}

/* A random ring record: a plausible header, then random or zero bytes. */
static size_t
random_record(unsigned char *buf, size_t cap)
{
	struct wire_hdr	*h = (struct wire_hdr *)buf;
	size_t		 len = next_rand() % cap;

	fill_random(buf, len);
	if (len >= sizeof(*h) && next_rand() % 2) {
		h->kind = (uint16_t)(next_rand() % (WIRE_KIND_COUNT + 1));
		h->len = next_rand() % 3 ? (uint32_t)len :
		    (uint32_t)next_rand();
	}
	if (h->kind == WIRE_EXEC && len >= sizeof(struct wire_exec) &&
	    next_rand() % 2) {
		struct wire_exec	*e = (struct wire_exec *)buf;
		size_t			 room = len - sizeof(*e), k;

		for (k = 0; k < WIRE_STR_COUNT; k++) {
			e->len[k] = room ? (uint32_t)(next_rand() % (room + 1)) : 0;
			room -= e->len[k];
		}
	}
	return (len);
}

static void
fuzz_decode(void)
{
	unsigned char		 buf[4096] __attribute__((aligned(8)));
	struct raw_event	*raw;
	size_t			 len;
	char			*copy;
	int			 i;
	unsigned		 silent = 0, decoded = 0;

	T_CASE("decode_record");
	for (i = 0; i < ROUNDS; i++) {
		len = i % 2 ? mutated_exec(buf, sizeof(buf)) :
		    random_record(buf, sizeof(buf));
		if ((copy = exact(buf, len)) == NULL)
			break;
		errno = 0;
		if ((raw = decode_record(copy, len)) == NULL) {
			if (errno == 0)
				silent++;
		} else {
			T_CHECK(raw->task.args_len <= len);
			T_CHECK(raw->type < RAW_TYPE_COUNT);
			decoded++;
			raw_event_free(raw);
		}
		free(copy);
	}
	t_iterations((unsigned)i);
	T_EQ_INT(silent, 0);
	/* Unchanged and harmlessly changed samples decode. */
	T_CHECK(decoded > ROUNDS / 8);
}

/* Is fid a string in quark's kprobe samples? */
static int
kp_is_str(int fid)
{
	int	w;

	if (fid == F_COMM || fid == F_FILENAME ||
	    (fid >= F_ARGV0 && fid < F_ARGV0 + KP_ARGV_PER) ||
	    (fid >= F_GWALK + G_N && fid < F_GWALK + G_COUNT))
		return (1);
	if (fid < F_XWALK || fid >= F_CWALK + W_COUNT)
		return (0);
	w = (fid - F_XWALK) % W_COUNT;
	if (w >= W_N && w < W_MR)
		return (1);
	if (w < W_X)
		return (0);
	w = (w - W_X) % W_XLEN;
	return (w >= W_QN(0) - W_X && w < W_PMR(0) - W_X);
}

/*
 * Random samples (their strings' locations biased to land inside) of
 * every kind, through the kprobe decoder; mutated formats through the
 * format parser.
 */
static void
fuzz_kprobe(void)
{
	static struct kp_format	 fmt;
	static char		 text[32768];
	unsigned char		 buf[8192] __attribute__((aligned(8)));
	struct kp_decoder	*d;
	struct kp_sample	 s;
	struct raw_event	*raw;
	char			 name[32], *copy;
	size_t			 n = 0;
	uint32_t		 off = 16, loc, fixed;
	int			 fid, i, j, kind;
	unsigned		 silent = 0;

	T_CASE("kprobe decoder");
	n = snprintf(text, sizeof(text), "ID: 77\n");
	for (fid = 0; fid < F_COUNT; fid++) {
		kp_field_name(fid, name, sizeof(name));
		n += snprintf(text + n, sizeof(text) - n, "\tfield:%s %s;\t"
		    "offset:%u;\tsize:%d;\tsigned:0;\n", kp_is_str(fid) ?
		    "__data_loc char[]" : "u64", name, off,
		    kp_is_str(fid) ? 4 : 8);
		off += kp_is_str(fid) ? 4 : 8;
	}
	fixed = off;
	T_EQ_INT(kp_format_parse(&fmt, text, n), 0);
	d = kp_decoder_new(1, 4096, 32);
	for (i = 0; i < ROUNDS; i++) {
		kind = 1 + (int)(next_rand() % (KP_KIND_COUNT - 1));
		fmt.kind = kind;
		fill_random(buf, sizeof(buf));
		for (fid = 0; fid < F_COUNT; fid++) {
			if (!kp_is_str(fid))
				continue;
			loc = (uint32_t)((next_rand() % 64) << 16 |
			    (fixed + next_rand() % 1024));
			memcpy(buf + fmt.f[fmt.slot[fid]].off, &loc, 4);
		}
		memset(&s, 0, sizeof(s));
		s.fmt = &fmt;
		s.len = fixed + (uint32_t)(next_rand() % 1200);
		if ((copy = exact(buf, s.len)) == NULL)
			break;
		s.data = (const uint8_t *)copy;
		s.time = i;
		s.tid = s.pid = 100 + (pid_t)(next_rand() % 4);
		errno = 0;
		if (kp_decode(d, &s) == -1 && errno == 0)
			silent++;
		free(copy);
		kp_decoder_expire(d, (uint64_t)i);
		while ((raw = kp_decoder_next(d)) != NULL) {
			T_CHECK(raw->type < RAW_TYPE_COUNT);
			T_CHECK(raw->task.args_len <= 4096);
			raw_event_free(raw);
		}
	}
	kp_decoder_free(d);
	T_EQ_INT(silent, 0);
	for (i = 0; i < ROUNDS / 8; i++) {
		copy = strndup(text, n);
		for (j = 0; j < 8; j++)
			copy[next_rand() % n] = (char)next_rand();
		(void)kp_format_parse(&fmt, copy, n);
		free(copy);
	}
}

/* Whatever the bytes, the writer's line parses back as JSON. */
static void
fuzz_writer(void)
{
	unsigned char		 buf[MAXLEN];
	struct quark_process	 p;
	json_t			*o, *back;
	json_error_t		 jerr;
	char			*s, *clean;
	size_t			 len, clen;
	int			 i, altered;
	unsigned		 invalid = 0;

	T_CASE("utf8 + writer");
	for (i = 0; i < ROUNDS / 4; i++) {
		len = next_rand() % sizeof(buf);
		fill_random(buf, len);
		clean = utf8_sanitize((char *)buf, len, &clen, &altered);
		if (clean == NULL || !utf8_valid(clean, clen))
			invalid++;
		free(clean);

		memset(&p, 0, sizeof(p));
		p.pid = 42;
		p.known = QP_COMM | QP_EXE | QP_ARGS | QP_CWD | QP_CGROUP;
		memcpy(p.comm, buf, len < sizeof(p.comm) ? len : sizeof(p.comm));
		p.comm[sizeof(p.comm) - 1] = '\0';
		p.exe = strndup((char *)buf, len);
		p.cwd = strndup((char *)buf + len / 2, len - len / 2);
		p.cgroup = strndup((char *)buf + len / 3, len - len / 3);
		p.args = exact(buf, len);
		p.args_len = len;
		p.args_total = len;
		if ((o = ndjson_process(&p)) == NULL ||
		    (s = json_dumps(o, JSON_COMPACT)) == NULL) {
			invalid++;
		} else {
			if ((back = json_loads(s, 0, &jerr)) == NULL)
				invalid++;
			json_decref(back);
			free(s);
		}
		json_decref(o);
		quark_process_clear(&p);
	}
	t_iterations((unsigned)i);
	T_EQ_INT(invalid, 0);
}

int
main(void)
{
	fuzz_procfs();
	fuzz_container();
	fuzz_decode();
	fuzz_kprobe();
	fuzz_writer();
	ndjson_cleanup();
	return (t_done());
}
