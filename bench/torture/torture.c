// SPDX-License-Identifier: MIT
/*
 * torture.c - one torture run (see torture.h): a fresh machine, the mms,
 * the walker, writer and watchdog threads, the main thread's watch until
 * the end, the teardown and the summary; and `walklab-<id> torture`.
 *
 * options.c parses the configuration, walkers.c and writers.c are the
 * CPUs, watchdog.c the stall detector, summary.c the report, and
 * scenario_main.c the scenario library's runner.
 */
#include "backend.h"
#include "cli.h"
#include "legacy_thp.h"
#include "machine.h"
#include "mmu_gather.h"
#include "results.h" /* wl_stats3() */
#include "ring.h"
#include "sb.h"
#include "smp.h"
#include "torture_internal.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct trun *torture;

static int setup_mms(struct trun *t)
{
	const struct wl_torture_config *c = t->c;
	int ret;

	for (unsigned int m = 0; m < c->mms; m++) {
		ret = wl_mm_init(&t->mms[m]);
		if (ret)
			return ret;
		for (unsigned int i = 0; i < t->nr_chunks; i++) {
			ret = torture_map_chunk(&t->mms[m],
						REGION_BASE + i * PMD_SIZE);
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
	mc.smp.nr_cpus_hint = c->walkers + c->writers + torture_other_cpus(c);
	mc.smp.stall_ns = c->stall_ns;
	mc.smp.stall_verbose = c->verbose || mc.smp.stall_verbose;
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

static void machine_down(const struct wl_torture_config *c)
{
	wl_trace_set(false); /* the tables go: no event may name them */
	if (c->legacy_thp)
		wl_legacy_thp_disable();
	wl_machine_fini();
}

/* Before the walkers run, or while they wait at a barrier. */
static void apply_inject(const struct wl_torture_config *c)
{
	uint32_t vcpu = torture_vcpu_preempt(c);

	wl_inject_cfg.max_ns = c->inject_max_ns;
	wl_inject_cfg.vcpu_preempt_prob = vcpu;
	wl_inject_cfg.vcpu_max_ns = torture_vcpu_preempt_ns(c);
	wl_inject_cfg.enabled = c->inject || vcpu;
	if (!c->inject)
		return;
	for (int p = 0; p < WL_NR_INJECT; p++)
		wl_inject_cfg.prob[p] = c->inject_prob;
}

uint32_t torture_vcpu_preempt(const struct wl_torture_config *c)
{
	if (c->vcpu_preempt >= 0)
		return (uint32_t)c->vcpu_preempt;
	return c->arch == WL_ARCH_PARAVIRT ? WL_VCPU_PREEMPT_DEFAULT : 0;
}

uint64_t torture_vcpu_preempt_ns(const struct wl_torture_config *c)
{
	return c->vcpu_preempt_ns >= 0 ? (uint64_t)c->vcpu_preempt_ns
				       : c->inject_max_ns;
}

/*
 * One --check-cost phase, p, of kind 0 (checker off), 1 (checker on) or
 * 2 (checker and event ring on): ns per walk; events per walk in *ev.
 */
static double cost_phase(struct trun *t, int p, int kind, double *ev)
{
	struct timespec ts = {0, (long)COST_PHASE_NS};
	uint64_t walks = 0, ns = 0, events = 0;

	/* Ordered before the walkers' phase by the barrier. */
	wl_check_enabled = kind >= 1;
	wl_trace_set(kind == 2);
	atomic_store_explicit(&t->cost_stop, false, memory_order_relaxed);
	pthread_barrier_wait(&t->cost_barrier);
	nanosleep(&ts, NULL);
	atomic_store_explicit(&t->cost_stop, true, memory_order_relaxed);
	if (p == COST_PHASES - 1) {
		/* Ordered before the torture loop by the barrier. */
		wl_check_enabled = t->c->check;
		wl_trace_reset(t->c->ring);
		apply_inject(t->c);
	}
	pthread_barrier_wait(&t->cost_barrier);
	for (unsigned int i = 0; i < t->c->walkers; i++) {
		walks += t->walkers[i].cost_walks[p];
		ns += t->walkers[i].cost_ns[p];
		events += t->walkers[i].cost_events[p];
	}
	*ev = walks ? (double)events / (double)walks : 0;
	return walks ? (double)ns / (double)walks : 0;
}

/*
 * --check-cost: the same walks with the checker off, on, and on with the
 * event ring, in triples whose order alternates, without writers and
 * without fault injection (which the torture proper turns on just before
 * the last barrier).  The checker's cost is on - off and the ring's is
 * ring - on, each paired within its triple.
 */
static void check_cost(struct trun *t, struct wl_torture_result *r)
{
	enum { N = COST_PHASES / COST_KINDS };
	double v[COST_KINDS][N], ev[COST_KINDS][N], dc[N], dr[N], st[3];
	double events = 0;

	for (int p = 0; p < COST_PHASES; p++) {
		int k = p / COST_KINDS, i = p % COST_KINDS;
		int kind = k & 1 ? COST_KINDS - 1 - i : i;

		v[kind][k] = cost_phase(t, p, kind, &ev[kind][k]);
	}
	for (int k = 0; k < N; k++) {
		dc[k] = v[1][k] - v[0][k];
		dr[k] = v[2][k] - v[1][k];
		events += ev[2][k] / N;
	}
	wl_stats3(v[1], N, st);
	r->check_on_ns = st[1];
	wl_stats3(v[0], N, st);
	r->check_off_ns = st[1];
	wl_stats3(v[2], N, st);
	r->ring_on_ns = st[1];
	/* The costs: medians of the paired differences, and their range. */
	wl_stats3(dc, N, r->check_cost_ns);
	wl_stats3(dr, N, r->ring_cost_ns);
	r->ring_events = events;
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

static int alloc_run(struct trun *t, const struct wl_torture_config *c,
		     FILE *out)
{
	t->c = c;
	t->out = out;
	t->nr_chunks = (unsigned int)(c->region_mb / 2);
	t->mms = calloc(c->mms, sizeof(*t->mms));
	t->walkers = calloc(c->walkers, sizeof(*t->walkers));
	t->writers = calloc(c->writers ? c->writers : 1, sizeof(*t->writers));
	return t->mms && t->walkers && t->writers ? 0 : -ENOMEM;
}

static void free_run(struct trun *t)
{
	memset(&wl_bugs, 0, sizeof(wl_bugs));
	atomic_store(&wl_batch_alloc_fail_prob, 0);
	wl_arch_pae = false;
	wl_sb_on = false;
	wl_inject_cfg.enabled = false;
	free(t->mms);
	free(t->walkers);
	free(t->writers);
	torture = NULL;
}

/* The checker and the stats, fresh; the mms set up as CPU 0's work. */
static int prepare(struct trun *t)
{
	const struct wl_torture_config *c = t->c;
	int ret;

	wl_bugs = c->bugs;
	/* Before the writers start: they read it relaxed. */
	atomic_store(&wl_batch_alloc_fail_prob, c->batch_fail);
	wl_arch_pae = c->pae;
	/* Before the CPUs come up: they read it relaxed (core/sb.h). */
	wl_sb_on = c->inject_sb;
	wl_check_enabled = c->check;
	/* Before the CPUs start; --check-cost turns it on in its phases. */
	wl_trace_reset(c->ring && !c->check_cost);
	wl_check_set_context(c->context);
	wl_violations_reset();
	wl_violation_set_print_limit(3);
	/* Before the others come up. */
	if (wl_cpu_start("setup") < 0)
		return -EBUSY;
	ret = setup_mms(t);
	wl_cpu_stop();
	if (ret) {
		fprintf(stderr, "walklab: torture: setting up the mms: %s\n",
			strerror(-ret));
		for (unsigned int m = 0; m < c->mms; m++)
			if (t->mms[m].pgd)
				wl_mm_destroy(&t->mms[m]);
		return ret;
	}
	wl_ipi_stats_reset();
	wl_arch_stats_reset();
	wl_fallback_stats_reset();
	wl_sb_stats_reset();
	if (wl_backend.stats_reset)
		wl_backend.stats_reset();
	memset(&wl_inject_cfg, 0, sizeof(wl_inject_cfg));
	if (!c->check_cost)
		apply_inject(c);
	return 0;
}

static void print_header(const struct wl_torture_config *c, FILE *out)
{
	char bugs[128];

	if (c->quiet)
		return;
	torture_bugs_string(&c->bugs, bugs, sizeof(bugs));
	fprintf(out,
		"walklab-torture: backend %s (%s) arch %s seed %llu "
		"cpus %u walkers %u writers %u mms %u region %llu MiB check "
		"%s inject %s%s legacy-thp %s bugs %s\n",
		wl_backend.name, wl_backend.build_options,
		wl_arch_name(c->arch), (unsigned long long)c->seed,
		c->walkers + c->writers + torture_other_cpus(c), c->walkers,
		c->writers, c->mms, (unsigned long long)c->region_mb,
		c->check ? "on" : "off", c->inject ? "on" : "off",
		c->inject_sb ? " inject-sb on" : "",
		c->legacy_thp ? "on" : "off", bugs);
	if (c->bystanders)
		fprintf(out, "walklab-torture: bystanders %u (another mm)\n",
			c->bystanders);
	if (torture_vcpu_preempt(c))
		fprintf(out,
			"walklab-torture: vCPU preemption at walk points "
			"%u/65536, up to %llu ns (paravirt flush defers)\n",
			torture_vcpu_preempt(c),
			(unsigned long long)torture_vcpu_preempt_ns(c));
	if (c->inject_sb) {
		fprintf(out,
			"walklab-torture: store buffer at the publication "
			"points (core/sb.h); on %s:\n",
			wl_arch_name(c->arch));
		wl_arch_print_barriers(out, c->arch);
	}
	fflush(out);
}

/*
 * The watchdog, the bystanders (up before any writer, so that each takes
 * every broadcast), the walkers, the --check-cost phases, the writers.
 */
static int start_threads(struct trun *t, pthread_t *wd,
			 struct wl_torture_result *r)
{
	const struct wl_torture_config *c = t->c;
	pthread_attr_t attr;
	int ret;

	if (c->bystanders &&
	    (ret = wl_bystanders_start(&t->bystanders, c->bystanders))) {
		fprintf(stderr, "walklab: torture: bystanders: %s\n",
			strerror(-ret));
		return ret;
	}
	wl_cpu_thread_attr(&attr); /* 256 CPUs: stacks of WL_CPU_STACK */
	if (c->check_cost)
		pthread_barrier_init(&t->cost_barrier, NULL, c->walkers + 1);
	t->t0 = wl_now_ns();
	pthread_create(wd, &attr, torture_watchdog_main, NULL);
	for (unsigned int i = 0; i < c->walkers; i++)
		pthread_create(&t->walkers[i].thread, &attr,
			       torture_walker_main, &t->walkers[i]);
	if (c->check_cost)
		check_cost(t, r);
	t->t0 = wl_now_ns();
	for (unsigned int i = 0; i < c->writers; i++)
		pthread_create(&t->writers[i].thread, &attr,
			       torture_writer_main, &t->writers[i]);
	pthread_attr_destroy(&attr);
	return 0;
}

/* The first violation of a watched type, in wl_now_ns() time; 0: none. */
static uint64_t first_watched(unsigned int stop_types)
{
	uint64_t first = 0;

	for (int v = 0; v < WL_NR_VIOLATIONS; v++) {
		uint64_t f = wl_violation_first_ns(v);

		if ((stop_types & (1u << v)) && f && (!first || f < first))
			first = f;
	}
	return first;
}

/* --ops reached, and the last ops (which may still run) done. */
static bool ops_done(struct trun *t)
{
	const struct wl_torture_config *c = t->c;
	bool busy = false;

	if (!c->ops || atomic_load(&t->ops_started) < c->ops)
		return false;
	for (unsigned int i = 0; i < c->writers; i++)
		busy |= atomic_load(&t->writers[i].op_since) != 0;
	return !busy;
}

/* The main thread's watch: until a watched violation, the end or a stop. */
static void watch(struct trun *t, struct wl_torture_result *r)
{
	const struct wl_torture_config *c = t->c;

	for (;;) {
		struct timespec ts = {0, 1000000};
		uint64_t now = wl_now_ns(), first = first_watched(c->stop_mask);

		if (first) {
			r->first_ns = first > t->t0 ? first - t->t0 : 1;
			break;
		}
		if (c->duration_ns && now - t->t0 >= c->duration_ns)
			break;
		if (ops_done(t))
			break;
		if (atomic_load_explicit(&t->stop, memory_order_relaxed))
			break;
		nanosleep(&ts, NULL);
	}
}

static void stop_threads(struct trun *t, struct wl_torture_result *r)
{
	const struct wl_torture_config *c = t->c;

	atomic_store_explicit(&t->stop, true, memory_order_relaxed);
	for (unsigned int i = 0; i < c->walkers; i++)
		pthread_join(t->walkers[i].thread, NULL);
	for (unsigned int i = 0; i < c->writers; i++)
		pthread_join(t->writers[i].thread, NULL);
	r->elapsed_ns = wl_now_ns() - t->t0;
	/* After the writers: every interrupt sent to them is counted. */
	if (wl_backend.stats) {
		struct wl_backend_stats bs;

		wl_backend.stats(&bs);
		r->run_sync_calls = bs.sync_calls;
		r->run_free_one_calls = bs.free_one_calls;
	}
	r->nr_bystanders = c->bystanders;
	wl_bystanders_stop(t->bystanders, r->bystander);
	t->bystanders = NULL;
	torture_percpu_snapshot(); /* before the teardown CPU comes up */
	if (c->check_cost)
		pthread_barrier_destroy(&t->cost_barrier);
}

/* Drop the mms: then every frame and table must be back. */
static void teardown(struct trun *t, pthread_t wd, struct wl_torture_result *r)
{
	const struct wl_torture_config *c = t->c;

	atomic_store(&t->teardown_since, wl_now_ns());
	wl_inject_cfg.enabled = false;
	if (wl_cpu_start("teardown") >= 0) {
		for (unsigned int m = 0; m < c->mms; m++)
			wl_mm_destroy(&t->mms[m]);
		wl_cpu_stop();
	}
	wait_deferred();
	r->balance_ok = !wl_machine_check_balance();
	atomic_store(&t->done, true);
	pthread_join(wd, NULL);
	if (!r->first_ns && c->stop_mask) {
		/* A teardown violation of a watched type counts too. */
		for (int v = 0; v < WL_NR_VIOLATIONS; v++)
			if ((c->stop_mask & (1u << v)) && wl_violation_count(v))
				r->first_ns = r->elapsed_ns;
	}
}

int wl_torture_run(const struct wl_torture_config *cfg,
		   struct wl_torture_result *r, FILE *out)
{
	struct wl_torture_config c = *cfg;
	struct trun t = {0};
	pthread_t wd;
	int ret;

	torture_validate(&c);
	memset(r, 0, sizeof(*r));
	ret = alloc_run(&t, &c, out);
	if (ret)
		goto out_free;
	torture = &t;
	ret = machine_up(&c);
	if (ret)
		goto out_free;
	ret = prepare(&t);
	if (ret) {
		machine_down(&c);
		goto out_free;
	}
	print_header(&c, out);
	ret = start_threads(&t, &wd, r);
	if (ret) {
		machine_down(&c);
		goto out_free;
	}
	watch(&t, r);
	stop_threads(&t, r);
	teardown(&t, wd, r);
	torture_print_summary(out, r, true);
	machine_down(&c);
out_free:
	free_run(&t);
	return ret;
}

/* The command line, for violation reports. */
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
	torture_validate(&c);
	set_context(&c, "torture", argc, argv);
	ret = wl_torture_run(&c, &r, stdout);
	if (ret) {
		fprintf(stderr, "walklab: torture could not start: %s\n",
			strerror(-ret));
		return 1;
	}
	return r.success ? 0 : 1;
}
