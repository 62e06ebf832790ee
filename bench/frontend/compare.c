// SPDX-License-Identifier: MIT
/*
 * compare.c - `walklab compare`, the main job: every built backend
 * configuration through the default matrix (bench/measure/workload.c), one after
 * the other so that no two measure at once, then the report.
 *
 * The results folder is written under a temporary name and renamed into
 * place only when complete, so a failed or interrupted run leaves no
 * half-written folder.  Every option is validated before anything is
 * written.
 */
#include "cli.h"
#include "frontend.h"
#include "report.h"
#include "results.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
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

static const char usage[] =
	"usage: walklab compare [options]\n"
	"  --out DIR        results folder (default results/<timestamp>); "
	"must not exist\n"
	"  --arch A         ipi|broadcast|paravirt (default ipi)\n"
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

static void get_provenance(struct provenance *p)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	struct utsname u;
	time_t t = time(NULL);

	snprintf(p->cpu_model, sizeof(p->cpu_model), "unknown");
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && c) {
			c += 2;
			c[strcspn(c, "\n")] = 0;
			for (char *q = c; *q; q++)
				if (*q == ',')
					*q = ' ';
			snprintf(p->cpu_model, sizeof(p->cpu_model), "%s", c);
			break;
		}
	}
	if (f)
		fclose(f);
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

/* Run argv with stdout to out_path and stderr to err_path. */
static int run_to(char *const argv[], const char *out_path,
		  const char *err_path)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (!pid) {
		if (!freopen(out_path, "w", stdout) ||
		    !freopen(err_path, "w", stderr))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static void rm_rf(const char *dir)
{
	pid_t pid = fork();

	if (!pid) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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

/* The median of the first row matching, or NAN. */
static double find(const struct wl_row *rows, int n, const char *backend,
		   const char *workload, const char *metric, int64_t pages,
		   const char *mapping)
{
	for (int i = 0; i < n; i++) {
		const struct wl_row *r = &rows[i];

		if ((!backend || !strcmp(r->backend, backend)) &&
		    !strcmp(r->workload, workload) &&
		    !strcmp(r->metric, metric) &&
		    (pages < 0 || r->walk_pages == pages) &&
		    (!mapping || !strcmp(r->mapping, mapping)) &&
		    (r->cpus <= 1) && (!r->foll[0] || !strcmp(r->foll, "get")))
			return r->n ? r->median : NAN;
	}
	return NAN;
}

static void ratio_row(FILE *csv, const char *prov, const char *sim_backend,
		      const char *metric, double sim, double host)
{
	struct wl_row r;

	wl_row_init(&r, "calib", metric, "x");
	snprintf(r.backend, sizeof(r.backend), "%s", sim_backend);
	snprintf(r.build_options, sizeof(r.build_options), "-");
	snprintf(r.arch, sizeof(r.arch), "host");
	if (isnan(sim) || isnan(host) || host <= 0) {
		snprintf(r.build_options, sizeof(r.build_options),
			 "unavailable: a figure is missing");
		r.min = r.median = r.max = NAN;
	} else {
		r.n = 1;
		r.min = r.median = r.max = sim / host;
	}
	char line[1024];
	FILE *m = fmemopen(line, sizeof(line), "w");

	if (!m)
		return;
	wl_row_print_csv(m, &r);
	fclose(m);
	line[strcspn(line, "\n")] = 0;
	fprintf(csv, "%s,%s\n", line, prov);
}

/*
 * The ratios of issue 6, side by side from one run: the simulated walk
 * per page over the host kernel's GUP-fast per page (4 KiB and THP), and
 * the rcu backend's read side over liburcu's own read-lock pair.  The
 * emulated IPI over membarrier is measured as a ratio by the calibration
 * itself (both in one process, same target thread).
 */
static void derive_ratios(const char *csv_path, const char *prov)
{
	static const char *const sims[] = {"lockless_walk_helpers-today", "ipi",
					   "none"};
	FILE *f = fopen(csv_path, "r");
	struct wl_row *rows = NULL;
	int n = 0, cap = 0;
	char line[1024];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (n == cap) {
			struct wl_row *nr = realloc(
				rows, (size_t)(cap = cap ? 2 * cap : 256) *
					      sizeof(*rows));
			if (!nr)
				break;
			rows = nr;
		}
		if (!wl_row_parse_csv(line, &rows[n]))
			n++;
	}
	fclose(f);
	f = fopen(csv_path, "a");
	if (!f || !rows) {
		if (f)
			fclose(f);
		free(rows);
		return;
	}
	const char *sim = NULL;

	for (unsigned int i = 0; i < sizeof(sims) / sizeof(sims[0]); i++)
		if (!isnan(find(rows, n, sims[i], "read", "ns_per_page", 512,
				"4k"))) {
			sim = sims[i];
			break;
		}
	if (sim) {
		ratio_row(f, prov, sim, "ratio:sim/kernel_gup_4k",
			  find(rows, n, sim, "read", "ns_per_page", 512, "4k"),
			  find(rows, n, "host", "calib",
			       "gup_fast_page:thp=off", -1, NULL));
		ratio_row(f, prov, sim, "ratio:sim/kernel_gup_thp",
			  find(rows, n, sim, "read", "ns_per_page", 512, "2m"),
			  find(rows, n, "host", "calib", "gup_fast_page:thp=on",
			       -1, NULL));
	}
	/* The backend's begin+end pair alone, against liburcu's own pair. */
	double rcu = find(rows, n, "rcu-memb", "read", "read_side_pair_ns", -1,
			  NULL);

	if (!isnan(rcu))
		ratio_row(f, prov, "rcu-memb", "ratio:rcu_read/urcu_pair", rcu,
			  find(rows, n, "host", "calib", "urcu_read_pair:memb",
			       -1, NULL));
	/*
	 * The same, timed in one process and loop, repetitions alternating
	 * (bench/measure/workload.c): the median of the per-repetition ratios.
	 */
	double same = find(rows, n, "rcu-memb", "read",
			   "read_side_vs_reference", -1, NULL);

	if (!isnan(same))
		ratio_row(f, prov, "rcu-memb", "ratio:rcu_read/urcu_paired",
			  same, 1.0);
	fclose(f);
	free(rows);
}

int wl_cmd_compare(int argc, char **argv)
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
	static const char *const archs[] = {"ipi", "broadcast", "paravirt",
					    NULL};
	const char *ids[64];
	int nr = 0, arch = 0, opt;
	bool quick = false;
	uint64_t seed = 1;
	char out[PATH_MAX] = "", tmp[PATH_MAX + 16], path[2 * PATH_MAX + 64];
	char blist[512] = "";
	struct provenance pv;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (!*optarg || strlen(optarg) >= sizeof(out))
				wl_usage_error("--out: bad folder name");
			snprintf(out, sizeof(out), "%s", optarg);
			break;
		case 'a':
			arch = wl_parse_choice("--arch", optarg, archs);
			break;
		case 'b':
			if (strlen(optarg) >= sizeof(blist))
				wl_usage_error("--backends: list too long");
			snprintf(blist, sizeof(blist), "%s", optarg);
			break;
		case 'q':
			quick = true;
			break;
		case 's':
			seed = wl_parse_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			wl_usage_error("option %s needs a value (see --help)",
				       argv[optind - 1]);
		default:
			wl_usage_error("unknown option '%s'; valid: --out "
				       "--arch --backends --quick --seed "
				       "--help",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		wl_usage_error("unexpected argument '%s' (see --help)",
			       argv[optind]);
	if (blist[0]) {
		char *save, *tok;

		for (tok = strtok_r(blist, ",", &save); tok && nr < 64;
		     tok = strtok_r(NULL, ",", &save)) {
			wl_fe_backend_path(tok); /* exits 2 if unknown */
			ids[nr++] = tok;
		}
	} else {
		for (int i = 0; i < wl_fe_nr_backends() && nr < 64; i++)
			ids[nr++] = wl_fe_backend_id(i);
	}
	if (!nr)
		wl_usage_error("no backend built; build with cmake first");

	get_provenance(&pv);
	if (!out[0]) {
		char ts[32];
		time_t t = time(NULL);

		strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", localtime(&t));
		mkdir("results", 0755);
		snprintf(out, sizeof(out), "results/%s", ts);
	}
	if (!access(out, F_OK))
		wl_usage_error("--out: '%s' exists; give a new folder", out);
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", out, (int)getpid());
	if (mkdir(tmp, 0755)) {
		fprintf(stderr, "walklab: cannot create %s: %s\n", tmp,
			strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/raw", tmp);
	mkdir(path, 0755);

	/* Provenance first: every parameter of the run. */
	snprintf(path, sizeof(path), "%s/provenance.txt", tmp);
	FILE *pf = fopen(path, "w");

	if (!pf)
		goto fail;
	fprintf(pf,
		"cpu_model=%s\nhost_pus=%ld\nkernel=%s\ncompiler=%s\n"
		"cflags=%s\nliburcu=%s\nhwloc=%s\ngit_rev=%s\n"
		"timestamp=%s\narch=%s\nquick=%d\nseed=%llu\nbackends=",
		pv.cpu_model, pv.host_pus, pv.kernel, pv.compiler,
		WALKLAB_C_FLAGS, WALKLAB_URCU_VERSION, WALKLAB_HWLOC_VERSION,
		WALKLAB_GIT_REV, pv.timestamp, archs[arch], quick,
		(unsigned long long)seed);
	for (int i = 0; i < nr; i++)
		fprintf(pf, "%s%s", i ? "," : "", ids[i]);
	fprintf(pf, "\ncommand=walklab");
	for (int i = 0; i < argc; i++)
		fprintf(pf, " %s", argv[i]);
	fprintf(pf, "\n");
	fclose(pf);

	char prov_cols[1024];

	snprintf(prov_cols, sizeof(prov_cols), "%s,%ld,%s,%s,%s,%s,%s,%s,%s",
		 pv.cpu_model, pv.host_pus, pv.kernel, pv.compiler,
		 WALKLAB_C_FLAGS, WALKLAB_URCU_VERSION, WALKLAB_HWLOC_VERSION,
		 WALKLAB_GIT_REV, pv.timestamp);
	for (char *q = prov_cols; *q; q++)
		if (*q == '"' || *q == '\n')
			*q = ' ';

	snprintf(path, sizeof(path), "%s/results.csv", tmp);
	FILE *csv = fopen(path, "w");

	if (!csv)
		goto fail;
	fprintf(csv, "%s,%s\n", WL_CSV_COLUMNS, WL_CSV_PROVENANCE_COLUMNS);

	bool tty = isatty(STDERR_FILENO) && !getenv("CI");
	double t_start = now_s();

	fprintf(stderr,
		"walklab compare: %d backend configuration(s), arch "
		"%s%s\n",
		nr, archs[arch], quick ? ", quick" : "");
	for (int i = 0; i < nr; i++) {
		char raw[PATH_MAX + 64], err[PATH_MAX + 64], seed_s[24];
		char exe[PATH_MAX];
		double t0 = now_s();
		int ret;

		snprintf(exe, sizeof(exe), "%s", wl_fe_backend_path(ids[i]));
		snprintf(raw, sizeof(raw), "%s/raw/%s.csv", tmp, ids[i]);
		snprintf(err, sizeof(err), "%s/raw/%s.log", tmp, ids[i]);
		snprintf(seed_s, sizeof(seed_s), "%llu",
			 (unsigned long long)seed);
		char *args[] = {exe,
				"measure",
				"--arch",
				(char *)archs[arch],
				"--seed",
				seed_s,
				quick ? "--quick" : NULL,
				NULL};

		if (tty)
			fprintf(stderr, "\r[%2d/%d] %-32s", i + 1, nr, ids[i]);
		ret = run_to(args, raw, err);
		if (ret) {
			fprintf(stderr,
				"\nwalklab: %s measure failed (status %d); "
				"see its log below\n",
				ids[i], ret);
			snprintf(path, sizeof(path), "tail -n 20 '%s' >&2",
				 err);
			if (system(path) < 0)
				perror("walklab: tail");
			fclose(csv);
			goto fail;
		}
		if (append_rows(csv, raw, prov_cols) < 0) {
			fclose(csv);
			goto fail;
		}
		if (!tty)
			continue;
		fprintf(stderr, "\r[%2d/%d] %-32s %5.1f s", i + 1, nr, ids[i],
			now_s() - t0);
	}
	if (tty)
		fprintf(stderr, "\n");

	/* The host itself, beside the simulation (issue 6). */
	char calib[PATH_MAX + 32], raw[PATH_MAX + 64], err[PATH_MAX + 64];

	snprintf(calib, sizeof(calib), "%s/walklab_calibrate", wl_exe_dir());
	snprintf(raw, sizeof(raw), "%s/raw/host.csv", tmp);
	snprintf(err, sizeof(err), "%s/raw/host.log", tmp);
	if (!access(calib, X_OK)) {
		char *args[] = {calib, "--quick", "--rows", raw, NULL};

		if (tty)
			fprintf(stderr, "[calib] host calibration ...");
		if (run_to(args, "/dev/null", err) ||
		    append_rows(csv, raw, prov_cols) < 0)
			fprintf(stderr,
				"walklab: host calibration failed; "
				"see %s\n",
				err);
		if (tty)
			fprintf(stderr, "\n");
	}
	if (fclose(csv))
		goto fail;
	snprintf(path, sizeof(path), "%s/results.csv", tmp);
	derive_ratios(path, prov_cols);

	int rep = wl_report_write(tmp);

	if (rename(tmp, out)) {
		fprintf(stderr, "walklab: cannot rename %s to %s: %s\n", tmp,
			out, strerror(errno));
		goto fail;
	}
	fprintf(stderr, "walklab compare: %.1f s\n", now_s() - t_start);
	snprintf(path, sizeof(path), "%s/summary.txt", out);
	FILE *sf = fopen(path, "r");
	char line[256];

	while (sf && fgets(line, sizeof(line), sf))
		fputs(line, stdout);
	if (sf)
		fclose(sf);
	printf("\nwalklab: results in %s/ (summary.txt, results.csv, "
	       "results.json, plots/)\n",
	       out);
	return rep ? 1 : 0;
fail:
	rm_rf(tmp);
	fprintf(stderr, "walklab compare: failed; nothing written\n");
	return 1;
}
