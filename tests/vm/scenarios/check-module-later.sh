# SPDX-License-Identifier: GPL-2.0
# check-module-later: a patch for a module that is not loaded yet (the case
# of upstream's test_klp_mod_patch / test_klp_mod_target, "livepatch
# first"). check says the object is not loaded and cannot be checked now;
# gate loads the patch (its transition has nothing to switch for the
# absent object); when the module loads, the kernel patches it at once
# (klp_module_coming, no transition): status shows the object patched, and
# the module runs the new code. Then the other order, checked: the module
# loaded first, the patch found clean.
# lab-timeout: 150
. /lib/klptop/lib.sh

K=$KLPT_KMOD
LP=/sys/kernel/livepatch

check target-absent sh -c "! grep -q '^klpt_target ' /proc/modules"
klptop check --json "$K/klpt_lp_a.ko" >/tmp/c1.json 2>/tmp/c1.err
check check-absent-rc test $? = 0
check_json check-absent /tmp/c1.json \
	'.verdict == "ok" and .targets[0].object == "klpt_target" and
	 .targets[0].address == null and
	 ([.targets[0].findings[].code] == ["object_not_loaded"])'
klptop gate --json -- insmod "$K/klpt_lp_a.ko" >/tmp/g1.json 2>/tmp/g1.err
check gate-rc test $? = 0
check_json gate-loaded /tmp/g1.json '.result == "completed" and .patch == "klpt_lp_a"'
klptop status --json >/tmp/s1.json 2>/dev/null
check_json status-not-patched /tmp/s1.json \
	'.patches[] | select(.name == "klpt_lp_a") | .enabled == true and
	 (.objects[] | select(.name == "klpt_target") | .patched == false)'

dmesg_mark
klptop gate --json -- insmod "$K/klpt_target.ko" >/tmp/g2.json 2>/tmp/g2.err
check gate-target-rc test $? = 0
check_json gate-target /tmp/g2.json '.result == "no_transition"'
dmesg_since_mark >/tmp/dm.txt
check coming-applied grep -q "applying patch 'klpt_lp_a' to loading module 'klpt_target'" /tmp/dm.txt
check runs-new-code sh -c "grep -q a-patched $KLPT_DEBUGFS/func_a"
klptop status --json >/tmp/s2.json 2>/dev/null
check_json status-patched /tmp/s2.json \
	'.transition == null and (.patches[] | select(.name == "klpt_lp_a") |
	 .objects[] | select(.name == "klpt_target") | .patched == true)'
klptop check --json "$K/klpt_lp_a.ko" >/tmp/c2.json 2>/dev/null
check check-loaded-rc test $? = 1
check_json check-already-loaded /tmp/c2.json 'any(.findings[]; .code == "already_loaded")'

lp_unload klpt_lp_a
check back-to-old sh -c "grep -q a-orig $KLPT_DEBUGFS/func_a"
klptop check --json "$K/klpt_lp_a.ko" >/tmp/c3.json 2>/dev/null
check check-present-rc test $? = 0
check_json check-present /tmp/c3.json \
	'.verdict == "ok" and .targets[0].address != null and (.targets[0].findings | length) == 0'
check target-removed rmmod klpt_target
