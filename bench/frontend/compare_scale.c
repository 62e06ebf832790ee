// SPDX-License-Identifier: MIT
/*
 * compare_scale.c - compare's scale sweep: for each sync strategy of the
 * table below that was built and chosen, `walklab-<id> measure
 * --workloads scale` (the sync on 1, 2, 4 .. 256 simulated CPUs, counted,
 * timed up to the host's PUs and projected above: measure_scale.c), its
 * rows appended to results.csv.  With --quick the sweep stops at 8 CPUs.
 *
 * About a second per strategy on the 2-PU host (quiet); the sweep uses
 * fewer repetitions than the default matrix: 100 syncs per N within the
 * PUs, 2 above (20 and 1 with --quick).
 */
#include "frontend.h"
#include "subprocess.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/*
 * The sync strategies, one line each, by backend configuration id: a new
 * strategy (lockless_walk_helpers-targeted, say) is one more line.
 */
static const char *const scale_strategies[] = {
	"lockless_walk_helpers-today", /* sync IPI to every CPU */
	"ipi",			       /* IPI broadcast at table free */
	"rcu-memb",		       /* a grace period */
	"atomic_readers-percpu",       /* polls of per-CPU reader counts */
};

static bool chosen(const struct wl_compare_scale *s, const char *id)
{
	for (int i = 0; i < s->nr; i++)
		if (!strcmp(s->ids[i], id))
			return true;
	return false;
}

static int scale_one(const struct wl_compare_scale *s, FILE *csv,
		     const char *id)
{
	char raw[PATH_MAX + 64], err[PATH_MAX + 64], exe[PATH_MAX];
	char *args[] = {exe,	  "measure",	   "--workloads",
			"scale",  "--arch",	   (char *)s->arch,
			"--seed", (char *)s->seed, s->quick ? "--quick" : NULL,
			NULL};
	const struct wl_spawn_io io = {.out = raw, .err = err};

	snprintf(exe, sizeof(exe), "%s", wl_fe_backend_path(id));
	snprintf(raw, sizeof(raw), "%s/raw/%s-scale.csv", s->tmp, id);
	snprintf(err, sizeof(err), "%s/raw/%s-scale.log", s->tmp, id);
	if (s->tty)
		fprintf(stderr, "\r[scale] %-32s", id);
	if (wl_spawn_wait(args, &io)) {
		fprintf(stderr, "\nwalklab: %s scale sweep failed; see %s\n",
			id, err);
		return -1;
	}
	return s->append(csv, raw, s->prov) < 0 ? -1 : 0;
}

int wl_compare_scale(const struct wl_compare_scale *s, FILE *csv)
{
	size_t n = sizeof(scale_strategies) / sizeof(scale_strategies[0]);
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++)
		if (chosen(s, scale_strategies[i]))
			ret = scale_one(s, csv, scale_strategies[i]);
	if (s->tty)
		fprintf(stderr, "\n");
	return ret;
}
