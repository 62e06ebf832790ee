// SPDX-License-Identifier: MIT
/*
 * workload.c - the default matrix of `walklab-<id> measure`.
 *
 *  read      bench.c's walk passes over sweeps of walker CPUs (1 to the
 *            host's PUs, then twice that: oversubscribed) and of pages per
 *            call (the "limit nr to bound IRQ-off latency" question of the
 *            2013 ARM GUP-fast patch: section length against batch size).
 *  writer    one table-free (munmap of a populated 2 MiB region: zap,
 *            flush, tables through the backend) and one sync
 *            (wl_backend.sync, tlb_remove_table_sync_one's role), each
 *            timed alone, while 0, 1 or 2 CPUs walk another region.
 *  mixed     walkers against a writer that runs a mix of writer operations
 *            on the walkers' own region at a set rate; walkers finish in
 *            the slow path what the writer took away.  The deferred-free
 *            backlog is sampled every 10 ms.
 *  slowpath  walkers whose pages keep being zapped fault them back with
 *            simulated I/O, while a writer takes mmap_lock for write; with
 *            and without FAULT_FLAG_ALLOW_RETRY (seed 003).
 *
 * Latencies are exact percentiles of every sample taken (not histogram
 * buckets); means over repetitions are summarised as min/median/max.
 */
#include "workload.h"
#include "backend.h"
#include "bench.h"
#include "check.h"
#include "gup.h"
#include "machine.h"
#include "mm.h"
#include "util.h"
#include "walk_backend.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BASE	    (UINT64_C(1) << 40)
#define WRITER_BASE (BASE + (UINT64_C(2) << 30)) /* its own PUD entry */

static const char *const arch_names[] = {"ipi", "broadcast", "paravirt"};

void wl_emit(const struct wl_measure_ctx *c, struct wl_row *r)
{
	snprintf(r->backend, sizeof(r->backend), "%s", wl_backend.name);
	snprintf(r->build_options, sizeof(r->build_options), "%s",
		 wl_backend.build_options);
	snprintf(r->arch, sizeof(r->arch), "%s", arch_names[c->arch]);
	r->pinned = wl_smp_pinned();
	if (r->oversubscribed < 0)
		r->oversubscribed =
			r->cpus > 0 && (unsigned int)r->cpus > wl_host_nr_pus();
	wl_row_print_csv(c->out, r);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* A row of latencies from samples: exact min, median, max, p99. */
static void emit_samples(const struct wl_measure_ctx *c, struct wl_row *r,
			 uint64_t *v, uint64_t n)
{
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	r->n = n;
	r->min = (double)v[0];
	r->median = wl_percentile_u64(v, n, 50);
	r->max = (double)v[n - 1];
	r->p99 = wl_percentile_u64(v, n, 99);
	wl_emit(c, r);
}

static void emit_value(const struct wl_measure_ctx *c, struct wl_row *r,
		       double v, uint64_t n)
{
	r->n = n;
	r->min = r->median = r->max = v;
	r->p99 = NAN;
	wl_emit(c, r);
}

/* n repetitions (or windows) v[0..n), reordered: their min/median/max. */
static void emit_stats(const struct wl_measure_ctx *c, struct wl_row *r,
		       double *v, unsigned int n)
{
	double st[3];

	wl_stats3(v, n, st);
	r->n = n;
	r->min = st[0];
	r->median = st[1];
	r->max = st[2];
	r->p99 = NAN;
	wl_emit(c, r);
}

/* A one-CPU read row of n repetitions. */
static void emit_read_stats(const struct wl_measure_ctx *c, const char *metric,
			    const char *unit, double *v, unsigned int n)
{
	struct wl_row r;

	wl_row_init(&r, "read", metric, unit);
	r.cpus = 1;
	emit_stats(c, &r, v, n);
}

/*
 * The measuring thread is a simulated CPU too (it runs the writers); with
 * a QSBR backend it must pass through quiescent states like any CPU, or
 * grace periods (and every deferred free) wait for it.
 */
static void qs(void)
{
	if (wl_backend.quiescent)
		wl_backend.quiescent();
}

static void sleep_ns(uint64_t ns)
{
	qs();
	struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000),
			      .tv_nsec = (long)(ns % 1000000000)};

	nanosleep(&ts, NULL);
}

/* ---- read --------------------------------------------------------- */

static int read_one(const struct wl_measure_ctx *c, unsigned int cpus,
		    uint64_t n, enum wl_mapping map, bool pin)
{
	static const char *const maps[] = {"4k", "2m", "1g"};
	struct wl_bench_params p;
	struct wl_bench_summary s;
	struct wl_row r;
	int ret;

	qs();
	wl_bench_params_default(&p);
	p.mb = c->quick ? 4 : 16;
	p.pages_per_call = n;
	p.threads = cpus;
	p.mapping = map;
	p.pin = pin;
	p.arch = c->arch;
	p.repeats = c->quick ? 3 : 5;
	p.rep_ms = c->quick ? 5 : 20;
	ret = wl_bench_walks(&p, &s);
	if (ret)
		return ret;

	wl_row_init(&r, "read", "ns_per_walk", "ns");
	r.walk_pages = (int64_t)n;
	snprintf(r.mapping, sizeof(r.mapping), "%s", maps[map]);
	snprintf(r.foll, sizeof(r.foll), "%s", pin ? "pin" : "get");
	r.cpus = cpus;
	r.n = s.repeats;
	r.min = s.walk_ns[0];
	r.median = s.walk_ns[1];
	r.max = s.walk_ns[2];
	wl_emit(c, &r); /* percentiles of single walks: section_ns */

	snprintf(r.metric, sizeof(r.metric), "ns_per_page");
	r.min = s.page_ns[0];
	r.median = s.page_ns[1];
	r.max = s.page_ns[2];
	wl_emit(c, &r);

	wl_row_init(&r, "read", "walks_per_s", "1/s");
	r.walk_pages = (int64_t)n;
	snprintf(r.mapping, sizeof(r.mapping), "%s", maps[map]);
	snprintf(r.foll, sizeof(r.foll), "%s", pin ? "pin" : "get");
	r.cpus = cpus;
	emit_value(c, &r, s.walks_per_s, s.repeats);
	snprintf(r.metric, sizeof(r.metric), "walks_per_s_per_cpu");
	emit_value(c, &r, s.walks_per_s_per_cpu, s.repeats);
	snprintf(r.metric, sizeof(r.metric), "fast_path_ratio");
	snprintf(r.unit, sizeof(r.unit), "ratio");
	emit_value(c, &r, s.fast_ratio, s.repeats);
	if (s.samples) {
		snprintf(r.metric, sizeof(r.metric), "section_ns");
		snprintf(r.unit, sizeof(r.unit), "ns");
		r.n = s.samples;
		r.min = s.section_ns[0];
		r.median = s.section_ns[1];
		r.max = s.section_ns[2];
		r.p99 = s.section_ns[3];
		wl_emit(c, &r);
	}
	return 0;
}

/*
 * The read side alone: lockless_page_walk_begin() + end() around nothing,
 * inlined from this backend's walk_backend.h, in a tight loop on one CPU,
 * as the calibration times liburcu's own read-lock pair.  What a walk of
 * any length pays for its protection, free of the walk's own noise.
 *
 * A backend whose read side wraps a library primitive names it in
 * walk_backend.h (WL_READ_REFERENCE_NAME, wl_read_reference_begin/end());
 * the primitive's own pair is then timed in the same process, loop and
 * CPU, repetitions alternating with the backend's, so that the wrapping's
 * cost is a ratio of neighbours rather than of two programs' runs
 * (reference_pair_ns, and read_side_vs_reference: the median of the
 * per-repetition ratios, min and max of them).
 *
 * Both loops are out of line and start on a 64-byte boundary: the two
 * compile to the same instructions, and left where the linker put them
 * their ratio was 0.73-0.96x in one build and 1.21-1.36x in the next
 * (fetch and branch-predictor placement, not the code).  Aligned alike,
 * it is 0.996-1.010x.
 */
#define PAIR_REPS_MAX 9
#define PAIR_LOOP     static __wl_noinline __attribute__((aligned(64))) double

PAIR_LOOP time_backend_pair(struct wl_mm *mm, uint64_t iters)
{
	uint64_t t0 = wl_now_ns();

	for (uint64_t k = 0; k < iters; k++) {
		unsigned long cookie = lockless_page_walk_begin(mm);

		lockless_page_walk_end(mm, cookie);
	}
	return (double)(wl_now_ns() - t0) / (double)iters;
}

#ifdef WL_READ_REFERENCE_NAME
PAIR_LOOP time_reference_pair(uint64_t iters)
{
	uint64_t t0 = wl_now_ns();

	for (uint64_t k = 0; k < iters; k++) {
		wl_read_reference_begin();
		wl_read_reference_end();
	}
	return (double)(wl_now_ns() - t0) / (double)iters;
}
#endif

static int read_side_pair(const struct wl_measure_ctx *c)
{
	const unsigned int reps = c->quick ? 3 : PAIR_REPS_MAX;
	const uint64_t iters = c->quick ? 1000000 : 5000000;
	double ns[PAIR_REPS_MAX];
	struct wl_mm mm;
	int ret = wl_mm_init(&mm);

	if (ret)
		return ret;
#ifdef WL_READ_REFERENCE_NAME
	double ref[PAIR_REPS_MAX], ratio[PAIR_REPS_MAX];

	for (unsigned int i = 0; i < reps; i++) {
		/* Alternate which goes first: no order favours either. */
		if (i & 1) {
			ref[i] = time_reference_pair(iters);
			ns[i] = time_backend_pair(&mm, iters);
		} else {
			ns[i] = time_backend_pair(&mm, iters);
			ref[i] = time_reference_pair(iters);
		}
		ratio[i] = ref[i] > 0 ? ns[i] / ref[i] : NAN;
		qs();
	}
#else
	for (unsigned int i = 0; i < reps; i++) {
		ns[i] = time_backend_pair(&mm, iters);
		qs();
	}
#endif
	wl_mm_destroy(&mm);
	emit_read_stats(c, "read_side_pair_ns", "ns", ns, reps);
#ifdef WL_READ_REFERENCE_NAME
	emit_read_stats(c, "reference_pair_ns", "ns", ref, reps);
	emit_read_stats(c, "read_side_vs_reference", "x", ratio, reps);
#endif
	return 0;
}

int wl_workload_read(const struct wl_measure_ctx *c)
{
	static const uint64_t lengths[] = {1, 16, 64, 512};
	unsigned int pus = wl_host_nr_pus();
	int ret = 0;

	ret = read_side_pair(c);
	/* Walk length and batch size, one CPU. */
	for (unsigned int i = 0; i < WL_ARRAY_SIZE(lengths) && !ret; i++)
		ret = read_one(c, 1, lengths[i], WL_MAP_4K, false);
	if (!ret)
		ret = read_one(c, 1, 512, WL_MAP_2M, false);
	if (!ret)
		ret = read_one(c, 1, 16, WL_MAP_4K, true);
	/* CPUs: 2 .. the host's PUs, then oversubscribed. */
	for (unsigned int n = 2; n <= c->max_cpus && !ret; n++)
		if (n <= pus || n == c->max_cpus)
			ret = read_one(c, n, 16, WL_MAP_4K, false);
	return ret;
}

/* ---- a pool of walking CPUs --------------------------------------- */

struct pool {
	struct wl_mm *mm;
	uint64_t base, len; /* the region they walk */
	uint64_t pages;	    /* per walk */
	unsigned int flags;
	bool zap_first; /* slowpath: DONTNEED before each walk */
	unsigned int nr;
	pthread_t thread[WL_NR_CPUS];
	_Atomic bool stop;
	_Atomic unsigned int started;
	_Atomic uint64_t walks, pages_done, fast_pages;
	/* Walks so far, every 64 (relaxed: a sampled statistic). */
	_Atomic uint64_t live_walks;
	int err;
};

static void *pool_walker(void *arg)
{
	struct pool *p = arg;
	uint64_t walks = 0, pages_done = 0, fast = 0;
	uint64_t slots = p->len / (p->pages << PAGE_SHIFT);
	struct wl_page **pages = calloc(p->pages, sizeof(*pages));
	bool up = wl_cpu_start("walker") >= 0;

	if (!up || !pages)
		p->err = -ENOMEM;
	wl_random_seed(wl_check_seed + (uint64_t)smp_processor_id() * 7919);
	/* Release: our start happens before the waiter's acquire load. */
	atomic_fetch_add_explicit(&p->started, 1, memory_order_release);
	while (up && pages &&
	       !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		uint64_t a = p->base +
			     (wl_random() % slots) * (p->pages << PAGE_SHIFT);
		unsigned long got, nr_fast;

		if (p->zap_first)
			wl_madvise_dontneed(p->mm, a, p->pages << PAGE_SHIFT,
					    false);
		long ret = wl_gup_fast_fallback(p->mm, a, p->pages, p->flags,
						pages, &nr_fast);

		got = ret > 0 ? (unsigned long)ret : 0;
		fast += nr_fast;
		wl_put_user_pages(pages, got, p->flags);
		pages_done += got;
		if (!(++walks % 64)) {
			atomic_fetch_add_explicit(&p->live_walks, 64,
						  memory_order_relaxed);
			if (wl_backend.quiescent)
				wl_backend.quiescent();
		}
	}
	atomic_fetch_add(&p->walks, walks);
	atomic_fetch_add(&p->pages_done, pages_done);
	atomic_fetch_add(&p->fast_pages, fast);
	free(pages);
	if (up)
		wl_cpu_stop();
	return NULL;
}

static void pool_start(struct pool *p)
{
	atomic_store(&p->stop, false);
	atomic_store(&p->started, 0);
	atomic_store(&p->walks, 0);
	atomic_store(&p->pages_done, 0);
	atomic_store(&p->fast_pages, 0);
	for (unsigned int i = 0; i < p->nr; i++)
		pthread_create(&p->thread[i], NULL, pool_walker, p);
	/* Acquire: pairs with each walker's release increment. */
	while (atomic_load_explicit(&p->started, memory_order_acquire) < p->nr)
		sleep_ns(100000);
}

static void pool_stop(struct pool *p)
{
	atomic_store_explicit(&p->stop, true, memory_order_relaxed);
	for (unsigned int i = 0; i < p->nr; i++)
		pthread_join(p->thread[i], NULL);
}

static int region(struct wl_mm *mm, uint64_t base, uint64_t len,
		  unsigned int flags)
{
	int ret = wl_mmap(mm, base, len, flags);

	return ret ? ret : wl_populate(mm, base, len);
}

/* ---- writer ------------------------------------------------------- */

static void emit_writer(const struct wl_measure_ctx *c, const char *op,
			const char *metric, unsigned int walkers, uint64_t *v,
			uint64_t n, double ipis, double gps)
{
	struct wl_row r;

	wl_row_init(&r, "writer", metric, "ns");
	snprintf(r.writer_op, sizeof(r.writer_op), "%s", op);
	r.cpus = walkers;
	emit_samples(c, &r, v, n);
	wl_row_init(&r, "writer", "ipis_per_op", "1");
	snprintf(r.writer_op, sizeof(r.writer_op), "%s", op);
	r.cpus = walkers;
	emit_value(c, &r, ipis, n);
	snprintf(r.metric, sizeof(r.metric), "grace_periods_per_op");
	emit_value(c, &r, gps, n);
}

static int writer_one(const struct wl_measure_ctx *c, unsigned int walkers)
{
	unsigned int ops = c->quick ? 40 : 100;
	uint64_t *free_ns = calloc(ops, sizeof(*free_ns));
	uint64_t *sync_ns = calloc(ops, sizeof(*sync_ns));
	struct wl_ipi_stats i0, i1, i2;
	struct wl_backend_stats b0, b1, b2;
	struct pool p = {0};
	struct wl_mm mm;
	int ret;

	if (!free_ns || !sync_ns) {
		free(free_ns);
		free(sync_ns);
		return -ENOMEM;
	}
	ret = wl_mm_init(&mm);
	if (ret)
		goto out_free;
	ret = region(&mm, BASE, 8 << 20, VM_READ | VM_WRITE);
	if (ret)
		goto out;
	p.mm = &mm;
	p.base = BASE;
	p.len = 8 << 20;
	p.pages = 16;
	p.flags = FOLL_GET | FOLL_WRITE;
	p.nr = walkers;
	pool_start(&p);
	wl_ipi_stats(&i0);
	wl_backend.stats(&b0);
	for (unsigned int i = 0; i < ops && !ret; i++) {
		uint64_t t0;

		ret = region(&mm, WRITER_BASE, PMD_SIZE, VM_READ | VM_WRITE);
		t0 = wl_now_ns();
		if (!ret)
			ret = wl_munmap(&mm, WRITER_BASE, PMD_SIZE);
		free_ns[i] = wl_now_ns() - t0;
		qs();
	}
	wl_ipi_stats(&i1);
	wl_backend.stats(&b1);
	for (unsigned int i = 0; i < ops && !ret; i++) {
		uint64_t t0 = wl_now_ns();

		wl_backend.sync(&mm);
		sync_ns[i] = wl_now_ns() - t0;
		qs();
	}
	wl_ipi_stats(&i2);
	wl_backend.stats(&b2);
	pool_stop(&p);
	if (!ret && p.err)
		ret = p.err;
	if (!ret) {
		emit_writer(c, "free", "free_ns", walkers, free_ns, ops,
			    (double)(i1.sent - i0.sent) / ops,
			    (double)(b1.grace_periods - b0.grace_periods) /
				    ops);
		emit_writer(c, "sync", "sync_ns", walkers, sync_ns, ops,
			    (double)(i2.sent - i1.sent) / ops,
			    (double)(b2.grace_periods - b1.grace_periods) /
				    ops);
	}
out:
	wl_mm_destroy(&mm);
out_free:
	free(free_ns);
	free(sync_ns);
	return ret;
}

int wl_workload_writer(const struct wl_measure_ctx *c)
{
	int ret = 0;

	for (unsigned int w = 0; w <= 2 && !ret; w++)
		ret = writer_one(c, w);
	return ret;
}

/* ---- mixed -------------------------------------------------------- */

#define MIXED_CHUNKS 16

/* The writer's rotation: op i is mixed_ops[i % 6]. */
static const enum wl_writer_op mixed_ops[] = {
	WL_OP_MUNMAP,	WL_OP_DONTNEED, WL_OP_MIGRATE,
	WL_OP_MPROTECT, WL_OP_COLLAPSE, WL_OP_SPLIT,
};

/*
 * Writer op i on chunk a (2 MiB) of the walkers' region; nothing is
 * faulted back in (munmap maps the chunk again, empty).
 */
static int mixed_op(struct wl_mm *mm, unsigned int i, uint64_t a)
{
	const struct wl_writer_op_args args = {
		.addr = a,
		.len = PMD_SIZE,
		.page = i % HPAGE_PMD_NR,
		.vm_flags = VM_READ | VM_WRITE,
		.flags = WL_OPF_REMAP | WL_OPF_PT_RECLAIM,
	};

	return wl_writer_op_run(mixed_ops[i % WL_ARRAY_SIZE(mixed_ops)], mm,
				&args);
}

static int mixed_one(const struct wl_measure_ctx *c, uint64_t rate,
		     unsigned int walkers)
{
	uint64_t dur = (c->quick ? 150 : 300) * UINT64_C(1000000);
	uint64_t max_ops = rate * dur / 1000000000 + 1;
	uint64_t *lat = calloc(max_ops, sizeof(*lat));
	uint64_t backlog[128], nb = 0, ops = 0;
	/* Walk rate per 10 ms window, from the samples' walk counts. */
	double wrate[WL_ARRAY_SIZE(backlog)];
	uint64_t prev_walks = 0, prev_t = 0, nw = 0;
	struct wl_ipi_stats i0, i1;
	struct pool p = {0};
	struct wl_row r;
	struct wl_mm mm;
	int ret;

	if (!lat)
		return -ENOMEM;
	ret = wl_mm_init(&mm);
	if (ret)
		goto out_free;
	ret = region(&mm, BASE, MIXED_CHUNKS * PMD_SIZE, VM_READ | VM_WRITE);
	if (ret)
		goto out;
	p.mm = &mm;
	p.base = BASE;
	p.len = MIXED_CHUNKS * PMD_SIZE;
	p.pages = 16;
	p.flags = FOLL_GET | FOLL_WRITE;
	p.nr = walkers;
	atomic_store(&wl_tables.deferred_peak,
		     atomic_load(&wl_tables.deferred));
	wl_ipi_stats(&i0);
	pool_start(&p);

	uint64_t t0 = wl_now_ns(), next_sample = t0, now;

	while ((now = wl_now_ns()) < t0 + dur) {
		if (now >= next_sample && nb < WL_ARRAY_SIZE(backlog)) {
			uint64_t w = atomic_load_explicit(&p.live_walks,
							  memory_order_relaxed);

			backlog[nb++] = (uint64_t)atomic_load_explicit(
				&wl_tables.deferred, memory_order_relaxed);
			if (prev_t && now > prev_t)
				wrate[nw++] = (double)(w - prev_walks) * 1e9 /
					      (double)(now - prev_t);
			prev_walks = w;
			prev_t = now;
			next_sample += 10000000;
		}
		if (!rate) {
			sleep_ns(1000000); /* walkers alone: just sample */
			continue;
		}
		uint64_t due = t0 + ops * 1000000000 / rate;

		if (now < due) {
			sleep_ns(WL_MIN(due - now, next_sample > now
							   ? next_sample - now
							   : 1000));
			continue;
		}
		uint64_t s = wl_now_ns();
		int err = mixed_op(&mm, (unsigned int)ops,
				   BASE + (ops % MIXED_CHUNKS) * PMD_SIZE);

		if (err && err != -EAGAIN && err != -EINVAL && err != -ENOENT) {
			ret = err;
			break;
		}
		if (ops < max_ops)
			lat[ops] = wl_now_ns() - s;
		ops++;
		qs();
	}
	uint64_t elapsed = wl_now_ns() - t0;

	pool_stop(&p);
	wl_ipi_stats(&i1);
	if (!ret && p.err)
		ret = p.err;
	if (ret)
		goto out;

	wl_row_init(&r, "mixed", "walks_per_s", "1/s");
	r.cpus = walkers;
	r.writer_rate = (int64_t)rate;
	r.walk_pages = 16;
	/*
	 * Median over the 10 ms windows, with the slowest and fastest: one
	 * figure for the whole run swung 10x between runs at the highest
	 * rate, where walkers fall into the slow path behind the writer in
	 * bursts.
	 */
	if (nw) {
		emit_stats(c, &r, wrate, (unsigned int)nw);
	} else {
		emit_value(c, &r, (double)p.walks * 1e9 / (double)elapsed,
			   p.walks);
	}
	snprintf(r.metric, sizeof(r.metric), "fast_path_ratio");
	snprintf(r.unit, sizeof(r.unit), "ratio");
	emit_value(c, &r,
		   p.pages_done ? (double)p.fast_pages / (double)p.pages_done
				: 0,
		   p.walks);
	snprintf(r.metric, sizeof(r.metric), "writer_ops_per_s");
	snprintf(r.unit, sizeof(r.unit), "1/s");
	emit_value(c, &r, (double)ops * 1e9 / (double)elapsed, ops);
	snprintf(r.metric, sizeof(r.metric), "ipis_per_op");
	snprintf(r.unit, sizeof(r.unit), "1");
	if (ops)
		emit_value(c, &r, (double)(i1.sent - i0.sent) / (double)ops,
			   ops);
	snprintf(r.metric, sizeof(r.metric), "backlog_peak_tables");
	snprintf(r.unit, sizeof(r.unit), "tables");
	int64_t peak = atomic_load(&wl_tables.deferred_peak);

	emit_value(c, &r, (double)peak, nb);
	snprintf(r.metric, sizeof(r.metric), "backlog_peak_bytes");
	snprintf(r.unit, sizeof(r.unit), "bytes");
	emit_value(c, &r, (double)peak * (double)PAGE_SIZE, nb);
	if (ops) {
		snprintf(r.metric, sizeof(r.metric), "writer_op_ns");
		snprintf(r.unit, sizeof(r.unit), "ns");
		snprintf(r.writer_op, sizeof(r.writer_op), "mix");
		emit_samples(c, &r, lat, WL_MIN(ops, max_ops));
	}
	for (uint64_t i = 0; i < nb; i++) {
		wl_row_init(&r, "mixed", "backlog_tables", "tables");
		r.cpus = walkers;
		r.writer_rate = (int64_t)rate;
		r.t_ms = (int64_t)(i * 10);
		emit_value(c, &r, (double)backlog[i], 1);
	}
out:
	wl_mm_destroy(&mm);
out_free:
	free(lat);
	return ret;
}

int wl_workload_mixed(const struct wl_measure_ctx *c)
{
	static const uint64_t rates[] = {0, 1000, 10000};
	int ret = 0;

	for (unsigned int i = 0; i < WL_ARRAY_SIZE(rates) && !ret; i++)
		ret = mixed_one(c, rates[i], 1);
	return ret;
}

/* ---- slowpath ----------------------------------------------------- */

static int slowpath_one(const struct wl_measure_ctx *c, bool allow_retry)
{
	uint64_t dur = (c->quick ? 150 : 300) * UINT64_C(1000000);
	uint64_t waits[4096], nw = 0;
	struct pool p = {0};
	struct wl_row r;
	struct wl_mm mm;
	int ret;

	ret = wl_mm_init(&mm);
	if (ret)
		return ret;
	ret = region(&mm, BASE, 4 << 20, VM_READ | VM_WRITE);
	if (ret)
		goto out;
	atomic_store(&wl_fault_io_ns, 50000); /* 50 us per fault */
	p.mm = &mm;
	p.base = BASE;
	p.len = 4 << 20;
	p.pages = 16;
	p.flags = FOLL_GET | FOLL_WRITE | (allow_retry ? FOLL_UNLOCKABLE : 0);
	p.zap_first = true;
	p.nr = 1;
	pool_start(&p);

	uint64_t t0 = wl_now_ns();

	while (wl_now_ns() < t0 + dur && nw < WL_ARRAY_SIZE(waits)) {
		uint64_t s = wl_now_ns();

		mmap_write_lock(&mm);
		waits[nw++] = wl_now_ns() - s;
		wl_delay_ns(5000);
		mmap_write_unlock(&mm);
		sleep_ns(500000);
	}
	uint64_t elapsed = wl_now_ns() - t0;

	pool_stop(&p);
	atomic_store(&wl_fault_io_ns, 0);
	wl_row_init(&r, "slowpath", "mmap_lock_write_wait_ns", "ns");
	r.cpus = 1;
	r.allow_retry = allow_retry;
	r.walk_pages = 16;
	emit_samples(c, &r, waits, nw);
	snprintf(r.metric, sizeof(r.metric), "walks_per_s");
	snprintf(r.unit, sizeof(r.unit), "1/s");
	emit_value(c, &r, (double)p.walks * 1e9 / (double)elapsed, p.walks);
out:
	wl_mm_destroy(&mm);
	return ret;
}

int wl_workload_slowpath(const struct wl_measure_ctx *c)
{
	int ret = slowpath_one(c, false);

	return ret ? ret : slowpath_one(c, true);
}
