/*
 * procfs.c - parsers for /proc files, as pure functions over a buffer.
 *
 * Nothing here touches the file system: scrape.c reads the files and hands
 * the bytes over, and the unit tests hand over odd ones.  A buffer need not
 * be NUL-terminated; every parser stays within `len` bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quark_int.h"

#define PF_KTHREAD	0x00200000	/* include/linux/sched.h */

/*
 * Parses an unsigned decimal number at *pp (not beyond end), leaves *pp
 * after it.  Returns 0, or -1 when there is no digit or it overflows.
 */
static int
scan_u64(const char **pp, const char *end, uint64_t *out)
{
	const char	*p = *pp;
	uint64_t	 v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return (-1);
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	*pp = p;
	return (0);
}

/* Signed variant: an optional '-' then digits. */
static int
scan_i64(const char **pp, const char *end, int64_t *out)
{
	const char	*p = *pp;
	uint64_t	 v;
	int		 neg = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (scan_u64(&p, end, &v) == -1 || v > (uint64_t)INT64_MAX)
		return (-1);
	*out = neg ? -(int64_t)v : (int64_t)v;
	*pp = p;
	return (0);
}

static int
scan_hex64(const char **pp, const char *end, uint64_t *out)
{
	const char	*p = *pp;
	uint64_t	 v = 0;
	int		 d, n = 0;

	for (; p < end; p++, n++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (n == 16)
			return (-1);
		v = (v << 4) | (uint64_t)d;
	}
	if (n == 0)
		return (-1);
	*out = v;
	*pp = p;
	return (0);
}

/* Skips spaces and tabs. */
static const char *
skip_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return (p);
}

/*
 * The fields of /proc/PID/stat that follow the comm, numbered as in
 * proc(5).  Field 3 (state) is a character and read apart.
 */
enum {
	STAT_PPID = 4, STAT_PGRP = 5, STAT_SESSION = 6, STAT_TTY = 7,
	STAT_FLAGS = 9, STAT_THREADS = 20, STAT_STARTTIME = 22,
	STAT_LAST = STAT_STARTTIME
};

/*
 * "pid (comm) state ppid pgrp session tty_nr tpgid flags ... starttime ..."
 *
 * comm may hold any byte but NUL, spaces, parentheses, ") (" and newlines
 * included, so it ends at the LAST ')' of the buffer: no later field can
 * hold one.  Sets pid, comm, state, ppid, pgid, sid, tty, kthread,
 * nthreads, start_ns and entity_id.  -1 and EINVAL if malformed.
 */
int
procfs_parse_stat(const char *buf, size_t len, struct quark_process *p)
{
	const char	*q, *end = buf + len, *open, *close;
	int64_t		 f[STAT_LAST + 1];
	uint64_t	 pid;
	size_t		 clen;
	char		 state;
	int		 i;

	q = buf;
	if (scan_u64(&q, end, &pid) == -1 || pid == 0 || pid > INT32_MAX)
		goto bad;
	if ((open = memchr(q, '(', end - q)) == NULL || open != q + 1)
		goto bad;
	if ((close = memrchr(open, ')', end - open)) == NULL)
		goto bad;
	if (end - close < 4 || close[1] != ' ' || close[3] != ' ')
		goto bad;
	state = close[2];
	q = close + 4;
	for (i = STAT_PPID; i <= STAT_LAST; i++) {
		if (i > STAT_PPID) {
			if (q >= end || *q != ' ')
				goto bad;
			q++;
		}
		if (scan_i64(&q, end, &f[i]) == -1)
			goto bad;
	}
	if (f[STAT_PPID] < 0 || f[STAT_PPID] > INT32_MAX ||
	    f[STAT_THREADS] < 0 || f[STAT_STARTTIME] < 0)
		goto bad;

	p->pid = (pid_t)pid;
	clen = (size_t)(close - open - 1);
	if (clen > QUARK_COMM_LEN - 1)
		clen = QUARK_COMM_LEN - 1;
	memset(p->comm, 0, sizeof(p->comm));
	memcpy(p->comm, open + 1, clen);
	p->state = state;
	p->ppid = (pid_t)f[STAT_PPID];
	p->pgid = (pid_t)f[STAT_PGRP];
	p->sid = (pid_t)f[STAT_SESSION];
	procfs_tty_nr(f[STAT_TTY], &p->tty_major, &p->tty_minor);
	p->kthread = (f[STAT_FLAGS] & PF_KTHREAD) != 0;
	p->nthreads = (uint32_t)f[STAT_THREADS];
	p->start_ns = quark_ticks_to_ns((uint64_t)f[STAT_STARTTIME]);
	p->entity_id = quark_entity_id(p->pid, p->start_ns);
	p->known |= QP_PPID | QP_COMM | QP_STATE | QP_PGID_SID | QP_TTY |
	    QP_KTHREAD | QP_NTHREADS | QP_START;
	return (0);
bad:
	errno = EINVAL;
	return (-1);
}

/* tty_nr as the kernel encodes it (new_encode_dev). */
void
procfs_tty_nr(int64_t tty_nr, uint32_t *major, uint32_t *minor)
{
	uint64_t	v = (uint64_t)tty_nr & 0xffffffffULL;

	*major = (uint32_t)((v >> 8) & 0xfff);
	*minor = (uint32_t)((v & 0xff) | ((v >> 12) & 0xfff00));
}

/* Parses n whitespace-separated decimals after a status key. */
static int
status_ids(const char *q, const char *end, uint32_t *ids, int n)
{
	uint64_t	v;
	int		i;

	for (i = 0; i < n; i++) {
		q = skip_blank(q, end);
		if (scan_u64(&q, end, &v) == -1 || v > UINT32_MAX)
			return (-1);
		ids[i] = (uint32_t)v;
	}
	q = skip_blank(q, end);
	return (q == end ? 0 : -1);
}

static int
status_hex(const char *q, const char *end, uint64_t *out)
{
	q = skip_blank(q, end);
	if (scan_hex64(&q, end, out) == -1)
		return (-1);
	q = skip_blank(q, end);
	return (q == end ? 0 : -1);
}

static int
status_u32(const char *q, const char *end, uint32_t *out)
{
	return (status_ids(q, end, out, 1));
}

/* Which groups a status line fills; the parser sets `known` at the end. */
enum {
	ST_UID = 1 << 0, ST_GID = 1 << 1, ST_THREADS = 1 << 2,
	ST_TGID = 1 << 3, ST_PID = 1 << 4,
	ST_CAP0 = 1 << 5	/* + enum quark_cap */
};

struct status_acc {
	uint32_t	uid[4], gid[4];
	uint32_t	threads, tgid, pid;
	uint64_t	cap[QUARK_CAP_COUNT];
	unsigned	seen;
	int		bad;
};

/* The keys we read, in the order the kernel prints them. */
static const struct {
	const char	*key;
	int		 cap;	/* enum quark_cap, or -1 */
} status_caps[] = {
	{ "CapInh:", QUARK_CAP_INHERITABLE },
	{ "CapPrm:", QUARK_CAP_PERMITTED },
	{ "CapEff:", QUARK_CAP_EFFECTIVE },
	{ "CapBnd:", QUARK_CAP_BOUNDING },
	{ "CapAmb:", QUARK_CAP_AMBIENT },
};

static int
has_key(const char *line, const char *end, const char *key)
{
	size_t	n = strlen(key);

	return ((size_t)(end - line) >= n && memcmp(line, key, n) == 0);
}

static void
status_line(const char *l, const char *end, struct status_acc *a)
{
	size_t	i;
	int	r = 0, bit = 0;

	if (has_key(l, end, "Uid:")) {
		bit = ST_UID;
		r = status_ids(l + 4, end, a->uid, 4);
	} else if (has_key(l, end, "Gid:")) {
		bit = ST_GID;
		r = status_ids(l + 4, end, a->gid, 4);
	} else if (has_key(l, end, "Threads:")) {
		bit = ST_THREADS;
		r = status_u32(l + 8, end, &a->threads);
	} else if (has_key(l, end, "Tgid:")) {
		bit = ST_TGID;
		r = status_u32(l + 5, end, &a->tgid);
	} else if (has_key(l, end, "Pid:")) {
		bit = ST_PID;
		r = status_u32(l + 4, end, &a->pid);
	} else {
		for (i = 0; i < nitems(status_caps); i++) {
			if (!has_key(l, end, status_caps[i].key))
				continue;
			bit = ST_CAP0 << status_caps[i].cap;
			r = status_hex(l + 7, end,
			    &a->cap[status_caps[i].cap]);
			break;
		}
	}
	if (r == -1)
		a->bad = 1;
	else
		a->seen |= bit;
}

#define ST_CAPS	((ST_CAP0 << QUARK_CAP_INHERITABLE) | \
		 (ST_CAP0 << QUARK_CAP_PERMITTED) | \
		 (ST_CAP0 << QUARK_CAP_EFFECTIVE) | \
		 (ST_CAP0 << QUARK_CAP_BOUNDING))

/*
 * /proc/PID/status: "Key:\tvalue" lines.  Reads Uid/Gid (real, effective,
 * saved, fs), the five Cap* sets (CapAmb is absent before Linux 4.3: then
 * 0), Threads, and Tgid/Pid: when they differ the buffer is about a thread,
 * so pid becomes the Tgid and tid the Pid (QP_TID).  Each group is set only
 * when its lines parsed; a malformed line leaves its group unknown and
 * makes the call return -1 with EINVAL (the good groups are still set).
 */
int
procfs_parse_status(const char *buf, size_t len, struct quark_process *p)
{
	struct status_acc	 a;
	const char		*l, *nl, *end = buf + len;
	int			 i;

	memset(&a, 0, sizeof(a));
	for (l = buf; l < end; l = nl + 1) {
		if ((nl = memchr(l, '\n', end - l)) == NULL)
			nl = end;
		status_line(l, nl, &a);
	}
	if ((a.seen & ST_UID) && (a.seen & ST_GID)) {
		p->uid = a.uid[0];
		p->euid = a.uid[1];
		p->suid = a.uid[2];
		p->fsuid = a.uid[3];
		p->gid = a.gid[0];
		p->egid = a.gid[1];
		p->sgid = a.gid[2];
		p->fsgid = a.gid[3];
		p->known |= QP_CREDS | QP_FSCREDS;
	}
	if ((a.seen & ST_CAPS) == ST_CAPS) {
		for (i = 0; i < QUARK_CAP_COUNT; i++)
			p->cap[i] = a.cap[i];
		p->known |= QP_CAPS;
	}
	if (a.seen & ST_THREADS) {
		p->nthreads = a.threads;
		p->known |= QP_NTHREADS;
	}
	if ((a.seen & ST_TGID) && (a.seen & ST_PID) && a.tgid != 0 &&
	    a.tgid <= INT32_MAX && a.pid <= INT32_MAX) {
		if (a.tgid != a.pid) {
			p->tid = (pid_t)a.pid;
			p->known |= QP_TID;
		}
		p->pid = (pid_t)a.tgid;
	}
	if (a.bad) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

/*
 * /proc/PID/cgroup: the unified hierarchy's line is "0::/path".  *path is
 * a new string.  -1 and ENOENT when there is no such line (a v1-only
 * host), ENOMEM when out of memory.
 */
int
procfs_parse_cgroup(const char *buf, size_t len, char **path)
{
	const char	*l, *nl, *end = buf + len;

	*path = NULL;
	for (l = buf; l < end; l = nl + 1) {
		if ((nl = memchr(l, '\n', end - l)) == NULL)
			nl = end;
		if (nl - l >= 4 && memcmp(l, "0::/", 4) == 0) {
			if ((*path = strndup(l + 3, nl - l - 3)) == NULL)
				return (-1);
			return (0);
		}
	}
	errno = ENOENT;
	return (-1);
}

/*
 * A namespace link: "pid:[4026531836]" with name "pid".  -1 and EINVAL
 * when the text is not that.
 */
int
procfs_parse_ns(const char *link, const char *name, uint64_t *ino)
{
	size_t		 n = strlen(name);
	const char	*q, *end = link + strlen(link);

	if (strncmp(link, name, n) != 0 || link[n] != ':' || link[n + 1] != '[')
		goto bad;
	q = link + n + 2;
	if (scan_u64(&q, end, ino) == -1 || q + 1 != end || *q != ']')
		goto bad;
	return (0);
bad:
	errno = EINVAL;
	return (-1);
}

/* "4294967295" (unset) or a uid, optionally followed by a newline. */
int
procfs_parse_u32(const char *buf, size_t len, uint32_t *out)
{
	const char	*q = buf, *end = buf + len;
	uint64_t	 v;

	if (scan_u64(&q, end, &v) == -1 || v > UINT32_MAX)
		goto bad;
	if (q < end && *q == '\n')
		q++;
	if (q != end)
		goto bad;
	*out = (uint32_t)v;
	return (0);
bad:
	errno = EINVAL;
	return (-1);
}

/*
 * Removes the " (deleted)" the kernel appends to the link of an unlinked
 * file.  Returns 1 when it did.  A file really named "x (deleted)" cannot
 * be told apart from /proc alone; the kernel has the same ambiguity.
 */
int
procfs_strip_deleted(char *path)
{
	static const char	 sfx[] = " (deleted)";
	size_t			 n = strlen(path), s = sizeof(sfx) - 1;

	if (n <= s || strcmp(path + n - s, sfx) != 0)
		return (0);
	path[n - s] = '\0';
	return (1);
}

/* Counts NUL-terminated strings; trailing bytes without a NUL count too. */
uint32_t
procfs_count_strings(const char *buf, size_t len)
{
	uint32_t	n = 0;
	size_t		i;

	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			n++;
	if (len > 0 && buf[len - 1] != '\0')
		n++;
	return (n);
}

/*
 * Terminal names, as in Documentation/admin-guide/devices.txt: the device
 * numbers of the terminals a process can have as its controlling tty.
 * The number printed is minor - base.
 */
static const struct {
	uint32_t	 major;
	uint32_t	 minor_lo, minor_hi;	/* inclusive */
	uint32_t	 base;
	const char	*fmt;			/* one %u, or none */
} tty_names[] = {
	{ 136, 0, 0xfffff, 0, "pts/%u" },	/* Unix98 pty slaves */
	{ 4, 0, 0, 0, "tty0" },
	{ 4, 1, 63, 0, "tty%u" },		/* virtual consoles */
	{ 4, 64, 255, 64, "ttyS%u" },		/* 8250 serial ports */
	{ 5, 0, 0, 0, "tty" },
	{ 5, 1, 1, 0, "console" },
	{ 5, 2, 2, 0, "ptmx" },
	{ 188, 0, 255, 0, "ttyUSB%u" },
	{ 166, 0, 255, 0, "ttyACM%u" },
	{ 204, 64, 255, 64, "ttyAMA%u" },	/* ARM AMBA serial */
	{ 229, 0, 255, 0, "hvc%u" },		/* hypervisor consoles */
};

/*
 * The name under /dev of a terminal ("pts/3", "tty1", "ttyS0").  Returns
 * 0, or -1 with ENOENT when there is no tty (0:0) or the device is not one
 * we can name (then the caller still has the numbers).
 */
int
quark_tty_name(uint32_t major, uint32_t minor, char *buf, size_t len)
{
	size_t	i;
	int	r;

	/* Pty slaves of 8-bit-minor days: majors 137-143 continue 136. */
	if (major >= 137 && major <= 143 && minor < 256) {
		minor += (major - 136) * 256;
		major = 136;
	}

	for (i = 0; i < nitems(tty_names); i++) {
		if (major != tty_names[i].major ||
		    minor < tty_names[i].minor_lo ||
		    minor > tty_names[i].minor_hi)
			continue;
		if (strchr(tty_names[i].fmt, '%') != NULL)
			r = snprintf(buf, len, tty_names[i].fmt,
			    minor - tty_names[i].base);
		else
			r = snprintf(buf, len, "%s", tty_names[i].fmt);
		if (r < 0 || (size_t)r >= len) {
			errno = ENAMETOOLONG;
			return (-1);
		}
		return (0);
	}
	errno = ENOENT;
	return (-1);
}
