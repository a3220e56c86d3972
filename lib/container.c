/*
 * container.c - cgroup paths -> container id and runtime.
 *
 * Runtimes name a container's cgroup after its id; the layouts are one
 * table.  A path is read from its last component back to its first and
 * the first component that a layout matches wins, so a nested container
 * reports the innermost one and a cgroup below a container's scope
 * ("docker-ID.scope/init.scope", systemd running inside) still reports
 * that container.  The same layouts serve every hierarchy: the unified
 * (v2) path, and on v1 and hybrid hosts each v1 controller's path, where
 * a cgroupfs driver names the container (container_from_proc()).
 *
 * ID is 64 lowercase hex digits, a systemd-escaped machine name
 * (nspawn), a container name (LXC), or for ECS 64 hex digits or Fargate's
 * 32 hex digits, '-' and digits.  libvirt's VMs (machine-qemu\x2d...) are
 * not containers and are left out; neither is LXC's monitor
 * (lxc.monitor.NAME).
 */
#include <string.h>

#include "quark_int.h"

#define CID_HEX_LEN	64
#define ECS_TASK_HEX	32

enum cid_kind {
	CID_HEX,	/* 64 hex digits */
	CID_NAME,	/* a systemd-escaped machine name */
	CID_LXC,	/* an LXC container name, as is */
	CID_ECS,	/* 64 hex, or 32 hex '-' digits (Fargate) */
};

/* Where a layout's anchor component must be, relative to the id's. */
enum cid_above {
	ABOVE_ANY,		/* no anchor: prefix and suffix say it */
	ABOVE_PARENT,		/* the component right above is the anchor */
	ABOVE_GRANDPARENT,	/* the one above that is */
	ABOVE_ANCESTOR,		/* some component above starts with it */
};

static const struct cid_layout {
	const char	*prefix;	/* the id's component: PREFIX ID SUFFIX */
	const char	*suffix;
	enum cid_kind	 kind;
	enum cid_above	 above;
	const char	*anchor;
	const char	*runtime;
} cid_layouts[] = {
	/* docker, systemd driver: /system.slice/docker-ID.scope */
	{ "docker-",		".scope", CID_HEX, ABOVE_ANY, NULL, "docker" },
	/* docker, cgroupfs driver: /docker/ID */
	{ "",			"",	CID_HEX, ABOVE_PARENT, "docker", "docker" },
	/* containerd (CRI), systemd driver: .../cri-containerd-ID.scope */
	{ "cri-containerd-",	".scope", CID_HEX, ABOVE_ANY, NULL,
	  "containerd" },
	/* containerd, cgroupfs: /kubepods[/besteffort|/burstable]/podUID/ID */
	{ "",			"",	CID_HEX, ABOVE_ANCESTOR, "kubepods",
	  "containerd" },
	/* cri-o: crio-ID.scope, its conmon's, and cgroupfs's crio-ID */
	{ "crio-conmon-",	".scope", CID_HEX, ABOVE_ANY, NULL, "cri-o" },
	{ "crio-",		".scope", CID_HEX, ABOVE_ANY, NULL, "cri-o" },
	{ "crio-",		"",	CID_HEX, ABOVE_ANY, NULL, "cri-o" },
	/* podman: libpod-ID.scope, its conmon's, cgroupfs's libpod-ID */
	{ "libpod-conmon-",	".scope", CID_HEX, ABOVE_ANY, NULL, "podman" },
	{ "libpod-",		".scope", CID_HEX, ABOVE_ANY, NULL, "podman" },
	{ "libpod-",		"",	CID_HEX, ABOVE_ANY, NULL, "podman" },
	/* systemd-nspawn: /machine.slice/machine-NAME.scope */
	{ "machine-",		".scope", CID_NAME, ABOVE_ANY, NULL,
	  "systemd-nspawn" },
	/* LXC 4 and later, LXD: /lxc.payload.NAME; before: /lxc/NAME */
	{ "lxc.payload.",	"",	CID_LXC, ABOVE_ANY, NULL, "lxc" },
	{ "",			"",	CID_LXC, ABOVE_PARENT, "lxc", "lxc" },
	/* Amazon ECS (cgroupfs): /ecs/TASK/ID */
	{ "",			"",	CID_ECS, ABOVE_GRANDPARENT, "ecs", "ecs" },
};

/* Machine names we know are not containers (libvirt's VMs). */
static const char *const not_containers[] = { "qemu-" };

static int
is_hex_id(const char *s, size_t len)
{
	size_t	i;

	if (len != CID_HEX_LEN)
		return (0);
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (1);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * systemd's unit name unescaping ("\x2d" -> '-') into out (size outsz).
 * 0, or -1 when the name is empty, too long, or decodes to a NUL or '/'.
 */
static int
unescape_name(const char *s, size_t len, char *out, size_t outsz)
{
	size_t	i, o = 0;
	int	hi, lo;
	char	c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '\\' && i + 3 < len && s[i + 1] == 'x' &&
		    (hi = hexval(s[i + 2])) != -1 &&
		    (lo = hexval(s[i + 3])) != -1) {
			c = (char)(hi << 4 | lo);
			i += 3;
		}
		if (c == '\0' || c == '/' || o + 1 >= outsz)
			return (-1);
		out[o++] = c;
	}
	out[o] = '\0';
	return (o == 0 ? -1 : 0);
}

/* Fargate's container ids: 32 hex digits, '-', digits. */
static int
is_ecs_id(const char *s, size_t len)
{
	size_t	i;

	if (is_hex_id(s, len))
		return (1);
	if (len < ECS_TASK_HEX + 2 || s[ECS_TASK_HEX] != '-')
		return (0);
	for (i = 0; i < ECS_TASK_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	for (i = ECS_TASK_HEX + 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return (0);
	return (1);
}

/* The id in [id, id + len), by the layout's kind, into c->id. */
static int
take_id(enum cid_kind kind, const char *id, size_t len,
    struct quark_container *c)
{
	size_t	i;

	switch (kind) {
	case CID_HEX:
	case CID_ECS:
		if (kind == CID_HEX ? !is_hex_id(id, len) : !is_ecs_id(id, len))
			return (0);
		break;
	case CID_NAME:
		if (unescape_name(id, len, c->id, sizeof(c->id)) == -1)
			return (0);
		for (i = 0; i < nitems(not_containers); i++)
			if (strncmp(c->id, not_containers[i],
			    strlen(not_containers[i])) == 0)
				return (0);
		return (1);
	case CID_LXC:
		if (len == 0 || memchr(id, '\0', len) != NULL)
			return (0);
		break;
	}
	if (len >= sizeof(c->id))
		return (0);
	memcpy(c->id, id, len);
	c->id[len] = '\0';
	return (1);
}

/*
 * The component n places above [comp, comp + len) in path: 1 and
 * [*a, *a + *alen), or 0 when the path has no such component.
 */
static int
above(const char *path, const char *comp, int n, const char **a,
    size_t *alen)
{
	const char	*end = comp, *start;

	while (n-- > 0) {
		/* Skip the '/' (or '/'s) before the current component. */
		while (end > path && end[-1] == '/')
			end--;
		if (end == path)
			return (0);
		for (start = end; start > path && start[-1] != '/'; start--)
			;
		*a = start;
		*alen = (size_t)(end - start);
		end = start;
	}
	return (1);
}

static int
anchored(const struct cid_layout *l, const char *path, const char *comp)
{
	const char	*a;
	size_t		 alen, n;
	int		 up;

	if (l->above == ABOVE_ANY)
		return (1);
	n = strlen(l->anchor);
	switch (l->above) {
	case ABOVE_ANY:
		return (1);
	case ABOVE_PARENT:
	case ABOVE_GRANDPARENT:
		up = l->above == ABOVE_PARENT ? 1 : 2;
		return (above(path, comp, up, &a, &alen) && alen == n &&
		    memcmp(a, l->anchor, n) == 0);
	case ABOVE_ANCESTOR:
		for (up = 1; above(path, comp, up, &a, &alen); up++)
			if (alen >= n && memcmp(a, l->anchor, n) == 0)
				return (1);
		return (0);
	}
	return (0);
}

static int
match_layout(const struct cid_layout *l, const char *path, const char *comp,
    size_t len, struct quark_container *c)
{
	size_t	plen = strlen(l->prefix), slen = strlen(l->suffix);

	if (len < plen + slen || memcmp(comp, l->prefix, plen) != 0 ||
	    memcmp(comp + len - slen, l->suffix, slen) != 0)
		return (0);
	if (!anchored(l, path, comp))
		return (0);
	memset(c, 0, sizeof(*c));
	if (!take_id(l->kind, comp + plen, len - plen - slen, c)) {
		memset(c, 0, sizeof(*c));
		return (0);
	}
	c->runtime = l->runtime;
	return (1);
}

static int
match_component(const char *path, const char *comp, size_t len,
    struct quark_container *c)
{
	size_t	i;

	for (i = 0; i < nitems(cid_layouts); i++)
		if (match_layout(&cid_layouts[i], path, comp, len, c))
			return (1);
	return (0);
}

int
quark_container_parse(const char *cgroup, struct quark_container *c)
{
	const char	*end, *start;

	memset(c, 0, sizeof(*c));
	if (cgroup == NULL)
		return (0);
	end = cgroup + strlen(cgroup);
	while (end > cgroup) {
		/* The component [start, end) */
		for (start = end; start > cgroup && start[-1] != '/'; start--)
			;
		if (end > start &&
		    match_component(cgroup, start, (size_t)(end - start), c))
			return (1);
		end = start > cgroup ? start - 1 : cgroup;
	}
	memset(c, 0, sizeof(*c));
	return (0);
}

/*
 * /proc/PID/cgroup, "HIERARCHY:CONTROLLERS:PATH" a line: the unified
 * line ("0::PATH") first, then each v1 hierarchy's in the file's order.
 */
int
container_from_proc(const char *buf, size_t len, struct quark_container *c)
{
	const char	*l, *nl, *p, *end = buf + len;
	char		 path[4096];
	size_t		 n;
	int		 pass;

	memset(c, 0, sizeof(*c));
	for (pass = 0; pass < 2; pass++) {
		for (l = buf; l < end; l = nl + 1) {
			if ((nl = memchr(l, '\n', (size_t)(end - l))) == NULL)
				nl = end;
			if ((nl - l >= 3 && memcmp(l, "0::", 3) == 0) != !pass)
				continue;
			/* The path starts after the second ':'. */
			if ((p = memchr(l, ':', (size_t)(nl - l))) == NULL ||
			    (p = memchr(p + 1, ':', (size_t)(nl - p - 1))) ==
			    NULL)
				continue;
			n = (size_t)(nl - p - 1);
			if (n >= sizeof(path))
				continue;
			memcpy(path, p + 1, n);
			path[n] = '\0';
			if (quark_container_parse(path, c) == 1)
				return (1);
		}
	}
	return (0);
}

int
container_from_paths(const char *v2, const char *v1,
    struct quark_container *c)
{
	if (quark_container_parse(v2, c) == 1)
		return (1);
	return (quark_container_parse(v1, c));
}
