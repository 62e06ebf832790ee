// SPDX-License-Identifier: MIT
/*
 * report.c - results.csv -> results.json, summary.txt and gnuplot plots.
 *
 * Design.  The CSV is the only input (plus provenance.txt), so `walklab
 * plot DIR` can redraw any results folder, also one copied from another
 * host.  The file is read once into an array of rows; each row keeps its
 * raw line, so the JSON carries exactly the CSV's columns (names taken from
 * WL_CSV_COLUMNS and WL_CSV_PROVENANCE_COLUMNS, not repeated here) and the
 * provenance columns that trail a row.
 *
 * The summary picks one number per column and backend configuration with
 * find(): a fixed configuration (say 16 pages, 4k, get, 1 CPU), so that the
 * columns compare like with like; a metric that is missing prints "-".  It
 * is plain ASCII and at most 80 columns wide (a configuration name longer
 * than its column gets a line of its own).
 *
 * A plot is a filter over the rows plus the parameter on its x axis; rows
 * that differ in any other parameter go to different series, and a
 * parameter that takes several values in a plot is named in the series
 * titles.  The data go to plots/data/NAME.dat, one gnuplot index block per
 * series, and a generated plots/NAME.gp draws NAME.png and NAME.svg from
 * it; gnuplot runs as a child in plots/ with its output in
 * plots/gnuplot.log.  Axis ranges are set from the data, so one point or
 * one series draws, and an empty plot is skipped (noted in summary.txt)
 * rather than handed to gnuplot, which would fail on it.
 */
#include "report.h"
#include "results.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WIDTH	 80 /* summary.txt */
#define ANY	 INT64_MIN
#define MAX_COLS 64
#define MAX_BAD	 5 /* malformed lines named on stderr */

struct row {
	struct wl_row r;
	char *line; /* the CSV line as read, without its newline */
	int cfg;    /* index into report.cfgs; -1 for calibration rows */
};

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
	struct row *rows;
	size_t nr_rows;
	struct kv *prov; /* provenance.txt, in file order */
	size_t nr_prov;
	struct cfg *cfgs;
	size_t nr_cfgs;
	char *cols[MAX_COLS]; /* CSV column names: core, then provenance */
	int nr_cols, nr_core;
	char colbuf[sizeof(WL_CSV_COLUMNS "," WL_CSV_PROVENANCE_COLUMNS)];
	char plot_notes[512];
	const char *gnuplot; /* NULL: not found */
	int ret;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fputs("walklab: out of memory\n", stderr);
		exit(1);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xrealloc(NULL, n), s, n);
}

static void path_of(char *buf, const struct report *rp, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", rp->dir, name);
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

/* Split s at commas in place; returns the number of fields. */
static int split(char *s, char **out, int max)
{
	int n = 0;

	while (n < max) {
		out[n++] = s;
		s = strchr(s, ',');
		if (!s)
			break;
		*s++ = 0;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Input                                                              */

static void load_provenance(struct report *rp)
{
	char path[PATH_MAX], *line = NULL, *eq;
	size_t cap = 0;
	FILE *f;

	path_of(path, rp, "provenance.txt");
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr,
			"walklab: warning: %s: %s; provenance taken from the "
			"CSV columns\n",
			path, strerror(errno));
		return;
	}
	while (getline(&line, &cap, f) >= 0) {
		chomp(line);
		eq = strchr(line, '=');
		if (line[0] == '#' || !eq || eq == line)
			continue;
		*eq = 0;
		rp->prov = xrealloc(rp->prov,
				    (rp->nr_prov + 1) * sizeof(*rp->prov));
		rp->prov[rp->nr_prov].key = xstrdup(line);
		rp->prov[rp->nr_prov++].val = xstrdup(eq + 1);
	}
	free(line);
	fclose(f);
}

/*
 * One CSV line: the core columns go to wl_row_parse_csv(), which knows
 * nothing of the provenance columns that may trail them.
 */
static int parse_line(const struct report *rp, const char *line,
		      struct wl_row *r)
{
	char core[1024];
	const char *c = line;
	int commas = 0;
	size_t n;

	for (; *c; c++)
		if (*c == ',' && ++commas == rp->nr_core)
			break;
	n = (size_t)(c - line);
	if (n >= sizeof(core))
		return -1;
	memcpy(core, line, n);
	core[n] = 0;
	return wl_row_parse_csv(core, r);
}

static int load_csv(struct report *rp)
{
	char path[PATH_MAX], *line = NULL;
	unsigned long lineno = 0, bad = 0;
	size_t cap = 0;
	struct wl_row r;
	FILE *f;

	path_of(path, rp, "results.csv");
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "walklab: %s: %s\n", path, strerror(errno));
		rp->ret |= WL_REPORT_NOCSV;
		return -1;
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		chomp(line);
		if (!line[0] || line[0] == '#' || !strncmp(line, "backend,", 8))
			continue;
		if (parse_line(rp, line, &r)) {
			if (++bad <= MAX_BAD)
				fprintf(stderr,
					"walklab: %s:%lu: malformed row, "
					"skipped\n",
					path, lineno);
			continue;
		}
		rp->rows = xrealloc(rp->rows,
				    (rp->nr_rows + 1) * sizeof(*rp->rows));
		rp->rows[rp->nr_rows].r = r;
		rp->rows[rp->nr_rows].cfg = -1;
		rp->rows[rp->nr_rows++].line = xstrdup(line);
	}
	free(line);
	fclose(f);
	if (bad) {
		if (bad > MAX_BAD)
			fprintf(stderr,
				"walklab: %s: %lu malformed rows skipped in "
				"all\n",
				path, bad);
		rp->ret |= WL_REPORT_BADROWS;
	}
	return 0;
}

static bool is_calib(const struct wl_row *r)
{
	return !strcmp(r->workload, "calib") || !strcmp(r->backend, "host");
}

/* Build options for display: "-" (none) shows as nothing. */
static const char *opts(const char *s)
{
	return strcmp(s, "-") ? s : "";
}

/* The configurations, "none" first, then in order of appearance. */
static void find_cfgs(struct report *rp)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < rp->nr_rows; i++) {
			const struct wl_row *r = &rp->rows[i].r;
			size_t c;

			if (is_calib(r) || !strcmp(r->backend, "none") != !pass)
				continue;
			for (c = 0; c < rp->nr_cfgs; c++)
				if (!strcmp(rp->cfgs[c].backend, r->backend) &&
				    !strcmp(rp->cfgs[c].build_options,
					    opts(r->build_options)) &&
				    !strcmp(rp->cfgs[c].arch, r->arch))
					break;
			if (c == rp->nr_cfgs) {
				rp->cfgs = xrealloc(
					rp->cfgs, (c + 1) * sizeof(*rp->cfgs));
				memset(&rp->cfgs[c], 0, sizeof(rp->cfgs[c]));
				strcpy(rp->cfgs[c].backend, r->backend);
				strcpy(rp->cfgs[c].build_options,
				       opts(r->build_options));
				strcpy(rp->cfgs[c].arch, r->arch);
				rp->nr_cfgs++;
			}
			rp->rows[i].cfg = (int)c;
		}
	}
	/* Name the arch only where one backend ran under several. */
	for (size_t c = 0; c < rp->nr_cfgs; c++) {
		struct cfg *g = &rp->cfgs[c];
		bool several = false;

		for (size_t d = 0; d < rp->nr_cfgs; d++)
			if (d != c && !strcmp(rp->cfgs[d].backend, g->backend))
				several = true;
		snprintf(g->name, sizeof(g->name), "%s%s%s", g->backend,
			 several && g->arch[0] ? "@" : "",
			 several ? g->arch : "");
	}
}

/* A provenance value: provenance.txt, else the first row's column. */
static const char *prov_get(const struct report *rp, const char *key)
{
	static char val[512];
	char buf[4096], *f[MAX_COLS];
	int n;

	for (size_t i = 0; i < rp->nr_prov; i++)
		if (!strcmp(rp->prov[i].key, key))
			return rp->prov[i].val;
	if (!rp->nr_rows || strlen(rp->rows[0].line) >= sizeof(buf))
		return NULL;
	strcpy(buf, rp->rows[0].line);
	n = split(buf, f, MAX_COLS);
	for (int i = rp->nr_core; i < n && i < rp->nr_cols; i++) {
		if (!strcmp(rp->cols[i], key) && f[i][0]) {
			snprintf(val, sizeof(val), "%s", f[i]);
			return val;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* results.json                                                       */

/* Columns that hold names, never numbers. */
static bool text_column(const char *col)
{
	static const char *const num[] = {
		"walk_pages", "cpus", "writer_rate", "allow_retry",
		"t_ms",	      "n",    "min",	     "median",
		"max",	      "p99",  "pinned",	     "oversubscribed",
		"host_pus",   NULL};

	for (int i = 0; num[i]; i++)
		if (!strcmp(col, num[i]))
			return false;
	return true;
}

static void json_val(FILE *f, const char *col, const char *v)
{
	char *end;
	double d;

	if (!*v) {
		fputs("null", f);
		return;
	}
	if (text_column(col)) {
		wl_json_str(f, v);
		return;
	}
	d = strtod(v, &end);
	if (*end)
		wl_json_str(f, v); /* not a number after all: keep the text */
	else if (isfinite(d))
		fprintf(f, "%.15g", d);
	else
		fputs("null", f);
}

static int write_json(struct report *rp)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], *buf = NULL, *fl[MAX_COLS];
	size_t cap = 0;
	FILE *f;

	path_of(path, rp, "results.json");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		goto fail;
	fputs("{\n  \"provenance\": {", f);
	if (rp->nr_prov) {
		for (size_t i = 0; i < rp->nr_prov; i++) {
			fputs(i ? ",\n    " : "\n    ", f);
			wl_json_str(f, rp->prov[i].key);
			fputs(": ", f);
			wl_json_str(f, rp->prov[i].val);
		}
	} else {
		bool first = true;

		for (int i = rp->nr_core; i < rp->nr_cols; i++) {
			const char *v = prov_get(rp, rp->cols[i]);

			if (!v)
				continue;
			fputs(first ? "\n    " : ",\n    ", f);
			wl_json_str(f, rp->cols[i]);
			fputs(": ", f);
			wl_json_str(f, v);
			first = false;
		}
	}
	fputs("\n  },\n  \"rows\": [", f);
	for (size_t i = 0; i < rp->nr_rows; i++) {
		size_t len = strlen(rp->rows[i].line) + 1;
		int n;

		if (len > cap)
			buf = xrealloc(buf, cap = len);
		memcpy(buf, rp->rows[i].line, len);
		n = split(buf, fl, MAX_COLS);
		fputs(i ? ",\n    {" : "\n    {", f);
		for (int c = 0; c < n && c < rp->nr_cols; c++) {
			if (c >= rp->nr_core && !fl[c][0])
				continue; /* absent provenance column */
			fputs(c ? ", " : "", f);
			wl_json_str(f, rp->cols[c]);
			fputs(": ", f);
			json_val(f, rp->cols[c], fl[c]);
		}
		fputc('}', f);
	}
	fputs("\n  ]\n}\n", f);
	free(buf);
	if (fclose(f) || rename(tmp, path))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "walklab: cannot write %s: %s\n", path,
		strerror(errno));
	rp->ret |= WL_REPORT_WRITE;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Picking numbers for the table                                      */

/* The first row of cfg matching; NULL strings and ANY match anything. */
static const struct wl_row *find(const struct report *rp, int cfg,
				 const char *workload, const char *metric,
				 int64_t pages, const char *mapping,
				 const char *foll, int64_t cpus)
{
	for (size_t i = 0; i < rp->nr_rows; i++) {
		const struct wl_row *r = &rp->rows[i].r;

		if (rp->rows[i].cfg != cfg || r->t_ms >= 0 ||
		    strcmp(r->workload, workload) || strcmp(r->metric, metric))
			continue;
		if ((pages != ANY && r->walk_pages != pages) ||
		    (cpus != ANY && r->cpus != cpus) ||
		    (mapping && strcmp(r->mapping, mapping)) ||
		    (foll && strcmp(r->foll, foll)))
			continue;
		return r;
	}
	return NULL;
}

/* The mixed-workload row at the highest writer rate (munmap if several). */
static const struct wl_row *find_top_rate(const struct report *rp, int cfg,
					  const char *metric)
{
	const struct wl_row *best = NULL;

	for (size_t i = 0; i < rp->nr_rows; i++) {
		const struct wl_row *r = &rp->rows[i].r;

		if (rp->rows[i].cfg != cfg || r->t_ms >= 0 ||
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

	for (size_t i = 0; i < rp->nr_rows; i++) {
		const struct wl_row *r = &rp->rows[i].r;
		bool samples = !strcmp(r->metric, "backlog_tables");
		double v;

		if (rp->rows[i].cfg != cfg || strcmp(r->workload, "mixed") ||
		    (!samples && strcmp(r->metric, "backlog_peak_tables")))
			continue;
		v = isnan(r->max) ? r->median : r->max;
		if (!isnan(v) && (isnan(peak) || v > peak))
			peak = v;
	}
	return peak;
}

/* ------------------------------------------------------------------ */
/* summary.txt                                                        */

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "unknown";
}

/* "yes", "no", "in some rows" or "unknown", over the benchmark rows. */
static const char *tristate(const struct report *rp, bool pinned)
{
	size_t yes = 0, no = 0;

	for (size_t i = 0; i < rp->nr_rows; i++) {
		int v = pinned ? rp->rows[i].r.pinned
			       : rp->rows[i].r.oversubscribed;

		if (rp->rows[i].cfg < 0)
			continue;
		yes += v == 1;
		no += v == 0;
	}
	if (yes && no)
		return "in some rows";
	return yes ? "yes" : no ? "no" : "unknown";
}

static void summary_header(FILE *f, const struct report *rp)
{
	static const char *const shown[] = {
		"cpu_model",	"host_pus", "kernel",  "compiler",
		"cflags",	"liburcu",  "hwloc",   "git_rev",
		"timestamp",	"command",  "cmdline", "command_line",
		"command line", NULL};
	char buf[1024];
	const char *cmd;
	size_t len = 0;

	fprintf(f, "walklab compare: lockless page-table walk backends\n\n");
	snprintf(buf, sizeof(buf), "%s (%s PUs)",
		 or_unknown(prov_get(rp, "cpu_model")),
		 or_unknown(prov_get(rp, "host_pus")));
	wl_put_wrapped(f, WIDTH, "CPU:", buf);
	wl_put_wrapped(f, WIDTH, "kernel:", or_unknown(prov_get(rp, "kernel")));
	snprintf(buf, sizeof(buf), "%s; %s",
		 or_unknown(prov_get(rp, "compiler")),
		 or_unknown(prov_get(rp, "cflags")));
	wl_put_wrapped(f, WIDTH, "compiler:", buf);
	snprintf(buf, sizeof(buf), "liburcu %s, hwloc %s",
		 or_unknown(prov_get(rp, "liburcu")),
		 or_unknown(prov_get(rp, "hwloc")));
	wl_put_wrapped(f, WIDTH, "libs:", buf);
	snprintf(buf, sizeof(buf), "git %s, %s",
		 or_unknown(prov_get(rp, "git_rev")),
		 or_unknown(prov_get(rp, "timestamp")));
	wl_put_wrapped(f, WIDTH, "run:", buf);
	snprintf(buf, sizeof(buf), "pinned: %s; oversubscribed: %s",
		 tristate(rp, true), tristate(rp, false));
	wl_put_wrapped(f, WIDTH, "threads:", buf);
	cmd = prov_get(rp, "command");
	if (!cmd)
		cmd = prov_get(rp, "cmdline");
	if (!cmd)
		cmd = prov_get(rp, "command_line");
	if (!cmd)
		cmd = prov_get(rp, "command line");
	if (cmd)
		wl_put_wrapped(f, WIDTH, "command:", cmd);
	/* Every other parameter, "key=value key=value ...". */
	buf[0] = 0;
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
	fputc('\n', f);
}

#define NAME_W 17 /* then 9 columns of 7: 80 */

static void summary_table(FILE *f, const struct report *rp)
{
	static const char *const head[3][9] = {
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

		for (int c = 0; c < 9; c++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%7s",
				      head[h][c]);
		fprintf(f, "%s\n", line);
	}
	memset(line, '-', WIDTH);
	line[WIDTH] = 0;
	fprintf(f, "%s\n", line);

	for (size_t c = 0; c < rp->nr_cfgs; c++) {
		const struct cfg *g = &rp->cfgs[c];
		int i = (int)c, n;
		double v[9];
		const struct wl_row *r;
		char cell[16];

		v[0] = median_of(
			find(rp, i, "read", "ns_per_walk", 16, "4k", "get", 1));
		/*
		 * The read side alone, not a ratio of whole walks: walks of
		 * different executables differ by more than any read side
		 * costs (code and data placement), so a ratio to none's
		 * walk ranked read sides by noise.
		 */
		v[1] = median_of(find(rp, i, "read", "read_side_pair_ns", ANY,
				      NULL, NULL, 1));
		if (v[1] < 0.005)
			v[1] = 0; /* compiled to nothing (qsbr): the loop's
				   * own overhead was optimized away too */
		r = find(rp, i, "read", "ns_per_page", 512, "2m", "get", 1);
		if (!r)
			r = find(rp, i, "read", "ns_per_page", 512, "2m", NULL,
				 ANY);
		v[2] = median_of(r);
		v[3] = median_of(find(rp, i, "writer", "sync_ns", ANY, NULL,
				      NULL, 1)) /
		       1000;
		v[4] = median_of(find(rp, i, "writer", "free_ns", ANY, NULL,
				      NULL, 1)) /
		       1000;
		v[5] = median_of(find_top_rate(rp, i, "ipis_per_op"));
		v[6] = backlog_peak(rp, i);
		r = find(rp, i, "read", "section_ns", 512, "4k", "get", 1);
		if (!r)
			r = find(rp, i, "read", "section_ns", 512, NULL, NULL,
				 ANY);
		v[7] = r ? r->p99 : NAN;
		v[8] = median_of(find_top_rate(rp, i, "walks_per_s"));

		if (strlen(g->name) > NAME_W) {
			fprintf(f, "%.*s\n", WIDTH, g->name);
			n = snprintf(line, sizeof(line), "%*s", NAME_W, "");
		} else {
			n = snprintf(line, sizeof(line), "%-*s", NAME_W,
				     g->name);
		}
		for (int k = 0; k < 9; k++) {
			wl_fmt_num(cell, sizeof(cell), v[k]);
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%7s",
				      cell);
		}
		fprintf(f, "%s\n", line);
	}
	if (!rp->nr_cfgs)
		fprintf(f, "(no benchmark rows)\n");
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
		"               loop on 1 CPU, ns per pair (none: the loop "
		"itself)",
		"  read ns/pg   ns per page: 512 pages on a 2 MiB mapping",
		"  sync, free   writer: one sync / one table free (munmap of a "
		"populated",
		"               2 MiB), p50 in us, while 1 CPU walks",
		"  IPIs per op  IPIs sent per writer op in the mixed workload",
		"  backlg peak  most page tables waiting for deferred free "
		"(mixed)",
		"  sect. p99    walk section (IRQ-off for IRQ-off backends), "
		"512 pages, ns",
		"  walk/s       walks per second in the mixed workload at the "
		"highest",
		"               writer rate",
		NULL};
	bool opts = false;

	for (int i = 0; legend[i]; i++)
		fprintf(f, "%s\n", legend[i]);
	fputc('\n', f);
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

static void summary_calib(FILE *f, const struct report *rp)
{
	bool any = false;

	for (size_t i = 0; i < rp->nr_rows; i++) {
		const struct wl_row *r = &rp->rows[i].r;
		char params[40] = "", med[16], status[128];
		int n = 0;

		if (!is_calib(r))
			continue;
		if (!any)
			fprintf(f,
				"Host calibration (measured on this host, "
				"same run)\n"
				"%-28s %-11s %7s %-8s %s\n",
				"metric", "params", "median", "unit", "status");
		any = true;
		if (r->walk_pages >= 0)
			n += snprintf(params + n, sizeof(params) - (size_t)n,
				      "%lldp ", (long long)r->walk_pages);
		if (r->mapping[0])
			n += snprintf(params + n, sizeof(params) - (size_t)n,
				      "%s ", r->mapping);
		if (r->cpus >= 0)
			snprintf(params + n, sizeof(params) - (size_t)n,
				 "%lldcpu", (long long)r->cpus);
		wl_fmt_num(med, sizeof(med), r->median);
		if (!r->n || isnan(r->median))
			snprintf(status, sizeof(status), "n/a%s%s",
				 r->build_options[0] ? ": " : "",
				 r->build_options);
		else
			snprintf(status, sizeof(status), "ok");
		fprintf(f, "%-28.28s %-11.11s %7s %-8.8s %.22s\n", r->metric,
			params, med, r->unit, status);
	}
	if (any)
		fputc('\n', f);
}

static int write_summary(struct report *rp)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	path_of(path, rp, "summary.txt");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		goto fail;
	summary_header(f, rp);
	summary_table(f, rp);
	summary_legend(f, rp);
	summary_calib(f, rp);
	if (rp->plot_notes[0])
		wl_put_wrapped(f, WIDTH, "Plots:", rp->plot_notes);
	if (fclose(f) || rename(tmp, path))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "walklab: cannot write %s: %s\n", path,
		strerror(errno));
	rp->ret |= WL_REPORT_WRITE;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Plots                                                              */

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
	/* fixed parameters, tried first; NULL/ANY: none */
	int64_t pages, cpus;
	const char *mapping, *foll;
	bool strict;   /* no fallback to any parameters */
	bool top_rate; /* only the highest writer rate */
};

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
		.cpus = ANY,
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
		.pages = ANY,
		.cpus = ANY,
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
		.pages = ANY,
		.cpus = ANY,
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
		.pages = ANY,
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
		.pages = ANY,
		.cpus = ANY,
		.strict = true,
	},
};
#define NR_PLOTS (sizeof(plots) / sizeof(plots[0]))

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
	return (pd->pages == ANY || r->walk_pages == pd->pages) &&
	       (pd->cpus == ANY || r->cpus == pd->cpus) &&
	       (!pd->mapping || !strcmp(r->mapping, pd->mapping)) &&
	       (!pd->foll || !strcmp(r->foll, pd->foll));
}

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

static int cmp_double(const void *a, const void *b)
{
	const double *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static int cmp_point(const void *a, const void *b)
{
	const struct point *p = a, *q = b;

	return (p->x > q->x) - (p->x < q->x);
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
		qsort(pl->cat, n, sizeof(pl->cat[0]), cmp_double);
		pl->nr_cat = n;
	}
}

static int cmp_series(const void *a, const void *b)
{
	const struct series *s = a, *t = b;

	if (s->cfg != t->cfg)
		return s->cfg - t->cfg;
	return s->sub - t->sub;
}

/* Sort the matching rows into series; returns the number of points. */
static size_t build_plot(const struct report *rp, const struct plot_def *pd,
			 struct plot *pl)
{
	bool varies[NR_P] = {false}, fixed = true;
	char first[NR_P][48], cur[48];
	size_t nr_pts = 0;

	memset(pl, 0, sizeof(*pl));
	pl->def = pd;
	pl->top_rate = -1;
again:
	for (size_t i = 0; i < rp->nr_rows; i++) {
		const struct wl_row *r = &rp->rows[i].r;

		if (rp->rows[i].cfg >= 0 && plot_match(pd, r, fixed) &&
		    pd->top_rate && r->writer_rate > pl->top_rate)
			pl->top_rate = r->writer_rate;
	}
	for (size_t i = 0; i < rp->nr_rows; i++) {
		const struct wl_row *r = &rp->rows[i].r;

		if (rp->rows[i].cfg < 0 || !plot_match(pd, r, fixed) ||
		    (pd->top_rate && r->writer_rate != pl->top_rate))
			continue;
		for (int p = 0; p < NR_P; p++) {
			param_str(r, p, cur, sizeof(cur));
			if (!nr_pts)
				strcpy(first[p], cur);
			else if (strcmp(first[p], cur))
				varies[p] = true;
		}
		nr_pts++;
	}
	if (!nr_pts && fixed && !pd->strict) {
		fixed = false;
		goto again;
	}

	for (size_t i = 0; i < rp->nr_rows; i++) {
		const struct wl_row *r = &rp->rows[i].r;
		const struct cfg *g;
		struct series *s = NULL;
		char key[256];
		size_t k;
		int n;

		if (rp->rows[i].cfg < 0 || !plot_match(pd, r, fixed) ||
		    (pd->top_rate && r->writer_rate != pl->top_rate))
			continue;
		g = &rp->cfgs[rp->rows[i].cfg];
		n = snprintf(key, sizeof(key), "%d", rp->rows[i].cfg);
		for (int p = 0; p < NR_P; p++) {
			if (is_x_param(pd, p))
				continue;
			param_str(r, p, cur, sizeof(cur));
			n += snprintf(key + n, sizeof(key) - (size_t)n, "|%s",
				      cur);
		}
		for (k = 0; k < pl->nr; k++)
			if (!strcmp(pl->s[k].key, key))
				break;
		if (k == pl->nr) {
			int sub = 0;

			for (size_t j = 0; j < pl->nr; j++)
				sub += pl->s[j].cfg == rp->rows[i].cfg;
			pl->s = xrealloc(pl->s, (k + 1) * sizeof(*pl->s));
			s = &pl->s[pl->nr++];
			memset(s, 0, sizeof(*s));
			s->cfg = rp->rows[i].cfg;
			s->sub = sub;
			strcpy(s->key, key);
			n = snprintf(s->title, sizeof(s->title), "%s", g->name);
			if (g->build_options[0])
				n += snprintf(s->title + n,
					      sizeof(s->title) - (size_t)n,
					      " (%s)", g->build_options);
			for (int p = 0; p < NR_P; p++) {
				if (!varies[p] || is_x_param(pd, p))
					continue;
				param_str(r, p, cur, sizeof(cur));
				if (cur[0] && n < (int)sizeof(s->title))
					n += snprintf(s->title + n,
						      sizeof(s->title) -
							      (size_t)n,
						      " %s", cur);
			}
		}
		s = &pl->s[k];
		s->pt = xrealloc(s->pt, (s->nr + 1) * sizeof(*s->pt));
		s->pt[s->nr++] = (struct point){
			x_of(pd, r), r->median * pd->scale, r->min * pd->scale,
			r->max * pd->scale, r->p99 * pd->scale};
	}
	for (size_t k = 0; k < pl->nr; k++)
		qsort(pl->s[k].pt, pl->s[k].nr, sizeof(*pl->s[k].pt),
		      cmp_point);
	if (pl->nr) /* in table order */
		qsort(pl->s, pl->nr, sizeof(*pl->s), cmp_series);
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

/* A gnuplot single-quoted string: '' stands for '. */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if (*s != '\n')
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void gp_num(FILE *f, double v)
{
	if (isnan(v))
		fputs(" NaN", f);
	else
		fprintf(f, " %.9g", v);
}

static int write_dat(const struct plot *pl, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "# %s: generated by walklab from ../../results.csv\n",
		pl->def->name);
	for (size_t k = 0; k < pl->nr; k++) {
		const struct series *s = &pl->s[k];

		fprintf(f,
			"%s# index %zu: %s\n"
			"# x median min max p99 x_position\n",
			k ? "\n\n" : "", k, s->title);
		for (size_t i = 0; i < s->nr; i++) {
			double pos = s->pt[i].x;

			/* a categorical axis draws at the value's rank */
			for (size_t j = 0; j < pl->nr_cat; j++)
				if (pl->cat[j] == s->pt[i].x)
					pos = (double)j;
			gp_num(f, s->pt[i].x);
			gp_num(f, s->pt[i].med);
			gp_num(f, s->pt[i].min);
			gp_num(f, s->pt[i].max);
			gp_num(f, s->pt[i].p99);
			gp_num(f, pos);
			fputc('\n', f);
		}
	}
	return fclose(f);
}

/* Two footer lines of provenance for every plot. */
static void footer(const struct report *rp, char *l1, char *l2, size_t n)
{
	snprintf(l1, n, "%s, %s PUs; kernel %s; %s; liburcu %s; hwloc %s",
		 or_unknown(prov_get(rp, "cpu_model")),
		 or_unknown(prov_get(rp, "host_pus")),
		 or_unknown(prov_get(rp, "kernel")),
		 or_unknown(prov_get(rp, "compiler")),
		 or_unknown(prov_get(rp, "liburcu")),
		 or_unknown(prov_get(rp, "hwloc")));
	snprintf(l2, n,
		 "walklab %s, %s; threads pinned: %s, oversubscribed: %s; "
		 "cflags: %s",
		 or_unknown(prov_get(rp, "git_rev")),
		 or_unknown(prov_get(rp, "timestamp")), tristate(rp, true),
		 tristate(rp, false), or_unknown(prov_get(rp, "cflags")));
}

static const char *const colours[] = {
	"#000000", "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00",
	"#56b4e9", "#8c564b", "#7f7f7f", "#9467bd", "#bcbd22", "#17becf",
	"#d62728", "#2ca02c", "#1f3f7f", "#ff7f0e"};
#define NR_COLOURS (sizeof(colours) / sizeof(colours[0]))

static void plot_line(FILE *f, const struct plot *pl, size_t k, bool p99)
{
	static const int pts[] = {7, 5, 9, 11, 13, 15, 3, 1};
	const struct series *s = &pl->s[k];
	bool range = pl->def->style == ST_RANGE;
	bool pair = pl->def->style == ST_P50P99;
	const char *with;
	int dt, pt;

	if (k || p99)
		fputs(", \\\n    ''", f);
	fprintf(f, " index %zu using 6:%d%s", k, p99 ? 5 : 2,
		range ? ":3:4" : "");
	if (range)
		with = "yerrorlines";
	else if (pl->def->style == ST_LINE && s->nr > 1)
		with = "lines";
	else
		with = "linespoints";
	/* colour: configuration; p99 dashed; other series of it: dt or pt */
	dt = pair ? (p99 ? 2 : 1) : 1 + s->sub % 5;
	pt = pts[((size_t)s->cfg + (pair ? (size_t)s->sub : 0)) % 8];
	fprintf(f, " with %s lc rgb '%s' lw %s dt %d", with,
		colours[(size_t)s->cfg % NR_COLOURS], p99 ? "1.2" : "2", dt);
	if (strcmp(with, "lines"))
		fprintf(f, " pt %d ps 1", pt);
	if (p99) {
		fputs(" notitle", f);
	} else {
		fputs(" title ", f);
		gp_str(f, s->title);
	}
}

/* Tics at the measured x values, where there are few of them. */
static void xtics(FILE *f, const struct plot *pl)
{
	double v[16];
	size_t n = 0;

	if (pl->def->x == X_TMS)
		return;
	if (pl->nr_cat) {
		fputs("set xtics (", f);
		for (size_t j = 0; j < pl->nr_cat; j++)
			fprintf(f, "%s'%.9g' %zu", j ? ", " : "", pl->cat[j],
				j);
		fputs(")\n", f);
		return;
	}
	for (size_t k = 0; k < pl->nr; k++) {
		for (size_t i = 0; i < pl->s[k].nr; i++) {
			size_t j;

			for (j = 0; j < n; j++)
				if (v[j] == pl->s[k].pt[i].x)
					break;
			if (j < n)
				continue;
			if (n == sizeof(v) / sizeof(v[0]))
				return; /* many: leave them to gnuplot */
			v[n++] = pl->s[k].pt[i].x;
		}
	}
	qsort(v, n, sizeof(v[0]), cmp_double);
	fputs("set xtics (", f);
	for (size_t j = 0; j < n; j++)
		fprintf(f, "%s%.9g", j ? ", " : "", v[j]);
	fputs(")\n", f);
}

/* On a CPU axis, mark where walkers outnumber the host's PUs. */
static void oversubscribed(FILE *f, const struct report *rp,
			   const struct plot *pl)
{
	const char *s = prov_get(rp, "host_pus");
	double pus = s ? strtod(s, NULL) : 0;

	if (pl->def->x != X_CPUS || pus <= 0 || pl->xmax <= pus)
		return;
	fprintf(f,
		"set arrow 1 from %.9g, graph 0 to %.9g, graph 1 nohead "
		"dt 3 lc rgb 'gray40'\n"
		"set label 3 ' oversubscribed (> %.9g PUs)' at %.9g, graph "
		"0.97 left textcolor rgb 'gray40'\n",
		pus + 0.5, pus + 0.5, pus, pus + 0.5);
}

static int write_gp(const struct report *rp, const struct plot *pl,
		    const char *path)
{
	const struct plot_def *pd = pl->def;
	char l1[512], l2[512], title[256];
	bool logx, logy;
	double lo, hi;
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	footer(rp, l1, l2, sizeof(l1));
	fprintf(f,
		"# %s.gp: generated by walklab (bench/report/report.c) from "
		"../results.csv.\n"
		"# Redraw: cd into this folder, then: gnuplot %s.gp\n"
		"# Data: data/%s.dat, one index block per series.\n"
		"set encoding utf8\n"
		"set termoption noenhanced\n"
		"set title ",
		pd->name, pd->name, pd->name);
	snprintf(title, sizeof(title), "%s", pd->title);
	if (pd->top_rate && pl->top_rate >= 0)
		snprintf(title + strlen(title) - 1,
			 sizeof(title) - strlen(title) + 1, ": %lld/s)",
			 (long long)pl->top_rate);
	gp_str(f, title);
	fputs("\nset xlabel ", f);
	gp_str(f, pd->xlabel);
	fputs("\nset ylabel ", f);
	gp_str(f, pd->ylabel);
	fputs("\nset grid\n"
	      "set key outside right top vertical Left reverse samplen 3 "
	      "spacing 1.2 box\n"
	      "set bmargin 7\n"
	      "set label 1 ",
	      f);
	gp_str(f, l1);
	fputs(" at screen 0.01, 0.055 left font ',8'\nset label 2 ", f);
	gp_str(f, l2);
	fputs(" at screen 0.01, 0.02 left font ',8'\n", f);
	if (pl->zero[0]) {
		char z[300];

		snprintf(z, sizeof(z), "always 0, not drawn: %s", pl->zero);
		fputs("set label 4 ", f);
		gp_str(f, z);
		fputs(" at graph 0.01, graph 0.97 left font ',9'\n", f);
	}

	/* x: log2 for wide, positive sweeps; one value gets room around it */
	logx = pl->xmin > 0 && pl->xmax / pl->xmin >= 16 && pd->x != X_TMS;
	lo = pl->xmin;
	hi = pl->xmax;
	if (pl->nr_cat) {
		logx = false;
		lo = -0.5;
		hi = (double)pl->nr_cat - 0.5;
	} else if (logx) {
		fprintf(f, "set logscale x %d\n", pd->x == X_RATE ? 10 : 2);
		lo /= 1.5;
		hi *= 1.5;
	} else if (hi - lo < 1e-9) {
		lo -= lo > 0 && lo < 1 ? lo : 1;
		hi += 1;
	} else if (pd->x == X_CPUS || pd->x == X_PAGES) {
		lo -= 0.5;
		hi += 0.5;
	}
	xtics(f, pl);
	fprintf(f, "set xrange [%.9g:%.9g]\n", lo, hi);
	oversubscribed(f, rp, pl);

	/* y: from 0, or log10 if all positive and spread over decades */
	logy = !pl->yzero && pl->ymax / pl->ymin >= 100;
	if (logy)
		fprintf(f, "set logscale y 10\nset yrange [%.9g:%.9g]\n",
			pl->ymin / 1.5, pl->ymax * 1.5);
	else
		fprintf(f, "set yrange [0:%.9g]\n",
			pl->ymax > 0 ? pl->ymax * 1.08 : 1);
	/* 2.5M rather than 2.5e+06; 100k, 1M on a log axis */
	if (logy)
		fputs("set format y '%.0s%c'\n", f);
	else
		fputs(pl->ymax >= 1e5 ? "set format y '%.1s%c'\n"
				      : "set format y '%.4g'\n",
		      f);

	fprintf(f,
		"set terminal pngcairo size 1280,640 noenhanced font "
		"'sans,10'\n"
		"set output '%s.png'\n"
		"plot \\\n    'data/%s.dat'",
		pd->name, pd->name);
	for (size_t k = 0; k < pl->nr; k++) {
		plot_line(f, pl, k, false);
		if (pd->style == ST_P50P99)
			plot_line(f, pl, k, true);
	}
	if (pd->style == ST_P50P99)
		fputs(", \\\n    NaN with lines lc rgb 'black' lw 2 dt 1 "
		      "title 'p50 (median)', \\\n    NaN with lines lc rgb "
		      "'black' lw 1.2 dt 2 title 'p99'",
		      f);
	fprintf(f,
		"\nset terminal svg size 1280,640 dynamic noenhanced font "
		"'sans,10' background rgb 'white'\n"
		"set output '%s.svg'\n"
		"replot\n"
		"unset output\n",
		pd->name);
	return fclose(f);
}

/* $WALKLAB_GNUPLOT, or gnuplot, as a path that works from any folder. */
static const char *find_gnuplot(void)
{
	static char real[PATH_MAX];
	char path[PATH_MAX];
	const char *name = getenv("WALKLAB_GNUPLOT"), *p;

	if (!name || !*name)
		name = "gnuplot";
	if (strchr(name, '/'))
		return realpath(name, real) && !access(real, X_OK) ? real
								   : NULL;
	p = getenv("PATH");
	if (!p)
		p = "/usr/bin:/bin";
	while (*p) {
		size_t len = strcspn(p, ":");

		snprintf(path, sizeof(path), "%.*s/%s", len ? (int)len : 1,
			 len ? p : ".", name);
		if (!access(path, X_OK))
			return realpath(path, real) ? real : NULL;
		p += len;
		if (*p)
			p++;
	}
	return NULL;
}

/* gnuplot NAME.gp in plotdir, its output appended to gnuplot.log. */
static int run_gnuplot(const char *gnuplot, const char *plotdir,
		       const char *script)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int log, nul;

		if (chdir(plotdir))
			_exit(126);
		log = open("gnuplot.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
		nul = open("/dev/null", O_RDONLY);
		if (log < 0 || nul < 0 || dup2(nul, 0) < 0 ||
		    dup2(log, 1) < 0 || dup2(log, 2) < 0)
			_exit(126);
		execl(gnuplot, "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool nonempty(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && st.st_size > 0;
}

static void note(struct report *rp, const char *fmt, const char *arg)
{
	size_t n = strlen(rp->plot_notes);

	snprintf(rp->plot_notes + n, sizeof(rp->plot_notes) - n, fmt, arg);
}

/* The notes for summary.txt: what will be drawn, what has no data. */
static void plan_plots(struct report *rp, const size_t *pts)
{
	bool any = false;

	for (size_t i = 0; i < NR_PLOTS; i++) {
		if (!pts[i])
			continue;
		note(rp, any ? ", %s" : "%s", plots[i].name);
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

static int mkdir_p(const char *path)
{
	return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

static void draw_plot(struct report *rp, const struct plot *pl,
		      const char *plotdir)
{
	const char *name = pl->def->name;
	char dat[PATH_MAX + 64], gp[PATH_MAX + 64], out[PATH_MAX + 64];
	int st;

	snprintf(dat, sizeof(dat), "%s/data/%s.dat", plotdir, name);
	snprintf(gp, sizeof(gp), "%s/%s.gp", plotdir, name);
	if (write_dat(pl, dat) || write_gp(rp, pl, gp)) {
		fprintf(stderr, "walklab: cannot write %s: %s\n", gp,
			strerror(errno));
		rp->ret |= WL_REPORT_WRITE;
		return;
	}
	if (!rp->gnuplot)
		return;
	snprintf(out, sizeof(out), "%s.gp", name);
	st = run_gnuplot(rp->gnuplot, plotdir, out);
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

static void free_report(struct report *rp)
{
	for (size_t i = 0; i < rp->nr_rows; i++)
		free(rp->rows[i].line);
	for (size_t i = 0; i < rp->nr_prov; i++) {
		free(rp->prov[i].key);
		free(rp->prov[i].val);
	}
	free(rp->rows);
	free(rp->prov);
	free(rp->cfgs);
	free(rp);
}

int wl_report_write(const char *dir)
{
	struct report *rp = calloc(1, sizeof(*rp));
	struct plot pl[NR_PLOTS];
	size_t pts[NR_PLOTS];
	char plotdir[PATH_MAX], sub[PATH_MAX + 8], log[PATH_MAX + 16];
	int ret;

	if (!rp)
		return WL_REPORT_WRITE;
	snprintf(rp->dir, sizeof(rp->dir), "%s", dir);
	for (size_t n = strlen(rp->dir); n > 1 && rp->dir[n - 1] == '/';)
		rp->dir[--n] = 0;
	strcpy(rp->colbuf, WL_CSV_COLUMNS "," WL_CSV_PROVENANCE_COLUMNS);
	rp->nr_cols = split(rp->colbuf, rp->cols, MAX_COLS);
	rp->nr_core = 1;
	for (const char *c = WL_CSV_COLUMNS; *c; c++)
		rp->nr_core += *c == ',';

	if (load_csv(rp)) {
		ret = rp->ret;
		free_report(rp);
		return ret;
	}
	load_provenance(rp);
	find_cfgs(rp);
	rp->gnuplot = find_gnuplot();
	for (size_t i = 0; i < NR_PLOTS; i++)
		pts[i] = build_plot(rp, &plots[i], &pl[i]);
	plan_plots(rp, pts);

	write_json(rp);
	write_summary(rp);

	path_of(plotdir, rp, "plots");
	snprintf(sub, sizeof(sub), "%s/data", plotdir);
	snprintf(log, sizeof(log), "%s/gnuplot.log", plotdir);
	if (mkdir_p(plotdir) || mkdir_p(sub)) {
		fprintf(stderr, "walklab: cannot create %s: %s\n", sub,
			strerror(errno));
		rp->ret |= WL_REPORT_WRITE;
	} else {
		unlink(log);
		for (size_t i = 0; i < NR_PLOTS; i++) {
			if (pts[i])
				draw_plot(rp, &pl[i], plotdir);
			else
				drop_plot(plotdir, plots[i].name);
		}
	}
	if (!rp->gnuplot) {
		fprintf(stderr,
			"walklab: gnuplot not found (apt-get install "
			"gnuplot-nox); plots not drawn, scripts left in %s\n",
			plotdir);
		rp->ret |= WL_REPORT_NOGNUPLOT;
	}
	for (size_t i = 0; i < NR_PLOTS; i++)
		free_plot(&pl[i]);
	ret = rp->ret;
	free_report(rp);
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

static void plot_usage(FILE *f)
{
	fprintf(f, "usage: walklab plot DIR\n"
		   "  Redraw the report of a results folder from its "
		   "results.csv (and\n"
		   "  provenance.txt): DIR/results.json, DIR/summary.txt and "
		   "DIR/plots/\n"
		   "  (NAME.png, NAME.svg, the gnuplot scripts NAME.gp and "
		   "data/NAME.dat).\n"
		   "  Exit status: 0; 1 if the report is incomplete (e.g. no "
		   "gnuplot);\n"
		   "  2 on a usage error or a missing DIR or results.csv.\n");
}

int wl_report_cmd(int argc, char **argv)
{
	const char *dir = NULL;
	char csv[PATH_MAX];
	struct stat st;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			plot_usage(stdout);
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
				"walklab: plot: unknown option '%s'; usage: "
				"walklab plot DIR\n",
				argv[i]);
			return 2;
		}
		if (dir) {
			fprintf(stderr, "walklab: plot: one DIR only; usage: "
					"walklab plot DIR\n");
			return 2;
		}
		dir = argv[i];
	}
	if (!dir) {
		fprintf(stderr, "walklab: plot: DIR missing; usage: walklab "
				"plot DIR\n");
		return 2;
	}
	if (stat(dir, &st)) {
		fprintf(stderr, "walklab: plot: %s: %s\n", dir,
			strerror(errno));
		return 2;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "walklab: plot: %s: not a directory\n", dir);
		return 2;
	}
	snprintf(csv, sizeof(csv), "%s/results.csv", dir);
	if (access(csv, R_OK)) {
		fprintf(stderr, "walklab: plot: %s: %s\n", csv,
			strerror(errno));
		return 2;
	}
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
