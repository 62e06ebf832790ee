/* SPDX-License-Identifier: MIT */
/*
 * plot.h - a plot of the report, between plot.c (which rows, in which
 * series) and gnuplot.c (the data file, the script, gnuplot).
 */
#ifndef WALKLAB_REPORT_PLOT_H
#define WALKLAB_REPORT_PLOT_H

#include "report_int.h"

#include <stdint.h>
#include <stdio.h>

enum x_param { X_CPUS, X_PAGES, X_RATE, X_TMS };
enum style {
	ST_RANGE,  /* median with min..max error bars */
	ST_P50P99, /* median solid, p99 dashed */
	ST_LINE,   /* median only */
};

struct plot_def {
	const char *name, *title, *xlabel, *ylabel;
	const char *workload, *metric;
	enum x_param x;
	enum style style;
	double scale; /* applied to every value, e.g. ns -> us */
	/* fixed parameters, tried first; NULL/WL_ANY: none */
	int64_t pages, cpus;
	const char *mapping, *foll;
	bool strict;   /* no fallback to any parameters */
	bool top_rate; /* only the highest writer rate */
};

struct point {
	double x, med, min, max, p99;
};

struct series {
	int cfg, sub; /* colour; dash type within the configuration */
	char key[256], title[256];
	struct point *pt;
	size_t nr;
};

struct plot {
	const struct plot_def *def;
	struct series *s;
	size_t nr;
	double xmin, xmax, ymin, ymax; /* ymin: smallest value > 0 */
	bool yzero;		       /* some plotted value <= 0 */
	double cat[16];		       /* categorical x: its values */
	size_t nr_cat;		       /* 0: x is numeric */
	char zero[256];		       /* series left out: all zero */
	int64_t top_rate;	       /* def->top_rate: the rate shown */
};

int rp_cmp_double(const void *a, const void *b);

/* gnuplot.c */
int rp_write_dat(const struct plot *pl, const char *path);
int rp_write_gp(const struct report *rp, const struct plot *pl,
		const char *path);
/* $WALKLAB_GNUPLOT, or gnuplot in PATH, as an absolute path; or NULL. */
const char *rp_find_gnuplot(void);
/* gnuplot SCRIPT in plotdir, its output appended to gnuplot.log. */
int rp_run_gnuplot(const char *gnuplot, const char *plotdir,
		   const char *script);

/* plot.c: gnuplot NAME.gp (its path gp, for messages) in plotdir, which
 * must leave a non-empty NAME.png and NAME.svg; else rp->ret says so. */
void rp_run_plot(struct report *rp, const char *plotdir, const char *name,
		 const char *gp);

/* gnuplot_panels.c: small multiples, one panel per backend family. */
bool rp_panels_wanted(const struct report *rp, const struct plot *pl);
int rp_panels_height(const struct report *rp, const struct plot *pl);
void rp_write_panels(FILE *f, const struct report *rp, const struct plot *pl);

/* plot_sync.c: collapse_ipis and tracking, drawn in their own panels. */
bool rp_has_collapse(const struct report *rp);
bool rp_has_tracking(const struct report *rp);
void rp_draw_sync_plots(struct report *rp, const char *plotdir);

#endif /* WALKLAB_REPORT_PLOT_H */
