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

int64_t wl_parse_i64(const char *opt, const char *s, int64_t min, int64_t max)
{
	char *end;
	long long v;

	errno = 0;
	if (!s || !*s)
		goto bad;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	return v;
bad:
	wl_usage_error("%s: '%s' is not a whole number in [%lld, %lld]", opt,
		       s ? s : "", (long long)min, (long long)max);
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
