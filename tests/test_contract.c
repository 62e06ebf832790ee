// SPDX-License-Identifier: MIT
/*
 * test_contract.c - the backend contract (core/backend.h), on every backend
 * configuration: a walker held inside lockless_page_walk_begin()/end()
 * must hold up every writer path.
 *
 *  - free_tables() and free_table_one(), called through the core's
 *    wrappers (core/mmu_gather.h) with flush_ipi_all=false, and after a
 *    real flush_tlb_mm_range() with what it returned (as tlb_flush_mmu()
 *    does): no table may be freed (its
 *    generation stays even) while the walker is inside, and a backend that
 *    does not defer (no WL_CAP_DEFERS_FREE) must not even return;
 *  - sync() must not return while the walker is inside;
 *  - once the walker leaves, all of it completes (bounded wait);
 *  - nested sections hold the writer until the outermost end;
 *  - fini() drains: every table handed over is freed.
 *
 * Each check is made on every architecture model.  The same checks must
 * fail where the backend is unsafe, and the tests assert that they do:
 * the none backend (the negative control) lets every writer finish under
 * the walker, and so does the ipi backend with assume_flush_ipi=1 (the
 * 2013 ARM port's bug) wherever no flush IPI waited for the walker.  That
 * is what shows the checks can fail.
 *
 * Worker threads never assert (Criterion asserts belong to the test's own
 * thread): they record what happened in atomics, and the test checks.
 * Timing is never asserted, only ordering: "the writer is still waiting
 * after 100 ms" is checked with a flag the writer sets when it returns.
 * The test's thread is CPU 0; while it waits it takes IPIs and, on QSBR
 * backends, reports quiescent states, as any idle CPU must.
 */
#include "test_util.h"

#ifdef WALKLAB_NO_CRITERION
#include "tu_nocriterion.h" /* TSan builds: see there */
#else
#include <criterion/criterion.h>
#endif
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "fault.h"
#include "walk_backend.h"

#define MS	    1000000ull
#define HOLD_MS	    100	  /* how long the writer must keep waiting */
#define NO_WAIT_MS  5000  /* an unsafe writer must finish within this */
#define COMPLETE_MS 10000 /* everything completes within this after */
#define NTABLES	    4

static struct wl_mm mm;

/* The ipi backend's assume_flush_ipi: off unless a test sets it. */
static bool assume_flush_ipi;
/*
 * lockless_walk_helpers-today's fallback= (walk_backend.h): call_rcu
 * makes free_table_one() defer.  And the negative controls' bugs, set
 * only by their tests: the writer paths they break must not wait.
 */
static bool fallback_defers;
static bool bug_free_one_now, bug_gp_blind;
/* The sync returns without waiting (skip_sync, or targeted publish=none). */
static bool sync_no_wait;

static void contract_init(void)
{
#if WL_TSAN && defined(WALKLAB_RCU_FLAVOR_SIGNAL)
	/*
	 * TSan runs a signal handler only when the thread next enters an
	 * interceptor.  liburcu-signal's grace period waits for every
	 * registered thread to take SIGUSR1, and its call_rcu thread sleeps
	 * in a raw futex syscall TSan does not intercept: the handler never
	 * runs, synchronize_rcu() never returns.  A tool limitation, not a
	 * backend bug; the other builds test this flavor.
	 */
	cr_skip_test("liburcu-signal cannot complete a grace period under "
		     "ThreadSanitizer (signals deferred past a raw futex "
		     "wait)");
#endif
	assume_flush_ipi = false;
}

TestSuite(contract, .init = contract_init, .timeout = 120);

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */

/* An idle CPU: quiescent state (outside sections only), IPIs, sleep. */
static void cpu_idle(bool quiesce)
{
	if (quiesce && wl_backend.quiescent)
		wl_backend.quiescent();
	wl_sleep_ns(100000);
}

static bool wait_int(_Atomic int *p, int val, uint64_t ms)
{
	uint64_t end = wl_now_ns() + ms * MS;

	while (atomic_load(p) != val) {
		if (wl_now_ns() > end)
			return false;
		cpu_idle(true);
	}
	return true;
}

static void idle_ms(uint64_t ms)
{
	uint64_t end = wl_now_ns() + ms * MS;

	while (wl_now_ns() < end)
		cpu_idle(true);
}

static void machine_up(enum wl_arch arch)
{
	tu_machine_up(arch);
	cr_assert_eq(wl_mm_init(&mm), 0);
}

static void machine_down(void)
{
	tu_mm_down(&mm);
}

/* The walker: enters or leaves sections until it is `want` deep. */
struct walker {
	pthread_t thread;
	_Atomic int want;  /* nesting depth asked for; -1: go down */
	_Atomic int depth; /* nesting depth reached */
	_Atomic int cpu;   /* its CPU id, or -errno */
	_Atomic int up;	   /* 1 once cpu is set */
};

static void *walker_main(void *arg)
{
	bool pv = wl_arch_current()->arch == WL_ARCH_PARAVIRT;
	struct walker *w = arg;
	unsigned long cookie[4];
	int depth = 0, want;

	atomic_store(&w->cpu, wl_cpu_start("walker"));
	atomic_store(&w->up, 1);
	if (atomic_load(&w->cpu) < 0)
		return NULL;
	while ((want = atomic_load(&w->want)) >= 0 || depth) {
		want = WL_MAX(want, 0);
		if (depth < want) {
			cookie[depth] = lockless_page_walk_begin(&mm);
			depth++;
			/*
			 * paravirt: the host preempts this vCPU inside its
			 * section, the case a PV flush does not wait for
			 * (core/arch.c); IPIs still wait for the section.
			 */
			if (depth == 1 && pv)
				wl_arch_vcpu_preempt(atomic_load(&w->cpu));
			atomic_store(&w->depth, depth);
		} else if (depth > want) {
			if (depth == 1 && pv)
				wl_arch_vcpu_resume(atomic_load(&w->cpu));
			depth--;
			lockless_page_walk_end(&mm, cookie[depth]);
			atomic_store(&w->depth, depth);
		} else {
			/* Inside a section: no quiescent state. */
			cpu_idle(depth == 0);
		}
	}
	wl_cpu_stop();
	return NULL;
}

static void walker_start(struct walker *w)
{
	memset(w, 0, sizeof(*w));
	cr_assert_eq(pthread_create(&w->thread, NULL, walker_main, w), 0);
	cr_assert(wait_int(&w->up, 1, COMPLETE_MS));
	cr_assert_geq(atomic_load(&w->cpu), 0, "walker CPU up");
}

static void walker_depth(struct walker *w, int depth)
{
	atomic_store(&w->want, depth);
	cr_assert(wait_int(&w->depth, depth, COMPLETE_MS), "walker at depth %d",
		  depth);
}

static void walker_stop(struct walker *w)
{
	atomic_store(&w->want, -1);
	pthread_join(w->thread, NULL);
}

enum op {
	OP_FREE,	     /* free_tables(..., false) */
	OP_FREE_FLUSHED,     /* flush_tlb_mm_range(), then free_tables() */
	OP_FREE_ONE,	     /* free_table_one(..., false) */
	OP_FREE_ONE_FLUSHED, /* flush_tlb_mm_range(), then free_table_one() */
	OP_SYNC,	     /* sync() */
};

static const char *const op_names[] = {
	"free_tables",	  "flush+free_tables",
	"free_table_one", "flush+free_table_one",
	"sync",
};

/* The writer: one operation, then idle until told to go. */
struct writer {
	pthread_t thread;
	enum op op;
	struct wl_table_batch *batch;
	uint32_t table;
	_Atomic int done; /* the operation returned */
	_Atomic int quit;
	_Atomic int cpu;
};

static void *writer_main(void *arg)
{
	struct writer *x = arg;
	bool ipi_all = false;

	atomic_store(&x->cpu, wl_cpu_start("writer"));
	if (atomic_load(&x->cpu) < 0) {
		atomic_store(&x->done, -1);
		return NULL;
	}
	if (x->op == OP_FREE_FLUSHED || x->op == OP_FREE_ONE_FLUSHED)
		ipi_all = flush_tlb_mm_range(&mm, 0, TASK_SIZE, true);
	switch (x->op) {
	case OP_FREE:
	case OP_FREE_FLUSHED:
		wl_tlb_remove_table_free(&mm, x->batch, ipi_all);
		break;
	case OP_FREE_ONE:
	case OP_FREE_ONE_FLUSHED:
		wl_tlb_remove_table_one(&mm, x->table, ipi_all);
		break;
	case OP_SYNC:
		wl_tlb_remove_table_sync_one(&mm);
		break;
	}
	atomic_store(&x->done, 1);
	while (!atomic_load(&x->quit))
		cpu_idle(true);
	wl_cpu_stop();
	return NULL;
}

/* Tables handed to the writer, with their generations before. */
struct tables {
	unsigned int n;
	uint32_t idx[NTABLES + 1];
	uint32_t gen[NTABLES + 1];
};

static bool tables_any_freed(const struct tables *t)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (atomic_load(&wl_ptdesc(t->idx[i])->gen) != t->gen[i])
			return true;
	return false;
}

static bool tables_all_freed(const struct tables *t)
{
	for (unsigned int i = 0; i < t->n; i++) {
		uint32_t g = atomic_load(&wl_ptdesc(t->idx[i])->gen);

		if (g == t->gen[i] || !(g & 1))
			return false;
	}
	return true;
}

static bool wait_all_freed(const struct tables *t, uint64_t ms)
{
	uint64_t end = wl_now_ns() + ms * MS;

	while (!tables_all_freed(t)) {
		if (wl_now_ns() > end)
			return false;
		cpu_idle(true);
	}
	return true;
}

static bool wait_deferred(int64_t val, uint64_t ms)
{
	uint64_t end = wl_now_ns() + ms * MS;

	while (atomic_load(&wl_tables.deferred) != val) {
		if (wl_now_ns() > end)
			return false;
		cpu_idle(true);
	}
	return true;
}

static bool op_frees(enum op op)
{
	return op != OP_SYNC;
}

/* Allocate the tables the operation will free, as mmu_gather would. */
static void writer_prepare(struct writer *x, struct tables *t, enum op op)
{
	memset(x, 0, sizeof(*x));
	memset(t, 0, sizeof(*t));
	x->op = op;
	if (op == OP_FREE || op == OP_FREE_FLUSHED) {
		x->batch = wl_table_batch_alloc();
		cr_assert_not_null(x->batch);
		t->n = NTABLES;
	} else if (op != OP_SYNC) {
		t->n = 1;
	}
	for (unsigned int i = 0; i < t->n; i++) {
		t->idx[i] = wl_table_alloc(WL_PTE);
		cr_assert_neq(t->idx[i], WL_TABLE_NONE);
		t->gen[i] = atomic_load(&wl_ptdesc(t->idx[i])->gen);
		cr_assert_eq(t->gen[i] & 1, 0);
		if (x->batch)
			x->batch->tables[x->batch->nr++] = t->idx[i];
	}
	if (t->n)
		x->table = t->idx[0];
	if (t->n)
		wl_table_deferred_add(t->n);
}

/*
 * Should this writer path wait for a walker inside a section?  Only the
 * SAFE backends; and the ipi backend with assume_flush_ipi frees at once
 * after any flush it is told IPI'd (always, in its bug), which is true
 * only when a real flush on the IPI arch waited for the walker.
 */
static bool expect_wait(enum op op, enum wl_arch arch)
{
	if (!(wl_backend.caps & WL_CAP_SAFE))
		return false;
	if (bug_free_one_now && op == OP_FREE_ONE)
		return false;
	if (bug_gp_blind && op == OP_FREE)
		return false;
	if (sync_no_wait && op == OP_SYNC)
		return false;
	/*
	 * pte_refcount-norcu requires a flush that IPIs (WL_REQ_FLUSH_IPI):
	 * held to the same, and these PTE tables are what it frees at once.
	 */
	if ((assume_flush_ipi || (wl_backend.requires & WL_REQ_FLUSH_IPI)) &&
	    op != OP_SYNC)
		return (op == OP_FREE_FLUSHED || op == OP_FREE_ONE_FLUSHED) &&
		       arch == WL_ARCH_IPI;
	return true;
}

/* Does this writer path return before its tables are freed? */
static bool op_defers(enum op op)
{
	if (!(wl_backend.caps & WL_CAP_DEFERS_FREE) || op == OP_SYNC)
		return false;
	/* lockless_walk_helpers-today: the no-batch fallback IPIs. */
	if ((op == OP_FREE_ONE || op == OP_FREE_ONE_FLUSHED) &&
	    (wl_backend.caps & WL_CAP_FREE_ONE_WAITS) && !fallback_defers)
		return false;
	return true;
}

/*
 * One writer against a walker `depth` sections deep: assert that the
 * writer waits (or, where expect_wait() says it cannot, that it does not),
 * then that everything completes once the walker has left.
 */
static void check_writer_vs_walker(enum wl_arch arch, enum op op, int depth)
{
	const char *a = wl_arch_name(arch), *o = op_names[op];
	bool wait = expect_wait(op, arch);
	struct walker w;
	struct writer x;
	struct tables t;
	int64_t deferred0 = atomic_load(&wl_tables.deferred);

	walker_start(&w);
	walker_depth(&w, depth);
	writer_prepare(&x, &t, op);
	cr_assert_eq(pthread_create(&x.thread, NULL, writer_main, &x), 0);

	if (wait) {
		idle_ms(HOLD_MS);
		cr_assert_geq(atomic_load(&x.cpu), 0, "writer CPU up");
		if (!op_defers(op))
			cr_assert_eq(atomic_load(&x.done), 0,
				     "%s/%s: %s returned with a walker inside",
				     wl_backend.name, a, o);
		cr_assert(!tables_any_freed(&t),
			  "%s/%s: %s freed a table under a live walker",
			  wl_backend.name, a, o);
		/* Nested: leaving the inner sections releases nothing. */
		for (int d = depth - 1; d > 0; d--) {
			walker_depth(&w, d);
			idle_ms(HOLD_MS);
			if (!op_defers(op))
				cr_assert_eq(atomic_load(&x.done), 0,
					     "%s/%s: %s returned at depth %d",
					     wl_backend.name, a, o, d);
			cr_assert(!tables_any_freed(&t),
				  "%s/%s: %s freed a table at depth %d",
				  wl_backend.name, a, o, d);
		}
	} else {
		/* The negative outcome: it must not wait for the walker. */
		cr_assert(wait_int(&x.done, 1, NO_WAIT_MS),
			  "%s/%s: %s waited for the walker, but this "
			  "configuration cannot",
			  wl_backend.name, a, o);
		if (op_frees(op))
			cr_assert(wait_all_freed(&t, NO_WAIT_MS),
				  "%s/%s: %s did not free under the walker",
				  wl_backend.name, a, o);
		cr_assert_eq(atomic_load(&w.depth), depth, "walker still in");
	}

	walker_depth(&w, 0);
	cr_assert(wait_int(&x.done, 1, COMPLETE_MS),
		  "%s/%s: %s did not return after the walker left",
		  wl_backend.name, a, o);
	if (op_frees(op))
		cr_assert(wait_all_freed(&t, COMPLETE_MS),
			  "%s/%s: %s did not free after the walker left",
			  wl_backend.name, a, o);
	atomic_store(&x.quit, 1);
	pthread_join(x.thread, NULL);
	walker_stop(&w);
	/* The callback uncounts the tables just after freeing them. */
	cr_assert(wait_deferred(deferred0, COMPLETE_MS),
		  "deferred-table count back where it was");
}

static const enum wl_arch all_arches[] = {
	WL_ARCH_IPI,
	WL_ARCH_BROADCAST,
	WL_ARCH_PARAVIRT,
};

static void check_on_every_arch(const enum op *ops, unsigned int nops,
				int depth)
{
	for (unsigned int i = 0; i < WL_ARRAY_SIZE(all_arches); i++) {
		machine_up(all_arches[i]);
		for (unsigned int j = 0; j < nops; j++)
			check_writer_vs_walker(all_arches[i], ops[j], depth);
		machine_down();
	}
}

static bool is_ipi_with_option(void)
{
	return wl_backend.set_option &&
	       !wl_backend.set_option("assume_flush_ipi",
				      assume_flush_ipi ? "1" : "0");
}

static void set_assume_flush_ipi(bool on)
{
	cr_assert_eq(wl_backend.set_option("assume_flush_ipi", on ? "1" : "0"),
		     0);
	assume_flush_ipi = on;
}

/* ---------------------------------------------------------------------- */
/* The contract                                                           */

Test(contract, free_tables_waits_for_walkers)
{
	static const enum op ops[] = {OP_FREE, OP_FREE_FLUSHED};

	check_on_every_arch(ops, WL_ARRAY_SIZE(ops), 1);
}

Test(contract, free_table_one_waits_for_walkers)
{
	static const enum op ops[] = {OP_FREE_ONE, OP_FREE_ONE_FLUSHED};

	check_on_every_arch(ops, WL_ARRAY_SIZE(ops), 1);
}

Test(contract, sync_waits_for_walkers)
{
	static const enum op ops[] = {OP_SYNC};

	check_on_every_arch(ops, WL_ARRAY_SIZE(ops), 1);
}

Test(contract, nested_sections_hold_writers_until_the_outermost_end)
{
	static const enum op ops[] = {OP_FREE, OP_SYNC};

	if (!(wl_backend.caps & WL_CAP_NESTING))
		cr_skip_test("%s does not nest", wl_backend.name);
	/* One arch is enough: nesting is the read side's business. */
	machine_up(WL_ARCH_BROADCAST);
	for (unsigned int j = 0; j < WL_ARRAY_SIZE(ops); j++)
		check_writer_vs_walker(WL_ARCH_BROADCAST, ops[j], 3);
	machine_down();
}

/*
 * The negative control, stated on its own: without synchronization the
 * writer frees the table while the walker is still inside.  Runs on the
 * unsafe backends only (none); the checks above assert the same outcome
 * for them through expect_wait().
 */
Test(contract, unsafe_backend_frees_under_the_walker)
{
	if (wl_backend.caps & WL_CAP_SAFE)
		cr_skip_test("%s claims to be safe", wl_backend.name);
	machine_up(WL_ARCH_IPI);
	check_writer_vs_walker(WL_ARCH_IPI, OP_FREE_FLUSHED, 1);
	machine_down();
}

/*
 * The ipi backend, both ways (its run-time option): correct, it
 * waits on every arch when the flush did not IPI; with assume_flush_ipi
 * (the 2013 ARM port) it frees under the walker unless the flush was a
 * real IPI broadcast, and its sync stays correct.
 */
Test(contract, ipi_waits_unless_the_flush_ipid)
{
	static const enum op ops[] = {OP_FREE, OP_FREE_FLUSHED, OP_FREE_ONE,
				      OP_SYNC};

	if (!is_ipi_with_option())
		cr_skip_test("%s has no assume_flush_ipi option",
			     wl_backend.name);
	set_assume_flush_ipi(false);
	check_on_every_arch(ops, WL_ARRAY_SIZE(ops), 1);
}

Test(contract, ipi_assume_flush_ipi_frees_under_the_walker)
{
	static const enum op ops[] = {OP_FREE, OP_FREE_FLUSHED, OP_FREE_ONE,
				      OP_FREE_ONE_FLUSHED, OP_SYNC};

	if (!is_ipi_with_option())
		cr_skip_test("%s has no assume_flush_ipi option",
			     wl_backend.name);
	set_assume_flush_ipi(true);
	check_on_every_arch(ops, WL_ARRAY_SIZE(ops), 1);
}

/*
 * The per-PTE-table reference (backend.h 1b; pte_refcount): a reference
 * held outside any section holds off the free of the table on every arch
 * and in every writer path that frees it; the put that drops the last
 * reference frees it; a try-get on a table whose last reference is gone
 * fails.  Without the reference the same writer frees at once (norcu on
 * broadcast, checked above through expect_wait()): the check can fail.
 */
#ifdef WL_PTE_TABLE_REF
static void check_ref_holds_free(enum wl_arch arch, enum op op)
{
	struct writer x;
	struct tables t;

	machine_up(arch);
	writer_prepare(&x, &t, op);
	for (unsigned int i = 0; i < t.n; i++)
		cr_assert(wl_pte_table_try_get(t.idx[i]), "get a live table");
	cr_assert_eq(pthread_create(&x.thread, NULL, writer_main, &x), 0);
	cr_assert(wait_int(&x.done, 1, COMPLETE_MS), "%s: %s returned",
		  wl_arch_name(arch), op_names[op]);
	idle_ms(HOLD_MS);
	cr_assert(!tables_any_freed(&t), "%s: %s freed a referenced table",
		  wl_arch_name(arch), op_names[op]);
	for (unsigned int i = 0; i < t.n; i++)
		wl_pte_table_put(t.idx[i]);
	cr_assert(wait_all_freed(&t, COMPLETE_MS), "%s: the last put frees",
		  wl_arch_name(arch));
	for (unsigned int i = 0; i < t.n; i++)
		cr_assert(!wl_pte_table_try_get(t.idx[i]), "get a freed table");
	atomic_store(&x.quit, 1);
	pthread_join(x.thread, NULL);
	machine_down();
}
#endif

Test(contract, table_reference_holds_the_free)
{
#ifdef WL_PTE_TABLE_REF
	static const enum op ops[] = {OP_FREE, OP_FREE_FLUSHED, OP_FREE_ONE};

	for (unsigned int i = 0; i < WL_ARRAY_SIZE(all_arches); i++)
		for (unsigned int j = 0; j < WL_ARRAY_SIZE(ops); j++)
			check_ref_holds_free(all_arches[i], ops[j]);
#else
	cr_skip_test("%s has no per-table reference", wl_backend.name);
#endif
}

/* lockless_walk_helpers-today: the backend with a fallback= option. */
static bool has_fallback_option(void)
{
	return wl_backend.set_option &&
	       !wl_backend.set_option("fallback", "ipi");
}

/*
 * tlb_remove_table_one() in each kernel variant: the sync IPI, then free
 * (!PT_RECLAIM before 2026); synchronize_rcu(), then free (since); and
 * call_rcu() on the table (PT_RECLAIM).  Each holds off the free while an
 * IRQ-off walker is inside, with or without a flush before it.
 */
Test(contract, free_table_one_waits_in_every_fallback)
{
	static const char *const names[] = {"ipi", "sync_rcu", "call_rcu"};
	static const enum op ops[] = {OP_FREE_ONE, OP_FREE_ONE_FLUSHED};

	if (!has_fallback_option())
		cr_skip_test("%s has no fallback option", wl_backend.name);
	cr_assert_eq(wl_backend.set_option("fallback", "none"), -EINVAL);
	for (unsigned int i = 0; i < WL_ARRAY_SIZE(names); i++) {
		cr_assert_eq(wl_backend.set_option("fallback", names[i]), 0);
		fallback_defers = !strcmp(names[i], "call_rcu");
		check_on_every_arch(ops, WL_ARRAY_SIZE(ops), 1);
	}
	fallback_defers = false;
	cr_assert_eq(wl_backend.set_option("fallback", "ipi"), 0);
}

/*
 * The negative controls of the RCU-sched model and of the fallback: a
 * grace period that ignores IRQ-off CPUs lets call_rcu free a batch under
 * the walker; a fallback that frees at once frees its table under it.
 * The same check as above, in its "must not wait" form.
 */
/* Writer op under a bug (its wl_bugs knob and the test's flag): it must
 * free under a walker on broadcast, where no flush holds it off. */
static void check_bug_frees_under_walker(bool *knob, bool *flag, enum op op)
{
	*knob = *flag = true;
	machine_up(WL_ARCH_BROADCAST);
	check_writer_vs_walker(WL_ARCH_BROADCAST, op, 1);
	machine_down();
	*knob = *flag = false;
}

Test(contract, gp_blind_to_irqoff_frees_under_the_walker)
{
	if (!has_fallback_option())
		cr_skip_test("%s does not use RCU-sched", wl_backend.name);
	check_bug_frees_under_walker(&wl_bugs.rcu_sched_ignores_irqoff,
				     &bug_gp_blind, OP_FREE);
}

Test(contract, free_one_now_frees_under_the_walker)
{
	if (!(wl_backend.caps & WL_CAP_SAFE))
		cr_skip_test("%s frees at once anyway", wl_backend.name);
	check_bug_frees_under_walker(&wl_bugs.table_one_free_now,
				     &bug_free_one_now, OP_FREE_ONE);
}

/*
 * skip_sync (tlb_table_flush_implies_ipi_broadcast()): with "arch" the
 * sync returns at once only on the ipi arch, where the flush before it
 * (not part of OP_SYNC) has waited for every IRQ-off walker, and waits on
 * broadcast and paravirt; with "force" it returns at once on broadcast
 * too, under the walker: the negative control.
 */
Test(contract, skip_sync_returns_at_once_only_where_told)
{
	static const enum op ops[] = {OP_SYNC};

	if (!has_fallback_option())
		cr_skip_test("%s has no skip_sync option", wl_backend.name);
	cr_assert_eq(wl_backend.set_option("skip_sync", "on"), -EINVAL);
	cr_assert_eq(wl_backend.set_option("skip_sync", "arch"), 0);
	for (int a = 0; a < WL_NR_ARCH; a++) {
		sync_no_wait = a == WL_ARCH_IPI;
		machine_up((enum wl_arch)a);
		check_writer_vs_walker((enum wl_arch)a, OP_SYNC, 1);
		machine_down();
	}
	cr_assert_eq(wl_backend.set_option("skip_sync", "force"), 0);
	sync_no_wait = true;
	check_on_every_arch(ops, WL_ARRAY_SIZE(ops), 1);
	sync_no_wait = false;
	cr_assert_eq(wl_backend.set_option("skip_sync", "off"), 0);
}

/*
 * The targeted sync: with either publication it waits for a walker inside
 * a section (and its no-batch fallback does); without publication it
 * IPIs nobody and returns under the walker: the negative control.
 */
Test(contract, targeted_sync_waits_only_for_published_walkers)
{
	static const char *const names[] = {"store_mb", "xchg"};
	static const enum op ops[] = {OP_SYNC, OP_FREE_ONE};

	if (!(wl_backend.caps & WL_CAP_TARGETED))
		cr_skip_test("%s is not targeted", wl_backend.name);
	cr_assert_eq(wl_backend.set_option("publish", "store"), -EINVAL);
	cr_assert_eq(wl_backend.set_option("sync_barrier", "wmb"), -EINVAL);
	cr_assert_eq(wl_backend.set_option("sync_barrier", "rmb"), 0);
	cr_assert_eq(wl_backend.set_option("sync_barrier", "mb"), 0);
	for (unsigned int i = 0; i < WL_ARRAY_SIZE(names); i++) {
		cr_assert_eq(wl_backend.set_option("publish", names[i]), 0);
		check_on_every_arch(ops, WL_ARRAY_SIZE(ops), 1);
	}
	cr_assert_eq(wl_backend.set_option("publish", "none"), 0);
	sync_no_wait = true;
	machine_up(WL_ARCH_BROADCAST);
	check_writer_vs_walker(WL_ARCH_BROADCAST, OP_SYNC, 1);
	machine_down();
	sync_no_wait = false;
	cr_assert_eq(wl_backend.set_option("publish", "store_mb"), 0);
}

/* fini() drains: every table handed over has been freed when it returns. */
Test(contract, fini_frees_every_deferred_table)
{
	struct wl_table_batch *b;
	struct tables t = {.n = NTABLES + 1};

	machine_up(WL_ARCH_BROADCAST);
	b = wl_table_batch_alloc();
	cr_assert_not_null(b);
	for (unsigned int i = 0; i < t.n; i++) {
		t.idx[i] = wl_table_alloc(WL_PTE);
		cr_assert_neq(t.idx[i], WL_TABLE_NONE);
		t.gen[i] = atomic_load(&wl_ptdesc(t.idx[i])->gen);
		if (i < NTABLES)
			b->tables[b->nr++] = t.idx[i];
	}
	wl_table_deferred_add(NTABLES);
	wl_tlb_remove_table_free(&mm, b, false);
	wl_table_deferred_add(1);
	wl_tlb_remove_table_one(&mm, t.idx[NTABLES], false);
	wl_mm_destroy(&mm);

	/* What wl_machine_fini() does first, with a look before the rest. */
	wl_cpu_stop();
	wl_backend.fini();
	cr_assert(tables_all_freed(&t), "fini() left a table unfreed");
	cr_assert_eq(atomic_load(&wl_tables.deferred), 0);
	cr_assert_eq(wl_tables.nr_free, wl_tables.nr, "every table back");
	/* A backend can be brought up again (the bench does, per run). */
	cr_assert_eq(wl_backend.init(), 0);
	cr_assert_geq(wl_cpu_start("test"), 0);
	cr_expect_eq(wl_violations_total(), 0);
	tu_machine_down();
}

/* The statistics see the work, by the mechanism the backend uses. */
Test(contract, stats_count_the_work)
{
	struct wl_backend_stats st;
	struct walker w;
	struct wl_table_batch *b;
	uint32_t one;

	machine_up(WL_ARCH_BROADCAST);
	walker_start(&w); /* another CPU, idle: somebody to IPI */
	wl_backend.stats_reset();
	b = wl_table_batch_alloc();
	cr_assert_not_null(b);
	b->tables[b->nr++] = wl_table_alloc(WL_PTE);
	one = wl_table_alloc(WL_PTE);
	wl_table_deferred_add(2);
	wl_tlb_remove_table_sync_one(&mm);
	wl_tlb_remove_table_free(&mm, b, false);
	wl_tlb_remove_table_one(&mm, one, false);
	wl_backend.stats(&st);
	cr_expect_eq(st.sync_calls, 1);
	cr_expect_eq(st.free_calls, 2);
	cr_expect_leq(st.sync_max_ns, st.sync_ns);
	cr_expect_leq(st.free_max_ns, st.free_ns);
	cr_expect_geq(st.tables_deferred_peak, st.tables_deferred_now);
	if (wl_backend.caps & WL_CAP_TARGETED)
		cr_expect_eq(st.ipis, 0, "targeted: an idle CPU is not IPI'd");
	else if (wl_backend.caps & WL_CAP_IRQS_OFF)
		cr_expect_geq(st.ipis, 1, "IRQ-off readers: IPIs");
	if (wl_backend.caps & WL_CAP_DEFERS_FREE)
		cr_expect_geq(st.grace_periods, 1, "deferred by RCU");
	if (wl_backend.caps & WL_CAP_POLLS)
		cr_expect_geq(st.polls, 3, "reader counts polled");
	wl_backend.stats_reset();
	wl_backend.stats(&st);
	cr_expect_eq(st.sync_calls + st.free_calls + st.ipis +
			     st.grace_periods + st.polls,
		     0, "reset");
	walker_stop(&w);
	machine_down();
}

/*
 * Grace periods and polls are counted on the CPU that asks for them
 * (smp.h, wl_cpu_count()).  PC_WRITERS writer CPUs each sync PC_K times
 * and free PC_K batches of one table while two walker CPUs idle.  Each
 * writer's counts are its own: the same on every writer, 0 on the
 * walkers and on the caller, and the writers' rows add up to the
 * backend's grace_periods and polls.  Where the backend defers frees
 * each free is one call_rcu() (PC_K callbacks queued per writer); where
 * its sync is synchronize_rcu() (RCU readers, not IRQ-off ones) each
 * writer waited for exactly PC_K grace periods.
 */
#define PC_WRITERS 3
#define PC_K	   4

struct pc_writer {
	pthread_t thread;
	_Atomic int cpu; /* its CPU id, or -errno */
	_Atomic int done;
	_Atomic bool *release;
};

static void *pc_writer_main(void *arg)
{
	struct pc_writer *x = arg;
	int cpu = wl_cpu_start("writer");

	atomic_store(&x->cpu, cpu);
	if (cpu >= 0) {
		for (int i = 0; i < PC_K; i++) {
			struct wl_table_batch *b = wl_table_batch_alloc();

			wl_tlb_remove_table_sync_one(&mm);
			if (!b)
				continue;
			b->tables[b->nr++] = wl_table_alloc(WL_PTE);
			wl_table_deferred_add(1);
			wl_tlb_remove_table_free(&mm, b, false);
		}
	}
	atomic_store(&x->done, 1);
	/* Stay up (no other CPU takes our id) until the counts are read. */
	while (cpu >= 0 && !atomic_load(x->release))
		cpu_idle(true);
	if (cpu >= 0)
		wl_cpu_stop();
	return NULL;
}

Test(contract, grace_periods_and_polls_counted_per_cpu)
{
	const bool defers = wl_backend.caps & WL_CAP_DEFERS_FREE;
	const bool sync_gp = defers && !(wl_backend.caps & WL_CAP_IRQS_OFF);
	struct pc_writer x[PC_WRITERS];
	struct wl_cpu_counts c, c0;
	struct wl_backend_stats st;
	struct walker w[2];
	_Atomic bool release = false;
	uint64_t gp = 0, polls = 0;

	machine_up(WL_ARCH_BROADCAST);
	for (int i = 0; i < 2; i++)
		walker_start(&w[i]);
	wl_backend.stats_reset();
	memset(x, 0, sizeof(x));
	for (int i = 0; i < PC_WRITERS; i++) {
		x[i].release = &release;
		cr_assert_eq(pthread_create(&x[i].thread, NULL, pc_writer_main,
					    &x[i]),
			     0);
	}
	for (int i = 0; i < PC_WRITERS; i++)
		cr_assert(wait_int(&x[i].done, 1, COMPLETE_MS), "writer %d", i);
	wl_backend.stats(&st);
	for (int i = 0; i < PC_WRITERS; i++) {
		int cpu = atomic_load(&x[i].cpu);

		cr_assert_eq(wl_cpu_counts(cpu, &c), 0, "writer CPU %d", cpu);
		if (!i)
			c0 = c;
		cr_expect_eq(c.events[WL_EV_GP_SYNC], sync_gp ? PC_K : 0,
			     "%s: writer CPU %d waited for %llu grace periods",
			     wl_backend.name, cpu,
			     (unsigned long long)c.events[WL_EV_GP_SYNC]);
		cr_expect_eq(c.events[WL_EV_GP_CALL], defers ? PC_K : 0,
			     "%s: writer CPU %d queued %llu callbacks",
			     wl_backend.name, cpu,
			     (unsigned long long)c.events[WL_EV_GP_CALL]);
		cr_expect_eq(c.events[WL_EV_RCU_SCHED_GP],
			     c0.events[WL_EV_RCU_SCHED_GP],
			     "%s: RCU-sched grace periods differ by writer",
			     wl_backend.name);
		if (wl_backend.caps & WL_CAP_POLLS)
			cr_expect_geq(
				c.events[WL_EV_POLLS], PC_K,
				"%s: writer CPU %d polled %llu times",
				wl_backend.name, cpu,
				(unsigned long long)c.events[WL_EV_POLLS]);
		else
			cr_expect_eq(c.events[WL_EV_POLLS], 0);
		gp += c.events[WL_EV_GP_SYNC] + c.events[WL_EV_GP_CALL];
		polls += c.events[WL_EV_POLLS];
	}
	/* The writers' rows are the whole of the backend's figures. */
	cr_expect_eq(gp, st.grace_periods, "%s: rows %llu, backend %llu",
		     wl_backend.name, (unsigned long long)gp,
		     (unsigned long long)st.grace_periods);
	cr_expect_eq(polls, st.polls, "%s: rows %llu, backend %llu",
		     wl_backend.name, (unsigned long long)polls,
		     (unsigned long long)st.polls);
	for (int i = 0; i < 3; i++) {
		int cpu = i < 2 ? atomic_load(&w[i].cpu) : smp_processor_id();

		cr_assert_eq(wl_cpu_counts(cpu, &c), 0);
		for (int ev = WL_EV_GP_SYNC; ev <= WL_EV_POLLS; ev++)
			cr_expect_eq(c.events[ev], 0, "%s: %s CPU %d: %s %llu",
				     wl_backend.name, i < 2 ? "walker" : "main",
				     cpu, wl_cpu_event_names[ev],
				     (unsigned long long)c.events[ev]);
	}
	atomic_store(&release, true);
	for (int i = 0; i < PC_WRITERS; i++)
		pthread_join(x[i].thread, NULL);
	for (int i = 0; i < 2; i++)
		walker_stop(&w[i]);
	machine_down();
}

/* IPIs sent by kind, and the arch's and the backend's own counts. */
struct ipi_counts {
	struct wl_ipi_stats ipi;
	struct wl_arch_stats arch;
	struct wl_backend_stats be;
};

static void ipi_counts(struct ipi_counts *c)
{
	wl_ipi_stats(&c->ipi);
	wl_arch_stats(&c->arch);
	memset(&c->be, 0, sizeof(c->be));
	wl_backend.stats(&c->be);
}

#define KIND(a, b, k) ((b)->ipi.sent_kind[k] - (a)->ipi.sent_kind[k])

/* Every IPI has exactly one kind; the flush ones are the arch's. */
static void ipi_kinds_add_up(const struct ipi_counts *a,
			     const struct ipi_counts *b, const char *op)
{
	uint64_t sum = 0;

	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		sum += KIND(a, b, k);
	cr_expect_eq(sum, b->ipi.sent - a->ipi.sent, "%s: kinds add up", op);
	cr_expect_eq(KIND(a, b, WL_IPI_FLUSH),
		     b->arch.flush_ipis - a->arch.flush_ipis,
		     "%s: flush IPIs are the arch's", op);
}

/*
 * On the ipi arch with another CPU up: a collapse's sync IPIs are counted
 * as sync (tlb_remove_table_sync_one()'s), none as the backend's, and its
 * pmdp_collapse_flush() as flush; a munmap's shootdown as flush and none
 * as sync.  A backend that IPIs for its sync (IRQ-off readers) must show
 * sync IPIs, which fails if they are counted under another kind.
 */
Test(contract, ipis_are_counted_by_kind)
{
	const uint64_t a = UINT64_C(1) << 40;
	struct ipi_counts c0, c1, c2;
	struct walker w;

	machine_up(WL_ARCH_IPI);
	walker_start(&w); /* another CPU, idle: somebody to IPI */
	cr_assert_eq(wl_mmap(&mm, a, PMD_SIZE, VM_READ | VM_WRITE), 0);
	cr_assert_eq(wl_populate(&mm, a, PMD_SIZE), 0);
	ipi_counts(&c0);
	cr_assert_eq(wl_collapse_huge_page(&mm, a), 0);
	ipi_counts(&c1);
	cr_assert_eq(wl_munmap(&mm, a, PMD_SIZE), 0);
	ipi_counts(&c2);

	ipi_kinds_add_up(&c0, &c1, "collapse");
	cr_expect_geq(KIND(&c0, &c1, WL_IPI_FLUSH), 1, "collapse's flush");
	cr_expect_eq(KIND(&c0, &c1, WL_IPI_BACKEND), 0, "collapse: own");
	cr_expect_geq(KIND(&c0, &c1, WL_IPI_SYNC), c1.be.ipis - c0.be.ipis,
		      "collapse: the backend's sync IPIs are sync");
	if (wl_backend.caps & WL_CAP_TARGETED)
		cr_expect_eq(KIND(&c0, &c1, WL_IPI_SYNC), 0,
			     "targeted: no sync IPI to an idle CPU");
	else if (wl_backend.caps & WL_CAP_IRQS_OFF)
		cr_expect_geq(KIND(&c0, &c1, WL_IPI_SYNC), 1,
			      "IRQ-off readers: the sync IPIs");
	else
		cr_expect_eq(KIND(&c0, &c1, WL_IPI_SYNC), 0, "no sync IPI");

	ipi_kinds_add_up(&c1, &c2, "munmap");
	cr_expect_geq(KIND(&c1, &c2, WL_IPI_FLUSH), 1, "munmap's shootdown");
	cr_expect_eq(KIND(&c1, &c2, WL_IPI_SYNC), 0, "munmap: no sync");
	walker_stop(&w);
	machine_down();
}

Test(contract, options_are_validated)
{
	cr_assert_not_null(wl_backend.name);
	cr_assert_not_null(wl_backend.summary);
	cr_assert_not_null(wl_backend.build_options);
	cr_assert_neq(wl_backend.build_options[0], 0);
	if (!wl_backend.set_option) {
		cr_assert_null(wl_backend.opts_help);
		return;
	}
	cr_assert_not_null(wl_backend.opts_help);
	cr_assert_eq(wl_backend.set_option("no_such_option", "1"), -EINVAL);
	cr_assert_eq(wl_backend.set_option("", ""), -EINVAL);
	if (is_ipi_with_option()) {
		cr_assert_eq(wl_backend.set_option("assume_flush_ipi", "2"),
			     -EINVAL);
		cr_assert_eq(wl_backend.set_option("assume_flush_ipi", ""),
			     -EINVAL);
		cr_assert_eq(wl_backend.set_option("assume_flush_ipi", "yes"),
			     -EINVAL);
		/*
		 * As built, it needs nothing of the arch; only the run-time
		 * bug option does, and its help says so.
		 */
		cr_assert_eq(wl_backend.requires, WL_REQ_NONE);
		cr_assert(strstr(wl_backend.opts_help, "--arch ipi"));
	}
}

/* ---------------------------------------------------------------------- */
/* The second client: a speculative page fault (core/fault.c)            */

#define SPF_BASE (UINT64_C(1) << 40)

/* munmap of the fault's 2 MiB when told: frees its PTE table. */
static struct {
	pthread_t thread;
	_Atomic int go, done, quit;
	uint64_t wait_ms; /* how long the fault gives it */
} spf_writer;

static void *spf_writer_main(void *arg)
{
	(void)arg;
	if (wl_cpu_start("writer") < 0) {
		atomic_store(&spf_writer.done, -1);
		return NULL;
	}
	while (!atomic_load(&spf_writer.go))
		cpu_idle(true);
	wl_munmap(&mm, SPF_BASE, PMD_SIZE);
	atomic_store(&spf_writer.done, 1);
	while (!atomic_load(&spf_writer.quit))
		cpu_idle(true);
	wl_cpu_stop();
	return NULL;
}

/*
 * Between the fault's PMD check and its PTE trylock, inside its section:
 * let the writer unmap, and give it wait_ms to finish (taking IPIs only
 * if the section left IRQs on, as a CPU would).
 */
static void spf_hook(enum wl_inject_point p)
{
	uint64_t end = wl_now_ns() + spf_writer.wait_ms * MS;

	if (p != WL_INJ_SPF_PTL)
		return;
	atomic_store(&spf_writer.go, 1);
	while (atomic_load(&spf_writer.done) != 1 && wl_now_ns() < end) {
		wl_ipi_poll();
		wl_delay_ns(10000);
	}
}

/*
 * One fault at the second page of a mapped, populated-at-one-page 2 MiB,
 * the writer unmapping it in the window: returns the table_uaf count.
 */
static uint64_t spf_vs_munmap(enum wl_arch arch, bool expect_safe)
{
	struct wl_fault_stats st = {0};
	uint64_t uaf;

	machine_up(arch);
	cr_assert_eq(wl_mmap(&mm, SPF_BASE, PMD_SIZE, VM_READ | VM_WRITE), 0);
	cr_assert_eq(wl_populate(&mm, SPF_BASE, PAGE_SIZE), 0);
	memset(&spf_writer, 0, sizeof(spf_writer));
	/* An unsafe configuration frees at once; a safe one must not. */
	spf_writer.wait_ms = expect_safe ? HOLD_MS : COMPLETE_MS;
	cr_assert_eq(
		pthread_create(&spf_writer.thread, NULL, spf_writer_main, NULL),
		0);
	wl_inject_hook = spf_hook;
	wl_inject_cfg.enabled = true;
	wl_spf_fault(&mm, SPF_BASE + PAGE_SIZE, true, &st);
	cr_assert_eq(st.attempts, 1);
	cr_assert(wait_int(&spf_writer.done, 1, COMPLETE_MS),
		  "the writer's munmap returns once the fault has left");
	atomic_store(&spf_writer.quit, 1);
	pthread_join(spf_writer.thread, NULL);
	/* Only now: the writer's munmap reads the switch (no race). */
	wl_inject_cfg.enabled = false;
	wl_inject_hook = NULL;
	uaf = wl_violation_count(WL_V_TABLE_UAF);
	wl_violations_reset(); /* the negative controls' are expected */
	machine_down();
	return uaf;
}

/*
 * Every SAFE backend holds the PTE table between the fault's PMD check
 * and its PTE lock, on every arch, unless its caps say it cannot
 * (WL_CAP_NO_SPF); an unsafe one (none) frees it under the fault, which
 * is what shows the check can fail.
 */
Test(contract, spf_section_holds_the_pte_table)
{
	bool safe = (wl_backend.caps & WL_CAP_SAFE) &&
		    !(wl_backend.caps & WL_CAP_NO_SPF);

	if ((wl_backend.caps & WL_CAP_SAFE) &&
	    (wl_backend.caps & WL_CAP_NO_SPF))
		cr_skip_test("%s declares WL_CAP_NO_SPF", wl_backend.name);
	for (unsigned int i = 0; i < WL_ARRAY_SIZE(all_arches); i++) {
		uint64_t uaf = spf_vs_munmap(all_arches[i], safe);

		if (safe)
			cr_expect_eq(uaf, 0,
				     "%s/%s: table freed under the "
				     "speculative fault",
				     wl_backend.name,
				     wl_arch_name(all_arches[i]));
		else
			cr_expect_gt(uaf, 0,
				     "%s/%s: the negative control "
				     "freed nothing under the fault",
				     wl_backend.name,
				     wl_arch_name(all_arches[i]));
	}
}

/*
 * The 2021 review's concern, one interleaving: IRQs off and a flush that
 * IPIs nobody (broadcast), without RCU table freeing, hold nothing.
 */
Test(contract, spf_irqs_off_without_rcu_uaf_on_broadcast)
{
	if (!is_ipi_with_option())
		cr_skip_test("%s has no assume_flush_ipi option",
			     wl_backend.name);
	set_assume_flush_ipi(true);
	cr_expect_gt(spf_vs_munmap(WL_ARCH_BROADCAST, false), 0);
	cr_expect_eq(spf_vs_munmap(WL_ARCH_IPI, true), 0,
		     "the IPI arch's flush waits for the IRQ-off fault");
}
