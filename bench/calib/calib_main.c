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
 * Usage: walklab calibrate [--repeats N] [--quick] [--csv FILE]
 *                          [--json FILE]
 * Prints the 80-column table on stdout; the files are written if asked.
 * Exit: 0 (also when the host forbids some measurements: those lines say
 * so), 1 if a file could not be written, 2 for bad input.
 */
#include "calib.h"
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VALID_OPTS                                                             \
	"--repeats N, --quick, --csv FILE, --json FILE, --rows FILE, --help"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: walklab calibrate [--repeats N] [--quick] [--csv FILE] "
		"[--json FILE] [--rows FILE]\n"
		"  Measures the host's own GUP-fast (vmsplice, futex), real "
		"IPIs (membarrier),\n"
		"  the emulated IPI of the simulator and liburcu's costs, "
		"min/median/max of\n"
		"  N repetitions (default 11, --quick 5; about 20 s, --quick "
		"about 5 s).\n");
}

/* The value of --opt VALUE or --opt=VALUE; advances *i. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (!strcmp(argv[*i], opt)) {
		if (*i + 1 >= argc)
			wl_usage_error("calibrate: %s needs a value; valid: "
				       "%s",
				       opt, VALID_OPTS);
		return argv[++*i];
	}
	if (!strncmp(argv[*i], opt, n) && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	return NULL;
}

static FILE *open_out(const char *opt, const char *path)
{
	FILE *f;

	if (!*path)
		wl_usage_error("calibrate: %s needs a file name", opt);
	f = fopen(path, "w");
	if (!f)
		wl_usage_error("calibrate: %s: cannot write '%s': %s", opt,
			       path, strerror(errno));
	return f;
}

int main(int argc, char **argv)
{
	const char *csv = NULL, *json = NULL, *rows = NULL, *v;
	FILE *frows = NULL;
	unsigned int repeats = 0;
	struct wl_calib_report *r;
	struct wl_calib_opts o;
	bool quick = false;
	FILE *fcsv = NULL, *fjson = NULL;
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--quick")) {
			quick = true;
		} else if ((v = opt_value(argc, argv, &i, "--repeats"))) {
			repeats = (unsigned int)wl_parse_u64("--repeats", v, 1,
							     1000);
		} else if ((v = opt_value(argc, argv, &i, "--csv"))) {
			csv = v;
		} else if ((v = opt_value(argc, argv, &i, "--json"))) {
			json = v;
		} else if ((v = opt_value(argc, argv, &i, "--rows"))) {
			rows = v;
		} else {
			wl_usage_error("calibrate: unknown option '%s'; valid: "
				       "%s",
				       argv[i], VALID_OPTS);
		}
	}
	/* Open the files first: a bad path fails before a 20 s run. */
	if (csv)
		fcsv = open_out("--csv", csv);
	if (json)
		fjson = open_out("--json", json);
	if (rows)
		frows = open_out("--rows", rows);

	wl_calib_opts_default(&o, quick);
	if (repeats)
		o.repeats = repeats;
	o.verbose = isatty(STDERR_FILENO);
	r = malloc(sizeof(*r));
	if (!r) {
		fprintf(stderr, "walklab: calibrate: out of memory\n");
		return 1;
	}
	wl_calib_run(&o, r);
	wl_calib_print_table(stdout, r);
	fflush(stdout);
	if (fcsv && (wl_calib_write_csv(fcsv, r) || fclose(fcsv))) {
		fprintf(stderr, "walklab: calibrate: writing '%s' failed\n",
			csv);
		ret = 1;
	}
	if (fjson && (wl_calib_write_json(fjson, r) || fclose(fjson))) {
		fprintf(stderr, "walklab: calibrate: writing '%s' failed\n",
			json);
		ret = 1;
	}
	if (frows && (wl_calib_write_rows(frows, r) || fclose(frows))) {
		fprintf(stderr, "walklab: calibrate: writing '%s' failed\n",
			rows);
		ret = 1;
	}
	free(r);
	return ret;
}
