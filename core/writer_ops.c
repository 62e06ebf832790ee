// SPDX-License-Identifier: MIT
/*
 * writer_ops.c - see writer_ops.h.
 */
#include "writer_ops.h"
#include "legacy_thp.h"
#include "util.h"

#include <errno.h>

const char *const wl_writer_op_names[WL_NR_OPS + 1] = {
	[WL_OP_MUNMAP] = "munmap",   [WL_OP_DONTNEED] = "dontneed",
	[WL_OP_SPLIT] = "split",     [WL_OP_COLLAPSE] = "collapse",
	[WL_OP_MIGRATE] = "migrate", [WL_OP_MPROTECT] = "mprotect",
	[WL_OP_RETRACT] = "retract", [WL_OP_FORK] = "fork",
	[WL_OP_NUMA] = "numa",	     [WL_OP_UNSHARE] = "unshare",
	[WL_NR_OPS] = NULL,
};

const unsigned int wl_writer_op_weights[WL_NR_OPS] = {
	[WL_OP_MUNMAP] = 2,   [WL_OP_DONTNEED] = 3, [WL_OP_SPLIT] = 1,
	[WL_OP_COLLAPSE] = 1, [WL_OP_MIGRATE] = 2,  [WL_OP_MPROTECT] = 1,
};

int wl_writer_populate(struct wl_mm *mm, uint64_t addr, uint64_t len,
		       unsigned int flags)
{
	if (flags & WL_OPF_LEGACY)
		return wl_legacy_thp_populate(mm, addr, len);
	return wl_populate(mm, addr, len);
}

static int op_munmap(struct wl_mm *mm, const struct wl_writer_op_args *a)
{
	int ret = wl_munmap(mm, a->addr, a->len);

	if (ret || !(a->flags & WL_OPF_REMAP))
		return ret;
	ret = wl_mmap(mm, a->addr, a->len, a->vm_flags);
	if (ret || !(a->flags & WL_OPF_REFILL))
		return ret;
	return wl_writer_populate(mm, a->addr, a->len, a->flags);
}

static int op_dontneed(struct wl_mm *mm, const struct wl_writer_op_args *a)
{
	int ret = wl_madvise_dontneed(mm, a->addr, a->len,
				      a->flags & WL_OPF_PT_RECLAIM);

	if (ret || !(a->flags & WL_OPF_REFILL))
		return ret;
	return wl_writer_populate(mm, a->addr, a->len, a->flags);
}

static int op_split(struct wl_mm *mm, const struct wl_writer_op_args *a)
{
	if (a->flags & WL_OPF_LEGACY)
		return wl_split_huge_page_legacy(mm, a->addr);
	return wl_split_huge_pmd(mm, a->addr);
}

static int op_collapse(struct wl_mm *mm, const struct wl_writer_op_args *a)
{
	int ret = 0;

	if (a->flags & WL_OPF_LEGACY)
		return -EINVAL;
	if (a->flags & WL_OPF_REFILL)
		ret = wl_populate(mm, a->addr, a->len);
	return ret ? ret : wl_collapse_huge_page(mm, a->addr);
}

static int op_migrate(struct wl_mm *mm, const struct wl_writer_op_args *a)
{
	return wl_migrate_page(mm, a->addr + (uint64_t)a->page * PAGE_SIZE);
}

static int op_mprotect(struct wl_mm *mm, const struct wl_writer_op_args *a)
{
	int ret = wl_mprotect(mm, a->addr, a->len, VM_READ);

	wl_delay_ns(a->delay_ns); /* none for 0 */
	return ret ? ret : wl_mprotect(mm, a->addr, a->len, VM_READ | VM_WRITE);
}

static int op_fork(struct wl_mm *mm, const struct wl_writer_op_args *a)
{
	return wl_fork_range(mm, a->addr);
}

static int op_numa(struct wl_mm *mm, const struct wl_writer_op_args *a)
{
	return wl_numa_migrate_thp(mm, a->addr);
}

static int op_retract(struct wl_mm *mm, const struct wl_writer_op_args *a)
{
	int ret = wl_retract_pte_table(mm, a->addr);

	if (ret || !(a->flags & WL_OPF_REFILL))
		return ret;
	return wl_writer_populate(mm, a->addr, PMD_SIZE, a->flags);
}

static int op_unshare(struct wl_mm *mm, const struct wl_writer_op_args *a)
{
	int ret = wl_unshare_pte_table(mm, a->addr);

	if (ret || !(a->flags & WL_OPF_REFILL))
		return ret;
	return wl_writer_populate(mm, a->addr, PMD_SIZE, a->flags);
}

static int (*const op_call[WL_NR_OPS])(struct wl_mm *mm,
				       const struct wl_writer_op_args *a) = {
	[WL_OP_MUNMAP] = op_munmap,   [WL_OP_DONTNEED] = op_dontneed,
	[WL_OP_SPLIT] = op_split,     [WL_OP_COLLAPSE] = op_collapse,
	[WL_OP_MIGRATE] = op_migrate, [WL_OP_MPROTECT] = op_mprotect,
	[WL_OP_RETRACT] = op_retract, [WL_OP_FORK] = op_fork,
	[WL_OP_NUMA] = op_numa,	      [WL_OP_UNSHARE] = op_unshare,
};

int wl_writer_op_run(enum wl_writer_op op, struct wl_mm *mm,
		     const struct wl_writer_op_args *a)
{
	if ((unsigned int)op >= WL_NR_OPS)
		return -EINVAL;
	return op_call[op](mm, a);
}
