// SPDX-License-Identifier: MIT
/*
 * calib_urcu.c - liburcu's own costs, one flavor per object file.
 *
 * Built once per installed flavor with -DWL_URCU_FLAVOR_<MEMB|QSBR|MB|BP|
 * SIGNAL> (bench/calib/CMakeLists.txt).  liburcu's symbols carry a flavor
 * prefix (urcu_memb_read_lock, urcu_qsbr_synchronize_rcu, ...), so every
 * flavor's library links into one binary; but each flavor's static header
 * (urcu/static/urcu-<flavor>.h) also defines generic helpers and macros
 * that are only meant to be included once per translation unit, so each
 * flavor gets a translation unit of its own: this file, compiled with a
 * different definition.  _LGPL_SOURCE makes urcu_<flavor>_read_lock() the
 * header's inline fast path, as the rcu backend has it; without it we
 * would time a call through the PLT.
 *
 * Method: each function times n operations together with two clock reads
 * and returns the elapsed nanoseconds; calib_urcu_probe.c runs them
 * through the harness (calib_harness.c), which divides and repeats.
 *
 *  - read_pairs: n times read_lock(); read_unlock(); on a registered
 *    thread.  A compiler barrier per turn keeps the loop (qsbr's pair is
 *    empty: what is left is the loop itself, about a cycle).
 *  - sync: n synchronize_rcu() from a registered thread, no reader in a
 *    critical section (so no reader to wait for: what is measured is the
 *    grace-period machinery itself, with its memory barriers; memb issues
 *    membarrier(2), signal signals every registered thread, itself
 *    included).  A qsbr caller is put offline by liburcu for the wait.
 *  - quiescent (qsbr only): n urcu_qsbr_quiescent_state(), qsbr's real
 *    read-side cost, paid once per "quiescent point" of a reader.
 *
 * Sources of error: the clock reads (one pair per n operations,
 * negligible for the n the harness picks); the loop overhead is included.
 */
#define _LGPL_SOURCE
#include "calib_urcu.h"

#include <stdint.h>

#if defined(WL_URCU_FLAVOR_MEMB)
#include <urcu/urcu-memb.h>
#define FLAVOR memb
#elif defined(WL_URCU_FLAVOR_QSBR)
#include <urcu/urcu-qsbr.h>
#define FLAVOR		  qsbr
#define FLAVOR_HAS_QSTATE 1
#elif defined(WL_URCU_FLAVOR_MB)
#include <urcu/urcu-mb.h>
#define FLAVOR mb
#elif defined(WL_URCU_FLAVOR_BP)
#include <urcu/urcu-bp.h>
#define FLAVOR bp
/*
 * liburcu 0.13's bp flavor declares struct urcu_bp_reader cache-line
 * (128-byte) aligned but carves the readers out of its arena at smaller
 * offsets, so UBSan's alignment check fires inside the inlined read lock
 * (urcu/static/urcu-bp.h); x86 does not care.  Not ours to fix:
 * bench/calib/CMakeLists.txt compiles this object with
 * -fno-sanitize=alignment (an attribute on our function would not reach
 * the inlined callee).
 */
#elif defined(WL_URCU_FLAVOR_SIGNAL)
#include <urcu/urcu-signal.h>
#define FLAVOR signal
#else
#error "define one of WL_URCU_FLAVOR_{MEMB,QSBR,MB,BP,SIGNAL}"
#endif

#define CAT3_(a, b, c) a##b##c
#define CAT3(a, b, c)  CAT3_(a, b, c)
#define STR_(x)	       #x
#define STR(x)	       STR_(x)
/* urcu_<flavor>_<fn>; rescanned, so the _LGPL_SOURCE inline is used. */
#define URCU(fn) CAT3(urcu_, FLAVOR, _##fn)
#define OPS_NAME CAT3(wl_calib_urcu_, FLAVOR, )

static void flavor_register(void)
{
	URCU(register_thread)();
}

static void flavor_unregister(void)
{
	URCU(unregister_thread)();
}

static uint64_t flavor_read_pairs(uint64_t n)
{
	uint64_t t0 = wl_calib_clock_ns();

	for (uint64_t i = 0; i < n; i++) {
		URCU(read_lock)();
		URCU(read_unlock)();
		/* Keep the loop: qsbr's pair compiles to nothing. */
		__asm__ __volatile__("" ::: "memory");
	}
	return wl_calib_clock_ns() - t0;
}

static uint64_t flavor_sync(uint64_t n)
{
	uint64_t t0 = wl_calib_clock_ns();

	for (uint64_t i = 0; i < n; i++)
		URCU(synchronize_rcu)();
	return wl_calib_clock_ns() - t0;
}

#ifdef FLAVOR_HAS_QSTATE
static uint64_t flavor_quiescent(uint64_t n)
{
	uint64_t t0 = wl_calib_clock_ns();

	for (uint64_t i = 0; i < n; i++)
		URCU(quiescent_state)();
	return wl_calib_clock_ns() - t0;
}
#endif

const struct wl_calib_urcu_ops OPS_NAME = {
	.name = STR(FLAVOR),
	.reg = flavor_register,
	.unreg = flavor_unregister,
	.read_pairs = flavor_read_pairs,
	.sync = flavor_sync,
#ifdef FLAVOR_HAS_QSTATE
	.quiescent = flavor_quiescent,
#endif
};
