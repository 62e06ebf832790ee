// SPDX-License-Identifier: MIT
/*
 * scale.c - the scale sweep in the report (rows of workload "scale",
 * bench/measure/measure_scale.c): a section of summary.txt and the plot
 * plots/sync_scale.{png,svg}, the writer's sync against simulated CPUs
 * for each strategy that was swept.
 *
 * Three kinds of figure, kept apart everywhere: counts (exact at any N),
 * times measured at N <= the host's PUs, and times projected above them
 * from the fitted line.  The times of runs above the PUs (oversubscribed)
 * say how the host schedules threads: the plot shows them as hollow grey
 * marks, the summary does not print them as times.
 */
#include "plot.h"
#include "report.h"
#include "report_int.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCALE_NS 9 /* N = 1, 2, 4 .. 256 */

static const int scale_n[SCALE_NS] = {1, 2, 4, 8, 16, 32, 64, 128, 256};

static bool is_scale(const struct wl_row *r, const char *metric)
{
	return !strcmp(r->workload, "scale") && !strcmp(r->metric, metric);
}

/* The row of cfg with this metric at cpus (-1: any); NULL if none. */
static const struct wl_row *scale_row(const struct report *rp, int cfg,
				      const char *metric, int64_t cpus)
{
	for (size_t i = 0; i < rp->rows.nr; i++) {
		const struct wl_row *r = &rp->rows.row[i];

		if (rp->cfg[i] == cfg && is_scale(r, metric) &&
		    (cpus < 0 || r->cpus == cpus))
			return r;
	}
	return NULL;
}

static bool cfg_swept(const struct report *rp, int cfg)
{
	return scale_row(rp, cfg, "sync_ns", -1) != NULL;
}

/* A value in 6 columns: 3 digits, or a compact exponent when large. */
static void put_num(FILE *f, const char *mark, double v)
{
	char buf[32];

	if (fabs(v) < 1e3)
		snprintf(buf, sizeof(buf), "%s%.3g", mark, v);
	else if (fabs(v) < 1e5)
		snprintf(buf, sizeof(buf), "%s%.0f", mark, v);
	else
		snprintf(buf, sizeof(buf), "%s%.0fk", mark, v / 1e3);
	if (strlen(buf) > 6)
		snprintf(buf, sizeof(buf), "%s%.0e", mark, v);
	fprintf(f, " %6s", buf);
}

/* One line of a count per N, or nothing if it is 0 at every N. */
static void count_line(FILE *f, const struct report *rp, int cfg,
		       const char *metric, const char *label)
{
	const struct wl_row *r;
	bool any = false;

	for (int i = 0; i < SCALE_NS; i++) {
		r = scale_row(rp, cfg, metric, scale_n[i]);
		any |= r && r->median != 0;
	}
	if (!any)
		return;
	fprintf(f, "   %-14s", label);
	for (int i = 0; i < SCALE_NS; i++) {
		r = scale_row(rp, cfg, metric, scale_n[i]);
		if (r)
			put_num(f, "", r->median);
		else
			fprintf(f, " %6s", "-");
	}
	fputc('\n', f);
}

/* Times in us: measured where measurable, ~projected above, else -. */
static void time_line(FILE *f, const struct report *rp, int cfg)
{
	const struct wl_row *m, *p;

	fprintf(f, "   %-14s", "sync us");
	for (int i = 0; i < SCALE_NS; i++) {
		m = scale_row(rp, cfg, "sync_ns", scale_n[i]);
		p = scale_row(rp, cfg, "sync_ns_projected", scale_n[i]);
		if (m && m->oversubscribed == 0)
			put_num(f, "", m->median / 1e3);
		else if (p)
			put_num(f, "~", p->median / 1e3);
		else
			fprintf(f, " %6s", "-");
	}
	fputc('\n', f);
}

static void fit_line(FILE *f, const struct report *rp, int cfg)
{
	const struct wl_row *a = scale_row(rp, cfg, "sync_fit_base_ns", -1);
	const struct wl_row *b =
		scale_row(rp, cfg, "sync_fit_ns_per_target", -1);
	const struct wl_row *e = scale_row(rp, cfg, "sync_fit_rms_ns", -1);

	if (!a || !b || !e) {
		fprintf(f, "   no projection: fewer than two N within the "
			   "host's PUs\n");
		return;
	}
	fprintf(f,
		"   fit, medians at %llu N: a = %.3g us, b = %.3g us/target, "
		"rms %.3g us\n",
		(unsigned long long)a->n, a->median / 1e3, b->median / 1e3,
		e->median / 1e3);
}

void rp_summary_scale(FILE *f, const struct report *rp)
{
	bool any = false;

	for (size_t c = 0; c < rp->nr_cfgs; c++)
		any |= cfg_swept(rp, (int)c);
	if (!any)
		return;
	fprintf(f, "\nSync against simulated CPUs (scale sweep)\n");
	wl_put_wrapped(
		f, WIDTH, "",
		"Counts per sync are exact at any N: each IPI, grace period "
		"and poll is counted where it happens, on the CPU that sends, "
		"takes or asks for it, never sampled or timed; 'own' is the "
		"syncing CPU's row (equal to the total: no other CPU asked).  "
		"Exact is not fixed: sync IPIs and grace periods follow from "
		"N alone, but polls are how often the writer found a walker "
		"inside, and backend IPIs are the backend's own (today's: "
		"RCU-sched's force-quiescent-state IPIs to CPUs slow to "
		"report, in a grace period that ran beside the syncs): both "
		"depend on the timing.  Times "
		"(us, median) are measured only where N <= the host's PUs "
		"(poll delivery, 100 syncs; 20 with --quick); '~' marks a "
		"PROJECTION from T(N) = a + b (N - 1) fitted on those "
		"medians, not a measurement.  Runs past the PUs (2 syncs, 1 "
		"with --quick; walkers walk every 10 ms, signal delivery) "
		"give the counts; their times are the host's scheduling "
		"(oversubscribed in results.csv).  Plot: "
		"plots/sync_scale.png.");
	fprintf(f, "   %-14s", "N");
	for (int i = 0; i < SCALE_NS; i++)
		fprintf(f, " %6d", scale_n[i]);
	fputc('\n', f);
	for (size_t c = 0; c < rp->nr_cfgs; c++) {
		if (!cfg_swept(rp, (int)c))
			continue;
		fprintf(f, "  %s\n", rp->cfgs[c].name);
		count_line(f, rp, (int)c, "ipis_sync_per_op", "sync IPIs");
		count_line(f, rp, (int)c, "ipis_flush_per_op", "flush IPIs");
		count_line(f, rp, (int)c, "ipis_backend_per_op",
			   "backend IPIs");
		count_line(f, rp, (int)c, "grace_periods_per_op", "GPs/sync");
		count_line(f, rp, (int)c, "grace_periods_own_per_op",
			   "GPs/sync own");
		count_line(f, rp, (int)c, "polls_per_op", "polls/sync");
		count_line(f, rp, (int)c, "polls_own_per_op", "polls/sync own");
		time_line(f, rp, (int)c);
		fit_line(f, rp, (int)c);
	}
}

/*
 * The data: per swept configuration three blocks (gnuplot indexes 3c,
 * 3c+1, 3c+2): measured, projected, oversubscribed; "x median min max".
 */
static void write_dat(FILE *f, const struct report *rp, const int *swept,
		      int nr)
{
	static const char *const what[3] = {"measured", "projected",
					    "oversubscribed run"};

	for (int k = 0; k < nr; k++) {
		for (int b = 0; b < 3; b++) {
			fprintf(f, "# %s: %s\n", rp->cfgs[swept[k]].name,
				what[b]);
			for (int i = 0; i < SCALE_NS; i++) {
				const struct wl_row *r =
					scale_row(rp, swept[k],
						  b == 1 ? "sync_ns_projected"
							 : "sync_ns",
						  scale_n[i]);

				if (!r || (b == 0 && r->oversubscribed) ||
				    (b == 2 && r->oversubscribed != 1))
					continue;
				fprintf(f, "%d %.9g %.9g %.9g\n", scale_n[i],
					r->median / 1e3, r->min / 1e3,
					r->max / 1e3);
			}
			fprintf(f, "\n\n");
		}
	}
}

static void write_gp(FILE *f, const struct report *rp, const int *swept, int nr)
{
	fprintf(f, "set termoption noenhanced\n"
		   "set title \"Writer sync against simulated CPUs\\n"
		   "filled: MEASURED where N <= host PUs (median, min..max);  "
		   "dashed: PROJECTED median, dotted: projected min (fitted "
		   "line, not a measurement);\\n"
		   "hollow grey: runs past the PUs (oversubscribed: the host's "
		   "scheduling, not a time)\"\n"
		   "set xlabel 'simulated CPUs'\nset ylabel 'sync (us)'\n"
		   "set logscale x 2\nset logscale y 10\nset xrange [0.8:320]\n"
		   "set key top left\nset grid\n"
		   "set terminal pngcairo size 1280,640 noenhanced font "
		   "'sans,10'\nset output 'sync_scale.png'\nplot \\\n");
	for (int k = 0; k < nr; k++) {
		const char *name = rp->cfgs[swept[k]].name;

		fprintf(f,
			"%s  'data/sync_scale.dat' index %d using 1:2:3:4 "
			"with yerrorbars lc %d pt 7 ps 1.2 title '%s "
			"measured', \\\n"
			"  '' index %d using 1:2 with lines lc %d dt 2 lw 2 "
			"title '%s PROJECTED', \\\n"
			"  '' index %d using 1:3 with lines lc %d dt 3 lw 1 "
			"notitle, \\\n"
			"  '' index %d using 1:2 with points lc rgb 'gray60' "
			"pt 6 ps 0.8 notitle",
			k ? ", \\\n" : "", 3 * k, k + 1, name, 3 * k + 1, k + 1,
			name, 3 * k + 1, k + 1, 3 * k + 2);
	}
	fprintf(f, ", \\\n  NaN with points lc rgb 'gray60' pt 6 title "
		   "'oversubscribed run (not a time)'\n"
		   "set terminal svg size 1280,640 dynamic noenhanced font "
		   "'sans,10' background rgb 'white'\n"
		   "set output 'sync_scale.svg'\nreplot\nunset output\n");
}

/* Open plots/NAME for writing, or count a write failure. */
static FILE *plot_file(struct report *rp, const char *name)
{
	char path[PATH_MAX + 64], dir[PATH_MAX];
	FILE *f;

	rp_path(dir, rp, "plots");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "walklab: cannot write %s: %s\n", path,
			strerror(errno));
		rp->ret |= WL_REPORT_WRITE;
	}
	return f;
}

void rp_draw_scale(struct report *rp)
{
	int swept[64], nr = 0;
	char dir[PATH_MAX];
	FILE *f;

	for (size_t c = 0; c < rp->nr_cfgs && nr < 64; c++)
		if (cfg_swept(rp, (int)c))
			swept[nr++] = (int)c;
	if (!nr)
		return;
	f = plot_file(rp, "data/sync_scale.dat");
	if (!f)
		return;
	write_dat(f, rp, swept, nr);
	fclose(f);
	f = plot_file(rp, "sync_scale.gp");
	if (!f)
		return;
	write_gp(f, rp, swept, nr);
	fclose(f);
	rp_path(dir, rp, "plots");
	if (rp->gnuplot && rp_run_gnuplot(rp->gnuplot, dir, "sync_scale.gp"))
		rp->ret |= WL_REPORT_PLOTFAIL;
}
