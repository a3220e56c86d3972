/*
 * event_names.c - the names of enum quark_event_type, as printed in a
 * record's "events" array, and of enum quark_ns, as /proc/PID/ns and the
 * "ns" object spell them.  Stable: users match on them.
 */
#include "quark_int.h"

static const char *const event_names[QUARK_EV_TYPE_COUNT] = {
	[QUARK_EV_FORK]		= "fork",
	[QUARK_EV_EXEC]		= "exec",
	[QUARK_EV_EXIT]		= "exit",
	[QUARK_EV_SETUID]	= "setuid",
	[QUARK_EV_SETGID]	= "setgid",
	[QUARK_EV_SETSID]	= "setsid",
	[QUARK_EV_COMM]		= "comm",
};

/* "unknown" rather than NULL: a caller may print it directly. */
const char *
quark_event_type_name(uint32_t type)
{
	if (type >= QUARK_EV_TYPE_COUNT || event_names[type] == NULL)
		return ("unknown");
	return (event_names[type]);
}

static const char *const ns_names[QUARK_NS_COUNT] = {
	[QUARK_NS_PID]		= "pid",
	[QUARK_NS_MNT]		= "mnt",
	[QUARK_NS_NET]		= "net",
	[QUARK_NS_UTS]		= "uts",
	[QUARK_NS_IPC]		= "ipc",
	[QUARK_NS_USER]		= "user",
	[QUARK_NS_CGROUP]	= "cgroup",
};

const char *
quark_ns_name(int ns)
{
	if (ns < 0 || ns >= QUARK_NS_COUNT)
		return ("unknown");
	return (ns_names[ns]);
}
