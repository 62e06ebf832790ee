// SPDX-License-Identifier: MIT
/*
 * test_torture_scale.c - torture at 256 simulated CPUs on the host's few
 * PUs, per backend: a safe backend finds nothing and counts no stall in a
 * short run (255 walkers and a writer, starved by the host by design); the
 * none backend, the negative control, is caught at 256 as at 3.
 *
 * A safe backend runs on the cheapest arch model it supports (broadcast:
 * no flush IPIs) unless it needs the flush to IPI; at 256 CPUs on two
 * PUs, every broadcast IPI waits for the host to run 255 threads, so the
 * writer does only a few ops in the run.
 */
#include "smp.h"
#include "test_util.h"
#include "torture.h"

#include <stdlib.h>

#ifdef WALKLAB_NO_CRITERION
#include "tu_nocriterion.h"
#else
#include <criterion/criterion.h>
#endif

TestSuite(torture_scale, .timeout = 120);

static void config_256(struct wl_torture_config *c)
{
	wl_torture_config_default(c);
	c->arch = (wl_backend.requires & WL_REQ_FLUSH_IPI) ? WL_ARCH_IPI
							   : WL_ARCH_BROADCAST;
	c->writers = 1;
	c->walkers = WL_NR_CPUS - c->writers;
	c->quiet = true;
	c->stall_ns = 10000000000ull;
	c->stop_mask = (1u << WL_NR_VIOLATIONS) - 1;
	snprintf(c->context, sizeof(c->context), "test_torture_scale %s",
		 wl_arch_name(c->arch));
}

Test(torture_scale, cpus_256)
{
	struct wl_torture_config c;
	struct wl_torture_result r;
	bool safe = wl_backend.caps & WL_CAP_SAFE;

	config_256(&c);
	/* Safe: a short run; none: until the first violation (the bound). */
	c.duration_ns = safe ? 300000000ull : 20000000000ull;
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	cr_expect(wl_smp_oversubscribed() || wl_host_nr_pus() >= WL_NR_CPUS,
		  "256 CPUs were not up at once");
	cr_expect(r.walks >= 20, "only %llu walks",
		  (unsigned long long)r.walks);
	if (safe) {
		cr_expect_eq(r.violations, 0, "%s at 256 CPUs: %llu violations",
			     wl_backend.name, (unsigned long long)r.violations);
		cr_expect_eq(r.stalls, 0);
		cr_expect(r.balance_ok);
		cr_expect(r.success);
	} else {
		cr_expect_neq(r.first_ns, 0,
			      "%s at 256 CPUs: no violation in %.1f s",
			      wl_backend.name, (double)r.elapsed_ns / 1e9);
		cr_expect(!r.success);
	}
}
