// SPDX-License-Identifier: MIT
/*
 * summary_sync.c - summary.txt's "Sync strategies" section: the
 * collapse-range workload per strategy (today, skip, rcu_sync, targeted)
 * at its largest CPU count, and the host's own MADV_COLLAPSE counts
 * beside the lab's (walklab calibrate's collapse_irqs rows).
 */
#include "report_int.h"
#include "text.h"

#include <math.h>
#include <string.h>

static const char *const strategies[] = {"today", "skip", "rcu_sync",
					 "targeted"};

static const struct wl_row *crange_row(const struct report *rp, const char *op,
				       int64_t cpus, const char *metric)
{
	for (size_t i = 0; i < rp->rows.nr; i++) {
		const struct wl_row *r = &rp->rows.row[i];

		if (rp->cfg[i] >= 0 && !strcmp(r->workload, "collapse-range") &&
		    !strcmp(r->writer_op, op) && r->cpus == cpus &&
		    !strcmp(r->metric, metric))
			return r;
	}
	return NULL;
}

static const struct wl_row *calib_row(const struct report *rp,
				      const char *metric)
{
	for (size_t i = 0; i < rp->rows.nr; i++)
		if (rp->cfg[i] < 0 && !strcmp(rp->rows.row[i].metric, metric))
			return &rp->rows.row[i];
	return NULL;
}

static void cell(FILE *f, const struct wl_row *r, double scale, int w)
{
	char buf[16];

	wl_fmt_num(buf, sizeof(buf), r && r->n ? r->median * scale : NAN);
	fprintf(f, "%*s", w, buf);
}

static int64_t crange_max_cpus(const struct report *rp)
{
	int64_t max = -1;

	for (size_t i = 0; i < rp->rows.nr; i++)
		if (rp->cfg[i] >= 0 &&
		    !strcmp(rp->rows.row[i].workload, "collapse-range") &&
		    rp->rows.row[i].cpus > max)
			max = rp->rows.row[i].cpus;
	return max;
}

static void host_lines(FILE *f, const struct report *rp)
{
	static const char *const what[] = {"flush_busy", "sync_busy",
					   "flush_idle", "sync_idle"};
	char m[64];

	if (!calib_row(rp, "collapse_irqs:sync_busy"))
		return;
	fprintf(f,
		"Host (walklab calibrate: MADV_COLLAPSE, /proc/interrupts "
		"TLB and CAL - TLB)\nvs the lab's today on as many CPUs, "
		"the arch model the host behaves like;\nper collapsed "
		"PMD per other CPU, busy: a thread of the mm runs there\n"
		"%-10s %8s %8s %8s %8s\n",
		"", "flush", "sync", "flush", "sync");
	fprintf(f, "%-10s %8s %8s %8s %8s\n", "", "busy", "busy", "idle",
		"idle");
	for (int lab = 0; lab < 2; lab++) {
		fprintf(f, "%-10s", lab ? "lab today" : "host");
		for (int k = 0; k < 4; k++) {
			snprintf(m, sizeof(m), "%scollapse_irqs:%s",
				 lab ? "lab_" : "", what[k]);
			fputc(' ', f);
			cell(f, calib_row(rp, m), 1, 8);
		}
		fputc('\n', f);
	}
	/*
	 * The busy flush's model (walklab calibrate's note has the
	 * verdict): lab x the share of the collapse the other CPUs ran the
	 * mm; a flush IPIs neither a CPU running another task nor a
	 * preempted vCPU (KVM's PV flush).
	 */
	if (!calib_row(rp, "model_collapse_irqs:flush_busy"))
		return;
	fprintf(f, "%-10s ", "lab model");
	cell(f, calib_row(rp, "model_collapse_irqs:flush_busy"), 1, 8);
	fprintf(f, "   (lab x spinner share ");
	cell(f, calib_row(rp, "collapse_cpu:spinner_share_busy"), 1, 0);
	fprintf(f, "; steal ");
	cell(f, calib_row(rp, "collapse_cpu:steal_busy"), 1, 0);
	fprintf(f, ")\n");
}

void rp_summary_sync(FILE *f, const struct report *rp)
{
	int64_t cpus = crange_max_cpus(rp);
	const struct wl_row *r;

	if (cpus < 0)
		return;
	r = crange_row(rp, "today", cpus, "bystanders");
	fprintf(f,
		"Sync strategies (collapse-range: every PMD of a range of "
		"4 KiB pages collapsed\non %lld simulated CPUs, %.0f of them "
		"bystanders running another mm; exact\ncounts per collapse; "
		"bystander irqs summed over the bystanders)\n"
		"%-9s %6s %6s %8s %8s %6s %8s %8s\n",
		(long long)cpus, r ? r->median : 0.0, "strategy", "sync",
		"flush", "irqs per", "bystandr", "grace", "writer", "writer");
	fprintf(f, "%-9s %6s %6s %8s %8s %6s %8s %8s\n", "", "IPIs", "IPIs",
		"mm CPU", "irqs", "period", "p50 us", "p99 us");
	for (size_t s = 0; s < sizeof(strategies) / sizeof(*strategies); s++) {
		const char *op = strategies[s];
		const struct wl_row *b, *nb;

		if (!crange_row(rp, op, cpus, "collapses"))
			continue;
		fprintf(f, "%-9s", op);
		cell(f, crange_row(rp, op, cpus, "ipis_sync_per_op"), 1, 7);
		cell(f, crange_row(rp, op, cpus, "ipis_flush_per_op"), 1, 7);
		cell(f, crange_row(rp, op, cpus, "irqs_mm_per_op"), 1, 9);
		b = crange_row(rp, op, cpus, "irqs_bystander_per_op");
		nb = crange_row(rp, op, cpus, "bystanders");
		cell(f, b, nb ? nb->median : 0, 9);
		cell(f, crange_row(rp, op, cpus, "grace_periods_per_op"), 1, 7);
		r = crange_row(rp, op, cpus, "writer_op_ns");
		cell(f, r, 1e-3, 9);
		if (r && r->n) {
			char p99[16];

			wl_fmt_num(p99, sizeof(p99), r->p99 * 1e-3);
			fprintf(f, "%9s\n", p99);
		} else {
			fprintf(f, "%9s\n", "-");
		}
	}
	fputc('\n', f);
	host_lines(f, rp);
	fputc('\n', f);
}
