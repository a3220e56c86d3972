/*
 * event_names.c - the names of enum quark_event_type, as printed in a
 * record's "events" array.  Stable: users match on them.
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
