/*
 * utf8.h - making arbitrary bytes safe for JSON.
 *
 * Process names, arguments, paths, cgroups and environments may hold any
 * bytes.  jansson (and JSON) wants valid UTF-8.  quark's policy, applied to
 * every string it prints:
 *
 *  - A byte sequence that is valid UTF-8 (RFC 3629) is kept as is.  That
 *    includes control characters (U+0000..U+001F, U+007F): the JSON
 *    serializer escapes them ("\n", "\u001B"), so they survive intact.
 *  - Every byte that does not start a valid sequence becomes U+FFFD
 *    (EF BF BD), one U+FFFD per invalid byte, and decoding resumes at
 *    the next byte.  Invalid means: a stray continuation byte (80-BF),
 *    C0, C1 and F5-FF, an overlong form (E0 80-9F .., F0 80-8F ..), a
 *    surrogate (ED A0-BF ..: U+D800..U+DFFF), a code point above
 *    U+10FFFF (F4 90-BF ..), and a sequence cut short by its end or by a
 *    byte that is not a continuation byte.  "E2 82 41" thus becomes
 *    U+FFFD U+FFFD "A": each input byte is still visible as one
 *    character, so lengths and positions stay comparable.
 *  - A NUL cannot appear inside a C string field (comm, exe, cwd,
 *    cgroup): those end at their first NUL.  argv and envp are split on
 *    NUL into array elements, so no element holds one.
 *  - A value that had to be altered is never silently changed: the
 *    object that holds it gets a "sanitized" array naming the key.
 */
#ifndef QUARK_UTF8_H
#define QUARK_UTF8_H

#include <stddef.h>

/* 1 when buf[0..len) is entirely valid UTF-8, else 0. */
int	 utf8_valid(const char *buf, size_t len);

/*
 * Length in bytes of the valid UTF-8 sequence starting at buf (1-4), or 0
 * when buf[0] does not start one within len bytes.
 */
size_t	 utf8_seqlen(const unsigned char *buf, size_t len);

/*
 * A new NUL-terminated copy of buf[0..len) with the policy above applied;
 * *outlen (if not NULL) gets its length.  *altered is set to 1 when a byte
 * was replaced, else 0.  NULL (errno ENOMEM) on allocation failure.  The
 * caller frees the result.  The output is at most 3 * len + 1 bytes.
 */
char	*utf8_sanitize(const char *buf, size_t len, size_t *outlen,
	    int *altered);

/*
 * len, less a character cut short at the very end of buf when cut is set:
 * a buffer cut at a byte count (a truncated argv or environment) may end
 * inside a character; its *_truncated flag says so, not a U+FFFD and a
 * "sanitized" mark for bytes the process never had wrong.
 */
size_t	 utf8_whole_len(const char *buf, size_t len, int cut);

/*
 * For a terminal (text format, snapshot --tree): the next character of
 * buf[0..len) (len > 0) takes *n bytes (1-4).  Returns NULL when they may
 * be shown as they are (printable, valid UTF-8), else the escape to show
 * instead, written into esc, C-style: \\ \n \t \r; \xNN for a byte that
 * is not UTF-8 and for a C0 control or DEL; \u{NN} for a C1 control,
 * \u{NNNN} for the line and paragraph separators and the bidirectional controls (U+061C,
 * U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), which would reorder or
 * break what follows on the terminal.
 */
#define UTF8_ESC_MAX	16
const char *utf8_term_escape(const char *buf, size_t len, size_t *n,
	    char esc[UTF8_ESC_MAX]);

#endif /* QUARK_UTF8_H */
