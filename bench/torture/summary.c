// SPDX-License-Identifier: MIT
/*
 * summary.c - the torture's closing report: counters, ops, the backend's
 * and the arch's work, the checker's cost, the violations histogram,
 * stalls, the reference balance at teardown, and SUCCESS or FAILURE.
 */
#include "backend.h"
#include "mmu_gather.h"
#include "rcu_sched.h"
#include "ring.h"
#include "sb.h"
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
 * The IPIs the fallbacks' callers sent, from the invalidating flush to the
 * end of free_table_one(), by kind and per fallback (mmu_gather.h), with
 * the count they are divided by: the teardown's included.
 */
static void print_fallback_ipis(FILE *f)
{
	struct wl_fallback_stats fs;

	wl_fallback_stats(&fs);
	if (!fs.calls)
		return;
	fprintf(f, "walklab-torture: fallback ipis:");
	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		fprintf(f, " %s=%llu", wl_ipi_kind_names[k],
			(unsigned long long)fs.ipis[k]);
	fprintf(f, "  per fallback (%llu):", (unsigned long long)fs.calls);
	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		fprintf(f, " %s=%.2f", wl_ipi_kind_names[k],
			(double)fs.ipis[k] / (double)fs.calls);
	fputc('\n', f);
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
	print_fallback_ipis(f);
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

/*
 * --bystanders: each one's interrupts by kind (exact counts, smp.h), its
 * loop's gaps (p50, p99 within 1/8, max exact; host preemption included)
 * and the gaps in which it ran a simulated interrupt.
 */
static void print_bystanders(FILE *f, const struct wl_torture_result *r)
{
	for (unsigned int i = 0; i < r->nr_bystanders; i++) {
		const struct wl_bystander_result *b = &r->bystander[i];

		fprintf(f, "walklab-torture: bystander %u (cpu %d): irqs", i,
			b->cpu);
		for (int k = 0; k < WL_NR_IPI_KINDS; k++)
			fprintf(f, " %s=%llu", wl_ipi_kind_names[k],
				(unsigned long long)b->irqs[k]);
		fprintf(f,
			" loops: %llu gap p50 %llu ns p99 %llu ns max %.1f us"
			" irq-gaps: %llu longest %.1f us\n",
			(unsigned long long)b->loops,
			(unsigned long long)b->gap_p50_ns,
			(unsigned long long)b->gap_p99_ns,
			(double)b->gap_max_ns / 1000,
			(unsigned long long)b->irq_loops,
			(double)b->irq_gap_max_ns / 1000);
	}
}

/* --spf: faults, how many were speculative, the aborts by cause. */
static void print_spf(FILE *f)
{
	uint64_t faults = 0, spec = 0, att = 0, ab[WL_NR_FAULT_ABORTS] = {0};
	uint64_t all = 0;

	for (unsigned int i = 0; i < torture->c->walkers; i++) {
		struct twalker *w = &torture->walkers[i];

		faults += CNT(w->spf_faults);
		spec += CNT(w->spf_speculative);
		att += CNT(w->spf_attempts);
		for (int k = 0; k < WL_NR_FAULT_ABORTS; k++)
			ab[k] += CNT(w->spf_abort[k]);
	}
	for (int k = 0; k < WL_NR_FAULT_ABORTS; k++)
		all += ab[k];
	fprintf(f,
		"walklab-torture: spf: faults=%llu speculative=%llu "
		"attempts=%llu aborts=%llu (",
		(unsigned long long)faults, (unsigned long long)spec,
		(unsigned long long)att, (unsigned long long)all);
	for (int k = 0; k < WL_NR_FAULT_ABORTS; k++)
		fprintf(f, "%s%s=%llu", k ? " " : "", wl_fault_abort_names[k],
			(unsigned long long)ab[k]);
	fprintf(f, ")\n");
}

static void print_check_cost(FILE *f, const struct wl_torture_result *r)
{
	fprintf(f,
		"walklab-torture: checker: on %.1f ns/walk, off %.1f "
		"ns/walk, cost %.1f ns/walk (median of %d paired "
		"phases, min %.1f, max %.1f)\n",
		r->check_on_ns, r->check_off_ns, r->check_cost_ns[1],
		COST_PHASES / COST_KINDS, r->check_cost_ns[0],
		r->check_cost_ns[2]);
	fprintf(f,
		"walklab-torture: ring: on %.1f ns/walk (checker on), off "
		"%.1f ns/walk, cost %.1f ns/walk (median of %d paired "
		"phases, min %.1f, max %.1f); %.2f events/walk, %.2f "
		"ns/event (median cost / events)\n",
		r->ring_on_ns, r->check_on_ns, r->ring_cost_ns[1],
		COST_PHASES / COST_KINDS, r->ring_cost_ns[0],
		r->ring_cost_ns[2], r->ring_events,
		r->ring_events > 0 ? r->ring_cost_ns[1] / r->ring_events : 0);
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
	print_bystanders(f, r);
	if (torture->c->spf)
		print_spf(f);
	if (torture->c->inject_sb) {
		fprintf(f, "walklab-torture: ");
		wl_sb_stats_print(f);
	}
	if (torture->c->check_cost)
		print_check_cost(f, r);
	fprintf(f, "walklab-torture: violations: ");
	wl_violations_print(f);
	/* The CPUs have stopped: the frozen rings are read whole. */
	r->dump_steps = wl_trace_dump(f);
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
