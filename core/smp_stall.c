// SPDX-License-Identifier: MIT
/*
 * smp_stall.c - the stall detector: a waiter that waits too long reports
 * the CPUs it waits on, as the host sees their threads, and aborts past
 * the panic threshold (smp.h, wl_stall_check()).
 */
#include "smp_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
/* Copies of the stall thresholds, read by any waiter (relaxed). */
static _Atomic uint64_t stall_ns_cur = 2000000000ull;
static _Atomic uint64_t stall_panic_ns_cur = 30000000000ull;
static _Atomic uint64_t stall_count;

void wl_stall_set_thresholds(uint64_t stall_ns, uint64_t panic_ns)
{
	atomic_store_explicit(&stall_ns_cur, stall_ns, memory_order_relaxed);
	atomic_store_explicit(&stall_panic_ns_cur, panic_ns,
			      memory_order_relaxed);
}

void wl_stall_wait_init(struct wl_stall_wait *w, const char *what)
{
	w->start_ns = wl_now_ns();
	w->what = what;
	w->reported = false;
}

uint64_t wl_stall_count(void)
{
	return atomic_load_explicit(&stall_count, memory_order_relaxed);
}

/* Bit of signal sig in a /proc status mask line ("SigBlk:\t<hex>"). */
static int proc_sigmask_has(const char *line, int sig)
{
	unsigned long long m = strtoull(strchr(line, ':') + 1, NULL, 16);

	return (int)((m >> (sig - 1)) & 1);
}

/*
 * What the host says of a CPU's thread: run state (R running or
 * runnable, S sleeping, ...), the PU it last ran on, and whether the IPI
 * signal is pending or blocked for it.  Best effort, for stall reports.
 */
static void dump_host_thread(FILE *f, pid_t tid)
{
	char path[64], line[512], state = '?';
	int pu = -1, pnd = -1, blk = -1;
	const char *p;
	FILE *in;
	int field;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	in = fopen(path, "r");
	if (in) {
		if (fgets(line, sizeof(line), in) && (p = strrchr(line, ')'))) {
			/* Field 3 is the state, field 39 the last PU. */
			state = p[2];
			for (field = 2; *p && field < 39; p++)
				if (*p == ' ')
					field++;
			pu = atoi(p);
		}
		fclose(in);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	in = fopen(path, "r");
	if (in) {
		while (fgets(line, sizeof(line), in)) {
			if (!strncmp(line, "SigPnd:", 7))
				pnd = proc_sigmask_has(line, wl_ipi_sig);
			else if (!strncmp(line, "SigBlk:", 7))
				blk = proc_sigmask_has(line, wl_ipi_sig);
		}
		fclose(in);
	}
	fprintf(f,
		"        host thread %d: state %c, last on PU %d, IPI signal "
		"pending %d, blocked %d\n",
		(int)tid, state, pu, pnd, blk);
}

static void dump_cpu(FILE *f, int id, uint64_t now)
{
	struct wl_cpu *c = &wl_cpus[id];
	uint64_t off, sent, oldest = UINT64_MAX;
	unsigned int npend = 0;
	int s;

	if (!c->registered) {
		fprintf(f, "    CPU %d: not up\n", id);
		return;
	}
	for (s = 0; s < NR_CSD_ROWS; s++) {
		if (atomic_load_explicit(&c->csd[s].state,
					 memory_order_relaxed) != CSD_PENDING)
			continue;
		npend++;
		sent = atomic_load_explicit(&c->csd[s].sent_ns,
					    memory_order_relaxed);
		oldest = WL_MIN(oldest, sent);
	}
	off = atomic_load_explicit(&c->irq_off_since_ns, memory_order_relaxed);
	if (!atomic_load_explicit(&c->online, memory_order_relaxed))
		fprintf(f, "    CPU %d (%s): going offline, pending IPIs %u\n",
			id, c->name, npend);
	else if (off)
		fprintf(f,
			"    CPU %d (%s): irqs disabled for %" PRIu64
			" ms, pending IPIs %u\n",
			id, c->name, (now - WL_MIN(off, now)) / 1000000u,
			npend);
	else if (npend)
		fprintf(f,
			"    CPU %d (%s): IPI not taken for %" PRIu64
			" ms (%s), pending IPIs %u\n",
			id, c->name, (now - WL_MIN(oldest, now)) / 1000000u,
			wl_ipi_poll_mode
				? "poll delivery: irqs disabled or not polling"
				: "signal not delivered: not running?",
			npend);
	else
		fprintf(f, "    CPU %d (%s): no IPI pending\n", id, c->name);
	dump_host_thread(f, c->tid);
}

void wl_smp_dump_cpus(FILE *f, const struct wl_cpumask *mask)
{
	uint64_t now = wl_now_ns();
	int cpu;

	/* wl_cpu_id_lock: names and registration are stable while we print. */
	pthread_mutex_lock(&wl_cpu_id_lock);
	wl_for_each_cpu(cpu, mask)
	{
		dump_cpu(f, cpu, now);
	}
	pthread_mutex_unlock(&wl_cpu_id_lock);
}

static void stall_report(const char *level, struct wl_stall_wait *w,
			 uint64_t elapsed, const struct wl_cpumask *holders)
{
	struct wl_cpu *me = wl_irq.cpu;

	pthread_mutex_lock(&report_lock);
	flockfile(stderr);
	if (me)
		fprintf(stderr,
			"walklab: %s: %s stall: %" PRIu64
			" ms, waited on by CPU %d (%s)\n",
			level, w->what, elapsed / 1000000u, wl_irq.cpu_id,
			me->name);
	else
		fprintf(stderr,
			"walklab: %s: %s stall: %" PRIu64
			" ms, waited on by thread %d (not a CPU)\n",
			level, w->what, elapsed / 1000000u, (int)gettid());
	wl_smp_dump_cpus(stderr, holders);
	funlockfile(stderr);
	pthread_mutex_unlock(&report_lock);
}

bool wl_stall_check(struct wl_stall_wait *w, const struct wl_cpumask *holders)
{
	uint64_t stall =
		atomic_load_explicit(&stall_ns_cur, memory_order_relaxed);
	uint64_t panic =
		atomic_load_explicit(&stall_panic_ns_cur, memory_order_relaxed);
	uint64_t elapsed;

	if (!stall)
		return false;
	elapsed = wl_now_ns() - w->start_ns;
	if (!w->reported) {
		if (elapsed < stall)
			return false;
		w->reported = true;
		atomic_fetch_add_explicit(&stall_count, 1,
					  memory_order_relaxed);
		stall_report("INFO", w, elapsed, holders);
	}
	if (panic && elapsed >= panic) {
		stall_report("PANIC", w, elapsed, holders);
		fprintf(stderr,
			"walklab: stall longer than %" PRIu64 " ms, aborting\n",
			panic / 1000000u);
		abort();
	}
	return true;
}
