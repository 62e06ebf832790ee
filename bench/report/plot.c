// SPDX-License-Identifier: MIT
/*
 * plot.c - the plots of the report: which rows, in which series.
 *
 * A plot is a filter over the rows plus the parameter on its x axis; rows
 * that differ in any other parameter go to different series, and a
 * parameter that takes several values in a plot is named in the series
 * titles.  gnuplot.c writes the data to plots/data/NAME.dat, one gnuplot
 * index block per series, and a plots/NAME.gp that draws NAME.png and
 * NAME.svg from it; gnuplot runs as a child in plots/ with its output in
 * plots/gnuplot.log.  Axis ranges are set from the data, so one point or
 * one series draws, and an empty plot is skipped (noted in summary.txt)
 * rather than handed to gnuplot, which would fail on it.
 */
#include "plot.h"
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct plot_def plots[] = {
	{
		.name = "read_vs_cpus",
		.title = "Read-side cost against walking CPUs "
			 "(16 pages, 4 KiB, FOLL_GET)",
		.xlabel = "walking CPUs (threads)",
		.ylabel = "ns per walk (median; bars: min..max)",
		.workload = "read",
		.metric = "ns_per_walk",
		.x = X_CPUS,
		.style = ST_RANGE,
		.scale = 1,
		.pages = 16,
		.cpus = WL_ANY,
		.mapping = "4k",
		.foll = "get",
		.strict = true,
	},
	{
		.name = "sync_latency",
		.title = "Writer sync latency against CPUs walking meanwhile",
		.xlabel = "walking CPUs (threads)",
		.ylabel = "sync latency, µs (solid: p50, dashed: p99)",
		.workload = "writer",
		.metric = "sync_ns",
		.x = X_CPUS,
		.style = ST_P50P99,
		.scale = 1e-3,
		.pages = WL_ANY,
		.cpus = WL_ANY,
		.strict = true,
	},
	{
		.name = "backlog",
		.title = "Deferred-free backlog over time (mixed workload, "
			 "highest writer rate)",
		.xlabel = "time, ms",
		.ylabel = "page tables waiting to be freed",
		.workload = "mixed",
		.metric = "backlog_tables",
		.top_rate = true,
		.x = X_TMS,
		.style = ST_LINE,
		.scale = 1,
		.pages = WL_ANY,
		.cpus = WL_ANY,
		.strict = true,
	},
	{
		/* the batch-size sweep; any read rows if it was not run */
		.name = "section_ns",
		.title = "Walk section (IRQ-off) duration against pages per "
			 "call (4 KiB, FOLL_GET, 1 CPU)",
		.xlabel = "pages per call (batch size)",
		.ylabel = "section duration, ns (solid: p50, dashed: p99)",
		.workload = "read",
		.metric = "section_ns",
		.x = X_PAGES,
		.style = ST_P50P99,
		.scale = 1,
		.pages = WL_ANY,
		.cpus = 1,
		.mapping = "4k",
		.foll = "get",
		.strict = false,
	},
	{
		.name = "throughput_vs_rate",
		.title = "Walk throughput against writer rate (mixed workload)",
		.xlabel = "writer operations per second asked for "
			  "(0: no writer)",
		.ylabel = "walks per second, all walkers "
			  "(median; bars: min..max)",
		.workload = "mixed",
		.metric = "walks_per_s",
		.x = X_RATE,
		.style = ST_RANGE,
		.scale = 1,
		.pages = WL_ANY,
		.cpus = WL_ANY,
		.strict = true,
	},
	{
		.name = "faults_vs_rate",
		.title = "Faults per second against an mmap_lock writer's "
			 "rate (2 faulting CPUs)",
		.xlabel = "mmap_lock writes per second asked for "
			  "(0: no writer)",
		.ylabel = "faults per second, all faulting CPUs "
			  "(median; bars: min..max)",
		.workload = "fault",
		.metric = "faults_per_s",
		.x = X_RATE,
		.style = ST_RANGE,
		.scale = 1,
		.pages = WL_ANY,
		.cpus = 2,
		.strict = false,
	},
};
#define NR_PLOTS (sizeof(plots) / sizeof(plots[0]))

struct rp_plots {
	struct plot pl[NR_PLOTS];
	size_t pts[NR_PLOTS]; /* points of each; 0: not drawn */
};

/* The parameters that tell series apart. */
enum { P_PAGES, P_MAPPING, P_FOLL, P_CPUS, P_OP, P_RATE, P_RETRY, NR_P };

/* "" for n/a, else fmt with v. */
static void put_param(char *buf, size_t n, const char *fmt, int64_t v)
{
	buf[0] = 0;
	if (v >= 0)
		snprintf(buf, n, fmt, (long long)v);
}

static void param_str(const struct wl_row *r, int p, char *buf, size_t n)
{
	switch (p) {
	case P_PAGES:
		put_param(buf, n, "%lld pages", r->walk_pages);
		break;
	case P_MAPPING:
		snprintf(buf, n, "%s", r->mapping);
		break;
	case P_FOLL:
		snprintf(buf, n, "%s", r->foll);
		break;
	case P_CPUS:
		put_param(buf, n, "%lld cpus", r->cpus);
		break;
	case P_OP:
		snprintf(buf, n, "%s", r->writer_op);
		break;
	case P_RATE:
		put_param(buf, n, "%lld/s", r->writer_rate);
		break;
	default:
		put_param(buf, n, "retry=%lld", r->allow_retry);
	}
}

static bool is_x_param(const struct plot_def *pd, int p)
{
	return (pd->x == X_CPUS && p == P_CPUS) ||
	       (pd->x == X_PAGES && p == P_PAGES) ||
	       (pd->x == X_RATE && p == P_RATE);
}

static double x_of(const struct plot_def *pd, const struct wl_row *r)
{
	switch (pd->x) {
	case X_CPUS:
		return (double)r->cpus;
	case X_PAGES:
		return (double)r->walk_pages;
	case X_RATE:
		return (double)r->writer_rate;
	default:
		return (double)r->t_ms;
	}
}

static bool plot_match(const struct plot_def *pd, const struct wl_row *r,
		       bool fixed)
{
	if (strcmp(r->workload, pd->workload) || strcmp(r->metric, pd->metric))
		return false;
	if ((pd->x == X_TMS) != (r->t_ms >= 0) || x_of(pd, r) < 0)
		return false;
	if (!fixed)
		return true;
	return (pd->pages == WL_ANY || r->walk_pages == pd->pages) &&
	       (pd->cpus == WL_ANY || r->cpus == pd->cpus) &&
	       (!pd->mapping || !strcmp(r->mapping, pd->mapping)) &&
	       (!pd->foll || !strcmp(r->foll, pd->foll));
}

/* Row i goes into pl (with the fixed parameters or not). */
static bool in_plot(const struct report *rp, const struct plot *pl, size_t i,
		    bool fixed)
{
	const struct wl_row *r = &rp->rows.row[i];

	return rp->cfg[i] >= 0 && plot_match(pl->def, r, fixed) &&
	       (!pl->def->top_rate || r->writer_rate == pl->top_rate);
}

int rp_cmp_double(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static int cmp_point(const void *a, const void *b)
{
	const struct point *p = a, *q = b;

	return (p->x > q->x) - (p->x < q->x);
}

static int cmp_series(const void *a, const void *b)
{
	const struct series *s = a, *t = b;

	if (s->cfg != t->cfg)
		return s->cfg - t->cfg;
	return s->sub - t->sub;
}

static void widen(struct plot *pl, double v)
{
	if (isnan(v))
		return;
	if (v <= 0)
		pl->yzero = true;
	else if (isnan(pl->ymin) || v < pl->ymin)
		pl->ymin = v;
	if (isnan(pl->ymax) || v > pl->ymax)
		pl->ymax = v;
}

static bool all_zero(const struct series *s)
{
	for (size_t i = 0; i < s->nr; i++)
		if (!isnan(s->pt[i].med) && s->pt[i].med != 0)
			return false;
	return true;
}

/*
 * The time series of configurations whose backlog never left 0 would hide
 * each other on the x axis: leave them out and name them in a label.
 */
static void drop_zero_series(struct plot *pl, const struct report *rp)
{
	size_t kept = 0, len = 0;

	for (size_t k = 0; k < pl->nr; k++)
		kept += !all_zero(&pl->s[k]);
	if (!kept || kept == pl->nr)
		return;
	kept = 0;
	for (size_t k = 0; k < pl->nr; k++) {
		struct series *s = &pl->s[k];

		if (!all_zero(s)) {
			pl->s[kept++] = *s;
			continue;
		}
		if (len < sizeof(pl->zero))
			len += (size_t)snprintf(
				pl->zero + len, sizeof(pl->zero) - len, "%s%s",
				len ? ", " : "", rp->cfgs[s->cfg].name);
		free(s->pt);
	}
	pl->nr = kept;
	if (len >= sizeof(pl->zero))
		strcpy(pl->zero + sizeof(pl->zero) - 5, " ...");
}

/* Ranges; a categorical x axis for 0 next to decades (writer rates). */
static void measure_plot(struct plot *pl)
{
	const struct plot_def *pd = pl->def;
	double minpos = NAN;
	size_t n = 0;

	pl->xmin = pl->xmax = pl->ymin = pl->ymax = NAN;
	for (size_t k = 0; k < pl->nr; k++) {
		for (size_t i = 0; i < pl->s[k].nr; i++) {
			const struct point *pt = &pl->s[k].pt[i];
			size_t j;

			if (isnan(pl->xmin) || pt->x < pl->xmin)
				pl->xmin = pt->x;
			if (isnan(pl->xmax) || pt->x > pl->xmax)
				pl->xmax = pt->x;
			if (pt->x > 0 && (isnan(minpos) || pt->x < minpos))
				minpos = pt->x;
			widen(pl, pt->med);
			if (pd->style == ST_RANGE) {
				widen(pl, pt->min);
				widen(pl, pt->max);
			} else if (pd->style == ST_P50P99) {
				widen(pl, pt->p99);
			}
			for (j = 0; j < n && n <= 16; j++)
				if (pl->cat[j] == pt->x)
					break;
			if (j == n && n < 16)
				pl->cat[n] = pt->x;
			if (j == n)
				n++;
		}
	}
	if (pd->x != X_TMS && n <= 16 && pl->xmin <= 0 && minpos > 0 &&
	    pl->xmax / minpos >= 10) {
		qsort(pl->cat, n, sizeof(pl->cat[0]), rp_cmp_double);
		pl->nr_cat = n;
	}
}

/*
 * The rows of the plot (the highest writer rate only, if asked): their
 * number, and in varies[] the parameters that take several values.
 */
static size_t select_rows(const struct report *rp, struct plot *pl, bool fixed,
			  bool varies[NR_P])
{
	char first[NR_P][48], cur[48];
	size_t nr_pts = 0;

	for (size_t i = 0; i < rp->rows.nr; i++) {
		const struct wl_row *r = &rp->rows.row[i];

		if (rp->cfg[i] >= 0 && plot_match(pl->def, r, fixed) &&
		    pl->def->top_rate && r->writer_rate > pl->top_rate)
			pl->top_rate = r->writer_rate;
	}
	for (size_t i = 0; i < rp->rows.nr; i++) {
		if (!in_plot(rp, pl, i, fixed))
			continue;
		for (int p = 0; p < NR_P; p++) {
			param_str(&rp->rows.row[i], p, cur, sizeof(cur));
			if (!nr_pts)
				strcpy(first[p], cur);
			else if (strcmp(first[p], cur))
				varies[p] = true;
		}
		nr_pts++;
	}
	return nr_pts;
}

/* "cfg|param|param...": the series a row belongs to. */
static void series_key(const struct plot_def *pd, const struct wl_row *r,
		       int cfg, char *key, size_t size)
{
	char cur[48];
	int n = snprintf(key, size, "%d", cfg);

	for (int p = 0; p < NR_P; p++) {
		if (is_x_param(pd, p))
			continue;
		param_str(r, p, cur, sizeof(cur));
		n += snprintf(key + n, size - (size_t)n, "|%s", cur);
	}
}

/* The configuration, its build options, and the parameters that vary. */
static void series_title(const struct plot_def *pd, const struct cfg *g,
			 const struct wl_row *r, const bool varies[NR_P],
			 char *title, size_t size)
{
	char cur[48];
	int n = snprintf(title, size, "%s", g->name);

	if (g->build_options[0])
		n += snprintf(title + n, size - (size_t)n, " (%s)",
			      g->build_options);
	for (int p = 0; p < NR_P; p++) {
		if (!varies[p] || is_x_param(pd, p))
			continue;
		param_str(r, p, cur, sizeof(cur));
		if (cur[0] && n < (int)size)
			n += snprintf(title + n, size - (size_t)n, " %s", cur);
	}
}

/* The series of row i, added if new. */
static struct series *series_of(const struct report *rp, struct plot *pl,
				size_t i, const bool varies[NR_P])
{
	const struct wl_row *r = &rp->rows.row[i];
	struct series *s;
	char key[256];
	int sub = 0;

	series_key(pl->def, r, rp->cfg[i], key, sizeof(key));
	for (size_t k = 0; k < pl->nr; k++)
		if (!strcmp(pl->s[k].key, key))
			return &pl->s[k];
	for (size_t j = 0; j < pl->nr; j++)
		sub += pl->s[j].cfg == rp->cfg[i];
	pl->s = rp_xrealloc(pl->s, (pl->nr + 1) * sizeof(*pl->s));
	s = &pl->s[pl->nr++];
	memset(s, 0, sizeof(*s));
	s->cfg = rp->cfg[i];
	s->sub = sub;
	strcpy(s->key, key);
	series_title(pl->def, &rp->cfgs[rp->cfg[i]], r, varies, s->title,
		     sizeof(s->title));
	return s;
}

static void add_point(struct series *s, const struct plot_def *pd,
		      const struct wl_row *r)
{
	s->pt = rp_xrealloc(s->pt, (s->nr + 1) * sizeof(*s->pt));
	s->pt[s->nr++] = (struct point){x_of(pd, r), r->median * pd->scale,
					r->min * pd->scale, r->max * pd->scale,
					r->p99 * pd->scale};
}

/* Points in x order, series in table order. */
static void sort_plot(struct plot *pl)
{
	for (size_t k = 0; k < pl->nr; k++)
		qsort(pl->s[k].pt, pl->s[k].nr, sizeof(*pl->s[k].pt),
		      cmp_point);
	if (pl->nr)
		qsort(pl->s, pl->nr, sizeof(*pl->s), cmp_series);
}

/* Sort the matching rows into series; returns the number of points. */
static size_t build_plot(const struct report *rp, const struct plot_def *pd,
			 struct plot *pl)
{
	bool varies[NR_P] = {false}, fixed = true;
	size_t nr_pts;

	memset(pl, 0, sizeof(*pl));
	pl->def = pd;
	pl->top_rate = -1;
	nr_pts = select_rows(rp, pl, fixed, varies);
	if (!nr_pts && !pd->strict) {
		fixed = false;
		nr_pts = select_rows(rp, pl, fixed, varies);
	}
	for (size_t i = 0; i < rp->rows.nr; i++)
		if (in_plot(rp, pl, i, fixed))
			add_point(series_of(rp, pl, i, varies), pd,
				  &rp->rows.row[i]);
	sort_plot(pl);
	if (pd->style == ST_LINE)
		drop_zero_series(pl, rp);
	measure_plot(pl);
	/* Rows without a single number cannot be drawn either. */
	return isnan(pl->ymax) ? 0 : nr_pts;
}

static void free_plot(struct plot *pl)
{
	for (size_t k = 0; k < pl->nr; k++)
		free(pl->s[k].pt);
	free(pl->s);
}

static void note(struct report *rp, const char *fmt, const char *arg)
{
	size_t n = strlen(rp->plot_notes);

	snprintf(rp->plot_notes + n, sizeof(rp->plot_notes) - n, fmt, arg);
}

/* The notes for summary.txt: what will be drawn, what has no data. */
static void plot_notes(struct report *rp, const size_t *pts)
{
	bool any = false;

	for (size_t i = 0; i < NR_PLOTS; i++) {
		if (!pts[i])
			continue;
		note(rp, any ? ", %s" : "%s", plots[i].name);
		any = true;
	}
	if (rp_has_collapse(rp)) {
		note(rp, any ? ", %s" : "%s", "collapse_ipis");
		any = true;
	}
	if (rp_has_tracking(rp)) {
		note(rp, any ? ", %s" : "%s", "tracking");
		any = true;
	}
	if (any)
		note(rp, "%s",
		     rp->gnuplot ? " (plots/NAME.png and .svg)."
				 : " not drawn: gnuplot not found; run "
				   "`gnuplot NAME.gp` in plots/.");
	any = false;
	for (size_t i = 0; i < NR_PLOTS; i++) {
		if (pts[i])
			continue;
		note(rp, any ? ", %s" : " No data for: %s", plots[i].name);
		any = true;
	}
	if (any)
		note(rp, "%s", " (skipped).");
}

struct rp_plots *rp_plan_plots(struct report *rp)
{
	struct rp_plots *pp = rp_xrealloc(NULL, sizeof(*pp));

	rp->gnuplot = rp_find_gnuplot();
	for (size_t i = 0; i < NR_PLOTS; i++)
		pp->pts[i] = build_plot(rp, &plots[i], &pp->pl[i]);
	plot_notes(rp, pp->pts);
	return pp;
}

static bool nonempty(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* gnuplot NAME.gp, which must leave a non-empty NAME.png and NAME.svg. */
void rp_run_plot(struct report *rp, const char *plotdir, const char *name,
		 const char *gp)
{
	char out[PATH_MAX + 64];
	int st;

	snprintf(out, sizeof(out), "%s.gp", name);
	st = rp_run_gnuplot(rp->gnuplot, plotdir, out);
	if (st) {
		fprintf(stderr,
			"walklab: gnuplot failed (status %d) on %s; see "
			"%s/gnuplot.log\n",
			st, gp, plotdir);
		rp->ret |= WL_REPORT_PLOTFAIL;
		return;
	}
	for (int k = 0; k < 2; k++) {
		snprintf(out, sizeof(out), "%s/%s.%s", plotdir, name,
			 k ? "svg" : "png");
		if (!nonempty(out)) {
			fprintf(stderr, "walklab: gnuplot wrote no %s\n", out);
			rp->ret |= WL_REPORT_PLOTFAIL;
		}
	}
}

static void draw_plot(struct report *rp, const struct plot *pl,
		      const char *plotdir)
{
	const char *name = pl->def->name;
	char dat[PATH_MAX + 64], gp[PATH_MAX + 64];

	snprintf(dat, sizeof(dat), "%s/data/%s.dat", plotdir, name);
	snprintf(gp, sizeof(gp), "%s/%s.gp", plotdir, name);
	if (rp_write_dat(pl, dat) || rp_write_gp(rp, pl, gp)) {
		fprintf(stderr, "walklab: cannot write %s: %s\n", gp,
			strerror(errno));
		rp->ret |= WL_REPORT_WRITE;
		return;
	}
	if (rp->gnuplot)
		rp_run_plot(rp, plotdir, name, gp);
}

/* Remove what an earlier report drew for a plot that now has no data. */
static void drop_plot(const char *plotdir, const char *name)
{
	static const char *const fmt[] = {"%s/%s.png", "%s/%s.svg", "%s/%s.gp",
					  "%s/data/%s.dat"};
	char path[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		snprintf(path, sizeof(path), fmt[i], plotdir, name);
		unlink(path);
	}
}

static int mkdir_p(const char *path)
{
	return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

void rp_draw_plots(struct report *rp, struct rp_plots *pp)
{
	char plotdir[PATH_MAX], sub[PATH_MAX + 8], log[PATH_MAX + 16];

	rp_path(plotdir, rp, "plots");
	snprintf(sub, sizeof(sub), "%s/data", plotdir);
	snprintf(log, sizeof(log), "%s/gnuplot.log", plotdir);
	if (mkdir_p(plotdir) || mkdir_p(sub)) {
		fprintf(stderr, "walklab: cannot create %s: %s\n", sub,
			strerror(errno));
		rp->ret |= WL_REPORT_WRITE;
	} else {
		unlink(log);
		for (size_t i = 0; i < NR_PLOTS; i++) {
			if (pp->pts[i])
				draw_plot(rp, &pp->pl[i], plotdir);
			else
				drop_plot(plotdir, plots[i].name);
		}
		rp_draw_sync_plots(rp, plotdir);
	}
	if (!rp->gnuplot) {
		fprintf(stderr,
			"walklab: gnuplot not found (apt-get install "
			"gnuplot-nox); plots not drawn, scripts left in %s\n",
			plotdir);
		rp->ret |= WL_REPORT_NOGNUPLOT;
	}
}

void rp_free_plots(struct rp_plots *pp)
{
	for (size_t i = 0; i < NR_PLOTS; i++)
		free_plot(&pp->pl[i]);
	free(pp);
}
