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
	"usage: walklab-<id> scenario NAME [--seed N] [--timeout S] [--short] "
	"[--inject on|off] [torture options]\n"
	"  runs the scenario's configuration until the first watched "
	"violation\n"
	"  or the bound (--short: ctest's shorter bound for a safe "
	"scenario); the\n"
	"  last line says whether history was matched, and for a safe "
	"scenario the\n"
	"  power of the bound run against its buggy twin\n"
	"       walklab-<id> scenario --names\n"
	"  every scenario's NAME and BACKEND, one a line\n";

/* How the run differs from the scenario as its twin was measured. */
struct run_mode {
	bool short_run; /* --short: ctest's bound */
	bool changed;	/* a torture option other than --seed/--timeout */
};

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
			    struct wl_torture_config *c, bool short_run)
{
	char buf[1024], *words[MAX_WORDS];
	int nw;

	wl_torture_config_default(c);
	c->inject = true;
	c->quiet = false;
	c->duration_ns = wl_scenario_bound_ms(sc, short_run) * 1000000ull;
	/* ThreadSanitizer runs 5-20x slower: give a reproduction longer. */
	if (WL_TSAN && !wl_scenario_safe(sc))
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

/* --short anywhere after NAME: ctest's bound. */
static bool want_short(int argc, char **argv)
{
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--short"))
			return true;
	return false;
}

/*
 * The user's options, which override the scenario's: --timeout S is
 * --duration S here.  Any but --seed, --timeout, --short, --quiet and
 * --inject on changes the configuration the twin was measured in.
 */
static void user_config(int argc, char **argv, struct wl_torture_config *c,
			struct run_mode *m)
{
	char *uw[MAX_WORDS], durbuf[32];
	int un = 0;

	uw[un++] = "scenario";
	for (int i = 2; i < argc && un < 60; i++) {
		bool arg = i + 1 < argc;

		if (!strcmp(argv[i], "--short"))
			continue;
		if (!strcmp(argv[i], "--timeout")) {
			if (!arg)
				wl_usage_error("--timeout needs a value");
			snprintf(durbuf, sizeof(durbuf), "%s", argv[++i]);
			uw[un++] = "--duration";
			uw[un++] = durbuf;
			continue;
		}
		if (!strcmp(argv[i], "--seed") && arg) {
			uw[un++] = argv[i++];
		} else if (!strcmp(argv[i], "--inject") && arg) {
			m->changed |= !wl_parse_bool("--inject", argv[i + 1]);
			uw[un++] = argv[i++];
		} else if (strcmp(argv[i], "--quiet")) {
			m->changed = true;
		}
		uw[un++] = argv[i];
	}
	uw[un] = NULL;
	wl_torture_parse(un, uw, c);
	if (!c->duration_ns)
		wl_usage_error("--timeout must be above 0");
}

/* Sanitizers slow everything: a twin measured without them says little. */
#if WL_TSAN || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/*
 * ", power P against TWIN (median M s)" or why it is unknown: the power of
 * the time actually run, against the twin's measured median TTF.
 */
static void power_text(const struct wl_scenario *sc, const struct run_mode *m,
		       double ran_ms, char *buf, size_t n)
{
	if (!sc->twin || !sc->twin_median_ms)
		snprintf(buf, n, ", power unknown (no twin measured)");
	else if (SANITIZED)
		snprintf(buf, n,
			 ", power unknown (%s measured without sanitizers)",
			 sc->twin);
	else if (m->changed)
		snprintf(buf, n,
			 ", power unknown (options differ from those %s was "
			 "measured with)",
			 sc->twin);
	else
		snprintf(buf, n, ", power %.3f against %s (median %.3f s)",
			 wl_scenario_power(sc, ran_ms), sc->twin,
			 sc->twin_median_ms / 1000.0);
}

/*
 * NAME: expected X, observed Y in T s[ (short bound...)][, power ...]:
 * MATCH|MISMATCH; 0 on a match.
 */
static int verdict(const struct wl_scenario *sc, const struct run_mode *m,
		   const struct wl_torture_result *r)
{
	bool want_repro = !wl_scenario_safe(sc);
	char power[192] = "", bound[96] = "";
	bool repro, match;
	double secs;

	if (want_repro) {
		repro = r->first_ns != 0;
		secs = (double)(repro ? r->first_ns : r->elapsed_ns) / 1e9;
	} else {
		repro = !r->success;
		secs = (double)(r->first_ns ? r->first_ns : r->elapsed_ns) /
		       1e9;
		power_text(sc, m, (double)r->elapsed_ns / 1e6, power,
			   sizeof(power));
		if (m->short_run)
			snprintf(bound, sizeof(bound),
				 " (ctest's short bound; the full one is "
				 "%.1f s)",
				 wl_scenario_bound_ms(sc, false) / 1000.0);
	}
	match = repro == want_repro;
	printf("%s: expected %s, observed %s in %.3f s%s%s: %s\n", sc->name,
	       sc->expect, repro ? "reproduced" : "safe", secs, bound, power,
	       match ? "MATCH" : "MISMATCH");
	return match ? 0 : 1;
}

int wl_scenario_main(int argc, char **argv)
{
	const struct wl_scenario *sc;
	struct wl_torture_config c;
	struct wl_torture_result r;
	struct run_mode m = {0};
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
	m.short_run = want_short(argc, argv);
	scenario_config(sc, &c, m.short_run);
	user_config(argc, argv, &c, &m);
	torture_validate(&c);
	snprintf(c.context, sizeof(c.context),
		 "backend=%s walklab scenario run %s --seed %llu%s",
		 wl_backend.name, sc->name, (unsigned long long)c.seed,
		 m.short_run ? " --short" : "");
	ret = wl_torture_run(&c, &r, stdout);
	if (ret) {
		fprintf(stderr, "walklab: scenario %s could not start: %s\n",
			sc->name, strerror(-ret));
		return 1;
	}
	return verdict(sc, &m, &r);
}
