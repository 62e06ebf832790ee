// SPDX-License-Identifier: MIT
/*
 * load.c - the report's input: results.csv (through wl_rows_load()),
 * provenance.txt, and the backend configurations the rows belong to.
 */
#include "report.h"
#include "report_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void *rp_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fputs("walklab: out of memory\n", stderr);
		exit(1);
	}
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(rp_xrealloc(NULL, n), s, n);
}

void rp_path(char *buf, const struct report *rp, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", rp->dir, name);
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

int rp_split(char *s, char **out, int max)
{
	int n = 0;

	while (n < max) {
		out[n++] = s;
		s = strchr(s, ',');
		if (!s)
			break;
		*s++ = 0;
	}
	return n;
}

/* Append key=val to a kv array of n entries (copies both). */
static void kv_add(struct kv **a, size_t *n, const char *key, const char *val)
{
	*a = rp_xrealloc(*a, (*n + 1) * sizeof(**a));
	(*a)[*n].key = xstrdup(key);
	(*a)[(*n)++].val = xstrdup(val);
}

static void kv_free(struct kv *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].key);
		free(a[i].val);
	}
	free(a);
}

/* The first row's provenance columns, for keys provenance.txt lacks. */
static void load_row_provenance(struct report *rp)
{
	char *buf, *f[MAX_COLS];
	int n;

	if (!rp->rows.nr)
		return;
	buf = xstrdup(rp->rows.line[0]);
	n = rp_split(buf, f, MAX_COLS);
	for (int i = rp->nr_core; i < n && i < rp->nr_cols; i++)
		if (f[i][0])
			kv_add(&rp->rowprov, &rp->nr_rowprov, rp->cols[i],
			       f[i]);
	free(buf);
}

static void load_provenance(struct report *rp)
{
	char path[PATH_MAX], *line = NULL, *eq;
	size_t cap = 0;
	FILE *f;

	rp_path(path, rp, "provenance.txt");
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr,
			"walklab: warning: %s: %s; provenance taken from the "
			"CSV columns\n",
			path, strerror(errno));
		return;
	}
	while (getline(&line, &cap, f) >= 0) {
		chomp(line);
		eq = strchr(line, '=');
		if (line[0] == '#' || !eq || eq == line)
			continue;
		*eq = 0;
		kv_add(&rp->prov, &rp->nr_prov, line, eq + 1);
	}
	free(line);
	fclose(f);
}

static int load_csv(struct report *rp)
{
	char path[PATH_MAX];

	rp_path(path, rp, "results.csv");
	if (wl_rows_load(&rp->rows, path, stderr)) {
		fprintf(stderr, "walklab: %s: %s\n", path, strerror(errno));
		rp->ret |= WL_REPORT_NOCSV;
		return -1;
	}
	if (rp->rows.bad)
		rp->ret |= WL_REPORT_BADROWS;
	rp->cfg = rp_xrealloc(NULL, rp->rows.nr * sizeof(*rp->cfg));
	for (size_t i = 0; i < rp->rows.nr; i++)
		rp->cfg[i] = -1;
	return 0;
}

static bool is_calib(const struct wl_row *r)
{
	return !strcmp(r->workload, "calib") || !strcmp(r->backend, "host");
}

/* Build options for display: "-" (none) shows as nothing. */
static const char *opts(const char *s)
{
	return strcmp(s, "-") ? s : "";
}

/* The configuration of r, added if new. */
static int cfg_of(struct report *rp, const struct wl_row *r)
{
	size_t c;

	for (c = 0; c < rp->nr_cfgs; c++)
		if (!strcmp(rp->cfgs[c].backend, r->backend) &&
		    !strcmp(rp->cfgs[c].build_options,
			    opts(r->build_options)) &&
		    !strcmp(rp->cfgs[c].arch, r->arch))
			return (int)c;
	rp->cfgs = rp_xrealloc(rp->cfgs, (c + 1) * sizeof(*rp->cfgs));
	memset(&rp->cfgs[c], 0, sizeof(rp->cfgs[c]));
	strcpy(rp->cfgs[c].backend, r->backend);
	strcpy(rp->cfgs[c].build_options, opts(r->build_options));
	strcpy(rp->cfgs[c].arch, r->arch);
	rp->nr_cfgs++;
	return (int)c;
}

/* Name the arch only where one backend ran under several. */
static void name_cfgs(struct report *rp)
{
	for (size_t c = 0; c < rp->nr_cfgs; c++) {
		struct cfg *g = &rp->cfgs[c];
		bool several = false;

		for (size_t d = 0; d < rp->nr_cfgs; d++)
			if (d != c && !strcmp(rp->cfgs[d].backend, g->backend))
				several = true;
		snprintf(g->name, sizeof(g->name), "%s%s%s", g->backend,
			 several && g->arch[0] ? "@" : "",
			 several ? g->arch : "");
	}
}

/* The configurations, "none" first, then in order of appearance. */
static void find_cfgs(struct report *rp)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < rp->rows.nr; i++) {
			const struct wl_row *r = &rp->rows.row[i];

			if (is_calib(r) || !strcmp(r->backend, "none") != !pass)
				continue;
			rp->cfg[i] = cfg_of(rp, r);
		}
	}
	name_cfgs(rp);
}

/* The column names of WL_CSV_COLUMNS and WL_CSV_PROVENANCE_COLUMNS. */
static void name_columns(struct report *rp)
{
	strcpy(rp->colbuf, WL_CSV_COLUMNS "," WL_CSV_PROVENANCE_COLUMNS);
	rp->nr_cols = rp_split(rp->colbuf, rp->cols, MAX_COLS);
	rp->nr_core = 1;
	for (const char *c = WL_CSV_COLUMNS; *c; c++)
		rp->nr_core += *c == ',';
}

struct report *rp_load(const char *dir)
{
	struct report *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return NULL;
	snprintf(rp->dir, sizeof(rp->dir), "%s", dir);
	for (size_t n = strlen(rp->dir); n > 1 && rp->dir[n - 1] == '/';)
		rp->dir[--n] = 0;
	name_columns(rp);
	if (load_csv(rp))
		return rp;
	load_provenance(rp);
	load_row_provenance(rp);
	find_cfgs(rp);
	return rp;
}

void rp_free(struct report *rp)
{
	kv_free(rp->prov, rp->nr_prov);
	kv_free(rp->rowprov, rp->nr_rowprov);
	wl_rows_free(&rp->rows);
	free(rp->cfg);
	free(rp->cfgs);
	free(rp);
}

/*
 * A provenance value: provenance.txt, else the first row's column (both
 * owned by the report, so a caller may hold several at once).
 */
const char *rp_prov_get(const struct report *rp, const char *key)
{
	for (size_t i = 0; i < rp->nr_prov; i++)
		if (!strcmp(rp->prov[i].key, key))
			return rp->prov[i].val;
	for (size_t i = 0; i < rp->nr_rowprov; i++)
		if (!strcmp(rp->rowprov[i].key, key))
			return rp->rowprov[i].val;
	return NULL;
}

const char *rp_or_unknown(const char *s)
{
	return s && *s ? s : "unknown";
}

/* "yes", "no", "in some rows" or "unknown", over the benchmark rows. */
const char *rp_tristate(const struct report *rp, bool pinned)
{
	size_t yes = 0, no = 0;

	for (size_t i = 0; i < rp->rows.nr; i++) {
		int v = pinned ? rp->rows.row[i].pinned
			       : rp->rows.row[i].oversubscribed;

		if (rp->cfg[i] < 0)
			continue;
		yes += v == 1;
		no += v == 0;
	}
	if (yes && no)
		return "in some rows";
	return yes ? "yes" : no ? "no" : "unknown";
}
