# SPDX-License-Identifier: GPL-2.0
# metrics-spin: the Prometheus exporter as a fleet deploys it, during a
# stuck transition. The exporter runs as docs/klptop-exporter.service runs
# it: a service user (nobody) with only the unit's ambient capabilities.
# With it running, a kthread spins in klpt_spin_step() and blocks
# klpt_lp_fix's transition: a scrape of /metrics must show it pending and
# blocked by a running task (then stuck); once the spinner stops, the
# transition's samples go away. SIGTERM ends the exporter with status 0.
# Also, on this real kernel: klptop_build_info names this klptop;
# `metrics --no-bpf` publishes the pending count but no reasons or verdicts
# it cannot know; where /sys/kernel/livepatch is hidden (a mount namespace
# standing in for a kernel without live patching) the textfile exporter
# keeps running and exports klptop_livepatch_supported 0 with the reason.
# preempt=full: a kthread that never yields would otherwise trip the
# soft-lockup watchdog on this voluntary-preemption kernel.
# lab-append: preempt=full
# lab-timeout: 240
. /lib/klptop/lib.sh

PORT=9814
METRICS_URL=http://127.0.0.1:$PORT/metrics
SCRAPE=$KLPT_TMP/scrape.txt

# no_transition: a fresh scrape has no transition sample for klpt_lp_fix, or
# zero pending tasks.
no_transition() {
	scrape || return 1
	_v=$(sample '^klptop_transition_pending_tasks[{]patch="klpt_lp_fix"')
	[ -z "$_v" ] || [ "$_v" = 0 ]
}

show_scrape() {
	echo "# --- last scrape (klptop_transition_*, klptop_bpf_up) ---"
	grep -E '^klptop_(transition_|bpf_up|probe_missing)' "$SCRAPE" 2>/dev/null | head -n 30
	echo "# --- exporter log ---"
	tail -n 10 /tmp/exporter.log
}

# The capabilities of docs/klptop-exporter.service (AmbientCapabilities=;
# tests/exporter-check.sh checks that the two lists agree).
SERVICE_CAPS=cap_bpf,cap_perfmon,cap_sys_admin,cap_syslog,cap_dac_read_search

# as_service CMD: the shell command CMD as nobody with SERVICE_CAPS as
# ambient capabilities, as systemd starts the unit. exec all the way down:
# the pid of `as_service ... &` is klptop's.
as_service() {
	exec capsh --caps="cap_setuid,cap_setgid,cap_setpcap+ep $SERVICE_CAPS+eip" --keep=1 \
		--user=nobody --addamb="$SERVICE_CAPS" --shell=/bin/sh -- -c "exec $1"
}

# Loading the BPF probes takes a few seconds under TCG (over a minute on a
# loaded host): the exporter gets 150 s to answer. No free hooks: this
# scenario is about the transition, and they add to the load time.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
log "starting the exporter as the service user"
(as_service "klptop -v metrics --listen 127.0.0.1:$PORT -d 1 --no-leaks") >/tmp/exporter.log 2>&1 &
EXPORTER=$!
if ! until_s 150 scrape; then
	tail -n 20 /tmp/exporter.log
	die exporter-up "no answer on $METRICS_URL after 150 s"
fi
pass exporter-up
log "exporter answers"
check exporter-not-root sh -c "[ \"\$(awk '/^Uid:/ { print \$2 }' /proc/$EXPORTER/status)\" = 65534 ]"
check bpf-up at_least '^klptop_bpf_up ' 1
check livepatch-supported at_least '^klptop_livepatch_supported 1$' 0
VERSION=$(klptop --version | sed -n '1s/^klptop //p')
check build-info grep -qxF "klptop_build_info{version=\"$VERSION\"} 1" "$SCRAPE"
check landing-page sh -c "timeout 10 wget -q -O - http://127.0.0.1:$PORT/ | grep -q 'href=\"/metrics\"'"

lp_load klpt_target
spinner_start
lp_load klpt_lp_fix

PENDING='^klptop_transition_pending_tasks[{]patch="klpt_lp_fix",target="patched"[}] '
# running, or preempted inside klpt_spin_step (reason sleeping_on) when the
# check ran on the spinner's CPU: the kernel reports either for a spinner.
RUNNING='^klptop_transition_blocked_tasks[{]patch="klpt_lp_fix",reason="(running|sleeping_on)"[}] '
STUCK='^klptop_transition_stuck_tasks[{]patch="klpt_lp_fix"[}] '
if until_s 10 at_least "$PENDING" 1; then pass pending-tasks; else
	fail pending-tasks "no klptop_transition_pending_tasks >= 1 for klpt_lp_fix"; show_scrape; fi
# The reason comes from the kernel's own checks (one round a second).
if until_s 15 at_least "$RUNNING" 1; then pass blocked-running; else
	fail blocked-running "no blocked_tasks{reason=running|sleeping_on} >= 1"; show_scrape; fi
# The stuck verdict takes 3 checks that all found it on a CPU.
if until_s 15 at_least "$STUCK" 1; then pass stuck-tasks; else
	fail stuck-tasks "no klptop_transition_stuck_tasks >= 1"; show_scrape; fi
check transition-gauge at_least '^klptop_patch_transition[{]patch="klpt_lp_fix"[}] ' 1
check rounds-counter at_least '^klptop_transition_rounds_total[{]patch="klpt_lp_fix"[}] ' 3

# BPF off, the same stuck transition: the pending count is known, the
# reasons and the verdict are not, so they are absent rather than 0.
klptop metrics --no-bpf >/tmp/nobpf.txt 2>/tmp/nobpf.err
check nobpf-exit-0 test $? = 0
check nobpf-bpf-down grep -qx 'klptop_bpf_up 0' /tmp/nobpf.txt
check nobpf-pending grep -q "$PENDING" /tmp/nobpf.txt
check nobpf-no-reasons sh -c "! grep -Eq '^klptop_transition_(blocked|stuck)_tasks[{]' /tmp/nobpf.txt"

klpt_knob spin 0
check transition-completes lp_wait_transition klpt_lp_fix 30
if until_s 10 no_transition; then pass pending-gone; else
	fail pending-gone "klpt_lp_fix still has pending tasks in /metrics"; show_scrape; fi
# The exporter re-samples at most once a second: give it a few scrapes.
if until_s 10 at_least '^klptop_patch_transition[{]patch="klpt_lp_fix"[}] 0' 0; then
	pass transition-gauge-0; else
	fail transition-gauge-0 "klptop_patch_transition{klpt_lp_fix} not 0"; show_scrape; fi

kill -TERM "$EXPORTER"
wait "$EXPORTER"
rc=$?
if [ "$rc" = 0 ]; then pass exporter-sigterm; else
	fail exporter-sigterm "exited $rc after SIGTERM"; tail -n 10 /tmp/exporter.log; fi
lp_unload klpt_lp_fix && pass unloaded
check target-removed rmmod klpt_target

# No live patching: /sys/kernel hidden by a tmpfs in a private mount
# namespace (a kernel built without CONFIG_LIVEPATCH has no
# /sys/kernel/livepatch either). The exporter runs its 3 intervals and
# exits 0, the file says why, and nothing that needs live patching is in it.
mkdir -p /tmp/tf-unsupported
unshare -m --propagation private sh -c \
	'mount -t tmpfs none /sys/kernel && exec klptop metrics --textfile /tmp/tf-unsupported -d 0.5 -n 3' \
	>/tmp/unsupported.err 2>&1
rc=$?
check unsupported-runs-on test "$rc" = 0
check unsupported-reason grep -q '^klptop_livepatch_supported{reason="/sys/kernel/livepatch is missing (CONFIG_LIVEPATCH is not set)"} 0$' \
	/tmp/tf-unsupported/klptop.prom
check unsupported-build-info grep -qxF "klptop_build_info{version=\"$VERSION\"} 1" /tmp/tf-unsupported/klptop.prom
check unsupported-nothing-else sh -c "! grep -Eq '^klptop_(bpf_up|patch_|transition_|shadow_)' /tmp/tf-unsupported/klptop.prom"
check unsupported-warned grep -q 'has no live patching.*exporting klptop_livepatch_supported 0' /tmp/unsupported.err
check sysfs-untouched test -d /sys/kernel/livepatch
