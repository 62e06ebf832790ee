// SPDX-License-Identifier: MIT
/*
 * watchdog.c - the torture's stall detector (see torture_internal.h): a
 * thread, not a CPU, that turns an op, a walk or the teardown that does
 * not end into a stall report, a WL_V_STALL and a stopped run, and gives
 * up with a last summary if the run is still stuck a --stall-ms later.
 *
 * An op or a walk is judged by its CPU's own time, not wall time: from a
 * quarter of --stall-ms on, the watchdog takes a baseline of the CPU
 * thread's host account (smp.h, wl_cpu_host_sched()) and of its time in
 * judged waits (wl_cpu_waited_ns()); at --stall-ms of age, the time the
 * thread was runnable but not run (the host's doing) and the time it spent
 * in waits that judge their own holders (IPI acks, grace periods, reader
 * drains: their stalls are counted by smp_stall.c) are left out.  What
 * remains past --stall-ms is a stall; otherwise the op was starved by the
 * host: a note, not a violation.  Time blocked on a lock (smp_block.c)
 * counts as a wait too: its holder may be the starved CPU.  A backstop in
 * wall time (wd_backstop_ns()) still catches a cycle of blocked CPUs.  Oversubscribed (256 CPUs on 2 PUs), a
 * CPU's own time grows at its share of a PU: a real stall is still caught,
 * later by that factor.
 */
#include "smp.h"
#include "torture_internal.h"
#include "util.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* A baseline of one CPU's accounts, for the op or walk begun at since. */
struct wd_base {
	uint64_t since; /* 0: none */
	struct wl_host_track track;
	bool tracked; /* the host says (else: wall time, as before) */
	uint64_t waited0;
	bool noted; /* a starvation note was printed for it */
};

/* The watchdog's memory of whom it reported, so each stall is one report. */
struct watch {
	bool *wr_seen, *wk_seen;
	struct wd_base *wr_base, *wk_base;
	uint64_t first_stall; /* 0: no stall yet */
	uint64_t ipi_stalls;  /* wl_stall_count() at the last look */
};

static const char *writer_op_name(struct twriter *w)
{
	return wl_writer_op_names[atomic_load_explicit(&w->op,
						       memory_order_relaxed)];
}

static uint64_t ms(uint64_t ns)
{
	return ns / 1000000u;
}

static void report_walkers(uint64_t now, uint64_t since,
			   struct wl_cpumask *mask)
{
	for (unsigned int i = 0; i < torture->c->walkers; i++) {
		struct twalker *w = &torture->walkers[i];
		uint64_t ws = atomic_load_explicit(&w->walk_since,
						   memory_order_relaxed);
		/* A walk may have begun after the watchdog read its clock. */
		uint64_t age = ws && ws < now ? now - ws : 0;

		if (!w->up)
			continue;
		wl_cpumask_set(mask, w->cpu);
		if (ws && ws <= since)
			fprintf(stderr,
				"walklab:   walker CPU %d: in a walk since "
				"%llu "
				"ms, before the wait began: may hold it\n",
				w->cpu, (unsigned long long)ms(age));
		else if (ws)
			fprintf(stderr,
				"walklab:   walker CPU %d: in a walk since "
				"%llu "
				"ms (began after the wait)\n",
				w->cpu, (unsigned long long)ms(age));
		else
			fprintf(stderr,
				"walklab:   walker CPU %d: between walks\n",
				w->cpu);
	}
}

static void report_writers(uint64_t now, struct wl_cpumask *mask)
{
	for (unsigned int i = 0; i < torture->c->writers; i++) {
		struct twriter *w = &torture->writers[i];
		uint64_t os = atomic_load_explicit(&w->op_since,
						   memory_order_relaxed);

		if (!w->up)
			continue;
		wl_cpumask_set(mask, w->cpu);
		if (os)
			fprintf(stderr,
				"walklab:   writer CPU %d: in %s for %llu ms\n",
				w->cpu, writer_op_name(w),
				(unsigned long long)ms(os < now ? now - os
								: 0));
		else
			fprintf(stderr,
				"walklab:   writer CPU %d: between ops\n",
				w->cpu);
	}
}

static void stall_report(uint64_t now, const char *who, int cpu,
			 const char *what, uint64_t since)
{
	struct wl_cpumask mask = {{0}};

	atomic_fetch_add(&torture->watchdog_stalls, 1);
	wl_violation(WL_V_STALL, "%s CPU %d %s for %llu ms (stall-ms %llu)",
		     who, cpu, what, (unsigned long long)ms(now - since),
		     (unsigned long long)ms(torture->c->stall_ns));
	fprintf(stderr,
		"walklab: INFO: torture stall: %s CPU %d %s for %llu ms\n", who,
		cpu, what, (unsigned long long)ms(now - since));
	report_walkers(now, since, &mask);
	report_writers(now, &mask);
	wl_smp_dump_cpus(stderr, &mask);
	fprintf(stderr, "walklab:   stopping walkers so that the waits can "
			"end; the run fails\n");
}

enum stall { NOT_STALLED, STALLED, NEW_STALL };

/* The host's account of cpu, as a baseline for the op begun at since. */
static void wd_baseline(struct wd_base *b, int cpu, uint64_t since,
			uint64_t now)
{
	b->since = since;
	b->tracked = wl_host_track_start(&b->track, cpu, now);
	b->waited0 = wl_cpu_waited_ns(cpu, now);
	b->noted = false;
}

/*
 * No progress in this much wall time is a stall whatever the accounts say:
 * a cycle of CPUs blocked on each other's locks is all "waiting" time.
 * Scaled by the oversubscription, so that a starved run does not reach it.
 */
static uint64_t wd_backstop_ns(void)
{
	const struct wl_torture_config *c = torture->c;
	uint64_t cpus = c->walkers + c->writers + torture_other_cpus(c);

	return c->stall_ns * WL_MAX(8u, 2 * cpus / wl_host_nr_pus());
}

/*
 * Own time of cpu since the baseline: wall time less runnable-not-run and
 * less judged waits.  Prints a starvation note (once) when the op is old
 * but its own time is not.
 */
static bool wd_own_stalled(struct wd_base *b, int cpu, const char *who,
			   uint64_t now, uint64_t since)
{
	uint64_t wall = now - since, starved = 0, waited, own;

	/* Not tracked: wall time since the op began, as before. */
	if (b->tracked &&
	    !wl_host_track_look(&b->track, cpu, now, &wall, &starved))
		wall = now - since, starved = 0;
	waited = wl_cpu_waited_ns(cpu, now) - b->waited0;
	own = wall - WL_MIN(starved + waited, wall);
	if (own >= torture->c->stall_ns || now - since >= wd_backstop_ns())
		return true;
	if (!b->noted) {
		b->noted = true;
		atomic_fetch_add(&torture->watchdog_starved, 1);
		fprintf(stderr,
			"walklab: NOTE: torture: %s CPU %d busy for %llu ms "
			"of wall time, but since %llu ms its own time is %llu "
			"ms (runnable, not run: %llu ms; in judged waits: %llu "
			"ms): starved by the host, not a stall\n",
			who, cpu, (unsigned long long)ms(now - since),
			(unsigned long long)ms(wall),
			(unsigned long long)ms(own),
			(unsigned long long)ms(starved),
			(unsigned long long)ms(waited));
	}
	return false;
}

/*
 * A CPU that published since (0: idle) at now; *seen: reported already;
 * b: its baseline.
 */
static enum stall stall_state(uint64_t now, uint64_t since, bool *seen,
			      struct wd_base *b, int cpu, const char *who)
{
	uint64_t stall = torture->c->stall_ns;

	if (!since) {
		*seen = false;
		return NOT_STALLED;
	}
	if (since >= now || now - since < stall / 4)
		return NOT_STALLED;
	if (b->since != since) {
		wd_baseline(b, cpu, since, now);
		return NOT_STALLED;
	}
	if (now - since < stall || !wd_own_stalled(b, cpu, who, now, since))
		return NOT_STALLED;
	if (*seen)
		return STALLED;
	*seen = true;
	return NEW_STALL;
}

static bool check_writers(struct watch *wd, uint64_t now)
{
	bool stalled = false;

	for (unsigned int i = 0; i < torture->c->writers; i++) {
		struct twriter *w = &torture->writers[i];
		uint64_t since = atomic_load_explicit(&w->op_since,
						      memory_order_relaxed);
		enum stall st = stall_state(now, since, &wd->wr_seen[i],
					    &wd->wr_base[i], w->cpu, "writer");
		char what[64];

		if (st == NEW_STALL) {
			snprintf(what, sizeof(what), "in %s",
				 writer_op_name(w));
			stall_report(now, "writer", w->cpu, what, since);
		}
		stalled |= st != NOT_STALLED;
	}
	return stalled;
}

static bool check_walkers(struct watch *wd, uint64_t now)
{
	bool stalled = false;

	for (unsigned int i = 0; i < torture->c->walkers; i++) {
		struct twalker *w = &torture->walkers[i];
		uint64_t since = atomic_load_explicit(&w->walk_since,
						      memory_order_relaxed);
		enum stall st = stall_state(now, since, &wd->wk_seen[i],
					    &wd->wk_base[i], w->cpu, "walker");

		if (st == NEW_STALL)
			stall_report(now, "walker", w->cpu, "in one walk",
				     since);
		stalled |= st != NOT_STALLED;
	}
	return stalled;
}

/*
 * A judged wait (IPI ack, grace period, drain) reported a stall: stop the
 * walkers too, so that the wait can end and the run fail.
 */
static bool check_waits(struct watch *wd)
{
	uint64_t n = wl_stall_count();
	bool more = n != wd->ipi_stalls;

	wd->ipi_stalls = n;
	return more;
}

static bool check_teardown(struct watch *wd, uint64_t now)
{
	uint64_t since = atomic_load_explicit(&torture->teardown_since,
					      memory_order_relaxed);

	if (!since || since >= now || now - since < torture->c->stall_ns)
		return false;
	if (!wd->first_stall) {
		atomic_fetch_add(&torture->watchdog_stalls, 1);
		wl_violation(WL_V_STALL, "teardown stuck for %llu ms",
			     (unsigned long long)ms(now - since));
	}
	return true;
}

/* Still stuck a --stall-ms after the first report: print what we have. */
static void give_up(uint64_t now)
{
	struct wl_torture_result r = {0};

	fprintf(stderr,
		"walklab: PANIC: the run is still "
		"stuck %llu ms after the stall report; "
		"giving up\n",
		(unsigned long long)ms(torture->c->stall_ns));
	r.elapsed_ns = now - torture->t0;
	torture_percpu_snapshot();
	torture_print_summary(torture->out, &r, false);
	_exit(1);
}

void *torture_watchdog_main(void *arg)
{
	const struct wl_torture_config *c = torture->c;
	struct watch wd = {
		.wr_seen = calloc(c->writers + 1, 1),
		.wk_seen = calloc(c->walkers + 1, 1),
		.wr_base = calloc(c->writers + 1, sizeof(struct wd_base)),
		.wk_base = calloc(c->walkers + 1, sizeof(struct wd_base)),
		.ipi_stalls = wl_stall_count(),
	};
	struct timespec ts = {0, 10000000};

	(void)arg;
	while (!atomic_load_explicit(&torture->done, memory_order_relaxed)) {
		uint64_t now = wl_now_ns();
		bool stalled;

		nanosleep(&ts, NULL);
		stalled = check_writers(&wd, now);
		stalled |= check_walkers(&wd, now);
		stalled |= check_teardown(&wd, now);
		stalled |= check_waits(&wd);
		if (stalled) {
			atomic_store_explicit(&torture->stop, true,
					      memory_order_relaxed);
			if (!wd.first_stall)
				wd.first_stall = now;
		}
		if (wd.first_stall && now - wd.first_stall >= c->stall_ns)
			give_up(now);
	}
	free(wd.wr_seen);
	free(wd.wk_seen);
	free(wd.wr_base);
	free(wd.wk_base);
	return NULL;
}
