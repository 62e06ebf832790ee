// SPDX-License-Identifier: MIT
/*
 * ring_dump.c - the interleaving that led to the first violation, from
 * the frozen event rings (see ring.h), in the format of `walklab verify`'s
 * counterexample trails (step, CPU, event, value), with a time column.
 *
 * What is shown, bounded: the violating CPU's last WL_DUMP_OWN events up
 * to the violation; the last WL_DUMP_WRITERS events of every other CPU
 * (and of the non-CPU threads: RCU callbacks) that touched a table or an
 * entry of the violating CPU's last walk: freed, allocated, reused or
 * handed to the backend one of its tables, or unlinked or installed one
 * of the entries it read or an entry pointing to one of its tables; and,
 * on each such CPU, its flushes and syncs between the first and the last
 * of those (the newest, with the violator's events and theirs at most
 * WL_DUMP_OWN + 2 * WL_DUMP_WRITERS lines).  Called once, after the CPUs have
 * stopped: static buffers.
 */
#include "check.h"
#include "pgtable.h"
#include "ring.h"
#include "smp.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS  64
#define MAX_SHOWN (WL_DUMP_OWN + 2 * WL_DUMP_WRITERS)

/* The tables and the entries (table, index) of the last walk. */
struct interest {
	uint32_t table[MAX_KEYS], etable[MAX_KEYS], eindex[MAX_KEYS];
	unsigned int nt, ne;
	uint64_t ts;	 /* the violation's */
	uint64_t lo, hi; /* the PMD spans the walk read: [lo, hi) */
};

static struct wl_tev_rec buf[WL_RING_SIZE];
static struct wl_tev_rec shown[MAX_SHOWN];
static struct wl_tev_rec cand[WL_DUMP_WRITERS];

static bool is_level(enum wl_tev ev)
{
	return ev >= WL_TEV_PMD && ev <= WL_TEV_PGD;
}

/* The table an upper-level entry points to, or WL_TABLE_NONE. */
static uint32_t child_of(uint64_t v)
{
	if (!pte_present(v) || pte_leaf(v) || pte_poisoned(v) ||
	    !wl_table_valid(pte_pfn(v)))
		return WL_TABLE_NONE;
	return (uint32_t)pte_pfn(v);
}

static unsigned int index_of(enum wl_tev ev, uint64_t addr)
{
	return ev == WL_TEV_PGD	  ? pgd_index(addr)
	       : ev == WL_TEV_PUD ? pud_index(addr)
				  : pmd_index(addr);
}

static void add_table(struct interest *in, uint32_t t)
{
	if (t == WL_TABLE_NONE || in->nt == MAX_KEYS)
		return;
	for (unsigned int i = 0; i < in->nt; i++)
		if (in->table[i] == t)
			return;
	in->table[in->nt++] = t;
}

static bool has_table(const struct interest *in, uint32_t t)
{
	for (unsigned int i = 0; i < in->nt; i++)
		if (in->table[i] == t)
			return true;
	return false;
}

static bool has_entry(const struct interest *in, uint32_t t, uint64_t idx)
{
	for (unsigned int i = 0; i < in->ne; i++)
		if (in->etable[i] == t && in->eindex[i] == idx)
			return true;
	return false;
}

/* The tables and entries of the events from the last begin on. */
static void collect_interest(const struct wl_tev_rec *e, unsigned int n,
			     struct interest *in)
{
	unsigned int from = 0;

	for (unsigned int i = 0; i < n; i++)
		if (e[i].ev == WL_TEV_BEGIN)
			from = i;
	in->lo = UINT64_MAX;
	for (unsigned int i = from; i < n; i++) {
		if (e[i].ev >= WL_TEV_PTE && e[i].ev <= WL_TEV_PGD) {
			in->lo = WL_MIN(in->lo, e[i].addr & PMD_MASK);
			in->hi = WL_MAX(in->hi,
					(e[i].addr & PMD_MASK) + PMD_SIZE);
		}
		if (is_level(e[i].ev) && in->ne < MAX_KEYS) {
			in->etable[in->ne] = e[i].table;
			in->eindex[in->ne++] = index_of(e[i].ev, e[i].addr);
			add_table(in, child_of(e[i].val));
		}
		if (e[i].ev != WL_TEV_BEGIN && e[i].ev != WL_TEV_VIOLATION)
			add_table(in, e[i].table);
	}
}

/* Did a writer's event touch the walk's tables or entries? */
static bool relevant(const struct wl_tev_rec *e, const struct interest *in)
{
	switch (e->ev) {
	case WL_TEV_FREE:
	case WL_TEV_ALLOC:
	case WL_TEV_REUSE:
	case WL_TEV_DEFER:
		return has_table(in, e->table);
	case WL_TEV_UNLINK:
	case WL_TEV_SET:
		return has_entry(in, e->table, e->addr) ||
		       has_table(in, child_of(e->val));
	default:
		return false;
	}
}

static int cmp_rec(const void *a, const void *b)
{
	const struct wl_tev_rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Keep the newest WL_DUMP_WRITERS relevant events in cand (a min-heap
 * would do; n is small: replace the oldest). */
static void keep_newest(const struct wl_tev_rec *e, unsigned int *nc)
{
	unsigned int oldest = 0;

	if (*nc < WL_DUMP_WRITERS) {
		cand[(*nc)++] = *e;
		return;
	}
	for (unsigned int i = 1; i < *nc; i++)
		if (cmp_rec(&cand[i], &cand[oldest]) < 0)
			oldest = i;
	if (cmp_rec(e, &cand[oldest]) > 0)
		cand[oldest] = *e;
}

/* Every ring but the violator's: its relevant events, up to the violation. */
static unsigned int scan_writers(int self, const struct interest *in)
{
	unsigned int nc = 0;

	for (int cpu = WL_RING_OTHER; cpu < WL_NR_CPUS; cpu++) {
		if (cpu == self || !wl_trace_count(cpu))
			continue;
		unsigned int n = wl_trace_read(cpu, buf, WL_RING_SIZE);

		for (unsigned int i = 0; i < n; i++)
			if (buf[i].ts <= in->ts && relevant(&buf[i], in))
				keep_newest(&buf[i], &nc);
	}
	return nc;
}

/*
 * The syncs of cpu between its first and last kept event, and its flushes
 * there that covered an address of the walk.
 */
static unsigned int add_between(int cpu, unsigned int nc, unsigned int room,
				const struct interest *in,
				struct wl_tev_rec *out)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned int n, added = 0;

	for (unsigned int i = 0; i < nc; i++)
		if (cand[i].cpu == cpu) {
			lo = WL_MIN(lo, cand[i].ts);
			hi = WL_MAX(hi, cand[i].ts);
		}
	if (lo > hi)
		return 0;
	n = wl_trace_read(cpu, buf, WL_RING_SIZE);
	/* Newest first: those nearest the violation matter most. */
	for (unsigned int i = n; i-- > 0 && added < room;)
		if ((buf[i].ev == WL_TEV_SYNC ||
		     (buf[i].ev == WL_TEV_FLUSH && buf[i].addr < in->hi &&
		      buf[i].val > in->lo)) &&
		    buf[i].ts >= lo && buf[i].ts <= hi)
			out[added++] = buf[i];
	return added;
}

/* "none", "T12", "huge pfn 4096", "POISON", "0x... (not present)" */
static void entry_str(char *b, size_t n, uint64_t v)
{
	if (!v)
		snprintf(b, n, "none");
	else if (pte_poisoned(v))
		snprintf(b, n, "POISON");
	else if (!pte_present(v))
		snprintf(b, n, "%#" PRIx64 " (not present)", v);
	else if (pte_leaf(v))
		snprintf(b, n, "huge pfn %" PRIu64, pte_pfn(v));
	else
		snprintf(b, n, "T%" PRIu64, pte_pfn(v));
}

static void value_str(char *b, size_t n, const struct wl_tev_rec *e)
{
	char ent[48], tbl[24];

	entry_str(ent, sizeof(ent), e->val);
	switch (e->ev) {
	case WL_TEV_BEGIN:
	case WL_TEV_END:
		snprintf(b, n, "walk at %#" PRIx64 ", pgd T%u", e->addr,
			 e->table);
		break;
	case WL_TEV_PGD:
	case WL_TEV_PUD:
	case WL_TEV_PMD:
		snprintf(b, n, "T%u[%u] = %s  (%#" PRIx64 ")", e->table,
			 index_of(e->ev, e->addr), ent, e->addr);
		break;
	case WL_TEV_PTE:
		snprintf(b, n, "T%u gen %u  (%#" PRIx64 ")", e->table, e->gen,
			 e->addr);
		break;
	case WL_TEV_RECHECK:
		if (e->table == WL_TABLE_NONE)
			snprintf(tbl, sizeof(tbl), "huge leaf");
		else
			snprintf(tbl, sizeof(tbl), "T%u", e->table);
		if (e->val == WL_TEV_FAILED)
			snprintf(b, n, "%s: an entry changed, pin dropped",
				 tbl);
		else
			snprintf(b, n, "%s: passed, %" PRIu64 " pages held",
				 tbl, e->val);
		break;
	case WL_TEV_GEN:
		if (e->val & 1)
			snprintf(b, n,
				 "entered T%u, already freed (gen %" PRIu64 ")",
				 e->table, e->val);
		else
			snprintf(b, n, "T%u gen %" PRIu64 " -> %u", e->table,
				 e->val, e->gen);
		break;
	case WL_TEV_UNLINK:
		snprintf(b, n, "T%u[%" PRIu64 "] cleared, was %s", e->table,
			 e->addr, ent);
		break;
	case WL_TEV_SET:
		snprintf(b, n, "T%u[%" PRIu64 "] = %s", e->table, e->addr, ent);
		break;
	case WL_TEV_FLUSH:
		snprintf(b, n, "%#" PRIx64 "-%#" PRIx64, e->addr, e->val);
		break;
	case WL_TEV_VIOLATION:
		snprintf(b, n, "%s", wl_violation_name(e->val));
		break;
	case WL_TEV_SYNC:
		snprintf(b, n, "tlb_remove_table_sync_one()");
		break;
	default: /* free, alloc, reuse, remove-table */
		snprintf(b, n, "T%u gen %u", e->table, e->gen);
		break;
	}
}

static void print_trail(FILE *f, const struct wl_tev_rec *e, unsigned int n,
			uint64_t t0)
{
	char cpu[16], val[128];

	fprintf(f, "    step  t-ns       CPU     event           value\n");
	for (unsigned int i = 0; i < n; i++) {
		if (e[i].cpu == WL_RING_OTHER)
			snprintf(cpu, sizeof(cpu), "other");
		else
			snprintf(cpu, sizeof(cpu), "CPU%d", e[i].cpu);
		value_str(val, sizeof(val), &e[i]);
		fprintf(f, "    %3u  %+9lld  %-7s %-15s %s\n", i + 1,
			(long long)(e[i].ts - t0), cpu, wl_tev_name(e[i].ev),
			val);
	}
}

/* The violator's last WL_DUMP_OWN events into shown; 0 if none. */
static unsigned int own_events(int self, struct interest *in)
{
	unsigned int n = wl_trace_read(self, buf, WL_RING_SIZE), last = n;

	while (last && buf[last - 1].ev != WL_TEV_VIOLATION)
		last--;
	if (!last)
		return 0;
	unsigned int from = last > WL_DUMP_OWN ? last - WL_DUMP_OWN : 0;

	memcpy(shown, &buf[from], (last - from) * sizeof(*buf));
	in->ts = buf[last - 1].ts;
	collect_interest(shown, last - from, in);
	return last - from;
}

unsigned int wl_trace_dump(FILE *f)
{
	static struct interest in;
	int self = wl_trace_violator();
	unsigned int n, nc;
	char who[16] = "other";

	if (!wl_trace_frozen())
		return 0;
	if (self == WL_RING_OTHER) {
		/* The watchdog's stall report, say: no walk to show. */
		fprintf(f, "walklab-torture: first violation reported outside "
			   "a CPU: no event trail\n");
		return 0;
	}
	memset(&in, 0, sizeof(in));
	n = own_events(self, &in);
	if (!n) {
		fprintf(f, "walklab-torture: first violation: no event "
			   "recorded on its CPU\n");
		return 0;
	}
	nc = scan_writers(self, &in);
	for (int cpu = WL_RING_OTHER; cpu < WL_NR_CPUS; cpu++)
		if (cpu != self) {
			n += add_between(cpu, nc, MAX_SHOWN - n - nc, &in,
					 &shown[n]);
		}
	memcpy(&shown[n], cand, nc * sizeof(*cand));
	n += nc;
	qsort(shown, n, sizeof(*shown), cmp_rec);
	if (self >= 0)
		snprintf(who, sizeof(who), "CPU%d", self);
	fprintf(f,
		"walklab-torture: first violation as recorded (event rings "
		"of %u events per CPU): the last %u events of %s, and the "
		"last %u of other CPUs on the tables and entries of its last "
		"walk, with their syncs and flushes of its addresses between; "
		"t-ns "
		"before the violation; %u tables followed\n",
		WL_RING_SIZE, WL_DUMP_OWN, who, WL_DUMP_WRITERS, in.nt);
	print_trail(f, shown, n, in.ts);
	return n;
}
