/* SPDX-License-Identifier: MIT */
/*
 * results.h - the tidy result row shared by the measuring executables, the
 * compare orchestrator and the report writers (CSV, JSON, text, plots).
 *
 * One row is one measurement: a metric of one workload configuration of
 * one backend, summarised over its repetitions (n) as min/median/max/p99.
 * Parameters that do not apply to a workload are empty in the CSV (-1 or
 * "" in the struct).  Provenance (machine, compiler, liburcu, git
 * revision) is the same for every row of a run; the CSV carries it in
 * trailing columns so that results of several hosts can be merged.
 *
 * Workloads and their metrics:
 *   read      read_side_pair_ns (begin+end around nothing, inlined),
 *             ns_per_walk, ns_per_page (min/median/max over repetitions,
 *             p99 over individual walks), walks_per_s, walks_per_s_per_cpu,
 *             fast_path_ratio, section_ns (the begin..end section: the
 *             IRQ-off duration for IRQ-off backends; p50 in median)
 *   writer    free_ns (one table-free: munmap of a populated 2 MiB),
 *             sync_ns (one wl_backend.sync), collapse_ns (one
 *             collapse_huge_page() of 4 KiB pages), with cpus = walking
 *             threads (0, 1, 2); ipis_per_op, grace_periods_per_op
 *             (writer_op says free, sync or collapse)
 *   fallback  every table through tlb_remove_table_one(), writer_op
 *             fallback_<variant> (ipi, sync_rcu, call_rcu) or fallback:
 *             fallback_wait_ns (each one's wait), ipis_<kind>_per_fallback,
 *             ipis_per_fallback, fqs_ipis_per_fallback,
 *             grace_periods_per_fallback, backlog_peak_tables, and the
 *             inputs mm_cpus and online_cpus
 *   (bystanders) with --bystanders N, writer and fallback rows also get,
 *             over the N bystanders (min/median/max, n = N):
 *             bystander_irqs_<kind>_per_op, bystander_irqs_per_op (per
 *             op of the row's writer_op), bystander_gap_max_ns,
 *             bystander_gap_p99_ns, bystander_irq_gap_max_ns
 *   mixed     walks_per_s, writer_op_ns, writer_ops_per_s, writer_ops_done
 *             (n: ops attempted), ipis_per_op,
 *             backlog_peak_tables, backlog_peak_bytes, at a writer_rate;
 *   (ipis)    ipis_per_op is every IPI sent per completed op (n: the
 *             completed ops); ipis_flush_per_op, ipis_sync_per_op and
 *             ipis_backend_per_op split it by kind (smp.h)
 *             backlog_tables over time (t_ms set, one row per sample)
 *   slowpath  mmap_lock_write_wait_ns (the writer's wait for mmap_lock),
 *             walks_per_s, with allow_retry 0/1
 *   tracking  lockless_walk_helpers-targeted only: VARIANT_pair_ns,
 *             VARIANT_walk_ns, VARIANT_walk_overhead_pct,
 *             VARIANT_pair_pct_of_walk and, under callgrind,
 *             VARIANT_pair_instr, VARIANT_walk_instr,
 *             VARIANT_instr_overhead_pct; VARIANT is today, store_mb or
 *             xchg, plus floor_* (bench/measure/measure_tracking.c)
 *   fault     faults_per_s, faults, speculative_ratio, abort_rate,
 *             mmap_lock_write_wait_ns, writer_ops_per_s; writer_op is the
 *             fault path (mmap_lock | spf | vma_lock), cpus the faulting
 *             CPUs, writer_rate the mmap_lock writer's ops/s
 *   collapse-range  per strategy (writer_op: today, skip, rcu_sync,
 *             targeted, default) and simulated CPUs (cpus): collapses,
 *             bystanders, range_mib, ipis_<kind>_per_op (sent per
 *             collapse), irqs_mm[_<kind>]_per_op and
 *             irqs_bystander[_<kind>]_per_op (taken per collapse by each
 *             CPU of the class: min/median/max over the class),
 *             grace_periods_per_op, writer_op_ns (per collapse)
 *   process   peak_rss_kib (one row per executable run)
 *   calib     host measurements (walklab calibrate), backend "host", and
 *             the ratios of simulation over host (compare)
 */
#ifndef WALKLAB_RESULTS_H
#define WALKLAB_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The CSV header, in column order. */
#define WL_CSV_COLUMNS                                                         \
	"backend,build_options,arch,workload,walk_pages,mapping,foll,cpus,"    \
	"writer_op,writer_rate,allow_retry,t_ms,metric,unit,n,min,median,"     \
	"max,p99,pinned,oversubscribed"
#define WL_CSV_PROVENANCE_COLUMNS                                              \
	"cpu_model,host_pus,kernel,compiler,cflags,liburcu,hwloc,git_rev,"     \
	"timestamp"

struct wl_row {
	char backend[64];	/* backend configuration id, e.g. rcu-memb */
	char build_options[96]; /* "flavor=memb" */
	char arch[16];		/* ipi | broadcast | paravirt */
	char workload[16];	/* read | writer | mixed | slowpath | ... */
	int64_t walk_pages;	/* pages per call, -1 if n/a */
	char mapping[8];	/* 4k | 2m | 1g | "" */
	char foll[8];		/* get | pin | "" */
	int64_t cpus;		/* walker CPUs, -1 if n/a */
	char writer_op[24];	/* munmap | dontneed | ... | "" */
	int64_t writer_rate;	/* writer ops/s asked for, -1 if n/a */
	int64_t allow_retry;	/* 0/1, -1 if n/a */
	int64_t t_ms;		/* time of a sample, -1 if n/a */
	char metric[32];
	char unit[16]; /* ns, 1/s, ratio, tables, bytes, KiB, ... */
	uint64_t n;    /* repetitions or samples summarised */
	double min, median, max, p99; /* p99 NaN if not measured */
	int pinned;		      /* 0/1, -1 unknown */
	int oversubscribed;	      /* 0/1, -1 unknown */
};

/* A row with every optional parameter "n/a". */
void wl_row_init(struct wl_row *r, const char *workload, const char *metric,
		 const char *unit);
/* One CSV line (no provenance columns), with '\n'. */
void wl_row_print_csv(FILE *f, const struct wl_row *r);
/*
 * Parse one CSV line as printed by wl_row_print_csv(), optionally followed
 * by provenance columns (ignored here).  Returns 0, or -1 on a malformed
 * line.
 */
int wl_row_parse_csv(const char *line, struct wl_row *r);

/* A results.csv in memory: its rows, each with its line as read. */
struct wl_rows {
	struct wl_row *row;
	char **line; /* without its newline; provenance columns kept */
	size_t nr;
	unsigned long bad; /* malformed lines skipped */
};

/*
 * Read a results CSV (the header, blank and '#' lines skipped) into rs.
 * A malformed line is skipped and counted in rs->bad; if log is not NULL,
 * the first few are named on it, "walklab: PATH:LINE: malformed row,
 * skipped", and the total if there were more.  Returns 0, or -1 with errno
 * set if path cannot be read.  Exits on out-of-memory.
 */
int wl_rows_load(struct wl_rows *rs, const char *path, FILE *log);
void wl_rows_free(struct wl_rows *rs);

/* Any value, for wl_match's numbers. */
#define WL_ANY INT64_MIN

/* A row query: NULL strings and WL_ANY numbers match anything. */
struct wl_match {
	const char *backend, *workload, *metric, *mapping, *foll;
	int64_t walk_pages, cpus;
};

/*
 * The index of the first row at or after from that matches m, or -1.
 * The samples of a time series (t_ms set) never match: a query asks for
 * a summary figure.
 */
long wl_rows_find(const struct wl_rows *rs, size_t from,
		  const struct wl_match *m);
/* The median of the first match, or NAN (no match, or no repetitions). */
double wl_rows_median(const struct wl_rows *rs, const struct wl_match *m);

/* Sort a[0..n) and return min/median/max in out[3] (zeros if n is 0). */
void wl_stats3(double *a, unsigned int n, double out[3]);

/* s as a JSON string, quoted, with '"', '\\' and control bytes escaped. */
void wl_json_str(FILE *f, const char *s);

#endif /* WALKLAB_RESULTS_H */
