#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-unit.sh DIR BIN...: run cmocka unit-test binaries and record results.
# Each binary runs with CMOCKA_MESSAGE_OUTPUT=TAP (cmocka 1.1.5 prints, per
# group, "1..N", "ok N - name", "not ok N - name" followed by "# message"
# lines, "not ok N # SKIP name", and "# ok - group" / "# not ok - group").
# DIR/unit-<bin>.txt gets "PASS unit/<bin>/<test>", "FAIL unit/<bin>/<test>:
# message" or "SKIP unit/<bin>/<test>". A binary that crashes, times out,
# exits non-zero with no failing test, or prints fewer results than it
# planned gets a FAIL unit/<bin>/exit line. Its full output is kept in
# DIR/unit-<bin>.log. Exit status: 1 if anything failed.
set -uo pipefail
dir=${1:?usage: run-unit.sh DIR BIN...}
shift
mkdir -p "$dir"
status=0
for bin in "$@"; do
	name=$(basename "$bin")
	out=$dir/unit-$name.txt
	log=$dir/unit-$name.log
	if [ ! -x "$bin" ]; then
		echo "FAIL unit/$name/exit: $bin not built" >"$out"
		echo "unit $name ... not built"
		status=1
		continue
	fi
	# (the subshell keeps bash from reporting a crashing test on our stderr)
	(CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 5 "${UNIT_TIMEOUT:-120}" "$bin" >"$log" 2>&1 </dev/null; exit $?) 2>/dev/null
	rc=$?
	awk -v id="unit/$name" -v rc="$rc" '
	function flush() {
		if (pending != "") {
			print pending (msg != "" ? ": " msg : "")
			pending = ""
			msg = ""
		}
	}
	/^[0-9]+\.\.[0-9]+/ { flush(); split($0, p, "\\.\\."); planned += p[2]; next }
	/^not ok [0-9]+ # SKIP/ {
		flush(); t = $0; sub(/^not ok [0-9]+ # SKIP */, "", t); gsub(/ /, "_", t)
		print "SKIP " id "/" t; seen++; next
	}
	/^ok [0-9]+/ {
		flush(); t = $0; sub(/^ok [0-9]+( - )?/, "", t); gsub(/ /, "_", t)
		print "PASS " id "/" t; seen++; next
	}
	/^not ok [0-9]+/ {
		flush(); t = $0; sub(/^not ok [0-9]+( - )?/, "", t); gsub(/ /, "_", t)
		pending = "FAIL " id "/" t; seen++; failed++; next
	}
	/^# (not )?ok - / { flush(); next }
	/^# / && pending != "" {
		m = substr($0, 3)
		msg = (msg == "" ? m : msg "; " m)
		next
	}
	END {
		flush()
		if (rc == 124 || rc == 137)
			print "FAIL " id "/exit: timed out"
		else if (rc > 128)
			print "FAIL " id "/exit: killed by signal " rc - 128 " after " seen + 0 " results"
		else if (seen == 0)
			print "FAIL " id "/exit: no TAP results (exit status " rc ")"
		else if (seen < planned)
			print "FAIL " id "/exit: " seen " of " planned " planned results (exit status " rc ")"
		else if (rc != 0 && failed == 0)
			print "FAIL " id "/exit: exit status " rc " with no failing test"
	}' "$log" >"$out"
	np=$(grep -c '^PASS ' "$out")
	nf=$(grep -c '^FAIL ' "$out")
	printf 'unit %s ... %d passed, %d failed\n' "$name" "$np" "$nf"
	if [ "$nf" -gt 0 ]; then
		status=1
		grep '^FAIL ' "$out" | sed 's/^/    /'
	fi
done
exit $status
