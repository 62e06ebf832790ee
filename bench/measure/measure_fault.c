// SPDX-License-Identifier: MIT
/*
 * measure_fault.c - the fault workload of `walklab-<id> measure`: fault
 * throughput under an mmap_lock writer, three ways (core/fault.h): the
 * classic mmap_lock fault, the speculative fault (SPF), per-VMA locks.
 * Matthew Wilcox's contention point in the 2021 SPF thread, in numbers.
 *
 * 1, 2 and 4 CPUs fault in pages of one anonymous VMA, each its own 2 MiB
 * of it, page by page; after each pass a CPU zaps its 2 MiB (DONTNEED,
 * the PTE table kept, under the VMA's read lock as today's madvise()
 * does: a zap under mmap_lock would queue behind the writer and hand the
 * faulters their turn only between its holds, so no fault path would
 * ever meet the writer) and starts again.  Meanwhile the measuring CPU, as
 * the writer, takes mmap_lock for write at 0, 1000 or 10000 ops/s and
 * holds it WRITER_HOLD_NS, as a short mprotect() of its own VMA would:
 * mmap_seq moves (SPF aborts), its own VMA is write-locked (other VMAs'
 * readers are not), and classic faults wait.
 *
 * Rows (workload "fault", writer_op = the fault path, cpus = faulting
 * CPUs, writer_rate = asked ops/s), min/median/max over FAULT_REPS runs:
 *   faults_per_s       faults / time spent faulting, summed over CPUs
 *                      (the zap passes are not counted: they reset the
 *                      region, they are not the measured path)
 *   faults             faults per run (n: the runs), so a zero is seen
 *   speculative_ratio  faults done without mmap_lock / faults
 *   abort_rate         speculative attempts sent to mmap_lock / attempts
 *                      (spf and vma_lock only)
 *   mmap_lock_write_wait_ns  the writer's wait for mmap_lock, every op of
 *                      every run: p50, p99, max (writer_rate > 0)
 *   writer_ops_per_s   the writer's achieved rate (writer_rate > 0)
 */
#include "backend.h"
#include "fault.h"
#include "measure_int.h"

#include <errno.h>
#include <stdlib.h>

#define FAULT_SLICE	(UINT64_C(2) << 20) /* per faulting CPU */
#define FAULT_MAX_CPUS	4
#define WRITER_HOLD_NS	5000
#define FAULT_MAX_WAITS 8192

struct fault_cpu {
	pthread_t thread;
	struct fault_run *run;
	unsigned int idx;
	struct wl_fault_stats st;
	uint64_t fault_ns;
	int err;
	bool up;
};

struct fault_run {
	struct wl_mm *mm;
	enum wl_fault_path path;
	unsigned int nr;
	_Atomic bool stop;
	_Atomic unsigned int started;
	struct fault_cpu cpu[FAULT_MAX_CPUS];
};

/* Reset a slice for the next pass, not under mmap_lock (see above). */
static void fault_zap(struct wl_mm *mm, uint64_t base)
{
	struct wl_vma vma;
	int slot = wl_vma_start_read(mm, base, &vma);

	if (slot < 0) {
		wl_madvise_dontneed(mm, base, FAULT_SLICE, false);
		return;
	}
	wl_zap_vma_locked(mm, base, FAULT_SLICE);
	wl_vma_end_read(mm, slot);
}

/* One faulting CPU: passes over its slice, timed; zaps between them. */
static void *fault_cpu_main(void *arg)
{
	struct fault_cpu *fc = arg;
	struct fault_run *run = fc->run;
	uint64_t base = MEASURE_BASE + fc->idx * FAULT_SLICE;

	fc->up = wl_cpu_start("faulter") >= 0;
	if (!fc->up)
		fc->err = -EBUSY;
	/* Release: our start before the measuring CPU's acquire load. */
	atomic_fetch_add_explicit(&run->started, 1, memory_order_release);
	while (!fc->err &&
	       !atomic_load_explicit(&run->stop, memory_order_relaxed)) {
		uint64_t t0 = wl_now_ns();

		for (uint64_t a = base; a < base + FAULT_SLICE; a += PAGE_SIZE)
			if (wl_fault(run->mm, a, true, run->path, &fc->st)) {
				fc->err = -EFAULT;
				break;
			}
		fc->fault_ns += wl_now_ns() - t0;
		fault_zap(run->mm, base);
		measure_qs();
	}
	if (fc->up)
		wl_cpu_stop();
	return NULL;
}

/*
 * The writer: every 1/rate s, take mmap_lock for write (its wait in v[]),
 * write-lock its own VMA (slot 1) as mprotect() would, hold, release.
 */
static uint64_t fault_writer(struct wl_mm *mm, uint64_t rate, uint64_t dur,
			     uint64_t *v, uint64_t *nv)
{
	uint64_t t0 = wl_now_ns(), next = t0;

	while (wl_now_ns() < t0 + dur) {
		uint64_t s = wl_now_ns();

		if (!rate) {
			measure_sleep_ns(t0 + dur - s);
			continue;
		}
		if (s < next) {
			measure_sleep_ns(next - s);
			continue;
		}
		next += UINT64_C(1000000000) / rate;
		mmap_write_lock(mm);
		if (*nv < FAULT_MAX_WAITS)
			v[(*nv)++] = wl_now_ns() - s;
		wl_vma_start_write(mm, 1);
		mm->vmas[1].flags ^= VM_WRITE;
		wl_delay_ns(WRITER_HOLD_NS);
		mmap_write_unlock(mm);
	}
	return wl_now_ns() - t0;
}

/* One run: a fresh mm, nr faulting CPUs, the writer for dur. */
static int fault_run_once(struct fault_run *run, uint64_t rate, uint64_t dur,
			  uint64_t *waits, uint64_t *nw, uint64_t *writer_ns)
{
	struct wl_mm *mm = run->mm;
	int ret = wl_mm_init(mm);

	if (ret)
		return ret;
	ret = wl_mmap(mm, MEASURE_BASE, FAULT_MAX_CPUS * FAULT_SLICE,
		      VM_READ | VM_WRITE);
	if (!ret)
		ret = measure_region(mm, MEASURE_WRITER_BASE, 16 * PAGE_SIZE,
				     VM_READ | VM_WRITE);
	atomic_store(&run->stop, false);
	atomic_store(&run->started, 0);
	for (unsigned int i = 0; !ret && i < run->nr; i++) {
		run->cpu[i] = (struct fault_cpu){.run = run, .idx = i};
		pthread_create(&run->cpu[i].thread, NULL, fault_cpu_main,
			       &run->cpu[i]);
	}
	/* Acquire: pairs with each faulter's release increment. */
	while (!ret && atomic_load_explicit(&run->started,
					    memory_order_acquire) < run->nr)
		measure_sleep_ns(100000);
	if (!ret)
		*writer_ns += fault_writer(mm, rate, dur, waits, nw);
	atomic_store_explicit(&run->stop, true, memory_order_relaxed);
	for (unsigned int i = 0; !ret && i < run->nr; i++) {
		pthread_join(run->cpu[i].thread, NULL);
		if (run->cpu[i].err)
			ret = run->cpu[i].err;
	}
	wl_mm_destroy(mm);
	return ret;
}

struct fault_result {
	double rate[8], faults[8], spec[8], abort[8];
	unsigned int reps;
	uint64_t waits[FAULT_MAX_WAITS], nw, writer_ns;
};

/* Run the reps of one configuration into res. */
static int fault_config(struct fault_run *run, uint64_t rate, uint64_t dur,
			unsigned int reps, struct fault_result *res)
{
	res->nw = res->writer_ns = 0;
	res->reps = reps;
	for (unsigned int r = 0; r < reps; r++) {
		struct wl_fault_stats st = {0};
		double per_cpu = 0;
		int ret = fault_run_once(run, rate, dur, res->waits, &res->nw,
					 &res->writer_ns);

		if (ret)
			return ret;
		for (unsigned int i = 0; i < run->nr; i++) {
			wl_fault_stats_add(&st, &run->cpu[i].st);
			if (run->cpu[i].fault_ns)
				per_cpu += (double)run->cpu[i].st.faults * 1e9 /
					   (double)run->cpu[i].fault_ns;
		}
		res->rate[r] = per_cpu;
		res->faults[r] = (double)st.faults;
		res->spec[r] =
			st.faults ? (double)st.speculative / (double)st.faults
				  : 0;
		res->abort[r] =
			st.attempts ? (double)st.aborts / (double)st.attempts
				    : 0;
	}
	return 0;
}

static void fault_emit(const struct wl_measure_ctx *c, struct fault_run *run,
		       uint64_t rate, struct fault_result *res)
{
	struct wl_row r;

	wl_row_init(&r, "fault", "faults_per_s", "1/s");
	snprintf(r.writer_op, sizeof(r.writer_op), "%s",
		 wl_fault_path_names[run->path]);
	r.cpus = run->nr;
	r.writer_rate = (int64_t)rate;
	measure_emit_stats(c, &r, res->rate, res->reps);
	measure_row_metric(&r, "faults", "1");
	measure_emit_stats(c, &r, res->faults, res->reps);
	measure_row_metric(&r, "speculative_ratio", "ratio");
	measure_emit_stats(c, &r, res->spec, res->reps);
	if (run->path != WL_FAULT_MMAP_LOCK) {
		measure_row_metric(&r, "abort_rate", "ratio");
		measure_emit_stats(c, &r, res->abort, res->reps);
	}
	if (!rate)
		return;
	measure_row_metric(&r, "mmap_lock_write_wait_ns", "ns");
	measure_emit_samples(c, &r, res->waits, res->nw);
	measure_row_metric(&r, "writer_ops_per_s", "1/s");
	measure_emit_value(
		c, &r, (double)res->nw * 1e9 / (double)res->writer_ns, res->nw);
}

int wl_measure_fault(const struct wl_measure_ctx *c)
{
	static const unsigned int cpus[] = {1, 2, FAULT_MAX_CPUS};
	static const uint64_t rates[] = {0, 1000, 10000};
	uint64_t dur = (c->quick ? 30 : 100) * UINT64_C(1000000);
	unsigned int reps = c->quick ? 1 : 3;
	struct fault_result *res = malloc(sizeof(*res));
	struct fault_run *run = calloc(1, sizeof(*run));
	struct wl_mm *mm = malloc(sizeof(*mm));
	int ret = res && run && mm ? 0 : -ENOMEM;

	for (int p = 0; !ret && p < WL_NR_FAULT_PATHS; p++)
		for (unsigned int i = 0; !ret && i < WL_ARRAY_SIZE(cpus); i++)
			for (unsigned int j = 0;
			     !ret && j < WL_ARRAY_SIZE(rates); j++) {
				*run = (struct fault_run){
					.mm = mm,
					.path = (enum wl_fault_path)p,
					.nr = cpus[i]};
				ret = fault_config(run, rates[j], dur, reps,
						   res);
				if (!ret)
					fault_emit(c, run, rates[j], res);
			}
	free(mm);
	free(run);
	free(res);
	return ret;
}
