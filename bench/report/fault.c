// SPDX-License-Identifier: MIT
/*
 * fault.c - summary.txt's "Fault path" section: the fault workload
 * (bench/measure/measure_fault.c) as one line per fault path and number
 * of faulting CPUs, faults/s at each writer rate, and at the highest rate
 * the abort rate and the writer's wait for mmap_lock.
 */
#include "report_int.h"
#include "text.h"

#include <math.h>
#include <string.h>

static const char *const paths[] = {"mmap_lock", "spf", "vma_lock"};
static const int64_t rates[] = {0, 1000, 10000};

/* The fault row of cfg for this path, cpus, rate and metric, or NULL. */
static const struct wl_row *fault_row(const struct report *rp, int cfg,
				      const char *path, int64_t cpus,
				      int64_t rate, const char *metric)
{
	for (size_t i = 0; i < rp->rows.nr; i++) {
		const struct wl_row *r = &rp->rows.row[i];

		if (rp->cfg[i] == cfg && !strcmp(r->workload, "fault") &&
		    !strcmp(r->writer_op, path) && r->cpus == cpus &&
		    r->writer_rate == rate && !strcmp(r->metric, metric))
			return r;
	}
	return NULL;
}

/* The configuration the fault workload ran on, or -1. */
static int fault_cfg(const struct report *rp)
{
	for (size_t i = 0; i < rp->rows.nr; i++)
		if (rp->cfg[i] >= 0 &&
		    !strcmp(rp->rows.row[i].workload, "fault"))
			return rp->cfg[i];
	return -1;
}

/* v scaled, in a cell of width w, or "-" if missing. */
static void cell(FILE *f, int w, const struct wl_row *r, double v, double scale)
{
	if (!r || !isfinite(v))
		fprintf(f, "%*s", w, "-");
	else
		fprintf(f, "%*.*f", w, v * scale < 10 ? 2 : 1, v * scale);
}

static void fault_line(FILE *f, const struct report *rp, int cfg,
		       const char *path, int64_t cpus)
{
	const struct wl_row *r, *top = NULL;

	fprintf(f, "%-10s%5lld", path, (long long)cpus);
	for (size_t j = 0; j < sizeof(rates) / sizeof(rates[0]); j++) {
		r = fault_row(rp, cfg, path, cpus, rates[j], "faults_per_s");
		cell(f, 9, r, r ? r->median : NAN, 1e-6);
		if (r)
			top = r;
	}
	r = top ? fault_row(rp, cfg, path, cpus, top->writer_rate, "abort_rate")
		: NULL;
	cell(f, 9, r, r ? r->median : NAN, 100);
	r = top ? fault_row(rp, cfg, path, cpus, top->writer_rate,
			    "mmap_lock_write_wait_ns")
		: NULL;
	cell(f, 9, r, r ? r->median : NAN, 1e-3);
	cell(f, 9, r, r ? r->p99 : NAN, 1e-3);
	fprintf(f, "%s\n", top && top->oversubscribed == 1 ? "  *" : "");
}

void rp_summary_fault(FILE *f, const struct report *rp)
{
	static const int64_t cpus[] = {1, 2, 4};
	int cfg = fault_cfg(rp);

	if (cfg < 0)
		return;
	fprintf(f, "Fault path: %s\n(`walklab-%s measure --workloads fault`)\n",
		rp->cfgs[cfg].name, rp->cfgs[cfg].name);
	fprintf(f, "%-15s%27s%27s\n", "", "faults/s, M, writer at",
		"at the highest rate:");
	fprintf(f, "%-10s%5s%9s%9s%9s%9s%9s%9s\n", "path", "cpus", "0/s",
		"1000/s", "10000/s", "abort %", "wait p50", "p99 us");
	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++)
		for (size_t c = 0; c < sizeof(cpus) / sizeof(cpus[0]); c++)
			fault_line(f, rp, cfg, paths[p], cpus[c]);
	wl_put_wrapped(
		f, WIDTH, "",
		"Each CPU faults its own 2 MiB of one VMA page by page "
		"(zapping "
		"it between passes, not timed) while the writer takes "
		"mmap_lock for write at the asked rate and holds it 5 us; "
		"faults/s is the median of the runs (min/max in results.csv), "
		"summed over CPUs. mmap_lock: every fault takes it for read; "
		"spf: a speculative fault validated by mmap_seq, aborting to "
		"mmap_lock; vma_lock: the VMA's read lock under RCU "
		"(abort: the VMA was write-locked). abort % is of speculative "
		"attempts; wait is the writer's wait for mmap_lock, us. "
		"* : more faulting CPUs than host PUs.");
	fputc('\n', f);
}
