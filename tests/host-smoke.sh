#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# host-smoke.sh DIR BIN: checks of klptop on the build host (no live
# patching needed). Writes DIR/host.txt. The lead adds more checks.
dir=${1:?usage: host-smoke.sh DIR BIN}
bin=${2:?usage: host-smoke.sh DIR BIN}
out=$dir/host.txt
mkdir -p "$dir"
: >"$out"
status=0

# host/version: exits 0 and prints something.
if [ ! -x "$bin" ]; then
	echo "FAIL host/version: $bin not built" >>"$out"
	status=1
else
	v=$("$bin" --version 2>&1 </dev/null)
	rc=$?
	if [ $rc -eq 0 ] && [ -n "$v" ]; then
		echo "PASS host/version" >>"$out"
	else
		echo "FAIL host/version: '$bin --version' exited $rc: $(printf '%s\n' "$v" | head -n 1)" >>"$out"
		status=1
	fi
fi
exit $status
