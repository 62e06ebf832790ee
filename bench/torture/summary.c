// SPDX-License-Identifier: MIT
/*
 * summary.c - the torture's closing report: counters, ops, the backend's
 * and the arch's work, the checker's cost, the violations histogram,
 * stalls, the reference balance at teardown, and SUCCESS or FAILURE.
 */
#include "backend.h"
#include "rcu_sched.h"
#include "smp.h"
#include "torture_internal.h"

static void sum_counters(struct wl_torture_result *r)
{
	const struct wl_torture_config *c = torture->c;

	r->walks = r->pages = r->fast_pages = 0;
	for (unsigned int i = 0; i < c->walkers; i++) {
		r->walks += CNT(torture->walkers[i].walks);
		r->pages += CNT(torture->walkers[i].pages);
		r->fast_pages += CNT(torture->walkers[i].fast_pages);
	}
	for (int op = 0; op < WL_NR_OPS; op++) {
		r->ops[op] = r->op_fails[op] = 0;
		for (unsigned int i = 0; i < c->writers; i++) {
			r->ops[op] += CNT(torture->writers[i].ops[op]);
			r->op_fails[op] += CNT(torture->writers[i].fails[op]);
		}
	}
}

static void print_work(FILE *f, const struct wl_torture_result *r)
{
	fprintf(f,
		"walklab-torture: walks: %llu pages: %llu fast: %.1f%% "
		"pages/walk: %.1f duration: %.2f s\n",
		(unsigned long long)r->walks, (unsigned long long)r->pages,
		r->pages ? 100.0 * (double)r->fast_pages / (double)r->pages
			 : 0.0,
		r->walks ? (double)r->pages / (double)r->walks : 0.0,
		(double)r->elapsed_ns / 1e9);
	fprintf(f, "walklab-torture: ops:");
	for (int op = 0; op < WL_NR_OPS; op++)
		fprintf(f, " %s=%llu(%llu)", wl_writer_op_names[op],
			(unsigned long long)r->ops[op],
			(unsigned long long)r->op_fails[op]);
	fprintf(f, "  (done(failed/skipped))\n");
}

/*
 * IPIs by kind (smp.h), then per completed writer op (failed and skipped
 * ops excluded), with the count they are divided by.
 */
static void print_ipis(FILE *f, const struct wl_torture_result *r)
{
	struct wl_ipi_stats is;
	uint64_t done = 0;

	for (int op = 0; op < WL_NR_OPS; op++)
		done += r->ops[op];
	wl_ipi_stats(&is);
	fprintf(f, "walklab-torture: ipis:");
	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		fprintf(f, " %s=%llu", wl_ipi_kind_names[k],
			(unsigned long long)is.sent_kind[k]);
	fprintf(f, "  per completed op (%llu):", (unsigned long long)done);
	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		fprintf(f, " %s=%.2f", wl_ipi_kind_names[k],
			done ? (double)is.sent_kind[k] / (double)done : 0.0);
	fputc('\n', f);
}

static void print_sync(FILE *f, const struct wl_torture_result *r)
{
	struct wl_backend_stats bs = {0};
	struct wl_arch_stats as;

	if (wl_backend.stats)
		wl_backend.stats(&bs);
	wl_arch_stats(&as);
	print_ipis(f, r);
	fprintf(f,
		"walklab-torture: flushes: %llu sync-calls: %llu "
		"grace-periods: %llu polls: %llu deferred-peak: %llu "
		"free-max: %llu us\n",
		(unsigned long long)as.flushes,
		(unsigned long long)bs.sync_calls,
		(unsigned long long)bs.grace_periods,
		(unsigned long long)bs.polls,
		(unsigned long long)bs.tables_deferred_peak,
		(unsigned long long)(bs.free_max_ns / 1000));
	/* What a sync (collapse's, under mmap_lock) cost the writer. */
	if (bs.sync_calls)
		fprintf(f, "walklab-torture: sync: mean %.1f us, max %llu us\n",
			(double)bs.sync_ns / (double)bs.sync_calls / 1000,
			(unsigned long long)(bs.sync_max_ns / 1000));
}

/*
 * The single-table fallback (tlb_remove_table_one()): how often batch
 * allocation was made to fail and how often the fallback ran.  Printed
 * when either is non-zero, so that a --batch-fail run shows it reached.
 */
static void print_fallback(FILE *f, struct wl_torture_result *r)
{
	struct wl_backend_stats bs = {0};

	if (wl_backend.stats)
		wl_backend.stats(&bs);
	r->free_one_calls = bs.free_one_calls;
	if (!torture->c->batch_fail && !bs.free_one_calls)
		return;
	fprintf(f,
		"walklab-torture: batch-fail: %.4f free_table_one: %llu "
		"(of %llu frees)\n",
		(double)torture->c->batch_fail / 65536,
		(unsigned long long)bs.free_one_calls,
		(unsigned long long)bs.free_calls);
}

/*
 * The machine's RCU-sched grace periods (core/rcu_sched.h), when a
 * backend ran any: how many, how long, and how many CPUs had to be
 * nudged by an FQS IPI because they did not enable IRQs on their own.
 */
static void print_rcu_sched(FILE *f)
{
	struct wl_rcu_sched_stats rs;

	wl_rcu_sched_stats(&rs);
	if (!rs.gps)
		return;
	fprintf(f,
		"walklab-torture: rcu-sched: grace-periods: %llu mean %.1f "
		"us max %llu us fqs-ipis: %llu callbacks: %llu\n",
		(unsigned long long)rs.gps,
		(double)rs.gp_ns / (double)rs.gps / 1000,
		(unsigned long long)(rs.gp_max_ns / 1000),
		(unsigned long long)rs.fqs_ipis,
		(unsigned long long)rs.callbacks);
}

static void print_check_cost(FILE *f, const struct wl_torture_result *r)
{
	fprintf(f,
		"walklab-torture: checker: on %.1f ns/walk, off %.1f "
		"ns/walk, cost %.1f ns/walk (median of %d paired "
		"phases, min %.1f, max %.1f)\n",
		r->check_on_ns, r->check_off_ns, r->check_cost_ns[1],
		COST_PHASES / 2, r->check_cost_ns[0], r->check_cost_ns[2]);
}

static void print_stalls(FILE *f, struct wl_torture_result *r,
			 uint64_t ipi_stalls)
{
	uint64_t wd = atomic_load(&torture->watchdog_stalls);

	r->stalls = wd + ipi_stalls;
	fprintf(f,
		"walklab-torture: stalls: %llu (watchdog %llu, ipi-wait "
		"%llu)",
		(unsigned long long)r->stalls, (unsigned long long)wd,
		(unsigned long long)ipi_stalls);
	if (r->first_ns)
		fprintf(f, "  first-violation: %.3f s",
			(double)r->first_ns / 1e9);
	fputc('\n', f);
}

void torture_print_summary(FILE *f, struct wl_torture_result *r,
			   bool teardown_done)
{
	uint64_t ipi_stalls = wl_stall_count();

	sum_counters(r);
	print_work(f, r);
	print_sync(f, r);
	print_fallback(f, r);
	print_rcu_sched(f);
	if (torture->c->check_cost)
		print_check_cost(f, r);
	fprintf(f, "walklab-torture: violations: ");
	wl_violations_print(f);
	print_stalls(f, r, ipi_stalls);
	torture_print_percpu(f);
	if (teardown_done)
		fprintf(f, "walklab-torture: balance at teardown: %s\n",
			r->balance_ok ? "ok" : "BAD (see ref_imbalance)");
	else
		fprintf(f,
			"walklab-torture: balance at teardown: not reached\n");
	r->violations = wl_violations_total();
	r->success =
		teardown_done && !r->violations && !r->stalls && r->balance_ok;
	fprintf(f, "%s\n", r->success ? "SUCCESS" : "FAILURE");
	fflush(f);
}
