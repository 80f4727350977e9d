# SPDX-License-Identifier: GPL-2.0
# fixture-tree.sh: sourced by host-side tests that run klptop --root on a
# captured-looking tree (host-smoke.sh, valgrind.sh).
# A fixture tree shaped like a 6.1 kernel mid-transition (as in
# tests/unit/test_status.c): a spinning kthread and a sleeping user task.
top_fixture() {
	d=$1
	lp=$d/sys/kernel/livepatch/klpt_lp_fix
	mkdir -p "$lp/klpt_target/klpt_spin_step,1" "$lp/klpt_target/klpt_ping,2" \
		"$d/proc/sys/kernel"
	echo 1 >"$lp/enabled"
	echo 1 >"$lp/transition"
	echo 1 >"$lp/klpt_target/patched"
	echo 6.1.0-99-amd64 >"$d/proc/sys/kernel/osrelease"
	echo 36864 >"$d/proc/sys/kernel/tainted"
	printf 'ffffffffc0a01000 t klpt_spin_step\t[klpt_target]\n' >"$d/proc/kallsyms"
	printf 'ffffffffc0a01200 t klpt_spin_thread\t[klpt_target]\n' >>"$d/proc/kallsyms"
	printf 'ffffffff810c0000 T kthread\n' >>"$d/proc/kallsyms"
	top_task "$d" 1 1 init 4194560 S 1 '[<0>] do_wait+0x1/0x2\n'
	top_task "$d" 50 50 klpt_spin 2129984 R 0 \
		'[<0>] klpt_spin_step+0x1d/0x40 [klpt_target]\n[<0>] kthread+0xe8/0x110\n'
	top_task "$d" 60 61 sleeper 4194560 S 0 '[<0>] klpt_spin_step+0x10/0x40 [klpt_target]\n'
}

top_task() { # root pid tid comm flags state patch_state stack
	t=$1/proc/$2/task/$3
	mkdir -p "$t"
	echo "$7" >"$t/patch_state"
	echo "$3 ($4) $6 2 0 0 0 -1 $5 0 0 0 0 0 0" >"$t/stat"
	printf "$8" >"$t/stack"
}
