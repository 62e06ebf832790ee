// SPDX-License-Identifier: MIT
/*
 * sb.c - the simulated per-CPU store buffer; see sb.h.
 *
 * Each simulated CPU has a FIFO of buffered stores under a small lock,
 * taken by the owner (store, forward, drain) and by a CPU that commits
 * one table's stores on taking its lock.  The owner's IRQ entry (a
 * signal handler, which may interrupt the owner inside the lock) only
 * tries it: if the interrupted code holds it, the stores stay buffered
 * until the owner's next drain point, which only widens the window.
 */
#include "sb.h"
#include "smp.h"
#include "util.h"

#include <sched.h>

bool wl_sb_on;
_Thread_local unsigned int wl_sb_pending;
_Thread_local bool wl_sb_held;
_Atomic unsigned int wl_sb_nr_buffered;

const char *const wl_sb_drain_names[WL_NR_SB_DRAIN] = {
	[WL_SB_DRAIN_MB] = "mb",	   [WL_SB_DRAIN_RMW] = "rmw",
	[WL_SB_DRAIN_RELEASE] = "release", [WL_SB_DRAIN_FLUSH] = "flush",
	[WL_SB_DRAIN_IRQ] = "irq",	   [WL_SB_DRAIN_SCHED] = "sched",
	[WL_SB_DRAIN_LOCK] = "lock",	   [WL_SB_DRAIN_FULL] = "full",
};

struct sb_entry {
	void *addr;
	uint64_t val;
	uint64_t t_ns; /* when it was buffered */
	uint32_t table;
	enum wl_sb_kind kind;
};

struct sb_cpu {
	__wl_cacheline_aligned _Atomic int lock;
	unsigned int nr;
	_Atomic unsigned int hint; /* nr, for a racy peek by other CPUs */
	struct sb_entry e[WL_SB_ENTRIES];
};

static struct sb_cpu sb_cpus[WL_NR_CPUS];

/* Statistics: relaxed, nothing is ordered by them. */
static _Atomic uint64_t st_buffered, st_forwarded, st_max_ns;
static _Atomic uint64_t st_drained[WL_NR_SB_DRAIN];

static bool sb_trylock(struct sb_cpu *b)
{
	/* acquire: the entries after the lock; pairs with sb_unlock() */
	return !atomic_exchange_explicit(&b->lock, 1, memory_order_acquire);
}

static void sb_lock(struct sb_cpu *b)
{
	while (!sb_trylock(b))
		sched_yield(); /* the holder is preempted, or a handler */
}

static void sb_unlock(struct sb_cpu *b)
{
	atomic_store_explicit(&b->hint, b->nr, memory_order_relaxed);
	/* release: the entries before the unlock; pairs with sb_trylock() */
	atomic_store_explicit(&b->lock, 0, memory_order_release);
}

/* The store reaches memory.  Relaxed, or release as the original. */
static void sb_commit(const struct sb_entry *e, enum wl_sb_drain_reason why)
{
	uint64_t ns = wl_now_ns() - e->t_ns;
	uint64_t max = atomic_load_explicit(&st_max_ns, memory_order_relaxed);

	switch (e->kind) {
	case WL_SB_U64_RELEASE:
		/* release: set_entry()'s; pairs with the walker's dependent
		 * load of the entry (core/internal.h) */
		atomic_store_explicit((_Atomic uint64_t *)e->addr, e->val,
				      memory_order_release);
		break;
	case WL_SB_PTR:
		atomic_store_explicit((_Atomic(void *) *)e->addr,
				      (void *)(uintptr_t)e->val,
				      memory_order_relaxed);
		break;
	default:
		atomic_store_explicit((_Atomic uint64_t *)e->addr, e->val,
				      memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&st_drained[why], 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&wl_sb_nr_buffered, 1, memory_order_relaxed);
	while (ns > max && !atomic_compare_exchange_weak_explicit(
				   &st_max_ns, &max, ns, memory_order_relaxed,
				   memory_order_relaxed))
		;
}

/* Commit every entry of b, oldest first.  b locked. */
static void sb_commit_all(struct sb_cpu *b, enum wl_sb_drain_reason why)
{
	for (unsigned int i = 0; i < b->nr; i++)
		sb_commit(&b->e[i], why);
	b->nr = 0;
}

static struct sb_cpu *sb_this_cpu(void)
{
	int cpu = smp_processor_id();

	return cpu < 0 ? NULL : &sb_cpus[cpu];
}

void wl_sb_buffer(void *addr, uint64_t val, enum wl_sb_kind kind,
		  uint32_t table)
{
	struct sb_cpu *b = sb_this_cpu();
	struct sb_entry *e;

	if (!b) {
		/* Not a simulated CPU: nothing buffers its stores. */
		struct sb_entry now = {addr, val, wl_now_ns(), table, kind};

		atomic_fetch_add_explicit(&wl_sb_nr_buffered, 1,
					  memory_order_relaxed);
		sb_commit(&now, WL_SB_DRAIN_FULL);
		return;
	}
	sb_lock(b);
	if (b->nr == WL_SB_ENTRIES)
		sb_commit_all(b, WL_SB_DRAIN_FULL);
	e = &b->e[b->nr++];
	*e = (struct sb_entry){addr, val, wl_now_ns(), table, kind};
	atomic_fetch_add_explicit(&wl_sb_nr_buffered, 1, memory_order_relaxed);
	wl_sb_pending = 1;
	sb_unlock(b);
	atomic_fetch_add_explicit(&st_buffered, 1, memory_order_relaxed);
}

bool wl_sb_forward(const void *addr, uint64_t *val)
{
	struct sb_cpu *b = sb_this_cpu();
	bool found = false;

	if (!b)
		return false;
	sb_lock(b);
	for (unsigned int i = b->nr; i-- > 0;) {
		if (b->e[i].addr == addr) {
			*val = b->e[i].val; /* the newest store to addr */
			found = true;
			break;
		}
	}
	sb_unlock(b);
	if (found)
		atomic_fetch_add_explicit(&st_forwarded, 1,
					  memory_order_relaxed);
	return found;
}

void wl_sb_drain_all(enum wl_sb_drain_reason why)
{
	struct sb_cpu *b = sb_this_cpu();

	if (!b)
		return;
	sb_lock(b);
	sb_commit_all(b, why);
	wl_sb_pending = 0;
	sb_unlock(b);
}

/* smp_mb() (compiler.h). */
void wl_sb_drain(void)
{
	wl_sb_drain_all(WL_SB_DRAIN_MB);
}

void wl_sb_irq_entry(void)
{
	struct sb_cpu *b;

	if (likely(!wl_sb_pending))
		return;
	b = sb_this_cpu();
	if (!b || !sb_trylock(b))
		return; /* the interrupted code holds it: drains later */
	sb_commit_all(b, WL_SB_DRAIN_IRQ);
	wl_sb_pending = 0;
	sb_unlock(b);
}

/* Commit the entries of b in table, keep the others in order.  Locked. */
static void sb_commit_table_one(struct sb_cpu *b, uint32_t table)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < b->nr; i++) {
		if (table == WL_SB_ALL_TABLES || b->e[i].table == table)
			sb_commit(&b->e[i], WL_SB_DRAIN_LOCK);
		else
			b->e[kept++] = b->e[i];
	}
	b->nr = kept;
}

void wl_sb_commit_table(uint32_t table)
{
	for (int cpu = 0; cpu < WL_NR_CPUS; cpu++) {
		struct sb_cpu *b = &sb_cpus[cpu];

		/* A hint: an entry added after it is the owner's, after
		 * our lock, which the owner's next drain commits. */
		if (!atomic_load_explicit(&b->hint, memory_order_relaxed))
			continue;
		sb_lock(b);
		sb_commit_table_one(b, table);
		sb_unlock(b);
	}
}

void wl_sb_stats(struct wl_sb_stats *st)
{
	st->buffered = atomic_load_explicit(&st_buffered, memory_order_relaxed);
	st->forwarded =
		atomic_load_explicit(&st_forwarded, memory_order_relaxed);
	st->max_resident_ns =
		atomic_load_explicit(&st_max_ns, memory_order_relaxed);
	for (int i = 0; i < WL_NR_SB_DRAIN; i++)
		st->drained[i] = atomic_load_explicit(&st_drained[i],
						      memory_order_relaxed);
}

void wl_sb_stats_reset(void)
{
	atomic_store_explicit(&st_buffered, 0, memory_order_relaxed);
	atomic_store_explicit(&st_forwarded, 0, memory_order_relaxed);
	atomic_store_explicit(&st_max_ns, 0, memory_order_relaxed);
	for (int i = 0; i < WL_NR_SB_DRAIN; i++)
		atomic_store_explicit(&st_drained[i], 0, memory_order_relaxed);
}

void wl_sb_stats_print(FILE *f)
{
	struct wl_sb_stats st;

	wl_sb_stats(&st);
	fprintf(f,
		"store buffer: %llu stores buffered, %llu loads forwarded, "
		"longest resident %llu ns; drained by",
		(unsigned long long)st.buffered,
		(unsigned long long)st.forwarded,
		(unsigned long long)st.max_resident_ns);
	for (int i = 0; i < WL_NR_SB_DRAIN; i++)
		fprintf(f, " %s %llu", wl_sb_drain_names[i],
			(unsigned long long)st.drained[i]);
	fputc('\n', f);
}
