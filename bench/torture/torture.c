// SPDX-License-Identifier: MIT
/*
 * torture.c - see torture.h.
 *
 * Threads.  Every walker and writer is a simulated CPU (wl_cpu_start()).
 * The main thread is not: it starts them, watches the clock, the op count
 * and the violation counters, and raises `stop`.  A watchdog thread, not a
 * CPU either, reads what every CPU publishes (a walker "in a walk since
 * T", a writer "in op X since T": relaxed stores, outside the walk
 * section) and, when one has been stuck past --stall-ms, prints an RCU-CPU-
 * stall-like report naming it and the walkers whose walk began before it,
 * counts WL_V_STALL and raises `stop` so that the walkers leave and the
 * waits they hold can end; if the run still has not ended after a further
 * --stall-ms, it prints what it has and _exit(1)s.  IPI waits have their
 * own detector in core/smp.c; grace periods, reader drains and locks are
 * seen here as an op that does not end.
 *
 * Walkers.  Each loops: pick an mm and a range of 1..walk_max_pages pages,
 * FOLL_GET or FOLL_PIN, FOLL_WRITE half the time; GUP-fast, then the slow
 * path for the rest (counting how many pages the fast path took); check
 * the references while holding them (PIN_AFTER_NOPIN), hold them a random
 * while, check again, release; then a quiescent state for QSBR backends
 * and an IRQ-enable point (where poll-mode IPIs are taken).
 *
 * Writers.  Each picks an op by weight (--mix) and a random 2 MiB chunk of
 * a random mm; every op restores the chunk to a mapped, populated state so
 * that the walkers keep finding something.  In --legacy-thp mode the THPs
 * are the pre-4.5 ones (core/legacy_thp.c): populate and split go through
 * it, walkers are FOLL_GET and fast-path only, DONTNEED and munmap work on
 * whole chunks (a partial zap would split with the modern code), and
 * collapse is not modelled.
 *
 * Counters are per thread, written by their owner only with relaxed
 * load+store (a plain mov on x86, no lock prefix) so the watchdog may read
 * them for a last-gasp summary without a data race.
 */
#include "torture.h"
#include "backend.h"
#include "backend_opt.h"
#include "cli.h"
#include "gup.h"
#include "legacy_thp.h"
#include "machine.h"
#include "results.h" /* wl_stats3() */
#include "scenarios.h"
#include "smp.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REGION_BASE (UINT64_C(1) << 40) /* 1 TiB: PUD- and PMD-aligned */
#define MAX_WALK    512
/* Pairs of phases, on/off then off/on alternately, so drift cancels. */
#define COST_PHASES   20
#define COST_PHASE_NS 150000000ull

static const char *const arch_names[] = {"ipi", "broadcast", "paravirt", NULL};
static const char *const bug_names[] = {
	"no-pmd-recheck",      "no-pte-recheck",      "collapse-no-sync",
	"pt-reclaim-free-now", "legacy-split-no-ipi", NULL};
static const char *const foll_names[] = {"get", "pin", "mixed", NULL};

/* Single-writer counters: the owner's relaxed load+store, anyone reads. */
#define CNT_ADD(c, n)                                                          \
	atomic_store_explicit(                                                 \
		&(c), atomic_load_explicit(&(c), memory_order_relaxed) + (n),  \
		memory_order_relaxed)
#define CNT(c) atomic_load_explicit(&(c), memory_order_relaxed)

struct twalker {
	pthread_t thread;
	/*
	 * Set by the thread itself, read by the watchdog: plain (seq_cst)
	 * accesses of atomics, ordering nothing else.
	 */
	_Atomic int cpu;
	_Atomic bool up;
	_Atomic uint64_t walk_since; /* 0: not in a walk */
	_Atomic uint64_t walks, pages, fast_pages;
	/* --check-cost phases: walks and ns of each. */
	uint64_t cost_walks[COST_PHASES], cost_ns[COST_PHASES];
	struct wl_page *pages_buf[MAX_WALK];
};

struct twriter {
	pthread_t thread;
	_Atomic int cpu; /* as in struct twalker */
	_Atomic bool up;
	_Atomic uint64_t op_since; /* 0: between ops */
	_Atomic int op;
	_Atomic uint64_t ops[WL_NR_OPS], fails[WL_NR_OPS];
};

/* One run's state; the globals below are only valid during a run. */
struct trun {
	const struct wl_torture_config *c;
	struct wl_mm *mms;
	unsigned int nr_chunks; /* 2 MiB chunks per mm */
	struct twalker *walkers;
	struct twriter *writers;
	pthread_barrier_t cost_barrier;
	FILE *out;
	uint64_t t0;
};

static struct trun *run;
static _Atomic bool stop;      /* walkers and writers: leave */
static _Atomic bool done;      /* watchdog: leave */
static _Atomic bool cost_stop; /* end of a --check-cost phase */
static _Atomic uint64_t ops_started;
static _Atomic uint64_t teardown_since; /* the main thread's teardown */
static _Atomic uint64_t watchdog_stalls;

void wl_torture_config_default(struct wl_torture_config *c)
{
	memset(c, 0, sizeof(*c));
	c->walkers = 2;
	c->writers = 1;
	c->mms = 1;
	c->duration_ns = 5000000000ull;
	c->seed = 1;
	c->arch = WL_ARCH_IPI;
	for (int i = 0; i < WL_NR_OPS; i++)
		c->mix[i] = wl_writer_op_weights[i];
	c->walk_max_pages = MAX_WALK;
	c->foll = WL_T_FOLL_MIXED;
	c->hold_ns = 2000;
	c->region_mb = 8;
	c->pt_reclaim = true;
	c->check = true;
	c->inject = false;
	c->inject_prob = 4096; /* 1/16 at every point */
	c->inject_max_ns = 50000;
	c->stall_ns = 5000000000ull;
	snprintf(c->context, sizeof(c->context), "torture");
}

/* ---- option parsing --------------------------------------------------- */

static const char torture_usage[] =
	"usage: walklab torture -b ID [options]   (walklab-<id> torture "
	"[options])\n"
	"  --walkers N      walker CPUs (1..48, default 2)\n"
	"  --writers M      writer CPUs (0..8, default 1)\n"
	"  --mms K          address spaces (1..8, default 1)\n"
	"  --region-mb MB   per mm, even (2..256, default 8)\n"
	"  --duration S     seconds, decimals allowed (default 5; 0: until "
	"--ops)\n"
	"  --ops N          stop after N writer ops in all (default 0: none)\n"
	"  --seed N         random seed (default 1)\n"
	"  --arch A         ipi|broadcast|paravirt (default ipi)\n"
	"  --mix OP=W,...   writer weights; OP: munmap|dontneed|split|"
	"collapse|\n"
	"                   migrate|mprotect (default munmap=2,dontneed=3,"
	"split=1,\n"
	"                   collapse=1,migrate=2,mprotect=1)\n"
	"  --rate N         writer ops/s per writer (default 0: flat out)\n"
	"  --walk-pages N   walks of 1..N pages (1..512, default 512)\n"
	"  --foll F         get|pin|mixed (default mixed)\n"
	"  --hold-ns N      hold the pages up to N ns (default 2000)\n"
	"  --pt-reclaim B   DONTNEED frees empty PTE tables: on|off (default "
	"on)\n"
	"  --fast-only      walkers never take the slow path\n"
	"  --check B        the checker: on|off (default on)\n"
	"  --check-cost     first measure the checker's ns/walk, on vs off\n"
	"  --inject B       fault injection: on|off (default off)\n"
	"  --inject-prob P  per point, parts per 65536 (1..65536, default "
	"4096)\n"
	"  --inject-max-ns N  longest injected spin (default 50000)\n"
	"  --legacy-thp     pre-4.5 THP refcounting and split\n"
	"  --bug B          re-introduce a bug (repeatable): no-pmd-recheck|\n"
	"                   no-pte-recheck|collapse-no-sync|"
	"pt-reclaim-free-now|\n"
	"                   legacy-split-no-ipi\n"
	"  --stop-at-first  stop at the first violation\n"
	"  --stop-on T,...  stop at the first of these violation types\n"
	"  --stall-ms N     stall threshold (100..600000, default 5000)\n"
	"  --backend-opt K=V  a backend option (see walklab backends)\n"
	"  --quiet          summary only\n";

/* Decimal seconds, e.g. 2 or 0.25, into ns in [0, max_s]. */
static uint64_t parse_seconds(const char *opt, const char *s, double max_s)
{
	char *end;
	double v;

	errno = 0;
	v = s && *s && *s != '-' && *s != '+' ? strtod(s, &end) : -1;
	if (v < 0 || errno || *end || !isfinite(v) || v > max_s)
		wl_usage_error("%s: '%s' is not a number of seconds in [0, %g]",
			       opt, s ? s : "", max_s);
	return (uint64_t)(v * 1e9 + 0.5);
}

static void parse_mix(const char *s, struct wl_torture_config *c)
{
	char buf[256], *save, *tok;

	if (strlen(s) >= sizeof(buf))
		wl_usage_error("--mix: too long");
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			wl_usage_error("--mix: '%s' is not OP=WEIGHT; OP: "
				       "munmap|dontneed|split|collapse|migrate|"
				       "mprotect",
				       tok);
		*eq = 0;
		int op = wl_parse_choice("--mix", tok, wl_writer_op_names);

		c->mix[op] = (unsigned int)wl_parse_u64("--mix weight", eq + 1,
							0, 1000);
	}
}

int wl_torture_parse_watch(const char *s, unsigned int *mask)
{
	char buf[256], *save, *tok;

	*mask = 0;
	if (!strcmp(s, "any")) {
		*mask = (1u << WL_NR_VIOLATIONS) - 1;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int v;

		for (v = 0; v < WL_NR_VIOLATIONS; v++)
			if (!strcmp(tok, wl_violation_name(v)))
				break;
		if (v == WL_NR_VIOLATIONS)
			return -1;
		*mask |= 1u << v;
	}
	return *mask ? 0 : -1;
}

static const char *violation_choices(void)
{
	static char list[256];

	list[0] = 0;
	for (int v = 0; v < WL_NR_VIOLATIONS; v++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", v ? "|" : "", wl_violation_name(v));
	return list;
}

static void set_bug(struct wl_torture_config *c, const char *s)
{
	switch (wl_parse_choice("--bug", s, bug_names)) {
	case 0:
		c->bugs.walker_no_pmd_recheck = true;
		break;
	case 1:
		c->bugs.walker_no_pte_recheck = true;
		break;
	case 2:
		c->bugs.collapse_no_sync = true;
		break;
	case 3:
		c->bugs.pt_reclaim_free_now = true;
		break;
	case 4:
		c->bugs.legacy_split_no_ipi = true;
		break;
	}
}

void wl_torture_parse(int argc, char **argv, struct wl_torture_config *c)
{
	static const struct option longopts[] = {
		{"walkers", required_argument, NULL, 'w'},
		{"writers", required_argument, NULL, 'W'},
		{"mms", required_argument, NULL, 'm'},
		{"region-mb", required_argument, NULL, 'R'},
		{"duration", required_argument, NULL, 'd'},
		{"ops", required_argument, NULL, 'o'},
		{"seed", required_argument, NULL, 's'},
		{"arch", required_argument, NULL, 'a'},
		{"mix", required_argument, NULL, 'x'},
		{"rate", required_argument, NULL, 'r'},
		{"walk-pages", required_argument, NULL, 'p'},
		{"foll", required_argument, NULL, 'f'},
		{"hold-ns", required_argument, NULL, 'H'},
		{"pt-reclaim", required_argument, NULL, 'P'},
		{"fast-only", no_argument, NULL, 'F'},
		{"check", required_argument, NULL, 'c'},
		{"check-cost", no_argument, NULL, 'C'},
		{"inject", required_argument, NULL, 'i'},
		{"inject-prob", required_argument, NULL, 'I'},
		{"inject-max-ns", required_argument, NULL, 'M'},
		{"legacy-thp", no_argument, NULL, 'L'},
		{"bug", required_argument, NULL, 'b'},
		{"stop-at-first", no_argument, NULL, '1'},
		{"stop-on", required_argument, NULL, 'S'},
		{"stall-ms", required_argument, NULL, 'T'},
		{"backend-opt", required_argument, NULL, 'O'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			c->walkers = (unsigned int)wl_parse_u64("--walkers",
								optarg, 1, 48);
			break;
		case 'W':
			c->writers = (unsigned int)wl_parse_u64("--writers",
								optarg, 0, 8);
			break;
		case 'm':
			c->mms = (unsigned int)wl_parse_u64("--mms", optarg, 1,
							    8);
			break;
		case 'R':
			c->region_mb =
				wl_parse_u64("--region-mb", optarg, 2, 256);
			if (c->region_mb % 2)
				wl_usage_error("--region-mb: '%s' is not even",
					       optarg);
			break;
		case 'd':
			c->duration_ns =
				parse_seconds("--duration", optarg, 86400);
			break;
		case 'o':
			c->ops = wl_parse_u64("--ops", optarg, 0, UINT64_MAX);
			break;
		case 's':
			c->seed = wl_parse_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case 'a':
			c->arch = (enum wl_arch)wl_parse_choice(
				"--arch", optarg, arch_names);
			break;
		case 'x':
			parse_mix(optarg, c);
			break;
		case 'r':
			c->rate = wl_parse_u64("--rate", optarg, 0, 10000000);
			break;
		case 'p':
			c->walk_max_pages = (unsigned int)wl_parse_u64(
				"--walk-pages", optarg, 1, MAX_WALK);
			break;
		case 'f':
			c->foll = (enum wl_torture_foll)wl_parse_choice(
				"--foll", optarg, foll_names);
			break;
		case 'H':
			c->hold_ns =
				wl_parse_u64("--hold-ns", optarg, 0, 100000000);
			break;
		case 'P':
			c->pt_reclaim = wl_parse_bool("--pt-reclaim", optarg);
			break;
		case 'F':
			c->fast_only = true;
			break;
		case 'c':
			c->check = wl_parse_bool("--check", optarg);
			break;
		case 'C':
			c->check_cost = true;
			break;
		case 'i':
			c->inject = wl_parse_bool("--inject", optarg);
			break;
		case 'I':
			c->inject_prob = (uint32_t)wl_parse_u64(
				"--inject-prob", optarg, 1, 65536);
			break;
		case 'M':
			c->inject_max_ns = wl_parse_u64("--inject-max-ns",
							optarg, 0, 100000000);
			break;
		case 'L':
			c->legacy_thp = true;
			break;
		case 'b':
			set_bug(c, optarg);
			break;
		case '1':
			c->stop_mask = (1u << WL_NR_VIOLATIONS) - 1;
			break;
		case 'S':
			if (wl_torture_parse_watch(optarg, &c->stop_mask))
				wl_usage_error(
					"--stop-on: '%s' is not a list of "
					"any|%s",
					optarg, violation_choices());
			break;
		case 'T':
			c->stall_ns = wl_parse_u64("--stall-ms", optarg, 100,
						   600000) *
				      1000000ull;
			break;
		case 'O':
			wl_backend_opt(optarg);
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'h':
			fputs(torture_usage, stdout);
			exit(0);
		case ':':
			wl_usage_error("option %s needs a value (see --help)",
				       argv[optind - 1]);
		default:
			wl_usage_error(
				"unknown option '%s'; valid: --walkers "
				"--writers "
				"--mms --region-mb --duration --ops --seed "
				"--arch "
				"--mix --rate --walk-pages --foll --hold-ns "
				"--pt-reclaim --fast-only --check --check-cost "
				"--inject --inject-prob --inject-max-ns "
				"--legacy-thp --bug --stop-at-first --stop-on "
				"--stall-ms --backend-opt --quiet --help",
				argv[optind - 1]);
		}
	}
	if (optind < argc)
		wl_usage_error("unexpected argument '%s' (see --help)",
			       argv[optind]);
}

/* Checks that need the whole configuration. */
static void validate(struct wl_torture_config *c)
{
	unsigned int sum = 0;

	if (!c->duration_ns && !c->ops)
		wl_usage_error("--duration 0 needs --ops N (N > 0)");
	if (c->bugs.legacy_split_no_ipi && !c->legacy_thp)
		wl_usage_error("--bug legacy-split-no-ipi needs --legacy-thp");
	if (c->legacy_thp) {
		if (c->mix[WL_OP_COLLAPSE])
			wl_usage_error("--legacy-thp: collapse is not modelled "
				       "(give --mix collapse=0)");
		c->foll = WL_T_FOLL_GET; /* FOLL_PIN came with v5.6 */
		c->fast_only = true;
	}
	for (int i = 0; i < WL_NR_OPS; i++)
		sum += c->mix[i];
	if (c->writers && !sum)
		wl_usage_error("--mix: every weight is 0 but --writers is %u",
			       c->writers);
	if (c->ops && !c->writers)
		wl_usage_error("--ops needs writers (--writers >= 1)");
	if (c->walkers + c->writers + 1 > WL_NR_CPUS)
		wl_usage_error("--walkers + --writers must be below %d",
			       WL_NR_CPUS);
}

/* ---- walkers ------------------------------------------------------------ */

static uint64_t region_pages(void)
{
	return (run->c->region_mb << 20) >> PAGE_SHIFT;
}

/* One walk; returns the pages it holds (in w->pages_buf). */
static unsigned long one_walk(struct twalker *w, struct wl_mm **mmp,
			      uint64_t *startp, unsigned int *flagsp)
{
	const struct wl_torture_config *c = run->c;
	uint64_t r = wl_random();
	struct wl_mm *mm = &run->mms[r % c->mms];
	uint64_t np = region_pages(), first = (r >> 8) % np;
	unsigned long n = 1 + (unsigned long)((r >> 32) % c->walk_max_pages);
	unsigned int flags;
	unsigned long fast;
	long ret;

	if (first + n > np)
		n = (unsigned long)(np - first);
	switch (c->foll) {
	case WL_T_FOLL_GET:
		flags = FOLL_GET;
		break;
	case WL_T_FOLL_PIN:
		flags = FOLL_PIN;
		break;
	default:
		flags = (r >> 60) & 1 ? FOLL_PIN : FOLL_GET;
	}
	if ((r >> 61) & 1)
		flags |= FOLL_WRITE;
	*mmp = mm;
	*startp = REGION_BASE + (first << PAGE_SHIFT);
	*flagsp = flags;
	/* FOLL_FAST_ONLY stays out of *flagsp: release() needs GET or PIN. */
	ret = wl_gup_fast_fallback(mm, *startp, n,
				   flags | (c->fast_only ? FOLL_FAST_ONLY : 0),
				   w->pages_buf, &fast);
	CNT_ADD(w->fast_pages, fast);
	return ret > 0 ? (unsigned long)ret : 0;
}

static void release(unsigned long got, unsigned int flags,
		    struct wl_page **pages)
{
	if (wl_legacy_thp_enabled) {
		for (unsigned long i = 0; i < got; i++)
			wl_legacy_put_page(pages[i]);
	} else {
		wl_put_user_pages(pages, got, flags);
	}
}

/* Between walks: a quiescent state, and a point where IRQs are enabled. */
static void between_walks(void)
{
	if (wl_backend.quiescent)
		wl_backend.quiescent();
	local_irq_enable(); /* takes poll-mode IPIs */
}

/* --check-cost: read-only walks, no holding, the same walks each phase. */
static void cost_phases(struct twalker *w, unsigned int idx)
{
	for (int p = 0; p < COST_PHASES; p++) {
		uint64_t walks = 0, t0;

		pthread_barrier_wait(&run->cost_barrier);
		wl_random_seed(run->c->seed * 1000 + idx);
		t0 = wl_now_ns();
		while (w->up && !atomic_load_explicit(&cost_stop,
						      memory_order_relaxed)) {
			struct wl_mm *mm;
			uint64_t start;
			unsigned int flags;
			unsigned long got = one_walk(w, &mm, &start, &flags);

			release(got, flags, w->pages_buf);
			between_walks();
			walks++;
		}
		w->cost_ns[p] = wl_now_ns() - t0;
		w->cost_walks[p] = walks;
		pthread_barrier_wait(&run->cost_barrier);
	}
}

static void *walker_main(void *arg)
{
	struct twalker *w = arg;
	const struct wl_torture_config *c = run->c;
	unsigned int idx = (unsigned int)(w - run->walkers);

	w->cpu = wl_cpu_start("walker");
	w->up = w->cpu >= 0;
	wl_random_seed(c->seed * 1000 + idx);
	if (c->check_cost) {
		cost_phases(w, idx);
		/* The summary counts the torture phase only. */
		atomic_store_explicit(&w->fast_pages, 0, memory_order_relaxed);
	}
	if (!w->up)
		return NULL;
	wl_random_seed(c->seed * 1000 + idx);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct wl_mm *mm;
		uint64_t start;
		unsigned int flags;
		unsigned long got;

		atomic_store_explicit(&w->walk_since, wl_now_ns(),
				      memory_order_relaxed);
		got = one_walk(w, &mm, &start, &flags);
		atomic_store_explicit(&w->walk_since, 0, memory_order_relaxed);
		wl_check_held_pages(w->pages_buf, got, start);
		if (c->hold_ns) {
			wl_delay_ns(wl_random() % c->hold_ns);
			wl_check_held_pages(w->pages_buf, got, start);
		}
		release(got, flags, w->pages_buf);
		CNT_ADD(w->walks, 1);
		CNT_ADD(w->pages, got);
		between_walks();
	}
	wl_cpu_stop();
	return NULL;
}

/* ---- writers ------------------------------------------------------------ */

static unsigned int chunk_flags(void)
{
	if (run->c->legacy_thp || wl_random() % 2)
		return VM_READ | VM_WRITE | VM_HUGEPAGE;
	return VM_READ | VM_WRITE;
}

/* WL_OPF_LEGACY when the THPs are the pre-4.5 ones. */
static unsigned int legacy_flag(void)
{
	return run->c->legacy_thp ? WL_OPF_LEGACY : 0;
}

static int map_chunk(struct wl_mm *mm, uint64_t a)
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
		a->len = run->c->region_mb << 20;
		ret = wl_writer_op_run(WL_OP_MUNMAP, mm, a);
		for (unsigned int i = 0; i < run->nr_chunks; i++) {
			int e = map_chunk(mm, REGION_BASE + i * PMD_SIZE);

			ret = ret ? ret : e;
		}
		return ret;
	}
	ret = wl_writer_op_run(WL_OP_MUNMAP, mm, a);
	return ret ? ret : map_chunk(mm, a->addr);
}

/* DONTNEED's range: the whole chunk, or a random part of it. */
static void dontneed_range(struct wl_writer_op_args *a, uint64_t chunk,
			   uint64_t r)
{
	if (run->c->legacy_thp || (r & 0x80))
		return; /* the whole chunk: pt_reclaim can free its table */
	a->addr = chunk + ((r >> 8) % HPAGE_PMD_NR) * PAGE_SIZE;
	a->len = (1 + (r >> 20) % HPAGE_PMD_NR) * PAGE_SIZE;
	a->len = WL_MIN(a->len, chunk + PMD_SIZE - a->addr);
}

static int do_op(enum wl_writer_op op, struct wl_mm *mm, uint64_t chunk)
{
	const struct wl_torture_config *c = run->c;
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
	const struct wl_torture_config *c = run->c;
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

static void *writer_main(void *arg)
{
	struct twriter *w = arg;
	const struct wl_torture_config *c = run->c;
	unsigned int idx = (unsigned int)(w - run->writers);

	w->cpu = wl_cpu_start("writer");
	w->up = w->cpu >= 0;
	if (!w->up)
		return NULL;
	wl_random_seed(c->seed * 1000 + 500 + idx);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		enum wl_writer_op op = pick_op();
		uint64_t r = wl_random();
		struct wl_mm *mm = &run->mms[r % c->mms];
		uint64_t chunk =
			REGION_BASE + ((r >> 8) % run->nr_chunks) * PMD_SIZE;
		int ret;

		if (c->ops &&
		    atomic_fetch_add_explicit(&ops_started, 1,
					      memory_order_relaxed) >= c->ops)
			break;
		atomic_store_explicit(&w->op, (int)op, memory_order_relaxed);
		atomic_store_explicit(&w->op_since, wl_now_ns(),
				      memory_order_relaxed);
		ret = do_op(op, mm, chunk);
		atomic_store_explicit(&w->op_since, 0, memory_order_relaxed);
		if (ret)
			CNT_ADD(w->fails[op], 1);
		else
			CNT_ADD(w->ops[op], 1);
		if (c->rate)
			wl_sleep_ns(1000000000ull / c->rate);
		local_irq_enable(); /* takes poll-mode IPIs */
	}
	wl_cpu_stop();
	return NULL;
}

/* ---- summary ------------------------------------------------------------ */

static void sum_counters(struct wl_torture_result *r)
{
	const struct wl_torture_config *c = run->c;

	r->walks = r->pages = r->fast_pages = 0;
	for (unsigned int i = 0; i < c->walkers; i++) {
		r->walks += CNT(run->walkers[i].walks);
		r->pages += CNT(run->walkers[i].pages);
		r->fast_pages += CNT(run->walkers[i].fast_pages);
	}
	for (int op = 0; op < WL_NR_OPS; op++) {
		r->ops[op] = r->op_fails[op] = 0;
		for (unsigned int i = 0; i < c->writers; i++) {
			r->ops[op] += CNT(run->writers[i].ops[op]);
			r->op_fails[op] += CNT(run->writers[i].fails[op]);
		}
	}
}

static void bugs_string(const struct wl_bugs *b, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s",
		 b->walker_no_pmd_recheck ? ",no-pmd-recheck" : "",
		 b->walker_no_pte_recheck ? ",no-pte-recheck" : "",
		 b->collapse_no_sync ? ",collapse-no-sync" : "",
		 b->pt_reclaim_free_now ? ",pt-reclaim-free-now" : "",
		 b->legacy_split_no_ipi ? ",legacy-split-no-ipi" : "");
	if (!buf[0])
		snprintf(buf, n, ",none");
	memmove(buf, buf + 1, strlen(buf)); /* drop the first comma */
}

static void print_summary(FILE *f, struct wl_torture_result *r,
			  bool teardown_done)
{
	const struct wl_torture_config *c = run->c;
	struct wl_backend_stats bs = {0};
	struct wl_ipi_stats is;
	struct wl_arch_stats as;
	uint64_t ipi_stalls = wl_stall_count();

	sum_counters(r);
	if (wl_backend.stats)
		wl_backend.stats(&bs);
	wl_ipi_stats(&is);
	wl_arch_stats(&as);
	fprintf(f,
		"walklab-torture: walks: %llu pages: %llu fast: %.1f%% "
		"pages/walk: %.1f duration: %.2f s\n",
		(unsigned long long)r->walks, (unsigned long long)r->pages,
		r->pages ? 100.0 * (double)r->fast_pages / (double)r->pages
			 : 0.0,
		r->walks ? (double)r->pages / (double)r->walks : 0.0,
		(double)r->elapsed_ns / 1e9);
	fprintf(f, "walklab-torture: ops:");
	for (int op = 0; op < WL_NR_OPS; op++)
		fprintf(f, " %s=%llu(%llu)", wl_writer_op_names[op],
			(unsigned long long)r->ops[op],
			(unsigned long long)r->op_fails[op]);
	fprintf(f, "  (done(failed/skipped))\n");
	fprintf(f,
		"walklab-torture: ipis: %llu flushes: %llu sync: %llu "
		"grace-periods: %llu polls: %llu deferred-peak: %llu "
		"free-max: %llu us\n",
		(unsigned long long)is.sent, (unsigned long long)as.flushes,
		(unsigned long long)bs.sync_calls,
		(unsigned long long)bs.grace_periods,
		(unsigned long long)bs.polls,
		(unsigned long long)bs.tables_deferred_peak,
		(unsigned long long)(bs.free_max_ns / 1000));
	/* What a sync (collapse's, under mmap_lock) cost the writer. */
	if (bs.sync_calls)
		fprintf(f, "walklab-torture: sync: mean %.1f us, max %llu us\n",
			(double)bs.sync_ns / (double)bs.sync_calls / 1000,
			(unsigned long long)(bs.sync_max_ns / 1000));
	if (c->check_cost)
		fprintf(f,
			"walklab-torture: checker: on %.1f ns/walk, off %.1f "
			"ns/walk, cost %.1f ns/walk (median of %d paired "
			"phases, min %.1f, max %.1f)\n",
			r->check_on_ns, r->check_off_ns, r->check_cost_ns[1],
			COST_PHASES / 2, r->check_cost_ns[0],
			r->check_cost_ns[2]);
	fprintf(f, "walklab-torture: violations: ");
	wl_violations_print(f);
	r->stalls = atomic_load(&watchdog_stalls) + ipi_stalls;
	fprintf(f,
		"walklab-torture: stalls: %llu (watchdog %llu, ipi-wait "
		"%llu)",
		(unsigned long long)r->stalls,
		(unsigned long long)atomic_load(&watchdog_stalls),
		(unsigned long long)ipi_stalls);
	if (r->first_ns)
		fprintf(f, "  first-violation: %.3f s",
			(double)r->first_ns / 1e9);
	fputc('\n', f);
	if (teardown_done)
		fprintf(f, "walklab-torture: balance at teardown: %s\n",
			r->balance_ok ? "ok" : "BAD (see ref_imbalance)");
	else
		fprintf(f,
			"walklab-torture: balance at teardown: not reached\n");
	r->violations = wl_violations_total();
	r->success =
		teardown_done && !r->violations && !r->stalls && r->balance_ok;
	fprintf(f, "%s\n", r->success ? "SUCCESS" : "FAILURE");
	fflush(f);
}

/* ---- watchdog ----------------------------------------------------------- */

static void stall_report(uint64_t now, const char *who, int cpu,
			 const char *what, uint64_t since)
{
	const struct wl_torture_config *c = run->c;
	struct wl_cpumask mask = {0};

	wl_violation(WL_V_STALL, "%s CPU %d %s for %llu ms (stall-ms %llu)",
		     who, cpu, what,
		     (unsigned long long)((now - since) / 1000000u),
		     (unsigned long long)(c->stall_ns / 1000000u));
	fprintf(stderr,
		"walklab: INFO: torture stall: %s CPU %d %s for %llu ms\n", who,
		cpu, what, (unsigned long long)((now - since) / 1000000u));
	for (unsigned int i = 0; i < c->walkers; i++) {
		struct twalker *w = &run->walkers[i];
		uint64_t ws = atomic_load_explicit(&w->walk_since,
						   memory_order_relaxed);
		/* A walk may have begun after the watchdog read its clock. */
		uint64_t age = ws && ws < now ? now - ws : 0;

		if (!w->up)
			continue;
		wl_cpumask_set(&mask, w->cpu);
		if (ws && ws <= since)
			fprintf(stderr,
				"walklab:   walker CPU %d: in a walk since "
				"%llu "
				"ms, before the wait began: may hold it\n",
				w->cpu, (unsigned long long)(age / 1000000u));
		else if (ws)
			fprintf(stderr,
				"walklab:   walker CPU %d: in a walk since "
				"%llu "
				"ms (began after the wait)\n",
				w->cpu, (unsigned long long)(age / 1000000u));
		else
			fprintf(stderr,
				"walklab:   walker CPU %d: between walks\n",
				w->cpu);
	}
	for (unsigned int i = 0; i < c->writers; i++) {
		struct twriter *w = &run->writers[i];
		uint64_t os = atomic_load_explicit(&w->op_since,
						   memory_order_relaxed);

		if (!w->up)
			continue;
		wl_cpumask_set(&mask, w->cpu);
		if (os)
			fprintf(stderr,
				"walklab:   writer CPU %d: in %s for %llu ms\n",
				w->cpu,
				wl_writer_op_names[atomic_load_explicit(
					&w->op, memory_order_relaxed)],
				(unsigned long long)((os < now ? now - os : 0) /
						     1000000u));
		else
			fprintf(stderr,
				"walklab:   writer CPU %d: between ops\n",
				w->cpu);
	}
	wl_smp_dump_cpus(stderr, &mask);
	fprintf(stderr, "walklab:   stopping walkers so that the waits can "
			"end; the run fails\n");
}

static void *watchdog_main(void *arg)
{
	const struct wl_torture_config *c = run->c;
	bool *wr_seen = calloc(c->writers + 1, 1);
	bool *wk_seen = calloc(c->walkers + 1, 1);
	uint64_t first_stall = 0;
	struct timespec ts = {0, 10000000};

	(void)arg;
	while (!atomic_load_explicit(&done, memory_order_relaxed)) {
		uint64_t now = wl_now_ns(), since;
		bool stalled = false;

		nanosleep(&ts, NULL);
		for (unsigned int i = 0; i < c->writers; i++) {
			struct twriter *w = &run->writers[i];

			since = atomic_load_explicit(&w->op_since,
						     memory_order_relaxed);
			if (!since) {
				wr_seen[i] = false;
				continue;
			}
			if (since >= now || now - since < c->stall_ns)
				continue;
			stalled = true;
			if (wr_seen[i])
				continue;
			wr_seen[i] = true;
			atomic_fetch_add(&watchdog_stalls, 1);
			char what[64];

			snprintf(what, sizeof(what), "in %s",
				 wl_writer_op_names[atomic_load_explicit(
					 &w->op, memory_order_relaxed)]);
			stall_report(now, "writer", w->cpu, what, since);
		}
		for (unsigned int i = 0; i < c->walkers; i++) {
			struct twalker *w = &run->walkers[i];

			since = atomic_load_explicit(&w->walk_since,
						     memory_order_relaxed);
			if (!since) {
				wk_seen[i] = false;
				continue;
			}
			if (since >= now || now - since < c->stall_ns)
				continue;
			stalled = true;
			if (wk_seen[i])
				continue;
			wk_seen[i] = true;
			atomic_fetch_add(&watchdog_stalls, 1);
			stall_report(now, "walker", w->cpu, "in one walk",
				     since);
		}
		since = atomic_load_explicit(&teardown_since,
					     memory_order_relaxed);
		if (since && since < now && now - since >= c->stall_ns) {
			stalled = true;
			if (!first_stall) {
				atomic_fetch_add(&watchdog_stalls, 1);
				wl_violation(
					WL_V_STALL,
					"teardown stuck for %llu ms",
					(unsigned long long)((now - since) /
							     1000000u));
			}
		}
		if (stalled) {
			atomic_store_explicit(&stop, true,
					      memory_order_relaxed);
			if (!first_stall)
				first_stall = now;
		}
		if (first_stall && now - first_stall >= c->stall_ns) {
			struct wl_torture_result r = {0};

			fprintf(stderr,
				"walklab: PANIC: the run is still "
				"stuck %llu ms after the stall report; "
				"giving up\n",
				(unsigned long long)(c->stall_ns / 1000000u));
			r.elapsed_ns = now - run->t0;
			print_summary(run->out, &r, false);
			_exit(1);
		}
	}
	free(wr_seen);
	free(wk_seen);
	return NULL;
}

/* ---- the run ------------------------------------------------------------ */

static int setup_mms(struct trun *t)
{
	const struct wl_torture_config *c = t->c;
	int ret;

	for (unsigned int m = 0; m < c->mms; m++) {
		ret = wl_mm_init(&t->mms[m]);
		if (ret)
			return ret;
		for (unsigned int i = 0; i < t->nr_chunks; i++) {
			ret = map_chunk(&t->mms[m], REGION_BASE + i * PMD_SIZE);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int machine_up(const struct wl_torture_config *c)
{
	struct wl_machine_config mc;
	uint64_t frames = c->mms * ((c->region_mb << 20) >> PAGE_SHIFT);
	int ret;

	wl_machine_config_default(&mc);
	/* Room for collapse's and migration's new folios, and fragmentation. */
	mc.nr_frames =
		WL_MAX(frames * 4 + (UINT64_C(1) << 18), UINT64_C(1) << 19);
	mc.nr_tables = (uint32_t)WL_MAX(frames / 128 + 2048, 1u << 13);
	mc.smp.nr_cpus_hint = c->walkers + c->writers;
	mc.smp.stall_ns = c->stall_ns;
	mc.smp.stall_panic_ns = 0; /* the watchdog ends the run instead */
	wl_arch_config_default(&mc.arch, c->arch);
	wl_check_seed = c->seed;
	ret = wl_machine_init(&mc);
	if (ret)
		return ret;
	if (c->legacy_thp && (ret = wl_legacy_thp_enable())) {
		wl_machine_fini();
		return ret;
	}
	return 0;
}

/* Before the walkers run, or while they wait at a barrier. */
static void apply_inject(const struct wl_torture_config *c)
{
	if (!c->inject)
		return;
	for (int p = 0; p < WL_NR_INJECT; p++)
		wl_inject_cfg.prob[p] = c->inject_prob;
	wl_inject_cfg.max_ns = c->inject_max_ns;
	wl_inject_cfg.enabled = true;
}

/*
 * --check-cost: the same walks with the checker on and off, alternately,
 * without writers and without fault injection (which the torture proper
 * turns on just before the last barrier).
 */
static void check_cost(struct trun *t, struct wl_torture_result *r)
{
	double on[COST_PHASES / 2], off[COST_PHASES / 2], diff[COST_PHASES / 2];
	unsigned int non = 0, noff = 0;
	struct timespec ts = {0, (long)COST_PHASE_NS};

	for (int p = 0; p < COST_PHASES; p++) {
		/* Pair p / 2 runs on, off when even, off, on when odd. */
		bool check_on = !(p & 1) == !((p / 2) & 1);

		/* Ordered before the walkers' phase by the barrier. */
		wl_check_enabled = check_on;
		atomic_store_explicit(&cost_stop, false, memory_order_relaxed);
		pthread_barrier_wait(&t->cost_barrier);
		nanosleep(&ts, NULL);
		atomic_store_explicit(&cost_stop, true, memory_order_relaxed);
		if (p == COST_PHASES - 1) {
			/* Ordered before the torture loop by the barrier. */
			wl_check_enabled = t->c->check;
			apply_inject(t->c);
		}
		pthread_barrier_wait(&t->cost_barrier);

		uint64_t walks = 0, ns = 0;

		for (unsigned int i = 0; i < t->c->walkers; i++) {
			walks += t->walkers[i].cost_walks[p];
			ns += t->walkers[i].cost_ns[p];
		}
		double v = walks ? (double)ns / (double)walks : 0;

		if (check_on)
			on[non++] = v;
		else
			off[noff++] = v;
	}
	double st[3];

	for (unsigned int i = 0; i < COST_PHASES / 2; i++)
		diff[i] = on[i] - off[i];
	wl_stats3(on, non, st);
	r->check_on_ns = st[1];
	wl_stats3(off, noff, st);
	r->check_off_ns = st[1];
	/* The cost: median of the paired differences, and their range. */
	wl_stats3(diff, COST_PHASES / 2, r->check_cost_ns);
}

/* Wait (bounded) for the backend's deferred frees to be done. */
static void wait_deferred(void)
{
	uint64_t t0 = wl_now_ns();
	struct timespec ts = {0, 1000000};

	while (atomic_load(&wl_tables.deferred) > 0 &&
	       wl_now_ns() - t0 < 3000000000ull)
		nanosleep(&ts, NULL);
	/* wl_machine_check_balance() reads the pool under its lock. */
}

int wl_torture_run(const struct wl_torture_config *cfg,
		   struct wl_torture_result *r, FILE *out)
{
	struct wl_torture_config cc = *cfg;
	const struct wl_torture_config *c = &cc;
	struct trun t = {0};
	pthread_t wd;
	unsigned int stop_types;
	int ret;

	validate(&cc);
	memset(r, 0, sizeof(*r));
	t.c = c;
	t.out = out;
	t.nr_chunks = (unsigned int)(c->region_mb / 2);
	t.mms = calloc(c->mms, sizeof(*t.mms));
	t.walkers = calloc(c->walkers, sizeof(*t.walkers));
	t.writers = calloc(c->writers ? c->writers : 1, sizeof(*t.writers));
	if (!t.mms || !t.walkers || !t.writers) {
		ret = -ENOMEM;
		goto out_free;
	}
	run = &t;
	atomic_store(&stop, false);
	atomic_store(&done, false);
	atomic_store(&ops_started, 0);
	atomic_store(&teardown_since, 0);
	atomic_store(&watchdog_stalls, 0);
	ret = machine_up(c);
	if (ret)
		goto out_free;
	wl_bugs = c->bugs;
	wl_check_enabled = c->check;
	wl_check_set_context(c->context);
	wl_violations_reset();
	wl_violation_set_print_limit(3);

	/* Set the mms up as CPU 0's work, before the others come up. */
	if (wl_cpu_start("setup") < 0) {
		ret = -EBUSY;
		goto out_machine;
	}
	ret = setup_mms(&t);
	wl_cpu_stop();
	if (ret) {
		fprintf(stderr, "walklab: torture: setting up the mms: %s\n",
			strerror(-ret));
		goto out_mms;
	}
	wl_ipi_stats_reset();
	wl_arch_stats_reset();
	if (wl_backend.stats_reset)
		wl_backend.stats_reset();
	memset(&wl_inject_cfg, 0, sizeof(wl_inject_cfg));
	if (!c->check_cost)
		apply_inject(c);
	if (!c->quiet) {
		char bugs[128];

		bugs_string(&c->bugs, bugs, sizeof(bugs));
		fprintf(out,
			"walklab-torture: backend %s (%s) arch %s seed %llu "
			"walkers %u writers %u mms %u region %llu MiB check %s "
			"inject %s legacy-thp %s bugs %s\n",
			wl_backend.name, wl_backend.build_options,
			wl_arch_name(c->arch), (unsigned long long)c->seed,
			c->walkers, c->writers, c->mms,
			(unsigned long long)c->region_mb,
			c->check ? "on" : "off", c->inject ? "on" : "off",
			c->legacy_thp ? "on" : "off", bugs);
		fflush(out);
	}

	if (c->check_cost)
		pthread_barrier_init(&t.cost_barrier, NULL, c->walkers + 1);
	t.t0 = wl_now_ns();
	pthread_create(&wd, NULL, watchdog_main, NULL);
	for (unsigned int i = 0; i < c->walkers; i++)
		pthread_create(&t.walkers[i].thread, NULL, walker_main,
			       &t.walkers[i]);
	if (c->check_cost)
		check_cost(&t, r);
	t.t0 = wl_now_ns();
	for (unsigned int i = 0; i < c->writers; i++)
		pthread_create(&t.writers[i].thread, NULL, writer_main,
			       &t.writers[i]);

	stop_types = c->stop_mask;
	for (;;) {
		struct timespec ts = {0, 1000000};
		uint64_t now = wl_now_ns(), first = 0;

		for (int v = 0; v < WL_NR_VIOLATIONS; v++) {
			uint64_t f = wl_violation_first_ns(v);

			if ((stop_types & (1u << v)) && f &&
			    (!first || f < first))
				first = f;
		}
		if (first) {
			r->first_ns = first > t.t0 ? first - t.t0 : 1;
			break;
		}
		if (c->duration_ns && now - t.t0 >= c->duration_ns)
			break;
		if (c->ops && atomic_load(&ops_started) >= c->ops) {
			bool busy = false;

			/* The last ops may still be running. */
			for (unsigned int i = 0; i < c->writers; i++)
				busy |= atomic_load(&t.writers[i].op_since) !=
					0;
			if (!busy)
				break;
		}
		if (atomic_load_explicit(&stop, memory_order_relaxed))
			break;
		nanosleep(&ts, NULL);
	}
	atomic_store_explicit(&stop, true, memory_order_relaxed);
	for (unsigned int i = 0; i < c->walkers; i++)
		pthread_join(t.walkers[i].thread, NULL);
	for (unsigned int i = 0; i < c->writers; i++)
		pthread_join(t.writers[i].thread, NULL);
	r->elapsed_ns = wl_now_ns() - t.t0;
	if (c->check_cost)
		pthread_barrier_destroy(&t.cost_barrier);

	/* Teardown: drop the mms, then every frame and table must be back. */
	atomic_store(&teardown_since, wl_now_ns());
	wl_inject_cfg.enabled = false;
	if (wl_cpu_start("teardown") >= 0) {
		for (unsigned int m = 0; m < c->mms; m++)
			wl_mm_destroy(&t.mms[m]);
		wl_cpu_stop();
	}
	wait_deferred();
	r->balance_ok = !wl_machine_check_balance();
	atomic_store(&done, true);
	pthread_join(wd, NULL);
	if (!r->first_ns && stop_types) {
		/* A teardown violation of a watched type counts too. */
		for (int v = 0; v < WL_NR_VIOLATIONS; v++)
			if ((stop_types & (1u << v)) && wl_violation_count(v))
				r->first_ns = r->elapsed_ns;
	}
	print_summary(out, r, true);
	if (c->legacy_thp)
		wl_legacy_thp_disable();
	wl_machine_fini();
	ret = 0;
	goto out_free;
out_mms:
	for (unsigned int m = 0; m < c->mms; m++)
		if (t.mms[m].pgd)
			wl_mm_destroy(&t.mms[m]);
out_machine:
	if (c->legacy_thp)
		wl_legacy_thp_disable();
	wl_machine_fini();
out_free:
	memset(&wl_bugs, 0, sizeof(wl_bugs));
	wl_inject_cfg.enabled = false;
	free(t.mms);
	free(t.walkers);
	free(t.writers);
	run = NULL;
	return ret;
}

/* ---- commands ----------------------------------------------------------- */

static void set_context(struct wl_torture_config *c, const char *cmd, int argc,
			char **argv)
{
	size_t n;

	n = (size_t)snprintf(c->context, sizeof(c->context),
			     "backend=%s walklab %s -b %s", wl_backend.name,
			     cmd, wl_backend.name);
	for (int i = 1; i < argc && n < sizeof(c->context); i++)
		n += (size_t)snprintf(c->context + n, sizeof(c->context) - n,
				      " %s", argv[i]);
}

int wl_torture_main(int argc, char **argv)
{
	struct wl_torture_config c;
	struct wl_torture_result r;
	int ret;

	wl_torture_config_default(&c);
	wl_torture_parse(argc, argv, &c);
	validate(&c);
	set_context(&c, "torture", argc, argv);
	ret = wl_torture_run(&c, &r, stdout);
	if (ret) {
		fprintf(stderr, "walklab: torture could not start: %s\n",
			strerror(-ret));
		return 1;
	}
	return r.success ? 0 : 1;
}

/* Split a scenario's option string into argv words (no quoting needed). */
static int split_words(const char *s, char *buf, size_t n, char **words,
		       int max)
{
	int nw = 0;
	char *save, *tok;

	snprintf(buf, n, "%s", s);
	for (tok = strtok_r(buf, " ", &save); tok && nw < max;
	     tok = strtok_r(NULL, " ", &save))
		words[nw++] = tok;
	return nw;
}

static const char scenario_usage[] =
	"usage: walklab-<id> scenario NAME [--seed N] [--timeout S] "
	"[--inject on|off] [torture options]\n"
	"  runs the scenario's configuration until the first watched "
	"violation\n"
	"  or the bound; the last line says whether history was matched\n";

int wl_scenario_main(int argc, char **argv)
{
	const struct wl_scenario *sc = NULL;
	struct wl_torture_config c;
	struct wl_torture_result r;
	char buf[1024], *words[64];
	char seedbuf[32], durbuf[32];
	int nw, ret;
	bool timeout_given = false;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fputs(scenario_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? WL_EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < WL_NR_SCENARIOS; i++)
		if (!strcmp(argv[1], wl_scenarios[i].name))
			sc = &wl_scenarios[i];
	if (!sc)
		wl_usage_error("unknown scenario '%s'; valid: %s", argv[1],
			       wl_scenario_names());
	if (strcmp(sc->backend, wl_backend.name))
		wl_usage_error("scenario %s runs on backend %s, this is "
			       "walklab-%s",
			       sc->name, sc->backend, wl_backend.name);

	wl_torture_config_default(&c);
	c.inject = true;
	c.quiet = false;
	c.duration_ns = (uint64_t)sc->bound_s * 1000000000ull;
	/* ThreadSanitizer runs 5-20x slower: give a reproduction longer. */
	if (WL_TSAN && !strcmp(sc->expect, "reproduced"))
		c.duration_ns *= 4;
	if (wl_torture_parse_watch(sc->watch, &c.stop_mask))
		wl_usage_error("scenario %s: bad watch list '%s'", sc->name,
			       sc->watch);
	/* The scenario's own options, then the user's, which override. */
	words[0] = "scenario";
	nw = 1 + split_words(sc->options, buf, sizeof(buf), words + 1, 40);
	words[nw++] = "--arch";
	words[nw++] = (char *)sc->arch;
	words[nw] = NULL;
	wl_torture_parse(nw, words, &c);
	{
		/* --timeout S is --duration S here. */
		char *uw[64];
		int un = 0;

		uw[un++] = "scenario";
		for (int i = 2; i < argc && un < 60; i++) {
			if (!strcmp(argv[i], "--timeout")) {
				if (i + 1 >= argc)
					wl_usage_error(
						"--timeout needs a value");
				snprintf(durbuf, sizeof(durbuf), "%s",
					 argv[++i]);
				uw[un++] = "--duration";
				uw[un++] = durbuf;
				timeout_given = true;
			} else {
				uw[un++] = argv[i];
			}
		}
		uw[un] = NULL;
		wl_torture_parse(un, uw, &c);
	}
	(void)timeout_given;
	if (!c.duration_ns)
		wl_usage_error("--timeout must be above 0");
	validate(&c);
	snprintf(seedbuf, sizeof(seedbuf), "%llu", (unsigned long long)c.seed);
	snprintf(c.context, sizeof(c.context),
		 "backend=%s walklab scenario run %s --seed %s",
		 wl_backend.name, sc->name, seedbuf);
	ret = wl_torture_run(&c, &r, stdout);
	if (ret) {
		fprintf(stderr, "walklab: scenario %s could not start: %s\n",
			sc->name, strerror(-ret));
		return 1;
	}

	bool want_repro = !strcmp(sc->expect, "reproduced");
	bool repro;
	double secs;

	if (want_repro) {
		repro = r.first_ns != 0;
		secs = (double)(repro ? r.first_ns : r.elapsed_ns) / 1e9;
	} else {
		repro = !r.success;
		secs = (double)(r.first_ns ? r.first_ns : r.elapsed_ns) / 1e9;
	}
	bool match = repro == want_repro;

	printf("%s: expected %s, observed %s in %.3f s: %s\n", sc->name,
	       sc->expect, repro ? "reproduced" : "safe", secs,
	       match ? "MATCH" : "MISMATCH");
	return match ? 0 : 1;
}
