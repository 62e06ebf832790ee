// SPDX-License-Identifier: MIT
/*
 * smp_stall.c - the stall detector: a waiter that waits too long judges
 * the CPUs it waits on by their own time (the host's schedstat: wall time
 * less the time the thread was runnable but not run), reports those that
 * stalled while running, notes those the host starved, and aborts past the
 * panic threshold (smp.h, wl_stall_check()).
 *
 * The simulated CPUs are threads on a host with fewer PUs (256 on two):
 * a CPU the host did not schedule has not stalled, as a vCPU that the
 * hypervisor preempted has not (the kernel's RCU stall warnings learned the
 * same about steal time and stopped guests).  A CPU that spins, or sleeps,
 * with IRQs off accumulates own time at whatever share of a PU the host
 * gives it, and is reported once that reaches the threshold.
 */
#include "smp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A report lists this many CPUs, then a count of the rest (unless verbose). */
#define REPORT_CPUS 8

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
/* Copies of the stall thresholds, read by any waiter (relaxed). */
static _Atomic uint64_t stall_ns_cur = 2000000000ull;
static _Atomic uint64_t stall_panic_ns_cur = 30000000000ull;
static _Atomic bool stall_verbose;
static _Atomic uint64_t stall_count, starve_count, starve_max_ns;
static _Atomic uint64_t wait_gen;

/*
 * A waiter's baselines of the holders' host accounts, per holder, valid
 * for the wait whose gen matches.  Thread-local (one wait at a time per
 * thread), allocated at the first slow wait, freed at thread exit.
 */
struct stall_base {
	uint64_t gen;
	struct wl_host_track track;
	uint64_t wall, starved; /* over the last look */
	enum wl_stall_verdict verdict;
};
static _Thread_local struct stall_base *tl_base;
static pthread_key_t base_key;
static pthread_once_t base_once = PTHREAD_ONCE_INIT;

void wl_stall_set_thresholds(uint64_t stall_ns, uint64_t panic_ns)
{
	atomic_store_explicit(&stall_ns_cur, stall_ns, memory_order_relaxed);
	atomic_store_explicit(&stall_panic_ns_cur, panic_ns,
			      memory_order_relaxed);
}

void wl_stall_set_verbose(bool verbose)
{
	atomic_store_explicit(&stall_verbose, verbose, memory_order_relaxed);
}

/* Waits this thread is in: only the outermost is accounted. */
static _Thread_local unsigned int wait_depth;

void wl_wait_account_enter(void)
{
	struct wl_cpu *me = wl_irq.cpu;

	if (me && !wait_depth++)
		atomic_store_explicit(&me->wait_since_ns, wl_now_ns(),
				      memory_order_relaxed);
}

void wl_wait_account_exit(void)
{
	struct wl_cpu *me = wl_irq.cpu;
	uint64_t since;

	if (!me || !wait_depth || --wait_depth)
		return;
	since = atomic_load_explicit(&me->wait_since_ns, memory_order_relaxed);
	stat_add(&me->waited_ns, wl_now_ns() - WL_MIN(since, wl_now_ns()));
	atomic_store_explicit(&me->wait_since_ns, 0, memory_order_relaxed);
}

void wl_stall_wait_init(struct wl_stall_wait *w, const char *what)
{
	memset(w, 0, sizeof(*w));
	w->start_ns = wl_now_ns();
	w->what = what;
	wl_wait_account_enter();
}

void wl_stall_wait_done(struct wl_stall_wait *w)
{
	(void)w;
	wl_wait_account_exit();
}

uint64_t wl_cpu_waited_ns(int cpu, uint64_t now)
{
	struct wl_cpu *c;
	uint64_t since;

	if (cpu < 0 || cpu >= WL_NR_CPUS)
		return 0;
	c = &wl_cpus[cpu];
	since = atomic_load_explicit(&c->wait_since_ns, memory_order_relaxed);
	return stat_read(&c->waited_ns) +
	       (since && since < now ? now - since : 0);
}

uint64_t wl_stall_count(void)
{
	return atomic_load_explicit(&stall_count, memory_order_relaxed);
}

uint64_t wl_stall_starved(uint64_t *max_wall_ns)
{
	if (max_wall_ns)
		*max_wall_ns = atomic_load_explicit(&starve_max_ns,
						    memory_order_relaxed);
	return atomic_load_explicit(&starve_count, memory_order_relaxed);
}

enum wl_stall_verdict wl_stall_judge(uint64_t wall_ns, uint64_t starved_ns,
				     uint64_t threshold_ns)
{
	uint64_t own = wall_ns - WL_MIN(starved_ns, wall_ns);

	if (own >= threshold_ns)
		return WL_STALL_STALLED;
	return wall_ns >= threshold_ns ? WL_STALL_STARVED : WL_STALL_NONE;
}

/* "run_ns wait_ns slices" of /proc/self/task/TID/schedstat. */
static bool read_schedstat(pid_t tid, struct wl_host_sched *hs)
{
	char path[64], buf[128];
	unsigned long long run, wait;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return false;
	hs->run_ns = run;
	hs->wait_ns = wait;
	hs->has_wait = true;
	return true;
}

/*
 * The thread of CPU cpu if it is up (0 if not), read under the id lock:
 * wl_cpu_up() writes tid and thread under it.
 */
static pid_t cpu_thread(int cpu, pthread_t *thread)
{
	struct wl_cpu *c = &wl_cpus[cpu];
	pid_t tid = 0;

	pthread_mutex_lock(&wl_cpu_id_lock);
	if (c->registered &&
	    atomic_load_explicit(&c->online, memory_order_relaxed)) {
		tid = c->tid;
		*thread = c->thread;
	}
	pthread_mutex_unlock(&wl_cpu_id_lock);
	return tid;
}

bool wl_cpu_host_sched(int cpu, struct wl_host_sched *hs)
{
	struct timespec ts;
	pthread_t thread;
	clockid_t clk;
	pid_t tid;

	if (cpu < 0 || cpu >= WL_NR_CPUS)
		return false;
	tid = cpu_thread(cpu, &thread);
	if (!tid)
		return false;
	if (read_schedstat(tid, hs))
		return true;
	/* No schedstat: the thread's CPU clock, run time only. */
	if (pthread_getcpuclockid(thread, &clk) || clock_gettime(clk, &ts))
		return false;
	hs->run_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	hs->wait_ns = 0;
	hs->has_wait = false;
	return true;
}

/* The run state letter of /proc/self/task/TID/stat ('R', 'S', ...). */
static char read_state(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

/* Is CPU cpu's thread runnable ('R': running or waiting for a PU)? */
static bool cpu_queued(int cpu)
{
	pthread_t thread;
	pid_t tid = cpu_thread(cpu, &thread);

	return tid && read_state(tid) == 'R';
}

bool wl_host_track_start(struct wl_host_track *t, int cpu, uint64_t now)
{
	struct wl_host_sched hs;

	memset(t, 0, sizeof(*t));
	if (!wl_cpu_host_sched(cpu, &hs))
		return false;
	t->wall0 = t->last_ns = now;
	t->wait0 = hs.wait_ns;
	t->run0 = t->last_run = hs.run_ns;
	t->has_wait = hs.has_wait;
	return true;
}

bool wl_host_track_look(struct wl_host_track *t, int cpu, uint64_t now,
			uint64_t *wall_ns, uint64_t *starved_ns)
{
	struct wl_host_sched hs;
	uint64_t wall = now - WL_MIN(t->wall0, now), starved;

	if (!wl_cpu_host_sched(cpu, &hs))
		return false;
	if (!t->has_wait) {
		/* Run time only: sleeping is counted as starved too. */
		starved = wall - WL_MIN(hs.run_ns - t->run0, wall);
	} else {
		if (hs.run_ns != t->last_run)
			t->queued_since = 0; /* it ran: run_delay has it */
		else if (!t->queued_since && cpu_queued(cpu))
			t->queued_since = t->last_ns;
		starved = hs.wait_ns - WL_MIN(t->wait0, hs.wait_ns);
		if (t->queued_since)
			starved += now - WL_MIN(t->queued_since, now);
	}
	t->last_ns = now;
	t->last_run = hs.run_ns;
	*wall_ns = wall;
	*starved_ns = WL_MIN(starved, wall);
	return true;
}

static void base_free(void *p)
{
	free(p);
}

static void base_key_init(void)
{
	pthread_key_create(&base_key, base_free);
}

static struct stall_base *base_table(void)
{
	if (tl_base)
		return tl_base;
	pthread_once(&base_once, base_key_init);
	tl_base = calloc(WL_NR_CPUS, sizeof(*tl_base));
	if (tl_base)
		pthread_setspecific(base_key, tl_base);
	return tl_base;
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

/* How a CPU stands, for the summary line of a report. */
enum cpu_state {
	CS_NOT_UP,
	CS_OFFLINE,
	CS_IRQS_OFF,
	CS_IPI_PENDING,
	CS_IDLE,
	NR_CPU_STATES
};
static const char *const cpu_state_names[NR_CPU_STATES] = {
	"not up",	 "going offline",  "irqs disabled",
	"IPI not taken", "no IPI pending",
};

static enum cpu_state cpu_state(int id, unsigned int *npend, uint64_t *oldest)
{
	struct wl_cpu *c = &wl_cpus[id];
	uint64_t sent;
	int s;

	*npend = 0;
	*oldest = UINT64_MAX;
	if (!c->registered)
		return CS_NOT_UP;
	for (s = 0; s < NR_CSD_ROWS; s++) {
		if (atomic_load_explicit(&c->csd[s].state,
					 memory_order_relaxed) != CSD_PENDING)
			continue;
		(*npend)++;
		sent = atomic_load_explicit(&c->csd[s].sent_ns,
					    memory_order_relaxed);
		*oldest = WL_MIN(*oldest, sent);
	}
	if (!atomic_load_explicit(&c->online, memory_order_relaxed))
		return CS_OFFLINE;
	if (atomic_load_explicit(&c->irq_off_since_ns, memory_order_relaxed))
		return CS_IRQS_OFF;
	return *npend ? CS_IPI_PENDING : CS_IDLE;
}

/* The judgement of a holder by a waiter's last look, if any. */
static void dump_judgement(FILE *f, const struct stall_base *b)
{
	static const char *const v[] = {
		[WL_STALL_NONE] = "not yet judged",
		[WL_STALL_STARVED] = "starved by the host",
		[WL_STALL_STALLED] = "stalled while running",
	};

	fprintf(f,
		"        %s: own time %" PRIu64 " ms of %" PRIu64
		" ms (runnable, not run: %" PRIu64 " ms%s)\n",
		v[b->verdict],
		(b->wall - WL_MIN(b->starved, b->wall)) / 1000000u,
		b->wall / 1000000u, b->starved / 1000000u,
		b->track.has_wait ? ""
				  : ", no schedstat: sleep counted as starved");
}

static void dump_cpu(FILE *f, int id, uint64_t now, const struct stall_base *b)
{
	struct wl_cpu *c = &wl_cpus[id];
	unsigned int npend;
	uint64_t oldest, off;

	switch (cpu_state(id, &npend, &oldest)) {
	case CS_NOT_UP:
		fprintf(f, "    CPU %d: not up\n", id);
		return;
	case CS_OFFLINE:
		fprintf(f, "    CPU %d (%s): going offline, pending IPIs %u\n",
			id, c->name, npend);
		break;
	case CS_IRQS_OFF:
		off = atomic_load_explicit(&c->irq_off_since_ns,
					   memory_order_relaxed);
		fprintf(f,
			"    CPU %d (%s): irqs disabled for %" PRIu64
			" ms, pending IPIs %u\n",
			id, c->name, (now - WL_MIN(off, now)) / 1000000u,
			npend);
		break;
	case CS_IPI_PENDING:
		fprintf(f,
			"    CPU %d (%s): IPI not taken for %" PRIu64
			" ms (%s), pending IPIs %u\n",
			id, c->name, (now - WL_MIN(oldest, now)) / 1000000u,
			wl_ipi_poll_mode
				? "poll delivery: irqs disabled or not polling"
				: "signal not delivered: not running?",
			npend);
		break;
	default:
		fprintf(f, "    CPU %d (%s): no IPI pending\n", id, c->name);
	}
	if (b)
		dump_judgement(f, b);
	dump_host_thread(f, c->tid);
}

/*
 * The CPUs of mask, those judged stalled first; with more than
 * REPORT_CPUS and not verbose, a line of counts by state and only the
 * first REPORT_CPUS.  b: the waiter's judgements (NULL: none, gen 0).
 */
static void dump_cpus(FILE *f, const struct wl_cpumask *mask,
		      const struct stall_base *b, uint64_t gen)
{
	unsigned int n = wl_cpumask_weight(mask), shown = 0, npend;
	unsigned int by_state[NR_CPU_STATES] = {0};
	bool verbose =
		atomic_load_explicit(&stall_verbose, memory_order_relaxed);
	uint64_t now = wl_now_ns(), oldest;
	int cpu, pass;

	/* wl_cpu_id_lock: names and registration are stable while we print. */
	pthread_mutex_lock(&wl_cpu_id_lock);
	if (n > REPORT_CPUS && !verbose) {
		wl_for_each_cpu(cpu, mask)
			by_state[cpu_state(cpu, &npend, &oldest)]++;
		fprintf(f, "    %u CPUs:", n);
		for (int s = 0; s < NR_CPU_STATES; s++)
			if (by_state[s])
				fprintf(f, " %u %s;", by_state[s],
					cpu_state_names[s]);
		fprintf(f, " the first %d (--verbose: all):\n", REPORT_CPUS);
	}
	for (pass = 0; pass < 2; pass++) {
		wl_for_each_cpu(cpu, mask)
		{
			const struct stall_base *j =
				b && b[cpu].gen == gen && gen ? &b[cpu] : NULL;
			bool stalled = j && j->verdict == WL_STALL_STALLED;

			if (stalled != !pass)
				continue;
			if (!verbose && shown++ >= REPORT_CPUS)
				break;
			dump_cpu(f, cpu, now, j);
		}
	}
	pthread_mutex_unlock(&wl_cpu_id_lock);
}

void wl_smp_dump_cpus(FILE *f, const struct wl_cpumask *mask)
{
	dump_cpus(f, mask, NULL, 0);
}

static void stall_header(const char *level, const char *kind,
			 struct wl_stall_wait *w, uint64_t elapsed)
{
	struct wl_cpu *me = wl_irq.cpu;

	if (me)
		fprintf(stderr,
			"walklab: %s: %s %s: %" PRIu64
			" ms, waited on by CPU %d (%s)\n",
			level, w->what, kind, elapsed / 1000000u, wl_irq.cpu_id,
			me->name);
	else
		fprintf(stderr,
			"walklab: %s: %s %s: %" PRIu64
			" ms, waited on by thread %d (not a CPU)\n",
			level, w->what, kind, elapsed / 1000000u,
			(int)gettid());
}

static void stall_report(const char *level, const char *kind,
			 struct wl_stall_wait *w, uint64_t elapsed,
			 const struct wl_cpumask *holders)
{
	pthread_mutex_lock(&report_lock);
	flockfile(stderr);
	stall_header(level, kind, w, elapsed);
	if (holders)
		dump_cpus(stderr, holders, tl_base, w->gen);
	funlockfile(stderr);
	pthread_mutex_unlock(&report_lock);
}

/* Without holders or a host account: judged by wall time, as before. */
static bool check_wall(struct wl_stall_wait *w,
		       const struct wl_cpumask *holders, uint64_t elapsed,
		       uint64_t stall, uint64_t panic)
{
	if (!w->reported) {
		if (elapsed < stall)
			return false;
		w->reported = true;
		stall_report("INFO", "stall", w, elapsed, holders);
		/* After the report: whoever sees the count sees it whole. */
		atomic_fetch_add_explicit(&stall_count, 1,
					  memory_order_relaxed);
	}
	if (panic && elapsed >= panic) {
		stall_report("PANIC", "stall", w, elapsed, holders);
		fprintf(stderr,
			"walklab: stall longer than %" PRIu64 " ms, aborting\n",
			panic / 1000000u);
		abort();
	}
	return true;
}

struct judged {
	unsigned int stalled, starved;
	uint64_t max_own;
};

/* One holder: baseline it for this wait, or judge it since the baseline. */
static void judge_one(struct stall_base *b, int cpu, uint64_t gen, uint64_t now,
		      uint64_t stall, struct judged *j)
{
	if (b->gen != gen) {
		b->gen = gen;
		b->wall = b->starved = 0;
		b->verdict = WL_STALL_NONE;
		if (!wl_host_track_start(&b->track, cpu, now))
			b->gen = 0; /* went down: holds nothing now */
		return;
	}
	if (!wl_host_track_look(&b->track, cpu, now, &b->wall, &b->starved))
		return;
	b->verdict = wl_stall_judge(b->wall, b->starved, stall);
	j->max_own = WL_MAX(j->max_own, b->wall - b->starved);
	if (b->verdict == WL_STALL_STALLED)
		j->stalled++;
	else if (b->verdict == WL_STALL_STARVED)
		j->starved++;
}

static void note_starved(struct wl_stall_wait *w,
			 const struct wl_cpumask *holders, uint64_t elapsed)
{
	uint64_t max =
		atomic_load_explicit(&starve_max_ns, memory_order_relaxed);

	while (elapsed > max &&
	       !atomic_compare_exchange_weak_explicit(
		       &starve_max_ns, &max, elapsed, memory_order_relaxed,
		       memory_order_relaxed))
		;
	if (w->noted)
		return;
	w->noted = true;
	atomic_fetch_add_explicit(&starve_count, 1, memory_order_relaxed);
	stall_report("NOTE", "wait starved by the host (not a stall)", w,
		     elapsed, holders);
}

bool wl_stall_check(struct wl_stall_wait *w, const struct wl_cpumask *holders)
{
	uint64_t stall =
		atomic_load_explicit(&stall_ns_cur, memory_order_relaxed);
	uint64_t panic =
		atomic_load_explicit(&stall_panic_ns_cur, memory_order_relaxed);
	struct judged j = {0};
	struct stall_base *b;
	uint64_t now, elapsed;
	int cpu;

	if (!stall)
		return false;
	now = wl_now_ns();
	elapsed = now - w->start_ns;
	/* Look at the holders from a quarter of the threshold on. */
	if (elapsed < stall / 4 || now < w->next_look_ns)
		return w->reported;
	b = holders && !wl_cpumask_empty(holders) ? base_table() : NULL;
	if (!b)
		return check_wall(w, holders, elapsed, stall, panic);
	w->next_look_ns = now + WL_MAX(stall / 16, 2000000u);
	if (!w->gen) {
		w->gen = atomic_fetch_add_explicit(&wait_gen, 1,
						   memory_order_relaxed) +
			 1;
		w->base_ns = now;
	}
	wl_for_each_cpu(cpu, holders)
		judge_one(&b[cpu], cpu, w->gen, now, stall, &j);
	if (j.stalled && !w->reported) {
		w->reported = true;
		/*
		 * Counted after the report is out: a test that stops the
		 * CPUs on seeing the count (irqs_off_stall_reported_256)
		 * took them down mid-report under TSan ("CPU 254: not up").
		 */
		stall_report("INFO", "stall", w, elapsed, holders);
		atomic_fetch_add_explicit(&stall_count, 1,
					  memory_order_relaxed);
	} else if (!j.stalled && j.starved && elapsed >= stall) {
		note_starved(w, holders, elapsed);
	}
	if (panic && j.max_own >= panic) {
		stall_report("PANIC", "stall", w, elapsed, holders);
		fprintf(stderr,
			"walklab: a CPU stalled longer than %" PRIu64
			" ms of its own time, aborting\n",
			panic / 1000000u);
		abort();
	}
	return w->reported;
}
