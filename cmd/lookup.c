/*
 * lookup.c - `quark lookup`.  Placeholder until its issue lands.
 */
#include "cmd.h"

int
cmd_lookup(int argc, char **argv)
{
	cwarnx("not implemented yet");
	return (1);
}
