// SPDX-License-Identifier: MIT
/*
 * calib_main.c - walklab_calibrate, run by "walklab calibrate".
 *
 * Its own executable rather than part of the front end: it links the
 * simulated machine, hwloc and all five liburcu flavors (whose library
 * constructors run at load: memb registers with membarrier, signal
 * installs its SIGUSR1 handler), none of which the front end needs for
 * its other commands.  The underscore keeps it out of the front end's
 * walklab-<backend> scan.
 *
 * Usage: walklab calibrate [--repeats N] [--quick] [--rt] [--collapse]
 *                          [--csv FILE] [--json FILE] [--rows FILE]
 * Prints the 80-column table on stdout; the files are written if asked
 * (see calib.h; walklab compare reads --rows).  Exit: 0 (also when the
 * host forbids some measurements: those lines say so), 1 if a file could
 * not be written, 2 for bad input.
 */
#include "calib.h"
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: walklab calibrate [--repeats N] [--quick] [--rt] "
		"[--collapse]\n"
		"                         [--csv FILE] [--json FILE] [--rows "
		"FILE]\n"
		"  Measures the host's own GUP-fast (vmsplice, futex), real "
		"IPIs (membarrier),\n"
		"  the emulated IPI of the simulator and liburcu's costs, "
		"min/median/max of\n"
		"  N repetitions (default 11, --quick 5; about 20 s, --quick "
		"about 5 s).\n"
		"  --rt: the IPI probes' threads SCHED_FIFO (CAP_SYS_NICE), "
		"so that their\n"
		"  targets keep running on a busy machine.\n"
		"  --collapse: only MADV_COLLAPSE's interrupts per PMD per "
		"CPU, "
		"beside the\n"
		"  lab's today count (about 2 s).\n");
}

/* An output file asked for, opened before the run. */
struct out {
	const char *opt;  /* "--csv", ... */
	const char *path; /* NULL: not asked for */
	FILE *f;
	int (*write)(FILE *f, const struct wl_calib_report *r);
};

enum { OUT_CSV, OUT_JSON, OUT_ROWS, NR_OUTS };

struct args {
	unsigned int repeats; /* 0: the default */
	bool quick;
	bool rt;
	bool collapse;
	struct out out[NR_OUTS];
};

static void parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{"repeats", required_argument, NULL, 'r'},
		{"quick", no_argument, NULL, 'q'},
		{"rt", no_argument, NULL, 't'},
		{"collapse", no_argument, NULL, 'C'},
		{"csv", required_argument, NULL, 'c'},
		{"json", required_argument, NULL, 'j'},
		{"rows", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = wl_getopt(argc, argv, "h", longopts, "calibrate")) != -1) {
		switch (c) {
		case 'r':
			a->repeats = (unsigned int)wl_parse_u64(
				"--repeats", optarg, 1, 1000);
			break;
		case 'q':
			a->quick = true;
			break;
		case 't':
			a->rt = true;
			break;
		case 'C':
			a->collapse = true;
			break;
		case 'c':
			a->out[OUT_CSV].path = optarg;
			break;
		case 'j':
			a->out[OUT_JSON].path = optarg;
			break;
		case 'w':
			a->out[OUT_ROWS].path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		}
	}
}

/* Open the files first: a bad path fails before a 20 s run. */
static void open_outs(struct out *out)
{
	for (int i = 0; i < NR_OUTS; i++) {
		if (!out[i].path)
			continue;
		if (!*out[i].path)
			wl_usage_error("calibrate: %s needs a file name",
				       out[i].opt);
		out[i].f = fopen(out[i].path, "w");
		if (!out[i].f)
			wl_usage_error("calibrate: %s: cannot write '%s': %s",
				       out[i].opt, out[i].path,
				       strerror(errno));
	}
}

/* Write and close each file; 1 if one failed, else 0. */
static int write_outs(struct out *out, const struct wl_calib_report *r)
{
	int ret = 0;

	for (int i = 0; i < NR_OUTS; i++) {
		if (!out[i].f)
			continue;
		if (out[i].write(out[i].f, r) | fclose(out[i].f)) {
			fprintf(stderr,
				"walklab: calibrate: writing '%s' failed\n",
				out[i].path);
			ret = 1;
		}
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct args a = {
		.out = {
			[OUT_CSV] = {"--csv", .write = wl_calib_write_csv},
			[OUT_JSON] = {"--json", .write = wl_calib_write_json},
			[OUT_ROWS] = {"--rows", .write = wl_calib_write_rows},
		}};
	struct wl_calib_report *r;
	struct wl_calib_opts o;
	int ret;

	parse_args(argc, argv, &a);
	open_outs(a.out);

	wl_calib_opts_default(&o, a.quick);
	if (a.repeats)
		o.repeats = a.repeats;
	o.verbose = isatty(STDERR_FILENO);
	o.rt = a.rt;
	o.collapse_only = a.collapse;
	r = malloc(sizeof(*r));
	if (!r) {
		fprintf(stderr, "walklab: calibrate: out of memory\n");
		return 1;
	}
	wl_calib_run(&o, r);
	wl_calib_print_table(stdout, r);
	fflush(stdout);
	ret = write_outs(a.out, r);
	free(r);
	return ret;
}
