// SPDX-License-Identifier: MIT
/*
 * gnuplot_panels.c - a plot of many configurations as small multiples:
 * one panel per backend family (none, ipi, rcu, atomic_readers,
 * lockless_walk_helpers: the configuration name up to its first '-'),
 * its variants in their own colours, and today's kernel
 * (lockless_walk_helpers-today) drawn in every panel as the black
 * reference line, so that each panel reads "this family against today".
 * The panels share their axes' ranges.  Thirteen lines in one panel could
 * not be told apart in a mail attachment; three to five per panel can.
 */
#include "plot.h"

#include <string.h>

#define MAX_FAMILIES 8
#define REF_NAME     "lockless_walk_helpers-today"

static const char *const variant_colours[] = {"#0072b2", "#d55e00", "#009e73",
					      "#cc79a7", "#e69f00", "#56b4e9"};
#define NR_VC (sizeof(variant_colours) / sizeof(variant_colours[0]))

/* The family of configuration cfg: its name up to '-' or '@'. */
static size_t family_len(const struct report *rp, int cfg)
{
	return strcspn(rp->cfgs[cfg].name, "-@");
}

static bool same_family(const struct report *rp, int a, int b)
{
	size_t n = family_len(rp, a);

	return n == family_len(rp, b) &&
	       !strncmp(rp->cfgs[a].name, rp->cfgs[b].name, n);
}

static bool is_ref(const struct report *rp, int cfg)
{
	return !strncmp(rp->cfgs[cfg].name, REF_NAME, strlen(REF_NAME));
}

/* The families, as the first series of each; how many. */
static size_t families(const struct report *rp, const struct plot *pl,
		       size_t *first)
{
	size_t n = 0;

	for (size_t k = 0; k < pl->nr; k++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (same_family(rp, pl->s[first[j]].cfg, pl->s[k].cfg))
				break;
		if (j == n && n < MAX_FAMILIES)
			first[n++] = k;
	}
	return n;
}

bool rp_panels_wanted(const struct report *rp, const struct plot *pl)
{
	size_t first[MAX_FAMILIES];

	return pl->nr > 6 && families(rp, pl, first) > 1;
}

/* One series (and its p99) with the given colour and width. */
static void panel_line(FILE *f, const struct plot *pl, size_t k,
		       const char *colour, const char *lw, bool *first,
		       const char *title)
{
	const struct series *s = &pl->s[k];
	enum style st = pl->def->style;
	const char *with = st == ST_RANGE		? "yerrorlines"
			   : st == ST_LINE && s->nr > 1 ? "lines"
							: "linespoints";

	for (int p99 = 0; p99 <= (st == ST_P50P99); p99++) {
		fprintf(f,
			"%s 'data/%s.dat' index %zu using 6:%d%s with %s lc "
			"rgb '%s' lw %s dt %d",
			*first ? "" : ", \\\n   ", pl->def->name, k,
			p99 ? 5 : 2, st == ST_RANGE ? ":3:4" : "", with, colour,
			p99 ? "1.2" : lw, p99 ? 2 : 1);
		if (strcmp(with, "lines"))
			fputs(" pt 7 ps 0.8", f);
		if (p99)
			fputs(" notitle", f);
		else
			fprintf(f, " title '%s'", title);
		*first = false;
	}
}

/* Panel of family fam: its series, then the reference. */
static void panel(FILE *f, const struct report *rp, const struct plot *pl,
		  int fam_cfg)
{
	size_t n = family_len(rp, fam_cfg), v = 0;
	bool first = true;

	fprintf(f, "set title '%.*s: %s'\nplot", (int)n, rp->cfgs[fam_cfg].name,
		pl->def->xlabel);
	for (size_t k = 0; k < pl->nr; k++) {
		const struct series *s = &pl->s[k];
		bool ref = is_ref(rp, s->cfg);
		char title[300];

		if (!same_family(rp, s->cfg, fam_cfg) && !ref)
			continue;
		snprintf(title, sizeof(title), "%s",
			 ref ? "today's kernel (lockless_walk_helpers-today)"
			     : s->title);
		for (char *c = title; *c; c++)
			if (*c == '\'')
				*c = '`';
		panel_line(f, pl, k,
			   ref ? "#000000" : variant_colours[v % NR_VC],
			   ref ? "3" : "2", &first, title);
		v += !ref;
	}
	fputc('\n', f);
}

int rp_panels_height(const struct report *rp, const struct plot *pl)
{
	size_t first[MAX_FAMILIES], nf = families(rp, pl, first);

	return nf > 3 ? 900 : 560;
}

void rp_write_panels(FILE *f, const struct report *rp, const struct plot *pl)
{
	size_t first[MAX_FAMILIES], nf = families(rp, pl, first);
	size_t cols = nf <= 3 ? nf : 3, rows = (nf + cols - 1) / cols;

	fprintf(f,
		"set key inside top left Left reverse box opaque samplen 2 "
		"font ',8'\n"
		"unset xlabel\n"
		"set label 4 at screen 0.01, 0.09 left\n"
		"set multiplot layout %zu,%zu margins 0.06,0.98,%.2f,%.2f "
		"spacing 0.06,%.2f title '%s (one panel per backend family; "
		"black: today''s kernel)'\n",
		rows, cols, rows > 1 ? 0.12 : 0.2, rows > 1 ? 0.93 : 0.88,
		rows > 1 ? 0.09 : 0.1, pl->def->title);
	for (size_t i = 0; i < nf; i++) {
		panel(f, rp, pl, pl->s[first[i]].cfg);
		if (!i)
			fputs("unset label 1\nunset label 2\nunset label 4\n",
			      f);
	}
	fprintf(f, "unset multiplot\n");
}
