// SPDX-License-Identifier: MIT
/*
 * test_report.c - the reporting side of walklab compare: the CSV schema,
 * results.json, summary.txt and the plots, from synthetic results; the
 * results loader and the ratios of simulation over host; `walklab plot`
 * and its usage errors.
 *
 * Every test writes a tiny results.csv with wl_row_print_csv() into its own
 * temporary folder (covering every workload of results.h), runs
 * wl_report_write() on it and checks the files: JSON through jq (or
 * python3), the text table for width and content, each plot for a
 * non-empty PNG and SVG.  No timing is asserted.  The folder is removed
 * when a test passes (unless WALKLAB_TEST_KEEP is set) and left behind
 * when one fails.
 */
#include <criterion/criterion.h>

#include "report.h"
#include "results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const plot_names[] = {
	"read_vs_cpus", "sync_latency",	      "backlog",
	"section_ns",	"throughput_vs_rate", "faults_vs_rate"};
#define NR_PLOT_NAMES (sizeof(plot_names) / sizeof(plot_names[0]))

static const struct {
	const char *id, *opts;
} cfgs[] = {
	{"none", ""},
	{"ipi", "delivery=signal"},
	{"rcu-memb", "flavor=memb"},
	{"lockless_walk_helpers-percpu", "mode=percpu"},
};
#define NR_CFGS (sizeof(cfgs) / sizeof(cfgs[0]))

#define PROVENANCE_COLS                                                        \
	",Test CPU @ 2.0GHz,2,6.1.0-test,gcc 12.2.0,-O2 -g,0.13.2,2.9.0,"      \
	"abc1234,2025-01-01T00:00:00Z"

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/walklab-test-report-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

/* WALKLAB_TEST_KEEP=1 keeps the folders, to look at the plots. */
static void remove_dir(void)
{
	char cmd[128];

	if (getenv("WALKLAB_TEST_KEEP")) {
		fprintf(stderr, "kept %s\n", dir);
		return;
	}

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static void row(struct wl_row *r, int cfg, const char *workload,
		const char *metric, const char *unit, double med)
{
	wl_row_init(r, workload, metric, unit);
	snprintf(r->backend, sizeof(r->backend), "%s",
		 cfg < 0 ? "host" : cfgs[cfg].id);
	snprintf(r->build_options, sizeof(r->build_options), "%s",
		 cfg < 0 ? "" : cfgs[cfg].opts);
	snprintf(r->arch, sizeof(r->arch), "%s", cfg < 0 ? "" : "ipi");
	r->n = 5;
	r->min = floor(med * 0.9);
	r->median = med;
	r->max = floor(med * 1.25);
	r->pinned = 1;
	r->oversubscribed = 0;
}

/* One row to f, with the provenance columns if prov. */
static void emit(FILE *f, const struct wl_row *r, bool prov)
{
	char *buf;
	size_t len;
	FILE *m = open_memstream(&buf, &len);

	cr_assert_not_null(m);
	wl_row_print_csv(m, r);
	fclose(m);
	cr_assert(len > 0 && buf[len - 1] == '\n');
	if (prov) {
		buf[len - 1] = 0;
		fprintf(f, "%s%s\n", buf, PROVENANCE_COLS);
	} else {
		fputs(buf, f);
	}
	free(buf);
}

/*
 * Rows of every workload for every configuration; calls fn on each.
 * Values are whole numbers, exact in the CSV's 6 significant digits.
 */
/*
 * The fault workload, on the first configuration only (as compare runs
 * it): faults/s (10 (path + 1) + cpus) M less 100 x the rate; at 10000/s
 * an abort rate of 0.25 and writer waits of 4/9 us (p50/p99).
 */
static size_t synth_fault(void (*fn)(const struct wl_row *, void *), void *arg)
{
	static const char *const paths[] = {"mmap_lock", "spf", "vma_lock"};
	static const int64_t rates[] = {0, 1000, 10000};
	struct wl_row r;
	size_t n = 0;

	for (int p = 0; p < 3; p++)
		for (int64_t cpus = 1; cpus <= 4; cpus *= 2)
			for (int k = 0; k < 3; k++) {
				row(&r, 0, "fault", "faults_per_s", "1/s",
				    (10.0 * (p + 1) + (double)cpus) * 1e6 -
					    100.0 * (double)rates[k]);
				strcpy(r.writer_op, paths[p]);
				r.cpus = cpus;
				r.writer_rate = rates[k];
				r.oversubscribed = cpus > 2;
				fn(&r, arg);
				strcpy(r.metric, "abort_rate");
				r.median = r.min = r.max = 0.25;
				if (p)
					fn(&r, arg);
				strcpy(r.metric, "mmap_lock_write_wait_ns");
				r.median = r.min = 4000;
				r.max = r.p99 = 9000;
				if (rates[k])
					fn(&r, arg);
				n += 1 + !!p + !!rates[k];
			}
	return n;
}

static size_t synth(void (*fn)(const struct wl_row *, void *), void *arg)
{
	static const int64_t batch[] = {1, 16, 64, 512};
	static const int64_t rates[] = {100, 1000, 10000};
	struct wl_row r;
	size_t n = 0;

#define EMIT()                                                                 \
	do {                                                                   \
		fn(&r, arg);                                                   \
		n++;                                                           \
	} while (0)

	for (int c = 0; c < (int)NR_CFGS; c++) {
		double base = 100 + 40 * c;

		for (int64_t cpus = 1; cpus <= 4; cpus *= 2) {
			row(&r, c, "read", "ns_per_walk", "ns",
			    base + 10 * (double)cpus * c);
			r.walk_pages = 16;
			strcpy(r.mapping, "4k");
			strcpy(r.foll, "get");
			r.cpus = cpus;
			r.p99 = 3 * base;
			r.oversubscribed = cpus > 2;
			EMIT();
		}
		row(&r, c, "read", "read_side_pair_ns", "ns", 1.25 + c);
		r.cpus = 1;
		EMIT();
		/* The last configuration's pair compiles to nothing. */
		row(&r, c, "read", "read_side_empty", "bool",
		    c == (int)NR_CFGS - 1);
		r.cpus = 1;
		EMIT();
		row(&r, c, "read", "ns_per_page", "ns", 2 + c);
		r.walk_pages = 512;
		strcpy(r.mapping, "2m");
		strcpy(r.foll, "get");
		r.cpus = 1;
		EMIT();
		row(&r, c, "read", "walks_per_s", "1/s", (9 - c) * 1e6);
		r.walk_pages = 16;
		strcpy(r.mapping, "4k");
		strcpy(r.foll, "pin");
		r.cpus = 1;
		EMIT();
		row(&r, c, "read", "fast_path_ratio", "ratio", 1);
		r.walk_pages = 16;
		strcpy(r.mapping, "4k");
		strcpy(r.foll, "get");
		r.cpus = 1;
		EMIT();
		for (size_t b = 0; b < sizeof(batch) / sizeof(batch[0]); b++) {
			row(&r, c, "read", "section_ns", "ns",
			    20 + (double)batch[b] * (3 + c));
			r.walk_pages = batch[b];
			strcpy(r.mapping, "4k");
			strcpy(r.foll, "get");
			r.cpus = 1;
			r.p99 = 2 * r.median + 100;
			EMIT();
		}
		for (int64_t cpus = 0; cpus <= 2; cpus++) {
			row(&r, c, "writer", "sync_ns", "ns",
			    c ? 1000 * (c + 1) * (double)(cpus + 1) : 0);
			r.cpus = cpus;
			r.p99 = 4 * r.median;
			EMIT();
			row(&r, c, "writer", "free_ns", "ns",
			    5000 + 1000 * (double)cpus);
			strcpy(r.writer_op, "munmap");
			r.cpus = cpus;
			r.p99 = 2 * r.median;
			EMIT();
		}
		row(&r, c, "writer", "ipis_per_op", "1", c == 1 ? 1 : 0);
		r.cpus = 1;
		EMIT();
		row(&r, c, "writer", "grace_periods_per_op", "1", c == 2);
		r.cpus = 1;
		EMIT();
		for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
			row(&r, c, "mixed", "walks_per_s", "1/s",
			    (8 - c) * 1e6 - 1e5 * (double)k);
			strcpy(r.writer_op, "munmap");
			r.writer_rate = rates[k];
			r.cpus = 1;
			EMIT();
			row(&r, c, "mixed", "ipis_per_op", "1", c == 1 ? 1 : 0);
			strcpy(r.writer_op, "munmap");
			r.writer_rate = rates[k];
			r.cpus = 1;
			EMIT();
		}
		row(&r, c, "mixed", "writer_op_ns", "ns", 7000);
		strcpy(r.writer_op, "dontneed");
		r.writer_rate = 1000;
		r.cpus = 1;
		EMIT();
		row(&r, c, "mixed", "backlog_peak_tables", "tables", 3 * c);
		strcpy(r.writer_op, "munmap");
		r.writer_rate = 1000;
		r.cpus = 1;
		EMIT();
		for (int64_t t = 0; t <= 100; t += 10) {
			row(&r, c, "mixed", "backlog_tables", "tables",
			    c == 2 ? (double)(t % 40) : 0);
			strcpy(r.writer_op, "munmap");
			r.writer_rate = 1000;
			r.cpus = 1;
			r.t_ms = t;
			r.n = 1;
			r.min = r.max = r.median;
			EMIT();
		}
		for (int64_t retry = 0; retry <= 1; retry++) {
			row(&r, c, "slowpath", "mmap_lock_write_wait_ns", "ns",
			    retry ? 20000 : 900000);
			r.allow_retry = retry;
			r.cpus = 1;
			EMIT();
		}
		row(&r, c, "process", "peak_rss_kib", "KiB", 81920);
		r.n = 1;
		EMIT();
		n += c ? 0 : synth_fault(fn, arg);
	}
	for (int64_t pages = 1; pages <= 256; pages *= 16) {
		row(&r, -1, "calib", "vmsplice_ns_per_page", "ns", 40);
		r.walk_pages = pages;
		strcpy(r.mapping, "4k");
		EMIT();
	}
	row(&r, -1, "calib", "membarrier_ns", "ns", 3500);
	r.cpus = 1;
	EMIT();
	row(&r, -1, "calib", "futex_shared_ns", "ns", NAN);
	r.n = 0;
	r.min = r.max = NAN;
	snprintf(r.build_options, sizeof(r.build_options), "seccomp");
	EMIT();
#undef EMIT
	return n;
}

struct sink {
	FILE *f;
	size_t i;
};

static void to_file(const struct wl_row *r, void *arg)
{
	struct sink *s = arg;

	emit(s->f, r, s->i++ % 2 == 0); /* provenance on every other row */
}

/* Write dir/results.csv (+ provenance.txt); returns the number of rows. */
static size_t write_results(bool provenance_txt)
{
	char p[128];
	struct sink s = {NULL, 0};
	size_t n;

	path(p, sizeof(p), "results.csv");
	s.f = fopen(p, "w");
	cr_assert_not_null(s.f);
	fprintf(s.f, "%s,%s\n", WL_CSV_COLUMNS, WL_CSV_PROVENANCE_COLUMNS);
	n = synth(to_file, &s);
	cr_assert_eq(fclose(s.f), 0);
	if (provenance_txt) {
		FILE *f;

		path(p, sizeof(p), "provenance.txt");
		f = fopen(p, "w");
		cr_assert_not_null(f);
		fputs("cpu_model=Test CPU @ 2.0GHz\nhost_pus=2\n"
		      "kernel=6.1.0-test\ncompiler=gcc 12.2.0\n"
		      "cflags=-O2 -g -Wall -Wextra -Wshadow -fno-omit-frame-"
		      "pointer -DNDEBUG -march=x86-64-v2 -pipe\n"
		      "liburcu=0.13.2\nhwloc=2.9.0\ngit_rev=abc1234\n"
		      "timestamp=2025-01-01T00:00:00Z\n"
		      "command=walklab compare --out /tmp/x\n"
		      "reps=5\nwarmup_ms=100\nmeasure_ms=500\n",
		      f);
		cr_assert_eq(fclose(f), 0);
	}
	return n;
}

static bool nonempty(const char *name)
{
	char p[160];
	struct stat st;

	path(p, sizeof(p), name);
	return !stat(p, &st) && st.st_size > 0;
}

static bool exists(const char *name)
{
	char p[160];

	path(p, sizeof(p), name);
	return !access(p, F_OK);
}

static bool have(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return !system(cmd);
}

/* Run a JSON check (a jq -e filter) on dir/results.json. */
static void check_json(const char *filter)
{
	char cmd[512], p[128];

	path(p, sizeof(p), "results.json");
	if (have("jq"))
		snprintf(cmd, sizeof(cmd), "jq -e '%s' '%s' >/dev/null", filter,
			 p);
	else if (have("python3"))
		snprintf(cmd, sizeof(cmd),
			 "python3 -m json.tool '%s' >/dev/null", p);
	else
		cr_skip_test("neither jq nor python3 to check JSON");
	cr_assert_eq(system(cmd), 0, "%s fails on %s", filter, p);
}

/*
 * The table's cell k (0: the first figure) on configuration id's line; a
 * name longer than the name column has its figures on the next line.
 */
static void expect_cell(const char *sum, const char *id, int k,
			const char *want)
{
	const char *line = sum, *p;
	char cell[32];
	int n;

	for (;;) {
		cr_assert_not_null(line, "no table line for %s", id);
		if (!strncmp(line, id, strlen(id)) &&
		    (line[strlen(id)] == ' ' || line[strlen(id)] == '\n'))
			break;
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	p = line + strlen(id);
	if (*p == '\n')
		p++;
	for (int i = 0; i <= k; i++) {
		cr_assert_eq(sscanf(p, "%31s%n", cell, &n), 1, "%s: no cell %d",
			     id, k);
		p += n;
	}
	cr_assert_str_eq(cell, want, "%s: cell %d is %s, want %s", id, k, cell,
			 want);
}

/* Read dir/summary.txt into a string, checking width and ASCII. */
static char *read_summary(void)
{
	char p[128], line[1024], *all = calloc(1, 1);
	size_t len = 0;
	int lineno = 0;
	FILE *f;

	path(p, sizeof(p), "summary.txt");
	f = fopen(p, "r");
	cr_assert_not_null(f, "no %s", p);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		lineno++;
		cr_assert(n && line[n - 1] == '\n', "line %d unterminated",
			  lineno);
		cr_assert_leq(n - 1, 80, "summary.txt:%d is %zu columns: %s",
			      lineno, n - 1, line);
		for (size_t i = 0; i < n; i++)
			cr_assert((unsigned char)line[i] < 0x80 &&
					  line[i] != '\t',
				  "summary.txt:%d: not plain ASCII", lineno);
		all = realloc(all, len + n + 1);
		memcpy(all + len, line, n + 1);
		len += n;
	}
	fclose(f);
	return all;
}

static bool gnuplot_found(void)
{
	const char *g = getenv("WALKLAB_GNUPLOT");

	return g && *g ? !access(g, X_OK) : have("gnuplot");
}

/* ------------------------------------------------------------------ */

static void roundtrip_one(const struct wl_row *a, void *arg)
{
	struct wl_row b;
	char *buf;
	size_t len;
	FILE *m = open_memstream(&buf, &len);

	(void)arg;
	wl_row_print_csv(m, a);
	fclose(m);
	cr_assert_eq(wl_row_parse_csv(buf, &b), 0, "cannot parse %s", buf);
	cr_assert_str_eq(a->backend, b.backend);
	cr_assert_str_eq(a->build_options, b.build_options);
	cr_assert_str_eq(a->arch, b.arch);
	cr_assert_str_eq(a->workload, b.workload);
	cr_assert_eq(a->walk_pages, b.walk_pages);
	cr_assert_str_eq(a->mapping, b.mapping);
	cr_assert_str_eq(a->foll, b.foll);
	cr_assert_eq(a->cpus, b.cpus);
	cr_assert_str_eq(a->writer_op, b.writer_op);
	cr_assert_eq(a->writer_rate, b.writer_rate);
	cr_assert_eq(a->allow_retry, b.allow_retry);
	cr_assert_eq(a->t_ms, b.t_ms);
	cr_assert_str_eq(a->metric, b.metric);
	cr_assert_str_eq(a->unit, b.unit);
	cr_assert_eq(a->n, b.n);
#define SAME(x) cr_assert((isnan(a->x) && isnan(b.x)) || a->x == b.x, #x)
	SAME(min);
	SAME(median);
	SAME(max);
	SAME(p99);
#undef SAME
	cr_assert_eq(a->pinned, b.pinned);
	cr_assert_eq(a->oversubscribed, b.oversubscribed);
	/* Trailing provenance columns are ignored by the parser. */
	buf[len - 1] = 0;
	{
		char ext[1024];
		struct wl_row c;

		snprintf(ext, sizeof(ext), "%s%s", buf, PROVENANCE_COLS);
		cr_assert_eq(wl_row_parse_csv(ext, &c), 0);
		cr_assert_str_eq(c.metric, a->metric);
		cr_assert_eq(c.oversubscribed, a->oversubscribed);
	}
	free(buf);
}

Test(report, csv_schema_roundtrips)
{
	cr_assert_gt(synth(roundtrip_one, NULL), 100);
}

Test(report, full_run)
{
	char *sum, name[64];
	size_t n;
	int ret;

	make_dir();
	n = write_results(true);
	ret = wl_report_write(dir);
	if (gnuplot_found())
		cr_assert_eq(ret, 0, "wl_report_write: %#x", ret);
	else
		cr_assert_eq(ret, WL_REPORT_NOGNUPLOT);

	{
		char filter[256];

		snprintf(filter, sizeof(filter),
			 ".rows | length == %zu and (.[0].median | type) == "
			 "\"number\" and .[0].mapping == \"4k\" and "
			 ".[-1].median == null",
			 n);
		check_json(filter);
		check_json(".provenance.git_rev == \"abc1234\" and "
			   ".provenance.reps == \"5\" and "
			   ".rows[0].cpu_model == \"Test CPU @ 2.0GHz\" and "
			   ".rows[0].host_pus == 2");
	}

	sum = read_summary();
	for (size_t c = 0; c < NR_CFGS; c++) {
		char want[32];

		cr_assert_not_null(strstr(sum, cfgs[c].id), "no %s in:\n%s",
				   cfgs[c].id, sum);
		/* ns/walk at 16 pages, then the begin+end pair alone. */
		snprintf(want, sizeof(want), "%.0f", 100 + 50.0 * (double)c);
		expect_cell(sum, cfgs[c].id, 0, want);
		snprintf(want, sizeof(want), "%.2f", 1.25 + (double)c);
		expect_cell(sum, cfgs[c].id, 1,
			    c == NR_CFGS - 1 ? "empty" : want);
	}
	cr_assert_not_null(strstr(sum, "Test CPU"));
	cr_assert_not_null(strstr(sum, "abc1234"));
	cr_assert_not_null(strstr(sum, "Host calibration"));
	cr_assert_not_null(strstr(sum, "vmsplice_ns_per_page"));
	cr_assert_not_null(strstr(sum, "n/a: seccomp"));
	cr_assert_not_null(strstr(sum, "How to read this"));
	cr_assert_null(strstr(sum, "No data for"));
	cr_assert_not_null(strstr(sum, "Fault path: "), "%s", sum);
	cr_assert_not_null(strstr(sum,
				  "\nspf           2     22.0     21.9     "
				  "21.0     25.0     4.00     9.00\n"),
			   "%s", sum);
	cr_assert_not_null(strstr(sum,
				  "\nmmap_lock     4     14.0     13.9     "
				  "13.0        -     4.00     9.00  *\n"),
			   "%s", sum);
	free(sum);

	for (size_t i = 0; i < NR_PLOT_NAMES; i++) {
		snprintf(name, sizeof(name), "plots/%s.gp", plot_names[i]);
		cr_assert(nonempty(name), "no %s", name);
		snprintf(name, sizeof(name), "plots/data/%s.dat",
			 plot_names[i]);
		cr_assert(nonempty(name), "no %s", name);
		if (!gnuplot_found())
			continue;
		snprintf(name, sizeof(name), "plots/%s.png", plot_names[i]);
		cr_assert(nonempty(name), "no %s", name);
		snprintf(name, sizeof(name), "plots/%s.svg", plot_names[i]);
		cr_assert(nonempty(name), "no %s", name);
	}
	remove_dir();
}

/* dir/results.csv, open, holding one read row of none (16p 4k get 1 CPU). */
static FILE *one_row_csv(bool prov)
{
	char p[128];
	struct wl_row r;
	FILE *f;

	path(p, sizeof(p), "results.csv");
	f = fopen(p, "w");
	cr_assert_not_null(f);
	row(&r, 0, "read", "ns_per_walk", "ns", 123);
	r.walk_pages = 16;
	strcpy(r.mapping, "4k");
	strcpy(r.foll, "get");
	r.cpus = 1;
	emit(f, &r, prov);
	return f;
}

/* One backend, one point, no provenance.txt: what there is still draws. */
Test(report, single_point)
{
	char *sum;
	FILE *f;
	int ret;

	make_dir();
	f = one_row_csv(false);
	fclose(f);

	ret = wl_report_write(dir);
	cr_assert_eq(ret, gnuplot_found() ? 0 : WL_REPORT_NOGNUPLOT, "%#x",
		     ret);
	check_json(".rows | length == 1");
	sum = read_summary();
	cr_assert_not_null(strstr(sum, "none"));
	cr_assert_not_null(strstr(sum, "No data for: sync_latency"));
	free(sum);
	if (gnuplot_found()) {
		cr_assert(nonempty("plots/read_vs_cpus.png"));
		cr_assert(nonempty("plots/read_vs_cpus.svg"));
	}
	cr_assert(!exists("plots/backlog.png"));
	cr_assert(!exists("plots/backlog.gp"));
	remove_dir();
}

Test(report, malformed_rows_rejected)
{
	static const char *const bad[] = {
		"garbage",
		"none,,ipi,read,sixteen,4k,get,1,,,,,walks,ns,5,1,2,3,,1,0",
		"none,,ipi,read,16,4k,get,1,,,,,ns_per_walk,ns,5,1,2x,3,,1,0",
		"none,,ipi,read,16,4k,get,1,,,,,ns_per_walk,ns,5,1,2",
		",,ipi,read,16,4k,get,1,,,,,ns_per_walk,ns,5,1,2,3,,1,0",
		"none,,ipi,read,16,4k,get,1,,,,,,ns,5,1,2,3,,1,0",
		"none,,ipi,read,16,4k,get,1,,,,,ns_per_walk,ns,-5,1,2,3,,1,0",
	};
	char longline[5000], *sum;
	struct wl_row r;
	FILE *f;
	int ret;

	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(wl_row_parse_csv(bad[i], &r), -1, "%s", bad[i]);
	cr_assert_eq(wl_row_parse_csv(longline, &r), -1);

	make_dir();
	f = one_row_csv(true);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		fprintf(f, "%s\n", bad[i]);
	fprintf(f, "%s\n", longline);
	fclose(f);

	ret = wl_report_write(dir);
	cr_assert(ret & WL_REPORT_BADROWS, "%#x", ret);
	cr_assert_str_neq(wl_report_strerror(ret), "");
	check_json(".rows | length == 1");
	sum = read_summary();
	free(sum);
	remove_dir();
}

Test(report, no_gnuplot)
{
	char *sum;
	int ret;

	cr_assert_eq(setenv("WALKLAB_GNUPLOT", "/nonexistent/gnuplot", 1), 0);
	make_dir();
	write_results(true);
	ret = wl_report_write(dir);
	cr_assert_eq(ret, WL_REPORT_NOGNUPLOT, "%#x", ret);
	check_json(".rows | length > 0");
	sum = read_summary();
	cr_assert_not_null(strstr(sum, "gnuplot not found"));
	free(sum);
	cr_assert(nonempty("plots/read_vs_cpus.gp"));
	cr_assert(!exists("plots/read_vs_cpus.png"));
	remove_dir();
}

Test(report, plot_command)
{
	char *help[] = {"plot", "--help", NULL};
	char *empty[] = {"plot", dir, NULL};

	cr_assert_eq(wl_report_cmd(2, help), 0);
	make_dir();
	write_results(false);
	cr_assert_eq(wl_report_cmd(2, empty), gnuplot_found() ? 0 : 1);
	remove_dir();
}

/*
 * No provenance.txt: the header's values come from the first row's
 * provenance columns, two to a line ("CPU: model (N PUs)"), each its own.
 */
Test(report, provenance_from_the_csv_columns)
{
	char *sum;

	make_dir();
	write_results(false);
	cr_assert_eq(wl_report_write(dir) & ~WL_REPORT_NOGNUPLOT, 0);
	sum = read_summary();
	cr_assert_not_null(strstr(sum, "Test CPU @ 2.0GHz (2 PUs)"), "%s", sum);
	cr_assert_not_null(strstr(sum, "gcc 12.2.0; -O2 -g"), "%s", sum);
	cr_assert_not_null(strstr(sum, "liburcu 0.13.2, hwloc 2.9.0"), "%s",
			   sum);
	cr_assert_not_null(strstr(sum, "abc1234, 2025-01-01T00:00:00Z"), "%s",
			   sum);
	free(sum);
	remove_dir();
}

/* Usage errors exit 2 with one line (cli.h). */
Test(report, plot_no_dir, .exit_code = 2)
{
	char *none[] = {"plot", NULL};

	wl_report_cmd(1, none);
}

Test(report, plot_missing_dir, .exit_code = 2)
{
	char *missing[] = {"plot", "/nonexistent/walklab-results", NULL};

	wl_report_cmd(2, missing);
}

Test(report, plot_bad_option, .exit_code = 2)
{
	char *badopt[] = {"plot", "--bogus", NULL};

	wl_report_cmd(2, badopt);
}

Test(report, plot_two_dirs, .exit_code = 2)
{
	char *two[] = {"plot", "/tmp", "/tmp", NULL};

	wl_report_cmd(3, two);
}

Test(report, plot_no_csv, .exit_code = 2)
{
	char *nocsv[] = {"plot", "/proc", NULL}; /* a folder, no results.csv */

	wl_report_cmd(2, nocsv);
}

/* A row of backend for the ratio tests; samples (t_ms) if t_ms >= 0. */
static void ratio_input(FILE *f, const char *backend, const char *workload,
			const char *metric, int64_t pages, const char *mapping,
			int64_t cpus, double med)
{
	struct wl_row r;

	wl_row_init(&r, workload, metric, "ns");
	snprintf(r.backend, sizeof(r.backend), "%s", backend);
	snprintf(r.build_options, sizeof(r.build_options), "-");
	snprintf(r.arch, sizeof(r.arch), "%s",
		 strcmp(backend, "host") ? "ipi" : "host");
	r.walk_pages = pages;
	if (mapping) {
		snprintf(r.mapping, sizeof(r.mapping), "%s", mapping);
		snprintf(r.foll, sizeof(r.foll), "get");
	}
	r.cpus = cpus;
	r.n = 3;
	r.min = r.median = r.max = med;
	emit(f, &r, true);
}

/* results.csv -> rows (wl_rows_load) -> wl_report_ratios(). */
static size_t ratios_of(bool sims, struct wl_row out[WL_REPORT_NR_RATIOS])
{
	struct wl_rows rs;
	char p[128];
	size_t n;
	FILE *f;

	make_dir();
	path(p, sizeof(p), "results.csv");
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s,%s\n", WL_CSV_COLUMNS, WL_CSV_PROVENANCE_COLUMNS);
	if (sims) {
		/* 2 CPUs: not the figure; none: only if ipi is missing */
		ratio_input(f, "ipi", "read", "ns_per_page", 512, "4k", 2, 99);
		ratio_input(f, "none", "read", "ns_per_page", 512, "4k", 1, 50);
		ratio_input(f, "ipi", "read", "ns_per_page", 512, "4k", 1, 40);
		ratio_input(f, "ipi", "read", "ns_per_page", 512, "2m", 1, 10);
		ratio_input(f, "rcu-memb", "read", "read_side_pair_ns", -1,
			    NULL, 1, 2);
		ratio_input(f, "rcu-memb", "read", "read_side_vs_reference", -1,
			    NULL, 1, 0.875);
	}
	ratio_input(f, "host", "calib", "gup_fast_page:thp=off", 1, NULL, -1,
		    20);
	ratio_input(f, "host", "calib", "gup_fast_page:thp=on", 1, NULL, -1,
		    0); /* not a divisor */
	ratio_input(f, "host", "calib", "urcu_read_pair:memb", -1, NULL, -1, 4);
	fputs("not,a,row\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(wl_rows_load(&rs, p, NULL), 0);
	cr_expect_eq(rs.bad, 1);
	cr_expect_eq(rs.nr, sims ? 9u : 3u);
	n = wl_report_ratios(&rs, out);
	wl_rows_free(&rs);
	remove_dir();
	return n;
}

Test(report, ratios)
{
	struct wl_row out[WL_REPORT_NR_RATIOS];

	cr_assert_eq(ratios_of(true, out), 4);
	cr_expect_str_eq(out[0].metric, "ratio:sim/kernel_gup_4k");
	cr_expect_str_eq(out[0].backend, "ipi");
	cr_expect_str_eq(out[0].workload, "calib");
	cr_expect_str_eq(out[0].arch, "host");
	cr_expect_str_eq(out[0].unit, "x");
	cr_expect_str_eq(out[0].build_options, "-");
	cr_expect_eq(out[0].n, 1);
	cr_expect_float_eq(out[0].median, 2.0, 1e-12);
	/* the host figure is 0: unavailable, with its reason */
	cr_expect_str_eq(out[1].metric, "ratio:sim/kernel_gup_thp");
	cr_expect_eq(out[1].n, 0);
	cr_expect(isnan(out[1].median));
	cr_expect(!strncmp(out[1].build_options, "unavailable", 11), "%s",
		  out[1].build_options);
	cr_expect_str_eq(out[2].metric, "ratio:rcu_read/urcu_pair");
	cr_expect_str_eq(out[2].backend, "rcu-memb");
	cr_expect_float_eq(out[2].median, 0.5, 1e-12);
	cr_expect_str_eq(out[3].metric, "ratio:rcu_read/urcu_paired");
	cr_expect_float_eq(out[3].median, 0.875, 1e-12);

	/* No simulation and no rcu-memb measured: no ratio at all. */
	cr_expect_eq(ratios_of(false, out), 0);
}
