# SPDX-License-Identifier: GPL-2.0
# smoke: the lab itself works. Livepatch sysfs is there, the sample-style
# patch klpt_lp_vmlinux (replaces cmdline_proc_show) loads, completes its
# transition, changes /proc/cmdline, taints the kernel with K, and unloads.
# lab-timeout: 90
. /lib/klptop/lib.sh

check livepatch-sysfs test -d /sys/kernel/livepatch
check btf test -r /sys/kernel/btf/vmlinux
check tracefs test -e /sys/kernel/tracing/available_filter_functions
check jq-runs sh -c 'echo "{\"a\":1}" | jq -e ".a == 1"'
if command -v klptop >/dev/null; then
	check klptop-version klptop --version
else
	skip klptop-version "no /bin/klptop in the initramfs"
fi

if ! lp_has klpt_lp_vmlinux; then
	skip livepatch-load "klpt_lp_vmlinux.ko not built (make kmod)"
	exit 0
fi
orig=$(cat /proc/cmdline)
lp_load klpt_lp_vmlinux
check enabled lp_wait_enabled klpt_lp_vmlinux 10
check transition-done lp_wait_transition klpt_lp_vmlinux 30
patched=$(cat /proc/cmdline)
log "/proc/cmdline now: $patched"
if [ "$patched" != "$orig" ] && echo "$patched" | grep -qi 'live *patch'; then
	pass cmdline-patched
else
	fail cmdline-patched "/proc/cmdline not replaced: '$patched'"
fi
check taint-K tainted_bit 15
lp_unload klpt_lp_vmlinux && pass unloaded
check cmdline-restored test "$(cat /proc/cmdline)" = "$orig"
