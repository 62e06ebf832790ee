// SPDX-License-Identifier: MIT
/*
 * measure_tracking.c - the tracking workload of `walklab-<id> measure`:
 * what the targeted sync's per-CPU active-walk pointer costs the read
 * side (lockless_walk_helpers-targeted only; other configurations have
 * no such pointer and print nothing).
 *
 * The shape the v4 series' poster measured: FOLL_PIN of 8 pages per call,
 * from as many walker CPUs as the host has PUs.  Three variants, paired
 * in this one process as the read workload pairs a backend with its
 * library (measure_read.c):
 *
 *   today     no publication (publish=none): what the today
 *             configuration's walker does, plus the run-time test of the
 *             publish option that every variant here pays alike;
 *   store_mb  WRITE_ONCE() + smp_mb() at begin, smp_store_release(NULL)
 *             at end (as posted);
 *   xchg      xchg() at begin, the same end (Peter Zijlstra's suggestion).
 *
 * Rows (workload "tracking"; VARIANT is today, store_mb or xchg):
 *   VARIANT_pair_ns           begin+end around nothing, one CPU, inlined
 *                             with the variant fixed at compile time (no
 *                             option test; today's is the today
 *                             configuration's local_irq_save/restore
 *                             exactly); floor_pair_ns, the loop alone;
 *   VARIANT_walk_ns           ns per 8-page FOLL_PIN call, fast path, on
 *                             cpus walker CPUs (the median of each
 *                             round's per-call mean);
 *   VARIANT_walk_overhead_pct (VARIANT_walk - today_walk) / today_walk,
 *                             per round of the three, min/median/max;
 *   VARIANT_pair_pct_of_walk  (VARIANT_pair - today_pair) / today_walk;
 * and, when run under callgrind (scripts/walklab-tracking-cost), instead
 * of the timings, counts of instructions that do not move with the
 * host's noise:
 *   VARIANT_pair_instr        instructions per begin+end, the loop's
 *                             own (floor_pair_instr) subtracted;
 *   VARIANT_walk_instr        instructions per 8-page gup_fast() call of
 *                             one CPU, net of the collection toggles
 *                             around it (floor_walk_instr);
 *   VARIANT_instr_overhead_pct  VARIANT_walk_instr against
 *                             today_walk_instr, in %.
 */
#include "backend.h"
#include "bench.h"
#include "machine.h"
#include "measure_int.h"
#include "walk_backend.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef WL_HELPERS_TARGETED
int wl_measure_tracking(const struct wl_measure_ctx *c)
{
	(void)c;
	return 0; /* no active-walk pointer to measure */
}
#else

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define TRACK_CALLGRIND 1
#endif

#define TRACK_PAGES 8 /* pages per call, as the poster's gup_test */
#define TRACK_REPS  9
enum { TR_TODAY, TR_STORE_MB, TR_XCHG, TR_NR };
static const char *const tr_names[TR_NR] = {"today", "store_mb", "xchg"};
/* The publish= option of each variant (walk_backend.h). */
static const char *const tr_publish[TR_NR] = {"none", "store_mb", "xchg"};

/*
 * begin+end with the publication fixed at compile time.  Out of line and
 * 64-byte aligned, as measure_read.c's loops, for the same reason.
 */
#define TRACK_LOOP  static __wl_noinline __attribute__((aligned(64))) double

static __wl_always_inline void pair_once(struct wl_mm *mm, int how)
{
	unsigned long cookie;

	if (how == WL_PUBLISH_NONE) {
		/* today's pair (walk_backend.h), exactly */
		local_irq_restore(local_irq_save());
		return;
	}
	cookie = targeted_begin(mm, local_irq_save(), how);
	targeted_end(cookie);
	local_irq_restore(cookie & ~WL_TARGETED_PUBLISHED);
}

/* One loop per variant, the publication a constant in each. */
#define TRACK_PAIR_LOOP(name, how)                                             \
	TRACK_LOOP name(struct wl_mm *mm, uint64_t iters)                      \
	{                                                                      \
		uint64_t t0 = wl_now_ns();                                     \
                                                                               \
		for (uint64_t k = 0; k < iters; k++)                           \
			pair_once(mm, how);                                    \
		return (double)(wl_now_ns() - t0) / (double)iters;             \
	}

TRACK_PAIR_LOOP(pair_today, WL_PUBLISH_NONE)
TRACK_PAIR_LOOP(pair_store_mb, WL_PUBLISH_STORE_MB)
TRACK_PAIR_LOOP(pair_xchg, WL_PUBLISH_XCHG)

TRACK_LOOP pair_floor(struct wl_mm *mm, uint64_t iters)
{
	uint64_t t0 = wl_now_ns();

	for (uint64_t k = 0; k < iters; k++)
		barrier();
	return (double)(wl_now_ns() - t0) / (double)iters;
}

typedef double (*track_loop_t)(struct wl_mm *mm, uint64_t iters);
/* Indexed by variant; the floor last. */
static const track_loop_t pair_loops[TR_NR + 1] = {pair_today, pair_store_mb,
						   pair_xchg, pair_floor};

static void set_publish(int v)
{
	if (wl_backend.set_option("publish", tr_publish[v]))
		abort(); /* the names are this backend's own */
}

/*
 * Did the option take?  One section of the walker's own begin/end: the
 * pointer is the mm inside exactly when the variant publishes.  A wrong
 * answer would make every figure here a comparison of equals.
 */
static int check_publish(struct wl_mm *mm, int v)
{
	int cpu = smp_processor_id();
	unsigned long cookie;
	bool seen;

	set_publish(v);
	cookie = lockless_page_walk_begin(mm);
	seen = atomic_load_explicit(&wl_active_walk_mm[cpu].mm,
				    memory_order_relaxed) == mm;
	lockless_page_walk_end(mm, cookie);
	if (cpu < 0 || seen != (v != TR_TODAY) ||
	    atomic_load_explicit(&wl_active_walk_mm[cpu].mm,
				 memory_order_relaxed)) {
		fprintf(stderr, "walklab: tracking: publish=%s did not %s\n",
			tr_publish[v], v == TR_TODAY ? "stay off" : "publish");
		return -EINVAL;
	}
	return 0;
}

/* A tracking row; cpus and the walk's shape where they apply. */
static void track_row(struct wl_row *r, const char *variant, const char *what,
		      const char *unit, int64_t cpus, bool walk)
{
	char metric[sizeof(r->metric)];

	snprintf(metric, sizeof(metric), "%s_%s", variant, what);
	wl_row_init(r, "tracking", metric, unit);
	r->cpus = cpus;
	if (walk) {
		r->walk_pages = TRACK_PAGES;
		snprintf(r->mapping, sizeof(r->mapping), "4k");
		snprintf(r->foll, sizeof(r->foll), "pin");
	}
}

static void emit_track(const struct wl_measure_ctx *c, const char *variant,
		       const char *what, const char *unit, int64_t cpus,
		       bool walk, double *v, unsigned int n)
{
	struct wl_row r;

	track_row(&r, variant, what, unit, cpus, walk);
	measure_emit_stats(c, &r, v, n);
}

/* One round's mean ns per 8-page call of variant v, on cpus CPUs. */
static int walk_round(const struct wl_measure_ctx *c, unsigned int cpus, int v,
		      double *ns)
{
	struct wl_bench_params p;
	struct wl_bench_summary s;
	int ret;

	measure_qs();
	set_publish(v);
	wl_bench_params_default(&p);
	p.mb = c->quick ? 2 : 8;
	p.pages_per_call = TRACK_PAGES;
	p.threads = cpus;
	p.mapping = WL_MAP_4K;
	p.pin = true;
	p.fast_only = true;
	p.arch = c->arch;
	p.repeats = 1;
	p.rep_ms = c->quick ? 5 : 30;
	ret = wl_bench_walks(&p, &s);
	*ns = s.walk_ns[1];
	return ret;
}

/* Rounds of the three variants, each round in a rotated order. */
struct track_times {
	double pair[TR_NR + 1][TRACK_REPS];
	double walk[TR_NR][TRACK_REPS];
};

static int track_rounds(const struct wl_measure_ctx *c, struct wl_mm *mm,
			unsigned int cpus, unsigned int reps,
			struct track_times *t)
{
	const uint64_t iters = c->quick ? 200000 : 2000000;
	int ret = 0;

	for (unsigned int i = 0; i < reps && !ret; i++) {
		for (unsigned int j = 0; j <= TR_NR; j++) {
			unsigned int k = (i + j) % (TR_NR + 1);

			t->pair[k][i] = pair_loops[k](mm, iters);
		}
		for (unsigned int j = 0; j < TR_NR && !ret; j++) {
			unsigned int k = (i + j) % TR_NR;

			ret = walk_round(c, cpus, (int)k, &t->walk[k][i]);
		}
	}
	set_publish(TR_STORE_MB); /* the default again */
	return ret;
}

static void emit_times(const struct wl_measure_ctx *c, unsigned int cpus,
		       unsigned int reps, struct track_times *t)
{
	double ovh[TR_NR][TRACK_REPS], pct[TR_NR][TRACK_REPS];

	/* The paired ratios first: the rows below reorder t. */
	for (int v = TR_STORE_MB; v < TR_NR; v++) {
		for (unsigned int i = 0; i < reps; i++) {
			double today = t->walk[TR_TODAY][i];

			ovh[v][i] = 100.0 * (t->walk[v][i] - today) / today;
			pct[v][i] = 100.0 *
				    (t->pair[v][i] - t->pair[TR_TODAY][i]) /
				    today;
		}
	}
	for (int v = 0; v < TR_NR; v++) {
		emit_track(c, tr_names[v], "pair_ns", "ns", 1, false,
			   t->pair[v], reps);
		emit_track(c, tr_names[v], "walk_ns", "ns", cpus, true,
			   t->walk[v], reps);
	}
	emit_track(c, "floor", "pair_ns", "ns", 1, false, t->pair[TR_NR], reps);
	for (int v = TR_STORE_MB; v < TR_NR; v++) {
		emit_track(c, tr_names[v], "walk_overhead_pct", "%", cpus, true,
			   ovh[v], reps);
		emit_track(c, tr_names[v], "pair_pct_of_walk", "%", cpus, true,
			   pct[v], reps);
	}
}

static int track_timings(const struct wl_measure_ctx *c, struct wl_mm *mm)
{
	unsigned int cpus = WL_MIN(wl_host_nr_pus(), WL_NR_CPUS - 2);
	unsigned int reps = c->quick ? 3 : TRACK_REPS;
	struct track_times t;
	int ret = track_rounds(c, mm, cpus, reps, &t);

	if (!ret)
		emit_times(c, cpus, reps, &t);
	return ret;
}

#ifdef TRACK_CALLGRIND
/*
 * Instruction counts: run under
 *   valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=F
 * with WALKLAB_CALLGRIND_OUT=F in the environment (the script does both).
 * Each measured loop is collected alone (CALLGRIND_TOGGLE_COLLECT around
 * it, the counts zeroed before), dumped under its name, and its file,
 * F.<n> for the n-th dump, read back here.
 */
#define TRACK_CG_ENV "WALKLAB_CALLGRIND_OUT"

static bool track_under_callgrind(void)
{
	return RUNNING_ON_VALGRIND && getenv(TRACK_CG_ENV);
}

static unsigned int cg_dumps; /* dumps so far: the next file's suffix */

/* Dump what was collected as name; *instr := its instruction count. */
static int cg_dump(const char *name, double *instr)
{
	char path[4096], line[512], want[128];
	bool named = false;
	double ir = NAN;
	FILE *f;

	CALLGRIND_DUMP_STATS_AT(name);
	snprintf(path, sizeof(path), "%s.%u", getenv(TRACK_CG_ENV), ++cg_dumps);
	snprintf(want, sizeof(want), "desc: Trigger: Client Request: %s\n",
		 name);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "walklab: tracking: %s: %s\n", path,
			strerror(errno));
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!strcmp(line, want))
			named = true;
		else if (!strncmp(line, "totals: ", 8))
			ir = strtod(line + 8, NULL);
	}
	fclose(f);
	if (!named || !(ir > 0)) {
		fprintf(stderr, "walklab: tracking: %s is not the dump of %s\n",
			path, name);
		return -EINVAL;
	}
	*instr = ir;
	return 0;
}

/* Instructions of one pair loop of iters, collected alone. */
static int cg_pair(struct wl_mm *mm, int loop, uint64_t iters, double *ir)
{
	char name[64];

	snprintf(name, sizeof(name), "tracking-pair-%s",
		 loop < TR_NR ? tr_names[loop] : "floor");
	CALLGRIND_ZERO_STATS;
	CALLGRIND_TOGGLE_COLLECT;
	pair_loops[loop](mm, iters);
	CALLGRIND_TOGGLE_COLLECT;
	return cg_dump(name, ir);
}

/*
 * Instructions of walks 8-page FOLL_PIN gup_fast() calls of variant v
 * (v == TR_NR: the toggles around nothing, the floor), each collected
 * alone; the unpin is not collected.
 */
static int cg_walks(struct wl_mm *mm, int v, uint64_t walks, double *ir)
{
	struct wl_page *pages[TRACK_PAGES];
	uint64_t per_pmd = HPAGE_PMD_NR / TRACK_PAGES;
	char name[64];

	set_publish(v < TR_NR ? v : TR_TODAY);
	snprintf(name, sizeof(name), "tracking-walk-%s",
		 v < TR_NR ? tr_names[v] : "floor");
	CALLGRIND_ZERO_STATS;
	for (uint64_t k = 0; k < walks; k++) {
		uint64_t addr = MEASURE_BASE +
				((k % per_pmd) * TRACK_PAGES << PAGE_SHIFT);
		unsigned long got = 0;

		CALLGRIND_TOGGLE_COLLECT;
		if (v < TR_NR)
			got = wl_gup_fast(mm, addr, TRACK_PAGES, FOLL_PIN,
					  pages);
		CALLGRIND_TOGGLE_COLLECT;
		if (v < TR_NR && got != TRACK_PAGES)
			return -EFAULT; /* populated: every page is there */
		wl_put_user_pages(pages, got, FOLL_PIN);
	}
	return cg_dump(name, ir);
}

static void emit_instr(const struct wl_measure_ctx *c, const char *variant,
		       const char *what, const char *unit, bool walk, double v,
		       uint64_t n)
{
	struct wl_row r;

	track_row(&r, variant, what, unit, 1, walk);
	measure_emit_value(c, &r, v, n);
}

static int track_instructions(const struct wl_measure_ctx *c, struct wl_mm *mm)
{
	const uint64_t iters = c->quick ? 10000 : 100000;
	const uint64_t walks = c->quick ? 2000 : 20000;
	double pair[TR_NR + 1], walk[TR_NR + 1];
	int ret = 0;

	for (int v = 0; v <= TR_NR && !ret; v++) {
		ret = cg_pair(mm, v, iters, &pair[v]);
		if (!ret)
			ret = cg_walks(mm, v, walks, &walk[v]);
	}
	set_publish(TR_STORE_MB);
	if (ret)
		return ret;
	emit_instr(c, "floor", "pair_instr", "instr", false,
		   pair[TR_NR] / (double)iters, iters);
	emit_instr(c, "floor", "walk_instr", "instr", true,
		   walk[TR_NR] / (double)walks, walks);
	for (int v = 0; v < TR_NR; v++) {
		/* Net of the loop, and of the toggles around each walk. */
		pair[v] = (pair[v] - pair[TR_NR]) / (double)iters;
		walk[v] = (walk[v] - walk[TR_NR]) / (double)walks;
		emit_instr(c, tr_names[v], "pair_instr", "instr", false,
			   pair[v], iters);
		emit_instr(c, tr_names[v], "walk_instr", "instr", true, walk[v],
			   walks);
	}
	for (int v = TR_STORE_MB; v < TR_NR; v++)
		emit_instr(c, tr_names[v], "instr_overhead_pct", "%", true,
			   100.0 * (walk[v] - walk[TR_TODAY]) / walk[TR_TODAY],
			   walks);
	return 0;
}
#else
static bool track_under_callgrind(void)
{
	return false; /* built without valgrind/callgrind.h */
}

static int track_instructions(const struct wl_measure_ctx *c, struct wl_mm *mm)
{
	(void)c, (void)mm;
	return -ENOSYS;
}
#endif

int wl_measure_tracking(const struct wl_measure_ctx *c)
{
	struct wl_mm mm;
	int ret = wl_mm_init(&mm);

	if (ret)
		return ret;
	ret = measure_region(&mm, MEASURE_BASE, PMD_SIZE, VM_READ | VM_WRITE);
	for (int v = 0; v < TR_NR && !ret; v++)
		ret = check_publish(&mm, v);
	set_publish(TR_STORE_MB);
	if (!ret)
		ret = track_under_callgrind() ? track_instructions(c, &mm)
					      : track_timings(c, &mm);
	wl_mm_destroy(&mm);
	return ret;
}
#endif /* WL_HELPERS_TARGETED */
