/*
 * output.h - output formats behind one table, selected by name.
 *
 * A format is one file (output/NAME.c) that defines a struct output, and
 * one row in outputs[] (output.c).  Commands call through the table,
 * never a format's functions, so that a new format needs no change in
 * cmd/.  outputs[0] is the default.
 *
 * Every entry writes one whole record to fd with one write(2) (see
 * json.h), and returns 0, or -1 with errno set; EPIPE means the reader
 * went away, which commands treat as a normal end.  Records and processes
 * are only read: the caller keeps them.
 */
#ifndef QUARK_OUTPUT_H
#define QUARK_OUTPUT_H

#include <signal.h>

#include "quark.h"

struct output {
	const char	*name;		/* exact, as a command line names it */
	const char	*desc;		/* one line, for help */
	/* A process read from /proc (snapshot, lookup), parent may be NULL. */
	int	(*snapshot)(int fd, const struct quark_process *,
		    const struct quark_process *parent);
	/* An event from quark_queue_next() (watch). */
	int	(*event)(int fd, const struct quark_event *);
	/* The queue's counters (watch --stats, SIGUSR1; to stderr). */
	int	(*stats)(int fd, const struct quark_stats *);
	/*
	 * on 1: from now on, records for fd may be held in memory, as whole
	 * lines, and written together with one write(2); on 0: write what is
	 * held and stop holding.  For a batch of ready records (watch).
	 * Returns 0, or -1 with errno set (the write failed).  NULL: the
	 * format writes each record at once (no batching).
	 */
	int	(*batch)(int fd, int on);
	/* Free what the format keeps between records (before exit). */
	void	(*cleanup)(void);
};

/*
 * The queue's counters, in struct quark_stats order: the key every
 * format's stats record uses and the offset of its uint64_t member.
 */
struct stats_counter {
	const char	*key;
	size_t		 off;
};
extern const struct stats_counter	stats_counters[];
extern const size_t			nstats_counters;

/* Every format, default first, NULL-terminated. */
extern const struct output *const outputs[];

/* The format called name (exact match), or NULL with errno ENOENT. */
const struct output *output_find(const char *name);

/*
 * Writes len bytes (whole lines) to fd: every format's one way out.  A
 * short write or EINTR goes on where it stopped, so a reader never sees
 * half a line, unless the writer was told to give up (output_give_up_on())
 * while the write was blocked: a stalled reader.  Returns 0, or -1 with
 * errno: the write's (EPIPE: the reader went away), or EINTR when it gave
 * up (then buf may be written in part).
 */
int	output_write(int fd, const char *buf, size_t len);
/*
 * From now on a write gives up once *flag is non-zero (set by a signal
 * handler, whose signal interrupts the blocked write(2)).  NULL: never.
 */
void	output_give_up_on(volatile sig_atomic_t *flag);

#endif /* QUARK_OUTPUT_H */
