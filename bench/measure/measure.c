// SPDX-License-Identifier: MIT
/*
 * measure.c - the workloads of `walklab-<id> measure` by name, and the
 * row that closes a run.
 */
#include "measure.h"

#include <sys/resource.h>

const char *const wl_measure_names[WL_MEASURE_NR + 1] = {
	[WL_MEASURE_READ] = "read",
	[WL_MEASURE_WRITER] = "writer",
	[WL_MEASURE_MIXED] = "mixed",
	[WL_MEASURE_SLOWPATH] = "slowpath",
	[WL_MEASURE_COLLAPSE_RANGE] = "collapse-range",
	[WL_MEASURE_TRACKING] = "tracking",
	[WL_MEASURE_FALLBACK] = "fallback",
	[WL_MEASURE_FAULT] = "fault",
	[WL_MEASURE_LOCKED] = "locked",
	[WL_MEASURE_SCALE] = "scale",
	[WL_MEASURE_NR] = NULL,
};

int wl_measure_run(enum wl_measure_workload w, const struct wl_measure_ctx *c)
{
	static int (*const run[WL_MEASURE_NR])(
		const struct wl_measure_ctx *) = {
		[WL_MEASURE_READ] = wl_measure_read,
		[WL_MEASURE_WRITER] = wl_measure_writer,
		[WL_MEASURE_MIXED] = wl_measure_mixed,
		[WL_MEASURE_SLOWPATH] = wl_measure_slowpath,
		[WL_MEASURE_TRACKING] = wl_measure_tracking,
		[WL_MEASURE_FALLBACK] = wl_measure_fallback,
		[WL_MEASURE_FAULT] = wl_measure_fault,
		[WL_MEASURE_LOCKED] = wl_measure_locked,
		[WL_MEASURE_COLLAPSE_RANGE] = wl_measure_collapse_range,
		[WL_MEASURE_SCALE] = wl_measure_scale,
	};

	return run[w](c);
}

void wl_measure_process(const struct wl_measure_ctx *c)
{
	struct rusage ru;
	struct wl_row r;

	getrusage(RUSAGE_SELF, &ru);
	wl_row_init(&r, "process", "peak_rss_kib", "KiB");
	r.n = 1;
	r.min = r.median = r.max = (double)ru.ru_maxrss;
	wl_measure_emit(c, &r);
}
