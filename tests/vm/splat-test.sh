#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# splat-test.sh DIR: self-test of the splat detector (splats.awk) on console
# logs in tests/vm/fixtures/: one real (sysrq-backtrace.log, captured from the
# splat-selftest scenario; clean-boot.log, a real smoke boot) and composed
# ones in the kernel's formats. Writes DIR/lab-detector.txt with
# "PASS lab/detector/<case>" or "FAIL lab/detector/<case>: ...".
# The lab's own splat-selftest scenario checks the same on a live kernel.
set -uo pipefail
vm=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: splat-test.sh DIR}
mkdir -p "$dir"
out=$dir/lab-detector.txt
: >"$out"
fail=0

# case NAME FIXTURE ALLOW EXPECTED: EXPECTED is the detector's output, lines
# joined with " | " ("" when no splat may be found).
case_() {
	local got
	got=$(SPLAT_ALLOW=$3 awk -f "$vm/splats.awk" "$vm/fixtures/$2" "$vm/fixtures/$2" |
		sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/ | /g')
	if [ "$got" = "$4" ]; then
		echo "PASS lab/detector/$1" >>"$out"
	else
		echo "FAIL lab/detector/$1: $2 (allow '$3'): expected '$4', got '$got'" >>"$out"
		fail=1
	fi
}

warn='WARNING: CPU: 1 PID: 123 at kernel/livepatch/transition.c:88 klp_complete_transition+0x1a/0x200'
sysrq='sysrq: Show backtrace of all active CPUs ... Call Trace:'
lockup='watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [klpt_spin:140]'
kfree='WARNING: CPU: 0 PID: 1 at mm/slub.c:4500 kfree+0x200/0x210'

case_ clean-boot clean-boot.log '' ''
case_ warn-found warn.log '' "unexpected $warn"
case_ warn-allowed warn.log 'klp_transition_work_fn' "allowed $warn"
case_ warn-other-allow warn.log 'nmi_cpu_backtrace' "unexpected $warn"
case_ sysrq-found sysrq-backtrace.log '' "unexpected $sysrq"
case_ sysrq-allowed sysrq-backtrace.log 'nmi_cpu_backtrace' "allowed $sysrq"
case_ crash-no-dmesg crash.log '' \
	'unexpected BUG: kernel NULL pointer dereference, address: 0000000000000008 | unexpected Kernel panic - not syncing: Fatal exception'
case_ lockup-allowed-warn-not lockup-then-warn.log 'klpt_spin' \
	"allowed $lockup | unexpected $kfree"
case_ lockup-both-found lockup-then-warn.log '' \
	"unexpected $lockup | unexpected $kfree"
exit $fail
