#!/bin/sh
# SPDX-License-Identifier: MIT
# The negative control of the end-of-test checks (test_teardown.c): each
# must_fail test passes its body and fails in its suite's .fini, so the
# executable must exit 1 and print the .fini's message.  The control test
# (teardown/nothing_left_passes) is registered on its own and must pass.
# Usage: test_teardown.sh TEST_TEARDOWN_EXECUTABLE
exe=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
for t in "leaks_a_page_reference:frames or tables leaked" \
	"records_a_violation:checker violations"; do
	name=${t%%:*}
	want=${t#*:}
	"$exe" --filter "must_fail/$name" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne 1 ] || ! grep -q "$want" "$out"; then
		echo "FAIL: must_fail/$name: exit $rc (want 1), '$want'" \
			"$(grep -c "$want" "$out") times in:"
		cat "$out"
		fail=1
	else
		echo "ok: must_fail/$name fails in its .fini: $want"
	fi
done
exit $fail
