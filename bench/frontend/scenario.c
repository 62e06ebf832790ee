// SPDX-License-Identifier: MIT
/*
 * scenario.c - `walklab scenario list | run NAME`, the front end's side of
 * the scenario library (scenarios.h).  list prints the table; run finds the
 * scenario's backend executable beside walklab and runs
 * `walklab-<id> scenario NAME [options]`, which runs the torture and prints
 * the verdict line itself; its exit status is passed on.
 */
#include "scenario.h"
#include "cli.h"
#include "scenarios.h"
#include "subprocess.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void list(void)
{
	for (size_t i = 0; i < WL_NR_SCENARIOS; i++) {
		const struct wl_scenario *s = &wl_scenarios[i];

		printf("%-26s backend=%s arch=%s expect=%s watch=%s bound=%us "
		       "options=\"%s\" # %s\n",
		       s->name, s->backend, s->arch, s->expect, s->watch,
		       s->bound_s, s->options, s->history);
	}
}

static const char usage[] =
	"usage: walklab scenario list\n"
	"       walklab scenario run NAME [--seed N] [--timeout S] "
	"[--inject on|off]\n"
	"  run: the scenario's backend and configuration until the first "
	"watched\n"
	"  violation or the bound (--timeout, default per scenario); the "
	"last line\n"
	"  is NAME: expected X, observed Y in T s: MATCH|MISMATCH (exit 0 "
	"only on\n"
	"  MATCH)\n";

int wl_scenario_cmd(int argc, char **argv)
{
	static const char *const sub[] = {"list", "run", NULL};
	const struct wl_scenario *sc = NULL;
	char path[PATH_MAX];
	int st;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? WL_EXIT_USAGE : 0;
	}
	if (!wl_parse_choice("scenario", argv[1], sub)) {
		if (argc > 2)
			wl_usage_error("scenario list takes no arguments");
		list();
		return 0;
	}
	if (argc < 3)
		wl_usage_error("scenario run needs a NAME; valid: %s",
			       wl_scenario_names());
	for (size_t i = 0; i < WL_NR_SCENARIOS; i++)
		if (!strcmp(argv[2], wl_scenarios[i].name))
			sc = &wl_scenarios[i];
	if (!sc)
		wl_usage_error("unknown scenario '%s'; valid: %s", argv[2],
			       wl_scenario_names());
	snprintf(path, sizeof(path), "%s/walklab-%s", wl_exe_dir(),
		 sc->backend);
	if (access(path, X_OK))
		wl_usage_error("scenario %s needs backend %s, which is not "
			       "built (no %s)",
			       sc->name, sc->backend, path);

	/* walklab-<id> scenario NAME [the rest] */
	char **args = calloc((size_t)argc + 2, sizeof(*args));

	if (!args)
		return 1;
	args[0] = path;
	args[1] = "scenario";
	for (int i = 2; i < argc; i++)
		args[i] = argv[i];
	st = wl_spawn_wait(args, NULL);
	free(args);
	return st < 0 ? 1 : st;
}
