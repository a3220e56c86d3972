/*
 * btf.c - `quark btf`: what this kernel offers quark, before anything is
 * attached (probe.c loads quark's BPF object once, and unloads it).
 *
 * Three kinds of lines: every kernel member (and type, enumerator) the
 * BPF side reads, from btfinfo_wanted(); every facility probe.c probes;
 * one verdict, from the backend ladder watch's AUTO choice walks too.  NDJSON unless stdout is a terminal (or --table).  With
 * --btf FILE only the members, against that file.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/btf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include "quark.h"
#include "probe.h"
#include "json.h"
#include "cmd.h"

#define VMLINUX_BTF	"/sys/kernel/btf/vmlinux"

struct out {
	int	table;
	int	dead;		/* the reader went away (EPIPE) */
	int	err;		/* a write failed otherwise */
};

static const char *const kind_names[] = {
	[BTFINFO_FIELD] = "btf_member",
	[BTFINFO_TYPE] = "btf_type",
	[BTFINFO_ENUMVAL] = "btf_enumval",
};

/* One line, one write(2) (json.h).  Steals obj; NULL writes nothing. */
static void
emit(struct out *o, json_t *obj)
{
	if (obj != NULL && !o->dead && !o->err &&
	    jline_write(STDOUT_FILENO, obj) == -1) {
		if (errno == EPIPE)
			o->dead = 1;
		else {
			cwarn("stdout");
			o->err = 1;
		}
	}
	json_decref(obj);
}

static json_t *
source(unsigned flags)
{
	json_t	*a = json_array();

	if (flags & BTFINFO_F_BPF)
		json_array_append_new(a, json_string("bpf"));
	if (flags & BTFINFO_F_REQUIRED)
		json_array_append_new(a, json_string("required"));
	return (a);
}

static json_t *
want_json(const struct btfinfo_want *w, const struct btfinfo_found *f)
{
	struct jobj	ob;

	jobj_init(&ob);
	jobj_text(&ob, "kind", kind_names[w->kind]);
	jobj_text(&ob, w->kind == BTFINFO_ENUMVAL ? "enum" :
	    w->kind == BTFINFO_TYPE ? "type" : "struct", w->type);
	if (w->kind != BTFINFO_TYPE)
		jobj_text(&ob, w->kind == BTFINFO_FIELD ? "member" : "name",
		    w->member);
	jobj_bool(&ob, "present", f->present);
	if (f->present && w->kind == BTFINFO_FIELD) {
		jobj_text(&ob, "matched", f->matched);
		jobj_int(&ob, "offset", f->bit_offset / 8);
		if (f->bitfield || f->bit_offset % 8) {
			jobj_int(&ob, "bit_offset", f->bit_offset);
			jobj_int(&ob, "bits", f->bitfield);
		}
	}
	if (f->present && w->kind != BTFINFO_ENUMVAL)
		jobj_int(&ob, "size", f->size);
	if (f->present && w->kind == BTFINFO_ENUMVAL)
		jobj_int(&ob, "value", f->value);
	jobj_set(&ob, "source", source(w->flags));
	return (jobj_finish(&ob));
}

static void
want_row(const struct btfinfo_want *w, const struct btfinfo_found *f)
{
	char	name[200], off[32], size[32];

	snprintf(name, sizeof(name), "%s%s%s", w->type,
	    w->kind == BTFINFO_TYPE ? "" : ".", w->member);
	off[0] = size[0] = '\0';
	if (f->present && w->kind == BTFINFO_FIELD) {
		if (f->bitfield || f->bit_offset % 8)
			snprintf(off, sizeof(off), "%u:%u", f->bit_offset / 8,
			    f->bit_offset % 8);
		else
			snprintf(off, sizeof(off), "%u", f->bit_offset / 8);
	}
	if (f->present && w->kind == BTFINFO_ENUMVAL)
		snprintf(off, sizeof(off), "=%lld", (long long)f->value);
	if (f->present && w->kind != BTFINFO_ENUMVAL)
		snprintf(size, sizeof(size), f->bitfield ? "%ub" : "%u",
		    f->bitfield ? f->bitfield : f->size);
	printf("%-40s %-18s %-8s %-6s %s%s%s\n", name,
	    f->present ? f->matched : "ABSENT", off, size,
	    w->flags & BTFINFO_F_BPF ? "bpf" : "",
	    (w->flags & BTFINFO_F_BPF) && (w->flags & BTFINFO_F_REQUIRED) ?
	    "," : "", w->flags & BTFINFO_F_REQUIRED ? "required" : "");
}

/* Members, types, enumerators; the count of absent ones in *absent. */
static int
report_members(struct out *o, const struct btf *btf, json_t *absent)
{
	struct btfinfo_want	*w;
	struct btfinfo_found	 f;
	char			 err[256];
	size_t			 n, i;

	if (btfinfo_wanted(&w, &n, err, sizeof(err)) == -1) {
		cwarnx("the embedded BPF object: %s", err);
		return (-1);
	}
	if (o->table)
		printf("%-40s %-18s %-8s %-6s %s\n", "MEMBER", "MATCHED",
		    "OFFSET", "SIZE", "FROM");
	for (i = 0; i < n; i++) {
		if (btfinfo_find(btf, &w[i], &f) == -1)
			memset(&f, 0, sizeof(f));
		if (!f.present && absent != NULL)
			json_array_append_new(absent, json_sprintf("%s%s%s",
			    w[i].type, w[i].kind == BTFINFO_TYPE ? "" : ".",
			    w[i].member));
		if (o->table)
			want_row(&w[i], &f);
		else
			emit(o, want_json(&w[i], &f));
	}
	free(w);
	return (0);
}

static void
report_facilities(struct out *o, const struct quark_probe *p)
{
	struct jobj	 ob;
	json_t		*j;
	int		 i;

	if (o->table)
		printf("\n%-24s %-10s %s\n", "FACILITY", "STATE", "REASON");
	for (i = 0; i < PROBE_COUNT; i++) {
		if (o->table) {
			printf("%-24s %-10s %s\n", probe_name(i),
			    probe_state_name(p->state[i]), p->why[i]);
			continue;
		}
		jobj_init(&ob);
		jobj_text(&ob, "kind", "facility");
		jobj_text(&ob, "name", probe_name(i));
		jobj_bool(&ob, "available", p->state[i] == PROBE_OK);
		jobj_text(&ob, "state", probe_state_name(p->state[i]));
		jobj_text(&ob, "reason", p->why[i]);
		if (i == PROBE_BTF)
			jobj_text(&ob, "path", p->btf_path);
		if (i == PROBE_TRACEFS && p->tracefs)
			jobj_text(&ob, "path", p->tracefs_path);
		j = jobj_finish(&ob);
		emit(o, j);
	}
}

static void
report_verdict(struct out *o, const struct quark_probe *p, json_t *absent)
{
	struct probe_verdict	 v;
	struct jobj		 ob, feats, f;
	json_t			*j, *off;
	int			 i;

	probe_verdict(p, &v);
	if (o->table) {
		printf("\nverdict: backend %s", v.backend);
		if (v.hooks != NULL)
			printf(" (%s, %s)", v.hooks, v.mode);
		printf(": %s\n", v.why);
		for (i = 0; i < FEAT_COUNT; i++)
			printf("  %-20s %-4s %s\n", probe_feature_name(i),
			    v.on[i] ? "on" : "off", v.feat_why[i]);
		printf("  %-20s %zu%s\n", "members absent",
		    json_array_size(absent), json_array_size(absent) ?
		    " (see ABSENT above)" : "");
		return;
	}
	jobj_init(&feats);
	off = json_array();
	for (i = 0; i < FEAT_COUNT; i++) {
		jobj_init(&f);
		jobj_bool(&f, "on", v.on[i]);
		jobj_text(&f, "reason", v.feat_why[i]);
		jobj_obj(&feats, probe_feature_name(i), &f);
		if (!v.on[i])
			json_array_append_new(off,
			    json_string(probe_feature_name(i)));
	}
	jobj_init(&ob);
	jobj_text(&ob, "kind", "verdict");
	jobj_text(&ob, "backend", v.backend);
	jobj_text(&ob, "hooks", v.hooks);
	jobj_text(&ob, "mode", v.mode);
	jobj_text(&ob, "reason", v.why);
	jobj_obj(&ob, "features", &feats);
	jobj_set(&ob, "off", off);
	jobj_set(&ob, "members_absent", json_incref(absent));
	j = jobj_finish(&ob);
	emit(o, j);
}

static int
btf_run(struct out *o, const char *file)
{
	struct quark_probe	*p = NULL;
	struct btf		*btf;
	json_t			*absent = json_array();
	char			 err[256];
	int			 rv = 1;

	if ((btf = btfinfo_load(file ? file : VMLINUX_BTF, err,
	    sizeof(err))) == NULL) {
		cwarnx("%s: %s", file ? file : VMLINUX_BTF, err);
		if (file != NULL)
			goto done;
	}
	if (btf != NULL && report_members(o, btf, absent) == -1)
		goto done;
	if (file == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL) {
			cwarn("calloc");
			goto done;
		}
		probe_kernel_btf(p, btf);
		report_facilities(o, p);
		report_verdict(o, p, absent);
	}
	if (o->table && fflush(stdout) == EOF && errno != EPIPE)
		cwarn("stdout");
	else
		rv = o->err;
done:
	json_decref(absent);
	free(p);
	btf__free(btf);
	return (rv);
}

static int
quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return (0);
}

struct btf_opts {
	int		 table;		/* -1: when stdout is a terminal */
	const char	*file;		/* --btf FILE */
};

static void
btf_defaults(void *p)
{
	struct btf_opts	*o = p;

	o->table = -1;
	o->file = NULL;
}

#define B(field)	offsetof(struct btf_opts, field)

static const struct opt btf_opt_table[] = {
	{ "help", 'h', OPT_HELP, NULL, "print this help and exit",
	  .off = 0 },
	{ "table", 0, OPT_SET, NULL, "print a table for humans",
	  .off = B(table), .val = 1, .defword = "when standard output is a terminal" },
	{ "json", 0, OPT_SET, NULL, "print NDJSON",
	  .off = B(table), .flags = OPT_ALT, .defword = "when standard output is not a terminal" },
	{ "btf", 0, OPT_STRING, "FILE", "read BTF from FILE (members only)",
	  .off = B(file), .defword = "/sys/kernel/btf/vmlinux" },
	{ .name = NULL }
};

#undef B

const struct opt_set btf_options = {
	btf_opt_table, sizeof(struct btf_opts), btf_defaults, NULL, 0, NULL
};

int
cmd_btf(int argc, char **argv)
{
	struct out	 out = { 0, 0, 0 };
	struct btf_opts	 o;
	int		 r;

	if (opt_parse(cur_cmd, argc, argv, &o, &r) == -1)
		return (r);
	if (optind != argc) {
		cwarnx("unexpected argument '%s'", argv[optind]);
		return (cmd_usage(cur_cmd));
	}
	out.table = o.table == -1 ? isatty(STDOUT_FILENO) : o.table;
	/* libbpf would print its own warnings about the files we read. */
	libbpf_set_print(quiet);
	return (btf_run(&out, o.file));
}
