/* SPDX-License-Identifier: MIT */
/*
 * ring.h - the torture's flight recorder: a per-CPU event ring, as ftrace
 * keeps one (kernel/trace/ring_buffer.c), and the interleaving it shows at
 * the first violation.
 *
 * Every simulated CPU writes only its own ring (WL_RING_SIZE events, the
 * oldest overwritten); threads that are not CPUs (RCU callback threads)
 * share one more ring.  An event carries a timestamp, the event, an
 * address, a table, that table's generation and a value.  The events are
 * the walker's begin/end, its level reads (pgd, pud and pmd entries; the
 * PTE table once, on entry), its rechecks (one per PTE table or leaf) and
 * the generation check that failed; the writers' unlinks and installs of
 * upper-level entries, flushes, syncs, hand-overs to the backend, and the
 * allocator's free, allocation and in-place reuse of a table.  PTE clears
 * are not recorded: a zap writes 512 of them.
 *
 * The first violation freezes every ring (ftrace_dump_on_oops's
 * tracing_off()); wl_trace_dump() runs after the CPUs have stopped and
 * prints the violating CPU's last events merged, in timestamp order, with
 * every other CPU's events on the tables and entries its last walk used.
 * Slots carry a sequence number so that a slot written while it is read
 * (an RCU thread late by one event) is skipped, not shown torn.
 *
 * Off (wl_trace_on == 0) by default: the torture turns it on (--ring).
 * Hooks are one line: wl_trace(ev, addr, table, val).
 */
#ifndef WALKLAB_RING_H
#define WALKLAB_RING_H

#include "compiler.h"

#include <stdio.h>

#define WL_RING_ORDER 12
#define WL_RING_SIZE  (1u << WL_RING_ORDER) /* events per CPU */
#define WL_RING_OTHER (-1)		    /* the non-CPU threads' ring */

enum wl_tev {
	/* The walker. */
	WL_TEV_BEGIN,	/* addr: start, table: the mm's pgd */
	WL_TEV_END,	/* addr: start */
	WL_TEV_PTE,	/* entered PTE table `table` at addr */
	WL_TEV_PMD,	/* read table[index(addr)] = val */
	WL_TEV_PUD,	/* as PMD */
	WL_TEV_PGD,	/* as PMD */
	WL_TEV_RECHECK, /* val: pages that passed; WL_TEV_FAILED: one failed */
	WL_TEV_GEN, /* the generation moved: table, val the one first read */
	/* The writers. */
	WL_TEV_UNLINK, /* table[addr] (an index) cleared; val: the old entry */
	WL_TEV_SET,    /* table[addr] = val */
	WL_TEV_FLUSH,  /* TLB flush of [addr, val) */
	WL_TEV_SYNC,   /* tlb_remove_table_sync_one() returned */
	WL_TEV_DEFER,  /* table gathered to be freed (tlb_remove_table) */
	WL_TEV_FREE,   /* table freed (gen odd) */
	WL_TEV_ALLOC,  /* table allocated (gen even again) */
	WL_TEV_REUSE,  /* table refilled in place (gen + 2) */
	/* The checker. */
	WL_TEV_VIOLATION, /* val: enum wl_violation */
	WL_NR_TEV,
};
#define WL_TEV_FAILED UINT64_MAX
/* The level-read event of level L (enum wl_level: PTE 0 .. PGD 3). */
#define WL_TEV_LEVEL(l) ((enum wl_tev)(WL_TEV_PTE + (l)))

/* Relaxed: a switch, ordered by whatever starts the CPUs (a barrier). */
extern _Atomic int wl_trace_on;

void wl_trace_event(enum wl_tev ev, uint64_t addr, uint32_t table,
		    uint64_t val);

/* Call the recorder only while recording: one load and a branch. */
#define wl_trace_if_on(call)                                                   \
	do {                                                                   \
		if (atomic_load_explicit(&wl_trace_on, memory_order_relaxed))  \
			call;                                                  \
	} while (0)
#define wl_trace(ev, addr, table, val)                                         \
	wl_trace_if_on(wl_trace_event((ev), (addr), (table), (val)))

/* Entry i of table set or cleared to/from val: recorded above PTE level. */
void wl_trace_entry_event(enum wl_tev ev, uint32_t table, unsigned int i,
			  uint64_t val);
#define wl_trace_entry(ev, table, i, val)                                      \
	wl_trace_if_on(wl_trace_entry_event((ev), (table), (i), (val)))

/* Empty every ring and turn recording on or off (no CPU may be running). */
void wl_trace_reset(bool on);
/* Turn recording on or off, keeping the rings (between barriers). */
void wl_trace_set(bool on);
/* Events this CPU's ring has taken since the reset (its head). */
uint64_t wl_trace_count(int cpu);
/*
 * The first violation: record it on this CPU's ring and freeze all of
 * them.  Called by wl_violation(); a no-op when recording is off.
 */
void wl_trace_violation(unsigned int v);
/* Whether a violation froze the rings since the reset. */
bool wl_trace_frozen(void);
/* The CPU whose violation froze them (WL_RING_OTHER: not a CPU). */
int wl_trace_violator(void);

/* One event as read back. */
struct wl_tev_rec {
	uint64_t ts; /* ns, wl_now_ns() time */
	uint64_t addr, val, pos;
	uint32_t table, gen;
	enum wl_tev ev;
	int cpu;
};
/*
 * Copy cpu's ring, oldest first, into out (at most max): the events still
 * in it whose slot was not being rewritten.  Call with the CPU stopped.
 */
unsigned int wl_trace_read(int cpu, struct wl_tev_rec *out, unsigned int max);
const char *wl_tev_name(enum wl_tev ev);

/* The dump's bounds: the violating CPU's last events, the writers'. */
#define WL_DUMP_OWN	32
#define WL_DUMP_WRITERS 32
/*
 * After a violation froze the rings and every CPU stopped: print the
 * interleaving that led to it (see the top of this file) to f.  Prints
 * nothing if no violation froze the rings.  Returns the steps printed.
 */
unsigned int wl_trace_dump(FILE *f);

#endif /* WALKLAB_RING_H */
