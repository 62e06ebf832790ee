#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_collapse_range.sh EXE [TARGETED] - the collapse-range workload of
# EXE (walklab-lockless_walk_helpers-today) and of TARGETED (the targeted
# configuration, if built): its counts are exact, so two runs print
# identical count rows; they are the kernel's (a flush IPIs the mm's
# other CPUs, a sync broadcast every other CPU, synchronize_rcu() none;
# bystanders take only the sync); bad sizes are refused with exit 2.  The
# comparison is shown able to fail on a copy with one count changed.
set -u
exe=$1
dir=$(mktemp -d /tmp/walklab-test-crange-XXXXXX) || exit 1
fail() {
	echo "test_collapse_range: FAIL: $*" >&2
	echo "test_collapse_range: left $dir" >&2
	exit 1
}

run() { # out: the count rows (writer time and placement dropped)
	"$exe" measure --workloads collapse-range --range 16M --cpus 8 \
		--bystanders 2 >"$dir/raw" 2>"$dir/err" ||
		fail "measure exited $? ($(head -n 3 "$dir/err"))"
	awk -F, '$4 == "collapse-range" && $13 != "writer_op_ns" { print $9 "," $13 "," $15 "," \
		$16 "," $17 "," $18 }' "$dir/raw" | sort >"$1"
}
run "$dir/a"
run "$dir/b"
[ -s "$dir/a" ] || fail "no rows"
cmp -s "$dir/a" "$dir/b" || fail "two runs differ: $(diff "$dir/a" "$dir/b")"
# Negative control: the comparison catches one count changed.
sed '0,/ipis_sync_per_op,8,7/s//ipis_sync_per_op,8,6/' "$dir/a" >"$dir/c"
cmp -s "$dir/a" "$dir/c" && fail "the control did not change a count"

expect() { # strategy metric value: min = median = max = value
	grep -q "^$1,$2,[0-9]*,$3,$3,$3\$" "$dir/a" ||
		fail "$1 $2: want $3, have $(grep "^$1,$2," "$dir/a")"
}
# 8 CPUs: 1 collapsing, 5 more of the mm, 2 bystanders; 8 collapses.
expect today collapses 8
expect today ipis_flush_per_op 5
expect today ipis_sync_per_op 7
expect today irqs_mm_flush_per_op 1
expect today irqs_mm_sync_per_op 1
expect today irqs_bystander_flush_per_op 0
expect today irqs_bystander_sync_per_op 1
expect skip ipis_flush_per_op 5
expect skip ipis_sync_per_op 0
expect skip irqs_bystander_per_op 0
expect rcu_sync ipis_flush_per_op 5
expect rcu_sync ipis_sync_per_op 0
expect rcu_sync ipis_backend_per_op 0
expect rcu_sync irqs_bystander_per_op 0
expect rcu_sync grace_periods_per_op 1

# The targeted configuration, if built: no CPU walks, so no sync IPI.
if [ -x "${2:-}" ]; then
	exe=$2 run "$dir/t"
	grep -q "^targeted,ipis_sync_per_op,8,0,0,0\$" "$dir/t" ||
		fail "targeted: $(grep ipis_sync "$dir/t")"
	grep -q "^targeted,ipis_flush_per_op,8,5,5,5\$" "$dir/t" ||
		fail "targeted: $(grep ipis_flush "$dir/t")"
fi

# calibrate --collapse: the host's MADV_COLLAPSE beside the lab's today
# count; the lab's rows are exact (one sync per collapse per other CPU,
# busy or idle), and the verdict names MATCH or DIFFER for each figure.
# A host without MADV_COLLAPSE or /proc/interrupts' CAL row says why.
calib=$(dirname "$exe")/walklab_calibrate
if [ -x "$calib" ]; then
	"$calib" --collapse --quick --rows "$dir/rows" >"$dir/cal" 2>&1 ||
		fail "calibrate --collapse exited $?"
	metric() { # name: "n,min,median,max" of that calib row
		awk -F, -v m="$1" '$13 == m { print $15 "," $16 "," $17 "," \
			$18 }' "$dir/rows"
	}
	if [ "$(metric collapse_irqs:sync_busy | cut -d, -f1)" != 0 ]; then
		for w in sync_busy sync_idle; do
			[ "$(metric "lab_collapse_irqs:$w")" = 1,1,1,1 ] ||
				fail "lab $w: $(metric "lab_collapse_irqs:$w")"
		done
		# four figures, and the busy flush's two models (share, steal)
		[ "$(grep -o -E "MATCH|DIFFER" "$dir/cal" | wc -l)" -eq 6 ] ||
			fail "no verdict per figure: $(tail -n 5 "$dir/cal")"
		[ -n "$(metric model_collapse_irqs:flush_busy)" ] ||
			fail "no model row"
	else
		grep -q "collapse_irqs.*unavailable" "$dir/cal" ||
			fail "collapse rows neither measured nor explained"
	fi
fi

for bad in "--range 3M" "--range 0" "--range 5000G" "--range 1T" \
	"--cpus 0" "--cpus 8 --bystanders 8"; do
	# shellcheck disable=SC2086
	"$exe" measure --workloads collapse-range $bad >/dev/null \
		2>"$dir/bad"
	st=$?
	[ $st -eq 2 ] || fail "'$bad': exit $st, want 2"
	[ "$(wc -l <"$dir/bad")" -eq 1 ] || fail "'$bad': not one line"
done
rm -rf "$dir"
echo "test_collapse_range: ok"
