#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sanitized.sh RESULTS ASANBUILD: run the unit tests, the host smoke test and
# the command-line tests on the ASan + UBSan build (make asan), recording
# results as asan/...
# Any sanitizer report makes the binary exit non-zero, which fails the test.
set -u
results=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mapfile -t bins < <(find "$build/tests" -maxdepth 1 -name 'test_*' ! -name '*.d' -type f -perm -u+x | sort)
tests/run-unit.sh "$tmp" "${bins[@]}" >/dev/null 2>&1
tests/host-smoke.sh "$tmp" "$build/klptop" >/dev/null 2>&1
tests/cli.sh "$tmp" "$build/klptop" >/dev/null 2>&1
for f in "$tmp"/*.txt; do
	[ -e "$f" ] || continue
	sed -E 's#^(PASS|FAIL|SKIP|NOTE) (unit|host|cli)/#\1 asan/\2/#' "$f" >"$results/asan-$(basename "$f")"
done
# Show what a sanitizer said, if anything did.
grep -l 'ERROR: AddressSanitizer\|runtime error:' "$tmp"/*.log 2>/dev/null | while read -r l; do
	echo "sanitizer report in $(basename "$l"):"
	grep -A12 'ERROR: AddressSanitizer\|runtime error:' "$l" | head -30
done
exit 0
