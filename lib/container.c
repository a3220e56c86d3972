/*
 * container.c - cgroup path -> container id and runtime.
 *
 * Runtimes name a container's cgroup after its id; the patterns are a
 * table.  The path is read from its last component back to its first and
 * the first match wins, so a nested container reports the innermost one
 * and a cgroup below a container's scope ("docker-ID.scope/init.scope",
 * systemd running inside) still reports that container.
 *
 *   docker        .../docker-ID.scope        /docker/ID
 *   containerd    .../cri-containerd-ID.scope /kubepods/.../ID (cgroupfs)
 *   cri-o         .../crio-ID.scope  .../crio-conmon-ID.scope  .../crio-ID
 *   podman        .../libpod-ID.scope .../libpod-conmon-ID.scope .../libpod-ID
 *   systemd-nspawn /machine.slice/machine-NAME.scope (NAME unescaped)
 *
 * ID is 64 lowercase hex digits.  libvirt's VMs (machine-qemu\x2d...) are
 * not containers and are left out.
 */
#include <string.h>

#include "quark_int.h"

#define CID_HEX_LEN	64

enum cid_kind {
	CID_HEX,	/* 64 hex digits */
	CID_NAME,	/* a systemd-escaped machine name */
};

static const struct cid_pattern {
	const char	*prefix;
	const char	*suffix;
	enum cid_kind	 kind;
	const char	*runtime;
} cid_patterns[] = {
	{ "docker-",		".scope",	CID_HEX,  "docker" },
	{ "cri-containerd-",	".scope",	CID_HEX,  "containerd" },
	{ "crio-conmon-",	".scope",	CID_HEX,  "cri-o" },
	{ "crio-",		".scope",	CID_HEX,  "cri-o" },
	{ "crio-",		"",		CID_HEX,  "cri-o" },
	{ "libpod-conmon-",	".scope",	CID_HEX,  "podman" },
	{ "libpod-",		".scope",	CID_HEX,  "podman" },
	{ "libpod-",		"",		CID_HEX,  "podman" },
	{ "machine-",		".scope",	CID_NAME, "systemd-nspawn" },
};

/*
 * A bare ID component: the runtime is told by the path's first component
 * (cgroupfs drivers: /docker/ID, /kubepods/besteffort/podUID/ID).
 */
static const struct {
	const char	*top;		/* first component, prefix match */
	const char	*runtime;
} cid_bare[] = {
	{ "docker",	"docker" },
	{ "kubepods",	"containerd" },
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

static int
match_pattern(const struct cid_pattern *pt, const char *comp, size_t len,
    struct quark_container *c)
{
	size_t	plen = strlen(pt->prefix), slen = strlen(pt->suffix), i;
	const char *id = comp + plen;
	size_t	idlen;

	if (len < plen + slen || memcmp(comp, pt->prefix, plen) != 0 ||
	    memcmp(comp + len - slen, pt->suffix, slen) != 0)
		return (0);
	idlen = len - plen - slen;
	if (pt->kind == CID_HEX) {
		if (!is_hex_id(id, idlen))
			return (0);
		memcpy(c->id, id, idlen);
		c->id[idlen] = '\0';
	} else {
		if (unescape_name(id, idlen, c->id, sizeof(c->id)) == -1)
			return (0);
		for (i = 0; i < nitems(not_containers); i++)
			if (strncmp(c->id, not_containers[i],
			    strlen(not_containers[i])) == 0)
				return (0);
	}
	c->runtime = pt->runtime;
	return (1);
}

static int
match_component(const char *path, const char *comp, size_t len,
    struct quark_container *c)
{
	const char	*top;
	size_t		 i, toplen;

	for (i = 0; i < nitems(cid_patterns); i++)
		if (match_pattern(&cid_patterns[i], comp, len, c))
			return (1);
	if (!is_hex_id(comp, len))
		return (0);
	top = path + strspn(path, "/");
	toplen = strcspn(top, "/");
	for (i = 0; i < nitems(cid_bare); i++) {
		if (toplen < strlen(cid_bare[i].top) ||
		    strncmp(top, cid_bare[i].top, strlen(cid_bare[i].top)) != 0)
			continue;
		memcpy(c->id, comp, len);
		c->id[len] = '\0';
		c->runtime = cid_bare[i].runtime;
		return (1);
	}
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
