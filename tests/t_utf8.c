/*
 * t_utf8.c - the UTF-8 policy of output/utf8.h, one case per class of
 * invalid input.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "utf8.h"

#define R	"\xef\xbf\xbd"		/* U+FFFD */

static const struct {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	const char	*out;
	int		 altered;
} cases[] = {
#define C(n, i, o, a)	{ n, i, sizeof(i) - 1, o, a }
	C("empty",		"",			"",		0),
	C("ascii",		"bash",			"bash",		0),
	C("controls kept",	"a\nb\t\x1b[0m\x7f",	"a\nb\t\x1b[0m\x7f", 0),
	C("quote backslash",	"\"\\",			"\"\\",		0),
	C("2-byte",		"caf\xc3\xa9",		"caf\xc3\xa9",	0),
	C("3-byte",		"\xe2\x82\xac",		"\xe2\x82\xac",	0),
	C("4-byte",		"\xf0\x9f\x98\x80",	"\xf0\x9f\x98\x80", 0),
	C("max U+10FFFF",	"\xf4\x8f\xbf\xbf",	"\xf4\x8f\xbf\xbf", 0),
	C("U+FFFD itself",	R,			R,		0),
	C("lone continuation",	"a\x80z",		"a" R "z",	1),
	C("latin-1 byte",	"caf\xe9",		"caf" R,	1),
	C("C0 C1",		"\xc0\xc1",		R R,		1),
	C("overlong 2",		"\xc0\xaf",		R R,		1),
	C("overlong 3",		"\xe0\x80\xaf",		R R R,		1),
	C("overlong 4",		"\xf0\x80\x80\xaf",	R R R R,	1),
	C("surrogate lo",	"\xed\xa0\x80",		R R R,		1),
	C("surrogate hi",	"\xed\xbf\xbf",		R R R,		1),
	C("above U+10FFFF",	"\xf4\x90\x80\x80",	R R R R,	1),
	C("F5..FF",		"\xf5\xff\xfe",		R R R,		1),
	C("truncated at end",	"ab\xe2\x82",		"ab" R R,	1),
	C("truncated 4 at end",	"\xf0\x9f\x98",		R R R,		1),
	C("cut by ascii",	"\xe2\x82" "A",		R R "A",	1),
	C("cut by lead",	"\xc3\xc3\xa9",		R "\xc3\xa9",	1),
	C("valid after bad",	"\xff\xe2\x82\xac",	R "\xe2\x82\xac", 1),
	C("nul kept in buffer",	"a\0b",			"a\0b",		0),
#undef C
};

static void
test_table(void)
{
	size_t	 i, olen, wantlen;
	char	*out;
	int	 altered;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_CASE(cases[i].name);
		out = utf8_sanitize(cases[i].in, cases[i].inlen, &olen,
		    &altered);
		T_CHECK(out != NULL);
		if (out == NULL)
			continue;
		wantlen = strcmp(cases[i].name, "nul kept in buffer") == 0 ?
		    3 : strlen(cases[i].out);
		T_EQ_INT(olen, wantlen);
		T_CHECK(memcmp(out, cases[i].out, wantlen) == 0);
		T_EQ_INT(out[olen], 0);
		T_EQ_INT(altered, cases[i].altered);
		T_EQ_INT(utf8_valid(cases[i].in, cases[i].inlen),
		    !cases[i].altered);
		/* The output is always valid and a fixed point. */
		T_CHECK(utf8_valid(out, olen));
		free(out);
	}
}

static void
test_seqlen(void)
{
	T_CASE("seqlen");
	T_EQ_INT(utf8_seqlen((const unsigned char *)"A", 1), 1);
	T_EQ_INT(utf8_seqlen((const unsigned char *)"\xc3\xa9", 2), 2);
	T_EQ_INT(utf8_seqlen((const unsigned char *)"\xc3\xa9", 1), 0);
	T_EQ_INT(utf8_seqlen((const unsigned char *)"\xe2\x82\xac", 3), 3);
	T_EQ_INT(utf8_seqlen((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	T_EQ_INT(utf8_seqlen((const unsigned char *)"", 0), 0);
}

/* Every byte value alone: < 0x80 kept, everything else one U+FFFD. */
static void
test_all_bytes(void)
{
	unsigned char	 b;
	char		*out;
	size_t		 olen;
	int		 altered, i, bad = 0;

	T_CASE("all single bytes");
	for (i = 0; i < 256; i++) {
		b = (unsigned char)i;
		out = utf8_sanitize((char *)&b, 1, &olen, &altered);
		if (out == NULL)
			bad++;
		else if (i < 0x80 ? (olen != 1 || altered || out[0] != i) :
		    (olen != 3 || !altered || memcmp(out, R, 3) != 0))
			bad++;
		free(out);
	}
	T_EQ_INT(bad, 0);
}

/* 1 MiB of mixed input: output bounded by 3x, valid, stable. */
static void
test_big(void)
{
	size_t	 len = 1024 * 1024, olen, i;
	char	*in, *out;
	int	 altered;

	T_CASE("1 MiB");
	in = malloc(len);
	for (i = 0; i < len; i++)
		in[i] = (char)(i * 7);
	out = utf8_sanitize(in, len, &olen, &altered);
	T_CHECK(out != NULL && altered && olen <= 3 * len);
	T_CHECK(out != NULL && utf8_valid(out, olen));
	free(out);
	memset(in, 'x', len);
	out = utf8_sanitize(in, len, &olen, &altered);
	T_CHECK(out != NULL && !altered && olen == len);
	free(out);
	free(in);
}

/* The terminal's view of a string: every character through the escape. */
static void
test_term_escape(void)
{
	static const struct {
		const char	*name, *in, *want;
	} term[] = {
		{ "printable ASCII and UTF-8 stay", "a\xc3\xa9z", "a\xc3\xa9z" },
		{ "C-style escapes", "\\\n\t\r", "\\\\\\n\\t\\r" },
		{ "C0, DEL and C1 controls", "\x1b\x7f\xc2\x9b\xc2\x9d",
		  "\\x1b\\x7f\\u{9b}\\u{9d}" },
		{ "bytes that are not UTF-8", "\xff\xc3(", "\\xff\\xc3(" },
		{ "bidirectional controls", "\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f"
		  "\xe2\x80\xaa\xe2\x80\xae\xe2\x81\xa6\xe2\x81\xa9",
		  "\\u{61c}\\u{200e}\\u{200f}\\u{202a}\\u{202e}\\u{2066}"
		  "\\u{2069}" },
		{ "line and paragraph separators", "\xe2\x80\xa8\xe2\x80\xa9",
		  "\\u{2028}\\u{2029}" },
		{ "a 4-byte character stays", "\xf0\x9f\x98\x80",
		  "\xf0\x9f\x98\x80" },
	};
	char		 out[256], esc[UTF8_ESC_MAX];
	const char	*e;
	size_t		 i, j, n, len, o;

	for (i = 0; i < sizeof(term) / sizeof(term[0]); i++) {
		T_CASE(term[i].name);
		len = strlen(term[i].in);
		for (j = 0, o = 0; j < len; j += n) {
			e = utf8_term_escape(term[i].in + j, len - j, &n, esc);
			if (e == NULL) {
				memcpy(out + o, term[i].in + j, n);
				o += n;
			} else {
				memcpy(out + o, e, strlen(e));
				o += strlen(e);
			}
		}
		out[o] = '\0';
		T_EQ_STR(out, term[i].want);
	}
}

static void
test_whole_len(void)
{
	T_CASE("whole: a cut that splits a character drops it");
	T_EQ_INT(utf8_whole_len("ab\xe2\x82", 4, 1), 2);
	T_EQ_INT(utf8_whole_len("ab\xe2", 3, 1), 2);
	T_EQ_INT(utf8_whole_len("a\xf0\x9f\x98", 4, 1), 1);
	T_EQ_INT(utf8_whole_len("a\xc3", 2, 1), 1);
	T_EQ_INT(utf8_whole_len("\xe0", 1, 1), 0);
	T_CASE("whole: not cut, or whole, or not a valid beginning: kept");
	T_EQ_INT(utf8_whole_len("ab\xe2\x82", 4, 0), 4);
	T_EQ_INT(utf8_whole_len("a\xe2\x82\xac", 4, 1), 4);
	T_EQ_INT(utf8_whole_len("abc", 3, 1), 3);
	T_EQ_INT(utf8_whole_len("a\xe0\x80", 3, 1), 3);	/* overlong */
	T_EQ_INT(utf8_whole_len("a\xed\xa0", 3, 1), 3);	/* surrogate */
	T_EQ_INT(utf8_whole_len("a\xf4\x90", 3, 1), 3);	/* > U+10FFFF */
	T_EQ_INT(utf8_whole_len("a\xff", 2, 1), 2);
	T_EQ_INT(utf8_whole_len("a\x80\x80", 3, 1), 3);
	T_EQ_INT(utf8_whole_len("", 0, 1), 0);
}

int
main(void)
{
	test_table();
	test_seqlen();
	test_all_bytes();
	test_big();
	test_term_escape();
	test_whole_len();
	return (t_done());
}
