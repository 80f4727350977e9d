#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# metrics-check.sh DIR BIN: `klptop metrics` on the build host (no live
# patching needed): its output on a fixture tree passes `promtool check
# metrics`, the alert rules pass `promtool check rules` and their unit tests
# (`promtool test rules`), the textfile and HTTP exporters work. Writes
# DIR/metrics.txt ("PASS name" / "FAIL name: msg" / "SKIP name: why").
dir=${1:?usage: metrics-check.sh DIR BIN}
bin=${2:?usage: metrics-check.sh DIR BIN}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$dir/metrics.txt
mkdir -p "$dir"
: >"$out"
status=0

result() { # name ok detail
	if [ "$2" = 1 ]; then
		echo "PASS metrics/$1" >>"$out"
	else
		echo "FAIL metrics/$1: $3" >>"$out"
		status=1
	fi
}

first() { # the first line of $1, for messages
	printf '%s\n' "$1" | head -n 1
}

# top_fixture (tests/fixture-tree.sh): a 6.1-shaped tree mid-transition,
# klpt_lp_fix patching, a spinning kthread and a sleeping user task
# pending; plus a second patch, stable.
. "$(dirname "$0")/fixture-tree.sh"
fixture() {
	top_fixture "$1"
	mkdir -p "$1/sys/kernel/livepatch/klpt_lp_vmlinux/vmlinux/cmdline_proc_show,1"
	echo 1 >"$1/sys/kernel/livepatch/klpt_lp_vmlinux/enabled"
	echo 0 >"$1/sys/kernel/livepatch/klpt_lp_vmlinux/transition"
}

# busybox wget as the HTTP client (busybox-static is a lab dependency). Not
# its -T: Debian's busybox 1.35 wget dies of SIGSEGV with it.
fetch() { # URL: the body on stdout; exit status non-zero on an HTTP error
	timeout 10 busybox wget -q -O - "$1"
}

if [ ! -x "$bin" ]; then
	result build 0 "$bin not built"
	exit 1
fi
if ! command -v promtool >/dev/null 2>&1; then
	echo "SKIP metrics/promtool: promtool not installed (Debian package prometheus: make deps)" >>"$out"
	exit 0
fi
fx=$(mktemp -d /tmp/klptop-metrics-XXXXXX)
trap 'rm -rf "$fx"' EXIT
fixture "$fx/root"

# ---- once, on the fixture ------------------------------------------------------
txt=$("$bin" --root "$fx/root" metrics 2>"$fx/err" </dev/null)
rc=$?
lint=$(printf '%s\n' "$txt" | promtool check metrics 2>&1)
prc=$?
result promtool-check-metrics "$([ $rc -eq 0 ] && [ $prc -eq 0 ] && [ -z "$lint" ] && echo 1)" \
	"klptop exited $rc ($(first "$(cat "$fx/err")")), promtool exited $prc: $(first "$lint")"
want='klptop_patch_enabled{patch="klpt_lp_fix"} 1
klptop_patch_transition{patch="klpt_lp_fix"} 1
klptop_patch_transition{patch="klpt_lp_vmlinux"} 0
klptop_transition_tasks{patch="klpt_lp_fix"} 3
klptop_transition_pending_tasks{patch="klpt_lp_fix",target="patched"} 2
klptop_kernel_info{release="6.1.0-99-amd64"} 1
klptop_livepatch_supported 1
klptop_livepatch_tainted 1
klptop_bpf_up 0'
missing=$(printf '%s\n' "$want" | while IFS= read -r l; do
	printf '%s\n' "$txt" | grep -qxF "$l" || printf '%s|' "$l"
done)
result fixture-values "$([ -z "$missing" ] && echo 1)" "missing lines: $missing"
version=$("$bin" --version | sed -n '1s/^klptop //p')
result build-info "$(printf '%s\n' "$txt" | grep -qxF "klptop_build_info{version=\"$version\"} 1" && echo 1)" \
	"no klptop_build_info{version=\"$version\"} 1 (klptop --version)"
# nothing unknown is made up: no BPF, so no rounds, no start, no forced
# state, no reasons and no stuck verdicts
made_up=$(printf '%s\n' "$txt" |
	grep -E '^klptop_(transition_(rounds_total|seconds|blocked_tasks|stuck_tasks)|patch_forced)\{')
result only-known-values "$([ -z "$made_up" ] && echo 1)" "$(first "$made_up")"

# ---- a kernel without live patching (this host's, if it is one) ---------------------
if [ -d /sys/kernel/livepatch ]; then
	echo "SKIP metrics/host-unsupported: this host's kernel has live patching" >>"$out"
else
	txt=$("$bin" metrics 2>"$fx/err" </dev/null)
	rc=$?
	lint=$(printf '%s\n' "$txt" | promtool check metrics 2>&1)
	result host-unsupported-once "$([ $rc -eq 0 ] && [ -z "$lint" ] &&
		printf '%s\n' "$txt" | grep -q '^klptop_livepatch_supported{reason=".*CONFIG_LIVEPATCH.*"} 0$' &&
		! printf '%s\n' "$txt" | grep -q '^klptop_bpf_up ' && echo 1)" \
		"exited $rc, lint '$(first "$lint")': $(first "$(cat "$fx/err")")"
	mkdir -p "$fx/tf-unsupported"
	"$bin" metrics --textfile "$fx/tf-unsupported" -d 0.1 -n 3 >"$fx/err" 2>&1 </dev/null
	rc=$?
	result host-unsupported-textfile "$([ $rc -eq 0 ] &&
		grep -q '^klptop_livepatch_supported{reason=' "$fx/tf-unsupported/klptop.prom" && echo 1)" \
		"exited $rc (want 0, running on): $(first "$(cat "$fx/err")")"
	if ! command -v busybox >/dev/null 2>&1; then
		echo "SKIP metrics/host-unsupported-http: no busybox for wget" >>"$out"
	else
		port=$((20000 + ($$ + 1) % 20000))
		"$bin" metrics --listen "$port" -d 0.2 >"$fx/err" 2>&1 </dev/null &
		pid=$!
		i=0
		while [ $i -lt 50 ] && ! timeout 10 busybox wget -q -O "$fx/scrape-unsupported" \
			"http://127.0.0.1:$port/metrics" 2>/dev/null; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -TERM "$pid" 2>/dev/null
		wait "$pid"
		rc=$?
		result host-unsupported-http "$([ $rc -eq 0 ] &&
			grep -q '^klptop_livepatch_supported{reason=' "$fx/scrape-unsupported" && echo 1)" \
			"no klptop_livepatch_supported 0 on /metrics, or exit $rc after SIGTERM: $(first "$(cat "$fx/err")")"
	fi
fi

# ---- the alert rules -----------------------------------------------------------
msg=$(promtool check rules "$top/docs/klptop-alerts.yml" 2>&1)
result promtool-check-rules "$([ $? -eq 0 ] && echo 1)" "$(printf '%s' "$msg" | tr '\n' ' ')"
msg=$(cd "$top/tests" && promtool test rules metrics-alerts.test.yml 2>&1)
result promtool-test-rules "$([ $? -eq 0 ] && echo 1)" \
	"$(printf '%s\n' "$msg" | grep -v '^ *$' | head -n 6 | tr '\n' ' ')"

# ---- usage errors ----------------------------------------------------------------
for a in "--listen abc" "--listen 0" "--listen 10.0.0.1.2:80" "-d 0" "-d abc" "--textfile /nonexistent"; do
	# shellcheck disable=SC2086 # the words are the arguments
	"$bin" --root "$fx/root" metrics $a >/dev/null 2>&1 </dev/null
	rc=$?
	result "usage${a%% *}-$(printf '%s' "${a#* }" | tr -c 'a-zA-Z0-9.' _)" \
		"$([ $rc -eq 2 ] && echo 1)" "'metrics $a' exited $rc, want 2"
done

# ---- textfile exporter -------------------------------------------------------------
mkdir -p "$fx/tf"
"$bin" --root "$fx/root" metrics --textfile "$fx/tf" -d 0.1 -n 3 >"$fx/tf.out" 2>&1 </dev/null
rc=$?
perm=$(stat -c %a "$fx/tf/klptop.prom" 2>/dev/null)
others=$(ls -A "$fx/tf" | grep -vx klptop.prom)
lint=$(promtool check metrics <"$fx/tf/klptop.prom" 2>&1)
result textfile "$([ $rc -eq 0 ] && [ "$perm" = 644 ] && [ -z "$others" ] && [ -z "$lint" ] &&
	grep -q '^klptop_transition_pending_tasks{patch="klpt_lp_fix"' "$fx/tf/klptop.prom" && echo 1)" \
	"rc $rc, mode '$perm', left over '$others', lint '$(first "$lint")': $(first "$(cat "$fx/tf.out")")"

# ---- HTTP exporter -------------------------------------------------------------------
if ! command -v busybox >/dev/null 2>&1; then
	echo "SKIP metrics/http: no busybox for wget" >>"$out"
	exit $status
fi
port=$((20000 + $$ % 20000))
"$bin" --root "$fx/root" metrics --listen "$port" -d 60 >"$fx/http.out" 2>&1 </dev/null &
pid=$!
i=0
while [ $i -lt 50 ] && ! fetch "http://127.0.0.1:$port/metrics" >"$fx/scrape" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
lint=$(promtool check metrics <"$fx/scrape" 2>&1)
result http-metrics "$([ -s "$fx/scrape" ] && [ -z "$lint" ] &&
	grep -q '^klptop_transition_pending_tasks{patch="klpt_lp_fix",target="patched"} 2$' "$fx/scrape" &&
	echo 1)" "no valid /metrics on 127.0.0.1:$port ($(first "$lint")): $(first "$(cat "$fx/http.out")")"
fetch "http://127.0.0.1:$port/other" >/dev/null 2>"$fx/404"
result http-404 "$([ $? -ne 0 ] && grep -q 404 "$fx/404" && echo 1)" \
	"GET /other: $(first "$(cat "$fx/404")")"
# listening sockets (state 0A) on the port, from /proc/net/tcp{,6}
bound=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	awk -v p=":$(printf '%04X' "$port")" '$4 == "0A" && substr($2, length($2) - 4) == p { print $2 }')
result http-loopback "$([ "$bound" = "0100007F:$(printf '%04X' "$port")" ] && echo 1)" \
	"listening sockets on port $port: '$bound', want only 127.0.0.1"
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
result http-sigterm "$([ $rc -eq 0 ] && echo 1)" "exited $rc after SIGTERM, want 0"
exit $status
