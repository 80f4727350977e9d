#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shadow-bench.sh [-k REL]: shadow leak detection in the lab (docs/perf.md,
# "Shadow variables"). Builds klptop, the lab modules and bench/free-loop.c
# (static, into build/bench/, which mkinitramfs.sh copies to the guest's
# /bin), boots tests/vm/scenarios/bench-shadow.sh and prints:
#   1. the free-hook cost: ns per kmalloc/kfree pair (klpt_target's
#      kfree_loop) and per open/close of /dev/null, best of 2 per mode, and
#      the ratio to no klptop;
#   2. per ring size and churn rate: objects/s reached, leak events/s,
#      dropped, missed, exact or not; and the highest rate with no drop.
# -k REL: lab kernel (default: the first 6.1 one scripts/kernels.sh lists).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD:-$root/build}
rel=
while getopts k: o; do
	case $o in
	k) rel=$OPTARG ;;
	*) sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
[ -n "$rel" ] || rel=$(scripts/kernels.sh | grep -m1 '^6\.1\.' || scripts/kernels.sh | head -n 1)
[ -n "$rel" ] || { echo "shadow-bench: no lab kernel (make deps)" >&2; exit 1; }

make -s all
make -s kmod LAB_KERNELS="$rel"
# A private copy of the build: the shared build/lab initramfs is left alone.
results=$(mktemp -d "${TMPDIR:-/tmp}/klpt-shadow-bench.XXXXXX")
lab=$results/build
mkdir -p "$lab/kmod" "$lab/bench"
gcc -static -O2 -Wall -Wextra -Werror -o "$lab/bench/free-loop" bench/free-loop.c
cp "$build/klptop" "$lab/"
cp -r "$build/kmod/$rel" "$lab/kmod/"

echo "== $rel: BUILD=$lab tests/vm/lab.sh --results $results --kernel $rel bench-shadow"
rc=0
BUILD=$lab tests/vm/lab.sh --results "$results" --kernel "$rel" bench-shadow || rc=1
log=$results/bench-shadow.log
cp "$lab/lab/$rel/bench-shadow.log" "$log"
echo "log: $log"
tr -d '\r' <"$log" | sed -n 's/^KLPTS //p' | awk '
function min(a, b) { return a == "" || b + 0 < a + 0 ? b : a }
$1 == "cost" {
	if ($2 == "armed") seen_armed = 1
	if ($2 == "off" && seen_armed) { offk2 = min(offk2, $4); offf2 = min(offf2, $6); next }
	k[$2] = min(k[$2], $4); f[$2] = min(f[$2], $6)
}
$1 == "rate" {
	n++; ring[n] = $2; rate[n] = $3; d = $5; secs = $7; ev = $11; del = $13; dr = $15; mi = $17
	ach[n] = secs > 0 ? d / secs : 0; evs[n] = secs > 0 ? ev / secs : 0
	drop[n] = dr; miss[n] = mi; exact[n] = ($9 == d) ? "yes" : "no (" $9 " of " d ")"; dl[n] = del
	# a step counts only if every destroyed owner was reported (an orphan
	# of a shadow left by an earlier run at a reused address may add one)
	valid[n] = $9 + 0 >= d + 0
}
END {
	printf "1. free-hook cost, best of 2 (ns; ratio to no klptop):\n"
	printf "   %-28s %12s %8s %14s %8s\n", "mode", "kmalloc+kfree", "ratio", "open+close", "ratio"
	printf "   %-28s %12.1f %8.3f %14.1f %8.3f\n", "off", k["off"], 1, f["off"], 1
	printf "   %-28s %12.1f %8.3f %14.1f %8.3f\n", "--no-leaks", k["noleaks"], k["noleaks"] / k["off"], f["noleaks"], f["noleaks"] / f["off"]
	printf "   %-28s %12.1f %8.3f %14.1f %8.3f\n", "leaks, no shadow alive", k["idle"], k["idle"] / k["off"], f["idle"], f["idle"] / f["off"]
	if (offk2 != "") {
		printf "   %-28s %12.1f %8.3f %14.1f %8.3f\n", "off (shadows alive)", offk2, 1, offf2, 1
		printf "   %-28s %12.1f %8.3f %14.1f %8.3f\n", "leaks, shadows alive", k["armed"], k["armed"] / offk2, f["armed"], f["armed"] / offf2
	}
	printf "2. events sustained (2 leak events per object: orphan + stale hit):\n"
	printf "   %-8s %-8s %12s %12s %10s %8s %8s  %s\n", "ring KiB", "rate", "objects/s", "events/s", "delivered", "dropped", "missed", "orphans exact"
	for (i = 1; i <= n; i++) {
		printf "   %-8s %-8s %12.0f %12.0f %10d %8d %8d  %s\n", ring[i], rate[i] == 0 ? "max" : rate[i], ach[i], evs[i], dl[i], drop[i], miss[i], exact[i]
		if (valid[i] && drop[i] == 0 && ach[i] > best[ring[i]] + 0) { best[ring[i]] = ach[i]; bestev[ring[i]] = evs[i] }
	}
	for (r in best) printf "   ring %s KiB: highest rate with zero drops and every orphan counted %.0f objects/s = %.0f events/s\n", r, best[r], bestev[r]
}'
exit $rc
