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
#include "torture_internal.h" /* torture_validate() */
#include "walk_backend.h"     /* WL_PTE_TABLE_REF */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/*
 * The per-CPU counts at 256 (snapshot when the run's CPUs stopped): the
 * run's 256 CPUs and the shared row hold every grace period, poll and IPI
 * taken (no other row counted one), the walkers asked for none (but the
 * callbacks of the tables whose last reference they dropped, where the
 * backend has per-table references: pte_put() frees), and where
 * the sync is synchronize_rcu() the writer's grace periods waited for are
 * the core's own count of its sync calls.
 */
static void check_percpu_sums(const struct wl_torture_result *r)
{
	const bool sync_gp = (wl_backend.caps & WL_CAP_DEFERS_FREE) &&
			     !(wl_backend.caps & WL_CAP_IRQS_OFF);
	struct torture_percpu_sums s;

	torture_percpu_sums(&s);
	/* Fewer when a late thread took the id of one gone (percpu.c). */
	cr_expect_leq(s.nr_writers + s.nr_walkers, WL_NR_CPUS);
	cr_expect_geq(s.nr_writers, 1);
	for (int ev = 0; ev < WL_NR_CPU_EVENTS; ev++) {
		cr_expect_eq(s.writers[ev] + s.walkers[ev] + s.shared[ev],
			     s.total[ev],
			     "%s: %s: writers %llu + walkers %llu + not CPUs "
			     "%llu, all rows %llu",
			     wl_backend.name, wl_cpu_event_names[ev],
			     (unsigned long long)s.writers[ev],
			     (unsigned long long)s.walkers[ev],
			     (unsigned long long)s.shared[ev],
			     (unsigned long long)s.total[ev]);
#ifdef WL_PTE_TABLE_REF
		if (ev == WL_EV_GP_CALL)
			continue;
#endif
		cr_expect_eq(s.walkers[ev], 0, "%s: walkers counted %llu %s",
			     wl_backend.name, (unsigned long long)s.walkers[ev],
			     wl_cpu_event_names[ev]);
	}
	cr_expect_eq(s.ipi_taken, s.ipi_taken_all,
		     "%s: IPIs taken: run's CPUs %llu, all rows %llu",
		     wl_backend.name, (unsigned long long)s.ipi_taken,
		     (unsigned long long)s.ipi_taken_all);
	if (sync_gp)
		cr_expect_eq(s.writers[WL_EV_GP_SYNC], r->run_sync_calls,
			     "%s: writer waited for %llu grace periods in %llu "
			     "syncs",
			     wl_backend.name,
			     (unsigned long long)s.writers[WL_EV_GP_SYNC],
			     (unsigned long long)r->run_sync_calls);
}

Test(torture_scale, cpus_256)
{
	struct wl_torture_config c;
	struct wl_torture_result r;
	bool safe = wl_backend.caps & WL_CAP_SAFE;

	config_256(&c);
	/*
	 * Safe: a short run; none: until the first violation, within a bound.
	 * The none backend is caught within 7 to 21 writer ops, but the one
	 * writer gets about 1/256 of the host when the walkers never sleep:
	 * under ASan, 5 runs idle took 0.08 to 16.1 s (7 ops in the slowest).
	 * CI's serial ASan run failed this test once with a 20 s bound (the
	 * log was not kept; that tail is the likely cause).  The bound only
	 * has to stay under the suite's 120 s timeout.
	 */
	c.duration_ns = safe ? 100000000ull : 60000000000ull;
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	cr_expect(wl_smp_oversubscribed() || wl_host_nr_pus() >= WL_NR_CPUS,
		  "256 CPUs were not up at once");
	cr_expect(r.walks >= 20, "only %llu walks",
		  (unsigned long long)r.walks);
	check_percpu_sums(&r);
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

/*
 * A run of a fixed number of munmaps at 256 (table frees: grace periods
 * or polls where the backend has them; few, each waits for the host to
 * run the walkers), so the
 * per-CPU sums above have something to add up, and the writer's share is
 * at least what its ops asked for.
 */
#define COUNT_OPS 2
Test(torture_scale, counts_per_cpu_256)
{
	const bool asks = wl_backend.caps & (WL_CAP_DEFERS_FREE | WL_CAP_POLLS);
	struct wl_torture_config c;
	struct wl_torture_result r;
	struct torture_percpu_sums s;

	if (!(wl_backend.caps & WL_CAP_SAFE))
		cr_skip_test("none: the run stops at its first violation");
	config_256(&c);
	c.duration_ns = 0;
	c.ops = COUNT_OPS;
	memset(c.mix, 0, sizeof(c.mix));
	c.mix[WL_OP_MUNMAP] = 1;
	cr_assert_eq(wl_torture_run(&c, &r, stdout), 0);
	cr_expect(r.success);
	check_percpu_sums(&r);
	torture_percpu_sums(&s);
	if (asks)
		cr_expect_gt(
			s.writers[WL_EV_GP_SYNC] + s.writers[WL_EV_GP_CALL] +
				s.writers[WL_EV_POLLS] +
				s.walkers[WL_EV_GP_CALL],
			0, "%s: %llu ops asked for no grace period, no poll",
			wl_backend.name,
			(unsigned long long)(r.ops[WL_OP_MUNMAP] +
					     r.ops[WL_OP_COLLAPSE]));
}

/* --cpus N: the walkers are N less the writers; the later option wins. */
static void parse(struct wl_torture_config *c, int argc, char **argv)
{
	wl_torture_config_default(c); /* wl_getopt() restarts on a new argv */
	wl_torture_parse(argc, argv, c);
	torture_validate(c);
}

/* Bad input exits 2 (in a child: wl_usage_error() exits). */
static void expect_usage_error(int argc, char **argv)
{
	struct wl_torture_config c;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		parse(&c, argc, argv);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		cr_assert_eq(errno, EINTR);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2,
		  "%s %s: status 0x%x, want exit 2", argv[1], argv[2], status);
}

Test(torture_scale, cpus_option)
{
	struct wl_torture_config c;
	char *a[] = {"torture", "--writers", "2", "--cpus", "256", NULL};
	char *b[] = {"torture", "--cpus", "10", "--walkers", "3", NULL};
	char *d[] = {"torture", "--walkers", "3", "--cpus", "10", NULL};
	char *many[] = {"torture", "--cpus", "257", NULL};
	char *few[] = {"torture", "--writers", "8", "--cpus", "8", NULL};

	parse(&c, 5, a);
	cr_assert_eq(c.walkers, 254);
	cr_assert_eq(c.writers, 2);
	parse(&c, 5, b);
	cr_assert_eq(c.walkers, 3);
	cr_assert_eq(c.cpus, 0);
	parse(&c, 5, d);
	cr_assert_eq(c.walkers, 9);
	expect_usage_error(3, many);
	expect_usage_error(5, few);
}
