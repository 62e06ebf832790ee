// SPDX-License-Identifier: MIT
/*
 * smp_topology.c - the simulated SMP's configuration (wl_smp_init()), the
 * host's topology (hwloc) and the pinning of CPUs to host PUs.
 */
#include "smp_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wl_smp_config smp_cfg = {
	.delivery = WL_TSAN ? WL_IPI_POLL : WL_IPI_SIGNAL,
	.pin = WL_PIN_AUTO,
	.stall_ns = 2000000000ull,
	.stall_panic_ns = 30000000000ull,
};
static bool smp_inited; /* under init_lock */
static bool handler_installed;
pid_t wl_smp_pid;
int wl_ipi_sig;

/* hwloc: one topology, not safe for concurrent use: topo_lock. */
static pthread_mutex_t topo_lock = PTHREAD_MUTEX_INITIALIZER;
static hwloc_topology_t topo;
static bool topo_ok;
static _Atomic unsigned int host_pus = 1;
static _Atomic unsigned int nr_pinned, nr_unpinned;

static void env_ms(const char *var, uint64_t *ns)
{
	const char *s = getenv(var);
	char *end;
	unsigned long long ms;

	if (!s || !*s)
		return;
	errno = 0;
	ms = strtoull(s, &end, 10);
	if (errno || *end || ms > UINT64_MAX / 1000000u) {
		fprintf(stderr, "walklab: ignoring %s='%s' (want ms)\n", var,
			s);
		return;
	}
	*ns = (uint64_t)ms * 1000000u;
}

void wl_smp_config_default(struct wl_smp_config *cfg)
{
	const char *ipi = getenv("WALKLAB_IPI");

	memset(cfg, 0, sizeof(*cfg));
	/* TSan defers asynchronous signals to its interceptors. */
	cfg->delivery = WL_TSAN ? WL_IPI_POLL : WL_IPI_SIGNAL;
	cfg->pin = WL_PIN_AUTO;
	cfg->nr_cpus_hint = 0;
	cfg->stall_ns = 2000000000ull;
	cfg->stall_panic_ns = 30000000000ull;
	if (ipi && !strcmp(ipi, "signal"))
		cfg->delivery = WL_IPI_SIGNAL;
	else if (ipi && !strcmp(ipi, "poll"))
		cfg->delivery = WL_IPI_POLL;
	else if (ipi && *ipi)
		fprintf(stderr,
			"walklab: ignoring WALKLAB_IPI='%s' (want "
			"signal|poll)\n",
			ipi);
	env_ms("WALKLAB_STALL_MS", &cfg->stall_ns);
	env_ms("WALKLAB_STALL_PANIC_MS", &cfg->stall_panic_ns);
	cfg->stall_verbose = getenv("WALKLAB_STALL_VERBOSE") &&
			     *getenv("WALKLAB_STALL_VERBOSE");
}

static void topo_init_locked(void)
{
	int n;

	if (topo_ok)
		return;
	if (hwloc_topology_init(&topo))
		goto fail;
	if (hwloc_topology_load(topo)) {
		hwloc_topology_destroy(topo);
		goto fail;
	}
	n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	if (n <= 0) {
		hwloc_topology_destroy(topo);
		goto fail;
	}
	topo_ok = true;
	atomic_store_explicit(&host_pus, (unsigned int)n, memory_order_relaxed);
	return;
fail:
	/* Not fatal: no pinning, and the PU count from the OS. */
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	atomic_store_explicit(&host_pus, n > 0 ? (unsigned int)n : 1u,
			      memory_order_relaxed);
}

static int smp_init_locked(const struct wl_smp_config *cfg)
{
	struct sigaction sa;

	if (cfg->delivery != WL_IPI_SIGNAL && cfg->delivery != WL_IPI_POLL)
		return -EINVAL;
	if (cfg->pin != WL_PIN_AUTO && cfg->pin != WL_PIN_NONE &&
	    cfg->pin != WL_PIN_FORCE)
		return -EINVAL;
	if (atomic_load_explicit(&wl_nr_online, memory_order_relaxed))
		return -EBUSY;

	wl_smp_pid = getpid();
	wl_ipi_sig = SIGRTMIN;
	if (!handler_installed) {
		/*
		 * SA_RESTART: a CPU blocked in a lock or condition variable
		 * takes the IPI and goes back to sleep.  The handler stays
		 * installed for good: a signal sent just before a CPU went
		 * down may still arrive, and SIGRTMIN's default kills.
		 */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = wl_ipi_signal_handler;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		if (sigaction(wl_ipi_sig, &sa, NULL))
			return -errno;
		handler_installed = true;
	}

	pthread_mutex_lock(&topo_lock);
	topo_init_locked();
	pthread_mutex_unlock(&topo_lock);

	smp_cfg = *cfg;
	/* Written only while no CPU runs; avoid even a same-value store. */
	if (wl_ipi_poll_mode != (cfg->delivery == WL_IPI_POLL))
		wl_ipi_poll_mode = cfg->delivery == WL_IPI_POLL;
	wl_stall_set_thresholds(cfg->stall_ns, cfg->stall_panic_ns);
	wl_stall_set_verbose(cfg->stall_verbose);
	atomic_store_explicit(&nr_pinned, 0, memory_order_relaxed);
	atomic_store_explicit(&nr_unpinned, 0, memory_order_relaxed);
	atomic_store_explicit(&wl_peak_online, 0, memory_order_relaxed);
	smp_inited = true;
	return 0;
}

int wl_smp_init(const struct wl_smp_config *cfg)
{
	int ret;

	pthread_mutex_lock(&init_lock);
	ret = smp_init_locked(cfg);
	pthread_mutex_unlock(&init_lock);
	return ret;
}

void wl_smp_fini(void)
{
	pthread_mutex_lock(&init_lock);
	if (atomic_load_explicit(&wl_nr_online, memory_order_relaxed))
		fprintf(stderr,
			"walklab: WARNING: wl_smp_fini() with %u CPUs online\n",
			atomic_load_explicit(&wl_nr_online,
					     memory_order_relaxed));
	pthread_mutex_lock(&topo_lock);
	if (topo_ok) {
		hwloc_topology_destroy(topo);
		topo_ok = false;
	}
	pthread_mutex_unlock(&topo_lock);
	smp_inited = false;
	pthread_mutex_unlock(&init_lock);
}

int wl_smp_ensure_init(void)
{
	struct wl_smp_config cfg;
	int ret = 0;

	pthread_mutex_lock(&init_lock);
	if (!smp_inited) {
		wl_smp_config_default(&cfg);
		ret = smp_init_locked(&cfg);
	}
	pthread_mutex_unlock(&init_lock);
	return ret;
}

unsigned int wl_host_nr_pus(void)
{
	return atomic_load_explicit(&host_pus, memory_order_relaxed);
}

bool wl_smp_pinned(void)
{
	return atomic_load_explicit(&nr_pinned, memory_order_relaxed) &&
	       !atomic_load_explicit(&nr_unpinned, memory_order_relaxed);
}

bool wl_smp_oversubscribed(void)
{
	return atomic_load_explicit(&wl_peak_online, memory_order_relaxed) >
	       wl_host_nr_pus();
}

/* Bind the calling thread to PU (id % PUs) when the policy says so. */
void wl_cpu_pin(struct wl_cpu *c, int id)
{
	hwloc_obj_t pu;
	unsigned int npus;
	bool want;

	c->pinned = false;
	c->pu = -1;
	pthread_mutex_lock(&topo_lock);
	npus = atomic_load_explicit(&host_pus, memory_order_relaxed);
	want = smp_cfg.pin == WL_PIN_FORCE ||
	       (smp_cfg.pin == WL_PIN_AUTO && smp_cfg.nr_cpus_hint &&
		smp_cfg.nr_cpus_hint <= npus);
	if (!want || !topo_ok)
		goto out;
	pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned int)id % npus);
	if (!pu)
		goto out;
	c->saved_bind = hwloc_bitmap_alloc();
	if (c->saved_bind &&
	    hwloc_get_cpubind(topo, c->saved_bind, HWLOC_CPUBIND_THREAD)) {
		hwloc_bitmap_free(c->saved_bind);
		c->saved_bind = NULL;
	}
	/* A restricted container may refuse: then we run unpinned. */
	if (!hwloc_set_cpubind(topo, pu->cpuset, HWLOC_CPUBIND_THREAD)) {
		c->pinned = true;
		c->pu = (int)pu->logical_index;
	}
out:
	pthread_mutex_unlock(&topo_lock);
	if (want)
		atomic_fetch_add_explicit(c->pinned ? &nr_pinned : &nr_unpinned,
					  1, memory_order_relaxed);
}

void wl_cpu_unpin(struct wl_cpu *c)
{
	pthread_mutex_lock(&topo_lock);
	if (c->saved_bind) {
		if (c->pinned && topo_ok)
			hwloc_set_cpubind(topo, c->saved_bind,
					  HWLOC_CPUBIND_THREAD);
		hwloc_bitmap_free(c->saved_bind);
		c->saved_bind = NULL;
	}
	c->pinned = false;
	pthread_mutex_unlock(&topo_lock);
}

bool wl_cpu_check_placement(void)
{
	struct wl_cpu *c = wl_irq.cpu;
	hwloc_bitmap_t where;
	hwloc_obj_t pu;
	bool ok = false;

	if (!c || !c->pinned)
		return false;
	pthread_mutex_lock(&topo_lock);
	where = hwloc_bitmap_alloc();
	pu = topo_ok ? hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU,
					     (unsigned int)c->pu)
		     : NULL;
	if (where && pu &&
	    !hwloc_get_last_cpu_location(topo, where, HWLOC_CPUBIND_THREAD))
		ok = hwloc_bitmap_isincluded(where, pu->cpuset);
	hwloc_bitmap_free(where);
	pthread_mutex_unlock(&topo_lock);
	return ok;
}
