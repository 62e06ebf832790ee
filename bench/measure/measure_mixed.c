// SPDX-License-Identifier: MIT
/*
 * measure_mixed.c - the mixed workload of `walklab-<id> measure`.
 *
 * Walkers against a writer that runs a mix of writer operations on the
 * walkers' own region at a set rate; walkers finish in the slow path what
 * the writer took away.  The deferred-free backlog is sampled every 10 ms.
 */
#include "machine.h"
#include "measure_int.h"
#include "writer_ops.h"

#include <errno.h>
#include <stdlib.h>

#define MIXED_CHUNKS	16
#define MIXED_SAMPLES	128
#define MIXED_SAMPLE_NS 10000000 /* the backlog and walk-rate window */

/* The writer's rotation: op i is mixed_ops[i % 6]. */
static const enum wl_writer_op mixed_ops[] = {
	WL_OP_MUNMAP,	WL_OP_DONTNEED, WL_OP_MIGRATE,
	WL_OP_MPROTECT, WL_OP_COLLAPSE, WL_OP_SPLIT,
};

/*
 * Writer op i on chunk a (2 MiB) of the walkers' region; nothing is
 * faulted back in (munmap maps the chunk again, empty).
 */
static int mixed_op(struct wl_mm *mm, unsigned int i, uint64_t a)
{
	const struct wl_writer_op_args args = {
		.addr = a,
		.len = PMD_SIZE,
		.page = i % HPAGE_PMD_NR,
		.vm_flags = VM_READ | VM_WRITE,
		.flags = WL_OPF_REMAP | WL_OPF_PT_RECLAIM,
	};

	return wl_writer_op_run(mixed_ops[i % WL_ARRAY_SIZE(mixed_ops)], mm,
				&args);
}

/* One run: a writer rate against the pool, and what it saw. */
struct mixed_run {
	uint64_t rate; /* writer ops/s; 0: the walkers alone */
	uint64_t t0, dur, elapsed;
	uint64_t ops, max_ops;
	uint64_t done; /* ops that completed (not -EAGAIN, -EINVAL, -ENOENT) */
	uint64_t *lat; /* writer_op_ns of the first max_ops */
	uint64_t backlog[MIXED_SAMPLES], nb;
	/* Walk rate per 10 ms window, from the samples' walk counts. */
	double wrate[MIXED_SAMPLES];
	uint64_t nw, prev_walks, prev_t, next_sample;
	struct wl_ipi_stats i0, i1;
};

/* Every 10 ms: the deferred-free backlog, and the window's walk rate. */
static void mixed_sample(struct mixed_run *m, struct measure_pool *p,
			 uint64_t now)
{
	if (now < m->next_sample || m->nb >= MIXED_SAMPLES)
		return;

	uint64_t w = atomic_load_explicit(&p->live_walks, memory_order_relaxed);

	m->backlog[m->nb++] = (uint64_t)atomic_load_explicit(
		&wl_tables.deferred, memory_order_relaxed);
	if (m->prev_t && now > m->prev_t)
		m->wrate[m->nw++] = (double)(w - m->prev_walks) * 1e9 /
				    (double)(now - m->prev_t);
	m->prev_walks = w;
	m->prev_t = now;
	m->next_sample += MIXED_SAMPLE_NS;
}

/* Sleep until the next op is due or the next sample; false if it is due. */
static bool mixed_wait(struct mixed_run *m, uint64_t now)
{
	if (!m->rate) {
		measure_sleep_ns(1000000); /* walkers alone: just sample */
		return true;
	}
	uint64_t due = m->t0 + m->ops * 1000000000 / m->rate;

	if (now >= due)
		return false;
	measure_sleep_ns(WL_MIN(
		due - now, m->next_sample > now ? m->next_sample - now : 1000));
	return true;
}

/* The due writer operation, timed; 0, or the error that ends the run. */
static int mixed_writer_op(struct mixed_run *m, struct wl_mm *mm)
{
	uint64_t s = wl_now_ns();
	int err = mixed_op(mm, (unsigned int)m->ops,
			   MEASURE_BASE + (m->ops % MIXED_CHUNKS) * PMD_SIZE);

	if (err && err != -EAGAIN && err != -EINVAL && err != -ENOENT)
		return err;
	if (!err)
		m->done++;
	if (m->ops < m->max_ops)
		m->lat[m->ops] = wl_now_ns() - s;
	m->ops++;
	measure_qs();
	return 0;
}

/* The writer at m->rate for m->dur, sampling as it goes. */
static int mixed_loop(struct mixed_run *m, struct measure_pool *p)
{
	uint64_t now;
	int ret = 0;

	m->t0 = wl_now_ns();
	m->next_sample = m->t0;
	while ((now = wl_now_ns()) < m->t0 + m->dur) {
		mixed_sample(m, p, now);
		if (mixed_wait(m, now))
			continue;
		ret = mixed_writer_op(m, p->mm);
		if (ret)
			break;
	}
	m->elapsed = wl_now_ns() - m->t0;
	return ret;
}

/* Walk rate, fast-path ratio, writer rate, IPIs per completed op. */
static void mixed_emit_rates(const struct wl_measure_ctx *c,
			     struct mixed_run *m, const struct measure_pool *p,
			     struct wl_row *r)
{
	/*
	 * Median over the 10 ms windows, with the slowest and fastest: one
	 * figure for the whole run swung 10x between runs at the highest
	 * rate, where walkers fall into the slow path behind the writer in
	 * bursts.
	 */
	if (m->nw) {
		measure_emit_stats(c, r, m->wrate, (unsigned int)m->nw);
	} else {
		measure_emit_value(c, r,
				   (double)p->walks * 1e9 / (double)m->elapsed,
				   p->walks);
	}
	measure_row_metric(r, "fast_path_ratio", "ratio");
	measure_emit_value(c, r,
			   p->pages_done ? (double)p->fast_pages /
						   (double)p->pages_done
					 : 0,
			   p->walks);
	measure_row_metric(r, "writer_ops_per_s", "1/s");
	measure_emit_value(c, r, (double)m->ops * 1e9 / (double)m->elapsed,
			   m->ops);
	measure_row_metric(r, "writer_ops_done", "ops");
	measure_emit_value(c, r, (double)m->done, m->ops);
	measure_emit_ipis(c, r, &m->i0, &m->i1, m->done);
}

/* The backlog's peak, the writer's latency, then the backlog over time. */
static void mixed_emit_backlog(const struct wl_measure_ctx *c,
			       struct mixed_run *m, unsigned int walkers,
			       struct wl_row *r)
{
	int64_t peak = atomic_load(&wl_tables.deferred_peak);

	measure_row_metric(r, "backlog_peak_tables", "tables");
	measure_emit_value(c, r, (double)peak, m->nb);
	measure_row_metric(r, "backlog_peak_bytes", "bytes");
	measure_emit_value(c, r, (double)peak * (double)PAGE_SIZE, m->nb);
	if (m->ops) {
		measure_row_metric(r, "writer_op_ns", "ns");
		snprintf(r->writer_op, sizeof(r->writer_op), "mix");
		measure_emit_samples(c, r, m->lat, WL_MIN(m->ops, m->max_ops));
	}
	for (uint64_t i = 0; i < m->nb; i++) {
		wl_row_init(r, "mixed", "backlog_tables", "tables");
		r->cpus = walkers;
		r->writer_rate = (int64_t)m->rate;
		r->t_ms = (int64_t)(i * (MIXED_SAMPLE_NS / 1000000));
		measure_emit_value(c, r, (double)m->backlog[i], 1);
	}
}

static void mixed_emit(const struct wl_measure_ctx *c, struct mixed_run *m,
		       const struct measure_pool *p, unsigned int walkers)
{
	struct wl_row r;

	wl_row_init(&r, "mixed", "walks_per_s", "1/s");
	r.cpus = walkers;
	r.writer_rate = (int64_t)m->rate;
	r.walk_pages = MEASURE_WALK_PAGES;
	mixed_emit_rates(c, m, p, &r);
	mixed_emit_backlog(c, m, walkers, &r);
}

static int mixed_one(const struct wl_measure_ctx *c, uint64_t rate,
		     unsigned int walkers)
{
	struct mixed_run m = {.rate = rate};
	struct measure_pool p;
	struct wl_mm mm;
	int ret;

	m.dur = (c->quick ? 150 : 300) * UINT64_C(1000000);
	m.max_ops = rate * m.dur / 1000000000 + 1;
	m.lat = calloc(m.max_ops, sizeof(*m.lat));
	if (!m.lat)
		return -ENOMEM;
	ret = measure_pool_setup(&p, &mm, MIXED_CHUNKS * PMD_SIZE,
				 FOLL_GET | FOLL_WRITE, walkers);
	if (ret)
		goto out_free;
	/* The peak from here on (a statistic: no order needed). */
	atomic_store(&wl_tables.deferred_peak,
		     atomic_load(&wl_tables.deferred));
	wl_ipi_stats(&m.i0);
	measure_pool_start(&p);
	ret = mixed_loop(&m, &p);
	measure_pool_stop(&p);
	wl_ipi_stats(&m.i1);
	if (!ret && p.err)
		ret = p.err;
	if (!ret)
		mixed_emit(c, &m, &p, walkers);
	wl_mm_destroy(&mm);
out_free:
	free(m.lat);
	return ret;
}

int wl_measure_mixed(const struct wl_measure_ctx *c)
{
	static const uint64_t rates[] = {0, 1000, 10000};
	int ret = 0;

	for (unsigned int i = 0; i < WL_ARRAY_SIZE(rates) && !ret; i++)
		ret = mixed_one(c, rates[i], 1);
	return ret;
}
