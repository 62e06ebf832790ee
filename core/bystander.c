// SPDX-License-Identifier: MIT
/*
 * bystander.c - bystander CPUs (see bystander.h).
 *
 * The probe's histogram is the bystander's own (no atomics in its loop):
 * log-linear, eight sub-buckets per power of two, so a percentile is read
 * within 1/8 of its value; the maximum is exact.  The starter reads it
 * after pthread_join(), which orders the loop's plain stores before.
 */
#include "bystander.h"
#include "arch.h"
#include "mm.h"
#include "rcu_sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BITS   3 /* 8 sub-buckets a power of two */
#define NR_BUCKETS ((64 - SUB_BITS + 1) << SUB_BITS)

struct bystander {
	pthread_t thread;
	struct wl_bystanders *set;
	struct wl_mm mm; /* the other mm it runs */
	int err;
	struct wl_bystander_result res;
	uint64_t hist[NR_BUCKETS];
};

struct wl_bystanders {
	unsigned int n;
	/* Between the starter and the loops; they order nothing else. */
	_Atomic bool stop;
	_Atomic unsigned int started;
	struct bystander b[];
};

static unsigned int bucket(uint64_t v)
{
	unsigned int e;

	if (v < (1u << SUB_BITS))
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v); /* >= SUB_BITS */
	return ((e - SUB_BITS + 1) << SUB_BITS) +
	       (unsigned int)((v >> (e - SUB_BITS)) & ((1u << SUB_BITS) - 1));
}

/* The largest value of bucket i. */
static uint64_t bucket_top(unsigned int i)
{
	unsigned int e = (i >> SUB_BITS) + SUB_BITS - 1;
	uint64_t sub = i & ((1u << SUB_BITS) - 1);

	if (i < (1u << SUB_BITS))
		return i;
	return (((1u << SUB_BITS) + sub + 1) << (e - SUB_BITS)) - 1;
}

/* The pct-th percentile of the gaps, as its bucket's top (<= max). */
static uint64_t percentile(const struct bystander *b, double pct)
{
	uint64_t rank = (uint64_t)(pct / 100 * (double)b->res.loops + 0.5);
	uint64_t seen = 0;

	if (!b->res.loops)
		return 0;
	rank = WL_MAX(rank, 1);
	for (unsigned int i = 0; i < NR_BUCKETS; i++) {
		seen += b->hist[i];
		if (seen >= rank)
			return WL_MIN(bucket_top(i), b->res.gap_max_ns);
	}
	return b->res.gap_max_ns;
}

/*
 * The probe: a timestamp a turn, and the CPU's interrupt count read just
 * after it, so that an interrupt taken since the previous turn lies in
 * the gap between the two timestamps.
 */
static void probe_loop(struct bystander *b)
{
	struct wl_bystander_result *r = &b->res;
	uint64_t prev = wl_now_ns(), first = prev;
	uint64_t seen = wl_ipi_taken_self();

	while (!atomic_load_explicit(&b->set->stop, memory_order_relaxed)) {
		uint64_t t, gap, taken;

		wl_ipi_poll(); /* poll delivery: take them here */
		t = wl_now_ns();
		taken = wl_ipi_taken_self();
		gap = t - prev;
		prev = t;
		b->hist[bucket(gap)]++;
		r->loops++;
		r->gap_max_ns = WL_MAX(r->gap_max_ns, gap);
		if (taken != seen) {
			seen = taken;
			r->irq_loops++;
			r->irq_gap_max_ns = WL_MAX(r->irq_gap_max_ns, gap);
		}
	}
	r->elapsed_ns = prev - first;
}

static void *bystander_main(void *arg)
{
	struct bystander *b = arg;
	struct wl_cpu_counts t0, t1;
	int cpu = wl_cpu_up("bystander");

	if (cpu < 0 || (b->err = wl_mm_init(&b->mm))) {
		b->err = cpu < 0 ? cpu : b->err;
		if (cpu >= 0)
			wl_cpu_down();
		/* release: err before; pairs with the starter's acquire */
		atomic_fetch_add_explicit(&b->set->started, 1,
					  memory_order_release);
		return NULL;
	}
	b->res.cpu = cpu;
	wl_arch_switch_mm(&b->mm);
	wl_rcu_sched_user_enter();
	wl_cpu_counts(cpu, &t0);
	/* release: online in our mm before; pairs with the starter's load */
	atomic_fetch_add_explicit(&b->set->started, 1, memory_order_release);
	probe_loop(b);
	wl_rcu_sched_user_exit();
	wl_arch_switch_mm(NULL);
	wl_mm_destroy(&b->mm);
	/*
	 * Down first: wl_cpu_down() runs every call still queued for us, so
	 * the counts below are all we were sent (no CPU takes our id before
	 * the starter joins us: the run's CPUs are already down or stay up).
	 */
	wl_cpu_down();
	wl_cpu_counts(cpu, &t1);
	for (int k = 0; k < WL_NR_IPI_KINDS; k++)
		b->res.irqs[k] = t1.received_kind[k] - t0.received_kind[k];
	return NULL;
}

static void join_all(struct wl_bystanders *bs, unsigned int n)
{
	/* Relaxed: the loops only leave; pthread_join() orders the rest. */
	atomic_store_explicit(&bs->stop, true, memory_order_relaxed);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(bs->b[i].thread, NULL);
}

int wl_bystanders_start(struct wl_bystanders **out, unsigned int n)
{
	struct wl_bystanders *bs;
	unsigned int i;
	int err = 0;

	*out = NULL;
	if (!n || n > WL_MAX_BYSTANDERS)
		return -EINVAL;
	bs = calloc(1, sizeof(*bs) + n * sizeof(bs->b[0]));
	if (!bs)
		return -ENOMEM;
	bs->n = n;
	for (i = 0; i < n && !err; i++) {
		bs->b[i].set = bs;
		err = -pthread_create(&bs->b[i].thread, NULL, bystander_main,
				      &bs->b[i]);
	}
	if (err)
		i--; /* the one that failed was not created */
	/* acquire: each one's err and set-up; pairs with its release add */
	while (atomic_load_explicit(&bs->started, memory_order_acquire) < i)
		wl_sleep_ns(100000);
	for (unsigned int j = 0; j < i && !err; j++)
		err = bs->b[j].err;
	if (err) {
		join_all(bs, i);
		free(bs);
		return err;
	}
	*out = bs;
	return 0;
}

void wl_bystanders_stop(struct wl_bystanders *bs,
			struct wl_bystander_result *res)
{
	if (!bs)
		return;
	join_all(bs, bs->n);
	for (unsigned int i = 0; res && i < bs->n; i++) {
		struct bystander *b = &bs->b[i];

		b->res.gap_p50_ns = percentile(b, 50);
		b->res.gap_p99_ns = percentile(b, 99);
		res[i] = b->res;
	}
	free(bs);
}

uint64_t wl_bystanders_irqs(const struct wl_bystander_result *res,
			    unsigned int n, int kind)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < n; i++)
		sum += res[i].irqs[kind];
	return sum;
}
