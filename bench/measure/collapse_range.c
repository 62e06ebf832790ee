// SPDX-License-Identifier: MIT
/*
 * collapse_range.c - see collapse_range.h.
 */
#include "collapse_range.h"
#include "backend.h"
#include "cli.h"
#include "machine.h"
#include "measure_int.h"
#include "mm.h"
#include "page.h"
#include "rcu_sched.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The four strategies of the 2026 review (docs/kernel-protocol.md 6, 6.4), by
 * the configuration and options that are each: today (v6.18), skip
 * (tlb_table_flush_implies_ipi_broadcast(), true on the ipi arch only:
 * skip_sync=arch), rcu_sync (synchronize_rcu() for the sync: sync=rcu),
 * targeted (the v4 series, its own configuration, default options).  "default" stands for any
 * other backend's own sync, run only when asked for by name.
 */
static const struct wl_crange_strategy strategies[] = {
	{"today", "lockless_walk_helpers-today", {"sync=ipi"}, {"sync=ipi"}},
	{"skip",
	 "lockless_walk_helpers-today",
	 {"skip_sync=arch"},
	 {"skip_sync=off"}},
	{"rcu_sync", "lockless_walk_helpers-today", {"sync=rcu"}, {"sync=ipi"}},
	{"targeted", "lockless_walk_helpers-targeted", {NULL}, {NULL}},
};
static const struct wl_crange_strategy strategy_default = {.name = "default"};

const struct wl_crange_strategy *wl_crange_strategies(bool explicit,
						      unsigned int *n)
{
	size_t nr = sizeof(strategies) / sizeof(strategies[0]), first = nr;

	*n = 0;
	for (size_t i = 0; i < nr; i++) {
		if (strcmp(strategies[i].backend, wl_backend.name))
			continue;
		if (first == nr)
			first = i;
		(*n)++;
	}
	if (*n)
		return &strategies[first];
	*n = explicit;
	return &strategy_default;
}

void wl_crange_machine_size(uint64_t mib, uint64_t *frames, uint32_t *tables)
{
	uint64_t pmds = mib / 2;

	/* The small pages, one huge folio in flight, room for the rest. */
	*frames = (mib << 8) + 2 * HPAGE_PMD_NR + (UINT64_C(1) << 16);
	*frames = (*frames + HPAGE_PMD_NR - 1) & ~(uint64_t)(HPAGE_PMD_NR - 1);
	*tables = (uint32_t)(pmds + pmds / 512 + 1024);
}

uint64_t wl_crange_bytes(uint64_t mib)
{
	uint64_t frames;
	uint32_t tables;

	wl_crange_machine_size(mib, &frames, &tables);
	/* A table page and its descriptor, with room for the allocator. */
	return frames * sizeof(struct wl_page) + (uint64_t)tables * 4096 * 2;
}

static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kib = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kib << 10;
}

bool wl_crange_fits(uint64_t mib)
{
	uint64_t avail = mem_available();

	/* Unknown (no /proc): let the allocation decide. */
	return !avail || wl_crange_bytes(mib) <= avail / 10 * 8;
}

uint64_t wl_crange_parse_mib(const char *opt, const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mib;

	if (end == s || *s == '-' || v == 0 || v > WL_CRANGE_MAX_MIB ||
	    (*end && strcmp(end, "M") && strcmp(end, "G")))
		wl_usage_error("%s: '%s' is not a size; valid: 2M..4096G "
			       "(a unit M or G; G if none), even MiB",
			       opt, s);
	mib = *end == 'M' ? v : v << 10;
	if (mib < 2 || mib > WL_CRANGE_MAX_MIB || mib % 2)
		wl_usage_error("%s: '%s' out of range; valid: 2M..4096G, "
			       "a whole number of 2 MiB PMDs",
			       opt, s);
	if (!wl_crange_fits(mib))
		wl_usage_error("%s: %s needs %.1f GiB of simulated frames and "
			       "tables, more than 80%% of available memory "
			       "(%.1f GiB)",
			       opt, s, (double)wl_crange_bytes(mib) / (1 << 30),
			       (double)mem_available() / (1 << 30));
	return mib;
}

/* The CPUs that do not collapse: they run an mm, without walking. */
struct crange {
	unsigned int nr, bystanders;
	pthread_t thread[WL_NR_CPUS];
	pthread_mutex_t lock;
	pthread_cond_t cv;
	bool stop;		      /* under lock */
	_Atomic unsigned int next;    /* ids: the first are bystanders */
	_Atomic unsigned int started; /* up, in EQS */
	_Atomic int err;
	enum wl_crange_role *role;
};

static struct wl_mm crange_other_mm; /* never initialised or walked */

static void *crange_cpu(void *arg)
{
	struct crange *cr = arg;
	unsigned int i = atomic_fetch_add(&cr->next, 1);
	bool bystander = i < cr->bystanders;
	int id = wl_cpu_start(bystander ? "bystander" : "mm-cpu");

	if (id < 0) {
		atomic_store(&cr->err, id);
		atomic_fetch_add_explicit(&cr->started, 1,
					  memory_order_release);
		return NULL;
	}
	cr->role[id] = bystander ? WL_CR_BYSTANDER : WL_CR_MM;
	/* A bystander runs an mm of its own: only its identity matters. */
	wl_arch_switch_mm(bystander ? &crange_other_mm : NULL);
	wl_cpu_block_begin();
	wl_rcu_sched_user_enter();
	/* Release: our set-up before the collapses; pairs with the wait. */
	atomic_fetch_add_explicit(&cr->started, 1, memory_order_release);
	/* Idle until the end; IPIs are taken here, from the handler. */
	wl_mutex_lock(&cr->lock);
	while (!cr->stop)
		wl_cond_wait(&cr->cv, &cr->lock);
	pthread_mutex_unlock(&cr->lock);
	wl_rcu_sched_user_exit();
	wl_cpu_block_end();
	wl_arch_switch_mm(NULL);
	wl_cpu_stop();
	return NULL;
}

static int crange_start(struct crange *cr, const struct wl_crange_params *p,
			enum wl_crange_role *role)
{
	pthread_mutex_init(&cr->lock, NULL);
	pthread_cond_init(&cr->cv, NULL);
	cr->nr = p->cpus - 1;
	cr->bystanders = p->bystanders;
	cr->role = role;
	for (unsigned int i = 0; i < cr->nr; i++)
		if (pthread_create(&cr->thread[i], NULL, crange_cpu, cr)) {
			cr->nr = i;
			atomic_store(&cr->err, -EAGAIN);
			break;
		}
	/* Acquire: pairs with each CPU's release increment. */
	while (atomic_load_explicit(&cr->started, memory_order_acquire) <
	       cr->nr)
		measure_sleep_ns(100000);
	return atomic_load(&cr->err);
}

static void crange_stop(struct crange *cr)
{
	pthread_mutex_lock(&cr->lock);
	cr->stop = true;
	pthread_cond_broadcast(&cr->cv);
	pthread_mutex_unlock(&cr->lock);
	for (unsigned int i = 0; i < cr->nr; i++)
		pthread_join(cr->thread[i], NULL);
	pthread_cond_destroy(&cr->cv);
	pthread_mutex_destroy(&cr->lock);
}

static int set_opts(const char *const *kv)
{
	for (int i = 0; i < 3 && kv[i]; i++) {
		char key[32];
		const char *eq = strchr(kv[i], '=');
		size_t n = eq ? (size_t)(eq - kv[i]) : 0;

		if (!eq || n >= sizeof(key) || !wl_backend.set_option)
			return -EINVAL;
		memcpy(key, kv[i], n);
		key[n] = 0;
		if (wl_backend.set_option(key, eq + 1))
			return -EINVAL;
	}
	return 0;
}

/* Every PMD of [MEASURE_BASE, + mib), each timed. */
static void crange_collapse(struct wl_mm *mm, uint64_t mib,
			    struct wl_crange_result *r)
{
	uint64_t pmds = mib / 2;

	for (uint64_t i = 0; i < pmds; i++) {
		uint64_t t0 = wl_now_ns();
		int ret =
			wl_collapse_huge_page(mm, MEASURE_BASE + i * PMD_SIZE);

		r->writer_ns[i] = wl_now_ns() - t0;
		if (ret)
			r->failed++;
		else
			r->collapses++;
		measure_qs();
	}
}

static void crange_read(const struct wl_crange_params *p,
			struct wl_crange_result *r)
{
	struct wl_backend_stats bs;
	struct wl_ipi_stats st;

	wl_ipi_stats(&st);
	memcpy(r->sent, st.sent_kind, sizeof(r->sent));
	for (unsigned int cpu = 0; cpu < WL_NR_CPUS; cpu++) {
		struct wl_cpu_counts n;

		wl_cpu_counts((int)cpu, &n);
		memcpy(r->recv[cpu], n.received_kind, sizeof(r->recv[cpu]));
	}
	wl_backend.stats(&bs);
	r->grace_periods = bs.grace_periods;
	(void)p;
}

/*
 * Wait (up to 5 s) for the tables an earlier run freed through a grace
 * period: that grace period's FQS IPIs would be counted in ours.
 */
static void crange_quiesce(void)
{
	struct wl_backend_stats bs;

	for (int i = 0; i < 5000; i++) {
		wl_backend.stats(&bs);
		if (!bs.tables_deferred_now)
			return;
		measure_sleep_ns(1000000);
	}
}

int wl_crange_run(const struct wl_crange_strategy *s,
		  const struct wl_crange_params *p, struct wl_crange_result *r)
{
	struct wl_mm mm;
	struct crange cr;
	int ret;

	memset(r, 0, sizeof(*r));
	memset(&cr, 0, sizeof(cr));
	if (p->cpus < 1 || p->cpus > WL_NR_CPUS || p->bystanders >= p->cpus ||
	    smp_processor_id() < 0)
		return -EINVAL;
	r->writer_ns = calloc(p->range_mib / 2, sizeof(*r->writer_ns));
	if (!r->writer_ns)
		return -ENOMEM;
	r->role[smp_processor_id()] = WL_CR_WRITER;
	crange_quiesce();
	ret = set_opts(s->opts);
	if (!ret)
		ret = wl_mm_init(&mm);
	if (ret)
		return ret;
	/* Fault the range in with 4 KiB pages (no VM_HUGEPAGE). */
	ret = measure_region(&mm, MEASURE_BASE, p->range_mib << 20,
			     VM_READ | VM_WRITE);
	if (!ret)
		ret = crange_start(&cr, p, r->role);
	if (!ret) {
		/* The CPUs are idle: nothing is in flight to miscount. */
		wl_ipi_stats_reset();
		wl_arch_stats_reset();
		wl_backend.stats_reset();
		crange_collapse(&mm, p->range_mib, r);
		crange_read(p, r);
	}
	if (!ret || cr.nr)
		crange_stop(&cr);
	wl_mm_destroy(&mm);
	set_opts(s->undo);
	return ret;
}
