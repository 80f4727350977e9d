# SPDX-License-Identifier: GPL-2.0
# check-conflicts: what else hooks the functions a patch replaces, said by
# klptop check and gate before the load, and then what really happens:
#  - a kprobe with a post_handler (upstream's test_klp_kprobe): the load
#    fails with EBUSY; check says so, gate refuses, insmod agrees; gate with
#    a COMMAND it cannot read names the holder after the failure;
#  - a kprobe without one, and BPF fentry/fexit programs: they keep seeing
#    every call once the patch is in (their hit counts go on rising);
#  - a kprobe inside the old body, and one on the replacement function of a
#    patch a cumulative patch replaces: they silently stop firing (counts
#    stay), and gate says to re-attach them once the transition completes.
# The BPF program is attached before the patch and detached after it is
# gone: on Debian's 6.1 the other order breaks the patch (see docs/check.md).
# lab-timeout: 300
. /lib/klptop/lib.sh

K=$KLPT_KMOD
LP=/sys/kernel/livepatch
HITS=/sys/module/klpt_kprobe/parameters/hits

# cj NAME RC MODULE JQ: klptop check --json on MODULE exits RC and JQ holds.
cj() {
	klptop check --json "$K/$3.ko" >"/tmp/$1.json" 2>"/tmp/$1.err"
	_rc=$?
	if [ "$_rc" = "$2" ]; then pass "$1-rc"; else fail "$1-rc" "exit $_rc, not $2"; fi
	check_json "$1" "/tmp/$1.json" "$4"
}

# gj NAME RC JQ CMD...: klptop gate --json -- CMD exits RC and JQ holds.
gj() {
	_n=$1 _want=$2 _jq=$3
	shift 3
	klptop gate --json -- "$@" >"/tmp/$_n.json" 2>"/tmp/$_n.err"
	_rc=$?
	if [ "$_rc" = "$_want" ]; then pass "$_n-rc"; else fail "$_n-rc" "exit $_rc, not $_want: $(tail -n 1 /tmp/$_n.err)"; fi
	check_json "$_n" "/tmp/$_n.json" "$_jq"
}

hits() { cat $HITS; }
read_cmdline() { cat /proc/cmdline >/dev/null; cat /proc/cmdline >/dev/null; }
# more NAME BEFORE AFTER: the count rose
more() { check "$1" test "$3" -gt "$2"; }
same() { check "$1" test "$3" -eq "$2"; }

# ---- a kprobe with a post_handler: the load fails ------------------------------
lp_load klpt_kprobe func=cmdline_proc_show post=1
cj post 1 klpt_lp_vmlinux \
	'.targets[0].findings[] | select(.code == "ipmodify_conflict") |
	 .severity == "error" and .hook.kind == "kprobe" and .hook.effect == "load_fails" and
	 .hook.function == "cmdline_proc_show" and .hook.at_entry == true'
klptop check "$K/klpt_lp_vmlinux.ko" >/tmp/post.txt 2>&1
sed 's/^/# /' /tmp/post.txt
check post-text grep -q 'ipmodify_conflict: a kprobe on cmdline_proc_show' /tmp/post.txt
gj gate-refuses 6 '.result == "refused" and
	any(.conflicts[]; .code == "ipmodify_conflict" and .function == "cmdline_proc_show")' \
	insmod "$K/klpt_lp_vmlinux.ko"
check refused-not-loaded test ! -d $LP/klpt_lp_vmlinux
check gate-refuses-text sh -c "klptop gate -- insmod $K/klpt_lp_vmlinux.ko 2>&1 | grep -q 'would fail to load'"
# the kernel agrees
if lp_try_load klpt_lp_vmlinux; then
	fail kernel-ebusy "insmod succeeded: $LP_OUT"
	lp_unload klpt_lp_vmlinux
else
	check kernel-ebusy sh -c "echo \"\$1\" | grep -qi 'busy'" _ "$LP_OUT"
fi
# a COMMAND gate cannot read: it fails, and gate names the holder after
gj gate-explains 8 '.result == "command_failed" and
	any(.dmesg[]; contains("failed to register ftrace handler for function")) and
	any(.conflicts[]; .code == "ipmodify_conflict" and .hook.kind == "kprobe")' \
	sh -c "insmod $K/klpt_lp_vmlinux.ko"
check_json gate-explains-names /tmp/gate-explains.json \
	'.conflicts[0].function == "cmdline_proc_show"'
rmmod klpt_kprobe

# ---- a kprobe without one keeps firing -----------------------------------------
lp_load klpt_kprobe func=cmdline_proc_show post=0
cj nopost 0 klpt_lp_vmlinux \
	'.summary.errors == 0 and (.targets[0].findings[] | select(.code == "hook_keeps_seeing_calls") |
	 .hook.kind == "kprobe" and .hook.effect == "keeps_seeing_calls")'
read_cmdline
h0=$(hits)
gj gate-nopost 0 '.result == "completed" and
	any(.conflicts[]; .hook.effect == "keeps_seeing_calls")' insmod "$K/klpt_lp_vmlinux.ko"
check patched sh -c "grep -q 'this has been live patched' /proc/cmdline"
read_cmdline
more nopost-keeps-firing "$h0" "$(hits)"
lp_unload klpt_lp_vmlinux
rmmod klpt_kprobe

# ---- a kprobe in the old body stops firing ---------------------------------------
lp_load klpt_kprobe func=cmdline_proc_show post=0 body=1
cj body 5 klpt_lp_vmlinux \
	'.targets[0].findings[] | select(.code == "hook_stops_seeing_calls") |
	 .severity == "warning" and .hook.at_entry == false and .hook.offset > 0 and
	 (.message | contains("re-attach it to livepatch_cmdline_proc_show in klpt_lp_vmlinux"))'
read_cmdline
h0=$(hits)
check body-fires-before test "$h0" -gt 0
klptop gate -- insmod "$K/klpt_lp_vmlinux.ko" >/tmp/gate-body.out 2>&1
check gate-body-rc test $? = 0
check gate-body-reattach grep -q 're-attach them to the new functions' /tmp/gate-body.out
sed 's/^/# /' /tmp/gate-body.out
# Counted from after the switch: klptop itself reads /proc/cmdline (idle=poll)
# before it, through the old body.
h1=$(hits)
read_cmdline
same body-stops-firing "$h1" "$(hits)"
lp_unload klpt_lp_vmlinux
rmmod klpt_kprobe

# ---- BPF fentry and fexit keep seeing calls ----------------------------------------
rm -f /tmp/bh
bpf-hook cmdline_proc_show /tmp/bh >/tmp/bh.out 2>&1 &
bh=$!
if wait_until 60 test -s /tmp/bh; then
	cj bpf 0 klpt_lp_vmlinux \
		'[.targets[0].findings[] | select(.code == "hook_keeps_seeing_calls") | .hook.kind] |
		 (index("bpf_fentry") != null) and (index("bpf_fexit") != null)'
	check_json bpf-names-prog /tmp/bpf.json \
		'any(.targets[0].findings[]; .hook.detail | test("prog on_entry \\(id [0-9]+\\), link [0-9]+"))'
	read_cmdline
	sleep 0.3
	b0=$(cut -d' ' -f2 /tmp/bh) x0=$(cut -d' ' -f4 /tmp/bh)
	gj gate-bpf 0 '.result == "completed"' insmod "$K/klpt_lp_vmlinux.ko"
	read_cmdline
	sleep 0.3
	more bpf-fentry-keeps "$b0" "$(cut -d' ' -f2 /tmp/bh)"
	more bpf-fexit-keeps "$x0" "$(cut -d' ' -f4 /tmp/bh)"
	lp_unload klpt_lp_vmlinux
else
	fail bpf-attach "bpf-hook did not attach: $(cat /tmp/bh.out)"
fi
kill $bh 2>/dev/null
wait $bh 2>/dev/null

# ---- a cumulative replace: a kprobe on the replaced patch's function ---------------
lp_load klpt_target
lp_load klpt_lp_a
check a-done lp_wait_transition klpt_lp_a
lp_load klpt_kprobe func=livepatch_klpt_func_a post=0
cat $KLPT_DEBUGFS/func_a >/dev/null
h0=$(hits)
check newfunc-fires-before test "$h0" -gt 0
cj replace 5 klpt_lp_replace \
	'.replace == true and (.findings[] | select(.code == "hook_stops_seeing_calls") |
	 .hook.function == "livepatch_klpt_func_a" and .hook.object == "klpt_lp_a" and
	 (.message | contains("klpt_lp_a, which this cumulative patch replaces")))'
gj gate-replace 0 '.result == "completed" and
	any(.conflicts[]; .hook.function == "livepatch_klpt_func_a" and .hook.effect == "stops_seeing_calls")' \
	insmod "$K/klpt_lp_replace.ko"
check replaced sh -c "grep -q a-replaced $KLPT_DEBUGFS/func_a"
cat $KLPT_DEBUGFS/func_a >/dev/null
same newfunc-stops-firing "$h0" "$(hits)"
rmmod klpt_kprobe
lp_unload klpt_lp_replace
wait_until 30 test ! -d $LP/klpt_lp_a
rmmod klpt_lp_a 2>/dev/null
check target-removed rmmod klpt_target
