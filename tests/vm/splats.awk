# SPDX-License-Identifier: GPL-2.0
# splats.awk: find kernel splats in a lab console log.
#   awk -f splats.awk LOG LOG      (two passes over the same file)
# Environment: SPLAT_ALLOW: newline-separated EREs (a "# lab-allow-splat:"
# header each); a splat whose text matches one of them is intended.
# Output, one line per splat: "allowed <trigger line>" or
# "unexpected <trigger line>".
#
# Only kernel lines are judged, never the scenario's or klptop's own output:
# the lines between KLPT-DMESG-BEGIN and KLPT-DMESG-END (the complete kernel
# log), and console lines carrying a printk timestamp ("[    1.234567] ")
# outside that block: after it (a splat during poweroff), or everywhere when
# the block never came (the guest crashed or hung; the console then shows
# messages of level warning and above, which includes every splat).
#
# A splat is one report: optional header lines ("cut here", "NMI backtrace
# for cpu", "CPU: N PID:", "sysrq:", followed only by report-shaped lines such
# as "Hardware name:" or registers), the trigger line, and its body up to
# "</TASK>", "---[ end", "Kernel Offset:" or 150 lines. Triggers are the
# precise forms the kernel prints (WARN() prints "WARNING: CPU: N PID:", so
# "RETBleed: WARNING: ..." mitigation notices are not splats), and a
# "Call Trace:" that no trigger announced (dump_stack, NMI backtraces).
# The allow EREs are matched against the whole report, header to end.

function strip(s) {
	sub(/\r$/, "", s)
	sub(/^<[0-9]+>/, "", s)
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "", s)
	sub(/^\[ *[CT][0-9]+\] /, "", s)
	return s
}

function is_trigger(s) {
	if (s ~ /^---\[ end /)
		return 0
	return s ~ /^(.*: )?BUG: / || s ~ /kernel BUG at / ||
		s ~ /WARNING: CPU: [0-9]+ PID: / ||
		s ~ /^WARNING: (possible|suspicious|inconsistent|bad unlock|held lock|lock held|nested lock|Nested lock)/ ||
		s ~ /Oops: / || s ~ /Kernel panic/ ||
		s ~ /soft lockup/ || s ~ /hard LOCKUP/ ||
		s ~ /rcu_[a-z_]+ (self-)?detected stall/ ||
		s ~ /INFO: task .* blocked for more than/ ||
		s ~ /general protection fault/ ||
		s ~ /^(UBSAN|KASAN|KFENCE): / ||
		s ~ /Call Trace:/
}

function is_header(s) {
	return s ~ /cut here/ || s ~ /^NMI backtrace for cpu/ ||
		s ~ /^CPU: [0-9]+ (UID: [0-9]+ )?PID: / || s ~ /^sysrq: / ||
		s ~ /^Sending NMI from CPU/
}

# Lines a report carries between its header and its trigger.
function is_report(s) {
	return s ~ /^(Hardware name|Modules linked in|Workqueue|RIP|Code|RSP|RAX|RDX|RBP|R10|R13|FS|CS|CR2|DR0|DR3|DR6|PKRU): / ||
		s ~ /^task:[^ ]+ +state:/ || s ~ /^ *(Not tainted|Tainted: )/
}

function is_end(s) {
	return s ~ /<\/TASK>/ || s ~ /---\[ end / || s ~ /^Kernel Offset:/
}

function finish(   i, ok) {
	ok = 0
	for (i = 1; i <= nallow; i++)
		if (text ~ allow[i])
			ok = 1
	print (ok ? "allowed " : "unexpected ") first
	insplat = 0
	pending = ""
	npending = 0
}

function kernel_line(s) {
	if (insplat) {
		text = text "\n" s
		body++
		if (is_end(s) || body >= 150)
			finish()
		return
	}
	if (is_trigger(s)) {
		insplat = 1
		body = 0
		first = s
		if (s ~ /^Call Trace:/ && pending != "") {
			split(pending, hl, "\n")
			first = hl[1] " ... Call Trace:"
		}
		text = pending (pending == "" ? "" : "\n") s
		pending = ""
		npending = 0
		return
	}
	if (s ~ /cut here/) {
		pending = ""
		npending = 0
	}
	if (is_header(s) || (npending > 0 && is_report(s))) {
		pending = pending (pending == "" ? "" : "\n") s
		if (++npending > 60) {
			pending = ""
			npending = 0
		}
	} else {
		pending = ""
		npending = 0
	}
}

BEGIN {
	nallow = split(ENVIRON["SPLAT_ALLOW"], tmp, "\n")
	n = 0
	for (i = 1; i <= nallow; i++)
		if (tmp[i] != "")
			allow[++n] = tmp[i]
	nallow = n
	indmesg = 0
	saw_dmesg = 0
}

# Two passes over the same file: the first learns whether the dmesg block is
# there, the second judges.
FNR == 1 { pass_no++ }
pass_no == 1 {
	if ($0 ~ /^KLPT-DMESG-BEGIN/)
		saw_dmesg = 1
	next
}
{
	line = $0
	sub(/\r$/, "", line)
	if (line ~ /^KLPT-DMESG-BEGIN/) { indmesg = 1; after = 0; next }
	if (line ~ /^KLPT-DMESG-END/) { indmesg = 0; after = 1; next }
	if (indmesg) {
		kernel_line(strip(line))
	} else if ((!saw_dmesg || after) && line ~ /^(<[0-9]+>)?\[ *[0-9]+\.[0-9]+\] /) {
		kernel_line(strip(line))
	}
}
END {
	if (insplat)
		finish()
}
