// SPDX-License-Identifier: MIT
/*
 * calib_vmsplice.c - the host's GUP-fast, through vmsplice(2).
 *
 * Without SPLICE_F_GIFT, vmsplice of user memory into a pipe takes a page
 * reference on every page through get_user_pages_fast().  Verified in
 * torvalds/linux (b2b39fa4, and the v6.x history): SYSCALL vmsplice ->
 * vmsplice_to_pipe() -> iter_to_pipe(), which calls iov_iter_get_pages2(
 * from, pages, ~0UL, 16, &start) - at most 16 pages per batch - and for a
 * user-backed iterator that is __iov_iter_get_pages_alloc() ->
 * get_user_pages_fast(addr, n, gup_flags, pages); gup_flags has no
 * FOLL_WRITE (the iterator is ITER_SOURCE), so it is a read GUP of present
 * pages, the fast path we simulate.  Each page then becomes one pipe
 * buffer (add_to_pipe()); draining the pipe drops the references
 * (put_page(), in user_page_pipe_buf_ops' release).  An out-of-tree rework
 * seen in list archives (pipe_alloc_buffer()/bvec) keeps the same
 * iov_iter_get_pages2() call [unverified whether merged].  And a
 * zero-length iovec makes the system call return right after
 * import_iovec() (if (!iov_iter_count(&iter)) error = 0), which gives the
 * syscall's own floor, fd lookup included, without GUP.
 *
 * We time the vmsplice() calls only: calls are made back to back until
 * the pipe is full (256 pages), then the pipe is drained to /dev/null with
 * splice(2), untimed.  So put_page() is not in the figure, and each batch
 * pays one clock-read pair (CLOCK row; divided by 256 calls of one page,
 * or paid in full by one call of 256 pages: small next to it).  Per call =
 * syscall + fd/pipe lock + GUP-fast + one pipe buffer per page; the
 * per-page figure we compare the simulator with is the slope,
 * (t(256) - t(16)) / 240, which cancels the per-call costs and keeps
 * GUP-fast + pipe buffer per page.  4 KiB pages: MADV_NOHUGEPAGE on the
 * region; THP: MADV_HUGEPAGE, then checked in /proc/self/smaps
 * (AnonHugePages), MADV_COLLAPSE tried if the fault did not give a huge
 * page; GUP-fast then takes a PMD leaf, one folio for all pages.
 */
#include "calib_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1 */
#endif

#define VMS_PAGES   256 /* the largest vmsplice, and the pipe we need */
#define HUGE_FALLBK (2u << 20)

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

/* The floor: n zero-length vmsplice() calls; nothing enters the pipe. */
static uint64_t vms_zero(struct vms *v, uint64_t n, int *err)
{
	struct iovec iov = {v->region, 0};
	uint64_t t0 = wl_calib_clock_ns();

	for (uint64_t i = 0; i < n; i++) {
		if (vmsplice(v->p->pw, &iov, 1, SPLICE_F_NONBLOCK) < 0) {
			*err = errno;
			return WL_CALIB_OP_FAIL;
		}
	}
	return wl_calib_clock_ns() - t0;
}

static uint64_t op_vmsplice(void *ctx, uint64_t n, int *err)
{
	struct vms *v = ctx;
	size_t len = (size_t)v->pages * v->page;
	unsigned int per_fill = v->pages ? v->pipe_pages / v->pages : 0;
	uint64_t total = 0;

	if (!v->pages)
		return vms_zero(v, n, err);
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
				return WL_CALIB_OP_FAIL;
			}
		}
		total += wl_calib_clock_ns() - t0;
		ret = vms_drain(v->p, (size_t)batch * len);
		if (ret) {
			*err = -ret;
			return WL_CALIB_OP_FAIL;
		}
		n -= batch;
	}
	return total;
}

/* ---------------------------------------------------------------------- */
/* The region: 4 KiB pages or THP                                         */

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

void wl_calib_thp_setting(const char *file, char *out, size_t len)
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
		wl_calib_thp_setting("enabled", setting, sizeof(setting));
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

/* ---------------------------------------------------------------------- */
/* The probe                                                              */

/* The region and the pipe, shared by every size; why says what failed. */
struct vms_setup {
	void *map; /* what to munmap, or NULL */
	size_t map_len;
	char *region;
	size_t hsz;
	int fds[2];
	struct vms_pipe vp;
	unsigned int pipe_pages; /* what the pipe holds */
	char why[112];
};

static int vms_open(struct vms_setup *s, bool thp)
{
	int got;

	*s = (struct vms_setup){.fds = {-1, -1}, .vp.devnull = -1};
	s->hsz = hpage_size();
	s->region = vms_region(thp, s->hsz, &s->map, &s->map_len, s->why,
			       sizeof(s->why));
	if (!s->region)
		return -1;
	if (pipe2(s->fds, O_CLOEXEC)) {
		snprintf(s->why, sizeof(s->why), "pipe2: %s", strerror(errno));
		return -1;
	}
	/* Ask for >= 256 pages and check what we got (pipe-max-size). */
	fcntl(s->fds[1], F_SETPIPE_SZ,
	      (int)(VMS_PAGES * (size_t)getpagesize()));
	got = fcntl(s->fds[1], F_GETPIPE_SZ);
	s->pipe_pages =
		got > 0 ? (unsigned int)got / (unsigned int)getpagesize() : 0;
	s->vp = (struct vms_pipe){
		.pr = s->fds[0],
		.pw = s->fds[1],
		.devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)};
	return 0;
}

static void vms_close(struct vms_setup *s)
{
	if (s->vp.devnull >= 0)
		close(s->vp.devnull);
	if (s->fds[0] >= 0) {
		close(s->fds[0]);
		close(s->fds[1]);
	}
	if (s->map)
		munmap(s->map, s->map_len);
}

static struct vms vms_ctx(struct vms_setup *s, unsigned int pages)
{
	return (struct vms){
		.p = &s->vp,
		.region = s->region,
		.region_len = s->hsz,
		.page = (size_t)getpagesize(),
		.pipe_pages = s->pipe_pages,
		.pages = pages,
	};
}

/* 1/16/256 pages interleaved into entries first.., and the slope. */
static void vms_sizes(const struct wl_calib_opts *o, struct wl_calib_report *r,
		      struct vms_setup *s, int first, int slope)
{
	static const unsigned int sizes[3] = {1, 16, VMS_PAGES};
	struct wl_calib_op ops[3] = {0};
	struct vms v[3];
	unsigned int reps;
	int k = 0;

	/*
	 * The sizes the pipe holds (a prefix: sizes ascend) run interleaved;
	 * the others say why not.
	 */
	for (int i = 0; i < 3; i++) {
		v[i] = vms_ctx(s, sizes[i]);
		if (v[i].pipe_pages < sizes[i] ||
		    (size_t)sizes[i] * v[i].page > s->hsz) {
			wl_calib_unavail(&r->e[first + i],
					 "pipe holds %u pages (F_SETPIPE_SZ; "
					 "see /proc/sys/fs/pipe-max-size)",
					 v[i].pipe_pages);
			continue;
		}
		ops[k++] = (struct wl_calib_op){
			.fn = op_vmsplice, .ctx = &v[i], .what = "vmsplice"};
	}
	reps = k ? wl_calib_ops_run(ops, k, o) : 0;
	if (k == 3)
		wl_calib_derive(&r->e[slope], &ops[2], &ops[1], reps,
				1.0 / (VMS_PAGES - 16), false);
	else
		wl_calib_unavail(&r->e[slope],
				 "needs vmsplice of 16 and %u pages",
				 VMS_PAGES);
	for (int i = 0; i < k; i++)
		wl_calib_op_entry(&ops[i], reps, &r->e[first + i]);
	wl_calib_ops_free(ops, k);
}

/* The floor, a zero-length iovec, on the same pipe. */
static void vms_floor(const struct wl_calib_opts *o, struct wl_calib_report *r,
		      struct vms_setup *s)
{
	struct vms z = vms_ctx(s, 0);
	struct wl_calib_op f = {
		.fn = op_vmsplice, .ctx = &z, .what = "vmsplice"};

	wl_calib_op_measure(&f, o, &r->e[WL_CALIB_FLOOR_VMSPLICE]);
}

/* 1/16/256 pages with THP on or off, and the slope; the floor if !thp. */
void wl_calib_vmsplice(const struct wl_calib_opts *o, struct wl_calib_report *r,
		       bool thp)
{
	int first = thp ? WL_CALIB_VMSPLICE_THP_1 : WL_CALIB_VMSPLICE_1;
	int slope = thp ? WL_CALIB_GUP_PAGE_THP : WL_CALIB_GUP_PAGE;
	struct vms_setup s;

	if (!vms_open(&s, thp)) {
		vms_sizes(o, r, &s, first, slope);
		if (!thp)
			vms_floor(o, r, &s);
	} else {
		for (int i = 0; i < 3; i++)
			wl_calib_unavail(&r->e[first + i], "%s", s.why);
		wl_calib_unavail(&r->e[slope], "%s", s.why);
		if (!thp)
			wl_calib_unavail(&r->e[WL_CALIB_FLOOR_VMSPLICE], "%s",
					 s.why);
	}
	vms_close(&s);
}
