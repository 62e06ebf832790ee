// SPDX-License-Identifier: MIT
/*
 * tu_nocriterion.c - the runner for tu_nocriterion.h: each test in a forked
 * child, one line per test, exit 1 if any failed.  Arguments are accepted
 * and ignored but for --filter SUBSTRING (ctest passes Criterion's).
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

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int failed = 0, ran = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--filter") && i + 1 < argc)
			filter = argv[++i];
	for (int i = 0; i < nr_tests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		failed += run_one(i);
		ran++;
	}
	printf("[====] Synthesis: Tested: %d | Failing: %d\n", ran, failed);
	return failed ? 1 : 0;
}
