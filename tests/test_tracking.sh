#!/bin/sh
# The tracking workload (bench/measure/measure_tracking.c) and its script.
#   test_tracking.sh rows EXE     every ns row is printed, for each variant
#   test_tracking.sh instr SCRIPT EXE  under callgrind: the publications cost
#                                 instructions today's walker does not run
#                                 (fails if the option did not take, or
#                                 if the loop measured nothing); 77 (skip)
#                                 without valgrind
set -eu
mode=$1 arg=$2
fail() {
	echo "test_tracking: $*" >&2
	exit 1
}
case $mode in
rows)
	out=$("$arg" measure --workloads tracking --quick)
	for v in today store_mb xchg; do
		for m in pair_ns walk_ns; do
			echo "$out" | grep -q ",tracking,.*,${v}_$m,ns," ||
				fail "no ${v}_$m row"
		done
	done
	for v in store_mb xchg; do
		echo "$out" | grep -q ",${v}_walk_overhead_pct,%," ||
			fail "no ${v}_walk_overhead_pct row"
	done
	! echo "$out" | grep -q "_instr," || fail "instr rows without callgrind"
	;;
instr)
	command -v valgrind >/dev/null || exit 77
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
	"$arg" --quick --exe "$3" -o "$dir/out" >/dev/null
	csv=$dir/out/results.csv
	med() { awk -F, -v m="$1" '$13 == m { print $17 }' "$csv"; }
	today=$(med today_pair_instr) walk=$(med today_walk_instr)
	[ -n "$today" ] && [ -n "$walk" ] || fail "no today instr rows"
	awk -v w="$walk" 'BEGIN { exit !(w > 100) }' ||
		fail "today's 8-page walk: $walk instructions"
	for v in store_mb xchg; do
		p=$(med ${v}_pair_instr) w=$(med ${v}_walk_instr)
		awk -v p="$p" -v t="$today" 'BEGIN { exit !(p >= t + 2) }' ||
			fail "$v pair $p instr, today $today: no publication"
		awk -v w="$w" -v t="$walk" 'BEGIN { exit !(w >= t + 2) }' ||
			fail "$v walk $w instr, today $walk: no publication"
	done
	;;
*) fail "unknown mode $mode" ;;
esac
