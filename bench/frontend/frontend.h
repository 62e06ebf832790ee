/* SPDX-License-Identifier: MIT */
/*
 * frontend.h - what the walklab front end knows of the per-backend
 * executables built beside it, for its commands (compare, plot, ...).
 */
#ifndef WALKLAB_FRONTEND_H
#define WALKLAB_FRONTEND_H

/* The backend configuration ids found (walklab-<id>), sorted. */
int wl_fe_nr_backends(void);
const char *wl_fe_backend_id(int i);
/* "a|b|c", for error messages. */
const char *wl_fe_backend_list(void);
/* Path of walklab-<id>; exits 2 naming the built ones if unknown. */
const char *wl_fe_backend_path(const char *id);

/* walklab compare (bench/frontend/compare.c). */
int wl_cmd_compare(int argc, char **argv);

/*
 * compare's scale sweep (compare_scale.c): the sync strategies of its
 * table among ids, each `measure --workloads scale` into tmp/raw/, the
 * rows appended to csv by append with the provenance columns prov.
 */
#include <stdbool.h>
#include <stdio.h>
struct wl_compare_scale {
	const char *tmp, *arch, *seed, *prov;
	const char *const *ids;
	int nr;
	bool quick, tty;
	int (*append)(FILE *csv, const char *raw, const char *prov);
};
int wl_compare_scale(const struct wl_compare_scale *s, FILE *csv);

#endif /* WALKLAB_FRONTEND_H */
