// SPDX-License-Identifier: MIT
/*
 * tu_verdict.c - linked into every Criterion test executable: the exit
 * status ctest sees, where Criterion 2.4's own is wrong.  Each ctest runs
 * one test (discover_tests.cmake).  The hooks run in the runner process,
 * from the events the test's worker sends.
 *
 * Skips: Criterion exits 0 when a test calls cr_skip_test(), so ctest
 * counted a skip as a pass.  We exit 77 (ctest's SKIP_RETURN_CODE) when a
 * test skipped itself and none failed.  Tests left out by --filter are
 * counted as skipped in Criterion's global stats, so the skips are counted
 * here, per test run.
 *
 * The suite's .fini: Criterion sends the test's verdict (POST_TEST) when
 * the body returns, before the .fini runs, and does not change it after:
 * an expectation or assertion that fails in the .fini is printed, and a
 * .fini that crashes or exits draws a warning, but the test passes (and
 * the executable exits 0).  The suites' end-of-test checks (nothing
 * leaked, no violation: tu_mm_down()) are there, so we fail the run
 * ourselves: a test whose .fini adds a failed assertion, or whose .fini
 * never finishes (no POST_FINI before the next test or the end), failed.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned int skipped, failed;
/* The test whose body passed (or skipped) and whose .fini has not ended. */
static struct criterion_test *in_fini;
static int asserts_failed_in_body;

static void fini_did_not_end(void)
{
	if (!in_fini)
		return;
	printf("[FAIL] %s::%s: its suite's .fini crashed or exited\n",
	       in_fini->category, in_fini->name);
	failed++;
	in_fini = NULL;
}

ReportHook(PRE_INIT)(struct criterion_test *test)
{
	(void)test;
	fini_did_not_end();
}

ReportHook(POST_TEST)(struct criterion_test_stats *st)
{
	fini_did_not_end();
	if (st->test_status == CR_STATUS_SKIPPED) {
		skipped++;
		printf("[SKIP] %s::%s: %s\n", st->test->category,
		       st->test->name, st->message ? st->message : "");
	} else if (st->test_status != CR_STATUS_PASSED || st->crashed ||
		   st->timed_out) {
		failed++;
		return;
	}
	in_fini = st->test;
	asserts_failed_in_body = st->failed_asserts;
}

ReportHook(POST_FINI)(struct criterion_test_stats *st)
{
	if (st->test != in_fini)
		return;
	in_fini = NULL;
	if (st->failed_asserts == asserts_failed_in_body)
		return;
	printf("[FAIL] %s::%s: %d assertion(s) failed in its suite's .fini "
	       "(above)\n",
	       st->test->category, st->test->name,
	       st->failed_asserts - asserts_failed_in_body);
	failed++;
}

/* After Criterion's own exit path has printed everything. */
static void exit_skipped(void)
{
	fflush(NULL);
	_exit(77);
}

static void exit_failed(void)
{
	fflush(NULL);
	_exit(1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	fini_did_not_end();
	if (failed && !st->tests_failed && !st->tests_crashed)
		atexit(exit_failed);
	else if (skipped && !failed && !st->tests_failed && !st->tests_crashed)
		atexit(exit_skipped);
}
