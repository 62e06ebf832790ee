// SPDX-License-Identifier: MIT
/*
 * arch.c - the architecture model: how a TLB flush reaches other CPUs.
 *
 * There is no TLB to flush: what matters to the walkers is whether the
 * flush interrupts the other CPUs (and so waits for their IRQ-off
 * sections) and what it costs the flushing CPU.  See arch.h.
 */
#include "arch.h"
#include "mm.h" /* wl_bugs */
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
 *  paravirt: 3000 ns.  An assumption, no authoritative figure: a
 *  hypercall (a VM exit and entry, on the order of 1 us on current
 *  hardware) plus the hypervisor's flush of the other vCPUs, which for
 *  running vCPUs is itself a host IPI or broadcast: a few us in all.
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
/*
 * CPUs running another mm (bystanders): not in this mm's cpumask, as on
 * x86 where should_flush_tlb() skips a CPU whose loaded_mm is another.
 * Written by the CPU itself before the run's writers start.
 */
static _Atomic bool cpu_other_mm[WL_NR_CPUS];
static _Atomic bool any_other_mm;

/* A new run: no CPU is lazy or elsewhere.  Before the CPUs run. */
static void wl_arch_lazy_reset(void)
{
	atomic_store_explicit(&any_lazy, false, memory_order_relaxed);
	atomic_store_explicit(&any_other_mm, false, memory_order_relaxed);
	for (int cpu = 0; cpu < WL_NR_CPUS; cpu++) {
		atomic_store_explicit(&cpu_lazy[cpu], false,
				      memory_order_relaxed);
		atomic_store_explicit(&cpu_other_mm[cpu], false,
				      memory_order_relaxed);
	}
}

/*
 * Relaxed: the caller starts the writers only after every bystander has
 * said so (the workload's start handshake orders it); a CPU never walks
 * the simulated mm while marked.
 */
void wl_arch_switch_mm(struct wl_mm *mm)
{
	int cpu = smp_processor_id();
	bool other = mm != NULL;

	if (cpu < 0)
		return;
	if (other)
		atomic_store_explicit(&any_other_mm, true,
				      memory_order_relaxed);
	atomic_store_explicit(&cpu_other_mm[cpu], other, memory_order_relaxed);
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
 * native_flush_tlb_multi(): every CPU in the mask when tables were freed
 * (lazy ones included: they may walk them speculatively), else only the
 * CPUs not in lazy mode (should_flush_tlb()).  Returns the IPIs sent, and
 * in *all whether every CPU that may walk the mm was IPI'd and waited for.
 * --bug lazy-tlb-no-ipi: the lazy CPUs are skipped even for freed tables,
 * and the flush still claims to have reached every walker.
 */
static unsigned int native_flush_tlb_multi(bool freed_tables, bool *all)
{
	bool skip_lazy = !(freed_tables && !wl_bugs.lazy_tlb_no_ipi) &&
			 atomic_load_explicit(&any_lazy, memory_order_relaxed);
	struct wl_cpumask mask;
	int cpu;

	*all = true;
	if (!skip_lazy &&
	    !atomic_load_explicit(&any_other_mm, memory_order_relaxed))
		return smp_call_function(flush_tlb_func, NULL, true);
	if (skip_lazy)
		*all = wl_bugs.lazy_tlb_no_ipi;
	wl_cpu_online_mask(&mask);
	for (cpu = 0; cpu < WL_NR_CPUS; cpu++)
		if (atomic_load_explicit(&cpu_other_mm[cpu],
					 memory_order_relaxed) ||
		    (skip_lazy && atomic_load_explicit(&cpu_lazy[cpu],
						       memory_order_relaxed)))
			wl_cpumask_clear(&mask, cpu);
	return smp_call_function_many(&mask, flush_tlb_func, NULL, true);
}

bool flush_tlb_mm_range(struct wl_mm *mm, uint64_t start, uint64_t end,
			bool freed_tables)
{
	uint64_t t0 = wl_now_ns();
	enum wl_ipi_kind kind;
	unsigned int ipis;
	bool ipi = false;

	(void)mm;
	(void)start;
	(void)end;
	switch (arch_cfg.arch) {
	case WL_ARCH_IPI:
		/* Waits for its targets, IRQ-off walkers included. */
		kind = wl_ipi_kind_set(WL_IPI_FLUSH);
		ipis = native_flush_tlb_multi(freed_tables, &ipi);
		wl_ipi_kind_set(kind);
		wl_delay_ns(arch_cfg.ipi_flush_ns);
		atomic_fetch_add_explicit(&stat_flush_ipis, ipis,
					  memory_order_relaxed);
		break;
	case WL_ARCH_BROADCAST:
		wl_delay_ns(arch_cfg.broadcast_flush_ns);
		break;
	case WL_ARCH_PARAVIRT:
		wl_delay_ns(arch_cfg.paravirt_flush_ns);
		break;
	default:
		break;
	}
	atomic_fetch_add_explicit(&stat_flushes, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&stat_flush_ns, wl_now_ns() - t0,
				  memory_order_relaxed);
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
}

void wl_arch_stats_reset(void)
{
	atomic_store_explicit(&stat_flushes, 0, memory_order_relaxed);
	atomic_store_explicit(&stat_flush_ipis, 0, memory_order_relaxed);
	atomic_store_explicit(&stat_flush_ns, 0, memory_order_relaxed);
	atomic_store_explicit(&stat_remote_flushes, 0, memory_order_relaxed);
}
