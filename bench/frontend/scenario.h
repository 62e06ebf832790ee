/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - the front end's `walklab scenario list | run NAME`
 * (scenario.c; the table is scenarios.h).
 */
#ifndef WALKLAB_SCENARIO_H
#define WALKLAB_SCENARIO_H

/* argv[0] is "scenario"; returns the exit status. */
int wl_scenario_cmd(int argc, char **argv);

#endif /* WALKLAB_SCENARIO_H */
