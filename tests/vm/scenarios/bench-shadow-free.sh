# SPDX-License-Identifier: GPL-2.0
# bench-shadow-free: bench/shadow-free-cost.sh in the lab (docs/perf.md,
# "Shadow variables"): every mode of leak detection on two free-heavy
# loops, interleaved, on a kernel with live patching, so the shadow probes,
# the start-up attach and the owners' kinds are a real host's. Not part of
# the default lab run (bench-*): bench/shadow-bench.sh -f boots it and
# prints its KLPTF lines. klptop starts slowly under TCG: READY is long.
# lab-timeout: 3000
. /lib/klptop/lib.sh

lp_load klpt_target
LOOP=/bin/free-loop KLPTOP=$(command -v klptop) READY=300 SETTLE=2 \
	shadow-free-cost 20000 10 2 >/tmp/cost.txt 2>/tmp/cost.err
rc=$?
sed 's/^/KLPTF /' /tmp/cost.txt /tmp/cost.err
if [ $rc -eq 0 ] && grep -q '^  off ' /tmp/cost.txt; then
	pass bench-ran
else
	fail bench-ran "exit $rc: $(tail -n 1 /tmp/cost.err)"
fi
rmmod klpt_target
