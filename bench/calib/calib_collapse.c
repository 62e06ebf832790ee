// SPDX-License-Identifier: MIT
/*
 * calib_collapse.c - the host kernel's own collapse: how many interrupts
 * does each other CPU take per PMD that MADV_COLLAPSE collapses, and does
 * the lab's today configuration count the same?
 *
 * Method.  Map N PMDs of anonymous memory, fault them in with 4 KiB pages
 * (under THP "always" through MADV_NOHUGEPAGE, cleared after), then
 * madvise(MADV_COLLAPSE) the range (Linux 6.1+), reading /proc/interrupts
 * before and after.  On x86 a TLB shootdown is a function call too: its
 * IPI counts in both the TLB and the CAL rows, so flushes = TLB delta and
 * syncs (tlb_remove_table_sync_one()'s smp_call_function()) = CAL delta -
 * TLB delta, on the CPUs other than the caller's.  Each repetition also
 * counts a window as long with no collapse (the background: other
 * tenants' flushes and calls), and reports (collapse - background) / N /
 * other CPUs.  Run twice: with a thread of the same mm spinning on every
 * other CPU (they are in its mm_cpumask and running), and without (the
 * other CPUs run other processes or idle: bystanders).  AnonHugePages of
 * smaps_rollup must grow by the whole range, or the row is invalid.
 *
 * The arch model: KVM's PV TLB flush in CPUID is "paravirt" (CPUID first:
 * a PV flush with no vCPU preempted IPIs as ipi does, so the count alone
 * cannot tell them apart); else a flush that reaches a running CPU of the
 * mm by IPI in at least 90% of collapses is "ipi"; else "broadcast" with
 * INVLPGB, "paravirt" without (host_arch()).
 *
 * The busy flush figure.  A flush IPIs another CPU only if, at that
 * instant, it runs the mm (x86 should_flush_tlb(): a CPU that switched
 * to another mm is skipped, and a collapse's flush frees no table) and,
 * under KVM's PV flush, its vCPU is not preempted (kvm_flush_tlb_multi()
 * leaves a preempted one to flush at entry).  The spinner shares its CPU
 * with the guest's other tasks, and the host may preempt the vCPU: each
 * repetition reads the spinners' run time over the collapse (their own
 * loops' steps, gaps of CR_GAP_NS or more left out),
 * and the other CPUs' steal time over it (/proc/stat).  The judged
 * model is lab x share (wl_calib_pv_model()); steal alone, lab x
 * (1 - steal), is printed beside it, judged alike.
 */
#include "calib.h"
#include "calib_harness.h"
#include "cli.h"
#include "results.h"
#include "subprocess.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define CR_MAX_CPUS 1024
#define CR_PMD	    (UINT64_C(2) << 20)

/* The CAL and TLB rows of /proc/interrupts, per CPU column. */
struct irqs {
	long long cal[CR_MAX_CPUS], tlb[CR_MAX_CPUS];
	int cpu[CR_MAX_CPUS]; /* the CPU number of each column */
	int ncols;
};

static bool read_row(char *line, const char *tag, long long *v, int ncols)
{
	char *p = line, *end;

	while (*p == ' ')
		p++;
	if (strncmp(p, tag, 4))
		return false;
	p += 4;
	for (int i = 0; i < ncols; i++, p = end) {
		v[i] = strtoll(p, &end, 10);
		if (end == p)
			return false;
	}
	return true;
}

static bool read_irqs(struct irqs *s)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char *line = NULL, *save = NULL;
	size_t len = 0;
	int got = 0;

	s->ncols = 0;
	if (!f || getline(&line, &len, f) <= 0) {
		free(line);
		if (f)
			fclose(f);
		return false;
	}
	for (char *t = strtok_r(line, " \t\n", &save);
	     t && s->ncols < CR_MAX_CPUS; t = strtok_r(NULL, " \t\n", &save))
		if (!strncmp(t, "CPU", 3))
			s->cpu[s->ncols++] = atoi(t + 3);
	while (getline(&line, &len, f) > 0) {
		got |= read_row(line, "CAL:", s->cal, s->ncols) ? 1 : 0;
		got |= read_row(line, "TLB:", s->tlb, s->ncols) ? 2 : 0;
	}
	free(line);
	fclose(f);
	return got == 3;
}

/* The sums over the CPUs but self of after - before: flush, sync. */
static void irq_delta(const struct irqs *a, const struct irqs *b, int self,
		      double *flush, double *sync)
{
	*flush = *sync = 0;
	for (int i = 0; i < a->ncols; i++) {
		if (a->cpu[i] == self)
			continue;
		*flush += (double)(b->tlb[i] - a->tlb[i]);
		*sync += (double)(b->cal[i] - a->cal[i]) -
			 (double)(b->tlb[i] - a->tlb[i]);
	}
}

static long anon_huge_kib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[128];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static bool thp_always(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char buf[128] = "";

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	return strstr(buf, "[always]") != NULL;
}

/* The spinning threads of the mm, one pinned on each other CPU. */
struct spinner {
	pthread_t t;
	int cpu;
	atomic_bool *stop;
	atomic_bool running;
	atomic_bool fifo; /* it runs SCHED_FIFO */
	/*
	 * Its loop's steps shorter than CR_GAP_NS, summed: the time it ran.
	 * A difference of two reads is the time it ran in between, to
	 * within a step (a gap straddling the first read counts nothing).
	 */
	_Atomic uint64_t on_ns;
};

/*
 * A turn of the spinner's loop takes well under a microsecond; a longer
 * gap between two turns is time the spinner did not run: the guest ran
 * another task there, or the host did not run the vCPU (steal).
 */
#define CR_GAP_NS 20000

static void *spin_main(void *arg)
{
	const struct sched_param prio = {.sched_priority = 1};
	struct spinner *s = arg;
	uint64_t last, now;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	/*
	 * SCHED_FIFO where allowed: the CPU is then the spinner's but for RT
	 * throttling and the host's steal, so the share of the collapse it
	 * runs is high and measured.  At the default priority it shares the
	 * CPU with the guest's other tasks, and their switches are not
	 * independent of the collapsing thread's (the note says so).
	 */
	atomic_store(&s->fifo, !sched_setscheduler(0, SCHED_FIFO, &prio));
	atomic_store(&s->running, true);
	last = wl_calib_clock_ns();
	while (!atomic_load_explicit(s->stop, memory_order_relaxed)) {
		now = wl_calib_clock_ns();
		if (now - last < CR_GAP_NS)
			atomic_fetch_add_explicit(&s->on_ns, now - last,
						  memory_order_relaxed);
		last = now;
	}
	return NULL;
}

/* One repetition's range: mapped, faulted with 4 KiB pages. */
static char *range_map(uint64_t pmds, void **base, size_t *len)
{
	size_t l = pmds * CR_PMD;
	char *m = mmap(NULL, l + CR_PMD, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (m == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)m + CR_PMD - 1) & ~(uintptr_t)(CR_PMD - 1));
	if (thp_always())
		madvise(a, l, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < l; off += 4096)
		a[off] = 1;
	if (thp_always())
		madvise(a, l, MADV_HUGEPAGE); /* clears VM_NOHUGEPAGE */
	*base = m;
	*len = l + CR_PMD;
	return a;
}

struct crun {
	int self;		 /* the caller's CPU */
	int others[CR_MAX_CPUS]; /* every other CPU we may run on */
	int nothers;
	uint64_t pmds;
	char why[112];
	/* Busy: the spinners' run-time counters (none: idle). */
	_Atomic uint64_t *on_ns[CR_MAX_CPUS];
	int ntid;
	bool fifo; /* every spinner runs SCHED_FIFO */
};

/* Sum over the spinners of the time they ran so far, in ns. */
static uint64_t spinners_on_ns(const struct crun *c)
{
	uint64_t sum = 0;

	for (int i = 0; i < c->ntid; i++)
		sum += atomic_load_explicit(c->on_ns[i], memory_order_relaxed);
	return sum;
}

/* Sum of the steal ticks (/proc/stat, 8th column) of the other CPUs. */
static uint64_t others_steal_ticks(const struct crun *c)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[256];
	uint64_t sum = 0;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long v[8];
		int cpu;

		if (sscanf(line,
			   "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu",
			   &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7]) != 9)
			continue;
		for (int i = 0; i < c->nothers; i++)
			if (c->others[i] == cpu)
				sum += v[7];
	}
	if (f)
		fclose(f);
	return sum;
}

/*
 * One repetition: collapse (and a background window as long); the
 * interrupts per collapsed PMD per other CPU.  false with c->why set.
 */
static bool crun_rep(struct crun *c, double *flush, double *sync, double *share,
		     double *steal)
{
	struct irqs *s = malloc(4 * sizeof(*s));
	double f[2], y[2];
	uint64_t t0, dt, on0, st0, rep0;
	void *base;
	size_t len;
	long huge0;
	char *a = range_map(c->pmds, &base, &len);
	bool ok = false;

	if (!s || !a) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		goto out;
	}
	huge0 = anon_huge_kib();
	st0 = others_steal_ticks(c);
	rep0 = wl_calib_clock_ns();
	on0 = spinners_on_ns(c);
	t0 = wl_calib_clock_ns();
	if (!read_irqs(&s[0])) {
		snprintf(c->why, sizeof(c->why),
			 "no CAL and TLB rows in "
			 "/proc/interrupts (not x86)");
		goto out;
	}
	if (madvise(a, c->pmds * CR_PMD, MADV_COLLAPSE)) {
		int e = errno;

		/*
		 * madvise_collapse_errno(): EAGAIN is transient (a page
		 * locked, off the LRU or with an unexpected reference for
		 * now), ENOMEM no huge page or charge, EINVAL a kernel
		 * without it (or without THP).
		 */
		snprintf(c->why, sizeof(c->why), "madvise(MADV_COLLAPSE): %s%s",
			 strerror(e),
			 e == EAGAIN   ? " (transient: run again)"
			 : e == EINVAL ? " (needs Linux 6.1+, THP)"
				       : "");
		goto out;
	}
	read_irqs(&s[1]);
	dt = wl_calib_clock_ns() - t0;
	/* The share of the collapse's time the spinners ran, per CPU. */
	*share = c->ntid ? WL_MIN(1.0, (double)(spinners_on_ns(c) - on0) /
					       (double)dt / c->ntid)
			 : 0;
	if (anon_huge_kib() - huge0 < (long)(c->pmds * 2048)) {
		snprintf(c->why, sizeof(c->why),
			 "AnonHugePages grew by %ld kB, not %llu",
			 anon_huge_kib() - huge0,
			 (unsigned long long)c->pmds * 2048);
		goto out;
	}
	read_irqs(&s[2]);
	while (wl_calib_clock_ns() - t0 < 2 * dt)
		; /* the background, for as long, on the same CPU */
	read_irqs(&s[3]);
	/* The other CPUs' steal over the repetition (ticks: coarse). */
	*steal = (double)(others_steal_ticks(c) - st0) /
		 (double)sysconf(_SC_CLK_TCK) /
		 ((double)(wl_calib_clock_ns() - rep0) * 1e-9) / c->nothers;
	irq_delta(&s[0], &s[1], c->self, &f[0], &y[0]);
	irq_delta(&s[2], &s[3], c->self, &f[1], &y[1]);
	*flush = (f[0] - f[1]) / (double)c->pmds / c->nothers;
	*sync = (y[0] - y[1]) / (double)c->pmds / c->nothers;
	ok = true;
out:
	if (a)
		munmap(base, len);
	free(s);
	return ok;
}

/* Our CPUs: the first is the caller's, the rest "others"; false if one. */
static bool crun_cpus(struct crun *c, cpu_set_t *saved)
{
	c->nothers = 0;
	c->self = -1;
	if (sched_getaffinity(0, sizeof(*saved), saved))
		return false;
	for (int cpu = 0; cpu < CPU_SETSIZE && c->nothers < CR_MAX_CPUS;
	     cpu++) {
		if (!CPU_ISSET(cpu, saved))
			continue;
		if (c->self < 0)
			c->self = cpu;
		else
			c->others[c->nothers++] = cpu;
	}
	return c->nothers > 0;
}

/*
 * R repetitions, with a spinning thread of the mm on every other CPU or
 * none; per PMD per other CPU: flush[R], sync[R].  false with c->why.
 */
static bool crun_series(struct crun *c, bool busy, unsigned int reps,
			double *flush, double *sync, double *share,
			double *steal)
{
	static struct spinner sp[CR_MAX_CPUS];
	atomic_bool stop = false;
	int n = busy ? c->nothers : 0;
	bool ok = true;

	for (int i = 0; i < n; i++) {
		sp[i].cpu = c->others[i];
		sp[i].stop = &stop;
		atomic_store(&sp[i].running, false);
		atomic_store(&sp[i].on_ns, 0);
		if (pthread_create(&sp[i].t, NULL, spin_main, &sp[i])) {
			n = i;
			ok = false;
			snprintf(c->why, sizeof(c->why), "pthread_create");
		}
	}
	for (int i = 0; i < n; i++)
		while (!atomic_load(&sp[i].running))
			sched_yield();
	c->ntid = n;
	if (n) /* busy; the idle series keeps the busy one's */
		c->fifo = true;
	for (int i = 0; i < n; i++) {
		c->fifo = c->fifo && atomic_load(&sp[i].fifo);
		c->on_ns[i] = &sp[i].on_ns;
	}
	for (unsigned int r = 0; ok && r < reps; r++)
		ok = crun_rep(c, &flush[r], &sync[r], &share[r], &steal[r]);
	c->ntid = 0;
	atomic_store(&stop, true);
	for (int i = 0; i < n; i++)
		pthread_join(sp[i].t, NULL);
	return ok;
}

/* x86 CPUID: KVM's PV TLB flush (KVM_FEATURE_PV_TLB_FLUSH), INVLPGB. */
static void cpu_flush_features(bool *pv_flush, bool *invlpgb)
{
	*pv_flush = *invlpgb = false;
#if defined(__x86_64__) || defined(__i386__)
	unsigned int a, b, c, d;
	char sig[13];

	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	if (!strcmp(sig, "KVMKVMKVM") && a >= 0x40000001) {
		__cpuid(0x40000001, a, b, c, d);
		*pv_flush = a & (1u << 9);
	}
	if (__get_cpuid(0x80000008, &a, &b, &c, &d))
		*invlpgb = b & (1u << 3);
#endif
}

/* The arch model the busy flush count says, and why. */
static const char *host_arch(double flush, char *why, size_t len)
{
	bool pv, invlpgb;

	cpu_flush_features(&pv, &invlpgb);
	/* A PV flush with no vCPU preempted IPIs as ipi does: CPUID first. */
	if (pv) {
		snprintf(why, len,
			 "KVM PV TLB flush (CPUID): IPIs only the vCPUs the "
			 "host runs (%.2f per flush), preempted ones flush on "
			 "entry",
			 flush);
		return "paravirt";
	}
	if (flush >= 0.9) {
		snprintf(why, len, "every flush IPI'd the running CPUs");
		return "ipi";
	}
	snprintf(why, len, "%.2f flush IPIs per running CPU%s", flush,
		 invlpgb ? "; INVLPGB" : "");
	return invlpgb ? "broadcast" : "paravirt";
}

/* The lab's exact counts for the same CPUs: flush[2], sync[2] (busy, idle). */
static bool lab_counts(const char *arch, int cpus, double *flush, double *sync,
		       char *why, size_t len)
{
	char exe[PATH_MAX], out[] = "/tmp/walklab-calib-crange-XXXXXX";
	char c_s[16], b_s[16], line[1024];
	int fd = mkstemp(out);
	bool ok = true;

	snprintf(exe, sizeof(exe), "%s/walklab-lockless_walk_helpers-today",
		 wl_exe_dir());
	if (fd < 0 || access(exe, X_OK)) {
		snprintf(why, len, "lockless_walk_helpers-today not built");
		if (fd >= 0)
			close(fd), unlink(out);
		return false;
	}
	close(fd);
	for (int busy = 0; busy < 2 && ok; busy++) {
		snprintf(c_s, sizeof(c_s), "%d", cpus);
		snprintf(b_s, sizeof(b_s), "%d", busy ? 0 : cpus - 1);
		char *argv[] = {exe,
				"measure",
				"--workloads",
				"collapse-range",
				"--range",
				"8M",
				"--cpus",
				c_s,
				"--bystanders",
				b_s,
				"--arch",
				(char *)arch,
				NULL};
		const struct wl_spawn_io io = {.out = out, .err = "/dev/null"};
		const char *role = busy ? "mm" : "bystander";
		FILE *f;
		int found = 0;

		ok = !wl_spawn_wait(argv, &io) && (f = fopen(out, "r"));
		while (ok && fgets(line, sizeof(line), f)) {
			struct wl_row r;
			char m[2][40];

			if (wl_row_parse_csv(line, &r) ||
			    strcmp(r.writer_op, "today"))
				continue;
			snprintf(m[0], sizeof(m[0]), "irqs_%s_flush_per_op",
				 role);
			snprintf(m[1], sizeof(m[1]), "irqs_%s_sync_per_op",
				 role);
			if (!strcmp(r.metric, m[0]) && ++found)
				flush[!busy] = r.median;
			if (!strcmp(r.metric, m[1]) && ++found)
				sync[!busy] = r.median;
		}
		if (ok)
			fclose(f);
		ok = ok && found == 2;
	}
	unlink(out);
	if (!ok)
		snprintf(why, len, "the lab's collapse-range run failed");
	return ok;
}

void wl_calib_pv_model(double lab, const double *p, const double *observed,
		       unsigned int reps, uint64_t pmds, unsigned int others,
		       double bg_sd, struct wl_calib_pv_model *m)
{
	double trials = (double)pmds * others, var = 0, obs = 0, exp = 0;

	for (unsigned int r = 0; r < reps; r++) {
		double q = WL_MIN(WL_MAX(lab * p[r], 0.0), 1.0);

		obs += observed[r];
		exp += q;
		var += trials * q * (1 - q);
	}
	m->observed = reps ? obs / reps : 0;
	m->expected = reps ? exp / reps : 0;
	/*
	 * 3 sd of the mean: the binomial of the pooled count and the
	 * background's own noise; and a stray interrupt per repetition.
	 */
	if (reps)
		var = var / (trials * reps * trials * reps) +
		      bg_sd * bg_sd / reps;
	m->tol = reps ? 3 * sqrt(var) + 1 / trials : 0;
	m->match = reps && fabs(m->observed - m->expected) <= m->tol;
}

static void set_names(struct wl_calib_report *r, int others)
{
	static const char *const what[] = {"flush busy", "sync busy",
					   "flush idle", "sync idle"};

	for (int i = 0; i < 8; i++) {
		struct wl_calib_entry *e =
			&r->e[WL_CALIB_COLLAPSE_BUSY_FLUSH + i];

		e->name = i < 4 ? "collapse_irqs" : "lab_collapse_irqs";
		e->unit = "irq/pmd/cpu";
		snprintf(e->variant, sizeof(e->variant), "%s", what[i % 4]);
		e->pages = 0;
		(void)others; /* per other CPU: the note says how many */
	}
	r->e[WL_CALIB_COLLAPSE_BUSY_SHARE].name = "collapse_cpu";
	snprintf(r->e[WL_CALIB_COLLAPSE_BUSY_SHARE].variant,
		 sizeof(r->e[0].variant), "spinner share busy");
	r->e[WL_CALIB_COLLAPSE_BUSY_STEAL].name = "collapse_cpu";
	snprintf(r->e[WL_CALIB_COLLAPSE_BUSY_STEAL].variant,
		 sizeof(r->e[0].variant), "steal busy");
	r->e[WL_CALIB_COLLAPSE_BUSY_SHARE].unit = "fraction";
	r->e[WL_CALIB_COLLAPSE_BUSY_STEAL].unit = "fraction";
	r->e[WL_CALIB_COLLAPSE_MODEL_BUSY_FLUSH].name = "model_collapse_irqs";
	snprintf(r->e[WL_CALIB_COLLAPSE_MODEL_BUSY_FLUSH].variant,
		 sizeof(r->e[0].variant), "flush busy");
	r->e[WL_CALIB_COLLAPSE_MODEL_BUSY_FLUSH].unit = "irq/pmd/cpu";
}

static void unavail_all(struct wl_calib_report *r, int from, const char *why)
{
	for (int i = from; i < 8; i++)
		wl_calib_unavail(&r->e[WL_CALIB_COLLAPSE_BUSY_FLUSH + i], "%s",
				 why);
	if (from == 0) {
		wl_calib_unavail(&r->e[WL_CALIB_COLLAPSE_BUSY_SHARE], "%s",
				 why);
		wl_calib_unavail(&r->e[WL_CALIB_COLLAPSE_BUSY_STEAL], "%s",
				 why);
	}
	wl_calib_unavail(&r->e[WL_CALIB_COLLAPSE_MODEL_BUSY_FLUSH], "%s", why);
	snprintf(r->collapse_note, sizeof(r->collapse_note), "not compared: %s",
		 why);
}

/* The busy series' per-repetition figures, for the model. */
#define CR_MAX_REPS 16
struct crun_busy {
	double flush[CR_MAX_REPS], share[CR_MAX_REPS], steal[CR_MAX_REPS];
	unsigned int reps;
	uint64_t pmds;
	bool fifo;
	/*
	 * The background subtraction's noise per repetition: the RMS of the
	 * idle flush figures, whose true value is 0 on every arch model
	 * (no CPU of the mm runs there).
	 */
	double bg_sd;
};

static double share_mean(const struct crun_busy *b)
{
	double sum = 0;

	for (unsigned int i = 0; i < b->reps; i++)
		sum += b->share[i];
	return b->reps ? sum / b->reps : 0;
}

/* The verdict: host vs lab, side by side, and the busy flush's models. */
static void verdict(struct wl_calib_report *r, const char *arch,
		    const char *why, int others, const struct crun_busy *b)
{
	const struct wl_calib_entry *e = &r->e[WL_CALIB_COLLAPSE_BUSY_FLUSH];
	struct wl_calib_pv_model ms, mt;
	double lab = e[4].median, nosteal[CR_MAX_REPS], steal = 0;
	size_t n;
	bool match[4];

	for (int i = 0; i < 4; i++)
		match[i] = e[i].median - e[i + 4].median < 0.1 &&
			   e[i + 4].median - e[i].median < 0.1;
	snprintf(r->collapse_note, sizeof(r->collapse_note),
		 "host behaves like arch %s (%s). Per collapsed PMD per other "
		 "CPU (%d), host vs lab today (%s, %d CPUs): busy flush %.2f "
		 "vs %.0f %s, "
		 "sync %.2f vs %.0f %s; idle flush %.2f vs %.0f %s, sync "
		 "%.2f vs %.0f %s",
		 arch, why, others, arch, others + 1, e[0].median, e[4].median,
		 match[0] ? "MATCH" : "DIFFER", e[1].median, e[5].median,
		 match[1] ? "MATCH" : "DIFFER", e[2].median, e[6].median,
		 match[2] ? "MATCH" : "DIFFER", e[3].median, e[7].median,
		 match[3] ? "MATCH" : "DIFFER");
	for (unsigned int i = 0; i < b->reps; i++) {
		nosteal[i] = 1 - b->steal[i];
		steal += b->steal[i] / b->reps;
	}
	wl_calib_pv_model(lab, b->share, b->flush, b->reps, b->pmds,
			  (unsigned int)others, b->bg_sd, &ms);
	wl_calib_pv_model(lab, nosteal, b->flush, b->reps, b->pmds,
			  (unsigned int)others, b->bg_sd, &mt);
	wl_calib_entry_stats(&r->e[WL_CALIB_COLLAPSE_MODEL_BUSY_FLUSH],
			     &ms.expected, 1, 1);
	n = strlen(r->collapse_note);
	snprintf(r->collapse_note + n, sizeof(r->collapse_note) - n,
		 ". Busy flush, model (a flush IPIs a CPU only while it runs "
		 "the mm and its vCPU is not preempted; lab x the share of "
		 "the collapse the spinners ran, %.2f, from their loops' "
		 "steps): mean %.2f "
		 "vs %.2f +- %.2f %s (spinners %s); steal alone (lab x (1 - "
		 "steal %.3f), /proc/stat): %.2f +- %.2f %s%s%s",
		 share_mean(b), ms.observed, ms.expected, ms.tol,
		 ms.match ? "MATCH" : "DIFFER",
		 b->fifo ? "SCHED_FIFO" : "at the default priority", steal,
		 mt.expected, mt.tol, mt.match ? "MATCH" : "DIFFER",
		 mt.match ? "" : " (steal does not explain it alone)",
		 ms.match || b->fifo ? ""
		 : ms.observed > ms.expected
			 ? ". The spinners shared their CPUs with other tasks "
			   "and ran when the collapse flushed more often than "
			   "their share of the time: run as root (SCHED_FIFO "
			   "spinners) to measure the model"
			 : ". The spinners shared their CPUs with other tasks "
			   "and ran when the collapse flushed less often than "
			   "their share of the time: run as root (SCHED_FIFO "
			   "spinners) to measure the model");
}

void wl_calib_collapse(const struct wl_calib_opts *o, struct wl_calib_report *r)
{
	unsigned int reps = o->repeats < 11 ? WL_MIN(o->repeats, 3u) : 5;
	_Static_assert(5 <= CR_MAX_REPS, "the busy model's repetitions");
	double *v = calloc(4 * (size_t)reps, sizeof(*v));
	double lf[2], ls[2], idle_share[CR_MAX_REPS], idle_steal[CR_MAX_REPS];
	struct crun c = {.pmds = o->repeats < 11 ? 32 : 128};
	struct crun_busy b = {.reps = reps};
	cpu_set_t saved, one;
	char why[160];
	const char *arch;

	if (!v || !crun_cpus(&c, &saved)) {
		set_names(r, 0);
		unavail_all(r, 0,
			    v ? "one CPU: no other CPU to interrupt"
			      : "out of memory");
		free(v);
		return;
	}
	set_names(r, c.nothers);
	CPU_ZERO(&one);
	CPU_SET(c.self, &one);
	sched_setaffinity(0, sizeof(one), &one);
	if (!crun_series(&c, true, reps, v, v + reps, b.share, b.steal) ||
	    !crun_series(&c, false, reps, v + 2 * reps, v + 3 * reps,
			 idle_share, idle_steal)) {
		unavail_all(r, 0, c.why);
		goto out;
	}
	memcpy(b.flush, v, reps * sizeof(*v));
	b.pmds = c.pmds;
	b.fifo = c.fifo;
	for (unsigned int i = 0; i < reps; i++)
		b.bg_sd += v[2 * reps + i] * v[2 * reps + i] / reps;
	b.bg_sd = sqrt(b.bg_sd);
	for (int i = 0; i < 4; i++)
		wl_calib_entry_stats(&r->e[WL_CALIB_COLLAPSE_BUSY_FLUSH + i],
				     v + i * reps, reps, c.pmds);
	wl_calib_entry_stats(&r->e[WL_CALIB_COLLAPSE_BUSY_SHARE], b.share, reps,
			     c.pmds);
	wl_calib_entry_stats(&r->e[WL_CALIB_COLLAPSE_BUSY_STEAL], b.steal, reps,
			     c.pmds);
	arch = host_arch(r->e[WL_CALIB_COLLAPSE_BUSY_FLUSH].median, why,
			 sizeof(why));
	if (!lab_counts(arch, WL_MIN(c.nothers + 1, WL_NR_CPUS), lf, ls, c.why,
			sizeof(c.why))) {
		unavail_all(r, 4, c.why);
		goto out;
	}
	for (int i = 0; i < 4; i++) {
		double x = i % 2 ? ls[i / 2] : lf[i / 2];

		wl_calib_entry_stats(
			&r->e[WL_CALIB_COLLAPSE_LAB_BUSY_FLUSH + i], &x, 1, 1);
	}
	verdict(r, arch, why, c.nothers, &b);
out:
	sched_setaffinity(0, sizeof(saved), &saved);
	free(v);
}
