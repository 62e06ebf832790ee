// SPDX-License-Identifier: MIT
/*
 * verify.c - `walklab verify [NAME|--all] | --list`: model-check the
 * Promela model of every protocol (verify/, verify/README.md) with Spin.
 *
 * The model table is verify/models.txt.  For each model: copy the models
 * into a fresh temporary directory, `spin -a`, compile pan.c with -DSAFETY,
 * run it with a depth limit, parse its statistics, and on an error search
 * again for the shortest one (pan -i), replay its trail (`spin -t`) and
 * print the model's own "@@ CPU step value" lines as a readable
 * interleaving.  The verdict is compared with the table's expected one (MATCH / MISMATCH); exit 0 only if all match.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "verify.h"

#ifndef WALKLAB_VERIFY_DIR
#define WALKLAB_VERIFY_DIR "verify"
#endif

#define VF_MAX	    64
#define VF_DEPTH    "-m200000"
#define VF_SMALL_NW 1 /* walker CPUs, walks each: ctest's bound */
#define VF_SMALL    "-DNW=1 -DNWALKS=1"
#define VF_FULL_NW  2 /* the full bound */
#define VF_FULL	    "-DNW=2 -DNWALKS=2"
/*
 * pan.c is compiled -O0: at these bounds the compile costs more than the
 * search (today-ipi, full bound: -O2 compile 1.5 s user, search 0.2 s; -O0
 * compile 0.3 s, search 0.4 s).
 */

struct vf_model {
	char *name, *file, *defs, *expect, *scenario, *sc_expect, *what;
};

struct vf_result {
	bool ran, cex, incomplete;
	char kind[64];
	unsigned long long states;
	unsigned long depth, steps;
	double mem_mb, secs;
	char *trail; /* the readable interleaving, if cex */
	size_t trail_len;
};

static struct vf_model models[VF_MAX];
static int nr_models;

/* Split one table line on '|' into the seven fields; 0 on success. */
static int vf_parse_line(char *line, struct vf_model *m)
{
	char **f[] = {&m->name,	    &m->file,	   &m->defs, &m->expect,
		      &m->scenario, &m->sc_expect, &m->what};
	char *save = NULL, *tok = strtok_r(line, "|\n", &save);

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!tok)
			return -1;
		*f[i] = strdup(tok);
		tok = strtok_r(NULL, "|\n", &save);
	}
	return 0;
}

static int vf_load(const char *dir)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/models.txt", dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "walklab: verify: cannot read %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) && nr_models < VF_MAX) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (!vf_parse_line(line, &models[nr_models]))
			nr_models++;
	}
	fclose(f);
	return nr_models ? 0 : -1;
}

/* "a|b|c": the model names, for error messages. */
static const char *vf_names(void)
{
	static char list[2048];

	list[0] = 0;
	for (int i = 0; i < nr_models; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? "|" : "", models[i].name);
	return list;
}

static bool vf_have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static double vf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Copy every *.pml of dir into tmp. */
static int vf_copy_models(const char *dir, const char *tmp)
{
	char cmd[2 * PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "cp '%s'/*.pml '%s'/", dir, tmp);
	return system(cmd) ? -1 : 0;
}

/* Read pan's output into r. */
static void vf_parse_pan(const char *path, struct vf_result *r)
{
	char line[512], *p;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if ((p = strstr(line, "depth reached")))
			sscanf(p, "depth reached %lu", &r->depth);
		if ((p = strstr(line, "errors:")))
			r->cex = atoi(p + 7) > 0;
		if (strstr(line, "states, stored"))
			sscanf(line, " %llu", &r->states);
		if (strstr(line, "total actual memory usage"))
			sscanf(line, " %lf", &r->mem_mb);
		if (strstr(line, "max search depth too small"))
			r->incomplete = true;
		if (strstr(line, "assertion violated") && !r->kind[0])
			snprintf(r->kind, sizeof(r->kind), "assertion");
		if (strstr(line, "invalid end state") && !r->kind[0])
			snprintf(r->kind, sizeof(r->kind), "deadlock");
	}
	fclose(f);
}

/* The CPU column: walkers are CPU0.., the writer is the last CPU. */
static void vf_cpu(char *buf, size_t n, int cpu, int nw)
{
	if (cpu == nw)
		snprintf(buf, n, "writer");
	else
		snprintf(buf, n, "CPU%d", cpu);
}

/* Name a drained store: "pmd=T1", "act[0]=mm", ... (common.pml's map). */
static void vf_drain(char *buf, size_t n, int addr, int val, int nw)
{
	if (addr == 0)
		snprintf(buf, n, "pmd=%d", val);
	else if (addr == 1)
		snprintf(buf, n, "pte=%d", val);
	else if (addr < 2 + nw)
		snprintf(buf, n, "active_mm[CPU%d]=%d", addr - 2, val);
	else
		snprintf(buf, n, "readers[%d]=%d", addr - 2 - nw, val);
}

/* Print one "@@ cpu step value" line of the replay; returns 1 if it was. */
static int vf_trail_line(FILE *out, const char *line, unsigned long step,
			 int nw)
{
	char ev[64], what[96], cpu_s[16];
	int cpu, a, v;
	const char *p = strstr(line, "@@ ");

	if (!p || sscanf(p, "@@ %d %63s", &cpu, ev) != 2)
		return 0;
	vf_cpu(cpu_s, sizeof(cpu_s), cpu, nw);
	if (!strcmp(ev, "drain") &&
	    sscanf(p, "@@ %*d drain %d=%d", &a, &v) == 2)
		vf_drain(what, sizeof(what), a, v, nw);
	else if (sscanf(p, "@@ %*d %*s %d", &v) == 1)
		snprintf(what, sizeof(what), "%d", v);
	else
		what[0] = 0;
	fprintf(out, "    %3lu  %-7s %-15s %s\n", step, cpu_s,
		strcmp(ev, "drain") ? ev : "store-drains", what);
	return 1;
}

/* Replay the trail and print the interleaving; returns its step count. */
static unsigned long vf_trail(const char *tmp, const struct vf_model *m,
			      const char *bound, int nw, struct vf_result *r)
{
	char cmd[2 * PATH_MAX], line[512];
	unsigned long steps = 0;
	FILE *p, *out = open_memstream(&r->trail, &r->trail_len);

	snprintf(cmd, sizeof(cmd), "cd '%s' && spin -t %s %s %s 2>&1", tmp,
		 bound, m->defs, m->file);
	p = popen(cmd, "r");
	if (!p || !out) {
		if (p)
			pclose(p);
		if (out)
			fclose(out);
		return 0;
	}
	fprintf(out,
		"  counterexample (values: pmd 1=T1 9=huge 0=none; pte "
		"5=page 7=reused 0=none):\n    step  CPU     event           "
		"value\n");
	while (fgets(line, sizeof(line), p)) {
		if (vf_trail_line(out, line, steps + 1, nw))
			steps++;
		else if (strstr(line, "text of failed assertion"))
			fprintf(out, "    violated: %s",
				strstr(line, "assert"));
	}
	pclose(p);
	fclose(out);
	return steps;
}

/*
 * Search again for the shortest counterexample (pan -i: iterative depth
 * reduction, needs -DREACH); its trail replaces the first one found.
 */
static bool vf_shortest(const char *tmp)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "cd '%s' && ./pan %s -i >pan-i.out 2>&1",
		 tmp, VF_DEPTH);
	return system(cmd) == 0;
}

/* Run one model in its own temporary directory; fills r. */
static int vf_run(const char *dir, const struct vf_model *m, bool small,
		  struct vf_result *r)
{
	char tmp[] = "/tmp/walklab-verify-XXXXXX", cmd[2 * PATH_MAX];
	const char *bound = small ? VF_SMALL : VF_FULL;
	double t0;
	int st;

	memset(r, 0, sizeof(*r));
	if (!mkdtemp(tmp) || vf_copy_models(dir, tmp))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && spin -a %s %s %s >spin.log 2>&1 && "
		 "gcc -w %s -DSAFETY -DREACH -o pan pan.c >gcc.log 2>&1",
		 tmp, bound, m->defs, m->file, "-O0");
	st = system(cmd);
	if (st == 0) {
		snprintf(cmd, sizeof(cmd), "cd '%s' && ./pan %s >pan.out 2>&1",
			 tmp, VF_DEPTH);
		t0 = vf_now();
		st = system(cmd);
		r->secs = vf_now() - t0;
		snprintf(cmd, sizeof(cmd), "%s/pan.out", tmp);
		vf_parse_pan(cmd, r);
		r->ran = st == 0;
	}
	if (!r->ran)
		fprintf(stderr,
			"walklab: verify: %s: spin, gcc or pan failed "
			"(logs in %s)\n",
			m->name, tmp);
	else if (r->cex && vf_shortest(tmp))
		r->steps = vf_trail(tmp, m, bound,
				    small ? VF_SMALL_NW : VF_FULL_NW, r);
	if (r->ran) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd))
			fprintf(stderr, "walklab: verify: cannot remove %s\n",
				tmp);
	}
	return r->ran ? 0 : -1;
}

static const char *vf_verdict(const struct vf_result *r)
{
	if (!r->ran)
		return "error";
	if (r->cex)
		return "counterexample";
	return r->incomplete ? "incomplete" : "safe";
}

/* The scenario's verdict in the model's words. */
static const char *vf_sc_verdict(const struct vf_model *m)
{
	if (!strcmp(m->sc_expect, "reproduced"))
		return "counterexample";
	return strcmp(m->sc_expect, "safe") ? "-" : "safe";
}

static bool vf_print(const struct vf_model *m, const struct vf_result *r)
{
	bool match = !strcmp(vf_verdict(r), m->expect);

	printf("%-26s %-14s expect %-14s states %llu depth %lu mem %.1f MB "
	       "%.2f s",
	       m->name, vf_verdict(r), m->expect, r->states, r->depth,
	       r->mem_mb, r->secs);
	if (r->cex)
		printf(" (%s, %lu steps)", r->kind, r->steps);
	printf(" %s\n", match ? "MATCH" : "MISMATCH");
	if (r->trail)
		fputs(r->trail, stdout);
	return match;
}

/* The agreement table: model vs scenario (torture) vs expectation. */
static void vf_agreement(const struct vf_result *res)
{
	printf("\nagreement (torture: the scenario's ctest checks torture "
	       "observes its expect)\n%-26s %-14s %-36s %-14s %s\n",
	       "model", "model", "scenario or torture ctest", "its verdict",
	       "agree");
	for (int i = 0; i < nr_models; i++) {
		const struct vf_model *m = &models[i];
		const char *sv = vf_sc_verdict(m);
		const char *agree =
			strcmp(sv, "-")
				? (strcmp(sv, vf_verdict(&res[i])) ? "NO"
								   : "yes")
				: "(no scenario)";

		printf("%-26s %-14s %-36s %-14s %s\n", m->name,
		       vf_verdict(&res[i]), m->scenario, sv, agree);
	}
}

static void vf_list(void)
{
	for (int i = 0; i < nr_models; i++)
		printf("%-26s expect %-14s %s\n", models[i].name,
		       models[i].expect, models[i].what);
}

/* Options; returns the model index, -1 for all; -2 for --list. */
static int vf_args(int argc, char **argv, bool *small, const char **dir)
{
	int which = -1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			*dir = argv[++i];
		} else if (!strcmp(argv[i], "--small")) {
			*small = true;
		} else if (!strcmp(argv[i], "--all")) {
			which = -1;
		} else if (!strcmp(argv[i], "--list")) {
			which = -2;
		} else if (argv[i][0] == '-') {
			wl_usage_error("verify: unknown option '%s'; valid: "
				       "--all --list --small --dir DIR",
				       argv[i]);
		} else {
			if (which >= 0)
				wl_usage_error("verify: one model at a time "
					       "(or --all); valid: %s",
					       vf_names());
			which = -3;
			for (int j = 0; j < nr_models; j++)
				if (!strcmp(argv[i], models[j].name))
					which = j;
			if (which == -3)
				wl_usage_error("verify: unknown model '%s'; "
					       "valid: %s",
					       argv[i], vf_names());
		}
	}
	return which;
}

/* Find --dir before the table is loaded (the names come from it). */
static const char *vf_dir(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--dir"))
			return argv[i + 1];
	return WALKLAB_VERIFY_DIR;
}

int wl_verify_cmd(int argc, char **argv)
{
	static struct vf_result res[VF_MAX];
	const char *dir = vf_dir(argc, argv);
	bool small = false, all_match = true;
	int which;

	if (vf_load(dir))
		return WL_EXIT_USAGE;
	which = vf_args(argc, argv, &small, &dir);
	if (which == -2) {
		vf_list();
		return 0;
	}
	if (!vf_have("spin") || !vf_have("gcc")) {
		fprintf(stderr, "walklab: verify needs spin and gcc in PATH "
				"(install: scripts/deps.sh)\n");
		return WL_EXIT_USAGE;
	}
	printf("walklab verify: models in %s, bound %s, pan %s, gcc -O0 "
	       "-DSAFETY -DREACH\n",
	       dir, small ? VF_SMALL : VF_FULL, VF_DEPTH);
	for (int i = 0; i < nr_models; i++) {
		if (which >= 0 && i != which)
			continue;
		vf_run(dir, &models[i], small, &res[i]);
		all_match &= vf_print(&models[i], &res[i]);
		fflush(stdout);
	}
	if (which < 0)
		vf_agreement(res);
	printf("%s\n", all_match ? "all MATCH" : "MISMATCH");
	return all_match ? 0 : 1;
}
