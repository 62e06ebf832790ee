// SPDX-License-Identifier: MIT
/*
 * test_calib.c - host calibration (bench/calib/) and walklab calibrate.
 *
 * Speed is never asserted: this machine is shared and noisy.  What is
 * checked is the shape of the results: every figure is either ok with
 * finite numbers in order (min <= median <= max, positive where the
 * figure is a time and not a difference of times) or unavailable with a
 * reason; the rows, CSV and JSON hold one results.h row per figure (the
 * CSV with its header); bad options exit 2 with one line on stderr.
 *
 * The IPI figures' validity is checked where it can fail: the judgement
 * on figures of the test's choosing (below WL_CALIB_MIN_IPIS: invalid,
 * and no ratio built on it), and a real run whose membarrier targets
 * sleep (the negative control: no IPI can be delivered, so the figure
 * must come out invalid); summary.txt and compare's ratios then carry
 * the mark and no number built on it.
 */
#include <criterion/criterion.h>

#include "calib.h"
#include "report.h"
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A short run: 3 repetitions of 1 ms; park: the negative control. */
static struct wl_calib_report *short_run(bool park)
{
	struct wl_calib_report *r = malloc(sizeof(*r));
	struct wl_calib_opts o;

	cr_assert(r);
	wl_calib_opts_default(&o, true);
	o.repeats = 3;
	o.rep_ns = 1000000;
	o.park_targets = park;
	wl_calib_run(&o, r);
	return r;
}

static struct wl_calib_report *quick_run(void)
{
	return short_run(false);
}

/* Differences of two timings may come out negative under noise. */
static bool is_difference(int id)
{
	return id == WL_CALIB_GUP_PAGE || id == WL_CALIB_GUP_PAGE_THP ||
	       id == WL_CALIB_FUTEX_GUP;
}

Test(calib, every_entry_ok_or_unavailable_with_reason)
{
	struct wl_calib_report *r = quick_run();

	cr_expect_eq(r->repeats, 3);
	cr_expect(r->machine.kernel[0], "kernel release missing");
	cr_expect(r->machine.cpu_model[0], "cpu model missing");
	for (int i = 0; i < WL_CALIB_NR; i++) {
		const struct wl_calib_entry *e = &r->e[i];

		cr_assert(e->name && e->unit && e->variant[0],
			  "entry %d has no name", i);
		if (e->status == WL_CALIB_INVALID) {
			cr_expect(e->reason[0], "%s %s: invalid, no reason",
				  e->name, e->variant);
			continue;
		}
		if (e->status != WL_CALIB_OK) {
			cr_expect_eq(e->status, WL_CALIB_UNAVAILABLE);
			cr_expect(e->reason[0], "%s %s: unavailable, no reason",
				  e->name, e->variant);
			cr_expect(strcmp(e->reason, "not measured"),
				  "%s %s was never measured", e->name,
				  e->variant);
			continue;
		}
		cr_expect(!e->reason[0], "%s %s: ok with a reason", e->name,
			  e->variant);
		cr_expect(isfinite(e->min) && isfinite(e->median) &&
				  isfinite(e->max),
			  "%s %s: not finite", e->name, e->variant);
		cr_expect(e->min <= e->median && e->median <= e->max,
			  "%s %s: %f %f %f out of order", e->name, e->variant,
			  e->min, e->median, e->max);
		/* times are positive; counts and fractions may be 0 */
		if (!is_difference(i) && !strncmp(e->unit, "ns", 2))
			cr_expect(e->min > 0, "%s %s: min %f not positive",
				  e->name, e->variant, e->min);
		cr_expect_eq(e->repeats, 3, "%s %s: %u repeats", e->name,
			     e->variant, e->repeats);
		/* A ratio of two printed rows times no calls of its own. */
		if (strcmp(e->unit, "x"))
			cr_expect_geq(e->iters, 1, "%s %s: no calls timed",
				      e->name, e->variant);
		else
			cr_expect_eq(e->iters, 0, "%s %s: a ratio with calls",
				     e->name, e->variant);
	}
	/* Always possible here: no system call, no host permission. */
	cr_expect_eq(r->e[WL_CALIB_CLOCK].status, WL_CALIB_OK);
	cr_expect_eq(r->e[WL_CALIB_EIPI_POLL].status, WL_CALIB_OK);
	free(r);
}

/*
 * Count the lines of a file: the first is header (none if NULL), each
 * other one a results.h row of the calibration, ok or unavailable.
 */
static unsigned int row_lines(FILE *f, const char *header)
{
	char line[2048];
	unsigned int n = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		struct wl_row row;

		line[strcspn(line, "\n")] = 0;
		if (!n++ && header) {
			cr_expect_str_eq(line, header);
			continue;
		}
		cr_assert_eq(wl_row_parse_csv(line, &row), 0, "bad row: %s",
			     line);
		cr_expect_str_eq(row.workload, "calib");
		cr_expect_str_eq(row.backend, "host");
		cr_expect(!strncmp(row.build_options, "invalid: ", 9) ||
				  (row.n ? !strcmp(row.build_options, "-")
					 : !strncmp(row.build_options,
						    "unavailable: ", 13)),
			  "row without a status: %s", line);
	}
	return n;
}

Test(calib, rows_csv_and_json_one_row_per_figure)
{
	struct wl_calib_report *r = quick_run();
	FILE *f = tmpfile();
	unsigned int vms = 0;

	cr_assert(f);
	for (int i = 0; i < WL_CALIB_NR; i++)
		vms += !strcmp(r->e[i].name, "vmsplice");
	cr_expect_eq(vms, 6);
	cr_assert_eq(wl_calib_write_rows(f, r), 0);
	cr_expect_eq(row_lines(f, NULL), WL_CALIB_NR);
	fclose(f);

	f = tmpfile();
	cr_assert(f);
	cr_assert_eq(wl_calib_write_csv(f, r), 0);
	cr_expect_eq(row_lines(f, WL_CSV_COLUMNS "," WL_CALIB_CSV_PROVENANCE),
		     1 + WL_CALIB_NR);
	fclose(f);

	f = tmpfile();
	cr_assert(f);
	cr_assert_eq(wl_calib_write_json(f, r), 0);
	rewind(f);
	{
		char buf[256] = "";

		cr_expect(fgets(buf, sizeof(buf), f));
		cr_expect_str_eq(buf, "{\n");
	}
	fclose(f);
	free(r);
}

/*
 * The host forbids a measurement: a seccomp filter makes vmsplice(2) fail
 * with EPERM in this test's process (Criterion runs each test in its own).
 * Every vmsplice line must say so, and the rest must still be measured.
 */
Test(calib, seccomp_denied_vmsplice_is_unavailable_and_run_goes_on)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_vmsplice, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(code) / sizeof(code[0]), code};
	struct wl_calib_report *r;

#if !defined(__x86_64__)
	cr_skip_test("the filter is written for x86_64");
#endif
	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		cr_skip_test("seccomp filters not allowed here: %s",
			     strerror(errno));
	r = quick_run();
	for (int i = 0; i < WL_CALIB_NR; i++) {
		const struct wl_calib_entry *e = &r->e[i];

		if (strcmp(e->name, "vmsplice") &&
		    strcmp(e->name, "gup_fast_page") &&
		    i != WL_CALIB_FLOOR_VMSPLICE)
			continue;
		cr_expect_eq(e->status, WL_CALIB_UNAVAILABLE, "%s %s", e->name,
			     e->variant);
		if (strcmp(e->name, "gup_fast_page"))
			cr_expect(strstr(e->reason, strerror(EPERM)),
				  "%s %s: reason '%s'", e->name, e->variant,
				  e->reason);
	}
	cr_expect_eq(r->e[WL_CALIB_FUTEX_PRIVATE].status, WL_CALIB_OK);
	cr_expect_eq(r->e[WL_CALIB_EIPI_POLL].status, WL_CALIB_OK);
	free(r);
}

/* Run exe with args; returns the exit status, stderr's lines in *lines. */
static int run(const char *exe, const char *const *args, int *lines)
{
	char *argv[16];
	int n = 0, st, fd[2];
	char buf[4096];
	ssize_t got, len = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	argv[n++] = (char *)exe;
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	cr_assert_eq(pipe(fd), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], STDERR_FILENO);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
					 O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&pid, exe, &fa, NULL, argv, environ), 0,
		     "cannot run %s", exe);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	while ((got = read(fd[0], buf + len, sizeof(buf) - 1 - (size_t)len)) >
	       0)
		len += got;
	buf[len] = 0;
	close(fd[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	*lines = 0;
	for (char *p = buf; *p; p++)
		*lines += *p == '\n';
	cr_assert(WIFEXITED(st), "%s died", exe);
	return WEXITSTATUS(st);
}

Test(calib, bad_options_exit_2_with_one_line)
{
	static const char *const bad[][3] = {
		{"--repeats", "0", NULL},
		{"--repeats", "many", NULL},
		{"--repeats=-1", NULL, NULL},
		{"--repeats", NULL, NULL},
		{"--csv", NULL, NULL},
		{"--json=", NULL, NULL},
		{"--csv", "/nonexistent-dir/x.csv", NULL},
		{"--bogus", NULL, NULL},
		{"--rt=1", NULL, NULL},
		{"quick", NULL, NULL},
	};
	static const char *const help[] = {"--help", NULL};
	int lines;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(run(WALKLAB_CALIBRATE_EXE, bad[i], &lines), 2,
			     "walklab_calibrate %s %s", bad[i][0],
			     bad[i][1] ? bad[i][1] : "");
		cr_expect_eq(lines, 1, "%s: %d lines on stderr", bad[i][0],
			     lines);
	}
	cr_expect_eq(run(WALKLAB_CALIBRATE_EXE, help, &lines), 0);
}

Test(calib, front_end_dispatches_calibrate)
{
	static const char *const bad[] = {"calibrate", "--bogus", NULL};
	static const char *const help[] = {"calibrate", "--help", NULL};
	int lines;

	cr_expect_eq(run(WALKLAB_FRONTEND_EXE, bad, &lines), 2);
	cr_expect_eq(lines, 1);
	cr_expect_eq(run(WALKLAB_FRONTEND_EXE, help, &lines), 0);
}

/* ---------------------------------------------------------------------- */
/* The IPI figures' validity                                              */

/* A report of made-up figures: every entry ok, 5 repetitions of med. */
static struct wl_calib_report *made_up(double ipis_min)
{
	struct wl_calib_report *r = calloc(1, sizeof(*r));

	cr_assert(r);
	for (int i = 0; i < WL_CALIB_NR; i++) {
		r->e[i].name = "fig";
		r->e[i].unit = "ns/call";
		snprintf(r->e[i].variant, sizeof(r->e[i].variant), "%d", i);
		r->e[i].min = r->e[i].median = r->e[i].max = 1;
		r->e[i].repeats = 5;
		r->e[i].iters = 1000;
	}
	r->e[WL_CALIB_EIPI_SIGNAL_RATIO].unit = "x";
	r->e[WL_CALIB_EIPI_POLL_RATIO].unit = "x";
	r->e[WL_CALIB_MEMBARRIER_N].min = 8000;
	r->e[WL_CALIB_MEMBARRIER_N].median = 10000;
	r->e[WL_CALIB_MEMBARRIER_N].max = 16000;
	r->e[WL_CALIB_EIPI_SIGNAL].min = 12000;
	r->e[WL_CALIB_EIPI_SIGNAL].median = 13000;
	r->e[WL_CALIB_EIPI_SIGNAL].max = 20000;
	r->e[WL_CALIB_MEMBARRIER_N_IPIS].min = ipis_min;
	wl_calib_judge(r);
	return r;
}

Test(calib, judge_builds_ratios_from_the_printed_rows)
{
	struct wl_calib_report *r = made_up(0.95);
	const struct wl_calib_entry *q = &r->e[WL_CALIB_EIPI_SIGNAL_RATIO];

	cr_assert_eq(r->e[WL_CALIB_MEMBARRIER_N].status, WL_CALIB_OK);
	cr_assert_eq(q->status, WL_CALIB_OK, "%s", q->reason);
	cr_expect_float_eq(q->median, 1.3, 1e-12);
	cr_expect_float_eq(q->min, 12000.0 / 16000, 1e-12);
	cr_expect_float_eq(q->max, 20000.0 / 8000, 1e-12);
	free(r);
}

/*
 * The busy flush model's arithmetic: the expected count is lab x share,
 * the tolerance 3 sd of the mean (binomial and background) plus a stray
 * interrupt per repetition.  The busy host of this 2-vCPU KVM guest at
 * the default priority: flushes IPI'd 0.63 of the time while the
 * spinners ran 0.27 of it: DIFFER; with SCHED_FIFO spinners, 0.94 vs
 * 0.92: MATCH.
 */
Test(calib, pv_model_judges_observed_against_lab_times_share)
{
	const double share[3] = {0.9, 0.92, 0.94}, fifo[3] = {0.92, 0.95, 0.95};
	const double low[3] = {0.27, 0.25, 0.29}, shared[3] = {0.58, 0.7, 0.61};
	struct wl_calib_pv_model m;
	double q = 0.92, sd;

	wl_calib_pv_model(1, share, fifo, 3, 128, 1, 0, &m);
	sd = sqrt(3 * 128 * q * (1 - q)) / (3 * 128);
	cr_assert_float_eq(m.expected, q, 1e-12);
	cr_assert_float_eq(m.observed, (0.92 + 0.95 + 0.95) / 3, 1e-12);
	/* binomial variances sum over repetitions; 1/128 a stray irq */
	cr_assert_float_eq(m.tol, 3 * sd + 1.0 / 128, 1e-3);
	cr_assert(m.match, "0.94 vs 0.92 +- %.3f", m.tol);

	/* the background's noise widens it: sd 0.1 per repetition */
	wl_calib_pv_model(1, share, fifo, 3, 128, 1, 0.1, &m);
	cr_assert_gt(m.tol, 3 * 0.1 / sqrt(3));

	/* The default-priority host: far outside the tolerance. */
	wl_calib_pv_model(1, low, shared, 3, 32, 1, 0.02, &m);
	cr_assert_float_eq(m.expected, 0.27, 1e-12);
	cr_assert(!m.match, "0.63 vs 0.27 +- %.3f must DIFFER", m.tol);

	/* The lab count scales it: broadcast (lab 0) expects 0. */
	wl_calib_pv_model(0, share, fifo, 3, 128, 1, 0, &m);
	cr_assert_float_eq(m.expected, 0, 1e-12);
	cr_assert(!m.match);

	/* No repetition: nothing matches. */
	wl_calib_pv_model(1, share, fifo, 0, 128, 1, 0, &m);
	cr_assert(!m.match);
}

/* The row of metric in f's rows; fails the test if none. */
static struct wl_row find_row(FILE *f, const char *metric)
{
	char line[2048];
	struct wl_row row;

	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (!wl_row_parse_csv(line, &row) &&
		    !strcmp(row.metric, metric))
			return row;
	cr_assert_fail("no row %s", metric);
	return row;
}

Test(calib, judge_marks_too_few_ipis_invalid_and_builds_nothing_on_it)
{
	struct wl_calib_report *r = made_up(0.89);
	const struct wl_calib_entry *m = &r->e[WL_CALIB_MEMBARRIER_N];
	FILE *f = tmpfile();
	struct wl_row row;
	char metric[32];

	cr_assert_eq(m->status, WL_CALIB_INVALID);
	cr_expect(strstr(m->reason, "0.89"), "reason: %s", m->reason);
	cr_expect_float_eq(m->median, 10000, 1e-9, "numbers kept");
	for (int i = WL_CALIB_EIPI_SIGNAL_RATIO; i <= WL_CALIB_EIPI_POLL_RATIO;
	     i++) {
		cr_expect_eq(r->e[i].status, WL_CALIB_INVALID);
		cr_expect_eq(r->e[i].repeats, 0, "a ratio on an invalid row");
	}
	cr_assert(f);
	cr_assert_eq(wl_calib_write_rows(f, r), 0);
	snprintf(metric, sizeof(metric), "fig:%d", WL_CALIB_MEMBARRIER_N);
	row = find_row(f, metric);
	cr_expect(!strncmp(row.build_options, "invalid: ", 9), "%s",
		  row.build_options);
	cr_expect_eq(row.n, 5);
	fclose(f);
	/* the emulated IPI is judged on its acks alike */
	r->e[WL_CALIB_EIPI_POLL_ACKED].min = 0.5;
	wl_calib_judge(r);
	cr_expect_eq(r->e[WL_CALIB_EIPI_POLL].status, WL_CALIB_INVALID);
	free(r);
}

/*
 * The negative control on the real host: membarrier's other threads
 * sleep and the calls are not gated on them, so no call can find one
 * running and no IPI is sent.  Counted, the row must be invalid (and
 * invalid too if the host cannot count), and no ratio built on it.  Not
 * a matter of timing: a sleeping thread takes no IPI.
 */
Test(calib, parked_targets_make_membarrier_invalid_and_no_ratio)
{
	struct wl_calib_report *r = short_run(true);
	const struct wl_calib_entry *m = &r->e[WL_CALIB_MEMBARRIER_N];
	const struct wl_calib_entry *ip = &r->e[WL_CALIB_MEMBARRIER_N_IPIS];

	if (m->status == WL_CALIB_UNAVAILABLE)
		cr_skip_test("membarrier others: %s", m->reason);
	cr_expect(strstr(m->variant, "parked"), "variant %s", m->variant);
	cr_expect_eq(m->status, WL_CALIB_INVALID, "ipis %f..%f", ip->min,
		     ip->max);
	if (ip->status == WL_CALIB_OK)
		cr_expect_lt(ip->min, WL_CALIB_MIN_IPIS);
	for (int i = WL_CALIB_EIPI_SIGNAL_RATIO; i <= WL_CALIB_EIPI_POLL_RATIO;
	     i++)
		cr_expect_neq(r->e[i].status, WL_CALIB_OK, "%s %s",
			      r->e[i].name, r->e[i].variant);
	free(r);
}

/* A host calibration row marked invalid: n repetitions of v. */
static void invalid_host_row(FILE *f, const char *metric, const char *unit,
			     uint64_t n, double v)
{
	struct wl_row r;

	wl_row_init(&r, "calib", metric, unit);
	snprintf(r.backend, sizeof(r.backend), "host");
	snprintf(r.arch, sizeof(r.arch), "host");
	snprintf(r.build_options, sizeof(r.build_options), "invalid: made up");
	r.n = n;
	r.min = r.median = r.max = v;
	wl_row_print_csv(f, &r);
}

/* summary.txt and compare's ratios, on rows marked invalid. */
static void write_invalid_results(const char *dir)
{
	char p[128];
	FILE *f;
	struct wl_row r;

	snprintf(p, sizeof(p), "%s/results.csv", dir);
	f = fopen(p, "w");
	cr_assert(f);
	fprintf(f, "%s\n", WL_CSV_COLUMNS);
	wl_row_init(&r, "read", "ns_per_page", "ns");
	snprintf(r.backend, sizeof(r.backend), "ipi");
	snprintf(r.build_options, sizeof(r.build_options), "-");
	snprintf(r.arch, sizeof(r.arch), "ipi");
	r.walk_pages = 512;
	snprintf(r.mapping, sizeof(r.mapping), "4k");
	snprintf(r.foll, sizeof(r.foll), "get");
	r.cpus = 1;
	r.n = 3;
	r.min = r.median = r.max = 40;
	wl_row_print_csv(f, &r);
	invalid_host_row(f, "gup_fast_page:thp=off", "ns/page", 3, 20);
	invalid_host_row(f, "ratio:eipi_signal/membarrier", "x", 0, NAN);
	cr_assert_eq(fclose(f), 0);
}

Test(calib, invalid_rows_marked_in_summary_and_no_ratio_on_them)
{
	char dir[] = "/tmp/walklab-test-calib-XXXXXX", p[128], line[256];
	char *args[] = {"plot", dir, NULL};
	struct wl_row out[WL_REPORT_NR_RATIOS];
	struct wl_rows rs;
	bool marked = false, ratio_line = false;
	size_t n;
	FILE *f;

	cr_assert(mkdtemp(dir));
	write_invalid_results(dir);
	snprintf(p, sizeof(p), "%s/results.csv", dir);
	cr_assert_eq(wl_rows_load(&rs, p, NULL), 0);
	n = wl_report_ratios(&rs, out);
	cr_assert_geq(n, 1);
	cr_expect_str_eq(out[0].metric, "ratio:sim/kernel_gup_4k");
	cr_expect(!strncmp(out[0].build_options, "invalid", 7), "%s",
		  out[0].build_options);
	cr_expect_eq(out[0].n, 0);
	cr_expect(isnan(out[0].median));
	wl_rows_free(&rs);

	wl_report_cmd(2, args); /* 1 without gnuplot: summary.txt still */
	snprintf(p, sizeof(p), "%s/summary.txt", dir);
	f = fopen(p, "r");
	cr_assert(f, "no summary.txt");
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "gup_fast_page:thp=off"))
			marked = strstr(line, "invalid") != NULL;
		if (strstr(line, "ratio:eipi_signal")) {
			ratio_line = true;
			cr_expect(strstr(line, "invalid") &&
					  strstr(line, " - "),
				  "ratio printed: %s", line);
		}
	}
	fclose(f);
	cr_expect(marked, "the invalid row is not marked");
	cr_expect(ratio_line);
	snprintf(line, sizeof(line), "rm -rf '%s'", dir);
	cr_expect_eq(system(line), 0);
}
