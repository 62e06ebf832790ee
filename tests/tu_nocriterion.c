// SPDX-License-Identifier: MIT
/*
 * tu_nocriterion.c - the runner for tu_nocriterion.h: each test in a forked
 * child, one line per test, exit 1 if any failed, 77 (ctest's skip) if
 * none failed and one skipped itself.  Arguments are accepted and ignored
 * but for --filter SUITE/NAME (exact; without a '/', a substring of the
 * name) and --list (the tree Criterion prints, for discover_tests.cmake).
 */
#include "tu_nocriterion.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS	256
#define DEFAULT_TIMEOUT 300
#define EXIT_SKIP	77

static struct {
	const char *suite, *name;
	void (*fn)(void);
	const struct tu_suite *cfg;
} tests[MAX_TESTS];
static int nr_tests;
static bool expect_failed; /* in the child */
static int nr_skipped;	   /* in the runner */

void tu_register(const char *suite, const char *name, void (*fn)(void),
		 const struct tu_suite *cfg)
{
	if (nr_tests == MAX_TESTS) {
		fprintf(stderr, "tu_nocriterion: more than %d tests\n",
			MAX_TESTS);
		abort();
	}
	tests[nr_tests].suite = suite;
	tests[nr_tests].name = name;
	tests[nr_tests].fn = fn;
	tests[nr_tests].cfg = cfg;
	nr_tests++;
}

void tu_fail(bool fatal, const char *file, int line, const char *expr,
	     const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: %s failed: %s", file, line,
		fatal ? "assertion" : "expectation", expr);
	if (fmt[0]) {
		fputs(": ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	if (fatal)
		_exit(1); /* threads of the test die with the process */
	expect_failed = true;
}

void tu_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("skipped: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(EXIT_SKIP);
}

static int run_one(int i)
{
	const struct tu_suite *cfg = tests[i].cfg;
	unsigned int timeout =
		cfg->timeout > 0 ? (unsigned int)cfg->timeout : DEFAULT_TIMEOUT;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		alarm(timeout);
		if (cfg->init)
			cfg->init();
		tests[i].fn();
		if (cfg->fini)
			cfg->fini();
		fflush(NULL);
		_exit(expect_failed ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP) {
		printf("[SKIP] %s::%s\n", tests[i].suite, tests[i].name);
		nr_skipped++;
		return 0;
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		printf("[PASS] %s::%s\n", tests[i].suite, tests[i].name);
		return 0;
	}
	if (WIFSIGNALED(status))
		printf("[FAIL] %s::%s: %s\n", tests[i].suite, tests[i].name,
		       WTERMSIG(status) == SIGALRM
			       ? "timed out"
			       : strsignal(WTERMSIG(status)));
	else
		printf("[FAIL] %s::%s: exit %d\n", tests[i].suite,
		       tests[i].name, WEXITSTATUS(status));
	return 1;
}

/* --filter: "suite/name" exactly, or a substring of the name. */
static bool selected(int i, const char *filter)
{
	size_t n;

	if (!filter)
		return true;
	if (!strchr(filter, '/'))
		return strstr(tests[i].name, filter);
	n = strlen(tests[i].suite);
	return !strncmp(filter, tests[i].suite, n) && filter[n] == '/' &&
	       !strcmp(filter + n + 1, tests[i].name);
}

/* Criterion's --list: "suite: N tests", then one "|-- name" per test. */
static void list_tests(void)
{
	for (int i = 0; i < nr_tests; i++) {
		int n = 0;

		if (i && !strcmp(tests[i].suite, tests[i - 1].suite))
			continue;
		for (int j = i; j < nr_tests; j++)
			n += !strcmp(tests[j].suite, tests[i].suite);
		printf("%s: %d test%s\n", tests[i].suite, n, n == 1 ? "" : "s");
		for (int j = i; j < nr_tests; j++)
			if (!strcmp(tests[j].suite, tests[i].suite))
				printf("|-- %s\n", tests[j].name);
	}
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int failed = 0, ran = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--filter") && i + 1 < argc)
			filter = argv[++i];
		if (!strcmp(argv[i], "--list")) {
			list_tests();
			return 0;
		}
	}
	for (int i = 0; i < nr_tests; i++) {
		if (!selected(i, filter))
			continue;
		failed += run_one(i);
		ran++;
	}
	printf("[====] Synthesis: Tested: %d | Failing: %d | Skipped: %d\n",
	       ran, failed, nr_skipped);
	if (failed)
		return 1;
	return nr_skipped ? EXIT_SKIP : 0;
}
