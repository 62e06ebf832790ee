// SPDX-License-Identifier: MIT
/*
 * text.c - number formatting and line wrapping for the plain-text tables
 * (summary.txt, the calibration table): see text.h.
 */
#include "text.h"

#include <math.h>
#include <string.h>

/* At most 6 characters: 0.012, 3.45, 67.8, 1234, 12.3k, 456M. */
void wl_fmt_num(char *buf, size_t n, double v)
{
	static const char sfx[] = "kMGTP";
	double a = fabs(v);
	int s = -1;

	if (!isfinite(v)) {
		snprintf(buf, n, "-");
		return;
	}
	if (a == 0) {
		snprintf(buf, n, "0");
		return;
	}
	if (a < 0.001) {
		snprintf(buf, n, "%.0e", v);
		return;
	}
	while (a >= 9999.5 && s < 4) {
		a /= 1000;
		v /= 1000;
		s++;
	}
	if (a < 0.1)
		snprintf(buf, n, "%.3f", v);
	else if (a < 9.995)
		snprintf(buf, n, "%.2f", v);
	else if (a < 99.95)
		snprintf(buf, n, "%.1f", v);
	else
		snprintf(buf, n, "%.0f", v);
	if (s >= 0) {
		size_t l = strlen(buf);

		/* 9999.5 rounds up to 10k: drop decimals where they crowd */
		if (a >= 9.995 && strchr(buf, '.') && l > 4)
			snprintf(buf, n, "%.0f", v);
		snprintf(buf + strlen(buf), n - strlen(buf), "%c", sfx[s]);
	}
}

void wl_put_wrapped(FILE *f, int width, const char *key, const char *val)
{
	const int indent = 10;
	char clean[2048];
	const char *s = clean;
	size_t i;

	for (i = 0; val[i] && i < sizeof(clean) - 1; i++)
		clean[i] = val[i] >= 0x20 && val[i] < 0x7f ? val[i] : '?';
	clean[i] = 0;
	fprintf(f, "%-*s", indent, key);
	while (strlen(s) > (size_t)(width - indent)) {
		int cut = width - indent, len;

		/* at a space, or after a comma */
		while (cut > 20 && s[cut] != ' ' && s[cut - 1] != ',')
			cut--;
		if (cut == 20)
			cut = width - indent;
		/* no trailing blank: a cut between two spaces keeps one */
		for (len = cut; len > 0 && s[len - 1] == ' ';)
			len--;
		fprintf(f, "%.*s\n%*s", len, s, indent, "");
		s += cut;
		while (*s == ' ')
			s++;
	}
	fprintf(f, "%s\n", s);
}
