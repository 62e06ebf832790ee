// SPDX-License-Identifier: MIT
/*
 * calib_output.c - the calibration's table, and its figures as tidy rows
 * of results.h: bare (--rows), as a CSV with its header and provenance
 * (--csv), or as JSON (--json).  See calib.h.
 */
#include "calib.h"
#include "results.h"
#include "text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* The table                                                              */

#define TABLE_WIDTH 80
#define COL_WHAT    28 /* + 3 x 9 + 2 x 8 + "  invalid" = 80 columns */

/* A number of the table: wl_fmt_num(), with an "x" for a ratio. */
static void fmt_cell(char *buf, size_t len, double v, bool ratio)
{
	wl_fmt_num(buf, len, v);
	if (ratio)
		snprintf(buf + strlen(buf), len - strlen(buf), "x");
}

static void print_header(FILE *f)
{
	fprintf(f, "%-*s%9s%9s%9s%8s%8s  %s\n", COL_WHAT, "what (ns/op)", "min",
		"median", "max", "/page", "calls", "status");
}

static const char *const status_name[] = {
	[WL_CALIB_OK] = "ok",
	[WL_CALIB_UNAVAILABLE] = "unavailable",
	[WL_CALIB_INVALID] = "invalid",
};

static void print_entry(FILE *f, const struct wl_calib_entry *e)
{
	char what[80], mn[24], md[24], mx[24], pp[24] = "", it[24] = "";
	bool ratio = !strcmp(e->unit, "x");

	snprintf(what, sizeof(what), "%s %s", e->name, e->variant);
	if (e->status == WL_CALIB_UNAVAILABLE ||
	    (e->status == WL_CALIB_INVALID && !e->repeats)) {
		/* 80 columns: what, then as much of the reason as fits */
		fprintf(f, "%-*.*s  %s: %.*s\n", COL_WHAT, COL_WHAT, what,
			status_name[e->status],
			TABLE_WIDTH - COL_WHAT - 4 -
				(int)strlen(status_name[e->status]),
			e->reason);
		return;
	}
	fmt_cell(mn, sizeof(mn), e->min, ratio);
	fmt_cell(md, sizeof(md), e->median, ratio);
	fmt_cell(mx, sizeof(mx), e->max, ratio);
	if (e->pages)
		fmt_cell(pp, sizeof(pp), e->median / e->pages, false);
	if (e->iters)
		fmt_cell(it, sizeof(it), (double)e->iters, false);
	fprintf(f, "%-*.*s%9s%9s%9s%8s%8s  %s\n", COL_WHAT, COL_WHAT, what, mn,
		md, mx, pp, it, status_name[e->status]);
}

/* Why each measured row is invalid, below the table. */
static void print_invalid(FILE *f, const struct wl_calib_report *r)
{
	for (int i = 0; i < WL_CALIB_NR; i++) {
		const struct wl_calib_entry *e = &r->e[i];
		char what[80];

		if (e->status != WL_CALIB_INVALID || !e->repeats)
			continue;
		snprintf(what, sizeof(what), "invalid: %s %s:", e->name,
			 e->variant);
		wl_put_wrapped(f, TABLE_WIDTH, what, e->reason);
	}
}

void wl_calib_print_table(FILE *f, const struct wl_calib_report *r)
{
	const struct wl_calib_machine *m = &r->machine;
	char compiler[sizeof(m->compiler) + sizeof(m->liburcu) + 16];

	fprintf(f,
		"calibration: %u repetitions of ~%.0f ms each, %.1f s in "
		"all\n",
		r->repeats, (double)r->rep_ns / 1e6, r->total_s);
	snprintf(compiler, sizeof(compiler), "%s; liburcu %s", m->compiler,
		 m->liburcu);
	wl_put_wrapped(f, TABLE_WIDTH, "cpu:", m->cpu_model);
	wl_put_wrapped(f, TABLE_WIDTH, "kernel:", m->kernel);
	wl_put_wrapped(f, TABLE_WIDTH, "machine:", m->machine);
	wl_put_wrapped(f, TABLE_WIDTH, "compiler:", compiler);
	print_header(f);
	for (int i = 0; i < WL_CALIB_NR; i++)
		print_entry(f, &r->e[i]);
	print_invalid(f, r);
	fprintf(f,
		"calls = operations per repetition; /page = median / pages;\n"
		"gup_fast_page = (t256 - t16) / 240 per repetition;\n"
		"membarrier_ipis = function-call interrupts on the target "
		"CPUs\n"
		"  per call and target (others=0: the background), invalid "
		"below %.1f;\n"
		"*_running, *_offcpu: fractions; emulated_ipi_acked: acks per "
		"call;\n"
		"ratio = median / median of the rows above (min / max, max / "
		"min);\n"
		"IPI probes' threads at %s%s\n",
		WL_CALIB_MIN_IPIS, r->rt ? "SCHED_FIFO 1" : "nice -20",
		r->ipi_boosted ? "" : ": refused, at their default priority");
	if (r->collapse_note[0])
		wl_put_wrapped(f, TABLE_WIDTH, "collapse:", r->collapse_note);
}

/* ---------------------------------------------------------------------- */
/* Rows                                                                   */

/*
 * The row of figure e (which has a name): workload "calib", backend and
 * arch "host", metric "name:variant" (no spaces or commas); a figure the
 * host forbids has n = 0, no numbers, and its reason in build_options;
 * an invalid one "invalid: <reason>" there (numbers kept, none for a
 * ratio built on an invalid figure).
 */
static void calib_row(const struct wl_calib_entry *e, struct wl_row *row)
{
	char metric[64];

	snprintf(metric, sizeof(metric), "%s:%s", e->name, e->variant);
	for (char *c = metric; *c; c++)
		if (*c == ' ' || *c == ',')
			*c = '_';
	wl_row_init(row, "calib", metric, e->unit);
	snprintf(row->backend, sizeof(row->backend), "host");
	snprintf(row->arch, sizeof(row->arch), "host");
	if (e->pages)
		row->walk_pages = e->pages;
	if (e->status == WL_CALIB_UNAVAILABLE || !e->repeats) {
		snprintf(row->build_options, sizeof(row->build_options),
			 "%s: %.80s",
			 e->status == WL_CALIB_INVALID ? "invalid"
						       : "unavailable",
			 e->reason);
		row->n = 0;
		row->min = row->median = row->max = NAN;
		return;
	}
	if (e->status == WL_CALIB_INVALID)
		snprintf(row->build_options, sizeof(row->build_options),
			 "invalid: %.84s", e->reason);
	else
		snprintf(row->build_options, sizeof(row->build_options), "-");
	row->n = e->repeats;
	row->min = e->min;
	row->median = e->median;
	row->max = e->max;
}

int wl_calib_write_rows(FILE *f, const struct wl_calib_report *r)
{
	for (int i = 0; i < WL_CALIB_NR; i++) {
		struct wl_row row;

		if (!r->e[i].name)
			continue;
		calib_row(&r->e[i], &row);
		wl_row_print_csv(f, &row);
	}
	return fflush(f) || ferror(f) ? -1 : 0;
}

/* Figure i's row as its CSV line, without the newline; "" if none. */
static void row_line(const struct wl_calib_report *r, int i, char *buf,
		     size_t len)
{
	struct wl_row row;
	FILE *m;

	buf[0] = 0;
	if (!r->e[i].name || !(m = fmemopen(buf, len, "w")))
		return;
	calib_row(&r->e[i], &row);
	wl_row_print_csv(m, &row);
	fclose(m);
	buf[strcspn(buf, "\n")] = 0;
}

/* ---------------------------------------------------------------------- */
/* CSV                                                                    */

/* A provenance field, with results.h's rule: no comma, quote or newline. */
static void put_field(FILE *f, const char *s)
{
	fputc(',', f);
	for (; *s; s++)
		fputc(*s == ',' || *s == '"' || *s == '\n' ? ';' : *s, f);
}

int wl_calib_write_csv(FILE *f, const struct wl_calib_report *r)
{
	const struct wl_calib_machine *m = &r->machine;
	char line[1024];

	fprintf(f, "%s,%s\n", WL_CSV_COLUMNS, WL_CALIB_CSV_PROVENANCE);
	for (int i = 0; i < WL_CALIB_NR; i++) {
		row_line(r, i, line, sizeof(line));
		if (!line[0])
			continue;
		fputs(line, f);
		put_field(f, m->cpu_model);
		put_field(f, m->kernel);
		put_field(f, m->machine);
		put_field(f, m->compiler);
		put_field(f, m->liburcu);
		fputc('\n', f);
	}
	return fflush(f) || ferror(f) ? -1 : 0;
}

/* ---------------------------------------------------------------------- */
/* JSON                                                                   */

/* A CSV field as a JSON value: null if empty, a number if one, else text. */
static void json_val(FILE *f, const char *v)
{
	char *end;
	double d;

	if (!*v) {
		fputs("null", f);
		return;
	}
	d = strtod(v, &end);
	if (!*end && isfinite(d))
		fputs(v, f);
	else
		wl_json_str(f, v);
}

/* One row as an object keyed by the CSV's column names. */
static void json_row(FILE *f, char *line)
{
	char cols[] = WL_CSV_COLUMNS;
	char *ks = NULL, *key = strtok_r(cols, ",", &ks);
	char *v = line;

	fputc('{', f);
	for (bool first = true; key && v; first = false) {
		char *c = strchr(v, ',');

		if (c)
			*c = 0;
		fputs(first ? "" : ", ", f);
		wl_json_str(f, key);
		fputs(": ", f);
		json_val(f, v);
		v = c ? c + 1 : NULL;
		key = strtok_r(NULL, ",", &ks);
	}
	fputc('}', f);
}

static void json_machine(FILE *f, const struct wl_calib_machine *m)
{
	fputs("{\"cpu_model\": ", f);
	wl_json_str(f, m->cpu_model);
	fputs(", \"kernel\": ", f);
	wl_json_str(f, m->kernel);
	fputs(", \"machine\": ", f);
	wl_json_str(f, m->machine);
	fputs(", \"compiler\": ", f);
	wl_json_str(f, m->compiler);
	fputs(", \"liburcu\": ", f);
	wl_json_str(f, m->liburcu);
	fputc('}', f);
}

int wl_calib_write_json(FILE *f, const struct wl_calib_report *r)
{
	char line[1024];
	bool first = true;

	fputs("{\n  \"machine\": ", f);
	json_machine(f, &r->machine);
	fprintf(f,
		",\n  \"repeats\": %u, \"rep_ns\": %llu, \"total_s\": "
		"%.3f,\n  \"rows\": [",
		r->repeats, (unsigned long long)r->rep_ns, r->total_s);
	for (int i = 0; i < WL_CALIB_NR; i++) {
		row_line(r, i, line, sizeof(line));
		if (!line[0])
			continue;
		fputs(first ? "\n    " : ",\n    ", f);
		json_row(f, line);
		first = false;
	}
	fputs("\n  ]\n}\n", f);
	return fflush(f) || ferror(f) ? -1 : 0;
}
