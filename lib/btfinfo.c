/*
 * btfinfo.c - reading BTF from a file or memory, raw or inside an ELF.
 *
 * Everything read is bounds-checked here before libbpf walks it: libbpf
 * 1.1.2 checks the sections and type sizes but not the type ids and name
 * offsets inside types, so a corrupt file is refused up front (with a
 * reason a user can act on) rather than walked.  The members quark reads
 * are in btfmember.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/btf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "quark_int.h"

#define BTF_MAX_FILE	(512U << 20)	/* vmlinux BTF is ~6 MiB */

void
btfinfo_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
id_ok(const struct btf *btf, uint32_t id)
{
	return (id < btf__type_cnt(btf));
}

static int
name_ok(const struct btf *btf, uint32_t off)
{
	return (btf__name_by_offset(btf, off) != NULL);
}

/* Every id a type refers to is in range, every name offset resolves. */
static int
type_sane(const struct btf *btf, const struct btf_type *t)
{
	const struct btf_member	*m;
	const struct btf_param	*p;
	const struct btf_var_secinfo *v;
	uint16_t		 i, n = btf_vlen(t);

	if (!name_ok(btf, t->name_off))
		return (0);
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (i = 0, m = btf_members(t); i < n; i++, m++)
			if (!id_ok(btf, m->type) || !name_ok(btf, m->name_off))
				return (0);
		return (1);
	case BTF_KIND_ARRAY:
		return (id_ok(btf, btf_array(t)->type) &&
		    id_ok(btf, btf_array(t)->index_type));
	case BTF_KIND_FUNC_PROTO:
		for (i = 0, p = btf_params(t); i < n; i++, p++)
			if (!id_ok(btf, p->type) || !name_ok(btf, p->name_off))
				return (0);
		return (id_ok(btf, t->type));
	case BTF_KIND_DATASEC:
		for (i = 0, v = btf_var_secinfos(t); i < n; i++, v++)
			if (!id_ok(btf, v->type))
				return (0);
		return (1);
	case BTF_KIND_ENUM:
		for (i = 0; i < n; i++)
			if (!name_ok(btf, btf_enum(t)[i].name_off))
				return (0);
		return (1);
	case BTF_KIND_ENUM64:
		for (i = 0; i < n; i++)
			if (!name_ok(btf, btf_enum64(t)[i].name_off))
				return (0);
		return (1);
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
	case BTF_KIND_TYPE_TAG:
		return (id_ok(btf, t->type));
	default:	/* INT, FWD, FLOAT: no references */
		return (1);
	}
}

/* Header fields against the buffer, before libbpf parses anything. */
static int
hdr_check(const void *buf, size_t len, char *err, size_t errlen)
{
	struct btf_header	h;
	uint64_t		data, end;

	if (len < sizeof(h)) {
		btfinfo_err(err, errlen, "truncated: %zu bytes, shorter than a "
		    "BTF header", len);
		return (-1);
	}
	memcpy(&h, buf, sizeof(h));
	if (h.version != BTF_VERSION) {
		btfinfo_err(err, errlen, "unsupported BTF version %u", h.version);
		return (-1);
	}
	if (h.hdr_len < sizeof(h) || h.hdr_len > len) {
		btfinfo_err(err, errlen, "corrupt BTF header (hdr_len %u)",
		    h.hdr_len);
		return (-1);
	}
	data = len - h.hdr_len;
	end = (uint64_t)h.type_off + h.type_len;
	if ((uint64_t)h.str_off + h.str_len > end)
		end = (uint64_t)h.str_off + h.str_len;
	if (end > data) {
		btfinfo_err(err, errlen, "truncated: header describes %llu bytes, "
		    "%zu present", (unsigned long long)(end + h.hdr_len), len);
		return (-1);
	}
	return (0);
}

static struct btf *
load_raw(const void *buf, size_t len, char *err, size_t errlen)
{
	struct btf	*btf;
	uint32_t	 id, n;

	if (hdr_check(buf, len, err, errlen) == -1) {
		errno = EBADMSG;
		return (NULL);
	}
	if ((btf = btf__new(buf, len)) == NULL) {
		btfinfo_err(err, errlen, "corrupt BTF: %s", strerror(errno));
		errno = EBADMSG;
		return (NULL);
	}
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		if (!type_sane(btf, btf__type_by_id(btf, id))) {
			btfinfo_err(err, errlen, "corrupt BTF: type %u refers to a "
			    "missing type or name", id);
			btf__free(btf);
			errno = EBADMSG;
			return (NULL);
		}
	}
	return (btf);
}

/*
 * Find section `name` in an ELF image.  *data points into `img`.
 * Returns 1 found, 0 not found, -1 not a usable ELF.
 */
int
btfinfo_elf_section(const void *img, size_t len, const char *name,
    const void **data, size_t *size)
{
	Elf		*e;
	Elf_Scn		*scn = NULL;
	GElf_Shdr	 sh;
	size_t		 shstrndx;
	const char	*sname;
	int		 found = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return (-1);
	/* ELF_C_READ_MMAP-like: libelf only reads the image. */
	if ((e = elf_memory((char *)img, len)) == NULL)
		return (-1);
	if (elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx)) {
		elf_end(e);
		return (-1);
	}
	while (!found && (scn = elf_nextscn(e, scn)) != NULL) {
		if (gelf_getshdr(scn, &sh) == NULL)
			break;
		sname = elf_strptr(e, shstrndx, sh.sh_name);
		if (sname == NULL || strcmp(sname, name) != 0)
			continue;
		if (sh.sh_type == SHT_NOBITS || sh.sh_offset > len ||
		    sh.sh_size > len - sh.sh_offset)
			break;
		*data = (const char *)img + sh.sh_offset;
		*size = sh.sh_size;
		found = 1;
	}
	elf_end(e);
	return (found);
}

struct btf *
btfinfo_load_mem(const void *buf, size_t len, char *err, size_t errlen)
{
	static const unsigned char elfmag[4] = { 0x7f, 'E', 'L', 'F' };
	const unsigned char	*b = buf;
	const void		*sec;
	size_t			 seclen;
	int			 r;

	btfinfo_err(err, errlen, "unknown error");
	if (len == 0) {
		btfinfo_err(err, errlen, "empty file");
		errno = EBADMSG;
		return (NULL);
	}
	if (len >= 4 && memcmp(b, elfmag, 4) == 0) {
		r = btfinfo_elf_section(buf, len, ".BTF", &sec, &seclen);
		if (r == 1)
			return (load_raw(sec, seclen, err, errlen));
		btfinfo_err(err, errlen, r == 0 ? "ELF file without a .BTF section" :
		    "corrupt ELF file");
		errno = EBADMSG;
		return (NULL);
	}
	if (len >= 2 && b[0] == (BTF_MAGIC & 0xff) && b[1] == BTF_MAGIC >> 8)
		return (load_raw(buf, len, err, errlen));
	if (len >= 2 && b[1] == (BTF_MAGIC & 0xff) && b[0] == BTF_MAGIC >> 8)
		btfinfo_err(err, errlen, "BTF of the other byte order");
	else
		btfinfo_err(err, errlen, "not BTF (no BTF magic, not ELF)");
	errno = EBADMSG;
	return (NULL);
}

struct btf *
btfinfo_load(const char *path, char *err, size_t errlen)
{
	struct btf	*btf = NULL;
	char		*buf = NULL, *nbuf;
	size_t		 len = 0, cap = 0;
	ssize_t		 r;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		btfinfo_err(err, errlen, "%s", strerror(errno));
		return (NULL);
	}
	/* sysfs reports a size, but read to EOF: files may be special. */
	for (;;) {
		if (len == cap) {
			if (cap >= BTF_MAX_FILE) {
				btfinfo_err(err, errlen, "larger than %u MiB",
				    BTF_MAX_FILE >> 20);
				errno = EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 1 << 20;
			if ((nbuf = realloc(buf, cap)) == NULL)
				goto fail_errno;
			buf = nbuf;
		}
		if ((r = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail_errno;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	btf = btfinfo_load_mem(buf, len, err, errlen);
	goto fail;
fail_errno:
	btfinfo_err(err, errlen, "%s", strerror(errno));
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return (btf);
}
