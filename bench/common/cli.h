/* SPDX-License-Identifier: MIT */
/*
 * cli.h - command-line helpers shared by walklab and walklab-<backend>.
 *
 * Bad input never crashes or hangs: every helper that rejects input prints
 * one line naming the valid choices and exits with status 2.
 */
#ifndef WALKLAB_CLI_H
#define WALKLAB_CLI_H

#include <stdbool.h>
#include <stdint.h>

#define WL_EXIT_USAGE 2

/* Print "walklab: <msg>" and exit(2). */
void wl_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* A whole decimal number in [min, max], or exit(2). */
uint64_t wl_parse_u64(const char *opt, const char *s, uint64_t min,
		      uint64_t max);
int64_t wl_parse_i64(const char *opt, const char *s, int64_t min, int64_t max);
/* One of choices[] (NULL-terminated); returns its index, or exit(2). */
int wl_parse_choice(const char *opt, const char *s, const char *const *choices);
/* "on"/"off"/"1"/"0"/"yes"/"no". */
bool wl_parse_bool(const char *opt, const char *s);

/* The directory holding the running executable (for sibling binaries). */
const char *wl_exe_dir(void);

#endif /* WALKLAB_CLI_H */
