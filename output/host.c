/*
 * host.c - the host a record comes from, read once: uname(2), the boot
 * id, machine-id(5), os-release(5).  For formats that name the host
 * (ecs.c's host.*).
 */
#include <stdio.h>
#include <string.h>

#include "host.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static struct host_info	host;

/* The first line of path into buf, without its newline ("" if none). */
static void
read_line(const char *path, char *buf, size_t len)
{
	FILE	*f;

	buf[0] = '\0';
	if ((f = fopen(path, "re")) == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* os-release(5): KEY=value, the value maybe quoted. */
static void
os_release(void)
{
	static const struct {
		const char	*key;
		char		*dst;
		size_t		 len;
	} keys[] = {
		{ "ID=", host.os_id, sizeof(host.os_id) },
		{ "ID_LIKE=", host.os_like, sizeof(host.os_like) },
		{ "NAME=", host.os_name, sizeof(host.os_name) },
		{ "VERSION_ID=", host.os_version, sizeof(host.os_version) },
		{ "PRETTY_NAME=", host.os_full, sizeof(host.os_full) },
	};
	FILE	*f;
	char	 line[512], *v;
	size_t	 i, n;

	if ((f = fopen("/etc/os-release", "re")) == NULL &&
	    (f = fopen("/usr/lib/os-release", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		for (i = 0; i < nitems(keys); i++) {
			n = strlen(keys[i].key);
			if (strncmp(line, keys[i].key, n) != 0)
				continue;
			v = line + n;
			if ((*v == '"' || *v == '\'') && strlen(v) >= 2 &&
			    v[strlen(v) - 1] == *v) {
				v[strlen(v) - 1] = '\0';
				v++;
			}
			snprintf(keys[i].dst, keys[i].len, "%s", v);
		}
	}
	fclose(f);
}

const struct host_info *
host_info(void)
{
	if (host.done)
		return (&host);
	host.done = 1;
	host.u_ok = uname(&host.u) == 0;
	read_line("/proc/sys/kernel/random/boot_id", host.boot_id,
	    sizeof(host.boot_id));
	read_line("/etc/machine-id", host.machine_id, sizeof(host.machine_id));
	os_release();
	/* ID_LIKE="rhel centos fedora": the family is the first. */
	host.os_like[strcspn(host.os_like, " ")] = '\0';
	return (&host);
}
