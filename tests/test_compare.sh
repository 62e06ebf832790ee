#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_compare.sh WALKLAB BACKENDS - the main job end to end: `walklab
# compare --quick` on a small matrix (BACKENDS, comma-separated) into a
# fresh folder, then the folder is checked for a complete report:
#   results.csv     the header of results.h, every row as wide, and for
#                   each backend a row of each workload; the host
#                   calibration and the ratios when walklab_calibrate ran
#   results.json    parses, with as many rows as the CSV
#   summary.txt     its sections, a table line per backend, 80 columns
#   provenance.txt  the run's parameters
#   plots/          each plot's PNG and SVG (non-empty), script and data
# and nothing half-written is left beside it.  Exit 0, 1 with the first
# failed check, or 77 (skipped) without gnuplot or python3.
set -u

walklab=$1
backends=$2
dir=$(mktemp -d /tmp/walklab-test-compare-XXXXXX) || exit 1
out=$dir/out

fail() {
	echo "test_compare: FAIL: $*" >&2
	echo "test_compare: left $dir for a look" >&2
	exit 1
}

command -v gnuplot >/dev/null 2>&1 || { echo "no gnuplot: skipped"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "no python3: skipped"; exit 77; }

"$walklab" compare --quick --backends "$backends" --out "$out" \
	>"$dir/stdout" 2>"$dir/stderr" ||
	fail "walklab compare exited $? (see $dir/stderr)"
for f in results.csv results.json summary.txt provenance.txt; do
	[ -s "$out/$f" ] || fail "no $f"
done
ls -d "$out".tmp* >/dev/null 2>&1 && fail "a temporary folder is left"

# results.csv: the schema of results.h (WL_CSV_COLUMNS, then
# WL_CSV_PROVENANCE_COLUMNS), every line as wide as the header.
header="backend,build_options,arch,workload,walk_pages,mapping,foll,cpus,\
writer_op,writer_rate,allow_retry,t_ms,metric,unit,n,min,median,max,p99,\
pinned,oversubscribed,cpu_model,host_pus,kernel,compiler,cflags,liburcu,\
hwloc,git_rev,timestamp"
[ "$(head -n 1 "$out/results.csv")" = "$header" ] ||
	fail "results.csv header: $(head -n 1 "$out/results.csv")"
awk -F, 'NR > 1 && NF != 30 { print "line " NR ": " NF " columns"; bad = 1 }
	 END { exit bad }' "$out/results.csv" >&2 ||
	fail "results.csv rows of the wrong width"

# Row kinds: backend,workload pairs.
has_row() { # backend workload [metric]
	awk -F, -v b="$1" -v w="$2" -v m="${3:-}" '
		$1 == b && $4 == w && (m == "" || $13 == m) { found = 1 }
		END { exit !found }' "$out/results.csv"
}
for id in $(echo "$backends" | tr , ' '); do
	for w in read writer mixed slowpath process; do
		has_row "$id" "$w" || fail "no $w row for $id"
	done
	has_row "$id" read ns_per_walk || fail "no read ns_per_walk for $id"
	has_row "$id" mixed backlog_tables || fail "no backlog samples for $id"
	grep -q "^$id  *[0-9-]" "$out/summary.txt" ||
		fail "no table line for $id in summary.txt"
done
if [ -x "$(dirname "$walklab")/walklab_calibrate" ]; then
	has_row host calib || fail "no host calibration rows"
	has_row host calib gup_fast_page:thp=off ||
		fail "no gup_fast_page:thp=off calibration row"
	awk -F, '$4 == "calib" && $13 ~ /^ratio:sim\/kernel_gup_/ { n++ }
		 END { exit n != 2 }' "$out/results.csv" ||
		fail "not two ratio:sim/kernel_gup_* rows"
	grep -q "^Host calibration" "$out/summary.txt" ||
		fail "no host calibration in summary.txt"
fi

# The fault workload, once: every path's rows, and the speculative path
# did its faults without mmap_lock when no writer ran (the measured thing
# happened).
for path in mmap_lock spf vma_lock; do
	awk -F, -v p="$path" '$4 == "fault" && $9 == p && $13 == "faults_per_s" \
		{ n++ } END { exit n != 9 }' "$out/results.csv" ||
		fail "not 9 fault faults_per_s rows for $path"
done
awk -F, '$4 == "fault" && $9 == "spf" && $10 == 0 && \
	$13 == "speculative_ratio" && $17 < 0.9 { bad = 1 } END { exit bad }' \
	"$out/results.csv" || fail "spf faults mostly not speculative"
# The scale sweep (compare_scale.c) of each swept strategy chosen: counts
# at every N, a fit within the PUs, a projection past them, its section
# and its plot.
for id in lockless_walk_helpers-today ipi rcu-memb atomic_readers-percpu; do
	case ",$backends," in *",$id,"*) ;; *) continue ;; esac
	has_row "$id" scale ipis_per_op || fail "no scale counts for $id"
	# Exact per-CPU counts: the syncing CPU's own grace periods and
	# polls (its row, core/smp.h) are all of them, at every N.
	awk -F, -v id="$id" '$1 == id && $4 == "scale" {
		v[$13 "@" $8] = $17; if ($13 == "polls_per_op") n[$8] = 1 }
		END { for (c in n) {
			k++
			if (v["polls_per_op@" c] != v["polls_own_per_op@" c] ||
			    v["grace_periods_per_op@" c] != \
			    v["grace_periods_own_per_op@" c]) bad = 1 }
		exit bad || !k }' "$out/results.csv" ||
		fail "$id: the syncing CPU's own GPs or polls are not all"
	has_row "$id" scale sync_fit_ns_per_target || fail "no fit for $id"
	if [ "$(nproc)" -lt 8 ]; then # --quick sweeps up to 8 CPUs
		has_row "$id" scale sync_ns_projected ||
			fail "no projection past the host's PUs for $id"
	fi
	grep -q "^Sync against simulated CPUs" "$out/summary.txt" ||
		fail "no scale section in summary.txt"
	for f in sync_scale.png sync_scale.svg sync_scale.gp \
		data/sync_scale.dat; do
		[ -s "$out/plots/$f" ] || fail "no plots/$f"
	done
done

# results.json: parses, one row per CSV row.
python3 - "$out" <<'PY' || fail "results.json"
import csv, json, sys
d = sys.argv[1]
j = json.load(open(d + "/results.json"))
rows = list(csv.reader(open(d + "/results.csv")))[1:]
assert isinstance(j["provenance"], dict) and j["provenance"], "provenance"
assert len(j["rows"]) == len(rows), (len(j["rows"]), len(rows))
assert all(r["backend"] for r in j["rows"]), "a row without a backend"
PY

# summary.txt: its sections, 80 columns.
for s in "walklab compare: lockless page-table walk backends" \
	"^configuration " "^How to read this" "^Fault path: " "^Plots: "; do
	grep -q "$s" "$out/summary.txt" || fail "summary.txt lacks '$s'"
done
awk 'length > 80 { exit 1 }' "$out/summary.txt" ||
	fail "summary.txt is wider than 80 columns"
grep -q "No data for" "$out/summary.txt" && fail "a plot had no data"

# provenance.txt: the parameters of the run.
for k in cpu_model host_pus kernel compiler cflags git_rev timestamp arch \
	quick seed backends command; do
	grep -q "^$k=" "$out/provenance.txt" || fail "provenance.txt: no $k"
done
grep -qx "backends=$backends" "$out/provenance.txt" ||
	fail "provenance.txt: backends is not $backends"

# plots/: every plot drawn, as PNG and SVG, with its script and data.
for p in read_vs_cpus sync_latency backlog section_ns throughput_vs_rate \
	faults_vs_rate; do
	for f in "$p.png" "$p.svg" "$p.gp" "data/$p.dat"; do
		[ -s "$out/plots/$f" ] || fail "no plots/$f"
	done
	head -c 8 "$out/plots/$p.png" | od -An -c | grep -q "P   N   G" ||
		fail "plots/$p.png is not a PNG"
	grep -q "<svg" "$out/plots/$p.svg" || fail "plots/$p.svg is not an SVG"
done

# The folder exists now: a second run must refuse it, writing nothing.
"$walklab" compare --quick --backends "$backends" --out "$out" \
	>/dev/null 2>&1
[ $? -eq 2 ] || fail "compare into an existing folder did not exit 2"

rm -rf "$dir"
echo "test_compare: ok ($backends)"
