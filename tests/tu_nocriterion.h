/* SPDX-License-Identifier: MIT */
/*
 * tu_nocriterion.h - the subset of Criterion's API our tests use, for
 * builds where Criterion cannot run: under ThreadSanitizer, Criterion's
 * boxfort arena picks random addresses in the range TSan reserves and
 * aborts ("Could not initialize inheritable arena", Snaipe/Criterion#274),
 * or crashes when it does find room.
 *
 * Same semantics where it matters: each test runs in its own forked
 * process (fresh globals), with the suite's .init/.fini and .timeout;
 * cr_assert*() ends the test, cr_expect*() marks it failed and goes on,
 * cr_skip_test() skips it.  The runner (tu_nocriterion.c) prints one line
 * per test and exits 1 if any failed.  Select with WALKLAB_NO_CRITERION.
 */
#ifndef WALKLAB_TU_NOCRITERION_H
#define WALKLAB_TU_NOCRITERION_H

#include <stdbool.h>
#include <stdio.h>

struct tu_suite {
	void (*init)(void);
	void (*fini)(void);
	double timeout; /* seconds; 0: the runner's default */
};

void tu_register(const char *suite, const char *name, void (*fn)(void),
		 const struct tu_suite *cfg);
/* No format attribute: an assertion without a message passes "". */
void tu_fail(bool fatal, const char *file, int line, const char *expr,
	     const char *fmt, ...);
void tu_skip(const char *fmt, ...) __attribute__((noreturn));

/* TestSuite() must come before the suite's Test()s, as in our tests. */
#define TestSuite(s, ...)                                                      \
	static const struct tu_suite tu_suite_##s = {__VA_ARGS__}

#define Test(s, n, ...)                                                        \
	static void tu_test_##s##_##n(void);                                   \
	__attribute__((constructor)) static void tu_reg_##s##_##n(void)        \
	{                                                                      \
		tu_register(#s, #n, tu_test_##s##_##n, &tu_suite_##s);         \
	}                                                                      \
	static void tu_test_##s##_##n(void)

/* Criterion's info log: a line on stdout. */
#define cr_log_info(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))

/* The message, if any, must be a string literal, as in Criterion. */
#define tu_check(fatal, cond, expr, ...)                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			tu_fail(fatal, __FILE__, __LINE__, expr,               \
				"" __VA_ARGS__);                               \
	} while (0)

#define cr_assert(c, ...) tu_check(true, (c), #c, __VA_ARGS__)
#define cr_expect(c, ...) tu_check(false, (c), #c, __VA_ARGS__)
#define tu_cmp(fatal, a, op, b, ...)                                           \
	tu_check(fatal, (a)op(b), #a " " #op " " #b, __VA_ARGS__)
#define cr_assert_eq(a, b, ...)	 tu_cmp(true, a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) tu_cmp(true, a, !=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...)	 tu_cmp(true, a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) tu_cmp(true, a, <=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...)	 tu_cmp(true, a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) tu_cmp(true, a, >=, b, __VA_ARGS__)
#define cr_assert_null(p, ...)                                                 \
	tu_cmp(true, (const void *)(p), ==, 0, __VA_ARGS__)
#define cr_assert_not_null(p, ...)                                             \
	tu_cmp(true, (const void *)(p), !=, 0, __VA_ARGS__)
#define cr_expect_eq(a, b, ...)	 tu_cmp(false, a, ==, b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) tu_cmp(false, a, !=, b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...) tu_cmp(false, a, <=, b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...) tu_cmp(false, a, >=, b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...)	 tu_cmp(false, a, >, b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...)	 tu_cmp(false, a, <, b, __VA_ARGS__)
#define cr_skip_test(...)	 tu_skip("" __VA_ARGS__)

#endif /* WALKLAB_TU_NOCRITERION_H */
