# SPDX-License-Identifier: GPL-2.0
# fault-signals (issue #10 c): SIGINT and SIGTERM in the middle of a run,
# and a reader that closes the pipe. During a transition held by a
# klpt_sleep_d kthread: status (waiting for rounds) gets SIGINT and SIGTERM,
# metrics --listen SIGINT, shadow and record SIGTERM (the other signal of each is in
# fault-patch-gone, shadow-leak, record-spin and metrics-spin). What a user
# sees: the
# exit status docs/troubleshooting.md gives (status dies of the signal like
# any one-shot command; shadow, record and metrics stop cleanly with 0),
# shadow's final summary, a recording that ends with an end chunk naming
# the signal, the metrics port free again, no kprobe left registered, no
# splat. (Closed pipes: fault-sigpipe.)
# lab-timeout: 180
. /lib/klptop/lib.sh

PORT=9815
KPROBES=/sys/kernel/debug/kprobes/list

recording() { grep -q 'recording to' "$1"; }
no_kprobes() { ! grep -q . "$KPROBES"; }
scrape() { timeout 10 wget -q -O "$1" "http://127.0.0.1:$PORT/metrics"; }

lp_load klpt_target
klpt_knob sleep D
wait_until 5 has_comm klpt_sleep_d || die sleeper-started "klpt_sleep_d did not start"
lp_load klpt_lp_fix
sleep 1
check transition-stays _lp_file_is /sys/kernel/livepatch/klpt_lp_fix/transition 1

# started_n N: N klptops have registered their round probe, i.e. they are
# past start-up (every command here attaches the transition probes).
started_n() { [ "$(grep -c 'klp_try_complete_transition' "$KPROBES")" -ge "$1" ]; }

# status waits for its rounds (60: about a minute) when SIGINT comes: it dies
# of the signal like any one-shot command, prints nothing, leaves nothing.
# It runs in the foreground: a non-interactive shell starts background
# commands with SIGINT ignored (POSIX), as it would for any program.
( wait_until 60 started_n 1 && sleep 2 && kill -INT "$(pidof klptop)" ) &
K=$!
klptop status --rounds 60 >/tmp/status.out 2>&1
check status-dies-of-sigint test $? -eq 130
wait $K
check status-silent test ! -s /tmp/status.out
check status-no-kprobes-left wait_until 10 no_kprobes
klptop status --rounds 60 >/tmp/status-term.out 2>&1 &
P=$!
wait_until 60 started_n 1 || fail status-started "no kprobe on klp_try_complete_transition"
kill -TERM $P
wait $P
check status-dies-of-sigterm test $? -eq 143
check status-term-silent test ! -s /tmp/status-term.out
check status-term-no-kprobes-left wait_until 10 no_kprobes

log "status done at $(cut -d. -f1 /proc/uptime) s"
# shadow and record together, SIGTERM: both stop cleanly.
klptop shadow --json -d 0.5 >/tmp/shadow.jsonl 2>/tmp/shadow.err &
P_shadow=$!
klptop record -o /tmp/rec.klp --interval 0.5 >/tmp/rec.log 2>&1 &
P_record=$!
wait_until 60 test -s /tmp/shadow.jsonl || fail shadow-started "no output from klptop shadow"
wait_until 60 recording /tmp/rec.log || fail record-started "no 'recording to' line"
sleep 1
kill -TERM $P_shadow $P_record
wait $P_shadow
check shadow-sigterm-exit-0 test $? -eq 0
wait $P_record
check record-sigterm-exit-0 test $? -eq 0
tail -n 1 /tmp/shadow.jsonl >/tmp/shadow-last.json
check_json shadow-sigterm-summary /tmp/shadow-last.json '.summary == true'
klptop report --json /tmp/rec.klp >/tmp/report.json 2>/dev/null
check_json record-sigterm-end-chunk /tmp/report.json '.complete == true and .end.reason == "SIGTERM"'
klptop report /tmp/rec.klp >/tmp/report.txt 2>&1
check record-sigterm-report-says grep -q 'ended cleanly (SIGTERM)' /tmp/report.txt
check shadow-record-no-kprobes-left wait_until 10 no_kprobes

log "shadow and record done at $(cut -d. -f1 /proc/uptime) s"
# metrics --listen, SIGINT: exit 0, the port is free again.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
klptop metrics --listen 127.0.0.1:$PORT -d 1 --no-leaks >/tmp/metrics.out 2>&1 &
P=$!
# a scrape may take seconds under TCG: a deadline, not a number of tries
end=$(($(date +%s) + 60))
until scrape /tmp/scrape.txt || [ "$(date +%s)" -ge $end ]; do sleep 0.5; done
check metrics-scraped grep -q '^klptop_transition_pending_tasks{patch="klpt_lp_fix"' /tmp/scrape.txt
kill -INT $P
wait $P
check metrics-sigint-exit-0 test $? -eq 0
check metrics-port-free sh -c "! timeout 5 wget -q -O /dev/null http://127.0.0.1:$PORT/metrics"
check metrics-no-kprobes-left wait_until 10 no_kprobes

klpt_knob release 1
check transition-completes lp_wait_transition klpt_lp_fix 30
lp_unload klpt_lp_fix && pass unloaded
check target-removed rmmod klpt_target
