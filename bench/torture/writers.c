// SPDX-License-Identifier: MIT
/*
 * writers.c - the torture's writer CPUs.
 *
 * Each picks an op by weight (--mix) and a random 2 MiB chunk of a random
 * mm, randomizes the op's range within it, and runs it through the writer
 * op table (core/writer_ops.h); every op restores the chunk to a mapped,
 * populated state so that the walkers keep finding something.  In
 * --legacy-thp mode the THPs are the pre-4.5 ones (core/legacy_thp.c):
 * populate and split go through it, DONTNEED and munmap work on whole
 * chunks (a partial zap would split with the modern code), and collapse
 * is not modelled.
 */
#include "backend.h"
#include "machine.h"
#include "smp.h"
#include "torture_internal.h"
#include "util.h"

#include <errno.h>

static unsigned int chunk_flags(void)
{
	if (torture->c->legacy_thp || wl_random() % 2)
		return VM_READ | VM_WRITE | VM_HUGEPAGE;
	return VM_READ | VM_WRITE;
}

/* WL_OPF_LEGACY when the THPs are the pre-4.5 ones. */
static unsigned int legacy_flag(void)
{
	return torture->c->legacy_thp ? WL_OPF_LEGACY : 0;
}

int torture_map_chunk(struct wl_mm *mm, uint64_t a)
{
	int ret = wl_mmap(mm, a, PMD_SIZE, chunk_flags());

	return ret ? ret : wl_writer_populate(mm, a, PMD_SIZE, legacy_flag());
}

/* munmap: one chunk, or one time in 8 the whole region; mapped again. */
static int munmap_op(struct wl_mm *mm, struct wl_writer_op_args *a, uint64_t r)
{
	int ret;

	if (r % 8 == 0) {
		/* The whole region: PMD and PUD tables go too. */
		a->addr = REGION_BASE;
		a->len = torture->c->region_mb << 20;
		ret = wl_writer_op_run(WL_OP_MUNMAP, mm, a);
		for (unsigned int i = 0; i < torture->nr_chunks; i++) {
			int e = torture_map_chunk(mm,
						  REGION_BASE + i * PMD_SIZE);

			ret = ret ? ret : e;
		}
		return ret;
	}
	ret = wl_writer_op_run(WL_OP_MUNMAP, mm, a);
	return ret ? ret : torture_map_chunk(mm, a->addr);
}

/* DONTNEED's range: the whole chunk, or a random part of it. */
static void dontneed_range(struct wl_writer_op_args *a, uint64_t chunk,
			   uint64_t r)
{
	if (torture->c->legacy_thp || (r & 0x80))
		return; /* the whole chunk: pt_reclaim can free its table */
	a->addr = chunk + ((r >> 8) % HPAGE_PMD_NR) * PAGE_SIZE;
	a->len = (1 + (r >> 20) % HPAGE_PMD_NR) * PAGE_SIZE;
	a->len = WL_MIN(a->len, chunk + PMD_SIZE - a->addr);
}

static int do_op(enum wl_writer_op op, struct wl_mm *mm, uint64_t chunk)
{
	const struct wl_torture_config *c = torture->c;
	uint64_t r = wl_random();
	struct wl_writer_op_args a = {
		.addr = chunk,
		.len = PMD_SIZE,
		.page = (unsigned int)((r >> 8) % HPAGE_PMD_NR),
		.flags = WL_OPF_REFILL | legacy_flag() |
			 (c->pt_reclaim ? WL_OPF_PT_RECLAIM : 0),
		.delay_ns = (r >> 8) % 20000, /* mprotect: read-only */
	};

	if (op == WL_OP_MUNMAP)
		return munmap_op(mm, &a, r);
	if (op == WL_OP_DONTNEED)
		dontneed_range(&a, chunk, r);
	return wl_writer_op_run(op, mm, &a);
}

static enum wl_writer_op pick_op(void)
{
	const struct wl_torture_config *c = torture->c;
	unsigned int sum = 0, r;

	for (int i = 0; i < WL_NR_OPS; i++)
		sum += c->mix[i];
	r = (unsigned int)(wl_random() % sum);
	for (int i = 0; i < WL_NR_OPS; i++) {
		if (r < c->mix[i])
			return (enum wl_writer_op)i;
		r -= c->mix[i];
	}
	return WL_OP_MIGRATE;
}

/* One op, published to the watchdog while it runs, and counted. */
static void one_op(struct twriter *w, enum wl_writer_op op, uint64_t r)
{
	const struct wl_torture_config *c = torture->c;
	struct wl_mm *mm = &torture->mms[r % c->mms];
	uint64_t chunk =
		REGION_BASE + ((r >> 8) % torture->nr_chunks) * PMD_SIZE;
	int ret;

	atomic_store_explicit(&w->op, (int)op, memory_order_relaxed);
	atomic_store_explicit(&w->op_since, wl_now_ns(), memory_order_relaxed);
	ret = do_op(op, mm, chunk);
	atomic_store_explicit(&w->op_since, 0, memory_order_relaxed);
	if (ret)
		CNT_ADD(w->fails[op], 1);
	else
		CNT_ADD(w->ops[op], 1);
}

void *torture_writer_main(void *arg)
{
	struct twriter *w = arg;
	const struct wl_torture_config *c = torture->c;
	unsigned int idx = (unsigned int)(w - torture->writers);

	w->cpu = wl_cpu_start("writer");
	w->up = w->cpu >= 0;
	if (!w->up)
		return NULL;
	wl_random_seed(c->seed * 1000 + 500 + idx);
	while (!atomic_load_explicit(&torture->stop, memory_order_relaxed)) {
		enum wl_writer_op op = pick_op();
		uint64_t r = wl_random();

		if (c->ops &&
		    atomic_fetch_add_explicit(&torture->ops_started, 1,
					      memory_order_relaxed) >= c->ops)
			break;
		one_op(w, op, r);
		if (c->rate)
			wl_sleep_ns(1000000000ull / c->rate);
		local_irq_enable(); /* takes poll-mode IPIs */
	}
	/*
	 * --ops: our share is done, but we stay up, idle and quiescent,
	 * until the run stops: a walker coming up late (at 256 CPUs on two
	 * PUs some still are) would take our id, and the per-CPU counts
	 * need one row per CPU of the run (percpu.c).
	 */
	while (!atomic_load_explicit(&torture->stop, memory_order_relaxed)) {
		if (wl_backend.quiescent)
			wl_backend.quiescent();
		wl_sleep_ns(100000);
		local_irq_enable();
	}
	wl_cpu_stop();
	return NULL;
}
