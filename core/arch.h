/* SPDX-License-Identifier: MIT */
/*
 * arch.h - the architecture model: how a TLB flush reaches other CPUs.
 *
 * This decides whether IRQ-off walkers are protected "for free" (see
 * docs/kernel-protocol.md 2.2 and 2.3):
 *
 *  WL_ARCH_IPI        x86 on bare metal before v6.15: a flush that freed
 *                     page tables IPIs every CPU that may cache the mm (lazy
 *                     ones included) and waits, so it also waits for every
 *                     IRQ-off walker.
 *  WL_ARCH_BROADCAST  arm64 TLBI, or x86 with INVLPGB: the hardware
 *                     broadcasts the invalidation; no IPI, so masking IRQs
 *                     blocks nothing.
 *  WL_ARCH_PARAVIRT   KVM's PV flush (kvm_flush_tlb_multi()): the vCPUs
 *                     the host is running are IPI'd and waited for, as on
 *                     ipi; the preempted ones are not interrupted, their
 *                     flush is left to their next entry.  A walker whose
 *                     vCPU is preempted inside its IRQ-off section is not
 *                     waited for, so the flush never counts as having
 *                     reached every walker (wl_arch_vcpu_preempt()).
 *
 * The run's mms are used by every simulated CPU, so their "mm_cpumask" is
 * the set of online CPUs, but for CPUs that switched to another mm
 * (wl_arch_switch_mm(): bystanders), which a flush of the run's mms does
 * not IPI, as x86 IPIs only mm_cpumask(mm) (docs/kernel-protocol.md 2.3).
 * Lazy-TLB CPUs (x86, KERNEL.md 2.2): a CPU that ran the mm's task and
 * switched to a kernel thread keeps the mm loaded, and may still walk its
 * tables speculatively (paging-structure caches).  On the ipi arch a
 * flush IPIs it only when page tables were freed (native_flush_tlb_multi():
 * freed_tables); its handler switches it to init_mm, after which it walks
 * the mm no more.  Only the torture's --lazy-tlb walkers are ever lazy.
 */
#ifndef WALKLAB_ARCH_H
#define WALKLAB_ARCH_H

#include "compiler.h"

#include <stdio.h>

enum wl_arch {
	WL_ARCH_IPI,
	WL_ARCH_BROADCAST,
	WL_ARCH_PARAVIRT,
	WL_NR_ARCH,
};

struct wl_arch_config {
	enum wl_arch arch;
	/* Extra per-flush cost spent by the flushing CPU, in ns. */
	uint64_t ipi_flush_ns;	     /* beyond the real IPI round trip: 0 */
	uint64_t broadcast_flush_ns; /* TLBI/INVLPGB + sync */
	uint64_t paravirt_flush_ns;  /* the steal-time scan, beyond the IPIs */
};

void wl_arch_config_default(struct wl_arch_config *cfg, enum wl_arch arch);
int wl_arch_init(const struct wl_arch_config *cfg);
const struct wl_arch_config *wl_arch_current(void);
const char *wl_arch_name(enum wl_arch arch);
/* Returns 0 and sets *arch, or -EINVAL for an unknown name. */
int wl_arch_parse(const char *name, enum wl_arch *arch);
/* "ipi|broadcast|paravirt", for error messages. */
const char *wl_arch_choices(void);
/*
 * The names indexed by enum wl_arch, NULL-terminated (a choices table for
 * wl_parse_choice(), whose index is then the arch).
 */
const char *const *wl_arch_names(void);

/*
 * flush_tlb_mm_range() - invalidate [start, end) of the mm on every CPU.
 * freed_tables says page-table pages were unlinked (x86 then IPIs lazy
 * CPUs too).  Returns true when the flush IPI'd, and waited for, every CPU
 * that could be walking the mm (only WL_ARCH_IPI): the caller may then
 * treat IRQ-off walkers as synchronized with (tlb_table_flush_implies_ipi).
 */
struct wl_mm;
bool flush_tlb_mm_range(struct wl_mm *mm, uint64_t start, uint64_t end,
			bool freed_tables);

/*
 * Memory order (core/sb.h, torture --inject-sb): the steps of each arch
 * model's flush_tlb_mm_range(), in order, and whether each implies a full
 * barrier (and so drains the simulated store buffer).  The model's flush
 * drains at its first such step; docs/kernel-protocol.md 6.3 has the
 * table.
 */
struct wl_flush_step {
	const char *step;  /* the kernel's step */
	bool full_barrier; /* orders earlier stores before later loads */
	const char *why;   /* the kernel/ISA fact */
};
/* The steps of arch's flush; *nr gets their number. */
const struct wl_flush_step *wl_arch_flush_steps(enum wl_arch arch,
						unsigned int *nr);
/* Prints arch's clear and flush steps with their marks, one a line. */
void wl_arch_print_barriers(FILE *f, enum wl_arch arch);
/*
 * Is the current arch model's pmdp_huge_get_and_clear() a fully ordered
 * RMW?  ipi and paravirt model x86 (xchg: yes); broadcast models arm64
 * (xchg_relaxed: no).  x86 with INVLPGB, also broadcast, has x86's xchg;
 * the model takes the weaker, arm64, where the question has teeth.
 */
bool wl_arch_clear_is_full_barrier(void);

/*
 * 32-bit PAE (KERNEL.md 4.9, 7.5): a PMD is read as two 32-bit halves,
 * pmdp_get_lockless()'s low/high/low retry (CONFIG_GUP_GET_PXX_LOW_HIGH).
 * Set before a run (torture --pae); read by walkers and writers.
 */
extern bool wl_arch_pae;

/*
 * This CPU becomes lazy on the mm (switch_mm to a kernel thread, mm kept
 * loaded); wl_arch_lazy(): is it still (no flush IPI has made it leave)?
 */
void wl_arch_lazy_enter(void);
bool wl_arch_lazy(void);

/*
 * switch_mm(): this CPU now runs mm, another mm than the ones its flushing
 * writers work on (NULL: back to them).  It leaves their mm_cpumask, so
 * their flushes no longer IPI it; it must then walk none of their tables.
 */
void wl_arch_switch_mm(struct wl_mm *mm);

/*
 * Paravirt (KVM PV flush): the host preempts CPU cpu's vCPU, or runs it
 * again.  A flush leaves a preempted vCPU's flush to its resume, which
 * returns true when it did one.  Any thread may call them for any CPU
 * (the host does); the vCPU calling wl_arch_vcpu_preempt() on itself
 * drains its store buffer (a VM exit).  Not blocking nor idling: a
 * halted vCPU is not preempted (arch.c).
 */
void wl_arch_vcpu_preempt(int cpu);
bool wl_arch_vcpu_resume(int cpu);
bool wl_arch_vcpu_preempted(int cpu);

struct wl_arch_stats {
	uint64_t flushes;
	uint64_t flush_ipis;	 /* IPIs sent by flushes */
	uint64_t flush_ns;	 /* total time in flush_tlb_mm_range */
	uint64_t remote_flushes; /* flush IPIs run by their targets */
	/* paravirt: per target, a flush left to a preempted vCPU */
	uint64_t pv_deferred;
	uint64_t pv_entry_flushes; /* deferred flushes done at entry */
};
void wl_arch_stats(struct wl_arch_stats *st);
/*
 * Per CPU, the paravirt counts are events in its row of wl_cpu_counts():
 * WL_EV_PV_DEFERRED (each flush that skipped it while preempted) and
 * WL_EV_PV_ENTRY (the entry flushes it did); its flush IPIs are there
 * too (received_kind[WL_IPI_FLUSH]).  wl_arch_stats_reset() zeroes them.
 */
void wl_arch_stats_reset(void);

#endif /* WALKLAB_ARCH_H */
