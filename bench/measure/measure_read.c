// SPDX-License-Identifier: MIT
/*
 * measure_read.c - the read workload of `walklab-<id> measure`.
 *
 * bench.c's walk passes over sweeps of walker CPUs (1 to the host's PUs,
 * then twice that: oversubscribed) and of pages per call (the "limit nr
 * to bound IRQ-off latency" question of the 2013 ARM GUP-fast patch:
 * section length against batch size); and the read side's begin/end pair
 * alone, against its library's own pair where it wraps one.
 */
#include "bench.h"
#include "machine.h"
#include "measure_int.h"
#include "walk_backend.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* A read row of the configuration p; n, min, median, max still to set. */
static void read_row(struct wl_row *r, const char *metric, const char *unit,
		     const struct wl_bench_params *p)
{
	wl_row_init(r, "read", metric, unit);
	r->walk_pages = (int64_t)p->pages_per_call;
	snprintf(r->mapping, sizeof(r->mapping), "%s",
		 wl_mapping_names[p->mapping]);
	snprintf(r->foll, sizeof(r->foll), "%s", p->pin ? "pin" : "get");
	r->cpus = p->threads;
}

/* Print r, of n repetitions (or samples) summarised as st[]: min/med/max. */
static void emit_stats3(const struct wl_measure_ctx *c, struct wl_row *r,
			const double *st, uint64_t n)
{
	r->n = n;
	r->min = st[0];
	r->median = st[1];
	r->max = st[2];
	wl_measure_emit(c, r);
}

static void read_emit(const struct wl_measure_ctx *c,
		      const struct wl_bench_params *p,
		      const struct wl_bench_summary *s)
{
	struct wl_row r;

	/* Means over repetitions; single walks' percentiles: section_ns. */
	read_row(&r, "ns_per_walk", "ns", p);
	emit_stats3(c, &r, s->walk_ns, s->repeats);
	measure_row_metric(&r, "ns_per_page", "ns");
	emit_stats3(c, &r, s->page_ns, s->repeats);

	read_row(&r, "walks_per_s", "1/s", p);
	measure_emit_value(c, &r, s->walks_per_s, s->repeats);
	measure_row_metric(&r, "walks_per_s_per_cpu", "1/s");
	measure_emit_value(c, &r, s->walks_per_s_per_cpu, s->repeats);
	measure_row_metric(&r, "fast_path_ratio", "ratio");
	measure_emit_value(c, &r, s->fast_ratio, s->repeats);
	if (s->samples) {
		measure_row_metric(&r, "section_ns", "ns");
		r.p99 = s->section_ns[3];
		emit_stats3(c, &r, s->section_ns, s->samples);
	}
}

static int read_one(const struct wl_measure_ctx *c, unsigned int cpus,
		    uint64_t n, enum wl_mapping map, bool pin)
{
	struct wl_bench_params p;
	struct wl_bench_summary s;
	int ret;

	measure_qs();
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
	if (!ret)
		read_emit(c, &p, &s);
	return ret;
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
PAIR_LOOP time_reference_pair(struct wl_mm *mm, uint64_t iters)
{
	uint64_t t0 = wl_now_ns();

	for (uint64_t k = 0; k < iters; k++) {
		wl_read_reference_begin();
		wl_read_reference_end();
	}
	return (double)(wl_now_ns() - t0) / (double)iters;
}
#endif

/*
 * Does the pair compile to nothing?  Checked on the compiled code, not
 * guessed from a time: a probe function holding only the pair is looked
 * at byte by byte, and is empty when its first instruction is a return
 * (after an endbr64 or bti landing pad).  The timing loop around an empty
 * pair is the loop alone (none: a barrier() keeps it) or nothing at all
 * (rcu-qsbr: the compiler deleted it, and its "0 ns" was no figure).
 */
#define PAIR_PROBE static __wl_noinline __attribute__((noclone, used)) void

PAIR_PROBE probe_backend_pair(struct wl_mm *mm)
{
	unsigned long cookie = lockless_page_walk_begin(mm);

	lockless_page_walk_end(mm, cookie);
}

#ifdef WL_READ_REFERENCE_NAME
PAIR_PROBE probe_reference_pair(void)
{
	wl_read_reference_begin();
	wl_read_reference_end();
}
#endif

/* The loop alone, for the floor (none's loop, instruction for instruction). */
PAIR_LOOP time_empty_pair(struct wl_mm *mm, uint64_t iters)
{
	uint64_t t0 = wl_now_ns();

	for (uint64_t k = 0; k < iters; k++)
		barrier();
	return (double)(wl_now_ns() - t0) / (double)iters;
}

static bool code_is_return(const void *fn)
{
	const unsigned char *c = fn;

#if defined(__x86_64__) || defined(__i386__)
	static const unsigned char endbr[4] = {0xf3, 0x0f, 0x1e, 0xfa};

	if (!memcmp(c, endbr, sizeof(endbr)))
		c += sizeof(endbr);
	/* ret, or rep ret */
	return c[0] == 0xc3 || (c[0] == 0xf3 && c[1] == 0xc3);
#elif defined(__aarch64__)
	uint32_t insn;

	memcpy(&insn, c, sizeof(insn));
	if ((insn & 0xffffff3f) == 0xd503241f) { /* bti, any target */
		c += 4;
		memcpy(&insn, c, sizeof(insn));
	}
	return insn == 0xd65f03c0; /* ret */
#else
	return false; /* unknown: never claimed empty */
#endif
}

/* A one-CPU read row of n repetitions. */
static void emit_pair_stats(const struct wl_measure_ctx *c, const char *metric,
			    const char *unit, double *v, unsigned int n)
{
	struct wl_row r;

	wl_row_init(&r, "read", metric, unit);
	r.cpus = 1;
	measure_emit_stats(c, &r, v, n);
}

/* A one-CPU read row of one value: whether a pair compiled to nothing. */
static void emit_pair_empty(const struct wl_measure_ctx *c, const char *metric,
			    bool empty)
{
	struct wl_row r;

	wl_row_init(&r, "read", metric, "bool");
	r.cpus = 1;
	measure_emit_value(c, &r, empty, 1);
}

typedef double (*pair_loop_t)(struct wl_mm *mm, uint64_t iters);

/*
 * The backend's pair, the loop alone and, where there is one, the
 * library's pair: reps rounds, each loop once a round, the first of the
 * round rotating so that no order favours any; v[loop][rep].
 */
enum { PAIR_BACKEND, PAIR_FLOOR, PAIR_REFERENCE, NR_PAIR_LOOPS };

static void rotate(struct wl_mm *mm, unsigned int reps, uint64_t iters,
		   const pair_loop_t *loops, unsigned int n,
		   double v[][PAIR_REPS_MAX])
{
	for (unsigned int i = 0; i < reps; i++) {
		for (unsigned int j = 0; j < n; j++) {
			unsigned int k = (i + j) % n;

			v[k][i] = loops[k](mm, iters);
		}
		measure_qs();
	}
}

static int read_side_pair(const struct wl_measure_ctx *c)
{
	static const pair_loop_t loops[NR_PAIR_LOOPS] = {
		[PAIR_BACKEND] = time_backend_pair,
		[PAIR_FLOOR] = time_empty_pair,
#ifdef WL_READ_REFERENCE_NAME
		[PAIR_REFERENCE] = time_reference_pair,
#endif
	};
	const unsigned int reps = c->quick ? 3 : PAIR_REPS_MAX;
	const uint64_t iters = c->quick ? 1000000 : 3000000;
	bool empty = code_is_return((const void *)probe_backend_pair);
	double v[NR_PAIR_LOOPS][PAIR_REPS_MAX];
	struct wl_mm mm;
	int ret = wl_mm_init(&mm);

	if (ret)
		return ret;
	rotate(&mm, reps, iters, loops, loops[PAIR_REFERENCE] ? 3 : 2, v);
	wl_mm_destroy(&mm);
#ifdef WL_READ_REFERENCE_NAME
	/*
	 * The ratio of neighbours, per round, before the rows reorder v; only
	 * when neither pair is empty (a ratio of two deleted loops is noise).
	 */
	bool ref_empty = code_is_return((const void *)probe_reference_pair);
	double ratio[PAIR_REPS_MAX];

	for (unsigned int i = 0; i < reps; i++)
		ratio[i] = v[PAIR_REFERENCE][i] > 0
				   ? v[PAIR_BACKEND][i] / v[PAIR_REFERENCE][i]
				   : NAN;
#endif
	emit_pair_stats(c, "read_side_pair_ns", "ns", v[PAIR_BACKEND], reps);
	emit_pair_stats(c, "read_side_floor_ns", "ns", v[PAIR_FLOOR], reps);
	emit_pair_empty(c, "read_side_empty", empty);
#ifdef WL_READ_REFERENCE_NAME
	emit_pair_stats(c, "reference_pair_ns", "ns", v[PAIR_REFERENCE], reps);
	emit_pair_empty(c, "reference_pair_empty", ref_empty);
	if (!empty && !ref_empty)
		emit_pair_stats(c, "read_side_vs_reference", "x", ratio, reps);
#endif
	return 0;
}

#ifdef WL_PTE_TABLE_REF
/*
 * The per-table reference alone (core/backend.h 1b): try-get + put on one
 * PTE table, what a walk pays per table on top of begin+end.  One CPU, so
 * the count's line stays in its cache; walkers sharing a table bounce it
 * (the read rows with 2 and more CPUs).  Every try-get must succeed and
 * the count end where it began, or the figure is refused.
 */
static uint32_t ref_table;
static uint64_t ref_got;

PAIR_LOOP time_table_ref(struct wl_mm *mm, uint64_t iters)
{
	uint64_t t0 = wl_now_ns(), got = 0;

	for (uint64_t k = 0; k < iters; k++) {
		if (wl_pte_table_try_get(ref_table)) {
			got++;
			wl_pte_table_put(ref_table);
		}
	}
	ref_got += got;
	return (double)(wl_now_ns() - t0) / (double)iters;
}

static int table_ref_pair(const struct wl_measure_ctx *c)
{
	const unsigned int reps = c->quick ? 3 : PAIR_REPS_MAX;
	const uint64_t iters = c->quick ? 1000000 : 3000000;
	double v[PAIR_REPS_MAX];

	ref_table = wl_table_alloc(WL_PTE);
	if (ref_table == WL_TABLE_NONE)
		return -ENOMEM;
	ref_got = 0;
	for (unsigned int i = 0; i < reps; i++) {
		v[i] = time_table_ref(NULL, iters);
		measure_qs();
	}
	bool ok = ref_got == reps * iters &&
		  atomic_load(&wl_ptdesc(ref_table)->pt_refcount) == 1;

	wl_table_free(ref_table);
	if (!ok)
		return -EIO;
	emit_pair_stats(c, "read_side_table_ref_ns", "ns", v, reps);
	return 0;
}
#endif

int wl_measure_read(const struct wl_measure_ctx *c)
{
	static const uint64_t lengths[] = {1, 16, 64, 512};
	unsigned int pus = wl_host_nr_pus();
	int ret = 0;

	ret = read_side_pair(c);
#ifdef WL_PTE_TABLE_REF
	if (!ret)
		ret = table_ref_pair(c);
#endif
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
