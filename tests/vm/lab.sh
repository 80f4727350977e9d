#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lab.sh: boot lab kernels under qemu and run scenarios in them.
#
#   lab.sh [--results DIR] [--kernel REL]... [-j N] [--keep] [SCENARIO...]
#   lab.sh --demo [--kernel REL] [demo]
#
# Kernels default to every release scripts/kernels.sh prints (host and sid
# chroot); scenarios to every tests/vm/scenarios/*.sh except demo.sh and
# bench-*.sh (benchmarks: run by name, e.g. by bench/transition-bench.sh).
# For each kernel the initramfs is built once (build/lab/REL/initramfs.cpio.gz),
# then each scenario boots in its own VM, its console saved to
# build/lab/REL/SCENARIO.log. -j N runs N VMs at once (default: the number of
# CPUs; each TCG VM keeps one busy), longest first by the durations of earlier
# runs (build/lab/durations).
#
# Nothing is left out silently: a kernel that cannot run (no sid chroot, see
# scripts/sid-chroot.sh; no image; no initramfs) gets a SKIP or FAIL line
# naming it and why, and a scenario excluded by lab-kernels a SKIP line.
#
# Results (DIR, default build/results): one file per kernel and scenario,
# lab-REL-SCENARIO.txt, with lines "PASS lab/REL/SCENARIO/TEST" or
# "FAIL lab/REL/SCENARIO/TEST: message" (also SKIP and NOTE lines), and
# lab-detector.txt from the splat detector's self-test. Besides the
# scenario's own KLPT-RESULT lines, two tests per run:
#   finished     the scenario ran to KLPT-SCENARIO-DONE (not a timeout, a
#                crash or a scenario that died without a failing result);
#   clean-dmesg  no kernel splat other than those the scenario allows.
# An early-boot failure (the kernel never printed KLPT-SCENARIO-START) is
# retried once, and said so; a failure after the scenario started never is.
#
# Scenario header keys (comment lines "# lab-KEY: value" anywhere in it):
#   lab-append: ARGS        extra kernel command line (e.g. preempt=full)
#   lab-timeout: SECONDS    whole boot-to-poweroff limit (default 120), in
#                           qemu's CPU time; the wall-clock limit is the same
#                           times the host's load per CPU at boot (at most 4x),
#                           so a VM starved by a busy host is not called hung
#   lab-smp: N              CPUs (default 2)
#   lab-mem: MB             memory (default 1024)
#   lab-allow-splat: ERE    a kernel splat matching ERE is intended (repeatable)
#   lab-expect-splat: ERE   like allow, and test expected-splat fails if no
#                           splat matches (proves the detector sees it)
#   lab-kernels: GLOB...    run only on kernels matching one of the globs
#
# --keep keeps the unpacked initramfs (build/lab/REL/initramfs/) and the
# first-attempt logs of retried boots even when the retry passed; --demo boots one scenario (default demo) with the
# console on this terminal (Ctrl-A X leaves qemu). Exit status: 1 if any
# test failed.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
vm=$root/tests/vm
build=${BUILD:-$root/build}
results=$build/results
# shellcheck source=../../scripts/lab-env.sh
. "$root/scripts/lab-env.sh"
kernels=()
scenarios=()
demo=0
keep=0
jobs=$(nproc 2>/dev/null || echo 1)

usage() {
	sed -n '3,5p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--results) results=${2:?--results needs a directory}; shift ;;
	--results=*) results=${1#*=} ;;
	--kernel) kernels+=("${2:?--kernel needs a release}"); shift ;;
	--kernel=*) kernels+=("${1#*=}") ;;
	-j|--jobs) jobs=${2:?$1 needs a number}; shift ;;
	-j*) jobs=${1#-j} ;;
	--jobs=*) jobs=${1#*=} ;;
	--demo) demo=1 ;;
	--keep) keep=1 ;;
	-h|--help) usage ;;
	-*) echo "lab: unknown option $1" >&2; usage ;;
	*) scenarios+=("${1%.sh}") ;;
	esac
	shift
done

case $jobs in '' | *[!0-9]* | 0) echo "lab: -j needs a positive number, not '$jobs'" >&2; exit 2 ;; esac
all_kernels=0
if [ ${#kernels[@]} -eq 0 ]; then
	mapfile -t kernels < <("$root/scripts/kernels.sh")
	all_kernels=1
fi
if [ ${#kernels[@]} -eq 0 ]; then
	echo "lab: no lab kernel installed (CONFIG_LIVEPATCH image + headers): run 'make deps'" >&2
	exit 1
fi
if [ ${#scenarios[@]} -eq 0 ]; then
	if [ $demo = 1 ]; then
		scenarios=(demo)
	else
		for f in "$vm"/scenarios/*.sh; do
			n=$(basename "$f" .sh)
			case $n in demo | bench-*) ;; *) scenarios+=("$n") ;; esac
		done
	fi
fi
for s in "${scenarios[@]}"; do
	[ -f "$vm/scenarios/$s.sh" ] || { echo "lab: no scenario $vm/scenarios/$s.sh" >&2; exit 2; }
done
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "lab: qemu-system-x86_64 missing: run 'make deps'" >&2; exit 1; }

# qemu must not outlive us: each job kills its own VM when told to stop
# (TERM), and we tell every running job.
qpid=
declare -A running=()
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	qpid=
	local p
	for p in "${!running[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${!running[@]}"; do wait "$p" 2>/dev/null; done
	running=()
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# shellcheck disable=SC2054 # commas belong to the -cpu value
accel=(-accel tcg -cpu max,la57=off)
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	# shellcheck disable=SC2054
	accel=(-accel kvm -cpu max,la57=off)
fi

header() { # header SCENARIO KEY: values of "# lab-KEY:" lines
	sed -n "s/^# lab-$2:[[:space:]]*//p" "$vm/scenarios/$1.sh" | sed 's/[[:space:]]*$//'
}

qemu_args() { # qemu_args REL SCENARIO INITRD EXTRA_APPEND
	local smp mem append
	smp=$(header "$2" smp | tail -n 1)
	mem=$(header "$2" mem | tail -n 1)
	local -a acc=("${accel[@]}")
	append="console=ttyS0 panic=-1 no_hash_pointers loglevel=5 klptop.scenario=$2"
	# Under TCG, every kernel: the kernel patches its own text (jump labels,
	# static calls, ftrace, kprobes, live patches) with text_poke_bp while
	# the other vCPU executes it, and multi-threaded TCG sometimes lets that
	# vCPU run a half-updated instruction: "Oops: int3" on 6.12, and on 6.1 a
	# call to address 0 in a function being live-patched (seen in the
	# transition-spin scenario, before klptop ran). Hardware does not do this.
	# Single-threaded TCG runs both vCPUs on one host thread: no cross-vCPU
	# race. no_timer_check: a starved TCG guest can fail the IO-APIC timer
	# check at boot. See docs/kernels.md.
	if [ "${acc[1]}" = tcg ]; then
		acc[1]=tcg,thread=single
		append+=" no_timer_check"
	fi
	append+=" $(header "$2" append | tr '\n' ' ')$4"
	echo "${acc[@]}" -smp "${smp:-2}" -m "${mem:-1024}" -nographic -nodefaults \
		-no-reboot -kernel "$(image "$1")" -initrd "$3"
	printf '%s\n' "$append"
}

image() { # image REL: the kernel image's host path, wherever it lives
	"$root/scripts/kernels.sh" --image "$1" 2>/dev/null
}

mkinitrd() { # mkinitrd REL: prints the initramfs path
	local out=$build/lab/$1/initramfs.cpio.gz
	mkdir -p "$build/lab/$1"
	if [ $keep = 1 ]; then
		KLPT_KEEP_STAGE=$build/lab/$1/initramfs BUILD=$build "$root/scripts/mkinitramfs.sh" "$1" "$out" >&2 || return 1
	else
		BUILD=$build "$root/scripts/mkinitramfs.sh" "$1" "$out" >&2 || return 1
	fi
	echo "$out"
}

if [ $demo = 1 ]; then
	rel=${kernels[0]} s=${scenarios[0]}
	initrd=$(mkinitrd "$rel") || exit 1
	# Asked here, on our own stdin/stdout: inside the process substitution
	# below stdout is a pipe, and every terminal would look like none.
	interactive=0 rows=24 cols=80
	if [ -t 0 ] && [ -t 1 ]; then
		interactive=1
		read -r rows cols < <(stty size <&0 2>/dev/null || echo 24 80)
	fi
	mapfile -t qa < <(qemu_args "$rel" "$s" "$initrd" \
		"klptop.term=${TERM:-vt220} klptop.rows=$rows klptop.cols=$cols klptop.interactive=$interactive")
	echo "lab: booting $rel with scenario $s (Ctrl-A X leaves qemu)"
	# shellcheck disable=SC2086
	exec qemu-system-x86_64 ${qa[0]} -serial mon:stdio -append "${qa[1]}"
fi

# --- verdicts ----------------------------------------------------------------
mkdir -p "$results"
"$vm/splat-test.sh" "$results" || true

# judge REL SCENARIO LOG RETRIED OUT: write the result file for one run.
judge() {
	local rel=$1 s=$2 log=$3 retried=$4 out=$5 id="lab/$1/$2"
	local allow expect splats bad rc nres
	: >"$out"
	[ "$retried" = 1 ] && echo "NOTE $id: retried once after an early-boot failure" >>"$out"
	tr -d '\r' <"$log" | sed -n 's/^KLPT-RESULT \(PASS\|FAIL\|SKIP\) /\1 /p' |
		while read -r verdict rest; do
			echo "$verdict $id/$rest"
		done >>"$out"
	nres=$(grep -c '^KLPT-RESULT ' "$log")

	if grep -q '^KLPT-SCENARIO-DONE' "$log"; then
		rc=$(tr -d '\r' <"$log" | sed -n 's/^KLPT-SCENARIO-DONE rc=//p' | tail -n 1)
		if [ "$nres" -eq 0 ]; then
			echo "FAIL $id/finished: scenario reported no result (rc=$rc)" >>"$out"
		elif [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$out"; then
			echo "FAIL $id/finished: scenario exited rc=$rc without a failing result" >>"$out"
		else
			echo "PASS $id/finished" >>"$out"
		fi
	elif ! grep -q '^KLPT-SCENARIO-START' "$log"; then
		echo "FAIL $id/finished: early-boot failure: the kernel never reached the scenario (qemu status $qrc$([ "$retried" = 1 ] && echo ", also on the retry"); last kernel line: $(last_kernel_line "$log"))" >>"$out"
	elif [ "$qrc" = 152 ]; then
		echo "FAIL $id/finished: timed out: qemu used its ${timeout}s of CPU time inside the scenario (no KLPT-SCENARIO-DONE)" >>"$out"
	elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		echo "FAIL $id/finished: timed out after ${wall}s of wall-clock time inside the scenario (limit ${timeout}s x the host's load; no KLPT-SCENARIO-DONE)" >>"$out"
	else
		echo "FAIL $id/finished: the guest died inside the scenario (qemu status $qrc, no KLPT-SCENARIO-DONE; last kernel line: $(last_kernel_line "$log"))" >>"$out"
	fi

	allow=$(header "$s" allow-splat; header "$s" expect-splat)
	expect=$(header "$s" expect-splat)
	splats=$(SPLAT_ALLOW=$allow awk -f "$vm/splats.awk" "$log" "$log")
	bad=$(grep -c '^unexpected ' <<<"$splats")
	if [ "$bad" -gt 0 ]; then
		echo "FAIL $id/clean-dmesg: $bad kernel splat(s), first: $(grep -m1 '^unexpected ' <<<"$splats" | cut -d' ' -f2-)" >>"$out"
	else
		echo "PASS $id/clean-dmesg" >>"$out"
	fi
	if [ -n "$expect" ]; then
		local missing=
		while IFS= read -r ere; do
			SPLAT_ALLOW=$ere awk -f "$vm/splats.awk" "$log" "$log" | grep -q '^allowed ' ||
				missing+="${missing:+, }'$ere'"
		done <<<"$expect"
		if [ -n "$missing" ]; then
			echo "FAIL $id/expected-splat: no kernel splat matched $missing" >>"$out"
		else
			echo "PASS $id/expected-splat" >>"$out"
		fi
	fi
}

last_kernel_line() {
	tr -d '\r' <"$1" | grep -E '^\[ *[0-9]+\.[0-9]+\]' | tail -n 1 | cut -c1-160
}

# wall_limit TIMEOUT: the wall-clock limit of one VM. The scenario's timeout
# is guest time; a TCG VM starved by a loaded host (other VMs, other users)
# gets less than one CPU, so the limit grows with the load per CPU at boot,
# up to 4 times. The CPU-time limit below stays the scenario's own.
wall_limit() {
	awk -v t="$1" -v n="$(nproc)" '{ f = $1 / n; if (f < 1) f = 1; if (f > 4) f = 4; printf "%d\n", t * f + 0.5 }' /proc/loadavg
}

# boot REL SCENARIO INITRD LOG: one VM run under the limits; sets qrc and
# wall (the wall-clock limit applied).
boot() {
	local -a qa
	mapfile -t qa < <(qemu_args "$1" "$2" "$3" "")
	rm -f "$4"
	wall=$(wall_limit "$timeout")
	# shellcheck disable=SC2086
	timeout --kill-after=10 "$wall" prlimit --cpu="$timeout:$((timeout + 10))" qemu-system-x86_64 ${qa[0]} \
		-serial "file:$4" -monitor none -append "${qa[1]}" </dev/null >"$4.qemu" 2>&1 &
	qpid=$!
	wait "$qpid"
	qrc=$?
	qpid=
	[ -s "$4.qemu" ] || rm -f "$4.qemu"
	touch "$4"
}

# run_one REL SCENARIO INITRD: one scenario in its own VM (retried once
# after an early-boot failure); writes its result file, and its progress
# block (the line and, on failure, the failures and the log's end) to
# OUT.progress for the parent to print in one piece.
run_one() {
	local rel=$1 s=$2 initrd=$3 out=$results/lab-$1-$2.txt t0 retried=0
	local log=$build/lab/$rel/$s.log np nf ns
	trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null; exit 143' TERM
	timeout=$(header "$s" timeout | tail -n 1)
	timeout=${timeout:-120}
	t0=$(date +%s)
	exec >"$out.progress"
	printf 'lab %s %s ... ' "$rel" "$s"
	boot "$rel" "$s" "$initrd" "$log"
	if ! grep -q '^KLPT-SCENARIO-START' "$log"; then
		mv "$log" "$build/lab/$rel/$s.boot1.log"
		printf 'early-boot failure (qemu status %s, see %s), retrying ... ' \
			"$qrc" "$build/lab/$rel/$s.boot1.log"
		retried=1
		boot "$rel" "$s" "$initrd" "$log"
	fi
	judge "$rel" "$s" "$log" "$retried" "$out"
	np=$(grep -c '^PASS ' "$out")
	nf=$(grep -c '^FAIL ' "$out")
	ns=$(grep -c '^SKIP ' "$out")
	printf '%d passed, %d failed%s (%d s)\n' "$np" "$nf" \
		"$([ "$ns" -gt 0 ] && echo ", $ns skipped")" $(($(date +%s) - t0))
	echo "$rel $s $(($(date +%s) - t0))" >"$out.duration"
	if [ "$nf" -gt 0 ]; then
		grep '^FAIL ' "$out" | sed 's/^/    /'
		if grep -q '^KLPT-DMESG-BEGIN' "$log"; then
			echo "    --- scenario output (last 40 lines) of $log ---"
			tr -d '\r' <"$log" | sed -n '/^KLPT-SCENARIO-START/,/^KLPT-DMESG-BEGIN/p' |
				tail -n 40 | sed 's/^/    | /'
		else
			echo "    --- last 40 lines of $log ---"
			tr -d '\r' <"$log" | tail -n 40 | sed 's/^/    | /'
		fi
		return 1
	fi
	[ $keep = 1 ] || rm -f "$build/lab/$rel/$s.boot1.log"
}

# excluded REL SCENARIO: the scenario's lab-kernels globs leave REL out.
excluded() {
	local globs g
	globs=$(header "$2" kernels)
	[ -n "$globs" ] || return 1
	for g in $globs; do
		# shellcheck disable=SC2254
		case $1 in $g) return 1 ;; esac
	done
	return 0
}

total_fail=0
# The newest kernel lives in the sid chroot: when it could not be made, say
# so in the results instead of running on fewer kernels without a word.
if [ $all_kernels = 1 ] && [ -s "$KLPT_SID_DOWN" ]; then
	echo "SKIP lab/sid-kernel: the newest lab kernel (Debian sid) did not run: $(head -n 1 "$KLPT_SID_DOWN")" \
		>"$results/lab-sid-kernel.txt"
	echo "lab: no sid kernel: $(head -n 1 "$KLPT_SID_DOWN")"
fi

# The job list: "REL SCENARIO" with an estimate of its duration, longest
# first, so that the last VMs to start are short ones.
durations=$build/lab/durations
mkdir -p "$build/lab"
declare -A initrds=()
joblist=()
for rel in "${kernels[@]}"; do
	if [ -z "$(image "$rel")" ]; then
		echo "FAIL lab/$rel/kernel: no image of $rel (scripts/kernels.sh does not list it)" >"$results/lab-$rel-kernel.txt"
		echo "lab $rel: no kernel image"
		total_fail=1
		continue
	fi
	if ! initrds[$rel]=$(mkinitrd "$rel"); then
		echo "FAIL lab/$rel/initramfs: mkinitramfs.sh failed" >"$results/lab-$rel-initramfs.txt"
		echo "lab $rel: initramfs build failed"
		total_fail=1
		continue
	fi
	for s in "${scenarios[@]}"; do
		if excluded "$rel" "$s"; then
			echo "SKIP lab/$rel/$s: lab-kernels '$(header "$s" kernels | tr '\n' ' ' | sed 's/ $//')' excludes $rel" \
				>"$results/lab-$rel-$s.txt"
			echo "lab $rel $s ... skipped (lab-kernels)"
			continue
		fi
		est=$(awk -v r="$rel" -v s="$s" '$1 == r && $2 == s { d = $3 } END { print d }' "$durations" 2>/dev/null)
		[ -n "$est" ] || est=$(header "$s" timeout | tail -n 1)
		joblist+=("${est:-120} $rel $s")
	done
done
mapfile -t joblist < <(printf '%s\n' "${joblist[@]}" | sort -rn -k1,1)
[ ${#joblist[@]} -gt 0 ] && [ -n "${joblist[0]}" ] || joblist=()
[ ${#joblist[@]} -gt 0 ] && echo "lab: ${#joblist[@]} runs on ${#kernels[@]} kernel(s), $jobs at a time"

declare -A outs=()
# reap: wait for one job, print its progress block, record its duration.
reap() {
	local pid rc
	wait -n -p pid
	rc=$?
	[ -n "$pid" ] || return 0
	cat "${outs[$pid]}.progress" 2>/dev/null
	if [ -s "${outs[$pid]}.duration" ]; then
		cat "${outs[$pid]}.duration" >>"$durations"
	fi
	rm -f "${outs[$pid]}.progress" "${outs[$pid]}.duration"
	[ "$rc" = 0 ] || total_fail=1
	unset "running[$pid]" "outs[$pid]"
}
for job in "${joblist[@]}"; do
	read -r _ rel s <<<"$job"
	while [ ${#running[@]} -ge "$jobs" ]; do reap; done
	run_one "$rel" "$s" "${initrds[$rel]}" &
	running[$!]=1
	outs[$!]=$results/lab-$rel-$s.txt
done
while [ ${#running[@]} -gt 0 ]; do reap; done
# Keep the newest duration of each run only.
if [ -f "$durations" ]; then
	tac "$durations" | awk '!seen[$1 " " $2]++' >"$durations.tmp" && mv "$durations.tmp" "$durations"
fi
exit $total_fail
