# SPDX-License-Identifier: GPL-2.0
# check-klpbuild: a patch module in klp-build's shape (6.19+: no static
# klp_patch; .init.klp_objects / .init.klp_funcs built into one at init,
# replace by default; umask(2) through KLP_SYSCALL_DEFINE1, which emits the
# x64 and ia32 entry points). check reads it like a classic module; gate
# loads it; it replaces klpt_lp_b as a cumulative patch does.
# lab-kernels: 7.*
# lab-timeout: 150
. /lib/klptop/lib.sh

K=$KLPT_KMOD
LP=/sys/kernel/livepatch

lp_has klpt_lp_klpbuild || die built "klpt_lp_klpbuild.ko not in the initramfs"
lp_load klpt_target
klptop check --json "$K/klpt_lp_klpbuild.ko" >/tmp/c0.json 2>/dev/null
check check-alone-rc test $? = 0
check_json read /tmp/c0.json \
	'.format == "klp-build" and .replace == true and .patch == "klpt_lp_klpbuild" and
	 ([.targets[] | "\(.object):\(.function)"] ==
	  ["vmlinux:__x64_sys_umask", "vmlinux:__ia32_sys_umask", "klpt_target:klpt_func_b"]) and
	 .targets[2].new_function == "livepatch_klpt_func_b" and
	 all(.targets[]; .status == "ok" and .address != null)'
# both entry points of umask are covered: no syscall warning
check_json syscall-covered /tmp/c0.json \
	'.targets[0].findings[] | select(.code == "syscall_siblings") | .severity == "info" and
	 any(.symbols[]; .name == "__x64_sys_umask" and .coverage == "patched") and
	 any(.symbols[]; .name == "__ia32_sys_umask" and .coverage == "patched")'
check text sh -c "klptop check $K/klpt_lp_klpbuild.ko | grep -q 'patch klpt_lp_klpbuild (.*)  klp-build  replace (cumulative)'"

lp_load klpt_lp_b
check b-done lp_wait_transition klpt_lp_b
klptop check --json "$K/klpt_lp_klpbuild.ko" >/tmp/c1.json 2>/dev/null
check_json replaces-b /tmp/c1.json \
	'any(.findings[]; .code == "replaces" and (.message | contains("klpt_lp_b")))'
klptop gate --json -- insmod "$K/klpt_lp_klpbuild.ko" >/tmp/g.json 2>/tmp/g.err
check gate-rc test $? = 0
check_json gate /tmp/g.json '.result == "completed" and .patch == "klpt_lp_klpbuild"'
check b-replaced wait_until 30 test ! -d $LP/klpt_lp_b
check func-b-new sh -c "grep -q b-klpbuild $KLPT_DEBUGFS/func_b"
check umask-works sh -c 'umask 027; [ "$(umask)" = 0027 ]'
klptop status --json >/tmp/s.json 2>/dev/null
check_json status /tmp/s.json \
	'.patches[] | select(.name == "klpt_lp_klpbuild") | .enabled == true and
	 ([.objects[].name] | sort) == ["klpt_target", "vmlinux"]'
lp_unload klpt_lp_klpbuild
rmmod klpt_lp_b 2>/dev/null
check target-removed rmmod klpt_target
