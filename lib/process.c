/*
 * process.c - struct quark_process ownership helpers, and the one
 * decoder of wait(2) statuses every backend uses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quark_int.h"

void
quark_process_clear(struct quark_process *p)
{
	free(p->exe);
	free(p->filename);
	free(p->cwd);
	free(p->cgroup);
	free(p->args);
	free(p->env);
	memset(p, 0, sizeof(*p));
}

void
quark_process_free(struct quark_process *p)
{
	if (p == NULL)
		return;
	quark_process_clear(p);
	free(p);
}

static int
dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return (-1);
	return (0);
}

static int
dup_mem(char **dst, const char *src, size_t len)
{
	*dst = NULL;
	if (src == NULL)
		return (0);
	/* One spare NUL so that a C string view never runs off the end. */
	if ((*dst = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(*dst, src, len);
	(*dst)[len] = '\0';
	return (0);
}

int
quark_process_copy(struct quark_process *dst, const struct quark_process *src)
{
	if (dst == src)
		return (0);
	quark_process_clear(dst);
	*dst = *src;
	dst->exe = dst->filename = dst->cwd = dst->cgroup = NULL;
	dst->args = dst->env = NULL;
	if (dup_str(&dst->exe, src->exe) == -1 ||
	    dup_str(&dst->filename, src->filename) == -1 ||
	    dup_str(&dst->cwd, src->cwd) == -1 ||
	    dup_str(&dst->cgroup, src->cgroup) == -1 ||
	    dup_mem(&dst->args, src->args, src->args_len) == -1 ||
	    dup_mem(&dst->env, src->env, src->env_len) == -1) {
		quark_process_clear(dst);
		errno = ENOMEM;
		return (-1);
	}
	return (0);
}

/*
 * wait(2) status (task->exit_code, as sched_process_exit and the proc
 * connector hand it over) -> exit_code, exit_signal, core_dumped.  A death
 * by signal has no exit code (-1), never 0; the core flag (0x80) only
 * means something with a signal.  0x7f ("stopped") is never an exit: it
 * reads as signal 127.
 */
void
process_wait_status(uint32_t status, struct quark_process *p)
{
	uint32_t	sig = status & 0x7f;

	if (sig == 0) {
		p->exit_code = (int32_t)((status >> 8) & 0xff);
		p->exit_signal = 0;
		p->core_dumped = 0;
	} else {
		p->exit_code = -1;
		p->exit_signal = (int32_t)sig;
		p->core_dumped = (status & 0x80) != 0;
	}
	p->known |= QP_EXIT;
}
