// SPDX-License-Identifier: MIT
/*
 * compare.c - `walklab compare`, the main job: every built backend
 * configuration through the default matrix (bench/measure/workload.c), one
 * after the other so that no two measure at once, the fault paths once
 * (measure_fault()), then the host calibration, the ratios of simulation
 * over host, and the report.
 *
 * The results folder is written under a temporary name and renamed into
 * place only when complete, so a failed or interrupted run leaves no
 * half-written folder.  Every option is validated before anything is
 * written.
 */
#include "arch.h"
#include "cli.h"
#include "frontend.h"
#include "report.h"
#include "results.h"
#include "subprocess.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "gitrev.h" /* generated at build time: WALKLAB_GIT_REV */
#ifndef WALKLAB_C_FLAGS
#define WALKLAB_C_FLAGS "unknown"
#endif
#ifndef WALKLAB_URCU_VERSION
#define WALKLAB_URCU_VERSION "unknown"
#endif
#ifndef WALKLAB_HWLOC_VERSION
#define WALKLAB_HWLOC_VERSION "unknown"
#endif

#define MAX_IDS 64

static const char usage[] =
	"usage: walklab compare [options]\n"
	"  --out DIR        results folder (default results/<timestamp>); "
	"must not exist\n"
	"  --arch A         %s (default %s)\n"
	"  --backends LIST  comma-separated ids (default: every built one)\n"
	"  --quick          a smaller matrix (tests)\n"
	"  --seed N         random seed passed to every run\n"
	"Writes summary.txt, results.csv, results.json, provenance.txt and "
	"plots/.\n";

struct provenance {
	char cpu_model[128];
	long host_pus;
	char kernel[160];
	char compiler[64];
	char timestamp[32];
};

/* One run of compare: its options, then what it found and made. */
struct compare {
	int argc;
	char **argv;
	const char *ids[MAX_IDS];
	int nr;
	enum wl_arch arch;
	bool quick;
	uint64_t seed;
	char out[PATH_MAX], tmp[PATH_MAX + 16];
	char blist[512];
	struct provenance pv;
	char prov_cols[1024]; /* the provenance columns of every row */
	bool tty;	      /* progress on a terminal */
};

static void cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, size, "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			c += 2;
			c[strcspn(c, "\n")] = 0;
			for (char *q = c; *q; q++)
				if (*q == ',')
					*q = ' ';
			snprintf(buf, size, "%s", c);
			break;
		}
	}
	if (f)
		fclose(f);
}

static void get_provenance(struct provenance *p)
{
	struct utsname u;
	time_t t = time(NULL);

	cpu_model(p->cpu_model, sizeof(p->cpu_model));
	p->host_pus = sysconf(_SC_NPROCESSORS_ONLN);
	if (!uname(&u))
		snprintf(p->kernel, sizeof(p->kernel), "%s %s", u.sysname,
			 u.release);
#ifdef __clang__
	snprintf(p->compiler, sizeof(p->compiler), "clang %s",
		 __clang_version__);
#else
	snprintf(p->compiler, sizeof(p->compiler), "gcc %s", __VERSION__);
#endif
	strftime(p->timestamp, sizeof(p->timestamp), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime(&t));
}

static void rm_rf(const char *dir)
{
	char *argv[] = {"rm", "-rf", "--", (char *)dir, NULL};

	wl_spawn_wait(argv, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The options; returns false after --help. */
static bool parse_args(struct compare *c)
{
	static const struct option longopts[] = {
		{"out", required_argument, NULL, 'o'},
		{"arch", required_argument, NULL, 'a'},
		{"backends", required_argument, NULL, 'b'},
		{"quick", no_argument, NULL, 'q'},
		{"seed", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = wl_getopt(c->argc, c->argv, "h", longopts, "compare")) !=
	       -1) {
		switch (opt) {
		case 'o':
			if (!*optarg || strlen(optarg) >= sizeof(c->out))
				wl_usage_error("--out: bad folder name");
			snprintf(c->out, sizeof(c->out), "%s", optarg);
			break;
		case 'a':
			c->arch = (enum wl_arch)wl_parse_choice(
				"--arch", optarg, wl_arch_names());
			break;
		case 'b':
			if (strlen(optarg) >= sizeof(c->blist))
				wl_usage_error("--backends: list too long");
			snprintf(c->blist, sizeof(c->blist), "%s", optarg);
			break;
		case 'q':
			c->quick = true;
			break;
		case 's':
			c->seed = wl_parse_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case 'h':
			printf(usage, wl_arch_choices(),
			       wl_arch_name(WL_ARCH_IPI));
			return false;
		}
	}
	return true;
}

/* --backends (each checked), or every built one. */
static void pick_backends(struct compare *c)
{
	if (c->blist[0]) {
		char *save, *tok;

		for (tok = strtok_r(c->blist, ",", &save);
		     tok && c->nr < MAX_IDS; tok = strtok_r(NULL, ",", &save)) {
			wl_fe_backend_path(tok); /* exits 2 if unknown */
			c->ids[c->nr++] = tok;
		}
	} else {
		for (int i = 0; i < wl_fe_nr_backends() && c->nr < MAX_IDS; i++)
			c->ids[c->nr++] = wl_fe_backend_id(i);
	}
	if (!c->nr)
		wl_usage_error("no backend built; build with cmake first");
}

/* --out, or results/<timestamp>, which must not exist; then c->tmp. */
static int make_tmp(struct compare *c)
{
	char raw[PATH_MAX + 32];

	if (!c->out[0]) {
		char ts[32];
		time_t t = time(NULL);

		strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", localtime(&t));
		mkdir("results", 0755);
		snprintf(c->out, sizeof(c->out), "results/%s", ts);
	}
	if (!access(c->out, F_OK))
		wl_usage_error("--out: '%s' exists; give a new folder", c->out);
	snprintf(c->tmp, sizeof(c->tmp), "%s.tmp%d", c->out, (int)getpid());
	if (mkdir(c->tmp, 0755)) {
		fprintf(stderr, "walklab: cannot create %s: %s\n", c->tmp,
			strerror(errno));
		return -1;
	}
	snprintf(raw, sizeof(raw), "%s/raw", c->tmp);
	mkdir(raw, 0755);
	return 0;
}

/* provenance.txt first: every parameter of the run. */
static int write_provenance(const struct compare *c)
{
	char path[PATH_MAX + 32];
	const struct provenance *pv = &c->pv;
	FILE *pf;

	snprintf(path, sizeof(path), "%s/provenance.txt", c->tmp);
	pf = fopen(path, "w");
	if (!pf)
		return -1;
	fprintf(pf,
		"cpu_model=%s\nhost_pus=%ld\nkernel=%s\ncompiler=%s\n"
		"cflags=%s\nliburcu=%s\nhwloc=%s\ngit_rev=%s\n"
		"timestamp=%s\narch=%s\nquick=%d\nseed=%llu\nbackends=",
		pv->cpu_model, pv->host_pus, pv->kernel, pv->compiler,
		WALKLAB_C_FLAGS, WALKLAB_URCU_VERSION, WALKLAB_HWLOC_VERSION,
		WALKLAB_GIT_REV, pv->timestamp, wl_arch_name(c->arch), c->quick,
		(unsigned long long)c->seed);
	for (int i = 0; i < c->nr; i++)
		fprintf(pf, "%s%s", i ? "," : "", c->ids[i]);
	fprintf(pf, "\ncommand=walklab");
	for (int i = 0; i < c->argc; i++)
		fprintf(pf, " %s", c->argv[i]);
	fprintf(pf, "\n");
	fclose(pf);
	return 0;
}

/* A character of a provenance value as a CSV column may hold it. */
static char csv_char(char ch)
{
	if (ch == ',')
		return ';';
	return ch == '"' || ch == '\n' ? ' ' : ch;
}

/*
 * The provenance columns every row of results.csv ends with.  A comma in
 * a value (CFLAGS such as -fsanitize=address,undefined) would shift every
 * later column: it becomes ';', as in the row's own columns.
 */
static void prov_columns(struct compare *c)
{
	const struct provenance *pv = &c->pv;
	char pus[24];
	const char *v[] = {pv->cpu_model,
			   pus,
			   pv->kernel,
			   pv->compiler,
			   WALKLAB_C_FLAGS,
			   WALKLAB_URCU_VERSION,
			   WALKLAB_HWLOC_VERSION,
			   WALKLAB_GIT_REV,
			   pv->timestamp};
	size_t n = 0, nr = sizeof(v) / sizeof(v[0]);

	snprintf(pus, sizeof(pus), "%ld", pv->host_pus);
	for (size_t i = 0; i < nr; i++) {
		for (const char *q = v[i]; *q && n + 2 < sizeof(c->prov_cols);
		     q++)
			c->prov_cols[n++] = csv_char(*q);
		if (i + 1 < nr)
			c->prov_cols[n++] = ',';
	}
	c->prov_cols[n] = 0;
}

/* Append raw rows to results.csv with the provenance columns. */
static int append_rows(FILE *csv, const char *raw, const char *prov_cols)
{
	FILE *f = fopen(raw, "r");
	char line[1024];
	int rows = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct wl_row r;

		if (wl_row_parse_csv(line, &r)) {
			fprintf(stderr, "walklab: malformed row in %s: %s", raw,
				line);
			fclose(f);
			return -1;
		}
		line[strcspn(line, "\n")] = 0;
		fprintf(csv, "%s,%s\n", line, prov_cols);
		rows++;
	}
	fclose(f);
	return rows;
}

/* One row, with the provenance columns. */
static void append_row(FILE *csv, const struct wl_row *r, const char *prov)
{
	char line[1024];
	FILE *m = fmemopen(line, sizeof(line), "w");

	if (!m)
		return;
	wl_row_print_csv(m, r);
	fclose(m);
	line[strcspn(line, "\n")] = 0;
	fprintf(csv, "%s,%s\n", line, prov);
}

#define LOG_TAIL 20

/* The last LOG_TAIL lines of a failed run's log, on stderr. */
static void show_log(const char *log)
{
	char *ring[LOG_TAIL] = {NULL}, *line = NULL;
	size_t cap = 0, n = 0;
	FILE *f = fopen(log, "r");

	if (!f)
		return;
	while (getline(&line, &cap, f) >= 0) {
		free(ring[n % LOG_TAIL]);
		ring[n++ % LOG_TAIL] = strdup(line);
	}
	fclose(f);
	free(line);
	for (size_t i = n > LOG_TAIL ? n - LOG_TAIL : 0; i < n; i++)
		if (ring[i % LOG_TAIL])
			fputs(ring[i % LOG_TAIL], stderr);
	for (size_t i = 0; i < LOG_TAIL; i++)
		free(ring[i]);
}

/*
 * walklab-<id> measure into raw/<id>[-W].csv, appended to results.csv:
 * its default workloads, or the workloads W.
 */
static int measure_one(const struct compare *c, FILE *csv, int i, const char *w)
{
	char raw[PATH_MAX + 64], err[PATH_MAX + 64], seed_s[24];
	char exe[PATH_MAX];
	int ret;

	snprintf(exe, sizeof(exe), "%s", wl_fe_backend_path(c->ids[i]));
	snprintf(raw, sizeof(raw), "%s/raw/%s%s%s.csv", c->tmp, c->ids[i],
		 w ? "-" : "", w ? w : "");
	snprintf(err, sizeof(err), "%s/raw/%s%s%s.log", c->tmp, c->ids[i],
		 w ? "-" : "", w ? w : "");
	snprintf(seed_s, sizeof(seed_s), "%llu", (unsigned long long)c->seed);
	/*
	 * collapse-range: counts per collapse are exact, so a few PMDs per
	 * CPU tell all a range would.  With w, only that workload.
	 */
	char *args[16] = {
		exe,	  "measure", "--arch",	(char *)wl_arch_name(c->arch),
		"--seed", seed_s,    "--range", c->quick ? "4M" : "16M"};
	int n = 8;

	if (c->quick)
		args[n++] = "--quick";
	if (w) {
		args[n++] = "--workloads";
		args[n++] = (char *)w;
	}
	args[n] = NULL;
	const struct wl_spawn_io io = {.out = raw, .err = err};

	ret = wl_spawn_wait(args, &io);
	if (ret) {
		fprintf(stderr,
			"\nwalklab: %s measure failed (status %d); "
			"see its log below\n",
			c->ids[i], ret);
		show_log(err);
		return -1;
	}
	return append_rows(csv, raw, c->prov_cols) < 0 ? -1 : 0;
}

/*
 * The fault workload (measure_fault.c), once: its fault paths depend on
 * the backend only through SPF's section, so it runs on today's
 * configuration, else ipi, else the first.  About 10 s (quick: 1).
 */
static int measure_fault(const struct compare *c, FILE *csv)
{
	static const char *const pref[] = {"lockless_walk_helpers-today",
					   "ipi"};
	int k = 0;

	for (int p = (int)WL_ARRAY_SIZE(pref) - 1; p >= 0; p--)
		for (int i = 0; i < c->nr; i++)
			if (!strcmp(c->ids[i], pref[p]))
				k = i;
	if (c->tty)
		fprintf(stderr, "fault paths on %s\n", c->ids[k]);
	return measure_one(c, csv, k, "fault");
}

/* Every backend configuration, one after the other. */
static int measure_all(const struct compare *c, FILE *csv)
{
	fprintf(stderr,
		"walklab compare: %d backend configuration(s), arch "
		"%s%s\n",
		c->nr, wl_arch_name(c->arch), c->quick ? ", quick" : "");
	for (int i = 0; i < c->nr; i++) {
		double t0 = now_s();

		if (c->tty)
			fprintf(stderr, "\r[%2d/%d] %-32s", i + 1, c->nr,
				c->ids[i]);
		if (measure_one(c, csv, i, NULL))
			return -1;
		if (!c->tty)
			continue;
		fprintf(stderr, "\r[%2d/%d] %-32s %5.1f s", i + 1, c->nr,
			c->ids[i], now_s() - t0);
	}
	if (c->tty)
		fprintf(stderr, "\n");
	return measure_fault(c, csv);
}

/* The sync strategies against simulated CPUs (compare_scale.c). */
static int scale_sweep(const struct compare *c, FILE *csv)
{
	char seed_s[24];
	const struct wl_compare_scale s = {
		.tmp = c->tmp,
		.arch = wl_arch_name(c->arch),
		.seed = seed_s,
		.prov = c->prov_cols,
		.ids = c->ids,
		.nr = c->nr,
		.quick = c->quick,
		.tty = c->tty,
		.append = append_rows,
	};

	snprintf(seed_s, sizeof(seed_s), "%llu", (unsigned long long)c->seed);
	return wl_compare_scale(&s, csv);
}

/* The host itself, beside the simulation: walklab_calibrate, if built. */
static void calibrate_host(const struct compare *c, FILE *csv)
{
	char calib[PATH_MAX + 32], raw[PATH_MAX + 64], err[PATH_MAX + 64];

	snprintf(calib, sizeof(calib), "%s/walklab_calibrate", wl_exe_dir());
	snprintf(raw, sizeof(raw), "%s/raw/host.csv", c->tmp);
	snprintf(err, sizeof(err), "%s/raw/host.log", c->tmp);
	if (access(calib, X_OK))
		return;
	char *args[] = {calib, "--quick", "--rows", raw, NULL};
	const struct wl_spawn_io io = {.out = "/dev/null", .err = err};

	if (c->tty)
		fprintf(stderr, "[calib] host calibration ...");
	if (wl_spawn_wait(args, &io) || append_rows(csv, raw, c->prov_cols) < 0)
		fprintf(stderr,
			"walklab: host calibration failed; "
			"see %s\n",
			err);
	if (c->tty)
		fprintf(stderr, "\n");
}

/* The ratios of simulation over host, appended to results.csv. */
static void append_ratios(const char *csv_path, const char *prov)
{
	struct wl_rows rs;
	struct wl_row ratio[WL_REPORT_NR_RATIOS];
	size_t n;
	FILE *f;

	if (wl_rows_load(&rs, csv_path, NULL))
		return;
	n = wl_report_ratios(&rs, ratio);
	wl_rows_free(&rs);
	f = fopen(csv_path, "a");
	if (!f)
		return;
	for (size_t i = 0; i < n; i++)
		append_row(f, &ratio[i], prov);
	fclose(f);
}

/* results.csv: the header, every backend, the host, the ratios. */
static int write_results(const struct compare *c)
{
	char path[PATH_MAX + 32];
	FILE *csv;

	snprintf(path, sizeof(path), "%s/results.csv", c->tmp);
	csv = fopen(path, "w");
	if (!csv)
		return -1;
	fprintf(csv, "%s,%s\n", WL_CSV_COLUMNS, WL_CSV_PROVENANCE_COLUMNS);
	if (measure_all(c, csv) || scale_sweep(c, csv)) {
		fclose(csv);
		return -1;
	}
	calibrate_host(c, csv);
	if (fclose(csv))
		return -1;
	append_ratios(path, c->prov_cols);
	return 0;
}

/* Print summary.txt and where the results are. */
static void show_summary(const char *out)
{
	char path[PATH_MAX + 32], line[256];
	FILE *sf;

	snprintf(path, sizeof(path), "%s/summary.txt", out);
	sf = fopen(path, "r");
	while (sf && fgets(line, sizeof(line), sf))
		fputs(line, stdout);
	if (sf)
		fclose(sf);
	printf("\nwalklab: results in %s/ (summary.txt, results.csv, "
	       "results.json, plots/)\n",
	       out);
}

int wl_cmd_compare(int argc, char **argv)
{
	struct compare c = {.argc = argc, .argv = argv, .seed = 1};
	double t_start;
	int rep;

	if (!parse_args(&c))
		return 0;
	pick_backends(&c);
	get_provenance(&c.pv);
	if (make_tmp(&c))
		return 1;
	if (write_provenance(&c))
		goto fail;
	prov_columns(&c);
	c.tty = isatty(STDERR_FILENO) && !getenv("CI");
	t_start = now_s();
	if (write_results(&c))
		goto fail;
	rep = wl_report_write(c.tmp);
	if (rename(c.tmp, c.out)) {
		fprintf(stderr, "walklab: cannot rename %s to %s: %s\n", c.tmp,
			c.out, strerror(errno));
		goto fail;
	}
	fprintf(stderr, "walklab compare: %.1f s\n", now_s() - t_start);
	show_summary(c.out);
	return rep ? 1 : 0;
fail:
	rm_rf(c.tmp);
	fprintf(stderr, "walklab compare: failed; nothing written\n");
	return 1;
}
