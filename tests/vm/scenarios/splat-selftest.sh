# SPDX-License-Identifier: GPL-2.0
# splat-selftest: prove that the lab's splat detector sees a real kernel
# splat. SysRq-l makes the kernel print a backtrace of every active CPU
# ("NMI backtrace for cpu N" + "Call Trace:"), a harmless splat the stock
# kernel can produce on demand. The header below expects it: if the
# detector missed it, test expected-splat would fail; if it flagged it as
# unexpected, clean-dmesg would.
# lab-expect-splat: sysrq_handle_showallcpus|nmi_cpu_backtrace
# The other CPU's backtrace, when it is not idle (6.12 often): its stack is
# whatever it ran, announced by the sending CPU's line.
# lab-allow-splat: Sending NMI from CPU [0-9]+ to CPUs
# lab-timeout: 60
. /lib/klptop/lib.sh

dmesg_mark
echo l >/proc/sysrq-trigger
if wait_until 10 sh -c 'dmesg | grep -q "Call Trace:"'; then
	pass sysrq-backtrace
else
	fail sysrq-backtrace "no Call Trace in dmesg after SysRq-l"
fi
dmesg_since_mark | head -n 40
