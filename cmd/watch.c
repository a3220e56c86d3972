/*
 * watch.c - `quark watch`.  Placeholder until its issue lands.
 */
#include "cmd.h"

int
cmd_watch(int argc, char **argv)
{
	cwarnx("not implemented yet");
	return (1);
}
