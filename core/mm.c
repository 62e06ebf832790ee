// SPDX-License-Identifier: MIT
/*
 * mm.c - address spaces, mmap_lock, page-table locks, VMAs, and the locked
 * lookup used by the slow path.
 */
#include "mm.h"
#include "backend.h"
#include "check.h"
#include "fault.h"
#include "internal.h"
#include "machine.h"
#include "smp.h"
#include "sb.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

/*
 * The uncontended case takes the lock at once; a waiter blocks, which is
 * a context switch for the backend (wl_cpu_block_begin()).
 */
void mmap_read_lock(struct wl_mm *mm)
{
	if (pthread_rwlock_tryrdlock(&mm->mmap_lock.rw)) {
		wl_cpu_block_begin();
		wl_rwlock_rdlock(&mm->mmap_lock.rw);
		wl_cpu_block_end();
	}
	/* Stores buffered before an unlock are the new holder's to see. */
	wl_sb_lock_acquired(WL_SB_ALL_TABLES);
}

void mmap_read_unlock(struct wl_mm *mm)
{
	pthread_rwlock_unlock(&mm->mmap_lock.rw);
}

/*
 * The SPF series' mmap_seq (core/fault.h): odd from mmap_write_lock() to
 * mmap_write_unlock(), a seqcount whose write side the lock serializes.
 */
static void mmap_seq_write_begin(struct wl_mm *mm)
{
	atomic_fetch_add_explicit(&mm->mmap_seq, 1, memory_order_relaxed);
	/*
	 * write_seqcount_begin()'s smp_wmb(): the odd count before our
	 * changes; pairs with the smp_rmb() of speculative readers
	 * (wl_vma_lookup_speculative(), fault.c).
	 */
	smp_wmb();
}

void mmap_write_lock(struct wl_mm *mm)
{
	if (pthread_rwlock_trywrlock(&mm->mmap_lock.rw)) {
		wl_cpu_block_begin();
		wl_rwlock_wrlock(&mm->mmap_lock.rw);
		wl_cpu_block_end();
	}
	wl_sb_lock_acquired(WL_SB_ALL_TABLES); /* as mmap_read_lock() */
	mmap_seq_write_begin(mm);
}

void mmap_write_unlock(struct wl_mm *mm)
{
	/* Publish the VMAs for lookups without mmap_lock (fault.h). */
	for (unsigned int i = 0; i < mm->nr_vmas; i++) {
		atomic_store_explicit(&mm->vma_snap[i][0], mm->vmas[i].start,
				      memory_order_relaxed);
		atomic_store_explicit(&mm->vma_snap[i][1], mm->vmas[i].end,
				      memory_order_relaxed);
		atomic_store_explicit(&mm->vma_snap[i][2], mm->vmas[i].flags,
				      memory_order_relaxed);
	}
	atomic_store_explicit(&mm->nr_vmas_snap, mm->nr_vmas,
			      memory_order_relaxed);
	/*
	 * write_seqcount_end(): release orders our changes before the even
	 * count; pairs with the readers' acquire load of mmap_seq.  Per-VMA
	 * write locks of this cycle end with it (vma_end_write_all()).
	 */
	atomic_fetch_add_explicit(&mm->mmap_seq, 1, memory_order_release);
	pthread_rwlock_unlock(&mm->mmap_lock.rw);
}

/*
 * Page-table locks: test-and-test-and-set, yielding after a while because
 * simulated CPUs may outnumber host CPUs (a preempted lock holder).
 *
 * A CPU that has waited that long counts as blocked (wl_cpu_block_begin())
 * until it has the lock.  Departure: in the kernel this is a spinlock and
 * nothing sleeps under it; here the pre-4.5 THP split waits through the
 * backend's sync under the PMD lock (core/legacy_thp.c), and for rcu-qsbr
 * that grace period would wait forever for an online CPU spinning here.
 * Sound because no walk section waits for a page-table lock: the one that
 * takes one (core/pte_map.c, today's pte_offset_map_lock()) only tries.
 */
void wl_ptl_lock(uint32_t table)
{
	_Atomic int *l = &wl_ptdesc(table)->ptl;
	unsigned int spins = 0;
	bool blocked = false;

	for (;;) {
		/* Acquire: the critical section after the lock; pairs with
		 * the release in wl_ptl_unlock(). */
		if (!atomic_exchange_explicit(l, 1, memory_order_acquire)) {
			if (blocked)
				wl_cpu_block_end();
			/* The last holder's buffered stores in this table. */
			wl_sb_lock_acquired(table);
			return;
		}
		while (atomic_load_explicit(l, memory_order_relaxed)) {
			/*
			 * Poll delivery: the holder may be waiting for our
			 * IPI ack (a flush under the lock); take it here.
			 */
			if (wl_ipi_poll_mode && wl_irq.cpu &&
			    !wl_irq.disabled &&
			    (wl_irq.pending || wl_ipi_poll_pending()))
				wl_irq_replay();
			if (++spins % 128 == 0) {
				if (!blocked)
					wl_cpu_block_begin();
				blocked = true;
				sched_yield();
			} else {
				cpu_relax();
			}
		}
	}
}

bool wl_ptl_trylock(uint32_t table)
{
	_Atomic int *l = &wl_ptdesc(table)->ptl;

	/* Acquire: as in wl_ptl_lock(), pairs with wl_ptl_unlock()'s
	 * release; the relaxed look first keeps a busy line shared. */
	return !atomic_load_explicit(l, memory_order_relaxed) &&
	       !atomic_exchange_explicit(l, 1, memory_order_acquire);
}

void wl_ptl_unlock(uint32_t table)
{
	/* Release: the critical section before the unlock; pairs with the
	 * acquire in wl_ptl_lock(). */
	atomic_store_explicit(&wl_ptdesc(table)->ptl, 0, memory_order_release);
}

int wl_mm_init(struct wl_mm *mm)
{
	pthread_rwlockattr_t attr;

	memset(mm, 0, sizeof(*mm));
	mm->pgd = wl_table_alloc(WL_PGD);
	if (mm->pgd == WL_TABLE_NONE)
		return -ENOMEM;
	pthread_rwlockattr_init(&attr);
	/* rwsem-like: a waiting writer holds off new readers. */
	pthread_rwlockattr_setkind_np(
		&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&mm->mmap_lock.rw, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (wl_backend.mm_init)
		wl_backend.mm_init(mm);
	return 0;
}

void wl_mm_destroy(struct wl_mm *mm)
{
	/* exit_mmap(): unmap everything; tables go through the backend. */
	wl_munmap(mm, 0, TASK_SIZE);
	if (wl_backend.mm_fini)
		wl_backend.mm_fini(mm);
	/*
	 * The pgd has no parent entry to unlink, so it is freed at once: the
	 * caller guarantees no walker is still in this mm, as exit_mmap()
	 * runs once the mm has no users.
	 */
	wl_table_free(mm->pgd);
	pthread_rwlock_destroy(&mm->mmap_lock.rw);
}

struct wl_vma *wl_find_vma(struct wl_mm *mm, uint64_t addr)
{
	for (unsigned int i = 0; i < mm->nr_vmas; i++)
		if (addr >= mm->vmas[i].start && addr < mm->vmas[i].end)
			return &mm->vmas[i];
	return NULL;
}

bool wl_vma_intersects(struct wl_mm *mm, uint64_t start, uint64_t end)
{
	for (unsigned int i = 0; i < mm->nr_vmas; i++)
		if (mm->vmas[i].start < end && start < mm->vmas[i].end)
			return true;
	return false;
}

static bool range_ok(uint64_t addr, uint64_t len)
{
	return !(addr & ~PAGE_MASK) && !(len & ~PAGE_MASK) && len &&
	       addr < TASK_SIZE && len <= TASK_SIZE - addr;
}

/*
 * Carve [start, end) out of the VMA list, splitting VMAs that straddle it.
 * Under mmap_lock for write.  Returns -ENOMEM if a split needs a slot.
 */
int wl_vma_remove(struct wl_mm *mm, uint64_t start, uint64_t end)
{
	/*
	 * vma_start_write() on every slot that may change: those hit, the
	 * last (moved into a hole) and the next two (a split's new slot,
	 * mprotect's re-added VMA).
	 */
	for (unsigned int i = 0; i < WL_MIN(mm->nr_vmas + 2, WL_MAX_VMAS); i++)
		if ((i < mm->nr_vmas && mm->vmas[i].start < end &&
		     start < mm->vmas[i].end) ||
		    i + 1 >= mm->nr_vmas)
			wl_vma_start_write(mm, i);
	for (unsigned int i = 0; i < mm->nr_vmas;) {
		struct wl_vma *v = &mm->vmas[i];

		if (v->end <= start || v->start >= end) {
			i++;
			continue;
		}
		if (v->start < start && v->end > end) {
			if (mm->nr_vmas == WL_MAX_VMAS)
				return -ENOMEM;
			mm->vmas[mm->nr_vmas++] = (struct wl_vma){
				.start = end, .end = v->end, .flags = v->flags};
			v->end = start;
			i++;
		} else if (v->start < start) {
			v->end = start;
			i++;
		} else if (v->end > end) {
			v->start = end;
			i++;
		} else {
			*v = mm->vmas[--mm->nr_vmas];
		}
	}
	return 0;
}

int wl_mmap(struct wl_mm *mm, uint64_t addr, uint64_t len,
	    unsigned int vm_flags)
{
	int ret = 0;

	if (!range_ok(addr, len))
		return -EINVAL;
	if ((vm_flags & VM_HUGE_PUD) && ((addr | len) & ~PUD_MASK))
		return -EINVAL;
	mmap_write_lock(mm);
	if (wl_vma_intersects(mm, addr, addr + len)) {
		/* MAP_FIXED_NOREPLACE semantics: the caller unmaps first. */
		ret = -EEXIST;
	} else if (mm->nr_vmas == WL_MAX_VMAS) {
		ret = -ENOMEM;
	} else {
		wl_check_range_unmapped(mm, addr, addr + len);
		wl_vma_start_write(mm, mm->nr_vmas);
		mm->vmas[mm->nr_vmas++] = (struct wl_vma){
			.start = addr, .end = addr + len, .flags = vm_flags};
	}
	mmap_write_unlock(mm);
	return ret;
}

int wl_munmap(struct wl_mm *mm, uint64_t addr, uint64_t len)
{
	int ret;

	if (!range_ok(addr, len))
		return -EINVAL;
	mmap_write_lock(mm);
	ret = wl_vma_remove(mm, addr, addr + len);
	if (!ret)
		wl_unmap_region(mm, addr, addr + len);
	mmap_write_unlock(mm);
	atomic_fetch_add_explicit(&mm->nr_unmaps, 1, memory_order_relaxed);
	return ret;
}

/*
 * Find the entry that maps addr and return with its table's lock held.
 * Caller holds mmap_lock, which keeps PUD and PMD tables alive; a PTE
 * table may still be reclaimed (pt_reclaim runs under mmap_lock for read),
 * so it is locked while the PMD lock still shows it linked, as
 * pte_offset_map_lock() does by rechecking the PMD.
 */
bool wl_entry_lock(struct wl_mm *mm, uint64_t addr, struct wl_locked_entry *le)
{
	pteval_t v = pt_entry(mm->pgd, pgd_index(addr));
	uint32_t pud, pmd, pte;

	if (!pte_present(v))
		return false;
	pud = (uint32_t)pte_pfn(v);
	wl_ptl_lock(pud);
	v = pt_entry(pud, pud_index(addr));
	if (pte_none(v) || pte_leaf(v) || !pte_present(v)) {
		if (pte_none(v)) {
			wl_ptl_unlock(pud);
			return false;
		}
		*le = (struct wl_locked_entry){pud, pud_index(addr), WL_PUD, v};
		return true;
	}
	pmd = (uint32_t)pte_pfn(v);
	wl_ptl_unlock(pud);
	wl_ptl_lock(pmd);
	v = pt_entry(pmd, pmd_index(addr));
	if (pte_none(v)) {
		wl_ptl_unlock(pmd);
		return false;
	}
	if (!pte_present(v) || pte_leaf(v)) {
		*le = (struct wl_locked_entry){pmd, pmd_index(addr), WL_PMD, v};
		return true;
	}
	pte = (uint32_t)pte_pfn(v);
	wl_ptl_lock(pte); /* nests inside the PMD lock, as in the kernel */
	wl_ptl_unlock(pmd);
	*le = (struct wl_locked_entry){pte, pte_index(addr), WL_PTE,
				       pt_entry(pte, pte_index(addr))};
	return true;
}

void wl_entry_unlock(struct wl_locked_entry *le)
{
	wl_ptl_unlock(le->table);
}

bool wl_lookup(struct wl_mm *mm, uint64_t addr, pteval_t *val,
	       enum wl_level *level)
{
	struct wl_locked_entry le;

	if (!wl_entry_lock(mm, addr, &le))
		return false;
	wl_entry_unlock(&le);
	if (pte_none(le.val))
		return false;
	*val = le.val;
	*level = le.level;
	return true;
}
