// SPDX-License-Identifier: MIT
/*
 * scenario_main.c - `walklab-<id> scenario NAME [options]`: one scenario
 * of the library (scenarios.h) on this backend, run as a torture until
 * the first watched violation or the bound, and the verdict line; and
 * `walklab-<id> scenario --names`, the table for the test registration.
 */
#include "backend.h"
#include "cli.h"
#include "scenarios.h"
#include "torture_internal.h"

#include <string.h>

#define MAX_WORDS 64

static const char scenario_usage[] =
	"usage: walklab-<id> scenario NAME [--seed N] [--timeout S] "
	"[--inject on|off] [torture options]\n"
	"  runs the scenario's configuration until the first watched "
	"violation\n"
	"  or the bound; the last line says whether history was matched\n"
	"       walklab-<id> scenario --names\n"
	"  every scenario's NAME and BACKEND, one a line\n";

/* NAME BACKEND, one a line: what the tests register (tests/). */
static void print_names(void)
{
	for (size_t i = 0; i < WL_NR_SCENARIOS; i++)
		printf("%s %s\n", wl_scenarios[i].name,
		       wl_scenarios[i].backend);
}

/* The scenario named name, on this backend, or exit(2). */
static const struct wl_scenario *find_scenario(const char *name)
{
	const struct wl_scenario *sc = NULL;

	for (size_t i = 0; i < WL_NR_SCENARIOS; i++)
		if (!strcmp(name, wl_scenarios[i].name))
			sc = &wl_scenarios[i];
	if (!sc)
		wl_usage_error("unknown scenario '%s'; valid: %s", name,
			       wl_scenario_names());
	if (strcmp(sc->backend, wl_backend.name))
		wl_usage_error("scenario %s runs on backend %s, this is "
			       "walklab-%s",
			       sc->name, sc->backend, wl_backend.name);
	return sc;
}

/* Split a scenario's option string into argv words (no quoting needed). */
static int split_words(const char *s, char *buf, size_t n, char **words,
		       int max)
{
	int nw = 0;
	char *save, *tok;

	snprintf(buf, n, "%s", s);
	for (tok = strtok_r(buf, " ", &save); tok && nw < max;
	     tok = strtok_r(NULL, " ", &save))
		words[nw++] = tok;
	return nw;
}

/* The scenario's defaults, bound, watch list, options and arch. */
static void scenario_config(const struct wl_scenario *sc,
			    struct wl_torture_config *c)
{
	char buf[1024], *words[MAX_WORDS];
	int nw;

	wl_torture_config_default(c);
	c->inject = true;
	c->quiet = false;
	c->duration_ns = (uint64_t)sc->bound_s * 1000000000ull;
	/* ThreadSanitizer runs 5-20x slower: give a reproduction longer. */
	if (WL_TSAN && !strcmp(sc->expect, "reproduced"))
		c->duration_ns *= 4;
	if (wl_torture_parse_watch(sc->watch, &c->stop_mask))
		wl_usage_error("scenario %s: bad watch list '%s'", sc->name,
			       sc->watch);
	words[0] = "scenario";
	nw = 1 + split_words(sc->options, buf, sizeof(buf), words + 1, 40);
	words[nw++] = "--arch";
	words[nw++] = (char *)sc->arch;
	words[nw] = NULL;
	wl_torture_parse(nw, words, c);
}

/* The user's options, which override the scenario's: --timeout S is
 * --duration S here. */
static void user_config(int argc, char **argv, struct wl_torture_config *c)
{
	char *uw[MAX_WORDS], durbuf[32];
	int un = 0;

	uw[un++] = "scenario";
	for (int i = 2; i < argc && un < 60; i++) {
		if (!strcmp(argv[i], "--timeout")) {
			if (i + 1 >= argc)
				wl_usage_error("--timeout needs a value");
			snprintf(durbuf, sizeof(durbuf), "%s", argv[++i]);
			uw[un++] = "--duration";
			uw[un++] = durbuf;
		} else {
			uw[un++] = argv[i];
		}
	}
	uw[un] = NULL;
	wl_torture_parse(un, uw, c);
	if (!c->duration_ns)
		wl_usage_error("--timeout must be above 0");
}

/* NAME: expected X, observed Y in T s: MATCH|MISMATCH; 0 on a match. */
static int verdict(const struct wl_scenario *sc,
		   const struct wl_torture_result *r)
{
	bool want_repro = !strcmp(sc->expect, "reproduced");
	bool repro, match;
	double secs;

	if (want_repro) {
		repro = r->first_ns != 0;
		secs = (double)(repro ? r->first_ns : r->elapsed_ns) / 1e9;
	} else {
		repro = !r->success;
		secs = (double)(r->first_ns ? r->first_ns : r->elapsed_ns) /
		       1e9;
	}
	match = repro == want_repro;
	printf("%s: expected %s, observed %s in %.3f s: %s\n", sc->name,
	       sc->expect, repro ? "reproduced" : "safe", secs,
	       match ? "MATCH" : "MISMATCH");
	return match ? 0 : 1;
}

int wl_scenario_main(int argc, char **argv)
{
	const struct wl_scenario *sc;
	struct wl_torture_config c;
	struct wl_torture_result r;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "--help")) {
		fputs(scenario_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? WL_EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "--names")) {
		if (argc > 2)
			wl_usage_error("scenario --names takes no arguments");
		print_names();
		return 0;
	}
	sc = find_scenario(argv[1]);
	scenario_config(sc, &c);
	user_config(argc, argv, &c);
	torture_validate(&c);
	snprintf(c.context, sizeof(c.context),
		 "backend=%s walklab scenario run %s --seed %llu",
		 wl_backend.name, sc->name, (unsigned long long)c.seed);
	ret = wl_torture_run(&c, &r, stdout);
	if (ret) {
		fprintf(stderr, "walklab: scenario %s could not start: %s\n",
			sc->name, strerror(-ret));
		return 1;
	}
	return verdict(sc, &r);
}
