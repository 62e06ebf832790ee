/* SPDX-License-Identifier: MIT */
/*
 * scenarios.h - the scenario library: the historical GUP-fast races
 * (docs/history.md 2), each a named torture configuration with the outcome
 * history says it has, and the fixed twin of each.
 *
 * One static table, shared by the front end (`walklab scenario list|run`,
 * bench/frontend/scenario.c) and the backend executables (`walklab-<id>
 * scenario NAME`, bench/torture/scenario_main.c); the tests register one
 * ctest per scenario from `walklab-<id> scenario --names` (tests/scenarios/).
 *
 * A scenario runs its backend's torture with `options` on `arch` until the
 * first violation of a type in `watch` (comma-separated violation names, or
 * "any") or until its bound.  Observed "reproduced" means a watched
 * violation was seen; "safe" means none was, and the run succeeded.
 *
 * A safe verdict is worth its power: the chance that a buggy twin (the
 * same configuration with one step out of order, a scenario itself) would
 * have failed within the time run.  From the twin's measured median time
 * to failure (twin_median_ms), assuming it exponential, the full bound
 * is set for 95% and the verdict line prints the power of the time run;
 * without a measured twin it says "power unknown".  ctest runs shorter
 * bounds (--short) and prints their power.  A synthetic scenario is no
 * kernel's state: .synthetic says what history it stands for.
 *
 * How each interleaving maps to the history (where the model departs, the
 * note says so):
 *  - The x86 triple: the ipi backend with assume_flush_ipi=1 frees tables
 *    right after the TLB flush, trusting it to have IPI'd every CPU and
 *    waited for IRQ-off walkers, as x86's GUP-fast did before v6.15.  On
 *    the ipi arch model that is true; on broadcast (ARM TLBI) and paravirt
 *    (hypercall) flushes nobody is interrupted, and a walker still inside a
 *    table sees it freed and reused (docs/history.md 2.2, 2.3).  The fixes: RCU
 *    table freeing with IRQ-off walkers (lockless_walk_helpers-today, what
 *    the kernel runs now; rcu-memb for RCU readers).
 *  - legacy-split-*: core/legacy_thp.c models the pre-4.5 refcounting; the bug
 *    skips kick_all_cpus_sync() on a broadcast arch, so a walker that passed
 *    its PMD recheck before the splitting bit takes its tail pins after the
 *    refcount was distributed (docs/history.md 2.4; the protocol:
 *    docs/kernel-protocol.md 2.5). Departure: one mapping per THP (no rmap
 *    walk), and legacy walkers are FOLL_GET, fast path only. The split waits
 *    through the backend's sync (the kick, for ipi), so each backend family has
 *    a safe scenario and its buggy twin (the same configuration with the sync
 *    skipped): legacy-split-{rcu,atomic,today}[-no-sync]. Of those, only ipi's
 *    pair is history; the others ask whether that backend would have protected
 *    the split (Deacon's counter was proposed for exactly this race,
 *    docs/history.md 3.7). atomic_readers runs one walker: with two walkers and
 *    one writer on a 2-CPU host the writer's poll rarely sees a walker's count
 *    at zero, and it starves (scripts/walklab-starvation).
 *  - collapse-no-pmd-recheck: before 70cbc3cc78a99 (Sept 2022) GUP-fast did not
 *    recheck the PMD, and before 2ba99c5e0881 (Nov 2022) khugepaged did not
 *    sync after pmdp_collapse_flush(): both bugs are on, as they were together
 *    in history; on broadcast the flush waits for nobody, the isolate check
 *    passes before the walker's pin, and the PTE recheck passes because
 *    khugepaged clears the PTEs only after copying (docs/history.md
 *    2.5). Watched: the stale pin and the pin kept across the "no pins"
 *    decision; the table UAF of collapse-no-sync may also happen (it is
 *    counted, not watched).
 *  - collapse-no-sync: the state between the two fixes: the PMD recheck
 *    is there, the sync is not; the detached PTE table is deposited and
 *    reused by the next split (or freed at once by a huge-PMD zap) while a
 *    walker may still be inside it (docs/history.md 2.6).
 *  - pt-reclaim-free-now: the 2021 "free user PTE page table pages"
 *    series' intermediate state freed an empty PTE table as soon as it was
 *    unlinked; here MADV_DONTNEED's pt_reclaim frees it at once, without
 *    flush or deferral.  Departure: the 2021 series used a per-table
 *    refcount (pte_try_get), modelled by pte-refcount-*; what these
 *    model is only the free-without-RCU step.
 *  - pte-refcount-*: the 2021 series' per-PTE-table refcount itself
 *    (backends/pte_refcount).  no-rcu is patch 6: the last put frees at
 *    once, and a walker's table is freed between its PMD load and its
 *    try-get; broadcast, because on ipi the flush between unlink and the
 *    drop of the table's own reference waits for the IRQ-off walker.  rcu
 *    is patch 8: freed after an RCU-sched grace period (docs/history.md
 *    2.10).
 *  - migration-*: migration freezes the refcount after installing the
 *    migration entry; GUP-fast's add-unless-zero and PTE recheck make it
 *    safe.  migration-no-pte-recheck drops the PTE recheck (the broken
 *    walker, negative control): the walker keeps a pin on the old folio.
 *  - fork-cow-*: fork's copy (core/fork.c) checks each writable PTE's
 *    page for pins, then shares it and write-protects the parent's PTE; a
 *    GUP-fast FOLL_PIN that pins after the check and rechecks before the
 *    write-protect keeps a pin on a page shared with the child
 *    (pin_after_nopin, FOLL_PIN holders only).  The fix is
 *    mm->write_protect_seq (57efa1fe5957, v5.11; KERNEL.md 4.3).  Model:
 *    no child mm; the child shares the pages until the end of the op.
 *  - numa-hinting-*: THP migration on a NUMA-hinting fault (core/numa.c)
 *    checked the page count, copied and cleared the PMD with
 *    pmd_clear_flush(), no migration entry, no freeze; a walker that
 *    follows the protnone PMD keeps a pin on the old folio.  The fix
 *    (Gorman, ~v3.13, KERNEL.md 4.8) sends protnone entries to the slow
 *    path.  Assumed, unverified: the walker's permission check let the
 *    NUMA-hinting PMD through (x86's present bit would have refused it).
 *  - lazy-tlb-*: the torture's walkers are lazy-TLB CPUs (--lazy-tlb):
 *    no GUP, so the writer is the mm's one user; each CPU's hardware may
 *    walk the mm's tables speculatively, with IRQs off, until a flush IPI
 *    switches it to init_mm (core/arch.h).  Before the August 2018 fixes
 *    tlb_remove_table() freed a table at once when mm_users < 2 (before
 *    the flush): lazy-tlb-single-user-free.  The fix frees after the flush,
 *    which IPIs lazy CPUs when tables were freed (x86 freed_tables).
 *    History unverified (KERNEL.md 4.6): the exact interleaving Jann Horn
 *    found is not in the sources read; the model assumes a speculative
 *    walk can start from the pgd at any time while the CPU is lazy.
 *    lazy-tlb-no-ipi is synthetic: a flush that skips lazy CPUs even for
 *    freed tables, the case the freed_tables rule exists for.
 *  - pae-torn-pmd-*: --pae walkers read the PMD as two halves with
 *    pmdp_get_lockless()'s low/high/low retry (gup.c); khugepaged's
 *    retract (core/retract.c) clears the PMD and runs
 *    pmdp_get_lockless_sync() under the PMD lock, or after it (the January
 *    2026 question, KERNEL.md 7.5), when a fault may already have installed
 *    a new table: the walker pairs the old low half with a high half read
 *    while the PMD was none and walks a table that is not its PTE table.
 *    What the model assumes: the split puts the whole frame number in the
 *    high half, so any two table entries have equal low halves (on PAE,
 *    tables 4 GiB apart); the flush does not interrupt the walker (arch
 *    broadcast: the case the sync is for; which x86 PAE paths flush without
 *    an IPI is unverified); entries are stored whole (64-bit atomics), not
 *    half by half as native_pmd_clear() does; the racing fault is the
 *    writer's own, made certain in the window.  No pt_reclaim (x86-64
 *    only): it clears PMDs with no sync, and the model's PAE walkers then
 *    tear on it too, with the fixed retract.  No history of a bug: the
 *    buggy variant is the change that was asked about.
 *  - none-*: no synchronization at all, on each arch model: the checker's
 *    own negative control.
 *  - rcu-sched-*: today's walkers take no rcu_read_lock(); the tables are
 *    safe because the machine's grace periods wait for IRQ-off CPUs
 *    (core/rcu_sched.h).  The negative control's grace period waits for
 *    no CPU, as one blind to IRQ-off readers would: synthetic, no kernel
 *    shipped it for tables (the question was raised in review, 2021).
 *  - spf-*: the walkers are speculative page faulters (--spf on,
 *    core/fault.c), the second client of lockless_page_walk_begin/end.
 *    spf-broadcast-no-rcu: IRQs off (the ipi backend trusting the flush)
 *    on broadcast TLBI, no RCU table freeing: between reading the PMD and
 *    taking the PTE lock the table is freed under the fault (the 2021
 *    review's concern, docs/history.md 3.3).  spf-today: the same walk on
 *    today's protocol.  spf-no-seq-check: the fault skips its mmap_seq
 *    checks; the PMD recheck under the PTE lock still catches pt_reclaim,
 *    but not a munmap that zapped the table before the lock was taken:
 *    the PTE is installed where no VMA is (orphan_pte).
 *  - batch-fail-*: the table batch allocation fails half the time, so
 *    tlb_remove_table_one() frees single tables, in each kernel variant
 *    (--backend-opt fallback=, docs/kernel-protocol.md 2.9, 6); free-now frees
 *    after the flush only, which on broadcast TLBI waits for no walker.
 *  - skip-sync-*: tlb_table_flush_implies_ipi_broadcast() (Lance Yang,
 *    2025-2026; docs/kernel-protocol.md 6.1): --backend-opt skip_sync=arch
 *    returns from tlb_remove_table_sync_one() at once where the arch
 *    model's flush IPIs and waits for every CPU (ipi): safe, the flush
 *    before the sync (pmdp_collapse_flush()) already waited for every
 *    IRQ-off walker; on paravirt the predicate is false and the sync
 *    stays (skip-sync-paravirt, the twin of paravirt-khugepaged-no-sync).  skip_sync=force says true on broadcast, the INVLPGB
 *    (and arm64) case the series excludes: the sync is gone and the
 *    detached table is reused under a walker, as in collapse-no-sync.
 *    The PMD-unshare path is stood for by collapse-and-reuse: in both the
 *    writer clears the entry that links a lower table, flushes, syncs,
 *    and then the table lives on without an RCU deferral (collapse: it is
 *    deposited and refilled by the next split, WL_SC_MIX_COLLAPSE runs
 *    both; hugetlb's huge_pmd_unshare(): the shared PMD table stays
 *    linked in the other mms, whose entries change under a walker that
 *    still reads it).  The skip's correctness depends only on what the
 *    flush before the sync waited for, which is the same flush call on
 *    both paths.  Departure: the model has no shared PMD tables, and
 *    unshare clears with a plain pud_clear() where collapse uses an
 *    atomic RMW; that difference matters to the targeted sync's barrier
 *    (sync_barrier=rmb), not to the skip.
 *    skip-sync-lazy-tlb: the skip on ipi with lazy-TLB walkers
 *    (--lazy-tlb, as lazy-tlb-*): the collapse's flush (freed_tables
 *    false) skips lazy CPUs, and the skipped sync was what waited for
 *    their speculative walks.  Synthetic: the series (v8 on) has the
 *    flushes that unshare tables wake lazy CPUs for this reason; the
 *    model's collapse flush does not, so this is the skip without that
 *    part (docs/kernel-protocol.md 6.1).  With skip_sync=off the same
 *    configuration ran 10 s clean (seed 1).
 *  - targeted-*: lockless_walk_helpers-targeted (the v4 series): the sync
 *    IPIs only CPUs whose active-walk pointer is the mm; with either
 *    publication (store_mb, xchg) and the full barrier it is safe under
 *    collapse and under the no-batch fallback.  targeted-no-publish is
 *    the negative control (synthetic): walkers never publish, so the sync
 *    IPIs nobody, as a sync that read stale pointers would.
 *  - targeted-sync-*: the sync's barrier as posted (sync_barrier=rmb)
 *    and as Peter Zijlstra said it must be (mb), with the publication
 *    points through the simulated store buffer (--inject-sb on, core/sb.h;
 *    docs/kernel-protocol.md 6.3): a store stays invisible to other CPUs
 *    until its CPU's next full barrier, so the store-buffering outcome
 *    the host's own buffer hides shows in under a second.  Which paths
 *    the rmb breaks depends on what lies between the unlink and the
 *    tracker read.  targeted-sync-rmb: huge_pmd_unshare()'s order (Jann
 *    Horn's 2025 fix: pud_clear(), a plain store, then the sync at once)
 *    on broadcast: nothing orders the clear, the table is reused under a
 *    walker.  The other paths are saved, each by one named thing, and each
 *    safe scenario's twin removes just that thing (--bug flush-no-barrier,
 *    a counterfactual: no arch model's flush lacks a full barrier):
 *    collapse on broadcast (arm64's xchg_relaxed clear) by the flush's
 *    DSB; collapse on paravirt (x86) by the xchg clear itself, even
 *    without the flush's barrier; the no-batch fallback of free_pgtables
 *    and pt_reclaim (a plain pmd_clear()) by tlb_table_invalidate()'s
 *    flush; unshare on ipi by its later flush, which drains the clear
 *    and then IPIs and waits for the walkers that read the old entry.
 */
#ifndef WALKLAB_SCENARIOS_H
#define WALKLAB_SCENARIOS_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct wl_scenario {
	const char *name;
	const char *backend; /* the walklab-<id> that runs it */
	const char *arch;
	const char *options;  /* torture options, space-separated */
	const char *expect;   /* "reproduced" or "safe" */
	const char *watch;    /* violation types that count, or "any" */
	unsigned int bound_s; /* default --timeout (see wl_scenario_bound_ms) */
	const char *history;
	/*
	 * Synthetic scenarios are no kernel's state: what history they stand
	 * for.  NULL: the scenario is a state some kernel had.
	 */
	const char *synthetic;
	/*
	 * expect=safe: the buggy twin whose time to failure (TTF) sizes the
	 * bound, and its measured median TTF in ms, with injection on as
	 * scenarios run (scripts/walklab-scenario-times --twins, 5 seeds).
	 * 0: not measured, and the verdict says "power unknown".
	 */
	const char *twin;
	unsigned int twin_median_ms;
	/* ctest's bound (--short); 0: WL_SC_SHORT_S, or bound_s if less. */
	unsigned int short_bound_s;
};

/*
 * The power of a safe verdict: the chance that the twin's bug, run as long,
 * would have been caught.  With an exponential TTF of median m, P(caught by
 * T) = 1 - 2^(-T/m), so 95% needs T >= log2(20) m = 4.32 m; the full bound
 * is WL_SC_POWER_FACTOR x the twin's median, or bound_s if longer.
 */
#define WL_SC_POWER_FACTOR 4.33
#define WL_SC_SHORT_S	   2u

/* Writer mixes. */
#define WL_SC_MIX_ALL                                                          \
	"--mix munmap=3,dontneed=3,split=1,collapse=1,migrate=1,mprotect=1"
#define WL_SC_MIX_COLLAPSE "--mix collapse=4,split=3,dontneed=1,migrate=1"
#define WL_SC_MIX_LEGACY                                                       \
	"--legacy-thp --mix split=4,dontneed=2,munmap=1,migrate=0,"            \
	"mprotect=0,collapse=0"
/*
 * The paravirt twins (paravirt-khugepaged-no-sync, paravirt-rcu-table-free,
 * skip-sync-paravirt): a PV flush leaves a walker alone only while its vCPU
 * is preempted, so the race needs the host to preempt the walker between
 * its PMD read and its PTE table, and the writer to collapse that PMD and
 * zap it (freeing the deposited table) before the vCPU runs again.  One
 * PMD (2 MiB) puts every op on the walker's PMD; a host preemption of up
 * to 500 us (a host timeslice is milliseconds) leaves room for two writer
 * ops under ASan too.  At 8 MiB and the 50 us of --inject-max-ns, ASan
 * missed the race within 20 s in CI (seed 1) and, by hand, for seeds 3, 6
 * and 8 of 10.
 */
#define WL_SC_PARAVIRT_HOST "--region-mb 2 --vcpu-preempt-ns 500000 "
#define WL_SC_MIX_RECLAIM   "--mix dontneed=6,munmap=1,migrate=1 --pt-reclaim on"
#define WL_SC_MIX_MIGRATE   "--mix migrate=6,dontneed=1,munmap=1"
#define WL_SC_MIX_FORK                                                         \
	"--foll pin --region-mb 2 --mix fork=6,split=1,munmap=1,collapse=1,"   \
	"dontneed=1,migrate=0,mprotect=0"
#define WL_SC_MIX_NUMA                                                         \
	"--region-mb 2 --mix numa=6,munmap=2,collapse=2,split=1,dontneed=1,"   \
	"migrate=0,mprotect=0"
#define WL_SC_MIX_LAZY                                                         \
	"--lazy-tlb --pt-reclaim off --mix munmap=6,dontneed=2,split=1,"       \
	"collapse=0,migrate=0,mprotect=0"
#define WL_SC_MIX_PAE                                                          \
	"--pae --walkers 4 --region-mb 2 --walk-pages 8 --pt-reclaim off "     \
	"--inject-prob 32768 --inject-max-ns 20000 --mix retract=6,munmap=1,"  \
	"dontneed=1,split=2,collapse=0,migrate=0,mprotect=0"
/* Walkers are speculative faulters (core/fault.c). */
#define WL_SC_MIX_SPF "--spf on " WL_SC_MIX_ALL
#define WL_SC_UAF     "table_uaf,poison_read"
#define WL_SC_PIN     "stale_pin,pin_after_nopin"

/*
 * huge_pmd_unshare()'s order (core/retract.c), and the simulated store
 * buffer at the publication points (core/sb.h).
 */
#define WL_SC_MIX_UNSHARE                                                      \
	"--mix unshare=6,munmap=1,dontneed=1,collapse=0,split=0,migrate=0,"    \
	"mprotect=0"
#define WL_SC_SB_RMB	       "--inject-sb on --backend-opt sync_barrier=rmb "
#define WL_SC_SB_MB	       "--inject-sb on --backend-opt sync_barrier=mb "
#define WL_SC_NO_FLUSH_BARRIER "--bug flush-no-barrier "

/* Half the table batches fail: tlb_remove_table_one() runs often. */
#define WL_SC_BATCH_FAIL "--batch-fail 0.5 "

/*
 * The twins' median time to first watched violation, ms, with injection on
 * (as scenarios run), release build, seeds 1..5, measured by
 *   scripts/walklab-scenario-times --twins 5 60
 * in three sessions on 2 shared vCPUs, at load averages of about 5, 22 and
 * 23 (other helpers' builds and tests): the medians of 5 seeds varied up
 * to 11x between sessions, so each is the largest of the three (in the
 * comment, s; docs/scenario-twins.txt has every time).  Time to failure in
 * seconds depends on the load; re-measure when the twin, the simulation or
 * the machine changes.  PARAVIRT_KHUGEPAGED_NO_SYNC after the paravirt
 * model became KVM's PV flush and its scenarios one PMD with host
 * preemptions of up to 500 us (WL_SC_PARAVIRT_HOST): seeds 1..5 .134 .451
 * .329 .350 .325, median .329 s (load 2.6; seeds 6..10 .047 .478 .823
 * .005 .263; ASan seeds 1..10 .029 s to 1.346 s, median about .65 s).
 * Before, at 8 MiB and 50 us, 2.166 s in release, and ASan missed the
 * race in 20 s for seeds 3, 6 and 8 of 10.
 */
#define WL_SC_TTF_NONE_IPI		      255  /* .119 .255 .069 */
#define WL_SC_TTF_ARM_X86_COPY_BROADCAST      4	   /* .003 .004 .003 */
#define WL_SC_TTF_ARM_KHUGEPAGED_NO_SYNC      1292 /* .624 1.195 1.292 */
#define WL_SC_TTF_PARAVIRT_KHUGEPAGED_NO_SYNC 329  /* .329 (one PMD) */
#define WL_SC_TTF_LEGACY_SPLIT_NO_IPI	      158  /* .023 .064 .158 */
#define WL_SC_TTF_COLLAPSE_NO_SYNC	      1100 /* .260 1.100 .099 */
#define WL_SC_TTF_PT_RECLAIM_FREE_NOW	      10   /* .010 .010 .008 */
#define WL_SC_TTF_MIGRATION_NO_PTE_RECHECK    45   /* .025 - .045 */
/*
 * The twins of the scenarios added since: the larger of the medians the
 * scenario's author measured under load (10-22) and the lead's, seeds 1..5,
 * injection on, at load 3 (docs/scenario-twins.txt).
 */
#define WL_SC_TTF_LEGACY_SPLIT_RCU_NO_SYNC    9	 /* .009 (load 3) */
#define WL_SC_TTF_LEGACY_SPLIT_ATOMIC_NO_SYNC 18 /* .018 (load 3) */
#define WL_SC_TTF_LEGACY_SPLIT_TODAY_NO_SYNC  2	 /* .002 (load 3) */
#define WL_SC_TTF_FORK_COW_NO_WP_SEQ	      559 /* .559 (load 10-22) .143 (load 3) */
#define WL_SC_TTF_NUMA_HINTING_NO_PROTNONE_BAIL                                \
	426 /* .426 (load 10-22) .148 (load 3) */
#define WL_SC_TTF_LAZY_TLB_SINGLE_USER_FREE                                    \
	39 /* .039 (load 10-22) .000 (load 3) */
#define WL_SC_TTF_PAE_TORN_PMD_SYNC_AFTER_UNLOCK                               \
	598 /* .598 (load 10-22) .030 (load 3) */
#define WL_SC_TTF_RCU_SCHED_IGNORES_IRQOFF                                     \
	2				 /* .002 (load 5-22) .001 (load 3) */
#define WL_SC_TTF_BATCH_FAIL_FREE_NOW 11 /* .011 (load 5-22) .001 (load 3) */
/*
 * spf-no-seq-check: seeds 1..5, the larger median of two sessions, at
 * loads 16-20 (.107) and 77 (.141).
 */
#define WL_SC_TTF_SPF_NO_SEQ_CHECK 141 /* .107 (load 16-20) .141 (77) */
/* pte_refcount-norcu's twin: seeds 1..5, two sessions, the larger. */
#define WL_SC_TTF_PTE_REFCOUNT_NO_RCU 81 /* .079 (load 14) .081 (load 27) */
/* skip_sync=force on broadcast, unshare mix: seeds 1..5, load about 3. */
#define WL_SC_TTF_SKIP_SYNC_UNSHARE_FORCED_BROADCAST                           \
	3 /* .001 .005 .000 .003 .003 */
/*
 * --inject-sb (core/sb.h), median of 5 seeds.  Re-measured after the
 * unshare took the PTE table's lock (6ef18ae): a walker's slow path taking
 * that lock drains the buffered clear (sb.h), so the race got rarer: 2.324
 * s (2026-12-02, load falling 27 to 5; seeds .046 2.433 3.204 .288 2.324),
 * where it was .468 s before (1.574 .535 .050 .250 .468, 8 builds beside).
 */
#define WL_SC_TTF_TARGETED_SYNC_RMB 2324 /* .046 2.433 3.204 .288 2.324 */
/* After the table lock, the same: .148 .409 .310 .462 .003, median .310. */
#define WL_SC_TTF_RMB_UNSHARE_IPI_NO_FLUSH_BARRIER                             \
	310 /* .148 .409 .310 .462 .003; .302 before */
#define WL_SC_TTF_RMB_COLLAPSE_NO_FLUSH_BARRIER                                \
	869 /* .279 >10 4.580 .869 .446 */
#define WL_SC_TTF_RMB_BATCH_FAIL_NO_FLUSH_BARRIER                              \
	558 /* .558 .137 .547 .832 .773 */

static const struct wl_scenario wl_scenarios[] = {
	{
		.name = "x86-irqoff-ipi-flush",
		.backend = "ipi",
		.arch = "ipi",
		.options = "--backend-opt "
			   "assume_flush_ipi=1 " WL_SC_MIX_ALL,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "x86 GUP-fast: IRQs off; the flush IPI waits for it",
		.twin = "none-ipi",
		.twin_median_ms = WL_SC_TTF_NONE_IPI,
	},
	{
		.name = "arm-x86-copy-broadcast",
		.backend = "ipi",
		.arch = "broadcast",
		.options = "--backend-opt "
			   "assume_flush_ipi=1 " WL_SC_MIX_ALL,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "2013 ARM port review (Deacon): broadcast "
			   "TLBI IPIs "
			   "nobody, table UAF",
	},
	{
		.name = "arm-rcu-table-free",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_MIX_ALL,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "fix: IRQ-off + RCU table free (Capper 2014, today)",
		.twin = "arm-khugepaged-no-sync",
		.twin_median_ms = WL_SC_TTF_ARM_KHUGEPAGED_NO_SYNC,
	},
	{
		.name = "arm-rcu-readers",
		.backend = "rcu-memb",
		.arch = "broadcast",
		.options = WL_SC_MIX_ALL,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history =
			"fix, RCU readers: tables freed after a grace period",
		.twin = "arm-x86-copy-broadcast",
		.twin_median_ms = WL_SC_TTF_ARM_X86_COPY_BROADCAST,
	},
	{
		.name = "paravirt-flush-no-rcu",
		.backend = "ipi",
		.arch = "paravirt",
		.options = "--backend-opt "
			   "assume_flush_ipi=1 " WL_SC_MIX_ALL,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "hypercall flush IPIs no vCPU: table UAF "
			   "without RCU "
			   "table free",
	},
	{
		.name = "paravirt-rcu-table-free",
		.backend = "lockless_walk_helpers-today",
		.arch = "paravirt",
		.options = WL_SC_PARAVIRT_HOST WL_SC_MIX_ALL,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "fix: x86 selects RCU table free with PARAVIRT",
		.twin = "paravirt-khugepaged-no-sync",
		.twin_median_ms = WL_SC_TTF_PARAVIRT_KHUGEPAGED_NO_SYNC,
	},
	{
		/* arm-rcu-table-free's twin: the same, one step out of order. */
		.name = "arm-khugepaged-no-sync",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = "--bug collapse-no-sync " WL_SC_MIX_ALL,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "khugepaged without its sync (2ba99c5e0881, 2022) "
			   "in the default mix, where collapse is rare",
	},
	{
		.name = "paravirt-khugepaged-no-sync",
		.backend = "lockless_walk_helpers-today",
		.arch = "paravirt",
		.options = "--bug collapse-no-sync " WL_SC_PARAVIRT_HOST
			WL_SC_MIX_ALL,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "khugepaged without its sync (2022) on a paravirt "
			   "flush, the default mix",
	},
	{
		.name = "legacy-split-no-ipi",
		.backend = "ipi",
		.arch = "broadcast",
		.options = "--bug legacy-split-no-ipi " WL_SC_MIX_LEGACY,
		.expect = "reproduced",
		.watch = "pin_after_nopin,ref_imbalance",
		.bound_s = 20,
		.history = "pre-4.5 THP split without "
			   "kick_all_cpus_sync(): "
			   "refcount corruption",
	},
	{
		.name = "legacy-split-ipi",
		.backend = "ipi",
		.arch = "broadcast",
		.options = WL_SC_MIX_LEGACY,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "pre-4.5 fix: splitting bit + IPI, GUP-fast bails",
		.twin = "legacy-split-no-ipi",
		.twin_median_ms = WL_SC_TTF_LEGACY_SPLIT_NO_IPI,
	},
	{
		.name = "legacy-split-rcu-no-sync",
		.backend = "rcu-memb",
		.arch = "broadcast",
		.options = "--bug legacy-split-no-ipi " WL_SC_MIX_LEGACY,
		.expect = "reproduced",
		.watch = "pin_after_nopin,ref_imbalance",
		.bound_s = 20,
		.history = "negative control: RCU walkers, split without "
			   "synchronize_rcu()",
	},
	{
		.name = "legacy-split-rcu",
		.backend = "rcu-memb",
		.arch = "broadcast",
		.options = WL_SC_MIX_LEGACY,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "RCU walkers: the split's wait is synchronize_rcu()",
		.twin = "legacy-split-rcu-no-sync",
		.twin_median_ms = WL_SC_TTF_LEGACY_SPLIT_RCU_NO_SYNC,
	},
	{
		.name = "legacy-split-atomic-no-sync",
		.backend = "atomic_readers-percpu",
		.arch = "broadcast",
		.options = "--bug legacy-split-no-ipi --walkers "
			   "1 " WL_SC_MIX_LEGACY,
		.expect = "reproduced",
		.watch = "pin_after_nopin,ref_imbalance",
		.bound_s = 20,
		.history = "negative control: reader count, split without "
			   "polling it",
	},
	{
		.name = "legacy-split-atomic",
		.backend = "atomic_readers-percpu",
		.arch = "broadcast",
		.options = "--walkers 1 " WL_SC_MIX_LEGACY,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "Deacon 2013: the split polls the reader count to "
			   "zero",
		.twin = "legacy-split-atomic-no-sync",
		.twin_median_ms = WL_SC_TTF_LEGACY_SPLIT_ATOMIC_NO_SYNC,
	},
	{
		.name = "legacy-split-today-no-sync",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = "--bug legacy-split-no-ipi " WL_SC_MIX_LEGACY,
		.expect = "reproduced",
		.watch = "pin_after_nopin,ref_imbalance",
		.bound_s = 20,
		.history = "negative control: today's walkers, split without "
			   "its sync IPI",
	},
	{
		.name = "legacy-split-today",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_MIX_LEGACY,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "today's walkers: the split's wait is the sync IPI",
		.twin = "legacy-split-today-no-sync",
		.twin_median_ms = WL_SC_TTF_LEGACY_SPLIT_TODAY_NO_SYNC,
	},
	{
		.name = "collapse-no-pmd-recheck",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = "--bug no-pmd-recheck --bug "
			   "collapse-no-sync " WL_SC_MIX_COLLAPSE,
		.expect = "reproduced",
		.watch = WL_SC_PIN,
		.bound_s = 20,
		.history = "GUP-fast vs khugepaged, stale pin "
			   "(70cbc3cc78a99, "
			   "2022)",
	},
	{
		.name = "collapse-no-sync",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = "--bug collapse-no-sync " WL_SC_MIX_COLLAPSE,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "khugepaged reuses the PTE table, UAF "
			   "(2ba99c5e0881, "
			   "2022)",
	},
	{
		.name = "collapse-fixed",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_MIX_COLLAPSE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "fix: PMD recheck + tlb_remove_table_sync_one()",
		.twin = "collapse-no-sync",
		.twin_median_ms = WL_SC_TTF_COLLAPSE_NO_SYNC,
	},
	{
		.name = "pt-reclaim-free-now",
		.backend = "lockless_walk_helpers-today",
		.arch = "ipi",
		.options = "--bug pt-reclaim-free-now " WL_SC_MIX_RECLAIM,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history =
			"2021 series' broken state: empty PTE table freed at "
			"once",
		.synthetic = "freeing at once, never merged: the free "
			     "without RCU deferral that PT_RECLAIM avoids by "
			     "selecting RCU table freeing",
	},
	{
		.name = "pt-reclaim-rcu",
		.backend = "lockless_walk_helpers-today",
		.arch = "ipi",
		.options = WL_SC_MIX_RECLAIM,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history =
			"fix: reclaimed PTE tables freed through the backend",
		.twin = "pt-reclaim-free-now",
		.twin_median_ms = WL_SC_TTF_PT_RECLAIM_FREE_NOW,
	},
	{
		.name = "migration-ref-freeze",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_MIX_MIGRATE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "migration entry + ref freeze vs add-unless-zero",
		.synthetic =
			"no bug in history: the kernel's migration "
			"contract (entry, flush, then freeze), the control "
			"for migration-no-pte-recheck",
		.twin = "migration-no-pte-recheck",
		.twin_median_ms = WL_SC_TTF_MIGRATION_NO_PTE_RECHECK,
	},
	{
		.name = "migration-no-pte-recheck",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = "--bug no-pte-recheck " WL_SC_MIX_MIGRATE,
		.expect = "reproduced",
		.watch = WL_SC_PIN,
		.bound_s = 20,
		.history = "broken walker (no PTE recheck): pin on a "
			   "migrated "
			   "folio",
		.synthetic = "no kernel walker lacked this recheck: the "
			     "pin-then-recheck contract every GUP-fast keeps",
	},
	{
		.name = "fork-cow-no-wp-seq",
		.backend = "lockless_walk_helpers-today",
		.arch = "ipi",
		.options = "--bug fork-no-wp-seq " WL_SC_MIX_FORK,
		.expect = "reproduced",
		.watch = "pin_after_nopin",
		.bound_s = 20,
		.history = "fork vs GUP-fast pin: pinned page shared "
			   "with the "
			   "child (57efa1fe5957, 2020)",
	},
	{
		.name = "fork-cow-wp-seq",
		.backend = "lockless_walk_helpers-today",
		.arch = "ipi",
		.options = WL_SC_MIX_FORK,
		.expect = "safe",
		.watch = "any",
		.bound_s = 3,
		.history = "fix: mm->write_protect_seq, GUP-fast pin "
			   "retries",
		.twin = "fork-cow-no-wp-seq",
		.twin_median_ms = WL_SC_TTF_FORK_COW_NO_WP_SEQ,
	},
	{
		.name = "numa-hinting-no-protnone-bail",
		.backend = "lockless_walk_helpers-today",
		.arch = "ipi",
		.options = "--bug walker-no-protnone " WL_SC_MIX_NUMA,
		.expect = "reproduced",
		.watch = WL_SC_PIN,
		.bound_s = 20,
		.history = "THP NUMA migration, pmd_clear_flush, no "
			   "migration "
			   "entry: stale pin (~v3.13)",
	},
	{
		.name = "numa-hinting-protnone-bail",
		.backend = "lockless_walk_helpers-today",
		.arch = "ipi",
		.options = WL_SC_MIX_NUMA,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "fix (Gorman): protnone PMD sends GUP-fast "
			   "to the "
			   "slow path",
		.twin = "numa-hinting-no-protnone-bail",
		.twin_median_ms = WL_SC_TTF_NUMA_HINTING_NO_PROTNONE_BAIL,
	},
	{
		.name = "lazy-tlb-single-user-free",
		.backend = "ipi",
		.arch = "ipi",
		.options = "--bug single-user-table-free " WL_SC_MIX_LAZY,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "2018: tables freed at once when mm_users < "
			   "2; a "
			   "lazy-TLB CPU walks them (Horn)",
	},
	{
		.name = "lazy-tlb-no-ipi",
		.backend = "ipi",
		.arch = "ipi",
		.options = "--bug lazy-tlb-no-ipi " WL_SC_MIX_LAZY,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "flush skips lazy CPUs with freed tables: "
			   "table UAF "
			   "(synthetic)",
	},
	{
		.name = "lazy-tlb-freed-tables-ipi",
		.backend = "ipi",
		.arch = "ipi",
		.options = WL_SC_MIX_LAZY,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "fix: tables freed after the flush, which "
			   "IPIs lazy "
			   "CPUs when freed_tables",
		.twin = "lazy-tlb-single-user-free",
		.twin_median_ms = WL_SC_TTF_LAZY_TLB_SINGLE_USER_FREE,
	},
	{
		.name = "pae-torn-pmd-sync-after-unlock",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = "--bug pae-sync-after-unlock " WL_SC_MIX_PAE,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 30,
		.history = "PAE: pmdp_get_lockless_sync() moved after "
			   "the unlock "
			   "(2026 question): torn PMD",
	},
	{
		.name = "pae-torn-pmd-sync-under-lock",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_MIX_PAE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 3,
		.history = "PAE today: the sync before the PMD lock is "
			   "dropped",
		.twin = "pae-torn-pmd-sync-after-unlock",
		.twin_median_ms = WL_SC_TTF_PAE_TORN_PMD_SYNC_AFTER_UNLOCK,
	},
	{
		.name = "none-ipi",
		.backend = "none",
		.arch = "ipi",
		.options = WL_SC_MIX_ALL,
		.expect = "reproduced",
		.watch = "any",
		.bound_s = 20,
		.history = "negative control: no synchronization",
	},
	{
		.name = "none-broadcast",
		.backend = "none",
		.arch = "broadcast",
		.options = WL_SC_MIX_ALL,
		.expect = "reproduced",
		.watch = "any",
		.bound_s = 20,
		.history = "negative control: no synchronization",
	},
	{
		.name = "none-paravirt",
		.backend = "none",
		.arch = "paravirt",
		.options = WL_SC_MIX_ALL,
		.expect = "reproduced",
		.watch = "any",
		.bound_s = 20,
		.history = "negative control: no synchronization",
	},
	{
		.name = "rcu-sched-irqoff-reader",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_MIX_ALL,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "consolidated RCU (v4.20): IRQ-off walkers are "
			   "RCU-sched readers; call_rcu frees after them",
		.twin = "rcu-sched-ignores-irqoff",
		.twin_median_ms = WL_SC_TTF_RCU_SCHED_IGNORES_IRQOFF,
	},
	{
		.name = "rcu-sched-ignores-irqoff",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = "--bug rcu-sched-ignores-irqoff " WL_SC_MIX_ALL,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "synthetic: a grace period blind to IRQ-off CPUs "
			   "(the doubt of the 2021 SPF review), table UAF",
	},
	{
		.name = "batch-fail-ipi",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_BATCH_FAIL
		"--backend-opt fallback=ipi " WL_SC_MIX_RECLAIM,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "!PT_RECLAIM fallback before 2026: sync IPI, then "
			   "free at once",
		.twin = "batch-fail-free-now",
		.twin_median_ms = WL_SC_TTF_BATCH_FAIL_FREE_NOW,
	},
	{
		.name = "batch-fail-sync-rcu",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_BATCH_FAIL
		"--backend-opt fallback=sync_rcu " WL_SC_MIX_RECLAIM,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "!PT_RECLAIM fallback since Feb 2026 (Lance Yang): "
			   "synchronize_rcu(), then free",
		.twin = "batch-fail-free-now",
		.twin_median_ms = WL_SC_TTF_BATCH_FAIL_FREE_NOW,
	},
	{
		.name = "batch-fail-call-rcu",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_BATCH_FAIL
		"--backend-opt fallback=call_rcu " WL_SC_MIX_RECLAIM,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "PT_RECLAIM fallback (Qi Zheng): call_rcu on the "
			   "table's ptdesc",
		.twin = "batch-fail-free-now",
		.twin_median_ms = WL_SC_TTF_BATCH_FAIL_FREE_NOW,
	},
	{
		.name = "batch-fail-free-now",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_BATCH_FAIL
		"--bug table-one-free-now " WL_SC_MIX_RECLAIM,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "synthetic: fallback frees after the flush alone; "
			   "broadcast TLBI waits for no walker",
	},
	{
		.name = "skip-sync-ipi",
		.backend = "lockless_walk_helpers-today",
		.arch = "ipi",
		.options = "--backend-opt skip_sync=arch " WL_SC_MIX_COLLAPSE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "skip redundant sync IPIs (Lance Yang, v7, 2026): "
			   "the ipi flush already waited for every walker",
		.twin = "collapse-no-sync",
		.twin_median_ms = WL_SC_TTF_COLLAPSE_NO_SYNC,
	},
	{
		.name = "skip-sync-paravirt",
		.backend = "lockless_walk_helpers-today",
		.arch = "paravirt",
		.options = "--backend-opt skip_sync=arch " WL_SC_PARAVIRT_HOST
			WL_SC_MIX_ALL,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "skip redundant sync IPIs: false on a paravirt "
			   "flush, which defers preempted vCPUs, so the sync "
			   "stays",
		.twin = "paravirt-khugepaged-no-sync",
		.twin_median_ms = WL_SC_TTF_PARAVIRT_KHUGEPAGED_NO_SYNC,
	},
	{
		.name = "skip-sync-forced-broadcast",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = "--backend-opt skip_sync=force " WL_SC_MIX_COLLAPSE,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "skip with a wrong true on broadcast TLBI: the "
			   "reused table under a walker",
		.synthetic = "the INVLPGB/arm64 case the series excludes",
	},
	{
		/*
		 * The unshare path (the unshare op: huge_pmd_unshare()'s
		 * 2025 order, on a PTE table, docs/kernel-protocol.md 6.3):
		 * the wrong true on broadcast frees the unshared table's
		 * reuse under a walker, as on collapse.
		 */
		.name = "skip-sync-unshare-forced-broadcast",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = "--backend-opt skip_sync=force " WL_SC_MIX_UNSHARE,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "skip with a wrong true on broadcast TLBI, PMD "
			   "unshare: the table reused under a walker",
		.synthetic = "the INVLPGB/arm64 case the series excludes",
	},
	{
		.name = "skip-sync-unshare-ipi",
		.backend = "lockless_walk_helpers-today",
		.arch = "ipi",
		.options = "--backend-opt skip_sync=arch " WL_SC_MIX_UNSHARE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "skip redundant sync IPIs on PMD unshare: the ipi "
			   "flush that follows waits for every walker before "
			   "the table's reuse",
		.twin = "skip-sync-unshare-forced-broadcast",
		.twin_median_ms = WL_SC_TTF_SKIP_SYNC_UNSHARE_FORCED_BROADCAST,
	},
	{
		.name = "skip-sync-lazy-tlb",
		.backend = "lockless_walk_helpers-today",
		.arch = "ipi",
		.options =
			"--backend-opt skip_sync=arch --lazy-tlb --pt-reclaim "
			"off --mix collapse=4,split=3,munmap=1,dontneed=0,"
			"migrate=0,mprotect=0",
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "skip on the ipi arch, collapse flush not waking "
			   "lazy-TLB CPUs: their speculative walk in the "
			   "reused table",
		.synthetic = "the skip without the series' lazy-CPU wake-up "
			     "on the flush",
	},
	{
		.name = "targeted-collapse-store-mb",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "broadcast",
		.options = "--backend-opt publish=store_mb "
			   "--backend-opt sync_barrier=mb " WL_SC_MIX_COLLAPSE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "targeted sync IPIs (Lance Yang, v4, 2026) with "
			   "Peter Zijlstra's smp_mb() on the sync side",
		.twin = "collapse-no-sync",
		.twin_median_ms = WL_SC_TTF_COLLAPSE_NO_SYNC,
	},
	{
		.name = "targeted-collapse-xchg",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "broadcast",
		.options = "--backend-opt publish=xchg "
			   "--backend-opt sync_barrier=mb " WL_SC_MIX_COLLAPSE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "targeted sync IPIs, xchg() publication (Peter "
			   "Zijlstra's suggestion)",
		.twin = "collapse-no-sync",
		.twin_median_ms = WL_SC_TTF_COLLAPSE_NO_SYNC,
	},
	{
		.name = "targeted-batch-fail",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "broadcast",
		.options = WL_SC_BATCH_FAIL
		"--backend-opt fallback=ipi " WL_SC_MIX_RECLAIM,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "targeted sync IPIs in tlb_remove_table_one()'s "
			   "sync-then-free fallback",
		.twin = "batch-fail-free-now",
		.twin_median_ms = WL_SC_TTF_BATCH_FAIL_FREE_NOW,
	},
	{
		.name = "targeted-no-publish",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "broadcast",
		.options = "--backend-opt publish=none " WL_SC_MIX_COLLAPSE,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "targeted sync that sees no walker: the reused "
			   "table under a walker",
		.synthetic = "a tracker that misses every walker (negative "
			     "control)",
	},
	{
		.name = "spf-broadcast-no-rcu",
		.backend = "ipi",
		.arch = "broadcast",
		.options = "--backend-opt assume_flush_ipi=1 " WL_SC_MIX_SPF,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "2021 SPF review: IRQs off holds no table where the "
			   "flush IPIs nobody and tables are not RCU-freed",
	},
	{
		.name = "spf-today",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = WL_SC_MIX_SPF,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.synthetic = "SPF was not merged; its walk on today's protocol "
			     "(IRQs off, RCU table free)",
		.twin = "spf-no-seq-check",
		.twin_median_ms = WL_SC_TTF_SPF_NO_SEQ_CHECK,
	},
	{
		.name = "spf-no-seq-check",
		.backend = "lockless_walk_helpers-today",
		.arch = "broadcast",
		.options = "--bug spf-no-seq-check " WL_SC_MIX_SPF,
		.expect = "reproduced",
		.watch = "orphan_pte",
		.bound_s = 20,
		.history = "SPF without its mmap_seq check: a PTE installed "
			   "after munmap zapped its table",
		.synthetic = "a planted bug: the series always checked "
			     "mmap_seq",
	},
	{
		/* docs/history.md 2.10: patch 6 of the 2021 series. */
		.name = "pte-refcount-no-rcu",
		.backend = "pte_refcount-norcu",
		.arch = "broadcast",
		.options = WL_SC_MIX_RECLAIM,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "2021 series, patch 6: the last pte_put() frees at "
			   "once; GUP-fast's PMD-to-try-get window unprotected "
			   "(Gunthorpe)",
	},
	{
		.name = "pte-refcount-rcu",
		.backend = "pte_refcount-rcu",
		.arch = "broadcast",
		.options = WL_SC_MIX_RECLAIM,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history =
			"2021 series, patch 8: PTE tables freed by RCU after "
			"the last put",
		.twin = "pte-refcount-no-rcu",
		.twin_median_ms = WL_SC_TTF_PTE_REFCOUNT_NO_RCU,
	},
	{
		.name = "targeted-sync-rmb",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "broadcast",
		.options = WL_SC_SB_RMB WL_SC_MIX_UNSHARE,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "targeted sync as posted (v4, 2026): smp_rmb() "
			   "after huge_pmd_unshare()'s plain clear; table "
			   "reused under a walker",
	},
	{
		.name = "targeted-sync-mb",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "broadcast",
		.options = WL_SC_SB_MB WL_SC_MIX_UNSHARE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.short_bound_s = 10, /* 95% power in ctest too (2324 ms twin) */
		.history = "targeted sync with Peter Zijlstra's smp_mb(): the "
			   "store-buffering pair holds",
		.twin = "targeted-sync-rmb",
		.twin_median_ms = WL_SC_TTF_TARGETED_SYNC_RMB,
	},
	{
		.name = "targeted-sync-rmb-unshare-ipi",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "ipi",
		.options = WL_SC_SB_RMB WL_SC_MIX_UNSHARE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "rmb on unshare, native x86: saved by the later "
			   "flush (drains, then IPIs and waits)",
		.twin = "targeted-sync-rmb-unshare-ipi-no-flush-barrier",
		.twin_median_ms = WL_SC_TTF_RMB_UNSHARE_IPI_NO_FLUSH_BARRIER,
	},
	{
		.name = "targeted-sync-rmb-unshare-ipi-no-flush-barrier",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "ipi",
		.options =
			WL_SC_SB_RMB WL_SC_NO_FLUSH_BARRIER WL_SC_MIX_UNSHARE,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "rmb on unshare, native x86, flush without its "
			   "barrier: table reused under a walker",
		.synthetic = "a flush that implies no full barrier "
			     "(counterfactual)",
	},
	{
		.name = "targeted-sync-rmb-collapse",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "broadcast",
		.options = WL_SC_SB_RMB WL_SC_MIX_COLLAPSE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "rmb on collapse, arm64: xchg_relaxed clear, saved "
			   "by the flush's DSB ISH",
		.twin = "targeted-sync-rmb-collapse-no-flush-barrier",
		.twin_median_ms = WL_SC_TTF_RMB_COLLAPSE_NO_FLUSH_BARRIER,
	},
	{
		.name = "targeted-sync-rmb-collapse-no-flush-barrier",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "broadcast",
		.options =
			WL_SC_SB_RMB WL_SC_NO_FLUSH_BARRIER WL_SC_MIX_COLLAPSE,
		.expect = "reproduced",
		.watch = WL_SC_UAF "," WL_SC_PIN,
		/* one seed of 5 ran clean for 10 s (kernel-protocol.md 6.3) */
		.bound_s = 30,
		.history = "rmb on collapse, arm64 clear, flush without its "
			   "barrier: table reused under a walker",
		.synthetic = "a flush that implies no full barrier "
			     "(counterfactual)",
	},
	{
		.name = "targeted-sync-rmb-collapse-xchg",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "paravirt",
		.options =
			WL_SC_SB_RMB WL_SC_NO_FLUSH_BARRIER WL_SC_MIX_COLLAPSE,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "rmb on collapse, x86: saved by the xchg clear "
			   "alone (the flush's barrier taken away)",
		.synthetic = "a flush that implies no full barrier "
			     "(counterfactual)",
		.twin = "targeted-sync-rmb-collapse-no-flush-barrier",
		.twin_median_ms = WL_SC_TTF_RMB_COLLAPSE_NO_FLUSH_BARRIER,
	},
	{
		.name = "targeted-sync-rmb-batch-fail",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "broadcast",
		.options = WL_SC_SB_RMB WL_SC_BATCH_FAIL
		"--backend-opt fallback=ipi " WL_SC_MIX_RECLAIM,
		.expect = "safe",
		.watch = "any",
		.bound_s = 2,
		.history = "rmb in tlb_remove_table_one(): plain pmd_clear(), "
			   "saved by tlb_table_invalidate()'s flush",
		.twin = "targeted-sync-rmb-batch-fail-no-flush-barrier",
		.twin_median_ms = WL_SC_TTF_RMB_BATCH_FAIL_NO_FLUSH_BARRIER,
	},
	{
		.name = "targeted-sync-rmb-batch-fail-no-flush-barrier",
		.backend = "lockless_walk_helpers-targeted",
		.arch = "broadcast",
		.options = WL_SC_SB_RMB WL_SC_NO_FLUSH_BARRIER WL_SC_BATCH_FAIL
		"--backend-opt fallback=ipi " WL_SC_MIX_RECLAIM,
		.expect = "reproduced",
		.watch = WL_SC_UAF,
		.bound_s = 20,
		.history = "rmb in the fallback, flush without its barrier: "
			   "table freed under a walker",
		.synthetic = "a flush that implies no full barrier "
			     "(counterfactual)",
	},
};

#define WL_NR_SCENARIOS (sizeof(wl_scenarios) / sizeof(wl_scenarios[0]))

static inline bool wl_scenario_safe(const struct wl_scenario *s)
{
	return !strcmp(s->expect, "safe");
}

/*
 * The bound in ms: the full one (walklab scenario run), or ctest's short
 * one (short_run, safe scenarios only; a reproduction stops at its first
 * violation, so its bound is the same either way).
 */
static inline uint64_t wl_scenario_bound_ms(const struct wl_scenario *s,
					    bool short_run)
{
	uint64_t full = (uint64_t)s->bound_s * 1000, ms;

	if (!wl_scenario_safe(s))
		return full;
	/* WL_SC_POWER_FACTOR x the median, rounded up, in integers */
	ms = ((uint64_t)s->twin_median_ms * 433 + 99) / 100;
	if (ms > full)
		full = ms;
	if (!short_run)
		return full;
	ms = (uint64_t)(s->short_bound_s ? s->short_bound_s : WL_SC_SHORT_S) *
	     1000;
	return ms < full ? ms : full;
}

/* 1 - 2^(-t/median): the power of a run of t_ms against the twin. */
static inline double wl_scenario_power(const struct wl_scenario *s, double t_ms)
{
	return 1.0 - exp2(-t_ms / (double)s->twin_median_ms);
}

/* "a|b|c": every scenario name, for error messages. */
static inline const char *wl_scenario_names(void)
{
	static char list[2048];

	list[0] = 0;
	for (size_t i = 0; i < WL_NR_SCENARIOS; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? "|" : "", wl_scenarios[i].name);
	return list;
}

#endif /* WALKLAB_SCENARIOS_H */
