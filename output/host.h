/*
 * host.h - the host a record comes from (host.c), read on first use.
 */
#ifndef QUARK_HOST_H
#define QUARK_HOST_H

#include <sys/utsname.h>

struct host_info {
	int		done;
	struct utsname	u;		/* uname(2) */
	int		u_ok;		/* u is set */
	char		boot_id[64];	/* /proc/sys/kernel/random/boot_id */
	char		machine_id[64];	/* /etc/machine-id */
	/*
	 * os-release(5): ID, the first word of ID_LIKE (the family), NAME,
	 * VERSION_ID, PRETTY_NAME; "" when absent.
	 */
	char		os_id[64], os_like[64], os_name[128], os_version[64];
	char		os_full[256];
};

/* The host, read on the first call (what cannot be read is ""). */
const struct host_info	*host_info(void);

#endif /* QUARK_HOST_H */
