// SPDX-License-Identifier: MIT
/*
 * tu_skip.c - linked into every Criterion test executable: exit 77 (ctest's
 * SKIP_RETURN_CODE) when a test skipped itself and none failed or crashed.
 *
 * Criterion exits 0 when a test calls cr_skip_test(), so ctest counted a
 * skip as a pass.  Each ctest runs one test (discover_tests.cmake), so
 * the 77 marks exactly that test skipped.  Tests left out by --filter are
 * counted as skipped in Criterion's global stats, so the skips are
 * counted here, per test run (POST_TEST runs in the runner process).
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned int skipped, failed;

ReportHook(POST_TEST)(struct criterion_test_stats *st)
{
	if (st->test_status == CR_STATUS_SKIPPED) {
		skipped++;
		printf("[SKIP] %s::%s: %s\n", st->test->category,
		       st->test->name, st->message ? st->message : "");
	} else if (st->test_status != CR_STATUS_PASSED || st->crashed ||
		   st->timed_out) {
		failed++;
	}
}

/* After Criterion's own exit path has printed everything. */
static void exit_skipped(void)
{
	fflush(NULL);
	_exit(77);
}

ReportHook(POST_ALL)(struct criterion_global_stats *st)
{
	if (skipped && !failed && !st->tests_failed && !st->tests_crashed)
		atexit(exit_skipped);
}
