// SPDX-License-Identifier: MIT
/*
 * crange_bench.c - `walklab-<id> bench --collapse-range SIZE`: the
 * collapse-range workload (collapse_range.h) on a machine of its own, for
 * every strategy this configuration runs, as a table to read: IPIs sent by
 * kind, the writer's time per collapse, and the interrupts each CPU took
 * by kind (CPUs with the same role and counts on one line).
 */
#include "backend.h"
#include "bench.h" /* wl_sample_stats() */
#include "collapse_range.h"
#include "machine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {"collapsing", "mm", "bystander"};

static bool same_cpu(const struct wl_crange_result *r, int a, int b)
{
	return r->role[a] == r->role[b] &&
	       !memcmp(r->recv[a], r->recv[b], sizeof(r->recv[a]));
}

/* Runs of CPUs with the same role and counts: "cpus 1-63 (mm): f/s/b". */
static void print_cpus(const struct wl_crange_result *r, unsigned int ncpus)
{
	for (unsigned int a = 0, b; a < ncpus; a = b) {
		for (b = a + 1; b < ncpus && same_cpu(r, (int)a, (int)b); b++)
			;
		printf("  cpu%s %u%s", b - a > 1 ? "s" : "", a,
		       b - a > 1 ? "-" : "");
		if (b - a > 1)
			printf("%u", b - 1);
		printf(" (%s):", role_names[r->role[a]]);
		for (int k = 0; k < WL_NR_IPI_KINDS; k++)
			printf(" %s %llu", wl_ipi_kind_names[k],
			       (unsigned long long)r->recv[a][k]);
		printf("\n");
	}
}

static void print_result(const struct wl_crange_strategy *s,
			 const struct wl_crange_params *p,
			 struct wl_crange_result *r)
{
	double st[4];
	uint64_t pmds = p->range_mib / 2;

	wl_sample_stats(r->writer_ns, pmds, st);
	printf("%-9s %9llu %6llu %11llu %11llu %11llu %6llu %9.1f %9.1f "
	       "%9.1f\n",
	       s->name, (unsigned long long)r->collapses,
	       (unsigned long long)r->failed,
	       (unsigned long long)r->sent[WL_IPI_FLUSH],
	       (unsigned long long)r->sent[WL_IPI_SYNC],
	       (unsigned long long)r->sent[WL_IPI_BACKEND],
	       (unsigned long long)r->grace_periods, st[1] / 1e3, st[3] / 1e3,
	       st[2] / 1e3);
}

static int machine_up(const struct wl_crange_params *p, enum wl_arch arch)
{
	struct wl_machine_config cfg;

	wl_machine_config_default(&cfg);
	wl_crange_machine_size(p->range_mib, &cfg.nr_frames, &cfg.nr_tables);
	cfg.smp.nr_cpus_hint = p->cpus;
	wl_arch_config_default(&cfg.arch, arch);
	return wl_machine_init(&cfg);
}

int wl_crange_bench(const struct wl_crange_params *p, enum wl_arch arch)
{
	unsigned int ns;
	const struct wl_crange_strategy *s = wl_crange_strategies(true, &ns);
	struct wl_crange_result *r = calloc(ns, sizeof(*r));
	int ret = r ? machine_up(p, arch) : -ENOMEM;

	if (ret)
		goto out;
	if (wl_cpu_start("khugepaged") < 0) {
		wl_machine_fini();
		ret = -EBUSY;
		goto out;
	}
	for (unsigned int i = 0; i < ns && !ret; i++)
		ret = wl_crange_run(&s[i], p, &r[i]);
	wl_cpu_stop();
	wl_machine_fini();
	if (ret)
		goto out;
	printf("collapse-range: %llu MiB (%llu PMDs of 4 KiB pages), %u "
	       "CPUs: 1 collapsing, %u more running the mm, %u bystanders; "
	       "arch %s; %s\n",
	       (unsigned long long)p->range_mib,
	       (unsigned long long)(p->range_mib / 2), p->cpus,
	       p->cpus - 1 - p->bystanders, p->bystanders, wl_arch_name(arch),
	       wl_backend.name);
	printf("%-9s %9s %6s %11s %11s %11s %6s %9s %9s %9s\n", "strategy",
	       "collapses", "failed", "flush IPIs", "sync IPIs", "other IPIs",
	       "GPs", "us p50", "us p99", "us max");
	for (unsigned int i = 0; i < ns; i++)
		print_result(&s[i], p, &r[i]);
	printf("interrupts taken per CPU, by kind (whole run; flush is "
	       "/proc/interrupts' TLB, sync and backend its CAL):\n");
	for (unsigned int i = 0; i < ns; i++) {
		printf(" %s:\n", s[i].name);
		print_cpus(&r[i], p->cpus);
	}
out:
	for (unsigned int i = 0; r && i < ns; i++)
		free(r[i].writer_ns);
	free(r);
	if (ret)
		fprintf(stderr, "walklab: collapse-range failed: %s\n",
			strerror(-ret));
	return ret ? 1 : 0;
}
