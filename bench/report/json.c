// SPDX-License-Identifier: MIT
/*
 * json.c - results.json: {"provenance": {...}, "rows": [{col: val}, ...]},
 * the CSV's own columns (names from WL_CSV_COLUMNS and
 * WL_CSV_PROVENANCE_COLUMNS, not repeated here), numbers as JSON numbers
 * and n/a as null.
 */
#include "report.h"
#include "report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Columns that hold names, never numbers. */
static bool text_column(const char *col)
{
	static const char *const num[] = {
		"walk_pages", "cpus", "writer_rate", "allow_retry",
		"t_ms",	      "n",    "min",	     "median",
		"max",	      "p99",  "pinned",	     "oversubscribed",
		"host_pus",   NULL};

	for (int i = 0; num[i]; i++)
		if (!strcmp(col, num[i]))
			return false;
	return true;
}

static void json_val(FILE *f, const char *col, const char *v)
{
	char *end;
	double d;

	if (!*v) {
		fputs("null", f);
		return;
	}
	if (text_column(col)) {
		wl_json_str(f, v);
		return;
	}
	d = strtod(v, &end);
	if (*end)
		wl_json_str(f, v); /* not a number after all: keep the text */
	else if (isfinite(d))
		fprintf(f, "%.15g", d);
	else
		fputs("null", f);
}

static void json_pair(FILE *f, bool first, const char *key, const char *val)
{
	fputs(first ? "\n    " : ",\n    ", f);
	wl_json_str(f, key);
	fputs(": ", f);
	wl_json_str(f, val);
}

/* provenance.txt, else the provenance columns of the first row. */
static void json_provenance(FILE *f, const struct report *rp)
{
	bool first = true;

	fputs("{\n  \"provenance\": {", f);
	for (size_t i = 0; i < rp->nr_prov; i++) {
		json_pair(f, first, rp->prov[i].key, rp->prov[i].val);
		first = false;
	}
	if (rp->nr_prov)
		return;
	for (int i = rp->nr_core; i < rp->nr_cols; i++) {
		const char *v = rp_prov_get(rp, rp->cols[i]);

		if (!v)
			continue;
		json_pair(f, first, rp->cols[i], v);
		first = false;
	}
}

static void json_rows(FILE *f, const struct report *rp)
{
	char *buf = NULL, *fl[MAX_COLS];
	size_t cap = 0;

	fputs("\n  },\n  \"rows\": [", f);
	for (size_t i = 0; i < rp->rows.nr; i++) {
		size_t len = strlen(rp->rows.line[i]) + 1;
		int n;

		if (len > cap)
			buf = rp_xrealloc(buf, cap = len);
		memcpy(buf, rp->rows.line[i], len);
		n = rp_split(buf, fl, MAX_COLS);
		fputs(i ? ",\n    {" : "\n    {", f);
		for (int c = 0; c < n && c < rp->nr_cols; c++) {
			if (c >= rp->nr_core && !fl[c][0])
				continue; /* absent provenance column */
			fputs(c ? ", " : "", f);
			wl_json_str(f, rp->cols[c]);
			fputs(": ", f);
			json_val(f, rp->cols[c], fl[c]);
		}
		fputc('}', f);
	}
	fputs("\n  ]\n}\n", f);
	free(buf);
}

void rp_json(FILE *f, const struct report *rp)
{
	json_provenance(f, rp);
	json_rows(f, rp);
}
