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

#endif /* WALKLAB_FRONTEND_H */
