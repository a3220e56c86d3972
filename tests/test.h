/*
 * test.h - a tiny harness for quark's C unit tests.
 *
 * Each tests/t_MODULE.c has a table of cases and a main() that runs them:
 *
 *	T_CASE("name");                a test begins (one per table row)
 *	T_CHECK(expr);                 a boolean expectation
 *	T_EQ_INT(got, want);           integers, both printed on failure
 *	T_EQ_STR(got, want);           strings (NULL-safe)
 *	t_iterations(n);               n fuzz iterations were run
 *	return (t_done());             prints "t_NAME: N passed, N failed"
 *
 * A test is what runs from one T_CASE to the next: it passes when all its
 * checks held and fails when one did not, or when it checked nothing.
 * Each result is one TAP line on stdout as the test ends ("ok 3 t_agg:
 * pair"), so that tests/run.sh shows it at once; failed checks are "#"
 * lines on stdout.  The counts are tests, not checks: a fuzz loop of
 * 20,000 checks is one test, and its iterations are counted apart.
 */
#ifndef QUARK_TEST_H
#define QUARK_TEST_H

#include <errno.h>		/* program_invocation_short_name */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static unsigned t_pass, t_fail;		/* tests */
static unsigned t_checks, t_iters;	/* checks, fuzz iterations */
static unsigned t_case_checks, t_case_fails;
static const char *t_case = NULL;
/* Ends the test under way: one TAP line. */
static inline void
t_case_end(void)
{
	if (t_case == NULL && t_case_checks == 0)
		return;
	if (t_case_fails > 0 || t_case_checks == 0)
		t_fail++;
	else
		t_pass++;
	printf("%s %u %s: %s%s\n", t_case_fails > 0 || t_case_checks == 0 ?
	    "not ok" : "ok", t_pass + t_fail, program_invocation_short_name,
	    t_case != NULL ? t_case : "(checks before the first case)",
	    t_case_checks == 0 ? " (checked nothing)" : "");
	fflush(stdout);
	t_case = NULL;
	t_case_checks = t_case_fails = 0;
}

static inline const char *
t_case_begin(const char *name)
{
	t_case_end();
	return (t_case = name);
}

#define T_CASE(name)	t_case_begin(name)

static inline void
t_iterations(unsigned n)
{
	t_iters += n;
}

static inline int
t_check(int ok, const char *expr, const char *file, int line)
{
	t_checks++;
	t_case_checks++;
	if (!ok) {
		t_case_fails++;
		printf("# FAIL %s:%d [%s] %s\n", file, line,
		    t_case != NULL ? t_case : "", expr);
	}
	return (ok);
}

#define T_CHECK(e)	t_check(!!(e), #e, __FILE__, __LINE__)

#define T_EQ_INT(got, want) do {					\
	long long _g = (long long)(got), _w = (long long)(want);	\
	if (!t_check(_g == _w, #got " == " #want, __FILE__, __LINE__))	\
		printf("#      got %lld, want %lld\n", _g, _w);		\
} while (0)

#define T_EQ_STR(got, want) do {					\
	const char *_g = (got), *_w = (want);				\
	int _ok = (_g == NULL || _w == NULL) ? _g == _w :		\
	    strcmp(_g, _w) == 0;					\
	if (!t_check(_ok, #got " == " #want, __FILE__, __LINE__))	\
		printf("#      got \"%s\", want \"%s\"\n",		\
		    _g ? _g : "(null)", _w ? _w : "(null)");		\
} while (0)

/*
 * The closing lines: "NAME: N fuzz iterations" when there were any, then
 * "NAME: N passed, N failed (N checks)", NAME the program's name.  Exit status 0 when every test
 * passed and there was one.
 */
static inline int
t_done_named(const char *name)
{
	const char	*b = program_invocation_short_name;

	(void)name;
	t_case_end();
	if (t_iters > 0)
		printf("%s: %u fuzz iterations\n", b, t_iters);
	printf("%s: %u passed, %u failed (%u checks)\n", b, t_pass, t_fail,
	    t_checks);
	fflush(stdout);
	return (t_fail == 0 && t_pass > 0 ? 0 : 1);
}

#define t_done()	t_done_named(__FILE__)

#endif /* QUARK_TEST_H */
