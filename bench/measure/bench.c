// SPDX-License-Identifier: MIT
/*
 * bench.c - see bench.h.
 */
#include "bench.h"
#include "backend.h"
#include "check.h"
#include "gup.h"
#include "machine.h"
#include "mm.h"
#include "results.h" /* wl_stats3() */
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define REGION_BASE (UINT64_C(1) << 40) /* 1 TiB: PUD- and PMD-aligned */
#define QS_EVERY    64 /* walks between quiescent states (qsbr backends) */

const char *const wl_mapping_names[] = {"4k", "2m", "1g", NULL};

void wl_bench_params_default(struct wl_bench_params *p)
{
	memset(p, 0, sizeof(*p));
	p->mb = 64;
	p->pages_per_call = 1;
	p->repeats = 5;
	p->warmup = 1;
	p->threads = 1;
	p->mapping = WL_MAP_4K;
	p->write = true;
	p->check = false;
	p->arch = WL_ARCH_IPI;
	p->seed = 1;
	p->rep_ms = 20;
	p->sample_every = 64;
}

#define MAX_SAMPLES 16384

struct walker {
	pthread_t thread;
	const struct wl_bench_params *p;
	struct wl_mm *mm;
	pthread_barrier_t *barrier;
	struct wl_page **pages;
	struct wl_bench_pass *passes; /* warmup + repeats */
	uint64_t *samples;	      /* measured passes only */
	unsigned int nr_samples;
	int err;
};

/*
 * One pass over the region: every page pinned, in calls of n pages.  The
 * fast path is called directly (as gup_fast_fallback() does) so that a
 * sampled call times the lockless section alone; pages it leaves go to
 * the slow path.
 */
static int walk_pass(struct walker *w, uint64_t nr, uint64_t n,
		     unsigned int flags, bool sample, uint64_t *calls,
		     uint64_t *fast)
{
	const struct wl_bench_params *p = w->p;
	uint64_t done = 0;

	while (done < nr) {
		uint64_t k = WL_MIN(n, nr - done);
		uint64_t addr = REGION_BASE + (done << PAGE_SHIFT);
		unsigned long got;

		if (sample && p->sample_every && !(*calls % p->sample_every) &&
		    w->nr_samples < MAX_SAMPLES) {
			uint64_t t0 = wl_now_ns();

			got = wl_gup_fast(w->mm, addr, k, flags,
					  w->pages + done);
			w->samples[w->nr_samples++] = wl_now_ns() - t0;
		} else {
			got = wl_gup_fast(w->mm, addr, k, flags,
					  w->pages + done);
		}
		*fast += got;
		if (got < k && !(flags & FOLL_FAST_ONLY)) {
			long more = wl_gup_slow(
				w->mm, addr + (got << PAGE_SHIFT), k - got,
				flags, w->pages + done + got);

			if (more > 0)
				got += (unsigned long)more;
		}
		(*calls)++;
		if (!got)
			return -EFAULT;
		done += got;
		if (wl_backend.quiescent && !(*calls % QS_EVERY))
			wl_backend.quiescent();
	}
	return 0;
}

static void *walker_main(void *arg)
{
	struct walker *w = arg;
	const struct wl_bench_params *p = w->p;
	uint64_t nr = (p->mb << 20) >> PAGE_SHIFT;
	uint64_t n = p->pages_per_call ? p->pages_per_call : nr;
	unsigned int flags = (p->pin ? FOLL_PIN : FOLL_GET) |
			     (p->write ? FOLL_WRITE : 0) |
			     (p->fast_only ? FOLL_FAST_ONLY : 0);
	bool up = wl_cpu_start("walker") >= 0;

	if (!up)
		w->err = -EBUSY; /* still meet the others at every barrier */
	for (unsigned int r = 0; r < p->warmup + p->repeats; r++) {
		struct wl_bench_pass *ps = &w->passes[r];
		uint64_t t_end, now;

		pthread_barrier_wait(w->barrier);
		if (w->err)
			continue;
		t_end = wl_now_ns() + (uint64_t)p->rep_ms * 1000000;
		do {
			uint64_t calls = 0, fast = 0, t0, t1;
			int err;

			t0 = wl_now_ns();
			err = walk_pass(w, nr, n, flags, r >= p->warmup, &calls,
					&fast);
			t1 = wl_now_ns();
			/* Pages pinned before an error are released too. */
			wl_put_user_pages(w->pages, err ? 0 : nr, flags);
			now = wl_now_ns();
			if (err) {
				w->err = err;
				break;
			}
			ps->get_ns += t1 - t0;
			ps->put_ns += now - t1;
			ps->calls += calls;
			ps->pages += nr;
			ps->fast_pages += fast;
		} while (now < t_end);
		if (wl_backend.quiescent)
			wl_backend.quiescent();
	}
	if (up)
		wl_cpu_stop();
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* p in [0, 100] of a sorted array, nearest rank. */
double wl_percentile_u64(const uint64_t *sorted, uint64_t n, double pct)
{
	uint64_t i;

	if (!n)
		return 0;
	i = (uint64_t)(pct / 100.0 * (double)n + 0.5);
	return (double)sorted[i ? WL_MIN(i, n) - 1 : 0];
}

void wl_sample_stats(uint64_t *v, uint64_t n, double st[4])
{
	qsort(v, n, sizeof(*v), cmp_u64);
	st[0] = (double)v[0];
	st[1] = wl_percentile_u64(v, n, 50);
	st[2] = (double)v[n - 1];
	st[3] = wl_percentile_u64(v, n, 99);
}

static unsigned int map_flags(enum wl_mapping m)
{
	return VM_READ | VM_WRITE | (m == WL_MAP_2M ? VM_HUGEPAGE : 0) |
	       (m == WL_MAP_1G ? VM_HUGE_PUD : 0);
}

/* Each walker CPU's buffers; a failed allocation is its error. */
static void walkers_init(struct walker *w, const struct wl_bench_params *p,
			 struct wl_mm *mm)
{
	uint64_t nr = (p->mb << 20) >> PAGE_SHIFT;

	for (unsigned int i = 0; i < p->threads; i++) {
		w[i].p = p;
		w[i].mm = mm;
		w[i].pages = calloc(nr, sizeof(*w[i].pages));
		w[i].passes =
			calloc(p->warmup + p->repeats, sizeof(*w[i].passes));
		w[i].samples = calloc(MAX_SAMPLES, sizeof(*w[i].samples));
		if (!w[i].pages || !w[i].passes || !w[i].samples)
			w[i].err = -ENOMEM;
	}
}

/* Every pass of every walker CPU, all CPUs starting each pass together. */
static void walkers_run(struct walker *w, unsigned int threads)
{
	pthread_barrier_t barrier;
	pthread_attr_t attr;

	pthread_barrier_init(&barrier, NULL, threads);
	for (unsigned int i = 0; i < threads; i++)
		w[i].barrier = &barrier;
	wl_cpu_thread_attr(&attr);
	for (unsigned int i = 0; i < threads; i++)
		pthread_create(&w[i].thread, &attr, walker_main, &w[i]);
	pthread_attr_destroy(&attr);
	for (unsigned int i = 0; i < threads; i++)
		pthread_join(w[i].thread, NULL);
	pthread_barrier_destroy(&barrier);
}

static void walkers_free(struct walker *w, unsigned int threads)
{
	for (unsigned int i = 0; i < threads; i++) {
		free(w[i].pages);
		free(w[i].passes);
		free(w[i].samples);
	}
}

/*
 * Measured pass r of every walker CPU, summed into *sum; *max_ns is the
 * longest CPU's time.  Returns the first walker's error, else 0.
 */
static int pass_sum(const struct wl_bench_params *p, const struct walker *w,
		    unsigned int r, struct wl_bench_pass *sum, uint64_t *max_ns)
{
	int ret = 0;

	for (unsigned int i = 0; i < p->threads; i++) {
		const struct wl_bench_pass *ps = &w[i].passes[p->warmup + r];

		if (w[i].err && !ret)
			ret = w[i].err;
		sum->get_ns += ps->get_ns;
		sum->put_ns += ps->put_ns;
		sum->calls += ps->calls;
		sum->pages += ps->pages;
		sum->fast_pages += ps->fast_pages;
		*max_ns = WL_MAX(*max_ns, ps->get_ns);
	}
	return ret;
}

/*
 * The measured passes, per repetition over all walker CPUs, summarised as
 * min/median/max into s; v[] has room for 4 figures per repetition.
 * Returns the first walker's error, else 0.
 */
static int summarise_passes(const struct wl_bench_params *p,
			    const struct walker *w, double *v,
			    struct wl_bench_summary *s)
{
	double *walk = v, *page = walk + p->repeats, *put = page + p->repeats;
	double *rate = put + p->repeats, rates[3];
	uint64_t pages = 0, fast = 0;
	int ret = 0;

	for (unsigned int r = 0; r < p->repeats; r++) {
		struct wl_bench_pass sum = {0};
		uint64_t max_ns = 1;
		int err = pass_sum(p, w, r, &sum, &max_ns);

		ret = ret ? ret : err;
		walk[r] = sum.calls ? (double)sum.get_ns / sum.calls : 0;
		page[r] = sum.pages ? (double)sum.get_ns / sum.pages : 0;
		put[r] = sum.pages ? (double)sum.put_ns / sum.pages : 0;
		rate[r] = (double)sum.calls * 1e9 / (double)max_ns;
		pages += sum.pages;
		fast += sum.fast_pages;
	}
	wl_stats3(walk, p->repeats, s->walk_ns);
	wl_stats3(page, p->repeats, s->page_ns);
	wl_stats3(put, p->repeats, s->put_page_ns);
	wl_stats3(rate, p->repeats, rates);
	s->walks_per_s = rates[1];
	s->pages = pages;
	s->fast_ratio = pages ? (double)fast / (double)pages : 0;
	s->repeats = p->repeats;
	s->walks_per_s_per_cpu = s->walks_per_s / p->threads;
	return ret;
}

/* The sampled sections of every walker CPU, together. */
static void summarise_sections(const struct wl_bench_params *p,
			       const struct walker *w,
			       struct wl_bench_summary *s)
{
	uint64_t *all = calloc((size_t)p->threads * MAX_SAMPLES, sizeof(*all));
	uint64_t ns = 0;

	for (unsigned int i = 0; all && i < p->threads; i++) {
		memcpy(all + ns, w[i].samples, w[i].nr_samples * sizeof(*all));
		ns += w[i].nr_samples;
	}
	if (all && ns)
		wl_sample_stats(all, ns, s->section_ns);
	s->samples = ns;
	free(all);
}

int wl_bench_walks(const struct wl_bench_params *p, struct wl_bench_summary *s)
{
	uint64_t len = p->mb << 20;
	struct walker *w = calloc(p->threads, sizeof(*w));
	double *v = calloc(4 * (size_t)p->repeats, sizeof(*v));
	struct wl_mm mm;
	int ret;

	memset(s, 0, sizeof(*s));
	if (!w || !v) {
		ret = -ENOMEM;
		goto out_free;
	}
	wl_check_enabled = p->check;
	ret = wl_mm_init(&mm);
	if (ret)
		goto out_free;
	ret = wl_mmap(&mm, REGION_BASE, len, map_flags(p->mapping));
	if (!ret)
		ret = wl_populate(&mm, REGION_BASE, len);
	if (ret)
		goto out_mm;
	walkers_init(w, p, &mm);
	walkers_run(w, p->threads);
	ret = summarise_passes(p, w, v, s);
	summarise_sections(p, w, s);
	walkers_free(w, p->threads);
out_mm:
	wl_mm_destroy(&mm);
out_free:
	free(w);
	free(v);
	return ret;
}

/* ---- writer operations -------------------------------------------- */

static int timed(enum wl_writer_op op, struct wl_writer_summary *s,
		 uint64_t *ns, int ret, uint64_t t0)
{
	*ns += wl_now_ns() - t0;
	if (!ret || ret == -EAGAIN)
		s->ops[op]++;
	return ret == -EAGAIN ? 0 : ret;
}

/*
 * One round on 2 MiB of small folios: each op timed, in this order; the
 * split's THP is made small folios again, untimed, before the migration.
 */
static const struct bench_step {
	enum wl_writer_op op;
	unsigned int flags;
	bool timed;
} bench_round[] = {
	{WL_OP_MUNMAP, WL_OPF_REMAP | WL_OPF_REFILL, true},
	{WL_OP_DONTNEED, WL_OPF_PT_RECLAIM | WL_OPF_REFILL, true},
	{WL_OP_COLLAPSE, 0, true},
	{WL_OP_SPLIT, 0, true},
	{WL_OP_DONTNEED, WL_OPF_REFILL, false},
	{WL_OP_MIGRATE, 0, true},
	{WL_OP_MPROTECT, 0, true},
};

int wl_bench_writers(unsigned int iterations, struct wl_writer_summary *s)
{
	const uint64_t a = REGION_BASE, sz = PMD_SIZE;
	const unsigned int rw = VM_READ | VM_WRITE;
	uint64_t ns[WL_NR_OPS] = {0};
	struct wl_mm mm;
	int ret;

	memset(s, 0, sizeof(*s));
	ret = wl_mm_init(&mm);
	if (ret)
		return ret;
	/* Small folios, collapsed to a THP and split back each round. */
	ret = wl_mmap(&mm, a, sz, rw);
	if (!ret)
		ret = wl_populate(&mm, a, sz);
	for (unsigned int i = 0; i < iterations && !ret; i++) {
		for (size_t k = 0; k < WL_ARRAY_SIZE(bench_round); k++) {
			const struct bench_step *st = &bench_round[k];
			struct wl_writer_op_args args = {
				.addr = a,
				.len = sz,
				.page = i % HPAGE_PMD_NR,
				.vm_flags = rw,
				.flags = st->flags,
			};
			uint64_t t = st->timed ? wl_now_ns() : 0;

			if (!ret)
				ret = wl_writer_op_run(st->op, &mm, &args);
			if (st->timed)
				ret = timed(st->op, s, &ns[st->op], ret, t);
		}
	}
	for (int op = 0; op < WL_NR_OPS; op++)
		s->ops_per_s[op] =
			ns[op] ? (double)s->ops[op] * 1e9 / ns[op] : 0;
	wl_mm_destroy(&mm);
	return ret;
}
