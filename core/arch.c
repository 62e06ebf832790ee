// SPDX-License-Identifier: MIT
/*
 * arch.c - the architecture model: how a TLB flush reaches other CPUs.
 *
 * There is no TLB to flush: what matters to the walkers is whether the
 * flush interrupts the other CPUs (and so waits for their IRQ-off
 * sections) and what it costs the flushing CPU.  See arch.h.
 */
#include "arch.h"
#include "ring.h"
#include "mm.h" /* wl_bugs */
#include "sb.h"
#include "smp.h"

#include <errno.h>
#include <string.h>

static struct wl_arch_config arch_cfg = {
	.arch = WL_ARCH_IPI,
	.ipi_flush_ns = 0,
	.broadcast_flush_ns = 500,
	.paravirt_flush_ns = 3000,
};

bool wl_arch_pae;

/* Statistics: relaxed, nothing is ordered by them. */
static _Atomic uint64_t stat_flushes;
static _Atomic uint64_t stat_flush_ipis;
static _Atomic uint64_t stat_flush_ns;
static _Atomic uint64_t stat_remote_flushes;
/* Per target CPU: paravirt flushes left to its next entry, and done there. */

/* The one table of arch names: the names array and the choices string. */
#define WL_ARCH_LIST(X)                                                        \
	X(WL_ARCH_IPI, "ipi")                                                  \
	X(WL_ARCH_BROADCAST, "broadcast")                                      \
	X(WL_ARCH_PARAVIRT, "paravirt")

#define ARCH_NAME(arch, name)	[arch] = name,
#define ARCH_CHOICE(arch, name) "|" name

static const char *const arch_names[WL_NR_ARCH + 1] = {
	WL_ARCH_LIST(ARCH_NAME)[WL_NR_ARCH] = NULL,
};
/* "|ipi|broadcast|..."; wl_arch_choices() skips the first bar. */
static const char arch_choices[] = WL_ARCH_LIST(ARCH_CHOICE);

/*
 * The default costs, spent by the flushing CPU (wl_delay_ns):
 *
 *  ipi: 0. The cost is the real round trip of the emulated IPI to every other
 *  online CPU and its wait, which grows with the CPU count and with
 *  oversubscription as on a real machine (docs/kernel-protocol.md 4.2: informal
 *  figures of 1-3 us per round trip).
 *
 *  broadcast: 500 ns. An assumption, no authoritative figure: arm64's TLBI
 *  ...IS followed by DSB ISH, or x86's INVLPGB followed by TLBSYNC, waits for
 *  every core of the inner-shareable domain to acknowledge; it is commonly put
 *  at hundreds of ns to about 1 us, growing with core count, and is far cheaper
 *  than an IPI round trip (docs/kernel-protocol.md 4.2: with INVLPGB, TLB
 *  invalidation fell from ~40% to ~4% of CPU time).
 *
 *  paravirt: 3000 ns beyond the real IPI round trip to the running
 *  vCPUs.  An assumption, no authoritative figure: KVM's PV flush itself
 *  is a scan of the steal-time bytes and a cmpxchg per preempted vCPU
 *  (cheap), but its IPIs to running vCPUs cost VM exits on both sides
 *  that the emulated IPI does not (on the order of 1 us each); Hyper-V's
 *  and Xen's flushes are a hypercall instead.  A few us in all.
 *
 * All three are parameters (wl_arch_init()); the bench prints them.
 */
void wl_arch_config_default(struct wl_arch_config *cfg, enum wl_arch arch)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->arch = arch;
	cfg->ipi_flush_ns = 0;
	cfg->broadcast_flush_ns = 500;
	cfg->paravirt_flush_ns = 3000;
}

static void wl_arch_lazy_reset(void);

int wl_arch_init(const struct wl_arch_config *cfg)
{
	if ((unsigned int)cfg->arch >= WL_NR_ARCH)
		return -EINVAL;
	/* Before the CPUs run: they read arch_cfg without a lock. */
	arch_cfg = *cfg;
	wl_arch_lazy_reset();
	return 0;
}

const struct wl_arch_config *wl_arch_current(void)
{
	return &arch_cfg;
}

const char *wl_arch_name(enum wl_arch arch)
{
	if ((unsigned int)arch >= WL_NR_ARCH)
		return "?";
	return arch_names[arch];
}

int wl_arch_parse(const char *name, enum wl_arch *arch)
{
	unsigned int i;

	for (i = 0; name && i < WL_NR_ARCH; i++) {
		if (!strcmp(name, arch_names[i])) {
			*arch = (enum wl_arch)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *wl_arch_choices(void)
{
	return arch_choices + 1;
}

const char *const *wl_arch_names(void)
{
	return arch_names;
}

/*
 * Lazy-TLB CPUs.  Written by the CPU itself (enter) and by its flush IPI
 * handler, on that same CPU; read by flushing CPUs to choose targets.
 */
static _Atomic bool cpu_lazy[WL_NR_CPUS];
static _Atomic bool any_lazy; /* a CPU went lazy in this run */
/* The mm each CPU runs (wl_arch_switch_mm()). */
static _Atomic(struct wl_mm *) cpu_mm[WL_NR_CPUS];
/*
 * The paravirt model's per-vCPU steal-time byte, KVM's
 * struct kvm_steal_time.preempted: WL_VCPU_PREEMPTED while the host does
 * not run the vCPU, WL_VCPU_FLUSH_TLB added by a flush that left its work
 * to the vCPU's next entry.  See wl_arch_vcpu_preempt().
 */
#define WL_VCPU_PREEMPTED 1u
#define WL_VCPU_FLUSH_TLB 2u
static _Atomic unsigned int vcpu_state[WL_NR_CPUS];

/* A new run: no CPU is lazy.  Before the CPUs run. */
static void wl_arch_lazy_reset(void)
{
	atomic_store_explicit(&any_lazy, false, memory_order_relaxed);
	for (int cpu = 0; cpu < WL_NR_CPUS; cpu++) {
		atomic_store_explicit(&cpu_lazy[cpu], false,
				      memory_order_relaxed);
		atomic_store_explicit(&cpu_mm[cpu], NULL, memory_order_relaxed);
		atomic_store_explicit(&vcpu_state[cpu], 0,
				      memory_order_relaxed);
	}
}

void wl_arch_lazy_enter(void)
{
	int cpu = smp_processor_id();

	if (cpu < 0)
		return;
	atomic_store_explicit(&any_lazy, true, memory_order_relaxed);
	atomic_store_explicit(&cpu_lazy[cpu], true, memory_order_relaxed);
	/*
	 * Nothing to order: a walk begun after this, with IRQs off, starts
	 * from the live pgd; a flush that misses the flag is one whose unlink
	 * that walk cannot reach.
	 */
}

bool wl_arch_lazy(void)
{
	int cpu = smp_processor_id();

	return cpu >= 0 &&
	       atomic_load_explicit(&cpu_lazy[cpu], memory_order_relaxed);
}

/*
 * Which steps of a flush imply a full barrier (sb.h).  Sources: x86
 * arch/x86/mm/tlb.c flush_tlb_mm_range() calls inc_mm_tlb_gen() first,
 * atomic64_inc_return(), "also a full barrier that synchronizes with
 * switch_mm()" (asm/mmu_context.h), before choosing local, IPI, INVLPGB
 * or paravirt flush_tlb_multi(); arm64 asm/tlbflush.h __flush_tlb_range()
 * is dsb(ishst); TLBI ...IS; dsb(ish), and a DSB stalls every later
 * instruction until the accesses it covers complete.
 */
static const struct wl_flush_step steps_ipi[] = {
	{"inc_mm_tlb_gen()", true,
	 "atomic64_inc_return(): a fully ordered RMW (x86 LOCK XADD)"},
	{"IPI send", true,
	 "llist_add() cmpxchg in smp_call_function_many_cond(); x2APIC "
	 "ICR write after weak_wrmsr_fence() (MFENCE)"},
	{"wait for acks", false, "csd_lock_wait(): acquire loads only"},
	{"local INVLPG / CR3 write", true,
	 "serializing instructions (SDM vol. 3, 9.3)"},
};
static const struct wl_flush_step steps_broadcast[] = {
	{"dsb(ishst)", true,
	 "arm64: earlier stores complete before any later instruction"},
	{"TLBI ...IS", false, "no ordering of ordinary loads and stores"},
	{"dsb(ish)", true, "arm64: a full barrier, and more"},
	{"(x86 INVLPGB: inc_mm_tlb_gen())", true,
	 "as ipi's first step; INVLPGB+TLBSYNC after it"},
};
/*
 * KVM's PV flush (arch/x86/kernel/kvm.c kvm_flush_tlb_multi()): no
 * hypercall.  It reads each target's steal-time "preempted" byte, marks a
 * preempted one with try_cmpxchg() (LOCK CMPXCHG: fully ordered) and
 * IPIs the rest through native_flush_tlb_multi(), as ipi does.  The
 * inc_mm_tlb_gen() before it is the first full barrier either way.
 */
static const struct wl_flush_step steps_paravirt[] = {
	{"inc_mm_tlb_gen()", true, "as ipi's first step"},
	{"try_cmpxchg(preempted, FLUSH_TLB) (preempted vCPUs)", true,
	 "LOCK CMPXCHG: a fully ordered RMW"},
	{"IPI send (running vCPUs)", true, "as ipi's IPI send"},
	{"wait for acks", false, "csd_lock_wait(): acquire loads only"},
};

const struct wl_flush_step *wl_arch_flush_steps(enum wl_arch arch,
						unsigned int *nr)
{
	switch (arch) {
	case WL_ARCH_BROADCAST:
		*nr = WL_ARRAY_SIZE(steps_broadcast);
		return steps_broadcast;
	case WL_ARCH_PARAVIRT:
		*nr = WL_ARRAY_SIZE(steps_paravirt);
		return steps_paravirt;
	default:
		*nr = WL_ARRAY_SIZE(steps_ipi);
		return steps_ipi;
	}
}

void wl_arch_print_barriers(FILE *f, enum wl_arch arch)
{
	unsigned int nr;
	const struct wl_flush_step *st = wl_arch_flush_steps(arch, &nr);

	fprintf(f, "  %-44s %-12s %s\n", "pmdp_huge_get_and_clear()",
		arch == WL_ARCH_BROADCAST ? "-" : "full barrier",
		arch == WL_ARCH_BROADCAST ? "arm64 xchg_relaxed()"
					  : "x86 xchg()");
	for (unsigned int i = 0; i < nr; i++)
		fprintf(f, "  %-44s %-12s %s\n", st[i].step,
			st[i].full_barrier ? "full barrier" : "-", st[i].why);
}

bool wl_arch_clear_is_full_barrier(void)
{
	return arch_cfg.arch != WL_ARCH_BROADCAST;
}

/* The flush IPI's function: in IRQ context, so atomics only. */
static void flush_tlb_func(void *info)
{
	int cpu = smp_processor_id();

	(void)info;
	/* A lazy CPU switches to init_mm: it leaves the mm's tables. */
	if (cpu >= 0)
		atomic_store_explicit(&cpu_lazy[cpu], false,
				      memory_order_relaxed);
	atomic_fetch_add_explicit(&stat_remote_flushes, 1,
				  memory_order_relaxed);
}

/*
 * vCPU preemption, as KVM marks it (arch/x86/kvm/x86.c): kvm_sched_out()
 * sets vcpu->preempted only when the vCPU task is still runnable (an
 * involuntary preemption by the host scheduler), and kvm_arch_vcpu_put()
 * then writes KVM_VCPU_PREEMPTED to the guest's steal-time byte
 * (kvm_steal_time_set_preempted()).  A vCPU that halts (HLT: blocked in
 * kvm_vcpu_block(), not runnable) is not marked: a flush IPIs it, and the
 * IPI wakes it.  So in the model a CPU blocked or idle
 * (wl_cpu_block_begin(), a crange CPU waiting, a bystander) is not
 * preempted; only an injected host preemption is (torture
 * --vcpu-preempt, wl_inject_slow()), and it may come anywhere, in the
 * middle of an IRQ-off walk section too: the section then protects
 * nothing from a PV flush, which is why x86 selected RCU table freeing
 * under PARAVIRT (KERNEL.md, docs/history.md 2.3).
 *
 * Entry: record_steal_time() on the next VM entry does
 * xchg(&st->preempted, 0) and flushes the vCPU's TLB if FLUSH_TLB was
 * set: wl_arch_vcpu_resume().  A VM exit and entry are serializing: the
 * vCPU's simulated store buffer drains at the exit (the caller is the
 * vCPU itself, wl_arch_vcpu_preempt() drains it).
 */
void wl_arch_vcpu_preempt(int cpu)
{
	if (cpu < 0 || cpu >= WL_NR_CPUS)
		return;
	if (cpu == smp_processor_id())
		wl_sb_barrier(WL_SB_DRAIN_SCHED); /* the VM exit */
	/*
	 * Relaxed: the host's plain write.  A flush that misses it IPIs the
	 * vCPU, whose IPI then waits for its entry (the host runs it): the
	 * same outcome, later; nothing is ordered by the byte itself.
	 */
	atomic_store_explicit(&vcpu_state[cpu], WL_VCPU_PREEMPTED,
			      memory_order_relaxed);
}

bool wl_arch_vcpu_resume(int cpu)
{
	unsigned int old;

	if (cpu < 0 || cpu >= WL_NR_CPUS)
		return false;
	/*
	 * acq_rel, record_steal_time()'s xchg(): acquire pairs with the
	 * flusher's cmpxchg (flush_defer()) so that this entry's flush
	 * comes after whatever that flusher did before it; release: nothing
	 * of ours is ordered by it, but a fully ordered RMW is what x86's
	 * XCHG is.
	 */
	old = atomic_exchange_explicit(&vcpu_state[cpu], 0,
				       memory_order_acq_rel);
	if (!(old & WL_VCPU_FLUSH_TLB))
		return false;
	/*
	 * The host flushes the vCPU's TLB (kvm_vcpu_flush_tlb_guest()); the
	 * guest runs no flush_tlb_func(), so a lazy CPU stays lazy.
	 */
	wl_cpu_count_on(cpu, WL_EV_PV_ENTRY, 1);
	return true;
}

bool wl_arch_vcpu_preempted(int cpu)
{
	return cpu >= 0 && cpu < WL_NR_CPUS &&
	       (atomic_load_explicit(&vcpu_state[cpu], memory_order_relaxed) &
		WL_VCPU_PREEMPTED);
}

/*
 * The mm each CPU runs, as switch_mm_irqs_off() records it: NULL for the
 * run's mms (every CPU that never switched, the walkers and writers, which
 * use all of them), else the other mm a CPU switched to
 * (wl_arch_switch_mm(): a bystander).  Written by the CPU itself, read by
 * flushing CPUs (relaxed, see wl_arch_switch_mm()).
 */

void wl_arch_switch_mm(struct wl_mm *mm)
{
	int cpu = smp_processor_id();

	if (cpu < 0)
		return;
	/*
	 * Relaxed, nothing to order: a CPU switches only to an mm whose
	 * tables no flushing writer of the run's mms unlinks, and back (NULL)
	 * only when it walks nothing more before going down; a flush that
	 * reads a stale value either IPIs a CPU it could skip (harmless) or
	 * skips one that walks none of its tables.
	 */
	atomic_store_explicit(&cpu_mm[cpu], mm, memory_order_relaxed);
}

/*
 * mm_cpumask(mm): the CPUs that may hold the mm's translations or walk its
 * tables.  In the kernel, switch_mm_irqs_off() sets the CPU's bit in
 * next's mask before it loads CR3, and a CPU that never ran the mm is not
 * in it; flush_tlb_mm_range() hands mm_cpumask(mm) to
 * native_flush_tlb_multi(), so CPUs that run another mm take no flush IPI
 * for this one.  (x86 clears a CPU's bit when it switches to another mm;
 * a lazy-TLB CPU, running a kernel thread on the borrowed mm, stays in
 * it: see cpu_lazy.)  The model's CPUs are in every run mm's mask unless
 * they switched to another mm: a superset, never less safe.
 */
static bool in_mm_cpumask(int cpu, struct wl_mm *mm)
{
	struct wl_mm *m =
		atomic_load_explicit(&cpu_mm[cpu], memory_order_relaxed);

	return !m || m == mm;
}

/*
 * The flush's targets: the CPUs of mm_cpumask(mm), without the lazy ones
 * when skip_lazy.  Every CPU id, online or not: smp_call_function_many()
 * chooses the online ones under its hotplug lock.
 */
static void flush_targets(struct wl_mm *mm, bool skip_lazy,
			  struct wl_cpumask *mask)
{
	memset(mask, 0, sizeof(*mask));
	for (int cpu = 0; cpu < WL_NR_CPUS; cpu++) {
		if (!in_mm_cpumask(cpu, mm))
			continue;
		if (skip_lazy &&
		    atomic_load_explicit(&cpu_lazy[cpu], memory_order_relaxed))
			continue;
		wl_cpumask_set(mask, cpu);
	}
}

/*
 * native_flush_tlb_multi(): every CPU in the mm's mask when tables were
 * freed (lazy ones included: they may walk them speculatively), else only
 * the CPUs not in lazy mode (should_flush_tlb()).  Returns the IPIs sent,
 * and in *all whether every CPU that may walk the mm was IPI'd and waited
 * for.  --bug lazy-tlb-no-ipi: the lazy CPUs are skipped even for freed
 * tables, and the flush still claims to have reached every walker.
 */
static unsigned int native_flush_tlb_multi(struct wl_cpumask *mask,
					   struct wl_mm *mm, bool freed_tables,
					   bool *all)
{
	bool skip_lazy = !(freed_tables && !wl_bugs.lazy_tlb_no_ipi) &&
			 atomic_load_explicit(&any_lazy, memory_order_relaxed);
	struct wl_cpumask targets;
	int cpu;

	*all = !skip_lazy || wl_bugs.lazy_tlb_no_ipi;
	flush_targets(mm, skip_lazy, &targets);
	wl_for_each_cpu(cpu, &targets)
	{
		if (!wl_cpumask_test(mask, cpu))
			wl_cpumask_clear(&targets, cpu);
	}
	return smp_call_function_many(&targets, flush_tlb_func, NULL, true);
}

/*
 * kvm_flush_tlb_multi(): each other vCPU whose steal-time byte says
 * preempted gets FLUSH_TLB added by a try_cmpxchg() and is dropped from
 * the mask (the host flushes it at its next entry, wl_arch_vcpu_resume());
 * a vCPU that resumed in between makes the cmpxchg fail and is IPI'd.
 * Returns the number deferred; mask keeps the CPUs to IPI.
 */
static unsigned int flush_defer(struct wl_mm *mm, struct wl_cpumask *mask)
{
	unsigned int n = 0, state;
	int self = smp_processor_id();

	wl_cpumask_fill(mask);
	for (int cpu = 0; cpu < WL_NR_CPUS; cpu++) {
		/* The flush's mask: mm_cpumask(mm), lazy CPUs included. */
		if (cpu == self || !in_mm_cpumask(cpu, mm))
			continue; /* self: never preempted, it runs this */
		state = atomic_load_explicit(&vcpu_state[cpu],
					     memory_order_relaxed);
		if (!(state & WL_VCPU_PREEMPTED))
			continue;
		/*
		 * acq_rel, a LOCK CMPXCHG: release orders everything this
		 * flusher did before (the unlink) before the mark; pairs
		 * with the acquire xchg at the vCPU's entry
		 * (wl_arch_vcpu_resume()).
		 */
		if (!atomic_compare_exchange_strong_explicit(
			    &vcpu_state[cpu], &state, state | WL_VCPU_FLUSH_TLB,
			    memory_order_acq_rel, memory_order_relaxed))
			continue;
		wl_cpumask_clear(mask, cpu);
		wl_cpu_count_on(cpu, WL_EV_PV_DEFERRED, 1);
		n++;
	}
	return n;
}

bool flush_tlb_mm_range(struct wl_mm *mm, uint64_t start, uint64_t end,
			bool freed_tables)
{
	uint64_t t0 = wl_now_ns();
	enum wl_ipi_kind kind;
	struct wl_cpumask mask;
	unsigned int ipis;
	bool ipi = false, all;

	(void)start;
	(void)end;
	/*
	 * Every model's first step is a full barrier (wl_arch_flush_steps()):
	 * it drains this CPU's simulated store buffer.
	 */
	if (likely(!wl_bugs.flush_no_barrier))
		wl_sb_barrier(WL_SB_DRAIN_FLUSH);
	else
		wl_sb_held = true; /* the counterfactual: no step drains */
	switch (arch_cfg.arch) {
	case WL_ARCH_IPI:
		/* Waits for its targets, IRQ-off walkers included. */
		wl_cpumask_fill(&mask);
		kind = wl_ipi_kind_set(WL_IPI_FLUSH);
		ipis = native_flush_tlb_multi(&mask, mm, freed_tables, &ipi);
		wl_ipi_kind_set(kind);
		wl_delay_ns(arch_cfg.ipi_flush_ns);
		atomic_fetch_add_explicit(&stat_flush_ipis, ipis,
					  memory_order_relaxed);
		break;
	case WL_ARCH_BROADCAST:
		wl_delay_ns(arch_cfg.broadcast_flush_ns);
		break;
	case WL_ARCH_PARAVIRT:
		/*
		 * KVM's PV flush: the running targets are IPI'd and waited
		 * for (their IRQ-off sections too), the preempted ones are
		 * left to their entry.  It may have reached every walker,
		 * but nothing says so: tlb_table_flush_implies_ipi is false
		 * here (ipi stays false).
		 */
		flush_defer(mm, &mask);
		kind = wl_ipi_kind_set(WL_IPI_FLUSH);
		ipis = native_flush_tlb_multi(&mask, mm, freed_tables, &all);
		(void)all;
		wl_ipi_kind_set(kind);
		wl_delay_ns(arch_cfg.paravirt_flush_ns);
		atomic_fetch_add_explicit(&stat_flush_ipis, ipis,
					  memory_order_relaxed);
		break;
	default:
		break;
	}
	wl_sb_held = false;
	atomic_fetch_add_explicit(&stat_flushes, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&stat_flush_ns, wl_now_ns() - t0,
				  memory_order_relaxed);
	wl_trace(WL_TEV_FLUSH, start, WL_TABLE_NONE, end);
	return ipi;
}

void wl_arch_stats(struct wl_arch_stats *st)
{
	st->flushes = atomic_load_explicit(&stat_flushes, memory_order_relaxed);
	st->flush_ipis =
		atomic_load_explicit(&stat_flush_ipis, memory_order_relaxed);
	st->flush_ns =
		atomic_load_explicit(&stat_flush_ns, memory_order_relaxed);
	st->remote_flushes = atomic_load_explicit(&stat_remote_flushes,
						  memory_order_relaxed);
	st->pv_deferred = wl_cpu_event_total(WL_EV_PV_DEFERRED);
	st->pv_entry_flushes = wl_cpu_event_total(WL_EV_PV_ENTRY);
}

void wl_arch_stats_reset(void)
{
	atomic_store_explicit(&stat_flushes, 0, memory_order_relaxed);
	atomic_store_explicit(&stat_flush_ipis, 0, memory_order_relaxed);
	atomic_store_explicit(&stat_flush_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&stat_remote_flushes, 0, memory_order_relaxed);
	wl_cpu_events_reset(WL_CPU_EVENT_BIT(WL_EV_PV_DEFERRED) |
			    WL_CPU_EVENT_BIT(WL_EV_PV_ENTRY));
}
