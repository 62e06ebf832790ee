#!/bin/sh
# SPDX-License-Identifier: MIT
# --bystanders has a documented range, 0..16, and the paravirt host's
# --vcpu-preempt (0..65536) and --vcpu-preempt-ns (0..100000000) theirs: a
# value outside it, or not a number, is refused by torture and measure with
# one line on stderr, exit 2 and nothing on stdout (no half-written
# results).
# Usage: test_bystanders_cli.sh WALKLAB-ID-EXECUTABLE
exe=$1
err=$(mktemp) out=$(mktemp)
trap 'rm -f "$err" "$out"' EXIT
fail=0
for args in "torture --bystanders 17" "torture --bystanders -1" \
	"torture --bystanders x" "torture --bystanders" \
	"measure --bystanders 17 --workloads fallback" \
	"measure --bystanders 1.5" "torture --vcpu-preempt 65537" \
	"torture --vcpu-preempt-ns 100000001" "torture --vcpu-preempt-ns -1" \
	"torture --vcpu-preempt-ns"; do
	# shellcheck disable=SC2086 # the words are the arguments
	"$exe" $args >"$out" 2>"$err"
	rc=$?
	lines=$(wc -l <"$err")
	if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || [ -s "$out" ]; then
		echo "FAIL: $args: exit $rc, $lines stderr lines, stdout:" \
			"$(wc -c <"$out") bytes"
		cat "$err"
		fail=1
	fi
done
"$exe" torture --bystanders 16 --help >/dev/null || {
	echo "FAIL: --bystanders 16 refused"
	fail=1
}
"$exe" torture --vcpu-preempt 65536 --vcpu-preempt-ns 100000000 --help \
	>/dev/null || {
	echo "FAIL: --vcpu-preempt 65536 --vcpu-preempt-ns 100000000 refused"
	fail=1
}
exit $fail
