#!/usr/bin/env bash
# test_verify.sh WALKLAB VERIFY_DIR: the models' verdicts must be able to
# turn.  Each case edits a copy of verify/ (drops one barrier, the PMD
# recheck or the sync) and requires the model that was safe to report a
# counterexample (a MISMATCH against the table: exit 1).  The unedited
# copy must MATCH first (the copy itself is sound), and bad input and a
# missing spin must give one line and exit 2.
set -uo pipefail
wl=$1
src=$2
tmp=$(mktemp -d /tmp/walklab-test-verify-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

# run NAME EXPECTED_RC EXPECTED_VERDICT: walklab verify on the copy.
run() {
	local out rc
	out=$("$wl" verify --small --dir "$tmp" "$1" 2>&1)
	rc=$?
	if [ $rc -ne "$2" ] || ! grep -q "^$1 *$3 " <<<"$out"; then
		echo "FAIL: $1 on $label: exit $rc (want $2), verdict:" \
			"$(grep "^$1 " <<<"$out") (want $3)"
		fail=1
	else
		echo "ok: $label: $1 -> $3"
	fi
}

# edit FILE SED_EXPR: fresh copy of the models, one edit that must apply.
edit() {
	rm -f "$tmp"/*
	cp "$src"/*.pml "$src"/models.txt "$tmp"/
	[ -z "$1" ] && return
	cp "$tmp/$1" "$tmp/$1.orig"
	sed -i "$2" "$tmp/$1"
	if cmp -s "$tmp/$1" "$tmp/$1.orig"; then
		echo "FAIL: the edit '$2' did not change $1"
		fail=1
	fi
}

label="unedited copy"
edit "" ""
run targeted-mb 0 safe
run atomic_readers 0 safe

label="targeted sync: smp_mb() -> nothing (rmb)"
edit targeted.pml 's/^#define TG_SYNC_MB drain_all(WCPU).*/#define TG_SYNC_MB skip/'
run targeted-mb 1 counterexample

label="targeted sync: walker's smp_mb() dropped"
edit targeted.pml 's/^#define TG_WALKER_MB .*/#define TG_WALKER_MB skip/'
run targeted-mb 1 counterexample

label="2013 counter: writer's smp_mb() dropped"
edit atomic_readers.pml 's/^#define AR_WRITER_MB drain_all.*/#define AR_WRITER_MB skip/'
run atomic_readers 1 counterexample

label="2013 counter, per-CPU (plain store): walker's smp_mb() dropped"
edit atomic_readers.pml 's/^#define AR_WALKER_MB drain_all.*/#define AR_WALKER_MB skip/'
run atomic_readers-percpu 1 counterexample
# TSO's limit, kept visible: after an x86 atomic_inc (a full barrier) the
# walker's smp_mb() is redundant, so dropping it stays safe here.
label="2013 counter, atomic_inc: walker's smp_mb() dropped (TSO)"
run atomic_readers 0 safe

label="collapse: PMD recheck dropped"
edit common.pml 's/^#ifndef NO_PMD_RECHECK/#if 0/'
run collapse-recheck-only 1 counterexample

label="today: collapse sync dropped"
edit today.pml 's/^#define SYNC() ipi_all_wait()/#define SYNC() skip/'
run today-broadcast 1 counterexample

label="bad input"
out=$("$wl" verify --small no-such-model 2>&1)
rc=$?
if [ $rc -ne 2 ] || [ "$(wc -l <<<"$out")" -ne 1 ] ||
	! grep -q 'valid: .*targeted-rmb' <<<"$out"; then
	echo "FAIL: bad model name: exit $rc, output: $out"
	fail=1
fi

label="no spin"
out=$(PATH=/nonexistent "$wl" verify --small none-ipi 2>&1)
rc=$?
if [ $rc -ne 2 ] || ! grep -q 'needs spin' <<<"$out"; then
	echo "FAIL: without spin: exit $rc, output: $out"
	fail=1
fi
exit $fail
