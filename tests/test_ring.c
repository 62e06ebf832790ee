// SPDX-License-Identifier: MIT
/*
 * test_ring.c - the torture's per-CPU event rings (core/ring.h) and the
 * interleaving they print at the first violation.
 *
 * Built for the none and ipi backends, linked with walklab_torture:
 *  - a ring keeps the last WL_RING_SIZE events of its CPU, in order,
 *    after wrapping twice; a reset empties it without clearing a slot;
 *    the first violation freezes it;
 *  - a planted race (the none backend; on a safe one, munmap's table
 *    freed before the flush) ends with a dump that shows the walker's
 *    begin, then a writer's free of a table that walk went through (the
 *    test parses the printed trail);
 *  - a safe run prints no dump (safe backends only).
 */
#include "test_util.h"
#include "ring.h"
#include "torture.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef WALKLAB_NO_CRITERION
#include "tu_nocriterion.h" /* TSan builds: see there */
#else
#include <criterion/criterion.h>
#endif

TestSuite(ring, .timeout = 120);

#define DUMP_HEADER "first violation as recorded"

static struct wl_tev_rec recs[WL_RING_SIZE];

Test(ring, wraps_in_order)
{
	const uint64_t n = 2 * WL_RING_SIZE + 100;
	unsigned int got;

	tu_machine_up(WL_ARCH_IPI);
	wl_trace_reset(true);
	for (uint64_t i = 0; i < n; i++)
		wl_trace(WL_TEV_FLUSH, i, WL_TABLE_NONE, i * 3);
	cr_expect_eq(wl_trace_count(0), n);
	got = wl_trace_read(0, recs, WL_RING_SIZE);
	cr_assert_eq(got, WL_RING_SIZE, "read %u events", got);
	for (unsigned int i = 0; i < got; i++) {
		uint64_t want = n - WL_RING_SIZE + i;

		cr_assert_eq(recs[i].addr, want, "slot %u: addr %llu", i,
			     (unsigned long long)recs[i].addr);
		cr_assert_eq(recs[i].pos, want);
		cr_assert_eq(recs[i].val, want * 3);
		cr_assert_eq(recs[i].ev, WL_TEV_FLUSH);
		cr_assert_eq(recs[i].cpu, 0);
		if (i)
			cr_assert_geq(recs[i].ts, recs[i - 1].ts);
	}
	/* A bounded read takes the newest. */
	got = wl_trace_read(0, recs, 10);
	cr_assert_eq(got, 10);
	cr_expect_eq(recs[9].addr, n - 1);
	cr_expect_eq(recs[0].addr, n - 10);
	wl_trace_reset(false);
	tu_machine_down();
}

/* The non-CPU threads' ring: a thread that is not a CPU. */
static void *other_thread(void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < 5; i++)
		wl_trace(WL_TEV_SYNC, i, WL_TABLE_NONE, 0);
	return NULL;
}

Test(ring, reset_other_and_freeze)
{
	pthread_t th;

	tu_machine_up(WL_ARCH_IPI);
	wl_trace_reset(true);
	for (uint64_t i = 0; i < 100; i++)
		wl_trace(WL_TEV_SYNC, i, WL_TABLE_NONE, 0);
	/* The slots keep their old contents: the reset must hide them. */
	wl_trace_reset(true);
	cr_expect_eq(wl_trace_read(0, recs, WL_RING_SIZE), 0);
	wl_trace(WL_TEV_SYNC, 7, WL_TABLE_NONE, 0);
	cr_assert_eq(wl_trace_read(0, recs, WL_RING_SIZE), 1);
	cr_expect_eq(recs[0].addr, 7);
	cr_assert_eq(pthread_create(&th, NULL, other_thread, NULL), 0);
	pthread_join(th, NULL);
	cr_assert_eq(wl_trace_read(WL_RING_OTHER, recs, WL_RING_SIZE), 5);
	cr_expect_eq(recs[4].addr, 4);
	cr_expect_eq(recs[0].cpu, WL_RING_OTHER);
	/* The first violation is recorded, then nothing more. */
	cr_expect(!wl_trace_frozen());
	wl_violation(WL_V_STALL, "test: freeze the rings");
	cr_expect(wl_trace_frozen());
	cr_expect_eq(wl_trace_violator(), 0);
	wl_trace(WL_TEV_SYNC, 8, WL_TABLE_NONE, 0);
	cr_assert_eq(wl_trace_read(0, recs, WL_RING_SIZE), 2);
	cr_expect_eq(recs[1].ev, WL_TEV_VIOLATION);
	cr_expect_eq(recs[1].val, WL_V_STALL);
	wl_trace_reset(false);
	wl_violations_reset();
	tu_machine_down();
}

static void run_config(struct wl_torture_config *c, bool planted)
{
	wl_torture_config_default(c);
	c->walkers = 2;
	c->writers = 1;
	c->inject = true;
	c->quiet = true;
	c->stall_ns = 10000000000ull;
	c->stop_mask = (1u << WL_V_TABLE_UAF) | (1u << WL_V_POISON_READ);
	/* Writers that free tables: munmap, and DONTNEED's reclaim. */
	memset(c->mix, 0, sizeof(c->mix));
	c->mix[WL_OP_MUNMAP] = 6;
	c->mix[WL_OP_DONTNEED] = 1;
	c->bugs.munmap_free_before_flush =
		planted && (wl_backend.caps & WL_CAP_SAFE);
	c->duration_ns = planted ? 20000000000ull : 1000000000ull;
	snprintf(c->context, sizeof(c->context), "test_ring");
}

/* Run c, its whole output into *text (free it). */
static void run_captured(struct wl_torture_config *c,
			 struct wl_torture_result *r, char **text)
{
	size_t len;
	FILE *f = open_memstream(text, &len);

	cr_assert(f);
	cr_assert_eq(wl_torture_run(c, r, f), 0);
	fclose(f);
}

struct trail_line {
	unsigned int step;
	char cpu[16], ev[32], val[160];
};

/* "    step  t-ns  CPU  event  value" lines after the header. */
static unsigned int parse_trail(char *text, struct trail_line *l,
				unsigned int max)
{
	char *p = strstr(text, DUMP_HEADER), *save = NULL, *line;
	unsigned int n = 0;
	long long t;

	if (!p)
		return 0;
	for (line = strtok_r(p, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		l[n].val[0] = 0;
		if (sscanf(line, " %u %lld %15s %31s %159[^\n]", &l[n].step, &t,
			   l[n].cpu, l[n].ev, l[n].val) >= 4)
			n++;
	}
	return n;
}

/* Does value v name table "T<t>" as a whole token? */
static bool names_table(const char *v, unsigned int t)
{
	char tok[16];
	size_t k;

	snprintf(tok, sizeof(tok), "T%u", t);
	k = strlen(tok);
	for (const char *p = strstr(v, tok); p; p = strstr(p + 1, tok))
		if ((p == v || p[-1] == ' ') &&
		    (p[k] == ' ' || p[k] == '[' || p[k] == ':' || !p[k]))
			return true;
	return false;
}

/*
 * The walker (the CPU of the VIOLATION line) began its last walk at step
 * b; a table it named after b was freed by another CPU after b.
 */
static void check_begin_then_free(const struct trail_line *l, unsigned int n)
{
	unsigned int v = n, b = n;

	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(l[i].ev, "VIOLATION"))
			v = i;
	cr_assert_lt(v, n, "no VIOLATION step in the dump");
	for (unsigned int i = 0; i < v; i++)
		if (!strcmp(l[i].ev, "begin") && !strcmp(l[i].cpu, l[v].cpu))
			b = i;
	cr_assert_lt(b, n, "no begin of %s in the dump", l[v].cpu);
	for (unsigned int i = b + 1; i < v; i++) {
		if (strcmp(l[i].ev, "free") || !strcmp(l[i].cpu, l[v].cpu))
			continue;
		unsigned int t;

		if (sscanf(l[i].val, "T%u", &t) != 1)
			continue;
		for (unsigned int j = b + 1; j < v; j++)
			if (!strcmp(l[j].cpu, l[v].cpu) &&
			    names_table(l[j].val, t) && j != i)
				return; /* found: begin < free of its table */
	}
	cr_assert(false,
		  "no free, after %s's begin (step %u), of a table its "
		  "walk went through",
		  l[v].cpu, l[b].step);
}

Test(ring, planted_race_dump)
{
	static struct trail_line lines[256];
	struct wl_torture_config c;
	struct wl_torture_result r;
	char *text = NULL;
	unsigned int n;

	run_config(&c, true);
	run_captured(&c, &r, &text);
	cr_assert_neq(r.first_ns, 0, "%s: the planted race went unseen",
		      wl_backend.name);
	cr_assert(strstr(text, DUMP_HEADER), "no dump in:\n%s", text);
	fputs(strstr(text, DUMP_HEADER), stdout);
	cr_expect(r.dump_steps > 0);
	n = parse_trail(text, lines, 256);
	cr_expect_eq(n, r.dump_steps, "parsed %u steps of %u", n, r.dump_steps);
	cr_expect_leq(n, WL_DUMP_OWN + 2 * WL_DUMP_WRITERS);
	check_begin_then_free(lines, n);
	free(text);
}

Test(ring, no_dump_when_safe)
{
	struct wl_torture_config c;
	struct wl_torture_result r;
	char *text = NULL;

	if (!(wl_backend.caps & WL_CAP_SAFE))
		cr_skip_test("%s is not safe", wl_backend.name);
	run_config(&c, false);
	run_captured(&c, &r, &text);
	cr_expect(r.success, "%s", text);
	cr_expect(r.walks > 20);
	cr_expect(!strstr(text, DUMP_HEADER), "a dump in a safe run");
	cr_expect_eq(r.dump_steps, 0);
	/* The rings ran: the walkers' events are there. */
	cr_expect(wl_trace_count(0) + wl_trace_count(1) > r.walks);
	free(text);
}
