// SPDX-License-Identifier: MIT
/*
 * results.c - see results.h.
 */
#include "results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void wl_row_init(struct wl_row *r, const char *workload, const char *metric,
		 const char *unit)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->workload, sizeof(r->workload), "%s", workload);
	snprintf(r->metric, sizeof(r->metric), "%s", metric);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->walk_pages = r->cpus = r->writer_rate = -1;
	r->allow_retry = r->t_ms = -1;
	r->p99 = NAN;
	r->pinned = r->oversubscribed = -1;
}

static void put_int(FILE *f, int64_t v)
{
	if (v >= 0)
		fprintf(f, "%lld", (long long)v);
	fputc(',', f);
}

static void put_num(FILE *f, double v, char sep)
{
	if (!isnan(v))
		fprintf(f, "%.6g", v);
	fputc(sep, f);
}

/* Strings never hold a comma or a quote: they come from our own names. */
static void put_str(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == ',' || *s == '"' || *s == '\n' ? ';' : *s, f);
	fputc(',', f);
}

void wl_row_print_csv(FILE *f, const struct wl_row *r)
{
	put_str(f, r->backend);
	put_str(f, r->build_options);
	put_str(f, r->arch);
	put_str(f, r->workload);
	put_int(f, r->walk_pages);
	put_str(f, r->mapping);
	put_str(f, r->foll);
	put_int(f, r->cpus);
	put_str(f, r->writer_op);
	put_int(f, r->writer_rate);
	put_int(f, r->allow_retry);
	put_int(f, r->t_ms);
	put_str(f, r->metric);
	put_str(f, r->unit);
	fprintf(f, "%llu,", (unsigned long long)r->n);
	put_num(f, r->min, ',');
	put_num(f, r->median, ',');
	put_num(f, r->max, ',');
	put_num(f, r->p99, ',');
	put_int(f, r->pinned);
	if (r->oversubscribed >= 0)
		fprintf(f, "%d", r->oversubscribed);
	fputc('\n', f);
}

/* Split the next field off *p (no quoting in our CSV). */
static char *field(char **p)
{
	char *s = *p, *c;

	if (!s)
		return NULL;
	c = strpbrk(s, ",\n\r");
	if (c && *c == ',') {
		*c = 0;
		*p = c + 1;
	} else {
		if (c)
			*c = 0;
		*p = NULL;
	}
	return s;
}

static int get_str(char **p, char *dst, size_t n)
{
	char *s = field(p);

	if (!s || strlen(s) >= n)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/*
 * The next field for a number: -1 when missing, 0 when empty (a value not
 * measured), 1 with *s at its text.
 */
static int number_field(char **p, char **s)
{
	*s = field(p);
	return !*s ? -1 : **s ? 1 : 0;
}

static int get_int(char **p, int64_t *v)
{
	char *s, *end;
	int f = number_field(p, &s);

	if (f <= 0) {
		*v = -1;
		return f;
	}
	*v = strtoll(s, &end, 10);
	return *end ? -1 : 0;
}

static int get_num(char **p, double *v)
{
	char *s, *end;
	int f = number_field(p, &s);

	if (f <= 0) {
		*v = NAN;
		return f;
	}
	*v = strtod(s, &end);
	return *end ? -1 : 0;
}

int wl_row_parse_csv(const char *line, struct wl_row *r)
{
	char buf[1024], *p = buf;
	int64_t n, pinned, over;

	if (strlen(line) >= sizeof(buf))
		return -1;
	strcpy(buf, line);
	memset(r, 0, sizeof(*r));
	if (get_str(&p, r->backend, sizeof(r->backend)) ||
	    get_str(&p, r->build_options, sizeof(r->build_options)) ||
	    get_str(&p, r->arch, sizeof(r->arch)) ||
	    get_str(&p, r->workload, sizeof(r->workload)) ||
	    get_int(&p, &r->walk_pages) ||
	    get_str(&p, r->mapping, sizeof(r->mapping)) ||
	    get_str(&p, r->foll, sizeof(r->foll)) || get_int(&p, &r->cpus) ||
	    get_str(&p, r->writer_op, sizeof(r->writer_op)) ||
	    get_int(&p, &r->writer_rate) || get_int(&p, &r->allow_retry) ||
	    get_int(&p, &r->t_ms) ||
	    get_str(&p, r->metric, sizeof(r->metric)) ||
	    get_str(&p, r->unit, sizeof(r->unit)) || get_int(&p, &n) ||
	    get_num(&p, &r->min) || get_num(&p, &r->median) ||
	    get_num(&p, &r->max) || get_num(&p, &r->p99) ||
	    get_int(&p, &pinned))
		return -1;
	/* The last core column; provenance columns may follow. */
	if (get_int(&p, &over))
		return -1;
	if (n < 0 || !r->backend[0] || !r->metric[0])
		return -1;
	r->n = (uint64_t)n;
	r->pinned = (int)pinned;
	r->oversubscribed = (int)over;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void wl_stats3(double *a, unsigned int n, double out[3])
{
	if (!n) {
		out[0] = out[1] = out[2] = 0;
		return;
	}
	qsort(a, n, sizeof(*a), cmp_double);
	out[0] = a[0];
	out[1] = n & 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
	out[2] = a[n - 1];
}

void wl_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fputs("walklab: out of memory\n", stderr);
		exit(1);
	}
	return q;
}

/* The number of core columns: commas in WL_CSV_COLUMNS, plus one. */
static int nr_core_columns(void)
{
	int n = 1;

	for (const char *c = WL_CSV_COLUMNS; *c; c++)
		n += *c == ',';
	return n;
}

/*
 * One CSV line: the core columns go to wl_row_parse_csv(), whatever the
 * length of the provenance columns that may trail them.
 */
static int parse_core(const char *line, struct wl_row *r)
{
	char core[1024];
	const char *c = line;
	int commas = 0, nr_core = nr_core_columns();
	size_t n;

	for (; *c; c++)
		if (*c == ',' && ++commas == nr_core)
			break;
	n = (size_t)(c - line);
	if (n >= sizeof(core))
		return -1;
	memcpy(core, line, n);
	core[n] = 0;
	return wl_row_parse_csv(core, r);
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

static void rows_add(struct wl_rows *rs, const struct wl_row *r,
		     const char *line)
{
	size_t len = strlen(line) + 1;

	rs->row = xrealloc(rs->row, (rs->nr + 1) * sizeof(*rs->row));
	rs->line = xrealloc(rs->line, (rs->nr + 1) * sizeof(*rs->line));
	rs->row[rs->nr] = *r;
	rs->line[rs->nr++] = memcpy(xrealloc(NULL, len), line, len);
}

#define MAX_BAD 5 /* malformed lines named on the log */

static void rows_bad(struct wl_rows *rs, const char *path, unsigned long lineno,
		     FILE *log)
{
	if (++rs->bad <= MAX_BAD && log)
		fprintf(log, "walklab: %s:%lu: malformed row, skipped\n", path,
			lineno);
}

int wl_rows_load(struct wl_rows *rs, const char *path, FILE *log)
{
	char *line = NULL;
	unsigned long lineno = 0;
	size_t cap = 0;
	struct wl_row r;
	FILE *f = fopen(path, "r");

	memset(rs, 0, sizeof(*rs));
	if (!f)
		return -1;
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		chomp(line);
		if (!line[0] || line[0] == '#' || !strncmp(line, "backend,", 8))
			continue;
		if (parse_core(line, &r))
			rows_bad(rs, path, lineno, log);
		else
			rows_add(rs, &r, line);
	}
	free(line);
	fclose(f);
	if (rs->bad > MAX_BAD && log)
		fprintf(log, "walklab: %s: %lu malformed rows skipped in all\n",
			path, rs->bad);
	return 0;
}

void wl_rows_free(struct wl_rows *rs)
{
	for (size_t i = 0; i < rs->nr; i++)
		free(rs->line[i]);
	free(rs->line);
	free(rs->row);
	memset(rs, 0, sizeof(*rs));
}

static bool str_match(const char *want, const char *have)
{
	return !want || !strcmp(want, have);
}

static bool num_match(int64_t want, int64_t have)
{
	return want == WL_ANY || want == have;
}

long wl_rows_find(const struct wl_rows *rs, size_t from,
		  const struct wl_match *m)
{
	for (size_t i = from; i < rs->nr; i++) {
		const struct wl_row *r = &rs->row[i];

		if (r->t_ms < 0 && str_match(m->backend, r->backend) &&
		    str_match(m->workload, r->workload) &&
		    str_match(m->metric, r->metric) &&
		    str_match(m->mapping, r->mapping) &&
		    str_match(m->foll, r->foll) &&
		    num_match(m->walk_pages, r->walk_pages) &&
		    num_match(m->cpus, r->cpus))
			return (long)i;
	}
	return -1;
}

double wl_rows_median(const struct wl_rows *rs, const struct wl_match *m)
{
	long i = wl_rows_find(rs, 0, m);

	return i >= 0 && rs->row[i].n ? rs->row[i].median : NAN;
}
