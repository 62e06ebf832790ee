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
 *  - the checker switched off sees nothing in a run where, switched on,
 *    it catches a planted race (the negative control, or the broken
 *    walker on a safe backend);
 *  - a safe backend on the pre-4.5 THP split (--legacy-thp), two writers
 *    on broadcast: no violation and no stall.  Its catch is the stall: a
 *    writer waiting for the PMD lock must not hold up the grace period
 *    the lock holder waits for (rcu-qsbr stalled without that).  The
 *    split's bypass of the backend is test_mm's to catch (exactly) and the
 *    legacy-split-* scenarios' (by torture); in a second here it is
 *    caught only now and then.
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

/*
 * The legacy scenarios' mix with two writers, one walker (atomic_readers'
 * writer starves with more, see scripts/walklab-starvation).
 */
Test(torture, legacy_split_safe)
{
	struct wl_torture_config c;
	struct wl_torture_result r;
	uint64_t ops = 0;

	if (!(wl_backend.caps & WL_CAP_SAFE))
		cr_skip_test("%s does not claim to be safe", wl_backend.name);
	base_config(&c, WL_ARCH_BROADCAST);
	c.legacy_thp = true;
	for (int i = 0; i < WL_NR_OPS; i++)
		c.mix[i] = 0;
	c.mix[WL_OP_SPLIT] = 4;
	c.mix[WL_OP_DONTNEED] = 2;
	c.mix[WL_OP_MUNMAP] = 1;
	c.walkers = 1;
	c.writers = 2;
	c.duration_ns = WL_TSAN ? 2000000000ull : 1000000000ull;
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	for (int i = 0; i < WL_NR_OPS; i++)
		ops += r.ops[i];
	cr_expect(ops >= 5, "only %llu writer ops", (unsigned long long)ops);
	cr_expect_eq(r.violations, 0, "%s: %llu violations on the legacy split",
		     wl_backend.name, (unsigned long long)r.violations);
	cr_expect_eq(r.stalls, 0);
	cr_expect(r.success);
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

/* What the walker's checker reports (not the teardown's or the watchdog's). */
static uint64_t oracle_violations(void)
{
	return wl_violation_count(WL_V_TABLE_UAF) +
	       wl_violation_count(WL_V_POISON_READ) +
	       wl_violation_count(WL_V_STALE_PIN) +
	       wl_violation_count(WL_V_PIN_AFTER_NOPIN);
}

/*
 * A run with a race the checker catches: the negative control as it is,
 * or a safe backend with a walker that skips its PTE recheck (as in
 * broken_walker_caught).
 */
static void planted_config(struct wl_torture_config *c)
{
	base_config(c, arch_supported(WL_ARCH_BROADCAST) ? WL_ARCH_BROADCAST
							 : WL_ARCH_IPI);
	if (!(wl_backend.caps & WL_CAP_SAFE))
		return;
	c->bugs.walker_no_pte_recheck = true;
	for (int i = 0; i < WL_NR_OPS; i++)
		c->mix[i] = 0;
	c->mix[WL_OP_DONTNEED] = 1;
	c->mix[WL_OP_MIGRATE] = 1;
	c->pt_reclaim = false;
}

/*
 * The checker switched off sees nothing, where switched on it sees the
 * race: the same configuration and seed, first with the checker (it must
 * catch the planted race, or the silence below would prove nothing), then
 * without it for three times as long, at least 300 ms: nothing of the
 * walker's checker may be reported, since every check is behind the
 * switch (which the checker's on/off cost measurement relies on).  Fails
 * if a check escapes it (tried: trace_table() without its
 * wl_check_enabled test reports table_uaf with the checker off).
 */
Test(torture, checker_off_sees_nothing)
{
	struct wl_torture_config c;
	struct wl_torture_result r;
	uint64_t caught_ns, walks_on;

	planted_config(&c);
	c.stop_mask = (1u << WL_V_TABLE_UAF) | (1u << WL_V_POISON_READ) |
		      (1u << WL_V_STALE_PIN) | (1u << WL_V_PIN_AFTER_NOPIN);
	c.duration_ns = 20000000000ull;
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	cr_assert_neq(r.first_ns, 0, "%s: the planted race went uncaught",
		      wl_backend.name);
	cr_assert_gt(oracle_violations(), 0);
	caught_ns = r.elapsed_ns;
	walks_on = r.walks;

	planted_config(&c);
	c.check = false;
	c.stop_mask = 0;
	c.duration_ns = WL_MAX(3 * caught_ns, 300000000ull);
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	cr_expect_eq(oracle_violations(), 0,
		     "%s: %llu reported with the checker off", wl_backend.name,
		     (unsigned long long)oracle_violations());
	/*
	 * The walkers ran (not a walk count to match the first run's: under
	 * load, writers flat out starve them 10x from one run to the next).
	 */
	cr_expect_geq(r.walks, 5, "%llu walks; the checker caught it in %llu",
		      (unsigned long long)r.walks,
		      (unsigned long long)walks_on);
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
