/* SPDX-License-Identifier: MIT */
/*
 * check.h - the correctness oracle and fault injection.
 *
 * Violations are counted by type; the first few of each are printed with
 * the CPU, address, table, backend and seed that reproduce the run.  The
 * checker is a run-time switch (wl_check_enabled) so that its cost can be
 * measured on and off in the same binary.
 *
 * Fault injection widens race windows: random delays between the walker's
 * levels and between a writer's unlink, flush and free (rcutorture's read
 * delays), so that negative controls fail within seconds on two cores.
 */
#ifndef WALKLAB_CHECK_H
#define WALKLAB_CHECK_H

#include "compiler.h"

#include <stdio.h>

enum wl_violation {
	WL_V_TABLE_UAF,	      /* a table walked was freed under the section */
	WL_V_POISON_READ,     /* the walker read a poisoned entry */
	WL_V_STALE_PIN,	      /* pinned a folio not mapped at the address */
	WL_V_PIN_AFTER_NOPIN, /* a writer decided "no pins", found one */
	WL_V_REF_IMBALANCE,   /* refcount/pincount off at teardown */
	WL_V_STALL,	      /* a wait exceeded the stall threshold */
	WL_V_ORPHAN_PTE,      /* an entry left where no VMA or no table is */
	WL_NR_VIOLATIONS,
};

extern bool wl_check_enabled;
extern uint64_t wl_check_seed;

const char *wl_violation_name(enum wl_violation v);
/* Count one; print it (with fmt's details) if it is among the first few. */
void wl_violation(enum wl_violation v, const char *fmt, ...) __wl_printf(2, 3);
uint64_t wl_violation_count(enum wl_violation v);
uint64_t wl_violations_total(void);
void wl_violations_reset(void);
/* "table_uaf=0 poison_read=0 ..." */
void wl_violations_print(FILE *f);
/* Limit on printed reports per type (default 3). */
void wl_violation_set_print_limit(unsigned int n);
/* wl_now_ns() of the first violation of type v since the reset; 0: none. */
uint64_t wl_violation_first_ns(enum wl_violation v);

/*
 * A holder of GUP references checks them while it holds them (before the
 * put): a folio some writer has decided had no pins (PG_nopin: collapse's
 * isolate, migration's freeze) must not be among them, since a reference
 * held across such a decision means the decision was wrong.  No-op while
 * the checker is off.
 */
struct wl_page;
void wl_check_held_pages(struct wl_page *const *pages, unsigned long nr,
			 uint64_t start);
/*
 * The same for a holder of FOLL_PIN pins: a page fork has decided was not
 * pinned and shares with its child (PG_cow_shared, core/fork.c) must not
 * be among them.  Counted as pin_after_nopin.  No-op with the checker off.
 */
void wl_check_held_pins(struct wl_page *const *pages, unsigned long nr,
			uint64_t start);

/*
 * orphan_pte: a fault installed a PTE after its table was detached (found
 * when the table is freed or reused with an entry in it), or after its
 * VMA was unmapped (found when mmap() creates a VMA over a range that
 * still maps something).  The SPF's mmap_seq check exists to prevent
 * both (core/fault.c).  No-ops while the checker is off.  The range
 * check runs under mmap_lock for write.
 */
struct wl_mm;
void wl_check_table_empty(uint32_t table, const char *when);
void wl_check_range_unmapped(struct wl_mm *mm, uint64_t start, uint64_t end);

/* Fault-injection points. */
enum wl_inject_point {
	WL_INJ_WALK_LEVEL,    /* walker, between reading a level and the next */
	WL_INJ_WALK_PIN,      /* walker, between the pin and the recheck */
	WL_INJ_WRITER_UNLINK, /* writer, after unlinking, before the flush */
	WL_INJ_WRITER_FREE,   /* writer, after the flush, before the free */
	WL_INJ_SPF_PTL, /* speculative fault: PMD checked, PTE lock not taken */
	WL_INJ_WALK_GAP, /* walker, between two walks: outside any section */
	WL_NR_INJECT,
};

struct wl_inject_config {
	bool enabled;
	/* Probability, in parts per 65536, of a delay at each point. */
	uint32_t prob[WL_NR_INJECT];
	/* Delay: a spin of up to max_ns, or a sched_yield() (half the time). */
	uint64_t max_ns;
	/*
	 * Paravirt: at a walker's points (WL_INJ_WALK_*), the host preempts
	 * its vCPU with this probability (parts per 65536), for a yield and
	 * a spin of up to vcpu_max_ns (wl_arch_vcpu_preempt(), arch.h).
	 */
	uint32_t vcpu_preempt_prob;
	uint64_t vcpu_max_ns;
};
extern struct wl_inject_config wl_inject_cfg;
/*
 * Tests: called at every injection point while injection is enabled, to
 * run a writer step exactly there (between the walker's pin and recheck,
 * say).  NULL otherwise.
 */
extern void (*wl_inject_hook)(enum wl_inject_point p);
void wl_inject_slow(enum wl_inject_point p);

/* Per-thread xorshift state, seeded from wl_check_seed and the CPU id. */
uint64_t wl_random(void);
void wl_random_seed(uint64_t seed);

static __wl_always_inline void wl_inject(enum wl_inject_point p)
{
	if (unlikely(wl_inject_cfg.enabled))
		wl_inject_slow(p);
}

/* A one-line description of the run, printed with each violation. */
void wl_check_set_context(const char *ctx);

#endif /* WALKLAB_CHECK_H */
