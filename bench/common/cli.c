// SPDX-License-Identifier: MIT
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void wl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("walklab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(WL_EXIT_USAGE);
}

uint64_t wl_parse_u64(const char *opt, const char *s, uint64_t min,
		      uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s || !*s || *s == '-' || *s == '+')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	return v;
bad:
	wl_usage_error("%s: '%s' is not a whole number in [%llu, %llu]", opt,
		       s ? s : "", (unsigned long long)min,
		       (unsigned long long)max);
}

int wl_parse_choice(const char *opt, const char *s, const char *const *choices)
{
	char list[512] = "";

	for (int i = 0; choices[i]; i++) {
		if (s && !strcmp(s, choices[i]))
			return i;
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? "|" : "", choices[i]);
	}
	wl_usage_error("%s: unknown value '%s'; valid: %s", opt, s ? s : "",
		       list);
}

bool wl_parse_bool(const char *opt, const char *s)
{
	static const char *const v[] = {"off", "on",  "0", "1",
					"no",  "yes", NULL};

	return wl_parse_choice(opt, s, v) & 1;
}

/* Whether short option c has a long twin (the same .val) in longopts[]. */
static bool has_long_twin(const struct option *longopts, int c)
{
	for (int i = 0; longopts[i].name; i++)
		if (longopts[i].val == c)
			return true;
	return false;
}

/*
 * "-m -n --a --b": the short options of shortopts that have no long twin,
 * then every long option.
 */
static const char *opt_list(const char *shortopts,
			    const struct option *longopts)
{
	static char list[1024];
	size_t n = 0;

	list[0] = 0;
	for (const char *p = shortopts; p && *p && n < sizeof(list); p++) {
		if (*p == ':' || *p == '-' || has_long_twin(longopts, *p))
			continue;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s-%c",
				      n ? " " : "", *p);
	}
	for (int i = 0; longopts[i].name && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s--%s",
				      n ? " " : "", longopts[i].name);
	return list;
}

int wl_getopt(int argc, char **argv, const char *shortopts,
	      const struct option *longopts, const char *cmd)
{
	static char **last_argv;
	char spec[128];
	int opt;

	if (argv != last_argv) {
		last_argv = argv;
		optind = 0; /* glibc: 0 also resets its scan state and mode */
	}
	opterr = 0;
	/*
	 * ':' first (after a '-' that returns operands as 1): a missing value
	 * is ':', an unknown option '?'.
	 */
	if (shortopts && shortopts[0] == '-')
		snprintf(spec, sizeof(spec), "-:%s", shortopts + 1);
	else
		snprintf(spec, sizeof(spec), ":%s", shortopts ? shortopts : "");
	opt = getopt_long(argc, argv, spec, longopts, NULL);
	switch (opt) {
	case -1:
		last_argv = NULL;
		if (optind < argc)
			wl_usage_error(
				"%s%sunexpected argument '%s' (see --help)",
				cmd ? cmd : "", cmd ? ": " : "", argv[optind]);
		return -1;
	case ':':
		wl_usage_error("%s%soption %s needs a value (see --help)",
			       cmd ? cmd : "", cmd ? ": " : "",
			       argv[optind - 1]);
	case '?':
		wl_usage_error("%s%sunknown option '%s'; valid: %s",
			       cmd ? cmd : "", cmd ? ": " : "",
			       argv[optind - 1], opt_list(shortopts, longopts));
	default:
		return opt;
	}
}

const char *wl_exe_dir(void)
{
	static char dir[PATH_MAX];
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return ".";
	buf[n] = 0;
	snprintf(dir, sizeof(dir), "%s", dirname(buf));
	return dir;
}
