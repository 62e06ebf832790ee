// SPDX-License-Identifier: MIT
/*
 * arch.c - the architecture model: how a TLB flush reaches other CPUs.
 *
 * There is no TLB to flush: what matters to the walkers is whether the
 * flush interrupts the other CPUs (and so waits for their IRQ-off
 * sections) and what it costs the flushing CPU.  See arch.h.
 */
#include "arch.h"
#include "smp.h"

#include <errno.h>
#include <string.h>

static struct wl_arch_config arch_cfg = {
	.arch = WL_ARCH_IPI,
	.ipi_flush_ns = 0,
	.broadcast_flush_ns = 500,
	.paravirt_flush_ns = 3000,
};

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

int wl_arch_init(const struct wl_arch_config *cfg)
{
	if ((unsigned int)cfg->arch >= WL_NR_ARCH)
		return -EINVAL;
	/* Before the CPUs run: they read arch_cfg without a lock. */
	arch_cfg = *cfg;
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

/* The flush IPI's function: in IRQ context, so atomics only. */
static void flush_tlb_func(void *info)
{
	(void)info;
	atomic_fetch_add_explicit(&stat_remote_flushes, 1,
				  memory_order_relaxed);
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
	/*
	 * The model's mm_cpumask is every online CPU, lazy or not, so
	 * freed_tables changes nothing here (arch.h: the departure).
	 */
	(void)freed_tables;
	switch (arch_cfg.arch) {
	case WL_ARCH_IPI:
		/* Waits for every other CPU, IRQ-off walkers included. */
		kind = wl_ipi_kind_set(WL_IPI_FLUSH);
		ipis = smp_call_function(flush_tlb_func, NULL, true);
		wl_ipi_kind_set(kind);
		wl_delay_ns(arch_cfg.ipi_flush_ns);
		atomic_fetch_add_explicit(&stat_flush_ipis, ipis,
					  memory_order_relaxed);
		ipi = true;
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
