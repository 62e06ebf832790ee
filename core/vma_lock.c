// SPDX-License-Identifier: MIT
/*
 * vma_lock.c - the VMA lookups of the fault paths without mmap_lock
 * (core/fault.h): the SPF series' speculative copy validated by mmap_seq,
 * and today's per-VMA locks (mm/memory.c lock_vma_under_rcu(), v6.4).
 *
 * Departure: the kernel's VMAs live in a maple tree freed by RCU; here
 * they are the slots of mm->vmas[], never freed, so the RCU read lock
 * that keeps a VMA alive is implicit.  The slots are written with plain
 * stores under mmap_lock for write, and published for these lookups in
 * mm->vma_snap[] by mmap_write_unlock(); what a lookup finds there is
 * trusted only once validated (mmap_seq unchanged, or the slot
 * read-locked).  A slot moved by wl_vma_remove() is write-locked first
 * (mm.c), as the kernel write-locks every VMA it changes.
 */
#include "fault.h"
#include "machine.h"
#include "smp.h"

#include <sched.h>

const char *const wl_fault_path_names[WL_NR_FAULT_PATHS + 1] = {
	[WL_FAULT_MMAP_LOCK] = "mmap_lock",
	[WL_FAULT_SPF] = "spf",
	[WL_FAULT_VMA_LOCK] = "vma_lock",
	[WL_NR_FAULT_PATHS] = NULL,
};

const char *const wl_fault_abort_names[WL_NR_FAULT_ABORTS + 1] = {
	[WL_ABORT_SEQ] = "seq",	     [WL_ABORT_VMA] = "vma",
	[WL_ABORT_PMD] = "pmd",	     [WL_ABORT_PTL] = "ptl",
	[WL_NR_FAULT_ABORTS] = NULL,
};

void wl_fault_stats_add(struct wl_fault_stats *a,
			const struct wl_fault_stats *b)
{
	a->faults += b->faults;
	a->speculative += b->speculative;
	a->present += b->present;
	a->attempts += b->attempts;
	a->aborts += b->aborts;
	for (int i = 0; i < WL_NR_FAULT_ABORTS; i++)
		a->abort[i] += b->abort[i];
}

/* Field k of slot i as last published (relaxed: validated after). */
#define VMA_PEEK(mm, i, k)                                                     \
	atomic_load_explicit(&(mm)->vma_snap[i][k], memory_order_relaxed)

/* The slot whose VMA covers addr, read without mmap_lock; -1 if none. */
static int vma_scan(struct wl_mm *mm, uint64_t addr)
{
	unsigned int n =
		atomic_load_explicit(&mm->nr_vmas_snap, memory_order_relaxed);

	for (unsigned int i = 0; i < n; i++)
		if (addr >= VMA_PEEK(mm, i, 0) && addr < VMA_PEEK(mm, i, 1))
			return (int)i;
	return -1;
}

static void vma_copy(struct wl_mm *mm, int i, struct wl_vma *vma)
{
	vma->start = VMA_PEEK(mm, i, 0);
	vma->end = VMA_PEEK(mm, i, 1);
	vma->flags = (unsigned int)VMA_PEEK(mm, i, 2);
}

bool wl_vma_lookup_speculative(struct wl_mm *mm, uint64_t addr,
			       unsigned int seq, struct wl_vma *vma)
{
	int i = vma_scan(mm, addr);

	if (i < 0)
		return false;
	vma_copy(mm, i, vma);
	/*
	 * read_seqcount_retry(): smp_rmb() orders the copy's loads before
	 * the reload; pairs with the release increments of mmap_seq in
	 * mmap_write_lock()/unlock() (mm.c).
	 */
	smp_rmb();
	return atomic_load_explicit(&mm->mmap_seq, memory_order_relaxed) ==
		       seq &&
	       addr >= vma->start && addr < vma->end;
}

/* The VMA in slot is write-locked in the current write cycle. */
static bool vma_write_locked(struct wl_mm *mm, struct wl_vma_lock *l)
{
	/*
	 * seq_cst: after our readers increment, before the caller's reads
	 * of the slot; pairs with the writer's seq_cst store of l->seq and
	 * readers load in wl_vma_start_write() (store buffering).
	 */
	unsigned int ms =
		atomic_load_explicit(&mm->mmap_seq, memory_order_seq_cst);

	/* seq_cst: ordered and paired as the load above. */
	return (ms & 1) &&
	       atomic_load_explicit(&l->seq, memory_order_seq_cst) == ms;
}

void wl_vma_start_write(struct wl_mm *mm, unsigned int slot)
{
	struct wl_vma_lock *l = &mm->vma_lock[slot];
	unsigned int ms =
		atomic_load_explicit(&mm->mmap_seq, memory_order_relaxed);
	bool blocked = false;

	if (atomic_load_explicit(&l->seq, memory_order_relaxed) == ms)
		return; /* already write-locked in this cycle */
	/*
	 * seq_cst: the mark before the readers load; pairs with a reader's
	 * seq_cst increment then mark load (vma_write_locked()): either it
	 * sees the mark and backs off, or we see its count and wait.
	 */
	atomic_store_explicit(&l->seq, ms, memory_order_seq_cst);
	/* seq_cst: ordered and paired as said above. */
	while (atomic_load_explicit(&l->readers, memory_order_seq_cst)) {
		if (!blocked)
			wl_cpu_block_begin(); /* down_write() sleeps */
		blocked = true;
		sched_yield();
	}
	if (blocked)
		wl_cpu_block_end();
}

int wl_vma_start_read(struct wl_mm *mm, uint64_t addr, struct wl_vma *vma)
{
	int i = vma_scan(mm, addr);
	struct wl_vma_lock *l;

	if (i < 0)
		return -1;
	l = &mm->vma_lock[i];
	if (vma_write_locked(mm, l))
		return -1;
	/* seq_cst: pairs with wl_vma_start_write() (vma_write_locked()). */
	atomic_fetch_add_explicit(&l->readers, 1, memory_order_seq_cst);
	if (vma_write_locked(mm, l)) {
		wl_vma_end_read(mm, i);
		return -1;
	}
	/* Read-locked: no writer changes the slot until we drop it. */
	vma_copy(mm, i, vma);
	if (addr < vma->start || addr >= vma->end ||
	    (unsigned int)i >= atomic_load_explicit(&mm->nr_vmas_snap,
						    memory_order_relaxed)) {
		wl_vma_end_read(mm, i);
		return -1;
	}
	return i;
}

void wl_vma_end_read(struct wl_mm *mm, int slot)
{
	/*
	 * Release: the fault's accesses under the lock before the count
	 * drops; pairs with the writer's seq_cst readers load.
	 */
	atomic_fetch_sub_explicit(&mm->vma_lock[slot].readers, 1,
				  memory_order_release);
}
