/*
 * kprecord.c - the kprobe backend's perf ring records -> samples, pure:
 * a PERF_RECORD_SAMPLE (sample_type TID | TIME | CPU | RAW) becomes a
 * kp_sample of the event whose format has its common_type, for the
 * decoder (kpdecode.c); a LOST record a loss with the kernel's count; a
 * COMM record not from exec a comm change.  Every length is checked
 * against the record's: tests/t_kpdecode.c and t_fuzz.c feed it bad ones.
 */
#include <linux/perf_event.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "kprobe.h"

/* Records with sample_id_all end in { pid, tid, time, cpu, res }. */
struct sample_id {
	uint32_t	pid, tid;
	uint64_t	time;
	uint32_t	cpu, res;
};

/* PERF_RECORD_SAMPLE with TID | TIME | CPU | RAW. */
struct sample_hdr {
	struct perf_event_header	h;
	uint32_t			pid, tid;
	uint64_t			time;
	uint32_t			cpu, res;
	uint32_t			size;
};

/* The RAW bytes follow `size` (the struct's own size is padded to 8). */
#define SAMPLE_DATA	(offsetof(struct sample_hdr, size) + sizeof(uint32_t))

uint64_t
kp_record_time(const uint8_t *rec, uint32_t len)
{
	struct perf_event_header	h;
	struct sample_hdr		sh;
	struct sample_id		id;

	if (len < sizeof(h))
		return (0);
	memcpy(&h, rec, sizeof(h));
	if (h.type == PERF_RECORD_SAMPLE && len >= SAMPLE_DATA) {
		memcpy(&sh, rec, SAMPLE_DATA);
		return (sh.time);
	}
	if (len < sizeof(h) + sizeof(id))
		return (0);
	memcpy(&id, rec + len - sizeof(id), sizeof(id));
	return (id.time);
}

int
kp_record(struct kp_decoder *d, const uint8_t *rec, uint32_t len,
    uint64_t time, const struct kp_format *const *fmts, int n)
{
	struct perf_event_header	 h;
	struct sample_hdr		 sh;
	struct kp_sample		 s;
	uint64_t			 lost;
	uint32_t			 pid, tid;
	uint16_t			 type;
	int				 i;

	if (len < sizeof(h))
		goto bad;
	memcpy(&h, rec, sizeof(h));
	switch (h.type) {
	case PERF_RECORD_SAMPLE:
		if (len < SAMPLE_DATA)
			goto bad;
		memcpy(&sh, rec, SAMPLE_DATA);
		if (sh.size > len - SAMPLE_DATA || sh.size < 2)
			goto bad;
		memset(&s, 0, sizeof(s));
		s.data = rec + SAMPLE_DATA;
		s.len = sh.size;
		memcpy(&type, s.data, sizeof(type));
		for (i = 0; i < n && fmts[i]->id != type; i++)
			;
		if (i == n)
			goto bad;
		s.fmt = fmts[i];
		s.time = time;
		s.pid = (pid_t)sh.pid;
		s.tid = (pid_t)sh.tid;
		s.cpu = sh.cpu;
		return (kp_decode(d, &s));
	case PERF_RECORD_LOST:	/* { id, lost }, sample_id */
		if (len < sizeof(h) + 16 + sizeof(struct sample_id))
			goto bad;
		memcpy(&lost, rec + sizeof(h) + 8, sizeof(lost));
		return (kp_decode_lost(d, lost, time));
	case PERF_RECORD_COMM:	/* { pid, tid, comm[] }, sample_id */
		if (h.misc & PERF_RECORD_MISC_COMM_EXEC)
			return (0);	/* the exec record has the name */
		if (len < sizeof(h) + 8 + sizeof(struct sample_id))
			goto bad;
		memcpy(&pid, rec + sizeof(h), 4);
		memcpy(&tid, rec + sizeof(h) + 4, 4);
		return (kp_decode_comm(d, (pid_t)pid, (pid_t)tid,
		    (const char *)rec + sizeof(h) + 8,
		    len - sizeof(h) - 8 - sizeof(struct sample_id), time));
	default:
		return (0);	/* the fork/exit records comm implies */
	}
bad:
	errno = EBADMSG;
	return (-1);
}
