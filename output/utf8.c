/*
 * utf8.c - byte sanitizing for JSON output.  The policy is in utf8.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* U+FFFD REPLACEMENT CHARACTER */
static const unsigned char repl[3] = { 0xef, 0xbf, 0xbd };

/*
 * Unicode 15, table 3-7 "Well-Formed UTF-8 Byte Sequences": the allowed
 * range of the second byte depends on the first one; the third and
 * fourth bytes are always 80..BF.
 */
size_t
utf8_seqlen(const unsigned char *s, size_t len)
{
	unsigned char	c = s[0], lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (len == 0)
		return (0);
	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates U+D800..U+DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return (0);		/* 80..C1, F5..FF */
	if (len < n)
		return (0);
	if (s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	return (n);
}

int
utf8_valid(const char *buf, size_t len)
{
	const unsigned char	*s = (const unsigned char *)buf;
	size_t			 i = 0, n;

	while (i < len) {
		/* ASCII fast path. */
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seqlen(s + i, len - i)) == 0)
			return (0);
		i += n;
	}
	return (1);
}

char *
utf8_sanitize(const char *buf, size_t len, size_t *outlen, int *altered)
{
	const unsigned char	*s = (const unsigned char *)buf;
	unsigned char		*out;
	size_t			 i = 0, o = 0, n;

	*altered = 0;
	if (len > (SIZE_MAX - 1) / 3) {
		errno = ENOMEM;
		return (NULL);
	}
	if ((out = malloc(3 * len + 1)) == NULL)
		return (NULL);
	while (i < len) {
		if ((n = utf8_seqlen(s + i, len - i)) == 0) {
			memcpy(out + o, repl, sizeof(repl));
			o += sizeof(repl);
			i++;
			*altered = 1;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return ((char *)out);
}

/* A code point that must not reach a terminal as itself. */
static int
term_unsafe(uint32_t cp)
{
	return (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
	    cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x2028 || cp == 0x2029);
}

const char *
utf8_term_escape(const char *buf, size_t len, size_t *n,
    char esc[UTF8_ESC_MAX])
{
	const unsigned char	*p = (const unsigned char *)buf;
	uint32_t		 cp;
	size_t			 i;

	if ((*n = utf8_seqlen(p, len)) == 0) {
		*n = 1;
		snprintf(esc, UTF8_ESC_MAX, "\\x%02x", p[0]);
		return (esc);
	}
	cp = *n == 1 ? p[0] : p[0] & (0x7f >> *n);
	for (i = 1; i < *n; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	switch (cp) {
	case '\\':
		return ("\\\\");
	case '\n':
		return ("\\n");
	case '\t':
		return ("\\t");
	case '\r':
		return ("\\r");
	}
	if (!term_unsafe(cp))
		return (NULL);
	/* \xNN is a byte: a C1 control, valid UTF-8, is a code point. */
	if (cp < 0x80)
		snprintf(esc, UTF8_ESC_MAX, "\\x%02x", (unsigned)cp);
	else
		snprintf(esc, UTF8_ESC_MAX, "\\u{%x}", (unsigned)cp);
	return (esc);
}

size_t
utf8_whole_len(const char *buf, size_t len, int cut)
{
	const unsigned char	*p = (const unsigned char *)buf;
	unsigned char		 t[4];
	size_t			 i, k, need;

	if (!cut)
		return (len);
	/* The last byte that is not a continuation byte, 3 back at most. */
	for (i = len; i > 0 && len - i < 3 && (p[i - 1] & 0xc0) == 0x80; i--)
		;
	if (i == 0)
		return (len);
	i--;
	if (p[i] >= 0xc2 && p[i] <= 0xdf)
		need = 2;
	else if (p[i] >= 0xe0 && p[i] <= 0xef)
		need = 3;
	else if (p[i] >= 0xf0 && p[i] <= 0xf4)
		need = 4;
	else
		return (len);
	if ((k = len - i) >= need)
		return (len);
	/* A valid beginning: completed with the smallest bytes it allows. */
	memcpy(t, p + i, k);
	t[1] = k > 1 ? t[1] : p[i] == 0xe0 ? 0xa0 : p[i] == 0xf0 ? 0x90 : 0x80;
	memset(t + (k > 2 ? k : 2), 0x80, need - (k > 2 ? k : 2));
	return (utf8_seqlen(t, need) == need ? i : len);
}
