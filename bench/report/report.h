/* SPDX-License-Identifier: MIT */
/*
 * report.h - the reporting side of `walklab compare` and `walklab plot`:
 * everything is derived from DIR/results.csv (schema in results.h) and
 * DIR/provenance.txt (key=value lines written by the orchestrator).
 *
 * Outputs, in this order, so that a missing gnuplot never costs the
 * numbers:
 *   DIR/results.json     {"provenance": {...}, "rows": [{col: val}, ...]},
 *                        numbers as JSON numbers, n/a as null
 *   DIR/summary.txt      80-column ASCII table for a mail to a kernel list:
 *                        provenance, one line per backend configuration,
 *                        a legend, host calibration, notes on plots
 *   DIR/plots/NAME.png   and NAME.svg, for NAME in read_vs_cpus,
 *                        sync_latency, backlog, section_ns,
 *                        throughput_vs_rate and faults_vs_rate (the
 *                        fault workload's) (a plot without data is
 *                        skipped, with a note in summary.txt)
 *   DIR/plots/NAME.gp    the gnuplot script of each; redraw one with
 *                        `cd DIR/plots && gnuplot NAME.gp`
 *   DIR/plots/data/      NAME.dat, the data of each plot: one gnuplot
 *                        index block per series, headed by its title
 *
 * A backend configuration is a (backend, build_options, arch) triple; the
 * arch is added to its name ("ipi@broadcast") only when one backend was run
 * under several arch models.  Rows with workload "calib" (backend "host")
 * are listed in the host calibration section; a calibration the host
 * forbids is a row with n = 0 and no median, its reason in build_options.
 *
 * gnuplot is looked up in PATH, or taken from $WALKLAB_GNUPLOT.
 */
#ifndef WALKLAB_REPORT_H
#define WALKLAB_REPORT_H

#include "results.h"

/* wl_report_write() result: 0, or an OR of these. */
#define WL_REPORT_NOCSV	    0x01 /* results.csv unreadable: nothing written */
#define WL_REPORT_BADROWS   0x02 /* malformed lines skipped, rest reported */
#define WL_REPORT_WRITE	    0x04 /* an output file could not be written */
#define WL_REPORT_NOGNUPLOT 0x08 /* gnuplot not found: plots not drawn */
#define WL_REPORT_PLOTFAIL  0x10 /* gnuplot failed or wrote an empty file */

/*
 * Write results.json, summary.txt and the plots of dir from its
 * results.csv.  Each problem is also printed as one "walklab: ..." line on
 * stderr (a missing provenance.txt is only a warning).
 */
int wl_report_write(const char *dir);

/* A short description of the most serious flag in ret ("" for 0). */
const char *wl_report_strerror(int ret);

/*
 * `walklab plot [--help] DIR`: argv[0] is "plot".  Returns the exit
 * status: 0, 1 if the report is incomplete, 2 if results.csv cannot be
 * read; exits 2 on a usage error or a missing DIR or results.csv.
 */
int wl_report_cmd(int argc, char **argv);

#define WL_REPORT_NR_RATIOS 4

/*
 * The ratios of simulation over host, side by side from one run's rows,
 * as calib rows (unit "x", arch "host", backend the simulated one) for
 * compare to append to results.csv:
 *   ratio:sim/kernel_gup_4k    the simulated walk per page (512 pages,
 *   ratio:sim/kernel_gup_thp   FOLL_GET, 1 CPU; 4 KiB, THP) over the
 *                              host kernel's GUP-fast per page; the
 *                              simulation is the first measured of
 *                              lockless_walk_helpers-today, ipi, none
 *   ratio:rcu_read/urcu_pair   rcu-memb's begin+end pair over liburcu's
 *                              read-lock pair
 *   ratio:rcu_read/urcu_paired the same timed in one loop (the median of
 *                              read_side_vs_reference)
 * A ratio whose figures are missing is a row with n = 0, no numbers and
 * "unavailable: <reason>" in build_options; one built on a host figure
 * marked invalid (wl_report_row_invalid()) the same with "invalid: ...".
 * The emulated IPI over membarrier is a ratio of the calibration's own
 * rows (bench/calib/calib_judge.c).  Returns the number of rows set in
 * out[].
 */
size_t wl_report_ratios(const struct wl_rows *rs,
			struct wl_row out[WL_REPORT_NR_RATIOS]);

/*
 * Is r a row marked invalid ("invalid: <reason>" in build_options: the
 * calibration measured it, but the thing measured did not happen)?
 */
bool wl_report_row_invalid(const struct wl_row *r);

#endif /* WALKLAB_REPORT_H */
