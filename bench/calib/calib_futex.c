// SPDX-License-Identifier: MIT
/*
 * calib_futex.c - one GUP-fast of one page, through FUTEX_WAKE.
 *
 * FUTEX_WAKE with no waiters.  A private futex key is (mm, address); a
 * shared one calls get_user_pages_fast(address, 1, FOLL_WRITE, &page) in
 * get_futex_key(), looks at the folio (anonymous: key = mm + address) and
 * put_page()s it (kernel/futex/core.c; the GUP call verified in several
 * kernel versions).  The per-repetition difference shared - private is
 * one GUP-fast of one page + put + the folio checks.
 */
#include "calib_harness.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct futex_ctx {
	uint32_t *word;
	int op; /* FUTEX_WAKE or FUTEX_WAKE_PRIVATE */
};

static uint64_t op_futex(void *ctx, uint64_t n, int *err)
{
	struct futex_ctx *c = ctx;
	uint64_t t0 = wl_calib_clock_ns();

	for (uint64_t i = 0; i < n; i++) {
		if (syscall(SYS_futex, c->word, c->op, 1, NULL, NULL, 0) < 0) {
			*err = errno;
			return WL_CALIB_OP_FAIL;
		}
	}
	return wl_calib_clock_ns() - t0;
}

void wl_calib_futex(const struct wl_calib_opts *o, struct wl_calib_report *r)
{
	size_t pg = (size_t)getpagesize();
	uint32_t *word;
	struct futex_ctx priv, shared;
	struct wl_calib_op ops[2];
	unsigned int reps;

	word = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (word == MAP_FAILED) {
		for (int i = WL_CALIB_FUTEX_PRIVATE; i <= WL_CALIB_FUTEX_GUP;
		     i++)
			wl_calib_unavail(&r->e[i], "mmap: %s", strerror(errno));
		return;
	}
	*word = 0; /* prefault: GUP-fast finds it present and writable */
	priv = (struct futex_ctx){word, FUTEX_WAKE_PRIVATE};
	shared = (struct futex_ctx){word, FUTEX_WAKE};
	ops[0] = (struct wl_calib_op){
		.fn = op_futex, .ctx = &priv, .what = "futex"};
	ops[1] = (struct wl_calib_op){
		.fn = op_futex, .ctx = &shared, .what = "futex"};
	reps = wl_calib_ops_run(ops, 2, o);
	wl_calib_derive(&r->e[WL_CALIB_FUTEX_GUP], &ops[1], &ops[0], reps, 1.0,
			false);
	wl_calib_op_entry(&ops[0], reps, &r->e[WL_CALIB_FUTEX_PRIVATE]);
	wl_calib_op_entry(&ops[1], reps, &r->e[WL_CALIB_FUTEX_SHARED]);
	wl_calib_ops_free(ops, 2);
	munmap(word, pg);
}
