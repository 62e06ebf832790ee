// SPDX-License-Identifier: MIT
/*
 * ring.c - the per-CPU event rings (see ring.h): recording and reading.
 *
 * Writing.  A CPU's ring is written by that CPU only: its thread, or a
 * signal handler interrupting it (an IPI).  The slot is reserved with one
 * xadd that is not locked (x86-64; this_cpu_inc_return()'s way): atomic
 * with respect to a handler on the same thread, with no bus lock.  Then
 * the slot's sequence is zeroed, the fields stored, and the sequence set
 * to the slot's position + 1.  The non-CPU ring is shared: its reservation
 * is a locked fetch-add.
 *
 * Timestamps are the TSC on x86-64 (rdtsc, not serializing: events a few
 * nanoseconds apart on two CPUs may show in either order; one CPU's own
 * events are in program order by their positions), converted to
 * wl_now_ns() time when read; elsewhere wl_now_ns() itself.
 */
#include "ring.h"
#include "pgtable.h"
#include "smp.h"
#include "util.h"

#include <string.h>

struct ring_slot {
	_Atomic uint64_t ts, addr, val;
	_Atomic uint32_t table, gen;
	_Atomic uint64_t seq; /* position + 1; 0 while being written */
	_Atomic uint8_t ev;
};

struct ring {
	__wl_cacheline_aligned _Atomic uint64_t head;
	struct ring_slot slot[WL_RING_SIZE];
};

/* [0] is the non-CPU ring, [1 + cpu] CPU cpu's. */
static struct ring rings[WL_NR_CPUS + 1];

_Atomic int wl_trace_on;
static _Atomic int frozen;
static int violator; /* written by the freezer, read after the joins */
static uint64_t clock_tsc0, clock_ns0;

static const char *const tev_names[WL_NR_TEV] = {
	[WL_TEV_BEGIN] = "begin",	  [WL_TEV_END] = "end",
	[WL_TEV_PTE] = "pte-table",	  [WL_TEV_PMD] = "read-pmd",
	[WL_TEV_PUD] = "read-pud",	  [WL_TEV_PGD] = "read-pgd",
	[WL_TEV_RECHECK] = "recheck",	  [WL_TEV_GEN] = "gen-moved",
	[WL_TEV_UNLINK] = "unlink",	  [WL_TEV_SET] = "install",
	[WL_TEV_FLUSH] = "flush",	  [WL_TEV_SYNC] = "sync",
	[WL_TEV_DEFER] = "remove-table",  [WL_TEV_FREE] = "free",
	[WL_TEV_ALLOC] = "alloc",	  [WL_TEV_REUSE] = "reuse",
	[WL_TEV_VIOLATION] = "VIOLATION",
};

const char *wl_tev_name(enum wl_tev ev)
{
	return ev < WL_NR_TEV ? tev_names[ev] : "?";
}

static __wl_always_inline uint64_t ring_clock(void)
{
#if defined(__x86_64__)
	return __builtin_ia32_rdtsc();
#else
	return wl_now_ns();
#endif
}

static struct ring *ring_of(int cpu)
{
	return cpu >= 0 && cpu < WL_NR_CPUS ? &rings[1 + cpu] : &rings[0];
}

/* The slot's position: signal-safe on the owner CPU, locked elsewhere. */
static __wl_always_inline uint64_t ring_reserve(struct ring *r, bool own)
{
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
	if (own) {
		uint64_t pos = 1;

		/* No lock prefix: one CPU; a handler runs between insns. */
		__asm__ volatile("xaddq %0, %1"
				 : "+r"(pos), "+m"(*(uint64_t *)&r->head));
		return pos;
	}
#else
	(void)own;
#endif
	return atomic_fetch_add_explicit(&r->head, 1, memory_order_relaxed);
}

void wl_trace_event(enum wl_tev ev, uint64_t addr, uint32_t table, uint64_t val)
{
	int cpu = smp_processor_id();
	struct ring *r = ring_of(cpu);
	uint64_t pos = ring_reserve(r, cpu >= 0);
	struct ring_slot *s = &r->slot[pos & (WL_RING_SIZE - 1)];
	uint32_t gen =
		table < wl_tables.nr ? READ_ONCE(wl_tables.desc[table].gen) : 0;

	atomic_store_explicit(&s->seq, 0, memory_order_relaxed);
	/*
	 * write_seqcount_begin(): orders the zeroed sequence before the
	 * fields; pairs with the smp_rmb() in wl_trace_read().
	 */
	smp_wmb();
	atomic_store_explicit(&s->ts, ring_clock(), memory_order_relaxed);
	atomic_store_explicit(&s->addr, addr, memory_order_relaxed);
	atomic_store_explicit(&s->val, val, memory_order_relaxed);
	atomic_store_explicit(&s->table, table, memory_order_relaxed);
	atomic_store_explicit(&s->gen, gen, memory_order_relaxed);
	atomic_store_explicit(&s->ev, (uint8_t)ev, memory_order_relaxed);
	/*
	 * Release: orders the fields before the sequence that validates
	 * them; pairs with the acquire load in wl_trace_read().
	 */
	atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
}

void wl_trace_entry_event(enum wl_tev ev, uint32_t table, unsigned int i,
			  uint64_t val)
{
	if (table < wl_tables.nr && wl_tables.desc[table].level != WL_PTE)
		wl_trace_event(ev, i, table, val);
}

void wl_trace_reset(bool on)
{
	/* A slot is valid only at a position below the head: no memset. */
	for (size_t i = 0; i < WL_ARRAY_SIZE(rings); i++)
		atomic_store_explicit(&rings[i].head, 0, memory_order_relaxed);
	atomic_store_explicit(&frozen, 0, memory_order_relaxed);
	clock_tsc0 = ring_clock();
	clock_ns0 = wl_now_ns();
	wl_trace_set(on);
}

void wl_trace_set(bool on)
{
	atomic_store_explicit(&wl_trace_on, on && !wl_trace_frozen(),
			      memory_order_relaxed);
}

uint64_t wl_trace_count(int cpu)
{
	return atomic_load_explicit(&ring_of(cpu)->head, memory_order_relaxed);
}

int wl_trace_violator(void)
{
	return violator >= 0 && violator < WL_NR_CPUS ? violator
						      : WL_RING_OTHER;
}

bool wl_trace_frozen(void)
{
	return atomic_load_explicit(&frozen, memory_order_relaxed);
}

void wl_trace_violation(unsigned int v)
{
	int zero = 0;

	if (!atomic_load_explicit(&wl_trace_on, memory_order_relaxed))
		return;
	/* Relaxed: the dump reads the rings after joining the CPUs. */
	if (!atomic_compare_exchange_strong_explicit(&frozen, &zero, 1,
						     memory_order_relaxed,
						     memory_order_relaxed))
		return;
	violator = smp_processor_id();
	wl_trace_event(WL_TEV_VIOLATION, 0, WL_TABLE_NONE, v);
	atomic_store_explicit(&wl_trace_on, 0, memory_order_relaxed);
}

/* TSC to wl_now_ns() time, from the reset to now (x86-64). */
static uint64_t ring_ns(uint64_t ts, double ns_per_tick)
{
#if defined(__x86_64__)
	return clock_ns0 +
	       (uint64_t)((double)(int64_t)(ts - clock_tsc0) * ns_per_tick);
#else
	(void)ns_per_tick;
	return ts;
#endif
}

/* One slot, if it still holds position pos whole; false otherwise. */
static bool read_slot(const struct ring_slot *s, uint64_t pos, double npt,
		      struct wl_tev_rec *e)
{
	/* Acquire: pairs with the release in wl_trace_event(). */
	uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);

	e->ts = ring_ns(atomic_load_explicit(&s->ts, memory_order_relaxed),
			npt);
	e->addr = atomic_load_explicit(&s->addr, memory_order_relaxed);
	e->val = atomic_load_explicit(&s->val, memory_order_relaxed);
	e->table = atomic_load_explicit(&s->table, memory_order_relaxed);
	e->gen = atomic_load_explicit(&s->gen, memory_order_relaxed);
	e->ev = atomic_load_explicit(&s->ev, memory_order_relaxed);
	e->pos = pos;
	/*
	 * read_seqcount_retry(): orders the field loads before the sequence
	 * reload; pairs with the smp_wmb() after the zeroing in
	 * wl_trace_event().
	 */
	smp_rmb();
	return seq == pos + 1 &&
	       atomic_load_explicit(&s->seq, memory_order_relaxed) == seq &&
	       e->ev < WL_NR_TEV;
}

unsigned int wl_trace_read(int cpu, struct wl_tev_rec *out, unsigned int max)
{
	const struct ring *r = ring_of(cpu);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t from = head > WL_RING_SIZE ? head - WL_RING_SIZE : 0;
	uint64_t dt = ring_clock() - clock_tsc0, dns = wl_now_ns() - clock_ns0;
	double npt = dt ? (double)dns / (double)dt : 1.0;
	unsigned int n = 0;

	if (head - from > max)
		from = head - max;
	for (uint64_t pos = from; pos < head; pos++) {
		struct wl_tev_rec *e = &out[n];

		if (read_slot(&r->slot[pos & (WL_RING_SIZE - 1)], pos, npt,
			      e)) {
			/* A thread moved to a vCPU whose TSC lags: keep the
			 * CPU's program order (its positions) in time. */
			if (n && e->ts < out[n - 1].ts)
				e->ts = out[n - 1].ts;
			e->cpu = cpu;
			n++;
		}
	}
	return n;
}
