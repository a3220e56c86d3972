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

int
main(void)
{
	test_table();
	test_seqlen();
	test_all_bytes();
	test_big();
	return (t_done());
}
