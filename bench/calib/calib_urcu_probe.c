// SPDX-License-Identifier: MIT
/*
 * calib_urcu_probe.c - liburcu's read-side and grace-period costs, for
 * every flavor found at build time.  The timed loops are in calib_urcu.c,
 * one object per flavor (see there for what each figure is); this file
 * registers the thread with each flavor in turn and runs them.
 */
#include "calib_harness.h"

#define URCU_OPS(f) &wl_calib_urcu_##f
#ifdef WL_HAVE_URCU_MEMB
extern const struct wl_calib_urcu_ops wl_calib_urcu_memb;
#define OPS_MEMB URCU_OPS(memb)
#else
#define OPS_MEMB NULL
#endif
#ifdef WL_HAVE_URCU_QSBR
extern const struct wl_calib_urcu_ops wl_calib_urcu_qsbr;
#define OPS_QSBR URCU_OPS(qsbr)
#else
#define OPS_QSBR NULL
#endif
#ifdef WL_HAVE_URCU_MB
extern const struct wl_calib_urcu_ops wl_calib_urcu_mb;
#define OPS_MB URCU_OPS(mb)
#else
#define OPS_MB NULL
#endif
#ifdef WL_HAVE_URCU_BP
extern const struct wl_calib_urcu_ops wl_calib_urcu_bp;
#define OPS_BP URCU_OPS(bp)
#else
#define OPS_BP NULL
#endif
#ifdef WL_HAVE_URCU_SIGNAL
extern const struct wl_calib_urcu_ops wl_calib_urcu_signal;
#define OPS_SIGNAL URCU_OPS(signal)
#else
#define OPS_SIGNAL NULL
#endif

static uint64_t op_urcu_read(void *ctx, uint64_t n, int *err)
{
	(void)err;
	return ((const struct wl_calib_urcu_ops *)ctx)->read_pairs(n);
}

static uint64_t op_urcu_sync(void *ctx, uint64_t n, int *err)
{
	(void)err;
	return ((const struct wl_calib_urcu_ops *)ctx)->sync(n);
}

static uint64_t op_urcu_qs(void *ctx, uint64_t n, int *err)
{
	(void)err;
	return ((const struct wl_calib_urcu_ops *)ctx)->quiescent(n);
}

/* Flavor f's figures unavailable: not built. */
static void urcu_missing(struct wl_calib_report *r, int f)
{
	struct wl_calib_entry *e = &r->e[WL_CALIB_URCU_READ + f];

	wl_calib_unavail(e, "liburcu-%s not found at build time",
			 wl_calib_flavor_names[f]);
	wl_calib_unavail(&r->e[WL_CALIB_URCU_SYNC + f], "%s", e->reason);
	if (f == WL_URCU_QSBR)
		wl_calib_unavail(&r->e[WL_CALIB_URCU_QSBR_QS], "%s", e->reason);
}

/* One flavor, the calling thread registered with it meanwhile. */
static void urcu_flavor(const struct wl_calib_opts *o,
			struct wl_calib_report *r, int f,
			const struct wl_calib_urcu_ops *ops)
{
	struct wl_calib_op op;

	ops->reg();
	op = (struct wl_calib_op){
		.fn = op_urcu_read, .ctx = (void *)ops, .what = "read lock"};
	wl_calib_op_measure(&op, o, &r->e[WL_CALIB_URCU_READ + f]);
	op = (struct wl_calib_op){.fn = op_urcu_sync,
				  .ctx = (void *)ops,
				  .what = "synchronize_rcu"};
	wl_calib_op_measure(&op, o, &r->e[WL_CALIB_URCU_SYNC + f]);
	if (ops->quiescent) {
		op = (struct wl_calib_op){.fn = op_urcu_qs,
					  .ctx = (void *)ops,
					  .what = "quiescent_state"};
		wl_calib_op_measure(&op, o, &r->e[WL_CALIB_URCU_QSBR_QS]);
	}
	ops->unreg();
}

void wl_calib_urcu(const struct wl_calib_opts *o, struct wl_calib_report *r)
{
	const struct wl_calib_urcu_ops *const fl[WL_URCU_NR_FLAVORS] = {
		OPS_MEMB, OPS_QSBR, OPS_MB, OPS_BP, OPS_SIGNAL};

	for (int f = 0; f < WL_URCU_NR_FLAVORS; f++) {
		if (fl[f])
			urcu_flavor(o, r, f, fl[f]);
		else
			urcu_missing(r, f);
	}
}
