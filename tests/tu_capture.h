/* SPDX-License-Identifier: MIT */
/*
 * tu_capture.h - capture what a test writes to stderr (file descriptor 2,
 * from any thread: the stall detector's reports), to look for lines in it.
 */
#ifndef WALKLAB_TU_CAPTURE_H
#define WALKLAB_TU_CAPTURE_H

#include <stddef.h>
#include <stdio.h>

struct tu_capture {
	FILE *tmp; /* where fd 2 points meanwhile */
	int saved; /* the real stderr */
};

/* From now on, stderr goes to a temporary file. */
void tu_capture_stderr(struct tu_capture *c);
/*
 * Stderr back; what was written meanwhile, up to size - 1 bytes and
 * NUL-terminated, in buf, and copied to the real stderr for the log.
 * Returns its length.
 */
size_t tu_capture_end(struct tu_capture *c, char *buf, size_t size);

#endif /* WALKLAB_TU_CAPTURE_H */
