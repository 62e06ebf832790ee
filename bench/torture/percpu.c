// SPDX-License-Identifier: MIT
/*
 * percpu.c - the torture summary's per-CPU lines: the scale of the run
 * (simulated CPUs against host PUs, peak RSS, threads), the IPIs each CPU
 * sent and took by kind, the grace periods and polls each CPU asked for
 * (core/smp.h, enum wl_cpu_event), and the waits the host starved.
 *
 * The per-CPU counts are snapshot when the walkers and writers have
 * stopped, before the teardown CPU (which may reuse an id) runs.  They are
 * exact at any number of CPUs: each IPI is counted where it is sent and
 * where it is run, each grace period and poll on the CPU that asks for it
 * (core/smp.c), not sampled, not derived from time.
 */
#include "smp.h"
#include "torture_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

struct cpu_snap {
	int cpu;
	bool writer;
	struct wl_cpu_counts n;
};

static struct cpu_snap *snap;
static unsigned int nr_snap, nr_reused;
/* The shared row (threads that are not CPUs) and the totals, then. */
static struct wl_cpu_counts shared;
static uint64_t total[WL_NR_CPU_EVENTS], ipi_taken_all;

/*
 * Is cpu already in the snapshot's first n?  A thread that comes up after
 * another went down may take its id (at 256 CPUs on a loaded host, a
 * walker can come up after the run ended and leave at once): the row is
 * one, counted once, a writer's if either thread was.
 */
static bool snap_reused(unsigned int n, int cpu, bool writer)
{
	for (unsigned int i = 0; i < n; i++) {
		if (snap[i].cpu == cpu) {
			snap[i].writer |= writer;
			nr_reused++;
			return true;
		}
	}
	return false;
}

void torture_percpu_snapshot(void)
{
	const struct wl_torture_config *c = torture->c;
	unsigned int n = 0;

	free(snap);
	snap = calloc(c->walkers + c->writers + 1, sizeof(*snap));
	nr_snap = nr_reused = 0;
	if (!snap)
		return;
	for (unsigned int i = 0; i < c->walkers + c->writers; i++) {
		bool wr = i >= c->walkers;
		int cpu =
			wr ? atomic_load(&torture->writers[i - c->walkers].cpu)
			   : atomic_load(&torture->walkers[i].cpu);

		if (cpu < 0 || snap_reused(n, cpu, wr) ||
		    wl_cpu_counts(cpu, &snap[n].n))
			continue;
		snap[n].cpu = cpu;
		snap[n].writer = wr;
		n++;
	}
	nr_snap = n;
	wl_cpu_counts(WL_CPU_SHARED, &shared);
	for (int ev = 0; ev < WL_NR_CPU_EVENTS; ev++)
		total[ev] = wl_cpu_event_total(ev);
	ipi_taken_all = 0;
	for (int cpu = 0; cpu < WL_NR_CPUS; cpu++) {
		struct wl_cpu_counts row;

		wl_cpu_counts(cpu, &row);
		for (int k = 0; k < WL_NR_IPI_KINDS; k++)
			ipi_taken_all += row.received_kind[k];
	}
}

void torture_percpu_sums(struct torture_percpu_sums *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < nr_snap; i++) {
		uint64_t *row = snap[i].writer ? s->writers : s->walkers;

		if (snap[i].writer)
			s->nr_writers++;
		else
			s->nr_walkers++;
		for (int ev = 0; ev < WL_NR_CPU_EVENTS; ev++)
			row[ev] += snap[i].n.events[ev];
		for (int k = 0; k < WL_NR_IPI_KINDS; k++)
			s->ipi_taken += snap[i].n.received_kind[k];
	}
	s->ipi_taken_all = ipi_taken_all;
	memcpy(s->shared, shared.events, sizeof(s->shared));
	memcpy(s->total, total, sizeof(s->total));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * " name total (min/median/max)" over the snapshot CPUs that are writers
 * (writer 1), walkers (0) or all (-1), of one count: an IPI kind taken
 * (ev < 0: kind k) or an event (ev).
 */
static void print_spread(FILE *f, uint64_t *v, int writer, int ev, int k)
{
	unsigned int m = 0;
	uint64_t sum = 0;

	for (unsigned int i = 0; i < nr_snap; i++) {
		if (writer >= 0 && snap[i].writer != (bool)writer)
			continue;
		v[m] = ev >= 0 ? snap[i].n.events[ev]
			       : snap[i].n.received_kind[k];
		sum += v[m++];
	}
	if (!m)
		return;
	qsort(v, m, sizeof(*v), cmp_u64);
	fprintf(f, " %s %llu (%llu/%llu/%llu)",
		ev >= 0 ? wl_cpu_event_names[ev] : wl_ipi_kind_names[k],
		(unsigned long long)sum, (unsigned long long)v[0],
		(unsigned long long)v[m / 2], (unsigned long long)v[m - 1]);
}

static unsigned int nr_class(bool writer)
{
	unsigned int m = 0;

	for (unsigned int i = 0; i < nr_snap; i++)
		m += snap[i].writer == writer;
	return m;
}

/* Per-CPU events (grace periods, polls, paravirt flushes): writers,
 * walkers, the shared row, the sum. */
static void print_events(FILE *f, uint64_t *v)
{
	for (int wr = 1; wr >= 0; wr--) {
		fprintf(f,
			"walklab-torture: events (grace periods, polls, PV "
			"flushes) per %s CPU, "
			"exact (total (min/median/max) over %u):",
			wr ? "writer" : "walker", nr_class(wr));
		for (int ev = 0; ev < WL_NR_CPU_EVENTS; ev++)
			print_spread(f, v, wr, ev, 0);
		fputc('\n', f);
	}
	fprintf(f, "walklab-torture: events of threads that "
		   "are not CPUs (reclaimer, set-up):");
	for (int ev = 0; ev < WL_NR_CPU_EVENTS; ev++)
		fprintf(f, " %s %llu", wl_cpu_event_names[ev],
			(unsigned long long)shared.events[ev]);
	fprintf(f, "; all rows when the CPUs stopped:");
	for (int ev = 0; ev < WL_NR_CPU_EVENTS; ev++)
		fprintf(f, " %s %llu", wl_cpu_event_names[ev],
			(unsigned long long)total[ev]);
	fputc('\n', f);
}

static void print_verbose(FILE *f)
{
	for (unsigned int i = 0; i < nr_snap; i++) {
		const struct wl_cpu_counts *n = &snap[i].n;

		fprintf(f, "walklab-torture:   CPU %d (%s):", snap[i].cpu,
			snap[i].writer ? "writer" : "walker");
		for (int k = 0; k < WL_NR_IPI_KINDS; k++)
			fprintf(f, " %s sent %llu taken %llu;",
				wl_ipi_kind_names[k],
				(unsigned long long)n->sent_kind[k],
				(unsigned long long)n->received_kind[k]);
		fprintf(f, " deferred %llu;", (unsigned long long)n->deferred);
		for (int ev = 0; ev < WL_NR_CPU_EVENTS; ev++)
			fprintf(f, " %s %llu", wl_cpu_event_names[ev],
				(unsigned long long)n->events[ev]);
		fputc('\n', f);
	}
}

void torture_print_percpu(FILE *f)
{
	const struct wl_torture_config *c = torture->c;
	unsigned int cpus = c->walkers + c->writers + torture_other_cpus(c);
	unsigned int pus = wl_host_nr_pus();
	uint64_t starve_max, starved = wl_stall_starved(&starve_max);
	struct rusage ru;
	uint64_t *v;

	getrusage(RUSAGE_SELF, &ru);
	fprintf(f,
		"walklab-torture: cpus: %u simulated on %u host PUs (%s); "
		"peak RSS %ld MiB; CPU thread stacks %u KiB\n",
		cpus, pus,
		cpus > pus ? "oversubscribed: times are the host's share, "
			     "counts are exact"
			   : "not oversubscribed",
		ru.ru_maxrss / 1024, WL_CPU_STACK >> 10);
	fprintf(f,
		"walklab-torture: starved by the host (notes, not stalls): "
		"watchdog %llu, waits %llu (longest %llu ms)\n",
		(unsigned long long)atomic_load(&torture->watchdog_starved),
		(unsigned long long)starved,
		(unsigned long long)(starve_max / 1000000u));
	v = nr_snap ? calloc(nr_snap, sizeof(*v)) : NULL;
	if (!v)
		return;
	fprintf(f,
		"walklab-torture: ipis taken per CPU, exact (total "
		"(min/median/max) over %u CPUs%s):",
		nr_snap,
		nr_reused ? ", ids reused in the run counted once" : "");
	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		print_spread(f, v, -1, -1, k);
	fputc('\n', f);
	print_events(f, v);
	free(v);
	if (c->verbose)
		print_verbose(f);
}
