// SPDX-License-Identifier: MIT
/*
 * report.c - results.csv -> results.json, summary.txt and gnuplot plots,
 * and `walklab plot`.
 *
 * Design.  The CSV is the only input (plus provenance.txt), so `walklab
 * plot DIR` can redraw any results folder, also one copied from another
 * host.  The file is read once into an array of rows (load.c); each row
 * keeps its raw line, so the JSON carries exactly the CSV's columns and
 * the provenance columns that trail a row (json.c).  The summary
 * (summary.c) and the plots (plot.c, gnuplot.c) pick their numbers from
 * the rows.  The plots are planned before the summary is written, whose
 * notes say which were drawn, and drawn last, so that a missing gnuplot
 * never costs the numbers.
 */
#include "report.h"
#include "cli.h"
#include "report_int.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * dir/name, written by fill() to name.tmp and renamed into place; on an
 * error, one line on stderr and WL_REPORT_WRITE in rp->ret.
 */
static void write_file(struct report *rp, const char *name,
		       void (*fill)(FILE *f, const struct report *rp))
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	rp_path(path, rp, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f) {
		fill(f, rp);
		if (!fclose(f) && !rename(tmp, path))
			return;
	}
	fprintf(stderr, "walklab: cannot write %s: %s\n", path,
		strerror(errno));
	rp->ret |= WL_REPORT_WRITE;
}

int wl_report_write(const char *dir)
{
	struct report *rp = rp_load(dir);
	struct rp_plots *pp;
	int ret;

	if (!rp)
		return WL_REPORT_WRITE;
	if (!(rp->ret & WL_REPORT_NOCSV)) {
		pp = rp_plan_plots(rp);
		write_file(rp, "results.json", rp_json);
		write_file(rp, "summary.txt", rp_summary);
		rp_draw_plots(rp, pp);
		rp_draw_scale(rp);
		rp_free_plots(pp);
	}
	ret = rp->ret;
	rp_free(rp);
	return ret;
}

const char *wl_report_strerror(int ret)
{
	if (ret & WL_REPORT_NOCSV)
		return "results.csv could not be read";
	if (ret & WL_REPORT_WRITE)
		return "an output file could not be written";
	if (ret & WL_REPORT_BADROWS)
		return "malformed rows in results.csv were skipped";
	if (ret & WL_REPORT_PLOTFAIL)
		return "gnuplot failed on a plot";
	if (ret & WL_REPORT_NOGNUPLOT)
		return "gnuplot not found, plots not drawn";
	return "";
}

static const char plot_usage[] =
	"usage: walklab plot DIR\n"
	"  Redraw the report of a results folder from its results.csv (and\n"
	"  provenance.txt): DIR/results.json, DIR/summary.txt and DIR/plots/\n"
	"  (NAME.png, NAME.svg, the gnuplot scripts NAME.gp and "
	"data/NAME.dat).\n"
	"  Exit status: 0; 1 if the report is incomplete (e.g. no gnuplot);\n"
	"  2 on a usage error or a missing DIR or results.csv.\n";

/* DIR, a folder with a readable results.csv, or exit(2). */
static const char *plot_dir(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	int opt;

	while ((opt = wl_getopt(argc, argv, "-h", longopts, "plot")) != -1) {
		if (opt == 'h') {
			fputs(plot_usage, stdout);
			return NULL;
		}
		if (dir) /* opt 1: an operand */
			wl_usage_error("plot: one DIR only; usage: walklab "
				       "plot DIR");
		dir = optarg;
	}
	if (!dir)
		wl_usage_error("plot: DIR missing; usage: walklab plot DIR");
	return dir;
}

/* dir is a folder with a readable results.csv, or exit(2). */
static void check_dir(const char *dir)
{
	char csv[PATH_MAX];
	struct stat st;

	if (stat(dir, &st))
		wl_usage_error("plot: %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		wl_usage_error("plot: %s: not a directory", dir);
	snprintf(csv, sizeof(csv), "%s/results.csv", dir);
	if (access(csv, R_OK))
		wl_usage_error("plot: %s: %s", csv, strerror(errno));
}

int wl_report_cmd(int argc, char **argv)
{
	const char *dir = plot_dir(argc, argv);
	int ret;

	if (!dir)
		return 0; /* --help */
	check_dir(dir);
	ret = wl_report_write(dir);
	if (ret & WL_REPORT_NOCSV)
		return 2;
	if (ret) {
		fprintf(stderr, "walklab: plot: report incomplete: %s\n",
			wl_report_strerror(ret));
		return 1;
	}
	printf("walklab: wrote summary.txt, results.json and plots/ in %s\n",
	       dir);
	return 0;
}
