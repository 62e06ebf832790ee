/*
 * common.pml - what every walklab protocol model shares: the memory, the
 * per-CPU store buffers (TSO), IRQ masking and IPI delivery, the walker's
 * GUP-fast steps and the two writer operations (free a table; collapse).
 *
 * A protocol file defines, before including this one:
 *   WALK_BEGIN(c) / WALK_END(c)      the walker's lockless_page_walk_begin/end
 *   FREE_WAIT()                      what free_tables does before the free
 *   SYNC()                           tlb_remove_table_sync_one()
 * and may set WRITER_MUNMAP, WRITER_COLLAPSE (both: the writer chooses).
 *
 * Knobs (spin -D): NW walker CPUs, NWALKS walks each, ARCH_IPI /
 * ARCH_BROADCAST / ARCH_PARAVIRT, CHECK_UAF (default 1), CHECK_PIN
 * (default 1), NO_PMD_RECHECK, NO_SYNC, SC (no store buffers).
 */
#ifndef NW
#define NW 2
#endif
#ifndef NWALKS
#define NWALKS 1
#endif
#ifndef CHECK_UAF
#define CHECK_UAF 1
#endif
#ifndef CHECK_PIN
#define CHECK_PIN 1
#endif
#define NCPU (NW + 1)
#define WCPU NW		/* the writer is the last CPU */
#define SBN 2		/* store-buffer entries per CPU */

/* Addresses in mem[]. */
#define A_PMD 0		/* the PMD entry */
#define A_PTE 1		/* the entry of the PTE table T1 */
#define A_ACT 2		/* A_ACT + c: CPU c's active_lockless_pt_walk_mm */
#define A_CNT (2 + NW)	/* A_CNT (+ c when per-CPU): reader counts */
#define NADDR (2 + 2 * NW)

/* Values. */
#define T1 1		/* the PMD points to PTE table T1 */
#define HUGE 9		/* the PMD maps a huge page (after collapse) */
#define PAGE 5		/* T1's entry maps small page PAGE */
#define REUSED 7	/* T1 reallocated: its memory holds something else */
#define MM 1		/* this mm, in an active pointer */

mtype = { sect_begin, sect_end, read_pmd, read_pte, get_ref, recheck_pmd,
	  recheck_pte, put_ref, pin_kept, irq_off, irq_on, ipi_taken,
	  publish, unpublish, count, uncount, mb, drain, clear_pmd,
	  flush, ipi_send, ipi_wait_done, sync_begin, sync_done, gp_begin,
	  gp_done, poll, read_ptr, isolate_refs, no_pins, abort_collapse,
	  clear_pte, set_huge_pmd, free_table, reuse_table };

byte mem[NADDR];
byte sb_a[NCPU * SBN];
byte sb_v[NCPU * SBN];
byte sb_n[NCPU];
bool irqoff[NCPU];
bool ipi[NCPU];
/* Ghosts, sequentially consistent: they are the property, not memory. */
bool freed;		/* T1 was freed (and is being reused) */
bool nopin;		/* collapse decided PAGE has no pins */
byte refcnt;		/* extra references on PAGE (atomic RMW only) */
bool rd[NCPU];		/* CPU c is in an RCU(-sched) read-side section */
byte rseq[NCPU];	/* bumped at each section end */

/* One line of the readable trail: CPU, step, value. */
#define P(c, ev, v) printf("@@ %d %e %d\n", c, ev, v)

#ifdef SC
inline store(c, a, v) { d_step { mem[a] = v } }
#else
/* A plain store goes through the store buffer (blocks while it is full). */
inline store(c, a, v)
{
	d_step {
		sb_n[c] < SBN;
		sb_a[c * SBN + sb_n[c]] = a;
		sb_v[c * SBN + sb_n[c]] = v;
		sb_n[c]++
	}
}
#endif

/* The oldest buffered store reaches memory. */
inline drain_one(c)
{
	mem[sb_a[c * SBN]] = sb_v[c * SBN];
	printf("@@ %d drain %d=%d\n", c, sb_a[c * SBN], sb_v[c * SBN]);
	sb_a[c * SBN] = sb_a[c * SBN + 1];
	sb_v[c * SBN] = sb_v[c * SBN + 1];
	sb_a[c * SBN + 1] = 0;
	sb_v[c * SBN + 1] = 0;
	sb_n[c]--
}

/* smp_mb(), an atomic RMW, IRQ entry: the buffer drains first. */
inline drain_all(c)
{
	d_step {
		do
		:: sb_n[c] > 0 -> drain_one(c)
		:: else -> break
		od
	}
}

/* A load reads the newest own buffered store to a, else memory (TSO). */
inline load(c, a, r)
{
	d_step {
		r = mem[a];
		i = 0;
		do
		:: i < sb_n[c] ->
			if
			:: sb_a[c * SBN + i] == a -> r = sb_v[c * SBN + i]
			:: else -> skip
			fi;
			i++
		:: else -> break
		od;
		i = 0
	}
}

/* The CPU's hardware: its buffer drains at any time; IPIs when IRQs on. */
proctype Hw(byte c)
{
end:	do
	:: d_step { sb_n[c] > 0 -> drain_one(c) }
	:: atomic { /* the handler runs between two of the CPU's steps */
		ipi[c] && !irqoff[c] -> drain_all(c);
		P(c, ipi_taken, 0);
		ipi[c] = 0
	}
	od
}

/* Send an IPI to every walker CPU and wait for each (IRQ-off delays it). */
inline ipi_all_wait()
{
	drain_all(WCPU); /* the call's publication orders the unlink first */
	k = 0;
	do
	:: k < NW -> ipi[k] = 1; k++
	:: else -> break
	od;
	P(WCPU, ipi_send, NW);
	k = 0;
	do
	:: k < NW -> ipi[k] == 0; k++
	:: else -> break
	od;
	k = 0;
	P(WCPU, ipi_wait_done, 0)
}

/* An RCU(-sched) grace period: every section that began before it ends. */
inline grace_period()
{
	drain_all(WCPU); /* synchronize_rcu() begins with a full barrier */
	P(WCPU, gp_begin, 0);
	k = 0;
	do
	:: k < NW ->
		snap = rseq[k];
		if
		:: rd[k] -> (rseq[k] != snap || !rd[k])
		:: else -> skip
		fi;
		k++
	:: else -> break
	od;
	k = 0;
	snap = 0;
	P(WCPU, gp_done, 0)
}

/* The arch's TLB flush after an unlink. */
inline tlb_flush()
{
	P(WCPU, flush, 0);
#if defined(ARCH_IPI)
	ipi_all_wait() /* x86 native: IPI every CPU of the mm, wait */
#elif defined(ARCH_PARAVIRT)
	drain_all(WCPU) /* a hypercall: serializing, but nobody is IPI'd */
#else
	skip /* broadcast TLBI: nobody is interrupted; no order assumed */
#endif
}

/* GUP-fast on one address: gup_fast_pte_range() with its rechecks. */
inline walk(c)
{
	load(c, A_PMD, v);
	P(c, read_pmd, v);
	if
	:: v == T1 ->
#if CHECK_UAF
		assert(!freed); /* reading T1 after it was freed or reused */
#endif
		load(c, A_PTE, pte);
		P(c, read_pte, pte);
		if
		:: pte == PAGE ->
			drain_all(c); /* the add-unless-zero is an RMW */
			refcnt++;
			P(c, get_ref, refcnt);
			ok = 1;
#ifndef NO_PMD_RECHECK
			load(c, A_PMD, v);
			P(c, recheck_pmd, v);
			if
			:: v != T1 -> ok = 0
			:: else -> skip
			fi;
#endif
			if
			:: ok ->
#if CHECK_UAF
				assert(!freed);
#endif
				load(c, A_PTE, v);
				P(c, recheck_pte, v);
				if
				:: v != pte -> ok = 0
				:: else -> skip
				fi
			:: else -> skip
			fi;
			if
			:: ok ->
#if CHECK_PIN
				assert(!nopin); /* a pin after "no pins" */
#endif
				P(c, pin_kept, refcnt)
			:: else ->
				drain_all(c);
				refcnt--;
				P(c, put_ref, refcnt)
			fi
		:: else -> skip
		fi
	:: else -> skip
	fi;
	v = 0;
	pte = 0;
	ok = 0
}

proctype Walker(byte c)
{
	byte v, pte, i, n;
	bool ok;

	do
	:: n < NWALKS ->
		WALK_BEGIN(c);
		walk(c);
		WALK_END(c);
		n++
	:: else -> break
	od
}

/* munmap / pt_reclaim: unlink T1, flush, free it, reuse it. */
inline writer_free()
{
#ifdef CLEAR_RMW
	drain_all(WCPU); /* an xchg-style clear: an RMW */
#endif
	store(WCPU, A_PMD, 0);
#ifdef CLEAR_RMW
	drain_all(WCPU);
#endif
	P(WCPU, clear_pmd, 0);
	tlb_flush();
	FREE_WAIT();
	freed = 1;
	P(WCPU, free_table, T1);
	store(WCPU, A_PTE, REUSED);
	P(WCPU, reuse_table, REUSED)
}

/* khugepaged collapse_huge_page(): pmdp_collapse_flush, sync, isolate. */
inline writer_collapse()
{
	drain_all(WCPU); /* pmdp_huge_get_and_clear(): an RMW */
	mem[A_PMD] = 0;
	P(WCPU, clear_pmd, 0);
	tlb_flush();
#ifndef NO_SYNC
	P(WCPU, sync_begin, 0);
	SYNC();
	P(WCPU, sync_done, 0);
#endif
	P(WCPU, isolate_refs, refcnt);
	if
	:: refcnt > 0 ->
		store(WCPU, A_PMD, T1); /* re-populate the old table */
		P(WCPU, abort_collapse, refcnt)
	:: else ->
		nopin = 1;
		P(WCPU, no_pins, 0);
		store(WCPU, A_PTE, 0); /* cleared only after the copy */
		P(WCPU, clear_pte, 0);
		store(WCPU, A_PMD, HUGE);
		P(WCPU, set_huge_pmd, HUGE);
		freed = 1; /* deposited, reused by the next split */
		P(WCPU, free_table, T1);
		store(WCPU, A_PTE, REUSED);
		P(WCPU, reuse_table, REUSED)
	fi
}

proctype Writer()
{
	byte k, snap, i, r;

#if defined(WRITER_MUNMAP) && defined(WRITER_COLLAPSE)
	if
	:: writer_free()
	:: writer_collapse()
	fi
#elif defined(WRITER_COLLAPSE)
	writer_collapse()
#else
	writer_free()
#endif
}

init
{
	byte c;

	atomic {
		mem[A_PMD] = T1;
		mem[A_PTE] = PAGE;
		c = 0;
		do
		:: c < NCPU -> run Hw(c); c++
		:: else -> break
		od;
		c = 0;
		do
		:: c < NW -> run Walker(c); c++
		:: else -> break
		od;
		run Writer()
	}
}
