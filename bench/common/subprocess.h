/* SPDX-License-Identifier: MIT */
/*
 * subprocess.h - run a program as a child and wait for it: the front end's
 * runs of walklab-<id>, compare's measurements and clean-up, and the
 * report's gnuplot.
 */
#ifndef WALKLAB_SPAWN_H
#define WALKLAB_SPAWN_H

#include <stdbool.h>

/* Where the child runs and where its standard streams go. */
struct wl_spawn_io {
	const char *dir; /* chdir() here first; NULL: stay */
	const char *in;	 /* stdin from this file; NULL: inherit */
	const char *out; /* stdout to this file; NULL: inherit */
	const char *err; /* stderr to this file (the same fd if equal to
			  * out); NULL: inherit */
	bool append;	 /* append to out and err instead of truncating */
};

/*
 * Run argv[0] (looked up in PATH if it has no '/') with argv, io NULL for
 * no redirection, and wait for it, through EINTR.  Returns its exit
 * status, 128 + the signal that killed it, or -errno if it could not be
 * forked or waited for; a signal or a failure is also one line on stderr.
 * The child exits 126 if a redirection fails and 127 if the exec does.
 */
int wl_spawn_wait(char *const argv[], const struct wl_spawn_io *io);

#endif /* WALKLAB_SPAWN_H */
