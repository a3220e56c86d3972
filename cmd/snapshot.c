/*
 * snapshot.c - `quark snapshot`.  Placeholder until its issue lands.
 */
#include "cmd.h"

int
cmd_snapshot(int argc, char **argv)
{
	cwarnx("not implemented yet");
	return (1);
}
