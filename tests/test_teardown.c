// SPDX-License-Identifier: MIT
/*
 * test_teardown.c - the end-of-test checks can fail a test: the negative
 * control of tu_mm_down() (test_util.c) in a suite's .fini, and of
 * tu_verdict.c, which makes a failure there count under Criterion.
 *
 * Suite teardown: a test that leaves nothing behind passes.  Suite
 * must_fail: one test keeps a page reference past the end, one records a
 * violation; each body passes, so only the .fini can fail them.
 * discover_tests.cmake does not register must_fail; test_teardown.sh runs
 * each test and wants exit 1 with the .fini's message.  Backend-
 * independent: built for one configuration.
 */
#include "test_util.h"

#ifdef WALKLAB_NO_CRITERION
#include "tu_nocriterion.h"
#else
#include <criterion/criterion.h>
#endif

static struct wl_mm mm;
static struct wl_page *page; /* the one page the test maps, held */

static void setup(void)
{
	tu_machine_up(WL_ARCH_IPI);
	cr_assert_eq(wl_mm_init(&mm), 0);
	cr_assert_eq(wl_mmap(&mm, PUD_SIZE, PAGE_SIZE, VM_READ | VM_WRITE), 0);
	cr_assert_eq(wl_get_user_pages_fast(&mm, PUD_SIZE, 1, FOLL_GET, &page),
		     1);
}

static void teardown(void)
{
	tu_mm_down(&mm);
}

TestSuite(teardown, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(must_fail, .init = setup, .fini = teardown, .timeout = 60);

Test(teardown, nothing_left_passes)
{
	wl_put_user_pages(&page, 1, FOLL_GET);
	cr_assert_eq(wl_violations_total(), 0);
}

Test(must_fail, leaks_a_page_reference)
{
	cr_assert_eq(wl_violations_total(), 0);
}

Test(must_fail, records_a_violation)
{
	wl_put_user_pages(&page, 1, FOLL_GET);
	wl_violation(WL_V_STALE_PIN, "planted by test_teardown.c");
	cr_assert_eq(wl_violations_total(), 1);
}
