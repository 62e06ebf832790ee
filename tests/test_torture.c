// SPDX-License-Identifier: MIT
/*
 * test_torture.c - the checker can pass and can fail, per backend.
 *
 * Built once per backend configuration, linked with walklab_torture
 * (bench/torture/).  Bounded runs, stopping at the first violation:
 *  - a backend that claims WL_CAP_SAFE, on every arch model it supports
 *    (only ipi when it requires the flush to IPI): no violation, balance
 *    at teardown, no stall, over about a second with fault injection;
 *  - a backend that does not (none, the negative control), on every arch
 *    model: a violation within the bound; this is the test that shows the
 *    checker can fail;
 *  - a deliberately broken walker (no PTE recheck: wl_bugs, a run-time
 *    knob rather than a build option) on a safe backend, under
 *    migration: a stale pin or a pin kept across the "no pins" decision,
 *    within the bound;
 *  - the checker switched off sees nothing on the negative control.
 */
#include "test_util.h"
#include "torture.h"

#ifdef WALKLAB_NO_CRITERION
#include "tu_nocriterion.h" /* TSan builds: see there */
#else
#include <criterion/criterion.h>
#endif

TestSuite(torture, .timeout = 120);

static void base_config(struct wl_torture_config *c, enum wl_arch arch)
{
	wl_torture_config_default(c);
	c->arch = arch;
	c->walkers = 2;
	c->writers = 1;
	c->inject = true;
	c->quiet = true;
	c->stall_ns = 10000000000ull;
	c->stop_mask = (1u << WL_NR_VIOLATIONS) - 1;
	snprintf(c->context, sizeof(c->context), "test_torture %s",
		 wl_arch_name(arch));
}

static bool arch_supported(enum wl_arch arch)
{
	return !(wl_backend.requires & WL_REQ_FLUSH_IPI) || arch == WL_ARCH_IPI;
}

/* A safe backend on a supported arch: about a second, nothing found. */
static void safe_backend(enum wl_arch arch)
{
	struct wl_torture_config c;
	struct wl_torture_result r;

	if (!(wl_backend.caps & WL_CAP_SAFE))
		cr_skip_test("%s does not claim to be safe", wl_backend.name);
	if (!arch_supported(arch))
		cr_skip_test("%s requires a flush that IPIs", wl_backend.name);
	base_config(&c, arch);
	c.duration_ns = WL_TSAN ? 2000000000ull : 1000000000ull;
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	uint64_t ops = 0;

	for (int i = 0; i < WL_NR_OPS; i++)
		ops += r.ops[i];
	/* Both sides ran (sanitizer builds are slow: modest floors). */
	cr_expect(r.walks >= 20, "only %llu walks",
		  (unsigned long long)r.walks);
	cr_expect(ops >= 5, "only %llu writer ops", (unsigned long long)ops);
	cr_expect_eq(r.violations, 0, "%s on %s: %llu violations",
		     wl_backend.name, wl_arch_name(arch),
		     (unsigned long long)r.violations);
	cr_expect(r.balance_ok);
	cr_expect_eq(r.stalls, 0);
	cr_expect(r.success);
}

/* The negative control: a violation within the bound. */
static void negative_control(enum wl_arch arch)
{
	struct wl_torture_config c;
	struct wl_torture_result r;

	if (wl_backend.caps & WL_CAP_SAFE)
		cr_skip_test("%s claims to be safe", wl_backend.name);
	base_config(&c, arch);
	c.duration_ns = 20000000000ull; /* the bound; stops at the first */
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	cr_expect_neq(r.first_ns, 0, "%s on %s: no violation in %.1f s",
		      wl_backend.name, wl_arch_name(arch),
		      (double)r.elapsed_ns / 1e9);
	cr_expect(wl_violation_count(WL_V_TABLE_UAF) ||
		  wl_violation_count(WL_V_POISON_READ) ||
		  wl_violation_count(WL_V_STALE_PIN) ||
		  wl_violation_count(WL_V_PIN_AFTER_NOPIN));
	cr_expect(!r.success);
}

Test(torture, safe_on_ipi)
{
	safe_backend(WL_ARCH_IPI);
}

Test(torture, safe_on_broadcast)
{
	safe_backend(WL_ARCH_BROADCAST);
}

Test(torture, safe_on_paravirt)
{
	safe_backend(WL_ARCH_PARAVIRT);
}

Test(torture, negative_control_ipi)
{
	negative_control(WL_ARCH_IPI);
}

Test(torture, negative_control_broadcast)
{
	negative_control(WL_ARCH_BROADCAST);
}

Test(torture, negative_control_paravirt)
{
	negative_control(WL_ARCH_PARAVIRT);
}

Test(torture, broken_walker_caught)
{
	struct wl_torture_config c;
	struct wl_torture_result r;

	if (!(wl_backend.caps & WL_CAP_SAFE))
		cr_skip_test("the negative control fails without the bug");
	base_config(&c, arch_supported(WL_ARCH_BROADCAST) ? WL_ARCH_BROADCAST
							  : WL_ARCH_IPI);
	c.bugs.walker_no_pte_recheck = true;
	/*
	 * Zap (without page-table reclaim) and migration: they free no
	 * table and need no sync, so even a backend whose writers can
	 * starve behind continuous walkers (a reader count polled to zero)
	 * makes progress.  A zap between the walker's PTE read and its
	 * missing recheck leaves it a pin on an unmapped folio.
	 */
	for (int i = 0; i < WL_NR_OPS; i++)
		c.mix[i] = 0;
	c.mix[WL_OP_DONTNEED] = 1;
	c.mix[WL_OP_MIGRATE] = 1;
	c.pt_reclaim = false;
	c.stop_mask = (1u << WL_V_STALE_PIN) | (1u << WL_V_PIN_AFTER_NOPIN);
	c.duration_ns = 20000000000ull;
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	cr_expect_neq(r.first_ns, 0,
		      "%s: a walker without its PTE recheck went unnoticed "
		      "for %.1f s",
		      wl_backend.name, (double)r.elapsed_ns / 1e9);
	cr_expect(!r.success);
}

Test(torture, checker_off_sees_nothing)
{
	struct wl_torture_config c;
	struct wl_torture_result r;

	if (wl_backend.caps & WL_CAP_SAFE)
		cr_skip_test("only meaningful on the negative control");
	base_config(&c, WL_ARCH_BROADCAST);
	c.check = false;
	c.stop_mask = 0;
	c.duration_ns = 300000000ull;
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	cr_expect_eq(wl_violation_count(WL_V_TABLE_UAF), 0);
	cr_expect_eq(wl_violation_count(WL_V_STALE_PIN), 0);
	cr_expect(r.walks > 100);
}

/*
 * --batch-fail 1: no table batch can be allocated, so every table goes
 * through tlb_remove_table_one() (even with a writer that starves behind
 * the walkers, as atomic_readers' does, the few tables it frees do); the
 * run must reach it and stay safe.  Table-freeing writers only (zap with page-table reclaim,
 * munmap), on broadcast where the flush holds off no walker.
 */
static void batch_fail_config(struct wl_torture_config *c)
{
	base_config(c, arch_supported(WL_ARCH_BROADCAST) ? WL_ARCH_BROADCAST
							 : WL_ARCH_IPI);
	for (int i = 0; i < WL_NR_OPS; i++)
		c->mix[i] = 0;
	c->mix[WL_OP_DONTNEED] = 6;
	c->mix[WL_OP_MUNMAP] = 1;
	c->pt_reclaim = true;
	c->batch_fail = 65536;
}

Test(torture, batch_fail_reaches_free_table_one)
{
	struct wl_torture_config c;
	struct wl_torture_result r;

	if (!(wl_backend.caps & WL_CAP_SAFE))
		cr_skip_test("%s does not claim to be safe", wl_backend.name);
	batch_fail_config(&c);
	c.duration_ns = WL_TSAN ? 2000000000ull : 1000000000ull;
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	cr_expect_geq(r.free_one_calls, 1,
		      "tlb_remove_table_one() not reached");
	cr_expect_eq(r.violations, 0);
	cr_expect(r.success);
}

/* Its negative control: a fallback that frees at once is caught. */
Test(torture, batch_fail_free_now_caught)
{
	struct wl_torture_config c;
	struct wl_torture_result r;

	if (!(wl_backend.caps & WL_CAP_SAFE))
		cr_skip_test("the negative control fails without the bug");
	if (!arch_supported(WL_ARCH_BROADCAST))
		cr_skip_test("the IPI flush would hold the free off");
	batch_fail_config(&c);
	c.bugs.table_one_free_now = true;
	c.stop_mask = (1u << WL_V_TABLE_UAF) | (1u << WL_V_POISON_READ);
	c.duration_ns = 20000000000ull; /* the bound; stops at the first */
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	cr_expect_neq(r.first_ns, 0,
		      "%s: a table freed at once went "
		      "unnoticed for %.1f s",
		      wl_backend.name, (double)r.elapsed_ns / 1e9);
	cr_expect(!r.success);
}
