// SPDX-License-Identifier: MIT
/*
 * options.c - the torture's configuration: defaults, command-line
 * parsing and the checks that need the whole of it.
 */
#include "backend_opt.h"
#include "cli.h"
#include "smp.h" /* WL_NR_CPUS */
#include "torture_internal.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const foll_names[] = {"get", "pin", "mixed", NULL};
/* --bug names, and the wl_bugs field each one sets. */
static const char *const bug_names[] = {
	"no-pmd-recheck",	    "no-pte-recheck",
	"collapse-no-sync",	    "pt-reclaim-free-now",
	"legacy-split-no-ipi",	    "rcu-sched-ignores-irqoff",
	"table-one-free-now",	    "fork-no-wp-seq",
	"walker-no-protnone",	    "single-user-table-free",
	"lazy-tlb-no-ipi",	    "pae-sync-after-unlock",
	"munmap-free-before-flush", "migrate-refs-before-unmap",
	"zap-no-pmd-recheck",	    "spf-no-seq-check",
	"flush-no-barrier",	    NULL};
static const size_t bug_offsets[] = {
	offsetof(struct wl_bugs, walker_no_pmd_recheck),
	offsetof(struct wl_bugs, walker_no_pte_recheck),
	offsetof(struct wl_bugs, collapse_no_sync),
	offsetof(struct wl_bugs, pt_reclaim_free_now),
	offsetof(struct wl_bugs, legacy_split_no_ipi),
	offsetof(struct wl_bugs, rcu_sched_ignores_irqoff),
	offsetof(struct wl_bugs, table_one_free_now),
	offsetof(struct wl_bugs, fork_no_wp_seq),
	offsetof(struct wl_bugs, walker_no_protnone),
	offsetof(struct wl_bugs, single_user_table_free),
	offsetof(struct wl_bugs, lazy_tlb_no_ipi),
	offsetof(struct wl_bugs, pae_sync_after_unlock),
	offsetof(struct wl_bugs, munmap_free_before_flush),
	offsetof(struct wl_bugs, migrate_refs_before_unmap),
	offsetof(struct wl_bugs, zap_no_pmd_recheck),
	offsetof(struct wl_bugs, spf_no_seq_check),
	offsetof(struct wl_bugs, flush_no_barrier),
};
_Static_assert(WL_ARRAY_SIZE(bug_offsets) + 1 == WL_ARRAY_SIZE(bug_names),
	       "a wl_bugs field for every --bug name");

static bool *bug_flag(struct wl_bugs *b, size_t i)
{
	return (bool *)((char *)b + bug_offsets[i]);
}

void wl_torture_config_default(struct wl_torture_config *c)
{
	memset(c, 0, sizeof(*c));
	c->walkers = 2;
	c->writers = 1;
	c->mms = 1;
	c->duration_ns = 5000000000ull;
	c->seed = 1;
	c->arch = WL_ARCH_IPI;
	for (int i = 0; i < WL_NR_OPS; i++)
		c->mix[i] = wl_writer_op_weights[i];
	c->walk_max_pages = MAX_WALK;
	c->foll = WL_T_FOLL_MIXED;
	c->hold_ns = 2000;
	c->region_mb = 8;
	c->pt_reclaim = true;
	c->check = true;
	c->ring = true;
	c->inject = false;
	c->inject_prob = 4096; /* 1/16 at every point */
	c->inject_max_ns = 50000;
	c->vcpu_preempt = -1;	 /* the arch's default */
	c->vcpu_preempt_ns = -1; /* --inject-max-ns */
	c->stall_ns = 5000000000ull;
	snprintf(c->context, sizeof(c->context), "torture");
}

static const char torture_usage[] =
	"usage: walklab torture -b ID [options]   (walklab-<id> torture "
	"[options])\n"
	"  --walkers N      walker CPUs (1..255, default 2)\n"
	"  --writers M      writer CPUs (0..8, default 1)\n"
	"  --cpus N         simulated CPUs in all (2..256): the walkers are "
	"N less\n"
	"                   the writers (and CPUs of other roles); the later "
	"of\n"
	"                   --cpus and --walkers wins\n"
	"  --verbose        stall reports and the per-CPU counts list every\n"
	"                   CPU, not a summary\n"
	"  --mms K          address spaces (1..8, default 1)\n"
	"  --region-mb MB   per mm, even (2..256, default 8)\n"
	"  --duration S     seconds, decimals allowed (default 5; 0: until "
	"--ops)\n"
	"  --ops N          stop after N writer ops in all (default 0: none)\n"
	"  --seed N         random seed (default 1)\n"
	"  --arch A         ipi|broadcast|paravirt (default ipi)\n"
	"  --mix OP=W,...   writer weights; OP: munmap|dontneed|split|"
	"collapse|\n"
	"                   migrate|mprotect|fork|numa|retract|unshare "
	"(default "
	"munmap=2,"
	"dontneed=3,\n"
	"                   split=1,collapse=1,migrate=2,mprotect=1)\n"
	"  --rate N         writer ops/s per writer (default 0: flat out)\n"
	"  --walk-pages N   walks of 1..N pages (1..512, default 512)\n"
	"  --foll F         get|pin|mixed (default mixed)\n"
	"  --hold-ns N      hold the pages up to N ns (default 2000)\n"
	"  --pt-reclaim B   DONTNEED frees empty PTE tables: on|off (default "
	"on)\n"
	"  --fast-only      walkers never take the slow path\n"
	"  --check B        the checker: on|off (default on)\n"
	"  --check-cost     first measure the checker's and the event ring's\n"
	"                   ns/walk, each on vs off\n"
	"  --ring B         per-CPU event rings, dumped at the first "
	"violation:\n"
	"                   on|off (default on)\n"
	"  --inject B       fault injection: on|off (default off)\n"
	"  --inject-prob P  per point, parts per 65536 (1..65536, default "
	"4096)\n"
	"  --inject-max-ns N  longest injected spin (default 50000)\n"
	"  --vcpu-preempt P paravirt: the host preempts a walker's vCPU at a "
	"walk\n"
	"                   point, parts per 65536 (0..65536, default "
	"16384 on\n"
	"                   paravirt), for a yield and a spin\n"
	"  --vcpu-preempt-ns N  the longest such spin (0..100000000, "
	"default\n"
	"                   --inject-max-ns)\n"
	"  --inject-sb B    a simulated store buffer at the publication "
	"points:\n"
	"                   on|off (default off; core/sb.h)\n"
	"  --legacy-thp     pre-4.5 THP refcounting and split\n"
	"  --batch-fail P   table batch allocation fails with probability P\n"
	"                   (0..1 or 0%..100%, default 0): "
	"tlb_remove_table_one()\n"
	"  --pae            32-bit PAE: PMDs read as two halves "
	"(low/high/low)\n"
	"  --lazy-tlb       walkers are lazy-TLB CPUs: speculative walks, no "
	"GUP\n"
	"  --bystanders N   CPUs running another mm, a busy loop with a "
	"latency\n"
	"                   probe (0..16, default 0): interrupts by kind, "
	"gaps\n"
	"  --spf B          walkers are faulters: a speculative page fault at\n"
	"                   a random page, then mmap_lock if it aborts: "
	"on|off\n"
	"  --bug B          re-introduce a bug (repeatable), one of:\n";
/* The --bug names print here, from bug_names[] (print_usage()). */
static const char torture_usage_tail[] =
	"  --stop-at-first  stop at the first violation\n"
	"  --stop-on T,...  stop at the first of these violation types\n"
	"  --stall-ms N     stall threshold (100..600000, default 5000)\n"
	"  --backend-opt K=V  a backend option (see walklab backends)\n"
	"  --quiet          summary only\n";

static void print_usage(FILE *f)
{
	const int indent = 19, width = 78;
	int col = indent;

	fputs(torture_usage, f);
	fprintf(f, "%*s", indent, "");
	for (size_t i = 0; bug_names[i]; i++) {
		int n = (int)strlen(bug_names[i]) + (bug_names[i + 1] ? 1 : 0);

		if (col + n > width && col > indent) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		}
		fprintf(f, "%s%s", bug_names[i], bug_names[i + 1] ? "|" : "");
		col += n;
	}
	fputs("\n", f);
	fputs(torture_usage_tail, f);
}

static const struct option longopts[] = {
	{"walkers", required_argument, NULL, 'w'},
	{"cpus", required_argument, NULL, 'N'},
	{"verbose", no_argument, NULL, 'V'},
	{"writers", required_argument, NULL, 'W'},
	{"mms", required_argument, NULL, 'm'},
	{"region-mb", required_argument, NULL, 'R'},
	{"duration", required_argument, NULL, 'd'},
	{"ops", required_argument, NULL, 'o'},
	{"seed", required_argument, NULL, 's'},
	{"arch", required_argument, NULL, 'a'},
	{"mix", required_argument, NULL, 'x'},
	{"rate", required_argument, NULL, 'r'},
	{"walk-pages", required_argument, NULL, 'p'},
	{"foll", required_argument, NULL, 'f'},
	{"hold-ns", required_argument, NULL, 'H'},
	{"pt-reclaim", required_argument, NULL, 'P'},
	{"fast-only", no_argument, NULL, 'F'},
	{"check", required_argument, NULL, 'c'},
	{"check-cost", no_argument, NULL, 'C'},
	{"ring", required_argument, NULL, 'g'},
	{"inject", required_argument, NULL, 'i'},
	{"inject-prob", required_argument, NULL, 'I'},
	{"inject-max-ns", required_argument, NULL, 'M'},
	{"inject-sb", required_argument, NULL, 'Q'},
	{"vcpu-preempt", required_argument, NULL, 'v'},
	{"vcpu-preempt-ns", required_argument, NULL, 'k'},
	{"legacy-thp", no_argument, NULL, 'L'},
	{"batch-fail", required_argument, NULL, 'B'},
	{"lazy-tlb", no_argument, NULL, 'z'},
	{"bystanders", required_argument, NULL, 'Y'},
	{"spf", required_argument, NULL, 'K'},
	{"pae", no_argument, NULL, 'E'},
	{"bug", required_argument, NULL, 'b'},
	{"stop-at-first", no_argument, NULL, '1'},
	{"stop-on", required_argument, NULL, 'S'},
	{"stall-ms", required_argument, NULL, 'T'},
	{"backend-opt", required_argument, NULL, 'O'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* "a|b|c" from a NULL-terminated table, into buf. */
static const char *join_names(char *buf, size_t n, const char *const *names)
{
	buf[0] = 0;
	for (size_t i = 0; names[i]; i++)
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s",
			 i ? "|" : "", names[i]);
	return buf;
}

/* Decimal seconds, e.g. 2 or 0.25, into ns in [0, max_s]. */
static uint64_t parse_seconds(const char *opt, const char *s, double max_s)
{
	char *end;
	double v;

	errno = 0;
	v = s && *s && *s != '-' && *s != '+' ? strtod(s, &end) : -1;
	if (v < 0 || errno || *end || !isfinite(v) || v > max_s)
		wl_usage_error("%s: '%s' is not a number of seconds in [0, %g]",
			       opt, s ? s : "", max_s);
	return (uint64_t)(v * 1e9 + 0.5);
}

/*
 * --batch-fail: a probability, as a fraction (0.25) or a percentage (25%),
 * into parts per 65536 (core/pgtable.h, wl_batch_alloc_fail_prob).
 */
static uint32_t parse_probability(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = s && *s && *s != '-' && *s != '+' ? strtod(s, &end) : -1;
	if (v >= 0 && !errno && *end == '%' && !end[1]) {
		v /= 100;
		end++;
	}
	if (v < 0 || errno || *end || !isfinite(v) || v > 1)
		wl_usage_error("%s: '%s' is not a probability in [0, 1] or "
			       "[0%%, 100%%]",
			       opt, s ? s : "");
	return (uint32_t)(v * 65536 + 0.5);
}

static void parse_mix(const char *s, struct wl_torture_config *c)
{
	char buf[256], ops[128], *save, *tok;

	if (strlen(s) >= sizeof(buf))
		wl_usage_error("--mix: too long");
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			wl_usage_error("--mix: '%s' is not OP=WEIGHT; OP: %s",
				       tok,
				       join_names(ops, sizeof(ops),
						  wl_writer_op_names));
		*eq = 0;
		int op = wl_parse_choice("--mix", tok, wl_writer_op_names);

		c->mix[op] = (unsigned int)wl_parse_u64("--mix weight", eq + 1,
							0, 1000);
	}
}

int wl_torture_parse_watch(const char *s, unsigned int *mask)
{
	char buf[256], *save, *tok;

	*mask = 0;
	if (!strcmp(s, "any")) {
		*mask = (1u << WL_NR_VIOLATIONS) - 1;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int v;

		for (v = 0; v < WL_NR_VIOLATIONS; v++)
			if (!strcmp(tok, wl_violation_name(v)))
				break;
		if (v == WL_NR_VIOLATIONS)
			return -1;
		*mask |= 1u << v;
	}
	return *mask ? 0 : -1;
}

static void parse_stop_on(const char *s, struct wl_torture_config *c)
{
	const char *names[WL_NR_VIOLATIONS + 1];
	char list[256];

	if (!wl_torture_parse_watch(s, &c->stop_mask))
		return;
	for (int v = 0; v < WL_NR_VIOLATIONS; v++)
		names[v] = wl_violation_name((enum wl_violation)v);
	names[WL_NR_VIOLATIONS] = NULL;
	wl_usage_error("--stop-on: '%s' is not a list of any|%s", s,
		       join_names(list, sizeof(list), names));
}

void torture_bugs_string(const struct wl_bugs *b, char *buf, size_t n)
{
	struct wl_bugs bugs = *b;

	buf[0] = 0;
	for (size_t i = 0; bug_names[i]; i++)
		if (*bug_flag(&bugs, i))
			snprintf(buf + strlen(buf), n - strlen(buf), "%s%s",
				 buf[0] ? "," : "", bug_names[i]);
	if (!buf[0])
		snprintf(buf, n, "none");
}

/* The options that take a number. */
static bool parse_number(int opt, struct wl_torture_config *c)
{
	switch (opt) {
	case 'w':
		c->walkers = (unsigned int)wl_parse_u64("--walkers", optarg, 1,
							WL_NR_CPUS - 1);
		c->cpus = 0; /* the later of --walkers and --cpus wins */
		return true;
	case 'N':
		c->cpus = (unsigned int)wl_parse_u64("--cpus", optarg, 2,
						     WL_NR_CPUS);
		return true;
	case 'W':
		c->writers =
			(unsigned int)wl_parse_u64("--writers", optarg, 0, 8);
		return true;
	case 'm':
		c->mms = (unsigned int)wl_parse_u64("--mms", optarg, 1, 8);
		return true;
	case 'R':
		c->region_mb = wl_parse_u64("--region-mb", optarg, 2, 256);
		if (c->region_mb % 2)
			wl_usage_error("--region-mb: '%s' is not even", optarg);
		return true;
	case 'd':
		c->duration_ns = parse_seconds("--duration", optarg, 86400);
		return true;
	case 'o':
		c->ops = wl_parse_u64("--ops", optarg, 0, UINT64_MAX);
		return true;
	case 's':
		c->seed = wl_parse_u64("--seed", optarg, 0, UINT64_MAX);
		return true;
	case 'r':
		c->rate = wl_parse_u64("--rate", optarg, 0, 10000000);
		return true;
	case 'p':
		c->walk_max_pages = (unsigned int)wl_parse_u64(
			"--walk-pages", optarg, 1, MAX_WALK);
		return true;
	case 'H':
		c->hold_ns = wl_parse_u64("--hold-ns", optarg, 0, 100000000);
		return true;
	case 'I':
		c->inject_prob = (uint32_t)wl_parse_u64("--inject-prob", optarg,
							1, 65536);
		return true;
	case 'M':
		c->inject_max_ns =
			wl_parse_u64("--inject-max-ns", optarg, 0, 100000000);
		return true;
	case 'v':
		c->vcpu_preempt = (int32_t)wl_parse_u64("--vcpu-preempt",
							optarg, 0, 65536);
		return true;
	case 'k':
		c->vcpu_preempt_ns = (int64_t)wl_parse_u64(
			"--vcpu-preempt-ns", optarg, 0, 100000000);
		return true;
	case 'B':
		c->batch_fail = parse_probability("--batch-fail", optarg);
		return true;
	case 'Y':
		c->bystanders = (unsigned int)wl_parse_u64(
			"--bystanders", optarg, 0, WL_MAX_BYSTANDERS);
		return true;
	case 'T':
		c->stall_ns = wl_parse_u64("--stall-ms", optarg, 100, 600000) *
			      1000000ull;
		return true;
	}
	return false;
}

/* The options that take a choice, a list or nothing. */
static void parse_other(int opt, struct wl_torture_config *c)
{
	switch (opt) {
	case 'a':
		c->arch = (enum wl_arch)wl_parse_choice("--arch", optarg,
							wl_arch_names());
		break;
	case 'x':
		parse_mix(optarg, c);
		break;
	case 'f':
		c->foll = (enum wl_torture_foll)wl_parse_choice(
			"--foll", optarg, foll_names);
		break;
	case 'P':
		c->pt_reclaim = wl_parse_bool("--pt-reclaim", optarg);
		break;
	case 'F':
		c->fast_only = true;
		break;
	case 'c':
		c->check = wl_parse_bool("--check", optarg);
		break;
	case 'C':
		c->check_cost = true;
		break;
	case 'g':
		c->ring = wl_parse_bool("--ring", optarg);
		break;
	case 'i':
		c->inject = wl_parse_bool("--inject", optarg);
		break;
	case 'Q':
		c->inject_sb = wl_parse_bool("--inject-sb", optarg);
		break;
	case 'L':
		c->legacy_thp = true;
		break;
	case 'z':
		c->lazy_tlb = true;
		break;
	case 'K':
		c->spf = wl_parse_bool("--spf", optarg);
		break;
	case 'E':
		c->pae = true;
		break;
	case 'b':
		*bug_flag(&c->bugs, (size_t)wl_parse_choice("--bug", optarg,
							    bug_names)) = true;
		break;
	case '1':
		c->stop_mask = (1u << WL_NR_VIOLATIONS) - 1;
		break;
	case 'S':
		parse_stop_on(optarg, c);
		break;
	case 'O':
		wl_backend_opt(optarg);
		break;
	case 'q':
		c->quiet = true;
		break;
	case 'V':
		c->verbose = true;
		break;
	case 'h':
		print_usage(stdout);
		exit(0);
	}
}

void wl_torture_parse(int argc, char **argv, struct wl_torture_config *c)
{
	int opt;

	while ((opt = wl_getopt(argc, argv, "h", longopts, NULL)) != -1)
		if (!parse_number(opt, c))
			parse_other(opt, c);
}

static void torture_validate_cpus(struct wl_torture_config *c);

void torture_validate(struct wl_torture_config *c)
{
	unsigned int sum = 0;

	if (!c->duration_ns && !c->ops)
		wl_usage_error("--duration 0 needs --ops N (N > 0)");
	if (c->bugs.single_user_table_free && !c->lazy_tlb)
		wl_usage_error("--bug single-user-table-free needs --lazy-tlb "
			       "(GUP walkers are users of the mm)");
	if (c->bugs.flush_no_barrier && !c->inject_sb)
		wl_usage_error("--bug flush-no-barrier needs --inject-sb on");
	if (c->bugs.pae_sync_after_unlock && !c->pae)
		wl_usage_error("--bug pae-sync-after-unlock needs --pae");
	if (c->lazy_tlb && c->legacy_thp)
		wl_usage_error(
			"--lazy-tlb and --legacy-thp do not go together");
	if (c->bugs.spf_no_seq_check && !c->spf)
		wl_usage_error("--bug spf-no-seq-check needs --spf on");
	if (c->spf && (c->lazy_tlb || c->legacy_thp))
		wl_usage_error("--spf on goes with neither --lazy-tlb nor "
			       "--legacy-thp");
	if (c->bugs.legacy_split_no_ipi && !c->legacy_thp)
		wl_usage_error("--bug legacy-split-no-ipi needs --legacy-thp");
	if (c->legacy_thp) {
		if (c->mix[WL_OP_COLLAPSE])
			wl_usage_error("--legacy-thp: collapse is not modelled "
				       "(give --mix collapse=0)");
		if (c->mix[WL_OP_FORK] || c->mix[WL_OP_NUMA] ||
		    c->mix[WL_OP_RETRACT] || c->mix[WL_OP_UNSHARE])
			wl_usage_error(
				"--legacy-thp: fork, numa, retract and unshare "
				"are not modelled (give --mix fork=0,numa=0,"
				"retract=0,unshare=0)");
		c->foll = WL_T_FOLL_GET; /* FOLL_PIN came with v5.6 */
		c->fast_only = true;
	}
	for (int i = 0; i < WL_NR_OPS; i++)
		sum += c->mix[i];
	if (c->writers && !sum)
		wl_usage_error("--mix: every weight is 0 but --writers is %u",
			       c->writers);
	if (c->ops && !c->writers)
		wl_usage_error("--ops needs writers (--writers >= 1)");
	torture_validate_cpus(c);
}

unsigned int torture_other_cpus(const struct wl_torture_config *c)
{
	return c->bystanders; /* CPUs running another mm (bystander.h) */
}

/*
 * --cpus N counts every simulated CPU that runs at once; the setup and
 * teardown CPUs run alone, before and after them.
 */
static void torture_validate_cpus(struct wl_torture_config *c)
{
	unsigned int others = c->writers + torture_other_cpus(c);

	if (c->cpus) {
		if (c->cpus < others + 1)
			wl_usage_error("--cpus %u: needs at least %u (one "
				       "walker, %u other CPUs)",
				       c->cpus, others + 1, others);
		c->walkers = c->cpus - others;
	}
	if (c->walkers + others > WL_NR_CPUS)
		wl_usage_error("--walkers + --writers (+ other CPUs) must be "
			       "at most %d",
			       WL_NR_CPUS);
}
