// SPDX-License-Identifier: MIT
#include "test_util.h"

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
