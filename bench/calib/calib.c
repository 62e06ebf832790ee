// SPDX-License-Identifier: MIT
/*
 * calib.c - calibration against the real host: what the lab models,
 * measured on the machine it runs on, in the same run (issue 6).
 *
 * Protocol (after refscale/rcuscale, ../shared/ANCHORS.md 1.1, 1.4).  A
 * measurement is a function that performs n operations and returns the
 * nanoseconds they took.  It is first calibrated: n grows until one call
 * takes about rep_ns (this doubles as the warm-up); then it runs R times
 * with that n, each run giving ns/op, and we keep min/median/max.  The
 * figures of one group (vmsplice of 1/16/256 pages, futex private/shared,
 * membarrier/emulated IPI) are interleaved repetition by repetition, so a
 * burst of noise from the other tenants of this shared machine hits all
 * of them alike, and a derived figure (a difference or a ratio) is
 * computed per repetition before taking its median: the median of the
 * differences, not the difference of the medians.  Wall-clock figures are
 * never asserted: they are reported.
 *
 * What each figure is, and its sources of error:
 *
 * vmsplice(2), the host's GUP-fast.  Without SPLICE_F_GIFT, vmsplice of
 * user memory into a pipe takes a page reference on every page through
 * get_user_pages_fast().  Verified in torvalds/linux (b2b39fa4, and the
 * v6.x history): SYSCALL vmsplice -> vmsplice_to_pipe() -> iter_to_pipe(),
 * which calls iov_iter_get_pages2(from, pages, ~0UL, 16, &start) - at most
 * 16 pages per batch - and for a user-backed iterator that is
 * __iov_iter_get_pages_alloc() -> get_user_pages_fast(addr, n, gup_flags,
 * pages); gup_flags has no FOLL_WRITE (the iterator is ITER_SOURCE), so it
 * is a read GUP of present pages, the fast path we simulate.  Each page
 * then becomes one pipe buffer (add_to_pipe()); draining the pipe drops
 * the references (put_page(), in user_page_pipe_buf_ops' release).  An
 * out-of-tree rework seen in list archives (pipe_alloc_buffer()/bvec) keeps
 * the same iov_iter_get_pages2() call [unverified whether merged].  And a
 * zero-length iovec makes the system call return right after
 * import_iovec() (if (!iov_iter_count(&iter)) error = 0), which gives the
 * syscall's own floor, fd lookup included, without GUP.
 *   We time the vmsplice() calls only: calls are made back to back until
 *   the pipe is full (256 pages), then the pipe is drained to /dev/null
 *   with splice(2), untimed.  So put_page() is not in the figure, and each
 *   batch pays one clock-read pair (CLOCK row; divided by 256 calls of one
 *   page, or paid in full by one call of 256 pages: small next to it).
 *   Per call = syscall + fd/pipe lock + GUP-fast + one pipe buffer per
 *   page; the per-page figure we compare the simulator with is the slope,
 *   (t(256) - t(16)) / 240, which cancels the per-call costs and keeps
 *   GUP-fast + pipe buffer per page.  4 KiB pages: MADV_NOHUGEPAGE on the
 *   region; THP: MADV_HUGEPAGE, then checked in /proc/self/smaps
 *   (AnonHugePages), MADV_COLLAPSE tried if the fault did not give a huge
 *   page; GUP-fast then takes a PMD leaf, one folio for all pages.
 *
 * Syscall floors, reported beside the figures, never subtracted: getppid
 * through syscall(2) (glibc does not cache it; no fd, no lock: entry, exit
 * and this kernel's mitigations), and vmsplice of a zero-length iovec
 * (the same entry plus fdget() and import_iovec(): vmsplice's own floor).
 *
 * FUTEX_WAKE with no waiters.  A private futex key is (mm, address); a
 * shared one calls get_user_pages_fast(address, 1, FOLL_WRITE, &page) in
 * get_futex_key(), looks at the folio (anonymous: key = mm + address) and
 * put_page()s it (kernel/futex/core.c; the GUP call verified in several
 * kernel versions).  The per-repetition difference shared - private is
 * one GUP-fast of one page + put + the folio checks.
 *
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), registered first: the
 * kernel IPIs every CPU currently running a thread of this mm and waits
 * (smp_call_function_many(..., wait=1)).  With no other thread running it
 * sends none: syscall + CPU scan + two smp_mb().  With one spinning thread
 * pinned on each other PU it is N-1 real IPIs and their acks: the host's
 * IPI round trip.  On a virtual machine that includes the hypervisor's
 * IPI path (exits, posted interrupts or not): which is the real cost
 * there, too.  We pin with hwloc; if pinning is refused, the spinners may
 * share a PU with us and the figure says "unpinned".
 *
 * Emulated IPI: smp_call_function_many(wait=true) of core/smp.c from a
 * simulated CPU to one other simulated CPU spinning with IRQs enabled on
 * another PU: publish, kick (tgkill of a real-time signal, or nothing in
 * poll delivery), the target runs the function and acks, the sender sees
 * the ack.  Signal delivery includes a real IPI (the kernel kicks the
 * target's CPU to deliver the signal), a signal frame and sigreturn; poll
 * is cache-line transfers only.  membarrier with the same target spinning
 * is interleaved with it, and the ratio is taken per repetition.  Under
 * ThreadSanitizer asynchronous signals reach a thread only at its
 * intercepted calls, never in a spin loop: signal delivery is then
 * reported unavailable.
 *
 * liburcu: see calib_urcu.c (one object per flavor).
 *
 * Common sources of error: frequency scaling and other tenants (medians,
 * interleaving, min/max shown); the clock read itself (CLOCK row);
 * migrations (the IPI figures pin; the others run where the scheduler
 * puts them); first-touch effects (calibration is the warm-up).
 */
#include "calib.h"
#include "results.h" /* wl_stats3(), wl_json_str() */

#include "smp.h"

#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1 */
#endif
#ifndef WL_LIBURCU_VERSION
#define WL_LIBURCU_VERSION "unknown"
#endif

#define OP_FAIL	    UINT64_MAX
#define MAX_ITERS   (UINT64_C(1) << 32)
#define MAX_OPS	    4
#define VMS_PAGES   256 /* the largest vmsplice, and the pipe we need */
#define HUGE_FALLBK (2u << 20)

uint64_t wl_calib_clock_ns(void)
{
	return wl_now_ns();
}

/* ---------------------------------------------------------------------- */
/* Entries                                                                */

static const struct {
	const char *name;
	const char *variant; /* NULL: filled in by the measurement */
	const char *unit;
	unsigned int pages;
} entry_info[WL_CALIB_NR] = {
	[WL_CALIB_CLOCK] = {"clock_gettime", "monotonic", "ns/call", 0},
	[WL_CALIB_FLOOR_GETPPID] = {"syscall_floor", "getppid", "ns/call", 0},
	[WL_CALIB_FLOOR_VMSPLICE] = {"syscall_floor", "vmsplice_0", "ns/call",
				     0},
	[WL_CALIB_VMSPLICE_1] = {"vmsplice", "pages=1 thp=off", "ns/call", 1},
	[WL_CALIB_VMSPLICE_16] = {"vmsplice", "pages=16 thp=off", "ns/call",
				  16},
	[WL_CALIB_VMSPLICE_256] = {"vmsplice", "pages=256 thp=off", "ns/call",
				   256},
	[WL_CALIB_GUP_PAGE] = {"gup_fast_page", "thp=off", "ns/page", 1},
	[WL_CALIB_VMSPLICE_THP_1] = {"vmsplice", "pages=1 thp=on", "ns/call",
				     1},
	[WL_CALIB_VMSPLICE_THP_16] = {"vmsplice", "pages=16 thp=on", "ns/call",
				      16},
	[WL_CALIB_VMSPLICE_THP_256] = {"vmsplice", "pages=256 thp=on",
				       "ns/call", 256},
	[WL_CALIB_GUP_PAGE_THP] = {"gup_fast_page", "thp=on", "ns/page", 1},
	[WL_CALIB_FUTEX_PRIVATE] = {"futex_wake", "private", "ns/call", 0},
	[WL_CALIB_FUTEX_SHARED] = {"futex_wake", "shared", "ns/call", 0},
	[WL_CALIB_FUTEX_GUP] = {"futex_wake", "shared-private", "ns/call", 0},
	[WL_CALIB_MEMBARRIER_0] = {"membarrier", "others=0", "ns/call", 0},
	[WL_CALIB_MEMBARRIER_N] = {"membarrier", NULL, "ns/call", 0},
	[WL_CALIB_EIPI_SIGNAL] = {"emulated_ipi", "signal", "ns/call", 0},
	[WL_CALIB_EIPI_SIGNAL_RATIO] = {"ratio", "eipi_signal/membarrier", "x",
					0},
	[WL_CALIB_EIPI_POLL] = {"emulated_ipi", "poll", "ns/call", 0},
	[WL_CALIB_EIPI_POLL_RATIO] = {"ratio", "eipi_poll/membarrier", "x", 0},
};

static const char *const flavor_names[WL_URCU_NR_FLAVORS] = {
	"memb", "qsbr", "mb", "bp", "signal"};

static void entries_init(struct wl_calib_report *r)
{
	for (int i = 0; i < WL_CALIB_NR; i++) {
		struct wl_calib_entry *e = &r->e[i];

		memset(e, 0, sizeof(*e));
		if (i >= WL_CALIB_URCU_READ && i < WL_CALIB_URCU_SYNC) {
			e->name = "urcu_read_pair";
			e->unit = "ns/op";
			snprintf(e->variant, sizeof(e->variant), "%s",
				 flavor_names[i - WL_CALIB_URCU_READ]);
		} else if (i >= WL_CALIB_URCU_SYNC &&
			   i < WL_CALIB_URCU_QSBR_QS) {
			e->name = "urcu_synchronize_rcu";
			e->unit = "ns/call";
			snprintf(e->variant, sizeof(e->variant), "%s",
				 flavor_names[i - WL_CALIB_URCU_SYNC]);
		} else if (i == WL_CALIB_URCU_QSBR_QS) {
			e->name = "urcu_quiescent_state";
			e->unit = "ns/call";
			snprintf(e->variant, sizeof(e->variant), "qsbr");
		} else {
			e->name = entry_info[i].name;
			e->unit = entry_info[i].unit;
			e->pages = entry_info[i].pages;
			if (entry_info[i].variant)
				snprintf(e->variant, sizeof(e->variant), "%s",
					 entry_info[i].variant);
		}
		/* Until measured: says so if a path forgets to. */
		e->status = WL_CALIB_UNAVAILABLE;
		snprintf(e->reason, sizeof(e->reason), "not measured");
	}
}

static __wl_printf(2, 3) void unavail(struct wl_calib_entry *e, const char *fmt,
				      ...)
{
	va_list ap;

	e->status = WL_CALIB_UNAVAILABLE;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	e->min = e->median = e->max = 0;
	e->repeats = 0;
	e->iters = 0;
}

/* min/median/max of v[0..n) into e (v is reordered). */
static void entry_stats(struct wl_calib_entry *e, double *v, unsigned int n,
			uint64_t iters)
{
	if (!n) {
		unavail(e, "no repetition completed");
		return;
	}
	double st[3];

	wl_stats3(v, n, st);
	e->status = WL_CALIB_OK;
	e->reason[0] = 0;
	e->min = st[0];
	e->median = st[1];
	e->max = st[2];
	e->repeats = n;
	e->iters = iters;
}

/* ---------------------------------------------------------------------- */
/* The harness                                                            */

/* n operations; returns their ns, or OP_FAIL with *err set (an errno). */
typedef uint64_t (*op_fn)(void *ctx, uint64_t n, int *err);

struct op {
	op_fn fn;
	void *ctx;
	const char *what; /* for the reason: "vmsplice", ... */
	uint64_t iters;
	double *ns; /* ns/op of each repetition */
	int err;
	bool failed;
};

/* Grow n until one call takes about rep_ns; the warm-up, too. */
static int op_calibrate(struct op *op, uint64_t rep_ns)
{
	uint64_t n = 1, t;

	for (;;) {
		t = op->fn(op->ctx, n, &op->err);
		if (t == OP_FAIL)
			return -1;
		if (t >= rep_ns / 8 || n >= MAX_ITERS)
			break;
		/* Aim at rep_ns/4 next, at most 64 times more. */
		if (t == 0 || rep_ns / 4 / t > 64)
			n *= 64;
		else
			n = n * (rep_ns / 4 / t) + 1;
	}
	n = t ? (uint64_t)((double)n * (double)rep_ns / (double)t) : n;
	op->iters = n < 1 ? 1 : n > MAX_ITERS ? MAX_ITERS : n;
	return 0;
}

/*
 * Run ops[0..k) R times, interleaved; a failing op drops out (its reason
 * in op->err).  Returns the repetitions completed by all surviving ops.
 */
static unsigned int ops_run(struct op *ops, int k,
			    const struct wl_calib_opts *o)
{
	unsigned int r;

	for (int i = 0; i < k; i++) {
		ops[i].failed = op_calibrate(&ops[i], o->rep_ns) < 0;
		ops[i].ns = calloc(o->repeats, sizeof(double));
		if (!ops[i].ns && !ops[i].failed) {
			ops[i].failed = true;
			ops[i].err = ENOMEM;
		}
	}
	for (r = 0; r < o->repeats; r++) {
		for (int i = 0; i < k; i++) {
			uint64_t t;

			if (ops[i].failed)
				continue;
			t = ops[i].fn(ops[i].ctx, ops[i].iters, &ops[i].err);
			if (t == OP_FAIL) {
				ops[i].failed = true;
				continue;
			}
			ops[i].ns[r] = (double)t / (double)ops[i].iters;
		}
	}
	if (getenv("WALKLAB_CALIB_DEBUG")) { /* raw samples, for the curious */
		for (int i = 0; i < k; i++) {
			fprintf(stderr, "calib: %s x%llu:", ops[i].what,
				(unsigned long long)ops[i].iters);
			for (unsigned int j = 0; j < r && !ops[i].failed; j++)
				fprintf(stderr, " %.1f", ops[i].ns[j]);
			fputc('\n', stderr);
		}
	}
	return r;
}

/* Copy op's result into e (samples are reordered, so call it last). */
static void op_entry(struct op *op, unsigned int reps, struct wl_calib_entry *e)
{
	if (op->failed) {
		unavail(e, "%s: %s", op->what, strerror(op->err));
		return;
	}
	entry_stats(e, op->ns, reps, op->iters);
}

static void ops_free(struct op *ops, int k)
{
	for (int i = 0; i < k; i++) {
		free(ops[i].ns);
		ops[i].ns = NULL;
	}
}

/*
 * A figure derived per repetition from two ops: a - b scaled, or a / b.
 * Call before op_entry() reorders the samples.
 */
static void derive(struct wl_calib_entry *e, struct op *a, struct op *b,
		   unsigned int reps, double scale, bool ratio)
{
	double *v;

	if (a->failed || b->failed) {
		struct op *f = a->failed ? a : b;

		unavail(e, "needs %s: %s", f->what, strerror(f->err));
		return;
	}
	v = calloc(reps ? reps : 1, sizeof(*v));
	if (!v) {
		unavail(e, "out of memory");
		return;
	}
	for (unsigned int i = 0; i < reps; i++)
		v[i] = ratio ? (b->ns[i] > 0 ? a->ns[i] / b->ns[i] : 0)
			     : (a->ns[i] - b->ns[i]) * scale;
	entry_stats(e, v, reps, a->iters);
	free(v);
}

/* ---------------------------------------------------------------------- */
/* Floors                                                                 */

static uint64_t op_clock(void *ctx, uint64_t n, int *err)
{
	volatile uint64_t sink = 0;
	uint64_t t0 = wl_calib_clock_ns();

	(void)ctx;
	(void)err;
	for (uint64_t i = 0; i < n; i++)
		sink += wl_calib_clock_ns();
	(void)sink;
	return wl_calib_clock_ns() - t0;
}

static uint64_t op_getppid(void *ctx, uint64_t n, int *err)
{
	uint64_t t0 = wl_calib_clock_ns();

	(void)ctx;
	for (uint64_t i = 0; i < n; i++) {
		if (syscall(SYS_getppid) < 0) {
			*err = errno;
			return OP_FAIL;
		}
	}
	return wl_calib_clock_ns() - t0;
}

/* ---------------------------------------------------------------------- */
/* vmsplice                                                               */

struct vms_pipe {
	int pr, pw;
	int devnull; /* -1 once splice to it failed: read() instead */
};

struct vms {
	struct vms_pipe *p;
	char *region; /* hpage-aligned, prefaulted */
	size_t region_len;
	size_t page;
	unsigned int pipe_pages; /* what the pipe holds */
	unsigned int pages;	 /* per call; 0: zero-length iovec */
};

/* Empty the pipe: splice to /dev/null (no copy), read() as a fallback. */
static int vms_drain(struct vms_pipe *v, size_t bytes)
{
	static char sink[65536];

	while (bytes) {
		ssize_t n = -1;

		if (v->devnull >= 0)
			n = splice(v->pr, NULL, v->devnull, NULL, bytes,
				   SPLICE_F_NONBLOCK);
		if (n < 0 && errno != EINTR && v->devnull >= 0) {
			close(v->devnull);
			v->devnull = -1; /* fall back for good */
		}
		if (n < 0 && v->devnull < 0)
			n = read(v->pr, sink, WL_MIN(bytes, sizeof(sink)));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		bytes -= (size_t)n;
	}
	return 0;
}

static uint64_t op_vmsplice(void *ctx, uint64_t n, int *err)
{
	struct vms *v = ctx;
	size_t len = (size_t)v->pages * v->page;
	unsigned int per_fill = v->pages ? v->pipe_pages / v->pages : 0;
	uint64_t total = 0;

	if (!v->pages) { /* the floor: nothing enters the pipe */
		struct iovec iov = {v->region, 0};
		uint64_t t0 = wl_calib_clock_ns();

		for (uint64_t i = 0; i < n; i++) {
			if (vmsplice(v->p->pw, &iov, 1, SPLICE_F_NONBLOCK) <
			    0) {
				*err = errno;
				return OP_FAIL;
			}
		}
		return wl_calib_clock_ns() - t0;
	}
	/* Distinct pages in one fill: no more than the region holds. */
	per_fill = (unsigned int)WL_MIN(per_fill, v->region_len / len);
	while (n) {
		unsigned int batch =
			(unsigned int)WL_MIN(n, (uint64_t)per_fill);
		uint64_t t0 = wl_calib_clock_ns();
		int ret;

		for (unsigned int j = 0; j < batch; j++) {
			struct iovec iov = {v->region + (size_t)j * len, len};
			ssize_t got =
				vmsplice(v->p->pw, &iov, 1, SPLICE_F_NONBLOCK);

			if (got != (ssize_t)len) {
				*err = got < 0 ? errno : EAGAIN;
				vms_drain(v->p,
					  (size_t)j * len +
						  (got > 0 ? (size_t)got : 0));
				return OP_FAIL;
			}
		}
		total += wl_calib_clock_ns() - t0;
		ret = vms_drain(v->p, (size_t)batch * len);
		if (ret) {
			*err = -ret;
			return OP_FAIL;
		}
		n -= batch;
	}
	return total;
}

static size_t hpage_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
			"r");
	unsigned long v = 0;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v ? v : HUGE_FALLBK;
}

/* The bracketed word of a sysfs THP setting, "never" if absent. */
static void thp_setting(const char *file, char *out, size_t len)
{
	char path[128], buf[128], *a, *b;
	FILE *f;

	snprintf(out, len, "unknown");
	snprintf(path, sizeof(path), "/sys/kernel/mm/transparent_hugepage/%s",
		 file);
	f = fopen(path, "r");
	if (!f) {
		snprintf(out, len, "absent");
		return;
	}
	if (fgets(buf, sizeof(buf), f) && (a = strchr(buf, '[')) &&
	    (b = strchr(a, ']'))) {
		*b = 0;
		snprintf(out, len, "%s", a + 1);
	}
	fclose(f);
}

/* AnonHugePages (kB) of the VMA holding addr, or -1. */
static long anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (in)
				break;
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/*
 * Map, align and prefault the region; THP on or off.  Returns NULL with
 * the reason in why; what to munmap goes to map and map_len.
 */
static char *vms_region(bool thp, size_t hsz, void **map, size_t *map_len,
			char *why, size_t wlen)
{
	char setting[32];
	char *p, *r;
	long kb;

	*map_len = 2 * hsz;
	p = mmap(NULL, *map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(why, wlen, "mmap: %s", strerror(errno));
		*map = NULL;
		return NULL;
	}
	*map = p;
	r = (char *)(((uintptr_t)p + hsz - 1) & ~(uintptr_t)(hsz - 1));
	if (thp) {
		thp_setting("enabled", setting, sizeof(setting));
		if (!strcmp(setting, "never") || !strcmp(setting, "absent")) {
			snprintf(why, wlen,
				 "no THP (transparent_hugepage/"
				 "enabled: %s)",
				 setting);
			return NULL;
		}
	}
	if (madvise(r, hsz, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		if (thp) {
			snprintf(why, wlen, "madvise(MADV_HUGEPAGE): %s",
				 strerror(errno));
			return NULL;
		}
		/* No THP in the kernel at all: 4 KiB pages anyway. */
	}
	memset(r, 0x5a, hsz); /* prefault, writable, not the zero page */
	kb = anon_huge_kb(r);
	if (thp && kb < (long)(hsz >> 10)) {
		/* The fault may not get a huge page (fragmentation, defrag
		 * policy): ask khugepaged's path directly (Linux 6.1+). */
		if (!madvise(r, hsz, MADV_COLLAPSE))
			kb = anon_huge_kb(r);
		if (kb < (long)(hsz >> 10)) {
			snprintf(why, wlen,
				 "THP not used: AnonHugePages %ld kB"
				 " after fault + MADV_COLLAPSE",
				 kb);
			return NULL;
		}
	}
	if (!thp && kb > 0) {
		snprintf(why, wlen,
			 "region THP-backed despite "
			 "MADV_NOHUGEPAGE (%ld kB)",
			 kb);
		return NULL;
	}
	return r;
}

/* 1/16/256 pages with THP on or off, and the slope; the floor if !thp. */
static void measure_vmsplice(const struct wl_calib_opts *o,
			     struct wl_calib_report *r, bool thp)
{
	static const unsigned int sizes[3] = {1, 16, VMS_PAGES};
	int first = thp ? WL_CALIB_VMSPLICE_THP_1 : WL_CALIB_VMSPLICE_1;
	int slope = thp ? WL_CALIB_GUP_PAGE_THP : WL_CALIB_GUP_PAGE;
	struct vms v[3];
	struct op ops[3] = {0};
	int fds[2] = {-1, -1}, got, k = 0;
	struct vms_pipe vp;
	size_t hsz = hpage_size(), map_len;
	char why[112] = "";
	void *map = NULL;
	char *region;
	unsigned int reps;

	region = vms_region(thp, hsz, &map, &map_len, why, sizeof(why));
	if (!region)
		goto unavailable;
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(why, sizeof(why), "pipe2: %s", strerror(errno));
		goto unavailable;
	}
	/* Ask for >= 256 pages and check what we got (pipe-max-size). */
	fcntl(fds[1], F_SETPIPE_SZ, (int)(VMS_PAGES * (size_t)getpagesize()));
	got = fcntl(fds[1], F_GETPIPE_SZ);
	vp = (struct vms_pipe){.pr = fds[0],
			       .pw = fds[1],
			       .devnull =
				       open("/dev/null", O_WRONLY | O_CLOEXEC)};
	for (int i = 0; i < 3; i++) {
		v[i] = (struct vms){
			.p = &vp,
			.region = region,
			.region_len = hsz,
			.page = (size_t)getpagesize(),
			.pipe_pages =
				got > 0 ? (unsigned int)got /
						  (unsigned int)getpagesize()
					: 0,
			.pages = sizes[i],
		};
	}
	/*
	 * The sizes the pipe holds (a prefix: sizes ascend) run interleaved;
	 * the others say why not.
	 */
	for (int i = 0; i < 3; i++) {
		if (v[i].pipe_pages < sizes[i] ||
		    (size_t)sizes[i] * v[i].page > hsz) {
			unavail(&r->e[first + i],
				"pipe holds %u pages (F_SETPIPE_SZ; see "
				"/proc/sys/fs/pipe-max-size)",
				v[i].pipe_pages);
			continue;
		}
		ops[k++] = (struct op){
			.fn = op_vmsplice, .ctx = &v[i], .what = "vmsplice"};
	}
	reps = k ? ops_run(ops, k, o) : 0;
	if (k == 3)
		derive(&r->e[slope], &ops[2], &ops[1], reps,
		       1.0 / (VMS_PAGES - 16), false);
	else
		unavail(&r->e[slope], "needs vmsplice of 16 and %u pages",
			VMS_PAGES);
	for (int i = 0; i < k; i++)
		op_entry(&ops[i], reps, &r->e[first + i]);
	ops_free(ops, k);

	if (!thp) { /* the floor, on the same pipe */
		struct vms z = v[0];
		struct op f = {
			.fn = op_vmsplice, .ctx = &z, .what = "vmsplice"};

		z.pages = 0;
		reps = ops_run(&f, 1, o);
		op_entry(&f, reps, &r->e[WL_CALIB_FLOOR_VMSPLICE]);
		ops_free(&f, 1);
	}
	if (vp.devnull >= 0)
		close(vp.devnull);
	close(fds[0]);
	close(fds[1]);
	munmap(map, map_len);
	return;

unavailable:
	for (int i = 0; i < 3; i++)
		unavail(&r->e[first + i], "%s", why);
	unavail(&r->e[slope], "%s", why);
	if (!thp)
		unavail(&r->e[WL_CALIB_FLOOR_VMSPLICE], "%s", why);
	if (fds[0] >= 0) {
		close(fds[0]);
		close(fds[1]);
	}
	if (map)
		munmap(map, map_len);
}

/* ---------------------------------------------------------------------- */
/* futex                                                                  */

struct futex_ctx {
	uint32_t *word;
	int op; /* FUTEX_WAKE or FUTEX_WAKE_PRIVATE */
};

static uint64_t op_futex(void *ctx, uint64_t n, int *err)
{
	struct futex_ctx *c = ctx;
	uint64_t t0 = wl_calib_clock_ns();

	for (uint64_t i = 0; i < n; i++) {
		if (syscall(SYS_futex, c->word, c->op, 1, NULL, NULL, 0) < 0) {
			*err = errno;
			return OP_FAIL;
		}
	}
	return wl_calib_clock_ns() - t0;
}

static void measure_futex(const struct wl_calib_opts *o,
			  struct wl_calib_report *r)
{
	size_t pg = (size_t)getpagesize();
	uint32_t *word;
	struct futex_ctx priv, shared;
	struct op ops[2];
	unsigned int reps;

	word = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (word == MAP_FAILED) {
		for (int i = WL_CALIB_FUTEX_PRIVATE; i <= WL_CALIB_FUTEX_GUP;
		     i++)
			unavail(&r->e[i], "mmap: %s", strerror(errno));
		return;
	}
	*word = 0; /* prefault: GUP-fast finds it present and writable */
	priv = (struct futex_ctx){word, FUTEX_WAKE_PRIVATE};
	shared = (struct futex_ctx){word, FUTEX_WAKE};
	ops[0] = (struct op){.fn = op_futex, .ctx = &priv, .what = "futex"};
	ops[1] = (struct op){.fn = op_futex, .ctx = &shared, .what = "futex"};
	reps = ops_run(ops, 2, o);
	derive(&r->e[WL_CALIB_FUTEX_GUP], &ops[1], &ops[0], reps, 1.0, false);
	op_entry(&ops[0], reps, &r->e[WL_CALIB_FUTEX_PRIVATE]);
	op_entry(&ops[1], reps, &r->e[WL_CALIB_FUTEX_SHARED]);
	ops_free(ops, 2);
	munmap(word, pg);
}

/* ---------------------------------------------------------------------- */
/* membarrier, spinners and pinning                                       */

static long sys_membarrier(int cmd, unsigned int flags)
{
	return syscall(SYS_membarrier, cmd, flags, 0);
}

static uint64_t op_membarrier(void *ctx, uint64_t n, int *err)
{
	uint64_t t0 = wl_calib_clock_ns();

	(void)ctx;
	for (uint64_t i = 0; i < n; i++) {
		if (sys_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)) {
			*err = errno;
			return OP_FAIL;
		}
	}
	return wl_calib_clock_ns() - t0;
}

/* Query and register; "" if usable, else the reason. */
static void membarrier_setup(char *why, size_t len)
{
	long mask = sys_membarrier(MEMBARRIER_CMD_QUERY, 0);

	why[0] = 0;
	if (mask < 0) {
		snprintf(why, len, "membarrier(QUERY): %s", strerror(errno));
		return;
	}
	if (!(mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
		snprintf(why, len,
			 "no MEMBARRIER_CMD_PRIVATE_EXPEDITED "
			 "(query mask 0x%lx)",
			 mask);
		return;
	}
	if (sys_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0))
		snprintf(why, len, "membarrier(REGISTER_PRIVATE_EXPEDITED): %s",
			 strerror(errno));
}

struct pin {
	hwloc_topology_t topo;
	bool ok;
	unsigned int npus;
};

static void pin_init(struct pin *p)
{
	int n;

	p->ok = false;
	p->npus = 1;
	if (hwloc_topology_init(&p->topo))
		goto os;
	if (hwloc_topology_load(p->topo)) {
		hwloc_topology_destroy(p->topo);
		goto os;
	}
	n = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_PU);
	if (n <= 0) {
		hwloc_topology_destroy(p->topo);
		goto os;
	}
	p->ok = true;
	p->npus = (unsigned int)n;
	return;
os:
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	p->npus = n > 0 ? (unsigned int)n : 1;
}

static void pin_fini(struct pin *p)
{
	if (p->ok)
		hwloc_topology_destroy(p->topo);
	p->ok = false;
}

/* The calling thread's binding, to restore (NULL if unknown). */
static hwloc_bitmap_t pin_save(struct pin *p)
{
	hwloc_bitmap_t b;

	if (!p->ok || !(b = hwloc_bitmap_alloc()))
		return NULL;
	if (hwloc_get_cpubind(p->topo, b, HWLOC_CPUBIND_THREAD)) {
		hwloc_bitmap_free(b);
		return NULL;
	}
	return b;
}

static void pin_restore(struct pin *p, hwloc_bitmap_t b)
{
	if (!b)
		return;
	hwloc_set_cpubind(p->topo, b, HWLOC_CPUBIND_THREAD);
	hwloc_bitmap_free(b);
}

/* Bind the calling thread to PU idx; true on success. */
static bool pin_self(struct pin *p, unsigned int idx)
{
	hwloc_obj_t pu;

	if (!p->ok)
		return false;
	pu = hwloc_get_obj_by_type(p->topo, HWLOC_OBJ_PU, idx % p->npus);
	return pu &&
	       !hwloc_set_cpubind(p->topo, pu->cpuset, HWLOC_CPUBIND_THREAD);
}

struct spinner {
	pthread_t thread;
	struct pin *pin;
	unsigned int pu;
	_Atomic bool *stop;
	_Atomic int *ready;
	_Atomic bool pinned;
	bool started;
};

static void *spinner_main(void *arg)
{
	struct spinner *s = arg;

	/* pin is read-only here; hwloc's set_cpubind is thread-safe. */
	atomic_store_explicit(&s->pinned, pin_self(s->pin, s->pu),
			      memory_order_relaxed);
	atomic_fetch_add_explicit(s->ready, 1, memory_order_release);
	while (!atomic_load_explicit(s->stop, memory_order_relaxed))
		cpu_relax();
	return NULL;
}

static void measure_membarrier(const struct wl_calib_opts *o,
			       struct wl_calib_report *r, const char *mb_why,
			       struct pin *pin)
{
	struct wl_calib_entry *e0 = &r->e[WL_CALIB_MEMBARRIER_0];
	struct wl_calib_entry *en = &r->e[WL_CALIB_MEMBARRIER_N];
	unsigned int others = pin->npus > 1 ? pin->npus - 1 : 0;
	struct spinner *sp = NULL;
	hwloc_bitmap_t saved;
	_Atomic bool stop = false;
	_Atomic int ready = 0;
	bool all_pinned;
	struct op op;
	unsigned int reps, started = 0;

	snprintf(en->variant, sizeof(en->variant), "others=%u", others);
	if (*mb_why) {
		unavail(e0, "%s", mb_why);
		unavail(en, "%s", mb_why);
		return;
	}
	saved = pin_save(pin);
	all_pinned = pin_self(pin, 0);
	op = (struct op){.fn = op_membarrier, .what = "membarrier"};
	reps = ops_run(&op, 1, o);
	op_entry(&op, reps, e0);
	ops_free(&op, 1);

	if (!others || !(sp = calloc(others, sizeof(*sp)))) {
		unavail(en, "%s",
			others ? "out of memory"
			       : "single PU: no other CPU to IPI");
		pin_restore(pin, saved);
		return;
	}
	for (unsigned int i = 0; i < others; i++) {
		sp[i] = (struct spinner){.pin = pin,
					 .pu = i + 1,
					 .stop = &stop,
					 .ready = &ready};
		sp[i].started = !pthread_create(&sp[i].thread, NULL,
						spinner_main, &sp[i]);
		started += sp[i].started;
	}
	/* acquire: the spinners' pinning is done; pairs with their add. */
	while (atomic_load_explicit(&ready, memory_order_acquire) <
	       (int)started)
		sched_yield();
	for (unsigned int i = 0; i < others; i++)
		all_pinned &= sp[i].started &&
			      atomic_load_explicit(&sp[i].pinned,
						   memory_order_relaxed);
	snprintf(en->variant, sizeof(en->variant), "others=%u%s", started,
		 all_pinned ? "" : " unpinned");
	if (started) {
		op = (struct op){.fn = op_membarrier, .what = "membarrier"};
		reps = ops_run(&op, 1, o);
		op_entry(&op, reps, en);
		ops_free(&op, 1);
	} else {
		unavail(en, "pthread_create failed");
	}
	atomic_store_explicit(&stop, true, memory_order_relaxed);
	for (unsigned int i = 0; i < others; i++)
		if (sp[i].started)
			pthread_join(sp[i].thread, NULL);
	free(sp);
	pin_restore(pin, saved);
}

/* ---------------------------------------------------------------------- */
/* The emulated IPI                                                       */

struct eipi {
	_Atomic bool stop;
	_Atomic int target; /* its CPU id, or -1 until up, -2 if it failed */
	_Atomic unsigned long calls;
	struct wl_cpumask mask;
};

/* The cross call: async-signal-safe. */
static void eipi_fn(void *info)
{
	struct eipi *x = info;

	atomic_fetch_add_explicit(&x->calls, 1, memory_order_relaxed);
}

static void *eipi_target(void *arg)
{
	struct eipi *x = arg;
	int id = wl_cpu_up("calib-target");

	/* release: our CPU is online before the sender sees the id */
	atomic_store_explicit(&x->target, id < 0 ? -2 : id,
			      memory_order_release);
	if (id < 0)
		return NULL;
	/* Spin with IRQs enabled; poll delivery needs us to look. */
	while (!atomic_load_explicit(&x->stop, memory_order_relaxed)) {
		if (wl_ipi_poll_mode && wl_ipi_poll_pending())
			wl_irq_replay();
		cpu_relax();
	}
	wl_cpu_down();
	return NULL;
}

static uint64_t op_eipi(void *ctx, uint64_t n, int *err)
{
	struct eipi *x = ctx;
	uint64_t t0 = wl_calib_clock_ns();

	for (uint64_t i = 0; i < n; i++) {
		if (smp_call_function_many(&x->mask, eipi_fn, x, true) != 1) {
			*err = ENXIO; /* the target went offline */
			return OP_FAIL;
		}
	}
	return wl_calib_clock_ns() - t0;
}

static void measure_eipi(const struct wl_calib_opts *o,
			 struct wl_calib_report *r,
			 enum wl_ipi_delivery delivery, const char *mb_why)
{
	bool sig = delivery == WL_IPI_SIGNAL;
	struct wl_calib_entry *e =
		&r->e[sig ? WL_CALIB_EIPI_SIGNAL : WL_CALIB_EIPI_POLL];
	struct wl_calib_entry *er = &r->e[sig ? WL_CALIB_EIPI_SIGNAL_RATIO
					      : WL_CALIB_EIPI_POLL_RATIO];
	struct wl_smp_config cfg;
	struct eipi x = {.target = -1};
	struct op ops[2];
	pthread_t th;
	unsigned int reps;
	int ret, me, tgt;

	if (sig && WL_TSAN) {
		unavail(e, "TSan defers signals past spin loops");
		unavail(er, "%s", e->reason);
		return;
	}
	wl_smp_config_default(&cfg);
	cfg.delivery = delivery;
	cfg.pin = WL_PIN_AUTO;
	cfg.nr_cpus_hint = 2;
	cfg.stall_panic_ns = 0; /* report a stall, never abort for it */
	ret = wl_smp_init(&cfg);
	if (ret) {
		unavail(e, "wl_smp_init: %s%s", strerror(-ret),
			ret == -EBUSY ? " (simulated CPUs online)" : "");
		unavail(er, "%s", e->reason);
		return;
	}
	me = wl_cpu_up("calib");
	if (me < 0) {
		unavail(e, "wl_cpu_up: %s", strerror(-me));
		unavail(er, "%s", e->reason);
		wl_smp_fini();
		return;
	}
	if (pthread_create(&th, NULL, eipi_target, &x)) {
		unavail(e, "pthread_create failed");
		unavail(er, "%s", e->reason);
		wl_cpu_down();
		wl_smp_fini();
		return;
	}
	/* acquire: pairs with the target's release of its id */
	while ((tgt = atomic_load_explicit(&x.target, memory_order_acquire)) ==
	       -1)
		sched_yield();
	if (tgt < 0) {
		unavail(e, "target wl_cpu_up failed");
		unavail(er, "%s", e->reason);
		goto out;
	}
	wl_cpumask_set(&x.mask, tgt);

	/* membarrier first in each repetition, with the target spinning */
	ops[0] = (struct op){.fn = op_membarrier, .what = "membarrier"};
	ops[1] = (struct op){.fn = op_eipi, .ctx = &x, .what = "emulated IPI"};
	if (*mb_why) {
		reps = ops_run(&ops[1], 1, o);
		unavail(er, "%s", mb_why);
	} else {
		reps = ops_run(ops, 2, o);
		derive(er, &ops[1], &ops[0], reps, 1.0, true);
	}
	op_entry(&ops[1], reps, e);
	ops_free(ops, 2);
out:
	atomic_store_explicit(&x.stop, true, memory_order_relaxed);
	pthread_join(th, NULL);
	wl_cpu_down();
	wl_smp_fini();
}

/* ---------------------------------------------------------------------- */
/* liburcu                                                                */

#define URCU_OPS(f) &wl_calib_urcu_##f
#ifdef WL_HAVE_URCU_MEMB
extern const struct wl_calib_urcu_ops wl_calib_urcu_memb;
#define OPS_MEMB URCU_OPS(memb)
#else
#define OPS_MEMB NULL
#endif
#ifdef WL_HAVE_URCU_QSBR
extern const struct wl_calib_urcu_ops wl_calib_urcu_qsbr;
#define OPS_QSBR URCU_OPS(qsbr)
#else
#define OPS_QSBR NULL
#endif
#ifdef WL_HAVE_URCU_MB
extern const struct wl_calib_urcu_ops wl_calib_urcu_mb;
#define OPS_MB URCU_OPS(mb)
#else
#define OPS_MB NULL
#endif
#ifdef WL_HAVE_URCU_BP
extern const struct wl_calib_urcu_ops wl_calib_urcu_bp;
#define OPS_BP URCU_OPS(bp)
#else
#define OPS_BP NULL
#endif
#ifdef WL_HAVE_URCU_SIGNAL
extern const struct wl_calib_urcu_ops wl_calib_urcu_signal;
#define OPS_SIGNAL URCU_OPS(signal)
#else
#define OPS_SIGNAL NULL
#endif

static uint64_t op_urcu_read(void *ctx, uint64_t n, int *err)
{
	(void)err;
	return ((const struct wl_calib_urcu_ops *)ctx)->read_pairs(n);
}

static uint64_t op_urcu_sync(void *ctx, uint64_t n, int *err)
{
	(void)err;
	return ((const struct wl_calib_urcu_ops *)ctx)->sync(n);
}

static uint64_t op_urcu_qs(void *ctx, uint64_t n, int *err)
{
	(void)err;
	return ((const struct wl_calib_urcu_ops *)ctx)->quiescent(n);
}

static void measure_urcu(const struct wl_calib_opts *o,
			 struct wl_calib_report *r)
{
	const struct wl_calib_urcu_ops *const fl[WL_URCU_NR_FLAVORS] = {
		OPS_MEMB, OPS_QSBR, OPS_MB, OPS_BP, OPS_SIGNAL};

	for (int f = 0; f < WL_URCU_NR_FLAVORS; f++) {
		const struct wl_calib_urcu_ops *ops = fl[f];
		struct op op;
		unsigned int reps;

		if (!ops) {
			unavail(&r->e[WL_CALIB_URCU_READ + f],
				"liburcu-%s not found at build time",
				flavor_names[f]);
			unavail(&r->e[WL_CALIB_URCU_SYNC + f], "%s",
				r->e[WL_CALIB_URCU_READ + f].reason);
			if (f == WL_URCU_QSBR)
				unavail(&r->e[WL_CALIB_URCU_QSBR_QS], "%s",
					r->e[WL_CALIB_URCU_READ + f].reason);
			continue;
		}
		ops->reg();
		op = (struct op){.fn = op_urcu_read,
				 .ctx = (void *)ops,
				 .what = "read lock"};
		reps = ops_run(&op, 1, o);
		op_entry(&op, reps, &r->e[WL_CALIB_URCU_READ + f]);
		ops_free(&op, 1);
		op = (struct op){.fn = op_urcu_sync,
				 .ctx = (void *)ops,
				 .what = "synchronize_rcu"};
		reps = ops_run(&op, 1, o);
		op_entry(&op, reps, &r->e[WL_CALIB_URCU_SYNC + f]);
		ops_free(&op, 1);
		if (ops->quiescent) {
			op = (struct op){.fn = op_urcu_qs,
					 .ctx = (void *)ops,
					 .what = "quiescent_state"};
			reps = ops_run(&op, 1, o);
			op_entry(&op, reps, &r->e[WL_CALIB_URCU_QSBR_QS]);
			ops_free(&op, 1);
		}
		ops->unreg();
	}
}

/* ---------------------------------------------------------------------- */
/* Provenance                                                             */

static void first_line_value(const char *path, const char *key, char *out,
			     size_t len)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t kl = strlen(key);

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		if (strncmp(line, key, kl) || !(v = strchr(line, ':')))
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		v[strcspn(v, "\n")] = 0;
		snprintf(out, len, "%s", v);
		break;
	}
	fclose(f);
}

static bool cpuinfo_has_flag(const char *flag)
{
	char flags[4096] = "", *tok, *save = NULL;

	first_line_value("/proc/cpuinfo", "flags", flags, sizeof(flags));
	for (tok = strtok_r(flags, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, flag))
			return true;
	return false;
}

static void read_word(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(out, len, "n/a");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = 0;
	else
		snprintf(out, len, "n/a");
	fclose(f);
}

void wl_calib_machine_describe(struct wl_calib_machine *m)
{
	struct utsname u;
	bool have_u = !uname(&u);
	struct pin p;
	char thp[16], clk[32], gov[32], load[32] = "n/a";
	int cores = 0, pkgs = 0;
	FILE *lf;

	memset(m, 0, sizeof(*m));
	snprintf(m->cpu_model, sizeof(m->cpu_model), "unknown");
	first_line_value("/proc/cpuinfo", "model name", m->cpu_model,
			 sizeof(m->cpu_model));
	if (have_u)
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
	pin_init(&p);
	if (p.ok) {
		cores = hwloc_get_nbobjs_by_type(p.topo, HWLOC_OBJ_CORE);
		pkgs = hwloc_get_nbobjs_by_type(p.topo, HWLOC_OBJ_PACKAGE);
	}
	pin_fini(&p);
	thp_setting("enabled", thp, sizeof(thp));
	read_word("/sys/devices/system/clocksource/clocksource0/"
		  "current_clocksource",
		  clk, sizeof(clk));
	read_word("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", gov,
		  sizeof(gov));
	/* The 1-minute load at the start: other tenants skew everything. */
	lf = fopen("/proc/loadavg", "r");
	if (lf) {
		if (fscanf(lf, "%31s", load) != 1)
			snprintf(load, sizeof(load), "n/a");
		fclose(lf);
	}
	snprintf(m->machine, sizeof(m->machine),
		 "%s %u PUs %d cores %d packages; %s; THP %s; clock %s; "
		 "governor %s; load %s",
		 have_u ? u.machine : "?", p.npus, cores, pkgs,
		 cpuinfo_has_flag("hypervisor") ? "virtual machine"
						: "no hypervisor flag",
		 thp, clk, gov, load);
#if defined(__clang__)
	snprintf(m->compiler, sizeof(m->compiler), "clang %s",
		 __clang_version__);
#elif defined(__GNUC__)
	snprintf(m->compiler, sizeof(m->compiler), "gcc %s", __VERSION__);
#else
	snprintf(m->compiler, sizeof(m->compiler), "unknown");
#endif
	snprintf(m->liburcu, sizeof(m->liburcu), "%s", WL_LIBURCU_VERSION);
}

/* ---------------------------------------------------------------------- */
/* The run                                                                */

void wl_calib_opts_default(struct wl_calib_opts *o, bool quick)
{
	o->repeats = quick ? 5 : 11;
	o->rep_ns = quick ? 8000000u : 30000000u;
	o->verbose = false;
}

static void progress(const struct wl_calib_opts *o, const char *what)
{
	if (o->verbose)
		fprintf(stderr, "walklab: calibrate: %s\n", what);
}

int wl_calib_run(const struct wl_calib_opts *o, struct wl_calib_report *r)
{
	struct wl_calib_opts opt = *o;
	uint64_t t0 = wl_calib_clock_ns();
	char mb_why[112];
	struct op op[2];
	struct pin pin;
	unsigned int reps;
	int ok = 0;

	if (!opt.repeats)
		opt.repeats = 1;
	if (!opt.rep_ns)
		opt.rep_ns = 1000000u;
	memset(r, 0, sizeof(*r));
	entries_init(r);
	wl_calib_machine_describe(&r->machine);
	r->repeats = opt.repeats;
	r->rep_ns = opt.rep_ns;

	progress(&opt, "floors");
	op[0] = (struct op){.fn = op_clock, .what = "clock_gettime"};
	op[1] = (struct op){.fn = op_getppid, .what = "getppid"};
	reps = ops_run(op, 2, &opt);
	op_entry(&op[0], reps, &r->e[WL_CALIB_CLOCK]);
	op_entry(&op[1], reps, &r->e[WL_CALIB_FLOOR_GETPPID]);
	ops_free(op, 2);

	progress(&opt, "vmsplice");
	measure_vmsplice(&opt, r, false);
	measure_vmsplice(&opt, r, true);
	progress(&opt, "futex");
	measure_futex(&opt, r);

	progress(&opt, "membarrier");
	membarrier_setup(mb_why, sizeof(mb_why));
	pin_init(&pin);
	measure_membarrier(&opt, r, mb_why, &pin);
	pin_fini(&pin);

	progress(&opt, "emulated IPI");
	measure_eipi(&opt, r, WL_IPI_SIGNAL, mb_why);
	measure_eipi(&opt, r, WL_IPI_POLL, mb_why);

	progress(&opt, "liburcu");
	measure_urcu(&opt, r);

	r->total_s = (double)(wl_calib_clock_ns() - t0) / 1e9;
	for (int i = 0; i < WL_CALIB_NR; i++)
		ok += r->e[i].status == WL_CALIB_OK;
	return ok;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                 */

#define COL_WHAT 30 /* + 4 x 10 + "  status" = 78 columns */

static void fmt_num(char *buf, size_t len, double v, bool ratio)
{
	if (ratio)
		snprintf(buf, len, "%.2fx", v);
	else if (fabs(v) < 10)
		snprintf(buf, len, "%.2f", v);
	else if (fabs(v) < 10000)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

void wl_calib_print_header(FILE *f)
{
	fprintf(f, "%-*s%10s%10s%10s%10s  %s\n", COL_WHAT, "what (ns/op)",
		"min", "median", "max", "per page", "status");
}

void wl_calib_print_entry(FILE *f, const struct wl_calib_entry *e)
{
	char what[80], mn[24], md[24], mx[24], pp[24] = "";
	bool ratio = !strcmp(e->unit, "x");

	snprintf(what, sizeof(what), "%s %s", e->name, e->variant);
	if (e->status != WL_CALIB_OK) {
		/* 80 columns: what, then as much of the reason as fits */
		fprintf(f, "%-*.*s  unavailable: %.*s\n", COL_WHAT, COL_WHAT,
			what, 80 - COL_WHAT - 2 - 13, e->reason);
		return;
	}
	fmt_num(mn, sizeof(mn), e->min, ratio);
	fmt_num(md, sizeof(md), e->median, ratio);
	fmt_num(mx, sizeof(mx), e->max, ratio);
	if (e->pages)
		fmt_num(pp, sizeof(pp), e->median / e->pages, false);
	fprintf(f, "%-*.*s%10s%10s%10s%10s  ok\n", COL_WHAT, COL_WHAT, what, mn,
		md, mx, pp);
}

/* "label text", wrapped at "; " to 80 columns, continuation indented. */
static void put_wrapped(FILE *f, const char *label, const char *text)
{
	size_t indent = strlen(label), col = indent;
	const char *p = text;

	fputs(label, f);
	while (*p) {
		const char *end = strstr(p, "; ");
		size_t n = end ? (size_t)(end - p) + 1 : strlen(p);

		if (col > indent && col + 1 + n > 80) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)n, p);
		col += n;
		p += n;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

void wl_calib_print_table(FILE *f, const struct wl_calib_report *r)
{
	const struct wl_calib_machine *m = &r->machine;

	fprintf(f,
		"calibration: %u repetitions of ~%.0f ms each, %.1f s in "
		"all\n",
		r->repeats, (double)r->rep_ns / 1e6, r->total_s);
	fprintf(f, "cpu: %.74s\n", m->cpu_model);
	fprintf(f, "kernel: %.71s\n", m->kernel);
	put_wrapped(f, "machine: ", m->machine);
	fprintf(f, "compiler: %.50s; liburcu %s\n", m->compiler, m->liburcu);
	wl_calib_print_header(f);
	for (int i = 0; i < WL_CALIB_NR; i++)
		wl_calib_print_entry(f, &r->e[i]);
	fprintf(f, "per page = median / pages; gup_fast_page = (t256 - t16) / "
		   "240 per repetition\n");
}

const char wl_calib_csv_header[] =
	"name,variant,unit,min,median,max,repeats,status,reason,"
	"cpu_model,kernel,machine,compiler,liburcu";

/* A CSV field, quoted when it needs to be. */
static void csv_str(FILE *f, const char *s, bool comma)
{
	if (strpbrk(s, ",\"\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s == '\n' ? ' ' : *s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	if (comma)
		fputc(',', f);
}

static void csv_row_scaled(FILE *f, const struct wl_calib_machine *m,
			   const struct wl_calib_entry *e, const char *unit,
			   double div)
{
	bool ok = e->status == WL_CALIB_OK;

	csv_str(f, e->name, true);
	csv_str(f, e->variant, true);
	csv_str(f, unit, true);
	if (ok)
		fprintf(f, "%.3f,%.3f,%.3f,%u,ok,,", e->min / div,
			e->median / div, e->max / div, e->repeats);
	else
		fprintf(f, ",,,0,unavailable,");
	if (!ok)
		csv_str(f, e->reason, true);
	csv_str(f, m->cpu_model, true);
	csv_str(f, m->kernel, true);
	csv_str(f, m->machine, true);
	csv_str(f, m->compiler, true);
	csv_str(f, m->liburcu, false);
	fputc('\n', f);
}

/* Does e get a second, per-page row? */
static bool csv_per_page(const struct wl_calib_entry *e)
{
	return e->pages && !strcmp(e->unit, "ns/call");
}

void wl_calib_csv_row(FILE *f, const struct wl_calib_machine *m,
		      const struct wl_calib_entry *e)
{
	csv_row_scaled(f, m, e, e->unit, 1.0);
	if (csv_per_page(e))
		csv_row_scaled(f, m, e, "ns/page", (double)e->pages);
}

unsigned int wl_calib_csv_rows(const struct wl_calib_report *r)
{
	unsigned int n = 0;

	for (int i = 0; i < WL_CALIB_NR; i++)
		n += 1 + csv_per_page(&r->e[i]);
	return n;
}

int wl_calib_write_csv(FILE *f, const struct wl_calib_report *r)
{
	fprintf(f, "%s\n", wl_calib_csv_header);
	for (int i = 0; i < WL_CALIB_NR; i++)
		wl_calib_csv_row(f, &r->machine, &r->e[i]);
	return fflush(f) || ferror(f) ? -EIO : 0;
}

static void json_num(FILE *f, const char *key, double v, bool ok)
{
	fprintf(f, "\"%s\": ", key);
	if (ok && isfinite(v))
		fprintf(f, "%.3f", v);
	else
		fputs("null", f);
}

int wl_calib_write_json(FILE *f, const struct wl_calib_report *r)
{
	const struct wl_calib_machine *m = &r->machine;

	fputs("{\n  \"machine\": {\"cpu_model\": ", f);
	wl_json_str(f, m->cpu_model);
	fputs(", \"kernel\": ", f);
	wl_json_str(f, m->kernel);
	fputs(", \"machine\": ", f);
	wl_json_str(f, m->machine);
	fputs(", \"compiler\": ", f);
	wl_json_str(f, m->compiler);
	fputs(", \"liburcu\": ", f);
	wl_json_str(f, m->liburcu);
	fprintf(f,
		"},\n  \"repeats\": %u, \"rep_ns\": %llu, \"total_s\": "
		"%.3f,\n  \"entries\": [\n",
		r->repeats, (unsigned long long)r->rep_ns, r->total_s);
	for (int i = 0; i < WL_CALIB_NR; i++) {
		const struct wl_calib_entry *e = &r->e[i];
		bool ok = e->status == WL_CALIB_OK;

		fputs("    {\"name\": ", f);
		wl_json_str(f, e->name);
		fputs(", \"variant\": ", f);
		wl_json_str(f, e->variant);
		fputs(", \"unit\": ", f);
		wl_json_str(f, e->unit);
		fprintf(f, ", \"pages\": %u, \"status\": \"%s\", \"reason\": ",
			e->pages, ok ? "ok" : "unavailable");
		wl_json_str(f, e->reason);
		fputs(", ", f);
		json_num(f, "min", e->min, ok);
		fputs(", ", f);
		json_num(f, "median", e->median, ok);
		fputs(", ", f);
		json_num(f, "max", e->max, ok);
		fprintf(f, ", \"repeats\": %u, \"iters\": %llu}%s\n",
			e->repeats, (unsigned long long)e->iters,
			i + 1 < WL_CALIB_NR ? "," : "");
	}
	fputs("  ]\n}\n", f);
	return fflush(f) || ferror(f) ? -EIO : 0;
}

/* ---------------------------------------------------------------------- */
/* Ratios for walklab compare                                             */

static void ratio(struct wl_calib_entry *out, const char *variant,
		  const struct wl_calib_figure *sim,
		  const struct wl_calib_entry *host)
{
	memset(out, 0, sizeof(*out));
	out->name = "ratio";
	out->unit = "x";
	snprintf(out->variant, sizeof(out->variant), "%s", variant);
	if (!sim->valid) {
		unavail(out, "no simulated figure");
		return;
	}
	if (host->status != WL_CALIB_OK) {
		unavail(out, "host %s %s: %s", host->name, host->variant,
			host->reason);
		return;
	}
	if (!(host->min > 0) || !(host->median > 0)) {
		unavail(out, "host %s %s is not above zero", host->name,
			host->variant);
		return;
	}
	out->status = WL_CALIB_OK;
	out->median = sim->median / host->median;
	out->min = sim->min / host->max;
	out->max = sim->max / host->min;
	out->repeats = host->repeats;
}

int wl_calib_ratios(const struct wl_calib_report *r,
		    const struct wl_calib_sim *sim,
		    struct wl_calib_entry out[WL_CALIB_NR_RATIOS])
{
	enum wl_urcu_flavor f = sim->rcu_flavor;
	char v[32];
	int ok = 0;

	ratio(&out[0],
	      sim->walk_thp ? "walk/gup_fast thp=on" : "walk/gup_fast thp=off",
	      &sim->walk_per_page,
	      &r->e[sim->walk_thp ? WL_CALIB_GUP_PAGE_THP : WL_CALIB_GUP_PAGE]);
	out[1] = r->e[WL_CALIB_EIPI_SIGNAL_RATIO];
	out[2] = r->e[WL_CALIB_EIPI_POLL_RATIO];
	if ((unsigned int)f >= WL_URCU_NR_FLAVORS)
		f = WL_URCU_MEMB;
	snprintf(v, sizeof(v), "rcu_read/urcu_read %s", flavor_names[f]);
	ratio(&out[3], v, &sim->rcu_read_pair, &r->e[WL_CALIB_URCU_READ + f]);
	for (int i = 0; i < WL_CALIB_NR_RATIOS; i++)
		ok += out[i].status == WL_CALIB_OK;
	return ok;
}

void wl_calib_print_ratios(FILE *f, const struct wl_calib_report *r,
			   const struct wl_calib_sim *sim)
{
	struct wl_calib_entry out[WL_CALIB_NR_RATIOS];

	wl_calib_ratios(r, sim, out);
	wl_calib_print_header(f);
	for (int i = 0; i < WL_CALIB_NR_RATIOS; i++)
		wl_calib_print_entry(f, &out[i]);
}
