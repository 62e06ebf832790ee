// SPDX-License-Identifier: MIT
/*
 * walklab.c - the front end.  A backend is chosen at build time, so each
 * backend configuration has its own executable, walklab-<id>, built beside
 * this one; walklab finds them there and dispatches.
 */
#include "cli.h"
#include "scenario.h"
#include "verify.h"
#include "report.h"
#include "frontend.h"
#include "subprocess.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BACKENDS	 64
#define WL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char ids[MAX_BACKENDS][64];
static int nr_ids;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The walklab-<id> executables beside us, sorted. */
static void find_backends(void)
{
	DIR *d = opendir(wl_exe_dir());
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && nr_ids < MAX_BACKENDS) {
		char path[PATH_MAX];

		if (strncmp(e->d_name, "walklab-", 8) || !e->d_name[8] ||
		    strlen(e->d_name + 8) >= sizeof(ids[0]))
			continue;
		snprintf(path, sizeof(path), "%s/%s", wl_exe_dir(), e->d_name);
		if (access(path, X_OK))
			continue;
		memcpy(ids[nr_ids++], e->d_name + 8, strlen(e->d_name + 8) + 1);
	}
	closedir(d);
	qsort(ids, (size_t)nr_ids, sizeof(ids[0]), cmp_str);
}

const char *wl_fe_backend_list(void)
{
	static char list[MAX_BACKENDS * 65 + 1];

	list[0] = 0;
	for (int i = 0; i < nr_ids; i++) {
		if (i)
			strcat(list, "|");
		strcat(list, ids[i]); /* fits: 64 ids of < 64 chars */
	}
	return nr_ids ? list : "(none built)";
}

const char *wl_fe_backend_path(const char *id)
{
	static char path[PATH_MAX];

	for (int i = 0; i < nr_ids; i++) {
		if (!strcmp(ids[i], id)) {
			snprintf(path, sizeof(path), "%s/walklab-%s",
				 wl_exe_dir(), id);
			return path;
		}
	}
	wl_usage_error("unknown backend '%s'; built: %s", id,
		       wl_fe_backend_list());
}

int wl_fe_nr_backends(void)
{
	return nr_ids;
}

const char *wl_fe_backend_id(int i)
{
	return ids[i];
}

/* Run walklab-<id> with args; returns its exit status. */
static int run_backend(const char *id, char **args)
{
	int st;

	args[0] = (char *)wl_fe_backend_path(id);
	st = wl_spawn_wait(args, NULL);
	return st < 0 ? 1 : st;
}

/* Capture walklab-<id> describe. */
static void describe(const char *id, FILE *out)
{
	char cmd[PATH_MAX + 16], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' describe", wl_fe_backend_path(id));
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p))
		fprintf(out, "    %s", line);
	pclose(p);
}

static int cmd_backends(int argc, char **argv)
{
	if (argc > 1)
		wl_usage_error("backends takes no arguments");
	(void)argv;
	printf("%d backend configuration(s) built in %s:\n", nr_ids,
	       wl_exe_dir());
	for (int i = 0; i < nr_ids; i++) {
		printf("%s\n", ids[i]);
		describe(ids[i], stdout);
	}
	return 0;
}

/*
 * Commands that run one backend: take --backend/-b ID (default: none
 * for run) out of argv and pass the rest on.
 */
static int cmd_one(const char *cmd, int argc, char **argv, const char *dflt)
{
	char **args = calloc((size_t)argc + 3, sizeof(*args));
	const char *id = dflt;
	int n = 1;

	if (!args)
		return 1;
	args[n++] = (char *)cmd;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--backend") || !strcmp(argv[i], "-b")) {
			if (i + 1 >= argc)
				wl_usage_error("%s needs a value; built: %s",
					       argv[i], wl_fe_backend_list());
			id = argv[++i];
		} else if (!strncmp(argv[i], "--backend=", 10)) {
			id = argv[i] + 10;
		} else {
			args[n++] = argv[i];
		}
	}
	if (!id)
		wl_usage_error("%s: --backend is required; built: %s", cmd,
			       wl_fe_backend_list());
	int ret = run_backend(id, args);

	free(args);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: walklab COMMAND [options]\n"
		"  backends               list the built backends and their "
		"options\n"
		"  run [-b ID] [opts]     quick demo on one backend (default "
		"none):\n"
		"                         walks, then writer operations\n"
		"  compare [--out DIR]    the main job: every backend through "
		"the default\n"
		"                         matrix; summary, CSV, JSON, plots\n"
		"  calibrate [--quick]    the host's own GUP-fast, IPI and "
		"liburcu costs\n"
		"                         (walklab calibrate --help)\n"
		"  bench -b ID [opts]     one read-side configuration "
		"(gup_test-style\n"
		"                         flags; walklab bench -b ID "
		"--help)\n"
		"  plot DIR               redraw the plots, results.json and "
		"summary.txt\n"
		"                         of a results folder\n"
		"  torture -b ID [opts]   a checked stress run, rcutorture-"
		"style summary,\n"
		"                         exit 0/1 (walklab torture -b ID "
		"--help)\n"
		"  scenario list|run NAME the historical races, verdict vs "
		"history\n"
		"  verify [NAME|--all]    model-check the protocols with Spin "
		"(--list)\n");
}

static int cmd_run(int argc, char **argv)
{
	return cmd_one("run", argc, argv, "none");
}

static int cmd_bench(int argc, char **argv)
{
	return cmd_one("bench", argc, argv, NULL);
}

/* calibrate: the host measurements live in walklab_calibrate, beside us. */
static int cmd_calibrate(int argc, char **argv)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/walklab_calibrate", wl_exe_dir());
	argv[0] = path;
	execv(path, argv);
	fprintf(stderr, "walklab: calibrate: cannot run %s: %s\n", path,
		strerror(errno));
	return 1;
}

static int cmd_torture(int argc, char **argv)
{
	return cmd_one("torture", argc, argv, NULL);
}

static int cmd_help(int argc, char **argv)
{
	usage(stdout);
	return 0;
}

/* Each command gets argv from its own name on. */
static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{"backends", cmd_backends},    {"run", cmd_run},
	{"bench", cmd_bench},	       {"compare", wl_cmd_compare},
	{"calibrate", cmd_calibrate},  {"help", cmd_help},
	{"plot", wl_report_cmd},       {"torture", cmd_torture},
	{"scenario", wl_scenario_cmd}, {"verify", wl_verify_cmd},
};

int main(int argc, char **argv)
{
	const char *names[WL_ARRAY_SIZE(commands) + 1];

	find_backends();
	if (argc < 2) {
		usage(stderr);
		return WL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < WL_ARRAY_SIZE(commands); i++)
		names[i] = commands[i].name;
	names[WL_ARRAY_SIZE(commands)] = NULL;
	return commands[wl_parse_choice("command", argv[1], names)].fn(
		argc - 1, argv + 1);
}
