// SPDX-License-Identifier: MIT
/*
 * backend_main.c - walklab-<backend>: the executable of one backend
 * configuration.  The `walklab` front end runs these; they can be run by
 * hand as well.
 *
 *   walklab-<id> describe            key=value description of the build
 *   walklab-<id> run [options]       the quick demo: walks, then writers
 *   walklab-<id> bench [options]     one read-side configuration
 *   walklab-<id> measure [options]   the default matrix, as tidy CSV rows
 */
#include "backend.h"
#include "backend_opt.h"
#include "bench.h"
#include "bystander.h"
#include "check.h"
#include "cli.h"
#include "collapse_range.h"
#include "machine.h"
#include "measure.h"
#include "torture.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void describe(void)
{
	printf("name=%s\n", wl_backend.name);
	printf("summary=%s\n", wl_backend.summary);
	printf("build_options=%s\n", wl_backend.build_options);
	printf("requires=%s\n",
	       wl_backend.requires & WL_REQ_FLUSH_IPI ? "flush_ipi" : "none");
	printf("caps=%s%s%s%s%s\n",
	       wl_backend.caps & WL_CAP_SAFE ? "safe" : "unsafe",
	       wl_backend.caps & WL_CAP_NESTING ? ",nesting" : "",
	       wl_backend.caps & WL_CAP_DEFERS_FREE ? ",defers_free" : "",
	       wl_backend.caps & WL_CAP_IRQS_OFF ? ",irqs_off" : "",
	       wl_backend.caps & WL_CAP_QSBR ? ",qsbr" : "");
	printf("options=%s\n",
	       wl_backend.opts_help ? wl_backend.opts_help : "-");
}

/* The usages: printf formats of the arch choices, then the default arch. */
static const char bench_usage[] =
	"usage: walklab-<backend> bench|run [options]\n"
	"  -m MB        region size in MiB (1..4096, default 64)\n"
	"  -n PAGES     pages per call (1..1048576, 0 = whole region; default "
	"1)\n"
	"  -r N         measured repetitions (1..1000, default 5)\n"
	"  -W N         warm-up repetitions (0..100, default 1)\n"
	"  -j N         walker CPUs (1..255, default 1)\n"
	"  --cpus N     simulated CPUs in all (1..256): N - 1 walkers (at\n"
	"               least 1) and the measuring CPU (the later of -j and\n"
	"               --cpus wins)\n"
	"  -t / -T      THP (2 MiB mappings) on / off (default off)\n"
	"  -H           1 GiB mappings (PUD leaves)\n"
	"  -w / -R      FOLL_WRITE on (default) / off\n"
	"  -a / -u      FOLL_PIN / FOLL_GET (default)\n"
	"  -F           fast path only (FOLL_FAST_ONLY)\n"
	"  --arch A     %s (default %s)\n"
	"  --check B    the checker on|off (default off for bench, on for "
	"run)\n"
	"  --backend-opt KEY=VALUE   a backend option (see describe)\n"
	"  --seed N     random seed\n"
	"  --iterations N  writer rounds for run (1..100000, default 200)\n"
	"  --rep-ms MS  a repetition lasts at least MS (0..60000, default 20)\n"
	"  --sample-every K  time every K-th walk alone for p99 and the\n"
	"               section duration (0 = never; default 64)\n"
	"  --collapse-range SIZE  instead: khugepaged collapses every PMD of\n"
	"               a SIZE range (2M..4096G, unit M or G; refused if it\n"
	"               does not fit in memory) per sync strategy, with\n"
	"  --cpus C     simulated CPUs, the collapsing one included (1..256,\n"
	"               default 256; may exceed the host's PUs)\n"
	"  --bystanders B  of them, CPUs running another mm (0..C-1, default "
	"0)\n";

static void usage(const char *fmt)
{
	printf(fmt, wl_arch_choices(), wl_arch_name(WL_ARCH_IPI));
}

struct opts {
	struct wl_bench_params bp;
	unsigned int iterations;
	struct wl_crange_params cr; /* range_mib 0: no --collapse-range */
};

static const struct option bench_longopts[] = {
	{"arch", required_argument, NULL, 'A'},
	{"check", required_argument, NULL, 'C'},
	{"backend-opt", required_argument, NULL, 'O'},
	{"seed", required_argument, NULL, 'S'},
	{"iterations", required_argument, NULL, 'I'},
	{"mapping", required_argument, NULL, 'M'},
	{"rep-ms", required_argument, NULL, 'P'},
	{"sample-every", required_argument, NULL, 'E'},
	{"collapse-range", required_argument, NULL, 'G'},
	{"cpus", required_argument, NULL, 'K'},
	{"bystanders", required_argument, NULL, 'Y'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* One of the flags -t -T -H -w -R -a -u -F; false if opt is none. */
static bool bench_flag(struct wl_bench_params *bp, int opt)
{
	switch (opt) {
	case 't':
		bp->mapping = WL_MAP_2M;
		break;
	case 'T':
		bp->mapping = WL_MAP_4K;
		break;
	case 'H':
		bp->mapping = WL_MAP_1G;
		break;
	case 'w':
	case 'R':
		bp->write = opt == 'w';
		break;
	case 'a':
	case 'u':
		bp->pin = opt == 'a';
		break;
	case 'F':
		bp->fast_only = true;
		break;
	default:
		return false;
	}
	return true;
}

/* An option with a value. */
static void bench_value(struct opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'm':
		o->bp.mb = wl_parse_u64("-m", arg, 1, 4096);
		break;
	case 'n':
		o->bp.pages_per_call = wl_parse_u64("-n", arg, 0, 1u << 20);
		break;
	case 'r':
		o->bp.repeats = (unsigned int)wl_parse_u64(
			"-r", arg, 1, WL_BENCH_MAX_REPEATS);
		break;
	case 'W':
		o->bp.warmup = (unsigned int)wl_parse_u64("-W", arg, 0, 100);
		break;
	case 'j':
		o->bp.threads = (unsigned int)wl_parse_u64("-j", arg, 1,
							   WL_NR_CPUS - 1);
		break;
	case 'M':
		o->bp.mapping =
			wl_parse_choice("--mapping", arg, wl_mapping_names);
		break;
	case 'A':
		o->bp.arch = (enum wl_arch)wl_parse_choice("--arch", arg,
							   wl_arch_names());
		break;
	case 'C':
		o->bp.check = wl_parse_bool("--check", arg);
		break;
	case 'O':
		wl_backend_opt(arg);
		break;
	case 'S':
		o->bp.seed = wl_parse_u64("--seed", arg, 0, UINT64_MAX);
		break;
	case 'P':
		o->bp.rep_ms =
			(unsigned int)wl_parse_u64("--rep-ms", arg, 0, 60000);
		break;
	case 'E':
		o->bp.sample_every = (unsigned int)wl_parse_u64(
			"--sample-every", arg, 0, 1u << 20);
		break;
	case 'I':
		o->iterations = (unsigned int)wl_parse_u64("--iterations", arg,
							   1, 100000);
		break;
	case 'G':
		o->cr.range_mib = wl_crange_parse_mib("--collapse-range", arg);
		break;
	case 'K':
		/* --collapse-range's C, or N - 1 walkers and the measurer. */
		o->cr.cpus = (unsigned int)wl_parse_u64("--cpus", arg, 1,
							WL_NR_CPUS);
		o->bp.threads = o->cr.cpus > 1 ? o->cr.cpus - 1 : 1;
		break;
	case 'Y':
		o->cr.bystanders = (unsigned int)wl_parse_u64(
			"--bystanders", arg, 0, WL_NR_CPUS - 1);
		break;
	}
}

/* Huge mappings need a region of whole huge pages. */
static void bench_check_region(const struct wl_bench_params *bp)
{
	if (bp->mapping == WL_MAP_1G && bp->mb % 1024)
		wl_usage_error("-H: the region (-m) must be a multiple of "
			       "1024 MiB");
	if (bp->mapping == WL_MAP_2M && bp->mb % 2)
		wl_usage_error(
			"-t: the region (-m) must be a multiple of 2 MiB");
}

static void parse_bench(int argc, char **argv, struct opts *o, bool run)
{
	int opt;

	wl_bench_params_default(&o->bp);
	o->iterations = 200;
	o->cr = (struct wl_crange_params){.cpus = WL_NR_CPUS};
	if (run)
		o->bp.check = true;
	while ((opt = wl_getopt(argc, argv, "m:n:r:W:j:tTHwRauFh",
				bench_longopts, run ? "run" : "bench")) != -1) {
		if (opt == 'h') {
			usage(bench_usage);
			exit(0);
		}
		if (!bench_flag(&o->bp, opt))
			bench_value(o, opt, optarg);
	}
	bench_check_region(&o->bp);
}

static int machine_up(const struct wl_bench_params *bp, unsigned int cpus)
{
	struct wl_machine_config cfg;
	uint64_t frames = (bp->mb << 20) >> PAGE_SHIFT;

	wl_machine_config_default(&cfg);
	/* The region, a spare 1 GiB for huge folios, writers' room. */
	cfg.nr_frames =
		WL_MAX(frames + (UINT64_C(1) << 18) + 4096, UINT64_C(1) << 19);
	cfg.nr_tables = (uint32_t)WL_MAX(frames / 256 + 1024, 1u << 13);
	cfg.smp.nr_cpus_hint = cpus;
	wl_arch_config_default(&cfg.arch, bp->arch);
	wl_check_seed = bp->seed;
	return wl_machine_init(&cfg);
}

static void print_bench(const struct wl_bench_params *bp,
			const struct wl_bench_summary *s)
{
	printf("backend %s (%s), arch %s, %u walker CPU(s)%s\n",
	       wl_backend.name, wl_backend.build_options,
	       wl_arch_name(bp->arch), bp->threads,
	       wl_smp_oversubscribed() ? ", oversubscribed" : "");
	printf("region %llu MiB of %s pages, %llu pages per call, %s%s%s\n",
	       (unsigned long long)bp->mb, wl_mapping_names[bp->mapping],
	       (unsigned long long)bp->pages_per_call,
	       bp->pin ? "FOLL_PIN" : "FOLL_GET",
	       bp->write ? "|FOLL_WRITE" : "",
	       bp->fast_only ? "|FOLL_FAST_ONLY" : "");
	printf("ns/walk  min %.1f median %.1f max %.1f  (%u repetitions)\n",
	       s->walk_ns[0], s->walk_ns[1], s->walk_ns[2], s->repeats);
	printf("ns/page  min %.2f median %.2f max %.2f\n", s->page_ns[0],
	       s->page_ns[1], s->page_ns[2]);
	printf("put ns/page median %.2f; walks/s (all CPUs) %.0f; fast path "
	       "%.1f%%\n",
	       s->put_page_ns[1], s->walks_per_s, 100 * s->fast_ratio);
	if (s->samples)
		printf("section ns (%llu sampled walks): p50 %.0f p99 %.0f max "
		       "%.0f\n",
		       (unsigned long long)s->samples, s->section_ns[1],
		       s->section_ns[3], s->section_ns[2]);
}

static int cmd_bench(int argc, char **argv, bool run)
{
	struct opts o;
	struct wl_bench_summary s;
	int ret;

	parse_bench(argc, argv, &o, run);
	if (o.cr.range_mib) {
		if (o.cr.bystanders >= o.cr.cpus)
			wl_usage_error("--bystanders: %u with --cpus %u; "
				       "valid: 0..%u",
				       o.cr.bystanders, o.cr.cpus,
				       o.cr.cpus - 1);
		return wl_crange_bench(&o.cr, o.bp.arch);
	}
	if (run) {
		o.bp.pages_per_call =
			o.bp.pages_per_call == 1 ? 16 : o.bp.pages_per_call;
	}
	if (machine_up(&o.bp, o.bp.threads + 1))
		return 1;
	ret = wl_bench_walks(&o.bp, &s);
	if (ret) {
		fprintf(stderr, "walklab: bench failed: %s\n", strerror(-ret));
		wl_machine_fini();
		return 1;
	}
	print_bench(&o.bp, &s);
	if (run) {
		struct wl_writer_summary ws;

		printf("pages pinned: %llu\n", (unsigned long long)s.pages);
		if (wl_cpu_start("writer") < 0)
			return 1;
		ret = wl_bench_writers(o.iterations, &ws);
		wl_cpu_stop();
		if (ret) {
			fprintf(stderr, "walklab: writers failed: %s\n",
				strerror(-ret));
			wl_machine_fini();
			return 1;
		}
		printf("writer ops/s:");
		for (int op = 0; op < WL_NR_OPS; op++)
			printf(" %s %.0f", wl_writer_op_names[op],
			       ws.ops_per_s[op]);
		printf("\n");
	}
	wl_machine_check_balance();
	printf("violations: ");
	wl_violations_print(stdout);
	wl_machine_fini();
	return 0;
}

static const char measure_usage[] =
	"usage: walklab-<backend> measure [options]\n"
	"  --arch A          %s (default %s)\n"
	"  --workloads LIST  comma-separated: read,writer,mixed,slowpath,\n"
	"                    tracking,fallback,collapse-range,fault,locked,\n"
	"                    scale (default all but fault, locked, scale;\n"
	"                    collapse-range runs by default only in the\n"
	"                    configurations of the sync strategies, by name\n"
	"                    in any)\n"
	"  --bystanders N    CPUs running another mm: around the writer and\n"
	"                    fallback phases (0..16, default 0); of\n"
	"                    collapse-range's C CPUs (0..C-1; default C/2)\n"
	"  --range SIZE      collapse-range: 2M..4096G, unit M or G (default\n"
	"                    1G; refused if its frames do not fit in memory)\n"
	"  --max-cpus N      walker CPUs in the read sweep (1..255; default\n"
	"                    twice the host's PUs: oversubscribed at the end)\n"
	"  --cpus N          simulated CPUs (1..256): the read sweep's\n"
	"                    walkers (N - 1), the scale sweep's top (1, 2,\n"
	"                    4 .. N; default 256), collapse-range's C, the\n"
	"                    collapsing CPU included (default the sweep 1,\n"
	"                    2, 4 ..)\n"
	"  --range SIZE      collapse-range: 2M..4096G, unit M or G (default\n"
	"                    1G; refused if its frames do not fit in memory)\n"
	"  --quick           a smaller, faster matrix (tests)\n"
	"  --header          print the CSV header first\n"
	"  --seed N          random seed\n"
	"  --backend-opt KEY=VALUE\n"
	"Prints tidy CSV rows (bench/common/results.h) on stdout.\n";

struct measure_opts {
	struct wl_measure_ctx c;
	bool want[WL_MEASURE_NR]; /* the workloads to run */
	bool header;
	uint64_t seed;
};

static const struct option measure_longopts[] = {
	{"arch", required_argument, NULL, 'A'},
	{"workloads", required_argument, NULL, 'L'},
	{"max-cpus", required_argument, NULL, 'c'},
	{"bystanders", required_argument, NULL, 'Y'},
	{"quick", no_argument, NULL, 'q'},
	{"header", no_argument, NULL, 'H'},
	{"seed", required_argument, NULL, 'S'},
	{"backend-opt", required_argument, NULL, 'O'},
	{"range", required_argument, NULL, 'g'},
	{"cpus", required_argument, NULL, 'C'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* --workloads LIST: comma-separated names of wl_measure_names[]. */
static void parse_workloads(const char *list, bool *want)
{
	char buf[128], *tok, *save;

	if (strlen(list) >= sizeof(buf))
		wl_usage_error("--workloads: too long");
	strcpy(buf, list);
	memset(want, 0, WL_MEASURE_NR * sizeof(*want));
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		want[wl_parse_choice("--workloads", tok, wl_measure_names)] =
			true;
}

/* The collapse-range options (collapse_range.h). */
static void parse_crange(struct wl_measure_ctx *c, int opt, const char *arg)
{
	switch (opt) {
	case 'g':
		c->crange_mib = wl_crange_parse_mib("--range", arg);
		break;
	case 'C':
		/* One --cpus: collapse-range's C, the sweeps' top. */
		c->crange_cpus = (unsigned int)wl_parse_u64("--cpus", arg, 1,
							    WL_NR_CPUS);
		if (c->crange_cpus > 1) {
			c->scale_cpus = c->crange_cpus;
			c->max_cpus = c->crange_cpus - 1;
		}
		break;
	}
}

static void parse_measure(int argc, char **argv, struct measure_opts *m)
{
	bool all = true;
	int opt;

	/* default: all but fault and locked (asked for by name: compare's
	 * budget) */
	for (int i = 0; i < WL_MEASURE_NR; i++)
		m->want[i] = i != WL_MEASURE_FAULT && i != WL_MEASURE_LOCKED &&
			     i != WL_MEASURE_SCALE;
	while ((opt = wl_getopt(argc, argv, "h", measure_longopts,
				"measure")) != -1) {
		switch (opt) {
		case 'A':
			m->c.arch = (enum wl_arch)wl_parse_choice(
				"--arch", optarg, wl_arch_names());
			break;
		case 'L':
			parse_workloads(optarg, m->want);
			all = false;
			break;
		case 'c':
			m->c.max_cpus = (unsigned int)wl_parse_u64(
				"--max-cpus", optarg, 1, WL_NR_CPUS - 1);
			break;
		case 'Y':
			m->c.crange_bystanders = (int)wl_parse_u64(
				"--bystanders", optarg, 0, WL_NR_CPUS - 1);
			break;
		case 'q':
			m->c.quick = true;
			break;
		case 'H':
			m->header = true;
			break;
		case 'S':
			m->seed = wl_parse_u64("--seed", optarg, 0, UINT64_MAX);
			break;
		case 'O':
			wl_backend_opt(optarg);
			if (!strncmp(optarg, "fallback=", 9))
				m->c.fallback = optarg + 9;
			break;
		case 'h':
			printf(measure_usage, wl_arch_choices(),
			       wl_arch_name(WL_ARCH_IPI));
			exit(0);
		default:
			parse_crange(&m->c, opt, optarg);
		}
	}
	m->c.crange_explicit = !all;
	/* One --bystanders: the writer and fallback phases hold at most 16. */
	if (m->c.crange_bystanders > WL_MAX_BYSTANDERS &&
	    (m->want[WL_MEASURE_WRITER] || m->want[WL_MEASURE_FALLBACK]))
		wl_usage_error("--bystanders: %d with the writer or fallback "
			       "workload; valid: 0..%d",
			       m->c.crange_bystanders, WL_MAX_BYSTANDERS);
	if (m->c.crange_bystanders > 0)
		m->c.bystanders = (unsigned int)m->c.crange_bystanders;
	if (m->c.crange_bystanders >= 0 && m->c.crange_cpus &&
	    (unsigned int)m->c.crange_bystanders >= m->c.crange_cpus)
		wl_usage_error("--bystanders: %d with --cpus %u; valid: 0..%u",
			       m->c.crange_bystanders, m->c.crange_cpus,
			       m->c.crange_cpus - 1);
}

/* A machine sized for the default matrix, the checker off (cost runs). */
static int measure_machine_up(struct measure_opts *m)
{
	struct wl_machine_config cfg;

	wl_machine_config_default(&cfg);
	cfg.nr_frames = UINT64_C(1) << 17;
	cfg.nr_tables = 4096;
	unsigned int nr_strategies;

	wl_crange_strategies(m->c.crange_explicit, &nr_strategies);
	if (m->want[WL_MEASURE_COLLAPSE_RANGE] && nr_strategies) {
		uint64_t frames;
		uint32_t tables;

		if (!m->c.crange_mib)
			m->c.crange_mib = wl_crange_parse_mib("--range", "1G");
		wl_crange_machine_size(m->c.crange_mib, &frames, &tables);
		cfg.nr_frames = WL_MAX(cfg.nr_frames, frames);
		cfg.nr_tables = WL_MAX(cfg.nr_tables, tables);
	}
	wl_arch_config_default(&cfg.arch, m->c.arch);
	wl_check_seed = m->seed;
	if (wl_machine_init(&cfg))
		return -1;
	if (!m->c.max_cpus)
		m->c.max_cpus = WL_MIN(2 * wl_host_nr_pus(), WL_NR_CPUS - 2);
	wl_check_enabled = false;
	return 0;
}

/* The chosen workloads in order, on a CPU of their own ("writer"). */
static int measure_workloads(const struct measure_opts *m)
{
	int ret = 0;

	for (int i = 0; i < WL_MEASURE_NR && !ret; i++)
		if (m->want[i])
			ret = wl_measure_run(i, &m->c);
	return ret;
}

static int cmd_measure(int argc, char **argv)
{
	struct measure_opts m = {
		.c = {.out = stdout,
		      .arch = WL_ARCH_IPI,
		      .crange_bystanders = -1},
		.seed = 1,
	};
	int ret;

	parse_measure(argc, argv, &m);
	if (measure_machine_up(&m))
		return 1;
	if (m.header)
		printf("%s\n", WL_CSV_COLUMNS);
	if (wl_cpu_start("writer") < 0) {
		wl_machine_fini();
		return 1;
	}
	ret = measure_workloads(&m);
	wl_cpu_stop();
	if (ret) {
		fprintf(stderr, "walklab: %s measure failed: %s\n",
			wl_backend.name, strerror(-ret));
		wl_machine_fini();
		return 1;
	}
	wl_measure_process(&m.c);
	wl_machine_fini();
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const cmds[] = {"describe", "run",	  "bench",
					   "measure",  "torture", "scenario",
					   NULL};
	int cmd;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: %s describe|run|bench [options]\n", argv[0]);
		usage(bench_usage);
		return argc < 2 ? WL_EXIT_USAGE : 0;
	}
	cmd = wl_parse_choice("command", argv[1], cmds);
	switch (cmd) {
	case 0:
		describe();
		return 0;
	case 1:
	case 2:
		return cmd_bench(argc - 1, argv + 1, cmd == 1);
	case 3:
		return cmd_measure(argc - 1, argv + 1);
	case 4:
		return wl_torture_main(argc - 1, argv + 1);
	case 5:
		return wl_scenario_main(argc - 1, argv + 1);
	}
	return WL_EXIT_USAGE;
}
