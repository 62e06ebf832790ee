/* SPDX-License-Identifier: MIT */
/*
 * report_int.h - what the files of the report share (not for its users:
 * they have report.h).
 *
 *   load.c     results.csv, provenance.txt and the backend configurations
 *   json.c     results.json
 *   summary.c  summary.txt
 *   fault.c    summary.txt's fault-path section
 *   plot.c     the plots: which rows, in which series
 *   gnuplot.c  each plot's data file and script, and gnuplot itself
 *   report.c   wl_report_write() and `walklab plot`
 *   ratio.c    the ratios of simulation over host
 */
#ifndef WALKLAB_REPORT_INT_H
#define WALKLAB_REPORT_INT_H

#include "results.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define WIDTH	 80 /* summary.txt */
#define MAX_COLS 64

struct kv {
	char *key, *val;
};

/* A backend configuration: one line of the table, one colour in plots. */
struct cfg {
	char backend[64];
	char build_options[96];
	char arch[16];
	char name[96]; /* backend, or backend@arch */
};

struct report {
	char dir[PATH_MAX - 256]; /* room for file names in it */
	struct wl_rows rows;
	int *cfg;	 /* per row: index into cfgs; -1 for calibration */
	struct kv *prov; /* provenance.txt, in file order */
	size_t nr_prov;
	/*
	 * The first row's non-empty provenance columns, parsed once at
	 * load: rp_prov_get()'s fallback.
	 */
	struct kv *rowprov;
	size_t nr_rowprov;
	struct cfg *cfgs;
	size_t nr_cfgs;
	char *cols[MAX_COLS]; /* CSV column names: core, then provenance */
	int nr_cols, nr_core;
	char colbuf[sizeof(WL_CSV_COLUMNS "," WL_CSV_PROVENANCE_COLUMNS)];
	char plot_notes[512];
	const char *gnuplot; /* NULL: not found */
	int ret;
};

/* load.c */
struct report *rp_load(const char *dir);
void rp_free(struct report *rp);
void *rp_xrealloc(void *p, size_t n);
void rp_path(char *buf, const struct report *rp, const char *name);
int rp_split(char *s, char **out, int max);
const char *rp_prov_get(const struct report *rp, const char *key);
const char *rp_or_unknown(const char *s);
const char *rp_tristate(const struct report *rp, bool pinned);

/* json.c, summary.c: the contents of results.json and summary.txt. */
void rp_json(FILE *f, const struct report *rp);
void rp_summary(FILE *f, const struct report *rp);
/* fault.c: summary.txt's fault-path section (nothing without its rows). */
void rp_summary_fault(FILE *f, const struct report *rp);
/* summary_sync.c: the "Sync strategies" section, if there are rows. */
void rp_summary_sync(FILE *f, const struct report *rp);

/* plot.c: plan (the notes for summary.txt), then draw; then free. */
struct rp_plots;
struct rp_plots *rp_plan_plots(struct report *rp);
void rp_draw_plots(struct report *rp, struct rp_plots *pp);
void rp_free_plots(struct rp_plots *pp);
/* scale.c: the scale sweep's section of summary.txt, and its plot. */
void rp_summary_scale(FILE *f, const struct report *rp);
void rp_draw_scale(struct report *rp);

#endif /* WALKLAB_REPORT_INT_H */
