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
 * The arch model: a flush that reaches a running CPU of the mm by IPI in
 * at least 90% of collapses is "ipi"; by none (under 10%) "paravirt" or
 * "broadcast" (CPUID says which: KVM's PV TLB flush, or INVLPGB); in
 * between, KVM's PV flush, which IPIs only the vCPUs that the host is
 * running and marks the preempted ones to flush on entry: "paravirt",
 * with a share of IPIs the lab's paravirt model does not send.
 */
#include "calib.h"
#include "calib_harness.h"
#include "cli.h"
#include "results.h"
#include "subprocess.h"

#include <errno.h>
#include <limits.h>
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
};

static void *spin_main(void *arg)
{
	struct spinner *s = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	atomic_store(&s->running, true);
	while (!atomic_load_explicit(s->stop, memory_order_relaxed))
		;
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
};

/*
 * One repetition: collapse (and a background window as long); the
 * interrupts per collapsed PMD per other CPU.  false with c->why set.
 */
static bool crun_rep(struct crun *c, double *flush, double *sync)
{
	struct irqs *s = malloc(4 * sizeof(*s));
	double f[2], y[2];
	uint64_t t0, dt;
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
	t0 = wl_calib_clock_ns();
	if (!read_irqs(&s[0])) {
		snprintf(c->why, sizeof(c->why),
			 "no CAL and TLB rows in "
			 "/proc/interrupts (not x86)");
		goto out;
	}
	if (madvise(a, c->pmds * CR_PMD, MADV_COLLAPSE)) {
		snprintf(c->why, sizeof(c->why),
			 "madvise(MADV_COLLAPSE): %s (needs Linux 6.1+, THP)",
			 strerror(errno));
		goto out;
	}
	read_irqs(&s[1]);
	dt = wl_calib_clock_ns() - t0;
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
			double *flush, double *sync)
{
	static struct spinner sp[CR_MAX_CPUS];
	atomic_bool stop = false;
	int n = busy ? c->nothers : 0;
	bool ok = true;

	for (int i = 0; i < n; i++) {
		sp[i].cpu = c->others[i];
		sp[i].stop = &stop;
		atomic_store(&sp[i].running, false);
		if (pthread_create(&sp[i].t, NULL, spin_main, &sp[i])) {
			n = i;
			ok = false;
			snprintf(c->why, sizeof(c->why), "pthread_create");
		}
	}
	for (int i = 0; i < n; i++)
		while (!atomic_load(&sp[i].running))
			sched_yield();
	for (unsigned int r = 0; ok && r < reps; r++)
		ok = crun_rep(c, &flush[r], &sync[r]);
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
	if (flush >= 0.9) {
		snprintf(why, len, "every flush IPI'd the running CPUs");
		return "ipi";
	}
	if (pv) {
		snprintf(why, len,
			 "KVM PV TLB flush (CPUID): IPIs only the vCPUs the "
			 "host runs (%.2f per flush), preempted ones flush on "
			 "entry",
			 flush);
		return "paravirt";
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
}

static void unavail_all(struct wl_calib_report *r, int from, const char *why)
{
	for (int i = from; i < 8; i++)
		wl_calib_unavail(&r->e[WL_CALIB_COLLAPSE_BUSY_FLUSH + i], "%s",
				 why);
	snprintf(r->collapse_note, sizeof(r->collapse_note), "not compared: %s",
		 why);
}

/* The verdict: host vs lab, side by side. */
static void verdict(struct wl_calib_report *r, const char *arch,
		    const char *why, int others)
{
	const struct wl_calib_entry *e = &r->e[WL_CALIB_COLLAPSE_BUSY_FLUSH];
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
}

void wl_calib_collapse(const struct wl_calib_opts *o, struct wl_calib_report *r)
{
	unsigned int reps = o->repeats < 11 ? WL_MIN(o->repeats, 3u) : 5;
	double *v = calloc(4 * (size_t)reps, sizeof(*v));
	double lf[2], ls[2];
	struct crun c = {.pmds = o->repeats < 11 ? 32 : 128};
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
	if (!crun_series(&c, true, reps, v, v + reps) ||
	    !crun_series(&c, false, reps, v + 2 * reps, v + 3 * reps)) {
		unavail_all(r, 0, c.why);
		goto out;
	}
	for (int i = 0; i < 4; i++)
		wl_calib_entry_stats(&r->e[WL_CALIB_COLLAPSE_BUSY_FLUSH + i],
				     v + i * reps, reps, c.pmds);
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
	verdict(r, arch, why, c.nothers);
out:
	sched_setaffinity(0, sizeof(saved), &saved);
	free(v);
}
