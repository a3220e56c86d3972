/*
 * btf.c - `quark btf`.  Placeholder until its issue lands.
 */
#include "cmd.h"

int
cmd_btf(int argc, char **argv)
{
	cwarnx("not implemented yet");
	return (1);
}
