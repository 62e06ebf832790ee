/* SPDX-License-Identifier: MIT */
/*
 * text.h - the plain-text tables' number formatter and line wrapper,
 * shared by the report (summary.txt) and the host calibration's table.
 */
#ifndef WALKLAB_TEXT_H
#define WALKLAB_TEXT_H

#include <stddef.h>
#include <stdio.h>

/*
 * v in at most 6 characters, 3 significant digits with an SI suffix past
 * 9999: 0.012, 3.45, 67.8, 1234, 12.3k, 456M; "-" for NaN or infinity.
 */
void wl_fmt_num(char *buf, size_t n, double v);

/*
 * "key" padded to 10 columns, then val wrapped at a space or after a comma
 * to `width` columns, continuation lines indented under it; bytes outside
 * printable ASCII print as '?'.
 */
void wl_put_wrapped(FILE *f, int width, const char *key, const char *val);

#endif /* WALKLAB_TEXT_H */
