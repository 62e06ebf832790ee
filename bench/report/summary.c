// SPDX-License-Identifier: MIT
/*
 * summary.c - summary.txt: provenance, one line per backend
 * configuration, a legend, the host calibration, notes on the plots.
 *
 * The table picks one number per column and configuration with find(): a
 * fixed configuration (say 16 pages, 4k, get, 1 CPU), so that the columns
 * compare like with like; a metric that is missing prints "-".  It is
 * plain ASCII and at most 80 columns wide (a configuration name longer
 * than its column gets a line of its own).
 */
#include "report.h"
#include "report_int.h"
#include "text.h"

#include <math.h>
#include <string.h>

#define NAME_W	   17 /* then NR_COLUMNS columns of 7: 80 */
#define NR_COLUMNS 9
/* A cell with no figure by design: the begin+end of an empty pair. */
#define CELL_EMPTY (-INFINITY)

/* The first row of cfg matching; NULL strings and WL_ANY match anything. */
static const struct wl_row *find(const struct report *rp, int cfg,
				 const char *workload, const char *metric,
				 int64_t pages, const char *mapping,
				 const char *foll, int64_t cpus)
{
	const struct wl_match m = {
		.workload = workload,
		.metric = metric,
		.mapping = mapping,
		.foll = foll,
		.walk_pages = pages,
		.cpus = cpus,
	};

	for (long i = -1;
	     (i = wl_rows_find(&rp->rows, (size_t)(i + 1), &m)) >= 0;)
		if (rp->cfg[i] == cfg)
			return &rp->rows.row[i];
	return NULL;
}

/* The mixed-workload row at the highest writer rate (munmap if several). */
static const struct wl_row *find_top_rate(const struct report *rp, int cfg,
					  const char *metric)
{
	const struct wl_row *best = NULL;

	for (size_t i = 0; i < rp->rows.nr; i++) {
		const struct wl_row *r = &rp->rows.row[i];

		if (rp->cfg[i] != cfg || r->t_ms >= 0 ||
		    strcmp(r->workload, "mixed") || strcmp(r->metric, metric))
			continue;
		if (!best || r->writer_rate > best->writer_rate ||
		    (r->writer_rate == best->writer_rate &&
		     strcmp(best->writer_op, "munmap") &&
		     !strcmp(r->writer_op, "munmap")))
			best = r;
	}
	return best;
}

static double median_of(const struct wl_row *r)
{
	return r ? r->median : NAN;
}

/* The largest deferred backlog seen in the mixed workload, in tables. */
static double backlog_peak(const struct report *rp, int cfg)
{
	double peak = NAN;

	for (size_t i = 0; i < rp->rows.nr; i++) {
		const struct wl_row *r = &rp->rows.row[i];
		bool samples = !strcmp(r->metric, "backlog_tables");
		double v;

		if (rp->cfg[i] != cfg || strcmp(r->workload, "mixed") ||
		    (!samples && strcmp(r->metric, "backlog_peak_tables")))
			continue;
		v = isnan(r->max) ? r->median : r->max;
		if (!isnan(v) && (isnan(peak) || v > peak))
			peak = v;
	}
	return peak;
}

/* The command line, under whichever key the provenance has it. */
static const char *command_line(const struct report *rp)
{
	static const char *const keys[] = {"command", "cmdline", "command_line",
					   "command line", NULL};
	const char *cmd = NULL;

	for (int i = 0; keys[i] && !cmd; i++)
		cmd = rp_prov_get(rp, keys[i]);
	return cmd;
}

/* Every provenance parameter the header does not show, "key=value ...". */
static void summary_params(FILE *f, const struct report *rp)
{
	static const char *const shown[] = {
		"cpu_model",	"host_pus", "kernel",  "compiler",
		"cflags",	"liburcu",  "hwloc",   "git_rev",
		"timestamp",	"command",  "cmdline", "command_line",
		"command line", NULL};
	char buf[1024] = "";
	size_t len = 0;

	for (size_t i = 0; i < rp->nr_prov && len < sizeof(buf) - 1; i++) {
		int k;

		for (k = 0; shown[k]; k++)
			if (!strcmp(rp->prov[i].key, shown[k]))
				break;
		if (shown[k])
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s=%s",
					len ? " " : "", rp->prov[i].key,
					rp->prov[i].val);
	}
	if (buf[0])
		wl_put_wrapped(f, WIDTH, "params:", buf);
}

/* "key: <a> <sep> <b>", each of a and b "unknown" if absent. */
static void put_two(FILE *f, const struct report *rp, const char *key,
		    const char *fmt, const char *a, const char *b)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), fmt, rp_or_unknown(rp_prov_get(rp, a)),
		 rp_or_unknown(rp_prov_get(rp, b)));
	wl_put_wrapped(f, WIDTH, key, buf);
}

static void summary_header(FILE *f, const struct report *rp)
{
	char buf[1024];
	const char *cmd = command_line(rp);

	fprintf(f, "walklab compare: lockless page-table walk backends\n\n");
	put_two(f, rp, "CPU:", "%s (%s PUs)", "cpu_model", "host_pus");
	wl_put_wrapped(f, WIDTH,
		       "kernel:", rp_or_unknown(rp_prov_get(rp, "kernel")));
	put_two(f, rp, "compiler:", "%s; %s", "compiler", "cflags");
	put_two(f, rp, "libs:", "liburcu %s, hwloc %s", "liburcu", "hwloc");
	put_two(f, rp, "run:", "git %s, %s", "git_rev", "timestamp");
	snprintf(buf, sizeof(buf), "pinned: %s; oversubscribed: %s",
		 rp_tristate(rp, true), rp_tristate(rp, false));
	wl_put_wrapped(f, WIDTH, "threads:", buf);
	if (cmd)
		wl_put_wrapped(f, WIDTH, "command:", cmd);
	summary_params(f, rp);
	fputc('\n', f);
}

/* The three heading lines and the rule. */
static void table_head(FILE *f)
{
	static const char *const head[3][NR_COLUMNS] = {
		{"read", "begin+", "read", "sync", "free", "IPIs", "backlg",
		 "sect.", "walk/s"},
		{"ns/wlk", "end ns", "ns/pg", "p50 us", "p50 us", "per op",
		 "peak", "p99 ns", "mixed"},
		{"16p 4k", "alone", "512p2M", "1 cpu", "1 cpu", "mixed",
		 "tables", "512p", "hi wr"}};
	char line[256];

	for (int h = 0; h < 3; h++) {
		int n = snprintf(line, sizeof(line), "%-*s", NAME_W,
				 h == 2 ? "configuration" : "");

		for (int c = 0; c < NR_COLUMNS; c++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%7s",
				      head[h][c]);
		fprintf(f, "%s\n", line);
	}
	memset(line, '-', WIDTH);
	line[WIDTH] = 0;
	fprintf(f, "%s\n", line);
}

/* The figures of configuration i, one per column. */
static void table_values(const struct report *rp, int i, double v[NR_COLUMNS])
{
	const struct wl_row *r;

	v[0] = median_of(
		find(rp, i, "read", "ns_per_walk", 16, "4k", "get", 1));
	/*
	 * The read side alone, not a ratio of whole walks: walks of
	 * different executables differ by more than any read side costs
	 * (code and data placement), so a ratio to none's walk ranked read
	 * sides by noise.
	 */
	v[1] = median_of(find(rp, i, "read", "read_side_pair_ns", WL_ANY, NULL,
			      NULL, 1));
	/*
	 * A pair that compiles to nothing has no cost to print: its loop is
	 * the loop alone (none) or was deleted (rcu-qsbr's "0 ns").  The
	 * measure checks the compiled code (read_side_empty); older results
	 * without that row: a loop under 0.05 ns per iteration did not run.
	 */
	r = find(rp, i, "read", "read_side_empty", WL_ANY, NULL, NULL, 1);
	if (r ? r->median >= 1 : v[1] < 0.05)
		v[1] = CELL_EMPTY;
	r = find(rp, i, "read", "ns_per_page", 512, "2m", "get", 1);
	if (!r)
		r = find(rp, i, "read", "ns_per_page", 512, "2m", NULL, WL_ANY);
	v[2] = median_of(r);
	v[3] = median_of(find(rp, i, "writer", "sync_ns", WL_ANY, NULL, NULL,
			      1)) /
	       1000;
	v[4] = median_of(find(rp, i, "writer", "free_ns", WL_ANY, NULL, NULL,
			      1)) /
	       1000;
	v[5] = median_of(find_top_rate(rp, i, "ipis_per_op"));
	v[6] = backlog_peak(rp, i);
	r = find(rp, i, "read", "section_ns", 512, "4k", "get", 1);
	if (!r)
		r = find(rp, i, "read", "section_ns", 512, NULL, NULL, WL_ANY);
	v[7] = r ? r->p99 : NAN;
	v[8] = median_of(find_top_rate(rp, i, "walks_per_s"));
}

/* One configuration's line (its name on a line of its own if long). */
static void table_line(FILE *f, const char *name, const double v[NR_COLUMNS])
{
	char line[256], cell[16];
	int n;

	if (strlen(name) > NAME_W) {
		fprintf(f, "%.*s\n", WIDTH, name);
		n = snprintf(line, sizeof(line), "%*s", NAME_W, "");
	} else {
		n = snprintf(line, sizeof(line), "%-*s", NAME_W, name);
	}
	for (int k = 0; k < NR_COLUMNS; k++) {
		if (v[k] == CELL_EMPTY)
			snprintf(cell, sizeof(cell), "empty");
		else
			wl_fmt_num(cell, sizeof(cell), v[k]);
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%7s", cell);
	}
	fprintf(f, "%s\n", line);
}

static void summary_table(FILE *f, const struct report *rp)
{
	double v[NR_COLUMNS];

	table_head(f);
	for (size_t c = 0; c < rp->nr_cfgs; c++) {
		table_values(rp, (int)c, v);
		table_line(f, rp->cfgs[c].name, v);
	}
	if (!rp->nr_cfgs)
		fprintf(f, "(no benchmark rows)\n");
	fputc('\n', f);
}

static void summary_build_options(FILE *f, const struct report *rp)
{
	bool opts = false;

	for (size_t c = 0; c < rp->nr_cfgs; c++)
		opts |= rp->cfgs[c].build_options[0] != 0;
	if (!opts)
		return;
	fprintf(f, "Build options:\n");
	for (size_t c = 0; c < rp->nr_cfgs; c++) {
		char key[128];

		if (!rp->cfgs[c].build_options[0])
			continue;
		snprintf(key, sizeof(key), "  %s", rp->cfgs[c].name);
		if (strlen(key) >= 24) {
			fprintf(f, "%.*s\n", WIDTH, key);
			key[0] = 0;
		}
		fprintf(f, "%-24s", key);
		fprintf(f, "%.*s\n", WIDTH - 24, rp->cfgs[c].build_options);
	}
	fputc('\n', f);
}

static void summary_legend(FILE *f, const struct report *rp)
{
	static const char *const legend[] = {
		"How to read this: medians over repetitions (min/median/max "
		"and p99 are in",
		"results.csv); lower is better except walk/s; \"-\" = not "
		"measured.",
		"  read ns/wlk  ns per walk: 16 pages, 4 KiB, FOLL_GET, 1 "
		"walking CPU",
		"  begin+end    lockless_page_walk_begin()+end() alone, "
		"inlined, in a tight",
		"               loop on 1 CPU, ns per pair; \"empty\": the "
		"pair "
		"compiles to no",
		"               instructions (checked on the code; none, "
		"rcu-qsbr), no figure",
		"  read ns/pg   ns per page: 512 pages on a 2 MiB mapping",
		"  sync, free   writer: one sync / one table free (munmap of a "
		"populated",
		"               2 MiB), p50 in us, while 1 CPU walks",
		"  IPIs per op  IPIs of every kind (flush+sync+backend) per "
		"completed writer",
		"               op, mixed workload, highest rate; by kind: "
		"ipis_*_per_op rows",
		"  backlg peak  most page tables waiting for deferred free "
		"(mixed)",
		"  sect. p99    walk section (IRQ-off for IRQ-off backends), "
		"512 pages, ns",
		"  walk/s       walks per second in the mixed workload at the "
		"highest",
		"               writer rate",
		NULL};

	for (int i = 0; legend[i]; i++)
		fprintf(f, "%s\n", legend[i]);
	fputc('\n', f);
	summary_build_options(f, rp);
}

/* "16p 2m 1cpu": the parameters a calibration row has. */
static void calib_params(const struct wl_row *r, char *params, size_t size)
{
	int n = 0;

	params[0] = 0;
	if (r->walk_pages >= 0)
		n += snprintf(params + n, size - (size_t)n, "%lldp ",
			      (long long)r->walk_pages);
	if (r->mapping[0])
		n += snprintf(params + n, size - (size_t)n, "%s ", r->mapping);
	if (r->cpus >= 0)
		snprintf(params + n, size - (size_t)n, "%lldcpu",
			 (long long)r->cpus);
}

static void calib_line(FILE *f, const struct wl_row *r)
{
	char params[40], med[16], status[128];

	calib_params(r, params, sizeof(params));
	wl_fmt_num(med, sizeof(med), r->median);
	/* Invalid: the measured thing did not happen; never a bare ratio */
	if (wl_report_row_invalid(r) && !strcmp(r->unit, "x"))
		snprintf(med, sizeof(med), "-");
	if (wl_report_row_invalid(r))
		snprintf(status, sizeof(status), "%s", r->build_options);
	else if (!r->n || isnan(r->median))
		snprintf(status, sizeof(status), "n/a%s%s",
			 r->build_options[0] ? ": " : "", r->build_options);
	else
		snprintf(status, sizeof(status), "ok");
	fprintf(f, "%-28.28s %-11.11s %7s %-8.8s %.22s\n", r->metric, params,
		med, r->unit, status);
}

static void summary_calib(FILE *f, const struct report *rp)
{
	bool any = false;

	for (size_t i = 0; i < rp->rows.nr; i++) {
		if (rp->cfg[i] >= 0)
			continue;
		if (!any)
			fprintf(f,
				"Host calibration (measured on this host, "
				"same run)\n"
				"%-28s %-11s %7s %-8s %s\n",
				"metric", "params", "median", "unit", "status");
		any = true;
		calib_line(f, &rp->rows.row[i]);
	}
	if (any)
		fputc('\n', f);
}

void rp_summary(FILE *f, const struct report *rp)
{
	summary_header(f, rp);
	summary_table(f, rp);
	summary_legend(f, rp);
	rp_summary_fault(f, rp);
	rp_summary_sync(f, rp);
	summary_calib(f, rp);
	rp_summary_scale(f, rp);
	if (rp->plot_notes[0])
		wl_put_wrapped(f, WIDTH, "Plots:", rp->plot_notes);
}
