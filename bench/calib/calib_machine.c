// SPDX-License-Identifier: MIT
/*
 * calib_machine.c - the host the figures come from: its PUs through
 * hwloc (also used to pin the IPI probes' threads), and the provenance
 * printed with them (CPU model, kernel, PUs, hypervisor, THP, clock
 * source, governor, load; compiler, liburcu).  No hostname.
 */
#include "calib_harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef WL_LIBURCU_VERSION
#define WL_LIBURCU_VERSION "unknown"
#endif

/* ---------------------------------------------------------------------- */
/* PUs and pinning                                                        */

void wl_calib_pin_init(struct wl_calib_pin *p)
{
	int n;

	p->ok = false;
	p->npus = 1;
	if (hwloc_topology_init(&p->topo))
		goto os;
	if (hwloc_topology_load(p->topo)) {
		hwloc_topology_destroy(p->topo);
		goto os;
	}
	n = hwloc_get_nbobjs_by_type(p->topo, HWLOC_OBJ_PU);
	if (n <= 0) {
		hwloc_topology_destroy(p->topo);
		goto os;
	}
	p->ok = true;
	p->npus = (unsigned int)n;
	return;
os:
	n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	p->npus = n > 0 ? (unsigned int)n : 1;
}

void wl_calib_pin_fini(struct wl_calib_pin *p)
{
	if (p->ok)
		hwloc_topology_destroy(p->topo);
	p->ok = false;
}

hwloc_bitmap_t wl_calib_pin_save(struct wl_calib_pin *p)
{
	hwloc_bitmap_t b;

	if (!p->ok || !(b = hwloc_bitmap_alloc()))
		return NULL;
	if (hwloc_get_cpubind(p->topo, b, HWLOC_CPUBIND_THREAD)) {
		hwloc_bitmap_free(b);
		return NULL;
	}
	return b;
}

void wl_calib_pin_restore(struct wl_calib_pin *p, hwloc_bitmap_t b)
{
	if (!b)
		return;
	hwloc_set_cpubind(p->topo, b, HWLOC_CPUBIND_THREAD);
	hwloc_bitmap_free(b);
}

bool wl_calib_pin_self(struct wl_calib_pin *p, unsigned int idx)
{
	hwloc_obj_t pu;

	if (!p->ok)
		return false;
	pu = hwloc_get_obj_by_type(p->topo, HWLOC_OBJ_PU, idx % p->npus);
	return pu &&
	       !hwloc_set_cpubind(p->topo, pu->cpuset, HWLOC_CPUBIND_THREAD);
}

/* ---------------------------------------------------------------------- */
/* Provenance                                                             */

static void first_line_value(const char *path, const char *key, char *out,
			     size_t len)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t kl = strlen(key);

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		if (strncmp(line, key, kl) || !(v = strchr(line, ':')))
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		v[strcspn(v, "\n")] = 0;
		snprintf(out, len, "%s", v);
		break;
	}
	fclose(f);
}

static bool cpuinfo_has_flag(const char *flag)
{
	char flags[4096] = "", *tok, *save = NULL;

	first_line_value("/proc/cpuinfo", "flags", flags, sizeof(flags));
	for (tok = strtok_r(flags, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, flag))
			return true;
	return false;
}

static void read_word(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(out, len, "n/a");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = 0;
	else
		snprintf(out, len, "n/a");
	fclose(f);
}

/* "x86_64 2 PUs 2 cores 1 packages; virtual machine; THP ...; load ..." */
static void describe_host(char *out, size_t len, const char *arch)
{
	struct wl_calib_pin p;
	char thp[16], clk[32], gov[32], load[32] = "n/a";
	int cores = 0, pkgs = 0;
	FILE *lf;

	wl_calib_pin_init(&p);
	if (p.ok) {
		cores = hwloc_get_nbobjs_by_type(p.topo, HWLOC_OBJ_CORE);
		pkgs = hwloc_get_nbobjs_by_type(p.topo, HWLOC_OBJ_PACKAGE);
	}
	wl_calib_pin_fini(&p);
	wl_calib_thp_setting("enabled", thp, sizeof(thp));
	read_word("/sys/devices/system/clocksource/clocksource0/"
		  "current_clocksource",
		  clk, sizeof(clk));
	read_word("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", gov,
		  sizeof(gov));
	/* The 1-minute load at the start: other tenants skew everything. */
	lf = fopen("/proc/loadavg", "r");
	if (lf) {
		if (fscanf(lf, "%31s", load) != 1)
			snprintf(load, sizeof(load), "n/a");
		fclose(lf);
	}
	snprintf(out, len,
		 "%s %u PUs %d cores %d packages; %s; THP %s; clock %s; "
		 "governor %s; load %s",
		 arch, p.npus, cores, pkgs,
		 cpuinfo_has_flag("hypervisor") ? "virtual machine"
						: "no hypervisor flag",
		 thp, clk, gov, load);
}

void wl_calib_machine_describe(struct wl_calib_machine *m)
{
	struct utsname u;
	bool have_u = !uname(&u);

	memset(m, 0, sizeof(*m));
	snprintf(m->cpu_model, sizeof(m->cpu_model), "unknown");
	first_line_value("/proc/cpuinfo", "model name", m->cpu_model,
			 sizeof(m->cpu_model));
	if (have_u)
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
	describe_host(m->machine, sizeof(m->machine), have_u ? u.machine : "?");
#if defined(__clang__)
	snprintf(m->compiler, sizeof(m->compiler), "clang %s",
		 __clang_version__);
#elif defined(__GNUC__)
	snprintf(m->compiler, sizeof(m->compiler), "gcc %s", __VERSION__);
#else
	snprintf(m->compiler, sizeof(m->compiler), "unknown");
#endif
	snprintf(m->liburcu, sizeof(m->liburcu), "%s", WL_LIBURCU_VERSION);
}
