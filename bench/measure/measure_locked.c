// SPDX-License-Identifier: MIT
/*
 * measure_locked.c - the locked workload of `walklab-<id> measure` (not in
 * the default run: --workloads locked).
 *
 * The slow path's walk to a PTE under mmap_lock for read, the three ways
 * of core/pte_map.h (lock, refcount, rcu): ns per walk (map, lock, read
 * the PTE, unlock, unmap) on one CPU while 0, 1 and 2 other CPUs do the
 * same walks in the same PTE table, so that its lock, and for refcount its
 * count, are lines they share.  Each walk reads a different PTE of the
 * table (a stride through its 512), and every PTE read is folded into a
 * sum the run checks, so the loop cannot be deleted.  The rcu walk's
 * starts-over (the PMD changed before the lock; the lock was busy) are
 * counted per walk: with nothing changing the PMD, only the lock waits
 * can be non-zero.  Rows: cpus is every CPU walking (1 + contenders).
 */
#include "machine.h"
#include "measure_int.h"
#include "pte_map.h"

#include <errno.h>

#define LOCKED_REGION	   PMD_SIZE /* one PTE table */
#define LOCKED_CONTENDERS  2
#define LOCKED_REPS_MAX	   9
#define LOCKED_STRIDE	   97 /* odd: visits every PTE of the table */
#define LOCKED_PER_SECTION 64 /* walks per mmap_lock hold */

struct locked_run {
	struct wl_mm *mm;
	enum wl_pte_map_how how;
	_Atomic bool stop;
	_Atomic unsigned int started;
	pthread_t thread[LOCKED_CONTENDERS];
};

/* What a batch of walks saw: PTEs summed, failures and starts-over. */
struct locked_count {
	uint64_t sum, failed, retries, lock_waits;
};

/* n walks under one mmap_lock hold each LOCKED_PER_SECTION, from slot k. */
static void locked_walks(struct wl_mm *mm, enum wl_pte_map_how how, uint64_t k,
			 uint64_t n, struct locked_count *c)
{
	struct wl_pte_map m;

	for (uint64_t i = 0; i < n; i++, k++) {
		uint64_t a =
			MEASURE_BASE +
			((k * LOCKED_STRIDE % PTRS_PER_TABLE) << PAGE_SHIFT);

		if (i % LOCKED_PER_SECTION == 0)
			mmap_read_lock(mm);
		if (wl_pte_offset_map_lock(mm, a, how, &m)) {
			c->sum += m.pte;
			wl_pte_unmap_unlock(mm, &m);
		} else {
			c->failed++;
		}
		c->retries += m.retries;
		c->lock_waits += m.lock_waits;
		if (i % LOCKED_PER_SECTION == LOCKED_PER_SECTION - 1 ||
		    i == n - 1)
			mmap_read_unlock(mm);
	}
}

static void *locked_contender(void *arg)
{
	struct locked_run *r = arg;
	struct locked_count c = {0};
	bool up = wl_cpu_start("contender") >= 0;
	uint64_t k = 0;

	/* Release: our start before the waiter's acquire load. */
	atomic_fetch_add_explicit(&r->started, 1, memory_order_release);
	while (up && !atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		locked_walks(r->mm, r->how, k, LOCKED_PER_SECTION, &c);
		k += LOCKED_PER_SECTION;
		measure_qs();
	}
	if (up)
		wl_cpu_stop();
	return NULL;
}

static void contenders_start(struct locked_run *r, unsigned int nr)
{
	atomic_store(&r->stop, false);
	atomic_store(&r->started, 0);
	for (unsigned int i = 0; i < nr; i++)
		pthread_create(&r->thread[i], NULL, locked_contender, r);
	/* Acquire: pairs with each contender's release increment. */
	while (atomic_load_explicit(&r->started, memory_order_acquire) < nr)
		measure_sleep_ns(100000);
}

static void contenders_stop(struct locked_run *r, unsigned int nr)
{
	atomic_store_explicit(&r->stop, true, memory_order_relaxed);
	for (unsigned int i = 0; i < nr; i++)
		pthread_join(r->thread[i], NULL);
}

/* The PTEs of the region summed once, to check each rep's sum against. */
static uint64_t pte_sum(struct wl_mm *mm, uint64_t n)
{
	struct locked_count c = {0};

	locked_walks(mm, WL_PTE_MAP_LOCK, 0, n, &c);
	return c.failed ? 0 : c.sum;
}

static void locked_emit(const struct wl_measure_ctx *c, const char *how,
			unsigned int cpus, double *ns, unsigned int reps,
			const struct locked_count *t, uint64_t walks)
{
	struct wl_row r;
	char metric[32];

	snprintf(metric, sizeof(metric), "locked_walk_ns_%s", how);
	wl_row_init(&r, "locked", metric, "ns");
	r.cpus = cpus;
	r.walk_pages = 1;
	snprintf(r.mapping, sizeof(r.mapping), "4k");
	measure_emit_stats(c, &r, ns, reps);
	snprintf(metric, sizeof(metric), "locked_failed_%s", how);
	measure_row_metric(&r, metric, "walks");
	measure_emit_value(c, &r, (double)t->failed, walks);
	snprintf(metric, sizeof(metric), "locked_retries_%s", how);
	measure_row_metric(&r, metric, "per walk");
	measure_emit_value(c, &r, (double)t->retries / (double)walks, walks);
	snprintf(metric, sizeof(metric), "locked_lock_waits_%s", how);
	measure_row_metric(&r, metric, "per walk");
	measure_emit_value(c, &r, (double)t->lock_waits / (double)walks, walks);
}

static int locked_one(const struct wl_measure_ctx *c, struct locked_run *r,
		      unsigned int nr, uint64_t want)
{
	const unsigned int reps = c->quick ? 3 : LOCKED_REPS_MAX;
	const uint64_t iters = (c->quick ? 40 : 400) * PTRS_PER_TABLE;
	struct locked_count t = {0};
	double ns[LOCKED_REPS_MAX];

	contenders_start(r, nr);
	for (unsigned int i = 0; i < reps; i++) {
		struct locked_count one = {0};
		uint64_t t0 = wl_now_ns();

		locked_walks(r->mm, r->how, 0, iters, &one);
		ns[i] = (double)(wl_now_ns() - t0) / (double)iters;
		/* iters is a multiple of the table: every PTE as often. */
		if (one.sum != want * (iters / PTRS_PER_TABLE))
			one.failed += !one.failed;
		t.failed += one.failed;
		t.retries += one.retries;
		t.lock_waits += one.lock_waits;
		measure_qs();
	}
	contenders_stop(r, nr);
	locked_emit(c, wl_pte_map_names[r->how], nr + 1, ns, reps, &t,
		    (uint64_t)reps * iters);
	return t.failed ? -EIO : 0;
}

int wl_measure_locked(const struct wl_measure_ctx *c)
{
	struct locked_run r = {0};
	struct wl_mm mm;
	uint64_t want;
	int ret = wl_mm_init(&mm);

	if (ret)
		return ret;
	ret = measure_region(&mm, MEASURE_BASE, LOCKED_REGION,
			     VM_READ | VM_WRITE);
	want = ret ? 0 : pte_sum(&mm, PTRS_PER_TABLE);
	if (!ret && !want)
		ret = -EIO; /* a PTE missing: the walk measured nothing */
	r.mm = &mm;
	for (int how = 0; how < WL_PTE_MAP_NR && !ret; how++) {
		r.how = (enum wl_pte_map_how)how;
		for (unsigned int nr = 0; nr <= LOCKED_CONTENDERS && !ret; nr++)
			ret = locked_one(c, &r, nr, want);
	}
	wl_mm_destroy(&mm);
	return ret;
}
