// SPDX-License-Identifier: MIT
/*
 * scenario.c - `walklab scenario list | run NAME | run --all`, the front
 * end's side of the scenario library (scenarios.h).  list prints the
 * table; run finds the scenario's backend executable beside walklab and
 * runs `walklab-<id> scenario NAME [options]`, which runs the torture and
 * prints the verdict line itself; its exit status is passed on.  run --all
 * runs every scenario so, each one's output to a log, and prints a table
 * of the verdict lines.
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

/* "bound=12.1s (ctest 2s) power=0.95 vs TWIN" or why unknown. */
static void bound_text(const struct wl_scenario *s, char *buf, size_t n)
{
	double full = wl_scenario_bound_ms(s, false) / 1000.0;
	double ctest = wl_scenario_bound_ms(s, true) / 1000.0;

	if (!wl_scenario_safe(s))
		snprintf(buf, n, "bound=%gs", full);
	else if (!s->twin)
		snprintf(buf, n,
			 "bound=%gs (ctest %gs) power=unknown (no twin "
			 "measured)",
			 full, ctest);
	else if (!s->twin_median_ms) /* scripts/...-times --twins: measure */
		snprintf(buf, n,
			 "bound=%gs (ctest %gs) power=unknown (not measured) "
			 "vs %s (median unmeasured)",
			 full, ctest, s->twin);
	else
		snprintf(buf, n,
			 "bound=%gs (ctest %gs) power=%.3f (ctest %.3f) vs %s "
			 "(median %.3fs)",
			 full, ctest, wl_scenario_power(s, full * 1000),
			 wl_scenario_power(s, ctest * 1000), s->twin,
			 s->twin_median_ms / 1000.0);
}

static void list(void)
{
	for (size_t i = 0; i < WL_NR_SCENARIOS; i++) {
		const struct wl_scenario *s = &wl_scenarios[i];
		char bound[256];

		bound_text(s, bound, sizeof(bound));
		printf("%-28s backend=%s arch=%s expect=%s watch=%s %s "
		       "options=\"%s\" # %s%s%s%s\n",
		       s->name, s->backend, s->arch, s->expect, s->watch, bound,
		       s->options, s->synthetic ? "SYNTHETIC: " : "",
		       s->history, s->synthetic ? "; stands for: " : "",
		       s->synthetic ? s->synthetic : "");
	}
}

static const char usage[] =
	"usage: walklab scenario list\n"
	"       walklab scenario run NAME [--seed N] [--timeout S] [--short] "
	"[--inject on|off]\n"
	"       walklab scenario run --all [--seed N] [--short] "
	"[--inject on|off]\n"
	"  run: the scenario's backend and configuration until the first "
	"watched\n"
	"  violation or the bound (--timeout, default per scenario; "
	"--short: ctest's\n"
	"  shorter bound for a safe one); the last line is NAME: expected "
	"X, observed\n"
	"  Y in T s[, power P against TWIN]: MATCH|MISMATCH (exit 0 only on "
	"MATCH).\n"
	"  --all: every scenario, then a table; exit 0 only if every one "
	"ran and\n"
	"  matched\n";

static const struct wl_scenario *find(const char *name)
{
	for (size_t i = 0; i < WL_NR_SCENARIOS; i++)
		if (!strcmp(name, wl_scenarios[i].name))
			return &wl_scenarios[i];
	wl_usage_error("unknown scenario '%s'; valid: %s", name,
		       wl_scenario_names());
	return NULL;
}

/* The backend executable of sc into path; false if it is not built. */
static bool exe_path(const struct wl_scenario *sc, char *path, size_t n)
{
	snprintf(path, n, "%s/walklab-%s", wl_exe_dir(), sc->backend);
	return !access(path, X_OK);
}

/*
 * walklab-<id> scenario NAME [opts]: opts are argv[first..argc).  io NULL:
 * inherit our streams.  Returns its exit status, or 1.
 */
static int run_one(const struct wl_scenario *sc, const char *path, int argc,
		   char **argv, int first, const struct wl_spawn_io *io)
{
	char **args = calloc((size_t)argc + 3, sizeof(*args));
	int n = 0, st;

	if (!args)
		return 1;
	args[n++] = (char *)path;
	args[n++] = "scenario";
	args[n++] = (char *)sc->name;
	for (int i = first; i < argc; i++)
		args[n++] = argv[i];
	st = wl_spawn_wait(args, io);
	free(args);
	return st < 0 ? 1 : st;
}

/* The last line of file into buf ("" if none). */
static void last_line(const char *file, char *buf, size_t n)
{
	char line[1024];
	FILE *f = fopen(file, "r");

	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		snprintf(buf, n, "%s", line);
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
}

/*
 * One table row from a verdict line "NAME: expected X, observed Y in T s
 * [...][, power P against TWIN (...)| , power unknown (...)]: VERDICT".
 */
static void print_row(const struct wl_scenario *sc, const char *v, int st)
{
	char observed[32] = "?", power[32] = "-", *p;
	double secs = -1;
	const char *tail = strrchr(v, ':');

	p = strstr(v, ", observed ");
	if (p)
		sscanf(p, ", observed %31s in %lf s", observed, &secs);
	p = strstr(v, ", power ");
	if (p && !strncmp(p, ", power unknown", 15))
		snprintf(power, sizeof(power), "unknown");
	else if (p)
		sscanf(p, ", power %31s", power);
	printf("%-28s %-10s %-10s %8.3f %-8s %s\n", sc->name, sc->expect,
	       observed, secs, power,
	       st == 0 && tail && strstr(tail, "MATCH") ? "MATCH" : "MISMATCH");
}

/* run --all's options: those that mean the same for every scenario. */
static void check_all_options(int argc, char **argv)
{
	for (int i = 3; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--short") || !strcmp(o, "--quiet"))
			continue;
		if (!strcmp(o, "--seed"))
			wl_parse_u64(o, v, 0, UINT64_MAX);
		else if (!strcmp(o, "--inject"))
			wl_parse_bool(o, v);
		else if (!strcmp(o, "--timeout"))
			wl_parse_u64("--timeout (whole seconds with --all)", v,
				     1, 3600);
		else
			wl_usage_error("scenario run --all: unknown option "
				       "'%s'; valid: --seed N, --timeout S, "
				       "--inject on|off, --short, --quiet",
				       o);
		i++;
	}
}

/* run --all [opts]: every scenario, a table; 0 only if all matched. */
static int run_all(int argc, char **argv)
{
	char dir[] = "/tmp/walklab-scenarios-XXXXXX", path[PATH_MAX];
	char log[PATH_MAX + 64], v[1024];
	unsigned int bad = 0, missing = 0;

	check_all_options(argc, argv);
	if (!mkdtemp(dir)) {
		perror("walklab: mkdtemp");
		return 1;
	}
	printf("logs in %s\n%-28s %-10s %-10s %8s %-8s %s\n", dir, "scenario",
	       "expect", "observed", "time_s", "power", "verdict");
	for (size_t i = 0; i < WL_NR_SCENARIOS; i++) {
		const struct wl_scenario *sc = &wl_scenarios[i];
		struct wl_spawn_io io = {0};
		int st;

		if (!exe_path(sc, path, sizeof(path))) {
			printf("%-28s %-10s %-10s %8s %-8s NOT BUILT (%s)\n",
			       sc->name, sc->expect, "-", "-", "-",
			       sc->backend);
			missing++;
			continue;
		}
		snprintf(log, sizeof(log), "%s/%s.log", dir, sc->name);
		io.out = io.err = log;
		st = run_one(sc, path, argc, argv, 3, &io);
		last_line(log, v, sizeof(v));
		print_row(sc, v, st);
		bad += st != 0;
		fflush(stdout);
	}
	printf("%zu scenarios: %zu MATCH, %u MISMATCH, %u not built\n",
	       (size_t)WL_NR_SCENARIOS, WL_NR_SCENARIOS - bad - missing, bad,
	       missing);
	return bad || missing ? 1 : 0;
}

int wl_scenario_cmd(int argc, char **argv)
{
	static const char *const sub[] = {"list", "run", NULL};
	const struct wl_scenario *sc;
	char path[PATH_MAX];

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
		wl_usage_error("scenario run needs a NAME or --all; valid: %s",
			       wl_scenario_names());
	if (!strcmp(argv[2], "--all"))
		return run_all(argc, argv);
	sc = find(argv[2]);
	if (!exe_path(sc, path, sizeof(path)))
		wl_usage_error("scenario %s needs backend %s, which is not "
			       "built (no %s)",
			       sc->name, sc->backend, path);
	return run_one(sc, path, argc, argv, 3, NULL);
}
