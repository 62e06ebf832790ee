/* SPDX-License-Identifier: MIT */
/*
 * mm.h - a simulated address space and the writers that race with GUP-fast.
 *
 * Each writer follows the kernel's order (docs/kernel-protocol.md 2):
 *   clear the entry -> flush the TLB through the arch model -> check or
 *   freeze references -> free pages -> hand unlinked tables to the backend.
 * Table freeing and walker sync go through wl_backend, never around it.
 */
#ifndef WALKLAB_MM_H
#define WALKLAB_MM_H

#include "compiler.h"
#include "page.h"
#include "pgtable.h"

#include <pthread.h>

/* vma flags */
#define VM_READ	    (1u << 0)
#define VM_WRITE    (1u << 1)
#define VM_HUGEPAGE (1u << 2) /* THP: fault 2 MiB folios where aligned */
#define VM_HUGE_PUD (1u << 3) /* 1 GiB leaves (hugetlb-like) */
#define VM_PFNMAP   (1u << 4) /* special entries, no struct page */
#define VM_MOVABLE  (1u << 5) /* frames from ZONE_MOVABLE */

#define WL_MAX_VMAS 64

struct wl_vma {
	uint64_t start, end;
	unsigned int flags;
};

/*
 * A per-VMA lock (core/fault.c), by VMA slot: vma_start_read() under RCU
 * takes readers unless seq equals the mm's odd mmap_seq (the VMA is
 * write-locked in this mmap_lock write cycle).
 */
struct wl_vma_lock {
	_Atomic int readers;
	_Atomic unsigned int seq;
};

/* The mmap_lock: a reader-writer semaphore that prefers writers. */
struct wl_rwsem {
	pthread_rwlock_t rw;
};

struct wl_mm {
	uint32_t pgd; /* the top-level table, never freed while mm lives */
	struct wl_rwsem mmap_lock;
	/* Under mmap_lock. */
	struct wl_vma vmas[WL_MAX_VMAS];
	unsigned int nr_vmas;
	/* Per-mm scratch for the backend (a reader count, say). */
	__wl_cacheline_aligned _Atomic long backend_scratch[8];
	/* Writer statistics. */
	__wl_cacheline_aligned _Atomic uint64_t nr_faults, nr_zaps, nr_unmaps,
		nr_pt_reclaims, nr_splits, nr_collapses, nr_collapse_fail,
		nr_migrations, nr_migrate_fail, nr_mprotects;
	/*
	 * fork()'s seqcount (core/fork.c): odd while fork write-protects the
	 * parent's PTEs; GUP-fast FOLL_PIN gives up when it was odd or moved.
	 */
	__wl_cacheline_aligned _Atomic unsigned int write_protect_seq;
	_Atomic uint64_t nr_forks, nr_fork_copies, nr_numa_migrations,
		nr_numa_fail;
	/*
	 * The SPF series' mmap_seq (core/fault.c): odd while mmap_lock is
	 * held for write; speculative faults and per-VMA locks read it.
	 */
	__wl_cacheline_aligned _Atomic unsigned int mmap_seq;
	struct wl_vma_lock vma_lock[WL_MAX_VMAS];
	/*
	 * What lookups without mmap_lock read (the kernel's RCU-visible VMA
	 * tree): vmas[] as of the last mmap_write_unlock(), stored atomically
	 * there; {start, end, flags} per slot.
	 */
	_Atomic uint64_t vma_snap[WL_MAX_VMAS][3];
	_Atomic unsigned int nr_vmas_snap;
};

int wl_mm_init(struct wl_mm *mm);
/* Unmaps everything (tables freed through the backend), frees the pgd. */
void wl_mm_destroy(struct wl_mm *mm);

void mmap_read_lock(struct wl_mm *mm);
void mmap_read_unlock(struct wl_mm *mm);
void mmap_write_lock(struct wl_mm *mm);
void mmap_write_unlock(struct wl_mm *mm);

/* Page-table locks (split ptlocks: one per table page). */
void wl_ptl_lock(uint32_t table);
void wl_ptl_unlock(uint32_t table);
/* Take it only if free, without waiting: true if taken. */
bool wl_ptl_trylock(uint32_t table);

/* Takes mmap_lock for write.  addr and len page-aligned; returns -errno. */
int wl_mmap(struct wl_mm *mm, uint64_t addr, uint64_t len,
	    unsigned int vm_flags);
int wl_munmap(struct wl_mm *mm, uint64_t addr, uint64_t len);
/* Caller holds mmap_lock (either mode). */
struct wl_vma *wl_find_vma(struct wl_mm *mm, uint64_t addr);

/* Writers.  Each takes the locks it needs; each returns 0 or -errno. */
int wl_populate(struct wl_mm *mm, uint64_t addr, uint64_t len);
int wl_madvise_dontneed(struct wl_mm *mm, uint64_t addr, uint64_t len,
			bool reclaim_pt);
/*
 * MADV_DONTNEED under the VMA's read lock (core/fault.h), as madvise()
 * does since per-VMA locks reached it: no mmap_lock, no table reclaim.
 */
void wl_zap_vma_locked(struct wl_mm *mm, uint64_t addr, uint64_t len);
int wl_split_huge_pmd(struct wl_mm *mm, uint64_t addr);
int wl_collapse_huge_page(struct wl_mm *mm, uint64_t addr);
int wl_migrate_page(struct wl_mm *mm, uint64_t addr);
int wl_mprotect(struct wl_mm *mm, uint64_t addr, uint64_t len,
		unsigned int vm_flags);
/* fork.c: fork's copy of one PMD's PTEs, and the child's exit. */
int wl_fork_range(struct wl_mm *mm, uint64_t addr);
/* khugepaged.c: retract addr's PTE table (retract_page_tables()). */
int wl_retract_pte_table(struct wl_mm *mm, uint64_t addr);
/*
 * retract.c: huge_pmd_unshare()'s order on addr's PTE table: a plain
 * clear, the sync, the flush, then the table is reused (freed at once).
 */
int wl_unshare_pte_table(struct wl_mm *mm, uint64_t addr);
/* numa.c: NUMA-hint the THP at addr's PMD, then migrate it (v3.13). */
int wl_numa_migrate_thp(struct wl_mm *mm, uint64_t addr);

/* Fault flags for the slow path. */
#define FAULT_FLAG_WRITE       (1u << 0)
#define FAULT_FLAG_ALLOW_RETRY (1u << 1)
#define FAULT_FLAG_TRIED       (1u << 2) /* a retry: the I/O is done */
#define VM_FAULT_RETRY	       1	 /* handle_mm_fault dropped mmap_lock */

/*
 * Simulated I/O on a fault (as if the page came from a file): the faulting
 * thread sleeps this long; with FAULT_FLAG_ALLOW_RETRY it drops mmap_lock
 * for the sleep and returns VM_FAULT_RETRY (docs/kernel-protocol.md 5).
 */
extern _Atomic uint64_t wl_fault_io_ns;

/* Caller holds mmap_lock for read; returns 0, VM_FAULT_RETRY or -errno. */
int wl_handle_mm_fault(struct wl_mm *mm, uint64_t addr, unsigned int flags);
/*
 * The same for a VMA the caller found and keeps stable (mmap_lock, or its
 * per-VMA read lock: core/fault.c); vma may be NULL (-EFAULT).
 */
int wl_handle_vma_fault(struct wl_mm *mm, const struct wl_vma *vma,
			uint64_t addr, unsigned int flags);

/*
 * Lookup under locks (the slow path's follow_page): the entry that maps
 * addr, with its level.  Returns false when nothing maps addr.
 */
bool wl_lookup(struct wl_mm *mm, uint64_t addr, pteval_t *val,
	       enum wl_level *level);

/*
 * Knobs that re-introduce historical bugs, for the scenario library
 * (docs/history.md 2).  All false: the kernel's fixed behaviour.
 */
struct wl_bugs {
	bool walker_no_pmd_recheck; /* GUP-fast before 70cbc3cc78a99 (2022) */
	bool walker_no_pte_recheck; /* a broken walker: negative control */
	bool collapse_no_sync;	    /* khugepaged before 2ba99c5e0881 (2022) */
	bool pt_reclaim_free_now; /* empty PTE tables freed without deferral */
	/* Pre-4.5 THP split without the splitting IPI (legacy_thp.c). */
	bool legacy_split_no_ipi;
	/* An RCU-sched grace period that does not wait for IRQ-off CPUs. */
	bool rcu_sched_ignores_irqoff;
	/* tlb_remove_table_one() frees the table without any wait. */
	bool table_one_free_now;
	/* fork without write_protect_seq: before 57efa1fe5957 (v5.11) */
	bool fork_no_wp_seq;
	/* GUP-fast follows protnone PMDs: before Mel Gorman's v3.13 fix */
	bool walker_no_protnone;
	/* free_pgtables frees at once "when mm_users < 2" (until 2018) */
	bool single_user_table_free;
	/* x86 flush skips lazy-TLB CPUs even when tables were freed */
	bool lazy_tlb_no_ipi;
	/* PAE: pmdp_get_lockless_sync() after the PMD lock is dropped */
	bool pae_sync_after_unlock;
	/*
	 * Planted writer misorderings, no kernel's state: each moves one
	 * step out of the order of section 2, to show the torture catches
	 * it (tests/test_torture.c).  munmap frees an unlinked table before
	 * the flush and the backend's wait; migration checks the refcount
	 * (not freezing it) before the migration entry replaces the PTE.
	 */
	bool munmap_free_before_flush;
	bool migrate_refs_before_unmap;
	/* zap follows a PMD to its PTE table with no pmd_same() recheck */
	bool zap_no_pmd_recheck;
	/* A speculative fault that skips its mmap_seq checks (fault.c). */
	bool spf_no_seq_check;
	/*
	 * Today's pte_offset_map_lock() without its pmd_same() recheck after
	 * the lock (core/pte_map.c): the negative control of the recheck.
	 */
	bool pte_map_no_recheck;
	/*
	 * Counterfactual, no architecture's state: the TLB flush implies
	 * no full barrier (core/arch.c, wl_arch_flush_steps()), so it does
	 * not drain the simulated store buffer.  Shows which paths only the
	 * flush's barrier saves under targeted sync's sync_barrier=rmb.
	 */
	bool flush_no_barrier;
};
extern struct wl_bugs wl_bugs;

#endif /* WALKLAB_MM_H */
