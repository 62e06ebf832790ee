// SPDX-License-Identifier: MIT
#include "test_util.h"
#include "pte_map.h"
#include "rcu_sched.h"

#ifdef WALKLAB_NO_CRITERION
#include "tu_nocriterion.h" /* TSan builds: see there */
#else
#include <criterion/criterion.h>
#endif

void tu_machine_up(enum wl_arch arch)
{
	struct wl_machine_config cfg;

	wl_machine_config_default(&cfg);
	cfg.nr_frames = UINT64_C(1) << 19;
	cfg.nr_tables = 1u << 12;
	cfg.smp.nr_cpus_hint = 1;
	cfg.smp.pin = WL_PIN_NONE;
	wl_arch_config_default(&cfg.arch, arch);
	cr_assert_eq(wl_machine_init(&cfg), 0);
	cr_assert_geq(wl_cpu_start("test"), 0);
	wl_violations_reset();
	wl_violation_set_print_limit(3);
	wl_check_enabled = true;
}

void tu_machine_down(void)
{
	wl_cpu_stop();
	wl_machine_fini();
}

void tu_mm_down(struct wl_mm *mm)
{
	wl_inject_hook = NULL;
	wl_inject_cfg.enabled = false;
	wl_pte_map_window = NULL;
	/*
	 * No grace period in flight when the bugs are reset: the reclaimer
	 * reads wl_bugs.rcu_sched_ignores_irqoff in each one.
	 */
	rcu_sched_barrier();
	wl_bugs = (struct wl_bugs){0};
	wl_mm_destroy(mm);
	cr_expect_eq(wl_machine_check_balance(), 0, "frames or tables leaked");
	cr_expect_eq(wl_violations_total(), 0, "checker violations");
	tu_machine_down();
}
