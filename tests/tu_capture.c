// SPDX-License-Identifier: MIT
#include "tu_capture.h"

#ifdef WALKLAB_NO_CRITERION
#include "tu_nocriterion.h" /* TSan builds: see there */
#else
#include <criterion/criterion.h>
#endif
#include <unistd.h>

void tu_capture_stderr(struct tu_capture *c)
{
	c->tmp = tmpfile();
	cr_assert_not_null(c->tmp);
	fflush(stderr);
	c->saved = dup(2);
	cr_assert_geq(c->saved, 0);
	cr_assert_eq(dup2(fileno(c->tmp), 2), 2);
}

size_t tu_capture_end(struct tu_capture *c, char *buf, size_t size)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	rewind(c->tmp);
	n = fread(buf, 1, size - 1, c->tmp);
	buf[n] = 0;
	fclose(c->tmp);
	fputs(buf, stderr); /* the report, for whoever reads the log */
	return n;
}
