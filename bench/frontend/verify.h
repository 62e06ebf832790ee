/* SPDX-License-Identifier: MIT */
/*
 * verify.h - the front end's `walklab verify [NAME|--all] | --list`
 * (verify.c; the models and their table are in verify/).
 */
#ifndef WALKLAB_VERIFY_H
#define WALKLAB_VERIFY_H

/* argv[0] is "verify"; returns the exit status. */
int wl_verify_cmd(int argc, char **argv);

#endif /* WALKLAB_VERIFY_H */
