/*
 * test.h - a tiny harness for quark's C unit tests.
 *
 * Each tests/t_MODULE.c has a table of cases and a main() that runs them:
 *
 *	T_CHECK(expr);                 a boolean expectation
 *	T_EQ_INT(got, want);           integers, both printed on failure
 *	T_EQ_STR(got, want);           strings (NULL-safe)
 *	return (t_done());             prints "t_NAME: N passed, N failed"
 *
 * Each check counts once.  tests/run.sh adds up the closing lines.
 */
#ifndef QUARK_TEST_H
#define QUARK_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static unsigned t_pass, t_fail;
static const char *t_case = "";

#define T_CASE(name)	(t_case = (name))

static inline int
t_check(int ok, const char *expr, const char *file, int line)
{
	if (ok)
		t_pass++;
	else {
		t_fail++;
		fprintf(stderr, "FAIL %s:%d [%s] %s\n", file, line, t_case, expr);
	}
	return (ok);
}

#define T_CHECK(e)	t_check(!!(e), #e, __FILE__, __LINE__)

#define T_EQ_INT(got, want) do {					\
	long long _g = (long long)(got), _w = (long long)(want);	\
	if (!t_check(_g == _w, #got " == " #want, __FILE__, __LINE__))	\
		fprintf(stderr, "     got %lld, want %lld\n", _g, _w);	\
} while (0)

#define T_EQ_STR(got, want) do {					\
	const char *_g = (got), *_w = (want);				\
	int _ok = (_g == NULL || _w == NULL) ? _g == _w :		\
	    strcmp(_g, _w) == 0;					\
	if (!t_check(_ok, #got " == " #want, __FILE__, __LINE__))	\
		fprintf(stderr, "     got \"%s\", want \"%s\"\n",	\
		    _g ? _g : "(null)", _w ? _w : "(null)");		\
} while (0)

static inline int
t_done_named(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, t_pass, t_fail);
	return (t_fail == 0 && t_pass > 0 ? 0 : 1);
}

#define t_done()	t_done_named(__FILE__)

#endif /* QUARK_TEST_H */
