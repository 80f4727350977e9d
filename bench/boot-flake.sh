#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# boot-flake.sh: how often does a lab kernel fail to boot under qemu?
#
#   bench/boot-flake.sh [-n BOOTS] [--kernel REL] [--accel A] [--cpu MODEL]
#                       [--smp SPEC] [--append ARGS] [--keep DIR]
#
# Boots REL (default: the newest lab kernel) BOOTS times (default 20) with the
# lab's initramfs (build/lab/REL/initramfs.cpio.gz, built by lab.sh) and a
# scenario name that does not exist: /init prints KLPT-SCENARIO-START, finds
# no scenario, prints its dmesg and powers off. A boot whose log has no
# KLPT-SCENARIO-START is an early-boot failure (what lab.sh retries once).
# Defaults are the lab's: --accel tcg --cpu max,la57=off --smp 2, kernel
# command line as lab.sh builds it. Prints one line per boot and a summary:
#   boot-flake REL accel=... cpu=... smp=... append='...': F/N early-boot failures (P%), int3 oopses K, median S s
# Failed boots' logs are kept in DIR (--keep, default build/boot-flake/).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
n=20 rel='' accel=tcg cpu=max,la57=off smp=2 append='' keep=$build/boot-flake
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=$2; shift ;;
	--kernel) rel=$2; shift ;;
	--accel) accel=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--smp) smp=$2; shift ;;
	--append) append=$2; shift ;;
	--keep) keep=$2; shift ;;
	*) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done
[ -n "$rel" ] || rel=$("$root/scripts/kernels.sh" | head -n 1)
initrd=$build/lab/$rel/initramfs.cpio.gz
if [ ! -s "$initrd" ]; then
	BUILD=$build "$root/scripts/mkinitramfs.sh" "$rel" "$initrd" >&2 || exit 1
fi
mkdir -p "$keep"
tmp=$(mktemp -d)
qpid=
trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
fail=0 slow=0 int3=0 times=()
for i in $(seq 1 "$n"); do
	log=$tmp/boot.log
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	timeout --kill-after=5 "${BOOT_TIMEOUT:-240}" qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -smp "$smp" \
		-m 1024 -nographic -nodefaults -no-reboot -kernel "$("$root/scripts/kernels.sh" --image "$rel")" \
		-initrd "$initrd" -serial "file:$log" -monitor none \
		-append "console=ttyS0 panic=-1 no_hash_pointers loglevel=5 klptop.scenario=boot-flake-none $append" \
		</dev/null >"$tmp/qemu.out" 2>&1 &
	qpid=$!
	wait "$qpid"
	qrc=$?
	qpid=
	dt=$(echo "$(date +%s.%N) - $t0" | bc)
	if grep -q '^KLPT-SCENARIO-START' "$log"; then
		times+=("$dt")
		printf 'boot %2d ok     %5.1f s\n' "$i" "$dt"
	else
		if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			slow=$((slow + 1)) # too slow (a loaded host), not a crash
		else
			fail=$((fail + 1))
		fi
		grep -q 'int3' "$log" && int3=$((int3 + 1))
		cp "$log" "$keep/$rel-$i.log"
		printf 'boot %2d FAILED %5.1f s (qemu %s): %s\n' "$i" "$dt" "$qrc" \
			"$(tr -d '\r' <"$log" | grep -E '^\[ *[0-9]+\.[0-9]+\]' | grep -m1 -E 'int3|Oops|BUG|panic' | cut -c1-120)"
	fi
done
med=$(printf '%s\n' "${times[@]:-0}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }')
printf "boot-flake %s accel=%s cpu=%s smp=%s append='%s': %d/%d early-boot failures (%d%%), int3 oopses %d, timeouts %d, median %s s\n" \
	"$rel" "$accel" "$cpu" "$smp" "$append" "$fail" "$n" $((fail * 100 / n)) "$int3" "$slow" "$med"
