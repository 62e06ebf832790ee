/* SPDX-License-Identifier: MIT */
/*
 * fault.h - three ways to handle a page fault that finds no PTE, for the
 * torture and the fault-throughput workload:
 *
 *  mmap_lock  the classic fault: mmap_read_lock(), find the VMA, fault;
 *  spf        Michel Lespinasse's 2021 speculative page fault (SPF): no
 *             mmap_lock; the mm's mmap_seq validates a VMA copy and the
 *             walk, which runs inside lockless_page_walk_begin()/end(),
 *             the second client of the backend interface (Andy
 *             Lutomirski's point in the same thread); on any change it
 *             aborts to the mmap_lock path;
 *  vma_lock   today's per-VMA locks (lock_vma_under_rcu(), v6.4): a VMA
 *             read lock taken under RCU with a sequence check, the fault
 *             under it; a write-locked VMA falls back to mmap_lock.
 *
 * fault.c is compiled into each backend's object library, as gup.c is, so
 * that the SPF walk inlines the backend's read side.  The protocol and its
 * departures: docs/kernel-protocol.md 7.
 */
#ifndef WALKLAB_FAULT_H
#define WALKLAB_FAULT_H

#include "mm.h"

enum wl_fault_path {
	WL_FAULT_MMAP_LOCK,
	WL_FAULT_SPF,
	WL_FAULT_VMA_LOCK,
	WL_NR_FAULT_PATHS,
};
/* "mmap_lock", "spf", "vma_lock", NULL-terminated. */
extern const char *const wl_fault_path_names[WL_NR_FAULT_PATHS + 1];

/* Why a speculative attempt went to the mmap_lock path. */
enum wl_fault_abort {
	WL_ABORT_SEQ, /* mmap_seq odd or moved */
	WL_ABORT_VMA, /* no VMA, a VMA SPF does not handle, or VMA locked */
	WL_ABORT_PMD, /* no PTE table, the PMD changed, a PTE SPF can't fix */
	WL_ABORT_PTL, /* the PTE lock was busy (trylock with IRQs off) */
	WL_NR_FAULT_ABORTS,
};
/* "seq", "vma", "pmd", "ptl", NULL-terminated. */
extern const char *const wl_fault_abort_names[WL_NR_FAULT_ABORTS + 1];

/* One thread's counts (plain: each thread owns its own). */
struct wl_fault_stats {
	uint64_t faults;      /* wl_fault() calls that succeeded */
	uint64_t speculative; /* of them, done without mmap_lock */
	uint64_t present;     /* of them, a PTE was already there */
	uint64_t attempts;    /* speculative attempts (spf, vma_lock) */
	uint64_t aborts;      /* of attempts, sent to mmap_lock */
	uint64_t abort[WL_NR_FAULT_ABORTS];
};

/*
 * Fault in the page at addr (write or read) by path.  Returns 0, or
 * -EFAULT (no VMA allows it) or -ENOMEM.  Takes and drops every lock it
 * needs; call with none held and IRQs enabled.
 */
int wl_fault(struct wl_mm *mm, uint64_t addr, bool write,
	     enum wl_fault_path path, struct wl_fault_stats *st);

/*
 * The speculative attempt alone: 0 when the PTE is in place (installed or
 * found), -EAGAIN when it aborted (st->abort[] says why).
 */
int wl_spf_fault(struct wl_mm *mm, uint64_t addr, bool write,
		 struct wl_fault_stats *st);

/* Sum b into a. */
void wl_fault_stats_add(struct wl_fault_stats *a,
			const struct wl_fault_stats *b);

/*
 * Per-VMA locks (core/vma_lock.c).  vma_start_write(): mark slot i
 * write-locked for this mmap_lock write cycle and wait for its readers;
 * under mmap_lock for write.  vma_start_read(): the VMA covering addr,
 * read-locked, copied into *vma, or -1; vma_end_read(slot).
 */
void wl_vma_start_write(struct wl_mm *mm, unsigned int slot);
int wl_vma_start_read(struct wl_mm *mm, uint64_t addr, struct wl_vma *vma);
void wl_vma_end_read(struct wl_mm *mm, int slot);

/*
 * The VMA covering addr, copied without mmap_lock (the SPF series' RCU
 * lookup): a seqcount reader of mmap_seq; false if none or if seq moved.
 */
bool wl_vma_lookup_speculative(struct wl_mm *mm, uint64_t addr,
			       unsigned int seq, struct wl_vma *vma);

#endif /* WALKLAB_FAULT_H */
