/* SPDX-License-Identifier: MIT */
/*
 * writer_ops.h - the writer operations that race with GUP-fast, once:
 * their enum, names, default weights and the core calls each one makes.
 *
 * Three callers run them: the torture's writers (a random op by weight on
 * a random range, restoring it afterwards), the writer benchmark (each op
 * timed in a fixed round) and the mixed workload (a fixed rotation, no
 * refill).  They differ only in the arguments: the range, the page to
 * migrate, what to restore and how, and a delay; the op -> core-call
 * mapping is wl_writer_op_run()'s alone.
 */
#ifndef WALKLAB_WRITER_OPS_H
#define WALKLAB_WRITER_OPS_H

#include "mm.h"

enum wl_writer_op {
	WL_OP_MUNMAP,	/* munmap [+ mmap [+ populate]] */
	WL_OP_DONTNEED, /* MADV_DONTNEED [pt_reclaim] [+ populate] */
	WL_OP_SPLIT,	/* THP PMD split (legacy: the pre-4.5 split) */
	WL_OP_COLLAPSE, /* [populate +] khugepaged collapse to a THP */
	WL_OP_MIGRATE,	/* migrate one 4 KiB page */
	WL_OP_MPROTECT, /* write-protect, [delay,] then read-write again */
	WL_OP_FORK,	/* fork's copy of addr's PMD, then the child exits */
	WL_OP_NUMA,	/* NUMA-hint addr's THP, then migrate it (v3.13) */
	WL_OP_RETRACT,	/* khugepaged retracts addr's PTE table (2023) */
	WL_OP_UNSHARE,	/* huge_pmd_unshare()'s order (2025), retract.c */
	WL_NR_OPS,
};

/* NULL-terminated, for wl_parse_choice(). */
extern const char *const wl_writer_op_names[WL_NR_OPS + 1];
/* The torture's default mix (--mix); fork and numa are 0 (scenarios). */
extern const unsigned int wl_writer_op_weights[WL_NR_OPS];

/* wl_writer_op_args.flags */
#define WL_OPF_REMAP (1u << 0) /* munmap: map the range again */
#define WL_OPF_REFILL                                                          \
	(1u << 1)		    /* populate: after a remap or DONTNEED,
				     * before a collapse */
#define WL_OPF_PT_RECLAIM (1u << 2) /* DONTNEED frees empty PTE tables */
#define WL_OPF_LEGACY                                                          \
	(1u << 3) /* pre-4.5 THPs: their populate and
				     * split; collapse is not modelled */

struct wl_writer_op_args {
	uint64_t addr, len;    /* the range; split, collapse: addr's PMD */
	unsigned int page;     /* migrate: addr + page * PAGE_SIZE */
	unsigned int vm_flags; /* WL_OPF_REMAP: the new mapping's */
	unsigned int flags;    /* WL_OPF_* */
	uint64_t delay_ns;     /* mprotect: read-only this long */
};

/* One op on mm, on the calling CPU; 0 or the first core call's -errno. */
int wl_writer_op_run(enum wl_writer_op op, struct wl_mm *mm,
		     const struct wl_writer_op_args *a);
/* Fault [addr, addr + len) in: legacy THPs with WL_OPF_LEGACY in flags. */
int wl_writer_populate(struct wl_mm *mm, uint64_t addr, uint64_t len,
		       unsigned int flags);

#endif /* WALKLAB_WRITER_OPS_H */
