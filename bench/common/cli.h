/* SPDX-License-Identifier: MIT */
/*
 * cli.h - command-line helpers shared by walklab and walklab-<backend>.
 *
 * Bad input never crashes or hangs: every helper that rejects input prints
 * one line naming the valid choices and exits with status 2.
 */
#ifndef WALKLAB_CLI_H
#define WALKLAB_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#define WL_EXIT_USAGE 2

/* Print "walklab: <msg>" and exit(2). */
void wl_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* A whole decimal number in [min, max], or exit(2). */
uint64_t wl_parse_u64(const char *opt, const char *s, uint64_t min,
		      uint64_t max);
/* One of choices[] (NULL-terminated); returns its index, or exit(2). */
int wl_parse_choice(const char *opt, const char *s, const char *const *choices);
/* "on"/"off"/"1"/"0"/"yes"/"no". */
bool wl_parse_bool(const char *opt, const char *s);

/*
 * The one option-parsing style: getopt_long() over a longopts[] table
 * (NULL-terminated, every entry with a distinct non-zero .val), with
 * optional short options.  Returns the next option's .val, or -1 after
 * the last option.  An unknown option, a missing value or a stray
 * argument exits(2) with one line, "<cmd>: unknown option '-x'; valid:
 * --a --b ...", the list generated from longopts[].  Call it with
 * cmd = the command's name ("torture", "compare", ...) or NULL for
 * none; optind is reset
 * on the first call for a given argv.  A command that takes operands
 * starts shortopts with '-': each operand is then returned in order as
 * 1, with optarg pointing to it (no .val of longopts[] may be 1).
 */
int wl_getopt(int argc, char **argv, const char *shortopts,
	      const struct option *longopts, const char *cmd);

/* The directory holding the running executable (for sibling binaries). */
const char *wl_exe_dir(void);

#endif /* WALKLAB_CLI_H */
