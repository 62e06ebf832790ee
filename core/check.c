// SPDX-License-Identifier: MIT
/*
 * check.c - violation counters and fault injection (see check.h).
 */
#include "check.h"
#include "arch.h"
#include "internal.h"
#include "mm.h"
#include "page.h"
#include "pgtable.h"
#include "ring.h"
#include "smp.h"

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool wl_check_enabled = true;
uint64_t wl_check_seed = 1;
struct wl_inject_config wl_inject_cfg;
void (*wl_inject_hook)(enum wl_inject_point p);

static _Atomic uint64_t violations[WL_NR_VIOLATIONS];
static _Atomic uint64_t first_ns[WL_NR_VIOLATIONS];
static unsigned int print_limit = 3;
static char context[256] = "";

static const char *const violation_names[WL_NR_VIOLATIONS] = {
	[WL_V_TABLE_UAF] = "table_uaf",
	[WL_V_POISON_READ] = "poison_read",
	[WL_V_STALE_PIN] = "stale_pin",
	[WL_V_PIN_AFTER_NOPIN] = "pin_after_nopin",
	[WL_V_REF_IMBALANCE] = "ref_imbalance",
	[WL_V_STALL] = "stall",
	[WL_V_ORPHAN_PTE] = "orphan_pte",
};

const char *wl_violation_name(enum wl_violation v)
{
	return v < WL_NR_VIOLATIONS ? violation_names[v] : "?";
}

void wl_check_set_context(const char *ctx)
{
	snprintf(context, sizeof(context), "%s", ctx);
}

void wl_violation_set_print_limit(unsigned int n)
{
	print_limit = n;
}

void wl_violation(enum wl_violation v, const char *fmt, ...)
{
	uint64_t n = atomic_fetch_add_explicit(&violations[v], 1,
					       memory_order_relaxed);
	uint64_t zero = 0;
	char msg[256];
	va_list ap;

	wl_trace_violation(v);
	if (!n)
		atomic_compare_exchange_strong_explicit(
			&first_ns[v], &zero, wl_now_ns(), memory_order_relaxed,
			memory_order_relaxed);
	if (n >= print_limit)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr,
		"walklab: VIOLATION %s #%llu on CPU %d: %s [%s seed=%llu]\n",
		violation_names[v], (unsigned long long)n + 1,
		smp_processor_id(), msg, context,
		(unsigned long long)wl_check_seed);
}

uint64_t wl_violation_count(enum wl_violation v)
{
	return atomic_load_explicit(&violations[v], memory_order_relaxed);
}

uint64_t wl_violations_total(void)
{
	uint64_t t = 0;

	for (int v = 0; v < WL_NR_VIOLATIONS; v++)
		t += wl_violation_count(v);
	return t;
}

void wl_violations_reset(void)
{
	for (int v = 0; v < WL_NR_VIOLATIONS; v++) {
		atomic_store_explicit(&violations[v], 0, memory_order_relaxed);
		atomic_store_explicit(&first_ns[v], 0, memory_order_relaxed);
	}
}

uint64_t wl_violation_first_ns(enum wl_violation v)
{
	return atomic_load_explicit(&first_ns[v], memory_order_relaxed);
}

/*
 * A reference held on a page (on its folio, for folio-wide decisions) that
 * a writer flagged with its "no pins" decision: pin_after_nopin.
 */
static void check_held_flag(struct wl_page *const *pages, unsigned long nr,
			    uint64_t start, bool folio, uint32_t flag,
			    const char *what)
{
	if (!wl_check_enabled)
		return;
	for (unsigned long i = 0; i < nr; i++) {
		struct wl_page *p = folio ? page_folio(pages[i]) : pages[i];
		/*
		 * Relaxed is enough: we hold a reference, so the folio cannot
		 * be freed (which clears the flag) under us, and a writer's
		 * decision made while we held it was wrong whenever we see
		 * it; one we miss here is seen at the next check or not at
		 * all (the checker may miss, it must not lie).
		 */
		uint32_t fl =
			atomic_load_explicit(&p->flags, memory_order_relaxed);

		if (unlikely(fl & flag))
			wl_violation(
				WL_V_PIN_AFTER_NOPIN,
				"reference on pfn %llu (walk at %#llx) %s",
				(unsigned long long)page_to_pfn(pages[i]),
				(unsigned long long)(start + (i << PAGE_SHIFT)),
				what);
	}
}

void wl_check_held_pages(struct wl_page *const *pages, unsigned long nr,
			 uint64_t start)
{
	check_held_flag(pages, nr, start, true, PG_nopin,
			"held after a writer decided its folio had no pins");
}

void wl_check_held_pins(struct wl_page *const *pages, unsigned long nr,
			uint64_t start)
{
	check_held_flag(pages, nr, start, false, PG_cow_shared,
			"pinned while fork shares the page with its child: "
			"fork decided it was not pinned");
}

void wl_check_table_empty(uint32_t table, const char *when)
{
	if (!wl_check_enabled)
		return;
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		/* as this CPU sees it: its own buffered clear included */
		pteval_t v = pt_entry(table, i);

		if (!pte_none(v) && !pte_poisoned(v)) {
			wl_violation(WL_V_ORPHAN_PTE,
				     "table %u %s with entry %u = %#llx: "
				     "installed after the table was detached",
				     table, when, i, (unsigned long long)v);
			return;
		}
	}
}

/* The first address in [a, end) whose entry in table (level) is set. */
static uint64_t range_find_entry(uint32_t table, enum wl_level level,
				 uint64_t a, uint64_t end)
{
	const unsigned int shift = PAGE_SHIFT + 9 * (unsigned int)level;
	const uint64_t size = UINT64_C(1) << shift;

	for (; a < end; a = (a & ~(size - 1)) + size) {
		pteval_t v = pt_entry(table, (a >> shift) % PTRS_PER_TABLE);
		uint64_t next = WL_MIN((a & ~(size - 1)) + size, end), hit;

		if (pte_none(v))
			continue;
		if (level == WL_PTE || pte_leaf(v) || !pte_present(v) ||
		    !wl_table_valid(pte_pfn(v)))
			return a;
		hit = range_find_entry((uint32_t)pte_pfn(v),
				       (enum wl_level)(level - 1), a, next);
		if (hit != next)
			return hit;
	}
	return end;
}

void wl_check_range_unmapped(struct wl_mm *mm, uint64_t start, uint64_t end)
{
	uint64_t hit;

	if (!wl_check_enabled)
		return;
	hit = range_find_entry(mm->pgd, WL_PGD, start, end);
	if (hit != end)
		wl_violation(WL_V_ORPHAN_PTE,
			     "mmap of [%#llx, %#llx) finds %#llx mapped: "
			     "installed after its VMA was unmapped",
			     (unsigned long long)start, (unsigned long long)end,
			     (unsigned long long)hit);
}

void wl_violations_print(FILE *f)
{
	for (int v = 0; v < WL_NR_VIOLATIONS; v++)
		fprintf(f, "%s%s=%llu", v ? " " : "", violation_names[v],
			(unsigned long long)wl_violation_count(v));
	fputc('\n', f);
}

/* xorshift64*, one state per thread. */
static _Thread_local uint64_t rnd_state;

void wl_random_seed(uint64_t seed)
{
	rnd_state = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
}

uint64_t wl_random(void)
{
	uint64_t x = rnd_state;

	if (unlikely(!x))
		x = (wl_check_seed + (uint64_t)smp_processor_id() + 2) *
		    UINT64_C(0x9e3779b97f4a7c15);
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rnd_state = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

/*
 * The host preempts this vCPU here, in the middle of a walk (IRQs off or
 * not: the guest cannot mask the host), and runs it again after a yield
 * and a spin; a paravirt flush meanwhile leaves it to the resume.
 */
static void vcpu_preempt_point(void)
{
	int cpu = smp_processor_id();
	uint64_t r = wl_random();

	if (cpu < 0 || (r & 0xffff) >= wl_inject_cfg.vcpu_preempt_prob)
		return;
	wl_arch_vcpu_preempt(cpu);
	sched_yield();
	if (wl_inject_cfg.vcpu_max_ns)
		wl_delay_ns((r >> 16) % wl_inject_cfg.vcpu_max_ns);
	wl_arch_vcpu_resume(cpu);
}

void wl_inject_slow(enum wl_inject_point p)
{
	uint64_t r;

	if (wl_inject_hook) {
		wl_inject_hook(p);
		return;
	}
	/*
	 * An injection point is where a CPU may be delayed or interrupted:
	 * with poll delivery, a CPU with IRQs enabled takes its pending IPIs
	 * here too (as signal delivery would at any instruction), or a walker
	 * that does not mask IRQs would look IRQ-off between its polls.
	 */
	if (wl_ipi_poll_mode && wl_irq.cpu && !wl_irq.disabled &&
	    (wl_irq.pending || wl_ipi_poll_pending()))
		wl_irq_replay();
	if (wl_inject_cfg.vcpu_preempt_prob &&
	    (p == WL_INJ_WALK_LEVEL || p == WL_INJ_WALK_PIN))
		vcpu_preempt_point();
	r = wl_random();
	if ((r & 0xffff) >= wl_inject_cfg.prob[p])
		return;
	r >>= 16;
	if (r & 1)
		sched_yield();
	else if (wl_inject_cfg.max_ns)
		wl_delay_ns((r >> 1) % wl_inject_cfg.max_ns);
}
