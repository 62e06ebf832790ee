/* SPDX-License-Identifier: MIT */
/*
 * calib.h - calibration against the real host.
 *
 * Measures, in one run on the machine the simulator runs on, what the lab
 * models: the host kernel's own GUP-fast (vmsplice(2) and shared futexes
 * pin user pages through it), real IPIs (membarrier(2)), our emulated IPI
 * round trip (smp_call_function_many() in core/smp.c) and liburcu's own
 * read-side and grace-period costs.  See calib_harness.c for the method,
 * and each probe's file (calib_floors.c, calib_vmsplice.c, calib_futex.c,
 * calib_ipi.c, calib_eipi.c, calib_urcu.c) for what its figures are and
 * their sources of error, and calib_judge.c for when an IPI figure is
 * invalid.
 *
 * Every figure is a struct wl_calib_entry: min/median/max of R repetitions,
 * each repetition timing many operations together (ns per op; the IPI
 * probes time each call and keep the median call).  A
 * measurement the host forbids (seccomp, no THP, no membarrier, a TSan
 * build for signal delivery) is WL_CALIB_UNAVAILABLE with a reason; the
 * run goes on.  Nothing here fails because the host is slow or noisy.
 *
 * Use:
 *
 *	struct wl_calib_opts o;
 *	struct wl_calib_report *r = malloc(sizeof(*r));
 *
 *	wl_calib_opts_default(&o, quick);
 *	wl_calib_run(&o, r);		   (no simulated CPU may be online)
 *	... r->e[WL_CALIB_GUP_PAGE].median is the kernel's GUP-fast, ns/page
 *	wl_calib_write_rows(f, r);
 *
 * walklab compare runs walklab_calibrate --rows and derives its ratios
 * from those rows (bench/frontend/compare.c).  Link walklab_calib
 * (bench/calib/CMakeLists.txt).
 */
#ifndef WALKLAB_CALIB_H
#define WALKLAB_CALIB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum wl_calib_status {
	WL_CALIB_OK = 0,
	WL_CALIB_UNAVAILABLE, /* the host forbids it; reason says why */
	/*
	 * Measured, but the measured thing did not happen (an IPI figure
	 * with fewer than WL_CALIB_MIN_IPIS IPIs delivered per call and
	 * target), or a ratio built on such a figure: reason says why.
	 * A measured row keeps its numbers, a ratio has none.
	 */
	WL_CALIB_INVALID,
};

/* Below this many IPIs delivered per call and target, an IPI row is invalid */
#define WL_CALIB_MIN_IPIS 0.9

/* The liburcu flavors, in report order. */
enum wl_urcu_flavor {
	WL_URCU_MEMB,
	WL_URCU_QSBR,
	WL_URCU_MB,
	WL_URCU_BP,
	WL_URCU_SIGNAL,
	WL_URCU_NR_FLAVORS
};

/*
 * The figures, in report order.  name/variant/unit of each are fixed
 * (wl_calib_run() fills them in, also for unavailable entries):
 *
 *  id				name		variant		unit
 *  CLOCK			clock_gettime	monotonic	ns/call
 *	the timer itself; every figure below includes a share of it
 *  FLOOR_GETPPID		syscall_floor	getppid		ns/call
 *	a system call that does nothing: entry + exit (+ mitigations)
 *  FLOOR_VMSPLICE		syscall_floor	vmsplice_0	ns/call
 *	vmsplice() of one zero-length iovec: fd lookup + import_iovec(),
 *	returns before any GUP
 *  VMSPLICE_{1,16,256}		vmsplice	pages=N thp=off	ns/call
 *  VMSPLICE_THP_{1,16,256}	vmsplice	pages=N thp=on	ns/call
 *	vmsplice() of N prefaulted pages into a pipe; .pages = N, so
 *	median / pages is ns per page
 *  GUP_PAGE			gup_fast_page	thp=off		ns/page
 *  GUP_PAGE_THP		gup_fast_page	thp=on		ns/page
 *	the marginal cost of one more page: (vmsplice 256 - vmsplice 16)
 *	/ 240, per repetition.  GUP-fast of a page + its pipe buffer,
 *	without the system call: THE kernel figure the simulated walk
 *	per page is compared with
 *  FUTEX_PRIVATE		futex_wake	private		ns/call
 *  FUTEX_SHARED		futex_wake	shared		ns/call
 *  FUTEX_GUP			futex_wake	shared-private	ns/call
 *	FUTEX_WAKE, no waiters; the difference is one get_user_pages_fast()
 *	of one page + put_page() + the key's folio checks
 *  MEMBARRIER_0		membarrier	others=0	ns/call
 *  MEMBARRIER_0_IPIS		membarrier_ipis	others=0	ipi/call
 *	MEMBARRIER_CMD_PRIVATE_EXPEDITED with no other thread: the kernel's
 *	single-user shortcut, no IPI (the floor); its IPI row is the
 *	background rate of function-call interrupts on the other CPUs
 *  MEMBARRIER_N		membarrier	others=<N-1>	ns/call
 *  MEMBARRIER_N_IPIS		membarrier_ipis	others=<N-1>	ipi/call
 *  MEMBARRIER_N_RUNNING	membarrier_running others=<N-1>	fraction
 *	with one pinned spinning thread on each other PU, each call made
 *	once every spinner's heartbeat shows it running (calib_ipi.c):
 *	function-call interrupts (/proc/interrupts) delivered to the
 *	spinners' CPUs per call and spinner, and the fraction of calls
 *	across which every heartbeat went on.  MEMBARRIER_N is invalid if
 *	either is below WL_CALIB_MIN_IPIS in any repetition (the IPI count
 *	also takes other tenants' function calls on those CPUs)
 *  EIPI_SIGNAL			emulated_ipi	signal		ns/call
 *  EIPI_POLL			emulated_ipi	poll		ns/call
 *	smp_call_function_many(wait) to one simulated CPU spinning on
 *	another PU with IRQs enabled: our IPI round trip
 *  EIPI_*_ACKED		emulated_ipi_acked <delivery>	ack/call
 *	cross calls the target ran, per call sent (the sent count is the
 *	row's calls per repetition); invalid below WL_CALIB_MIN_IPIS
 *  EIPI_*_RUNNING		emulated_ipi_running <delivery>	fraction
 *	the fraction of calls across which the target's heartbeat went on;
 *	EIPI_* is invalid if this or the acks are below WL_CALIB_MIN_IPIS
 *  EIPI_*_OFFCPU		emulated_ipi_offcpu <delivery>	fraction
 *	the share of each repetition's wall time the target thread did not
 *	run (1 - its CPU time / wall time), the gate's waits included
 *  EIPI_SIGNAL_RATIO		ratio		eipi_signal/membarrier	x
 *  EIPI_POLL_RATIO		ratio		eipi_poll/membarrier	x
 *	the printed rows' medians: EIPI_* / MEMBARRIER_N; min is min/max,
 *	max is max/min; none (invalid) if either row is not ok
 *  URCU_READ + f		urcu_read_pair	<flavor>	ns/op
 *	rcu_read_lock(); rcu_read_unlock(); inlined (_LGPL_SOURCE)
 *  URCU_SYNC + f		urcu_synchronize_rcu <flavor>	ns/call
 *	synchronize_rcu(), caller registered, no reader
 *  URCU_QSBR_QS		urcu_quiescent_state qsbr	ns/call
 */
enum wl_calib_id {
	WL_CALIB_CLOCK,
	WL_CALIB_FLOOR_GETPPID,
	WL_CALIB_FLOOR_VMSPLICE,
	WL_CALIB_VMSPLICE_1,
	WL_CALIB_VMSPLICE_16,
	WL_CALIB_VMSPLICE_256,
	WL_CALIB_GUP_PAGE,
	WL_CALIB_VMSPLICE_THP_1,
	WL_CALIB_VMSPLICE_THP_16,
	WL_CALIB_VMSPLICE_THP_256,
	WL_CALIB_GUP_PAGE_THP,
	WL_CALIB_FUTEX_PRIVATE,
	WL_CALIB_FUTEX_SHARED,
	WL_CALIB_FUTEX_GUP,
	WL_CALIB_MEMBARRIER_0,
	WL_CALIB_MEMBARRIER_0_IPIS,
	WL_CALIB_MEMBARRIER_N,
	WL_CALIB_MEMBARRIER_N_IPIS,
	WL_CALIB_MEMBARRIER_N_RUNNING,
	WL_CALIB_EIPI_SIGNAL,
	WL_CALIB_EIPI_SIGNAL_ACKED,
	WL_CALIB_EIPI_SIGNAL_RUNNING,
	WL_CALIB_EIPI_SIGNAL_OFFCPU,
	WL_CALIB_EIPI_POLL,
	WL_CALIB_EIPI_POLL_ACKED,
	WL_CALIB_EIPI_POLL_RUNNING,
	WL_CALIB_EIPI_POLL_OFFCPU,
	WL_CALIB_EIPI_SIGNAL_RATIO,
	WL_CALIB_EIPI_POLL_RATIO,
	WL_CALIB_URCU_READ,
	WL_CALIB_URCU_SYNC = WL_CALIB_URCU_READ + WL_URCU_NR_FLAVORS,
	WL_CALIB_URCU_QSBR_QS = WL_CALIB_URCU_SYNC + WL_URCU_NR_FLAVORS,
	/* calib_collapse.c: per collapsed PMD per other CPU; busy: a
	 * thread of the mm runs there, idle: none.  The LAB rows are the
	 * lab's today configuration on as many CPUs, the arch model the
	 * host behaves like. */
	WL_CALIB_COLLAPSE_BUSY_FLUSH,
	WL_CALIB_COLLAPSE_BUSY_SYNC,
	WL_CALIB_COLLAPSE_IDLE_FLUSH,
	WL_CALIB_COLLAPSE_IDLE_SYNC,
	WL_CALIB_COLLAPSE_LAB_BUSY_FLUSH,
	WL_CALIB_COLLAPSE_LAB_BUSY_SYNC,
	WL_CALIB_COLLAPSE_LAB_IDLE_FLUSH,
	WL_CALIB_COLLAPSE_LAB_IDLE_SYNC,
	/*
	 * The busy probe's other CPUs over the collapse: the share of the
	 * time their spinner ran (schedstat), the host's steal (/proc/stat),
	 * and the lab's busy flush count times that share: the model the
	 * busy flush figure is judged by (wl_calib_pv_model()).
	 */
	WL_CALIB_COLLAPSE_BUSY_SHARE,
	WL_CALIB_COLLAPSE_BUSY_STEAL,
	WL_CALIB_COLLAPSE_MODEL_BUSY_FLUSH,
	WL_CALIB_NR
};

/* One figure.  Numbers are meaningful only when status is WL_CALIB_OK. */
struct wl_calib_entry {
	const char *name;   /* static: "vmsplice", "futex_wake", ... */
	char variant[32];   /* "pages=16 thp=off", "memb", ... */
	const char *unit;   /* static: "ns/call", "ns/page", "ns/op", "x" */
	unsigned int pages; /* pages per call (per-page column); 0: n/a */
	enum wl_calib_status status;
	char reason[112];	 /* why unavailable or invalid; "" if ok */
	double min, median, max; /* over the repetitions, in unit */
	unsigned int repeats;	 /* repetitions behind min/median/max */
	uint64_t iters;		 /* operations timed per repetition */
};

/* Where the figures came from (no hostname). */
struct wl_calib_machine {
	char cpu_model[96]; /* /proc/cpuinfo "model name" */
	char kernel[80];    /* uname -r */
	char machine[320];  /* arch, PUs, hypervisor, THP, clock, load */
	char compiler[64];
	char liburcu[16]; /* pkg-config version of liburcu at build time */
};

struct wl_calib_report {
	struct wl_calib_machine machine;
	struct wl_calib_entry e[WL_CALIB_NR]; /* indexed by enum wl_calib_id */
	unsigned int repeats;
	uint64_t rep_ns;  /* target duration of one repetition */
	double total_s;	  /* wall time of the whole calibration */
	bool rt;	  /* the IPI probes ran SCHED_FIFO (--rt) */
	bool ipi_boosted; /* their priority was raised (nice or FIFO) */
	/* calib_collapse.c: the arch model, host vs lab, the verdict */
	char collapse_note[1280];
};

/*
 * The busy flush model (calib_collapse.c): a flush IPIs another CPU only
 * while it runs the mm and its vCPU is not preempted (KVM's PV flush;
 * native x86 alike, but for the preemption), so the host's flush IRQs
 * per PMD per other CPU should be lab x p, p the share of the collapse's
 * time that CPU ran the mm.  Each repetition r: observed[r] and p[r]; the
 * tolerance is 3 standard deviations of the mean: the binomial of the
 * pooled count (pmds x others trials per repetition, each IPI'd with
 * probability lab x p[r]) and bg_sd, the background subtraction's own
 * noise per repetition (from the idle series); plus one stray interrupt.
 */
struct wl_calib_pv_model {
	double observed, expected, tol;
	bool match;
};
void wl_calib_pv_model(double lab, const double *p, const double *observed,
		       unsigned int reps, uint64_t pmds, unsigned int others,
		       double bg_sd, struct wl_calib_pv_model *m);

struct wl_calib_opts {
	unsigned int repeats; /* R, >= 1 */
	uint64_t rep_ns;      /* each repetition runs about this long */
	bool verbose;	      /* progress on stderr */
	/*
	 * Negative control (tests): membarrier's other threads sleep
	 * instead of spinning and calls are not gated on them, so no IPI
	 * is sent and MEMBARRIER_N must come out invalid.
	 */
	bool park_targets;
	/* Only the MADV_COLLAPSE probe (calib_collapse.c): --collapse. */
	bool collapse_only;
	/*
	 * The IPI probes' threads SCHED_FIFO (needs CAP_SYS_NICE), not
	 * nice -20: on a machine whose other tenants hold the CPUs, the
	 * only way their targets keep running.  RT throttling still leaves
	 * the others 5%.
	 */
	bool rt;
};

/*
 * Defaults: R = 11, 30 ms per repetition (about 10 s in all on an idle
 * 2-PU machine); quick: R = 5, 8 ms (about 2 s).
 */
void wl_calib_opts_default(struct wl_calib_opts *o, bool quick);

/*
 * Run every measurement and fill *r.  Call with no simulated CPU online
 * (it brings two up, for the emulated IPI, and leaves the simulated
 * machine finalized, wl_smp_fini(): re-initialize it after).  Threads it
 * starts are joined before it returns.  Returns the number of entries
 * that are WL_CALIB_OK; never fails for the host's sake.
 */
int wl_calib_run(const struct wl_calib_opts *o, struct wl_calib_report *r);

/*
 * The judgement wl_calib_run() ends with, on the figures of r alone:
 * mark MEMBARRIER_N and EIPI_* invalid from their IPI and ack rows, then
 * compute the ratios from the rows as they will be printed.  Exposed so
 * that a test can feed it figures of its choosing.
 */
void wl_calib_judge(struct wl_calib_report *r);

/*
 * Output.  The table is 80 columns: what, min/median/max (ns), per page,
 * calls per repetition, status; the reasons of invalid rows follow it.
 * The figures leave as tidy rows of results.h (workload "calib",
 * backend "host", metric "name:variant"), one per figure: a figure the
 * host forbids has n = 0, no numbers, and "unavailable: <reason>" in
 * build_options; an invalid one "invalid: <reason>" there, its numbers
 * kept (none for a ratio).
 *  - rows: the bare rows, no header (walklab compare appends them to its
 *    results.csv);
 *  - CSV: the results.h header and the rows, each followed by the
 *    calibration's provenance columns (WL_CALIB_CSV_PROVENANCE);
 *  - JSON: the provenance, then the same rows as objects keyed by the
 *    CSV's column names.
 * Writers return 0 or -1 (the stream's error flag is set).
 */
#define WL_CALIB_CSV_PROVENANCE "cpu_model,kernel,machine,compiler,liburcu"

void wl_calib_print_table(FILE *f, const struct wl_calib_report *r);
int wl_calib_write_rows(FILE *f, const struct wl_calib_report *r);
int wl_calib_write_csv(FILE *f, const struct wl_calib_report *r);
int wl_calib_write_json(FILE *f, const struct wl_calib_report *r);

#endif /* WALKLAB_CALIB_H */
