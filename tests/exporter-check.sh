#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# exporter-check.sh DIR BIN: the HTTP exporter a fleet deploys, on the build
# host's loopback (a fixture tree, no live patching needed), bounded in
# connections (about 100) and time (about 15 s):
# - one peer (127.0.0.1) holds more idle and half-sent connections than the
#   per-peer and the old total limits; scrapes from another peer
#   (127.0.0.2) must all succeed within 1 s meanwhile;
# - a connection that never finishes its request is closed within seconds;
# - malformed and oversized requests get their 4xx, the landing page and
#   /metrics their 200, and the exporter keeps running, then exits 0 on
#   SIGTERM;
# - the systemd unit's `systemd-analyze security` exposure is at most 4.0,
#   and its capabilities are those the lab runs the exporter with.
# Writes DIR/exporter.txt ("PASS name" / "FAIL name: msg" / "SKIP name: why").
dir=${1:?usage: exporter-check.sh DIR BIN}
bin=${2:?usage: exporter-check.sh DIR BIN}
top=$(cd "$(dirname "$0")/.." && pwd)
out=$dir/exporter.txt
mkdir -p "$dir"
: >"$out"
status=0

# The limits the exporter promises (src/cmd/metrics.c, docs/metrics.md).
PER_PEER=8
OLD_TOTAL=32          # the total that one peer could fill before
REQUEST_TIMEOUT_S=3
MAX_EXPOSURE=4.0

result() { # name ok detail
	if [ "$2" = 1 ]; then
		echo "PASS exporter/$1" >>"$out"
	else
		echo "FAIL exporter/$1: $3" >>"$out"
		status=1
	fi
}
skip() { echo "SKIP exporter/$1: $2" >>"$out"; }

# ---- the unit's hardening ----------------------------------------------------------
unit=$top/docs/klptop-exporter.service
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip unit-exposure "systemd-analyze is not installed (package systemd)"
elif ! sec=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1); then
	result unit-exposure 0 "systemd-analyze security --offline=yes failed: $(printf '%s' "$sec" | tail -n 1)"
else
	score=$(printf '%s\n' "$sec" | sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	result unit-exposure "$(awk -v s="$score" -v m=$MAX_EXPOSURE 'BEGIN { print (s != "" && s <= m) }')" \
		"exposure '$score', want at most $MAX_EXPOSURE: $(printf '%s\n' "$sec" | grep -c '^✗') settings exposed"
fi

# The lab runs the exporter with the unit's capabilities (metrics-spin's
# SERVICE_CAPS): the two lists must not drift apart.
unit_caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit" | tr 'A-Z ' 'a-z\n' | sort | tr '\n' ' ')
lab_caps=$(sed -n 's/^SERVICE_CAPS=//p' "$top/tests/vm/scenarios/metrics-spin.sh" | tr ',' '\n' | sort | tr '\n' ' ')
result unit-caps-in-lab "$([ -n "$unit_caps" ] && [ "$unit_caps" = "$lab_caps" ] && echo 1)" \
	"the unit's AmbientCapabilities ($unit_caps) differ from metrics-spin's SERVICE_CAPS ($lab_caps)"

# ---- the HTTP exporter -------------------------------------------------------------
if [ ! -x "$bin" ]; then
	result build 0 "$bin not built"
	exit 1
fi
if ! command -v curl >/dev/null 2>&1; then
	skip http "curl is not installed (make deps)"
	exit $status
fi
fx=$(mktemp -d /tmp/klptop-exporter-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$fx"
}
trap cleanup EXIT
# Writing to a connection the exporter closed must not end this script.
trap '' PIPE
# top_fixture: a 6.1-shaped tree mid-transition
. "$(dirname "$0")/fixture-tree.sh"
top_fixture "$fx/root"

port=$((40000 + $$ % 20000))
url=http://127.0.0.1:$port
"$bin" --root "$fx/root" metrics --listen "127.0.0.1:$port" -d 1 >"$fx/log" 2>&1 </dev/null &
pid=$!

# scrape [CURL ARGS...]: "CODE SECONDS" of GET /metrics from 127.0.0.2, at
# most 1 s; the body in $fx/body
scrape() {
	curl -s --interface 127.0.0.2 -m 1 -o "$fx/body" -w '%{http_code} %{time_total}' "$@" \
		"$url/metrics" 2>/dev/null
}
i=0
while [ $i -lt 50 ] && [ "$(scrape | cut -d' ' -f1)" != 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
if ! grep -q '^klptop_build_info{version=' "$fx/body" 2>/dev/null; then
	result http-up 0 "no /metrics on $url from 127.0.0.2 within 5 s: $(head -n 3 "$fx/log" | tr '\n' ' ')"
	exit 1
fi
result http-up 1

# raw NAME REQUEST: send REQUEST (printf format) on a fresh connection from
# 127.0.0.1 and print the status code of the answer ("closed" if none)
raw() {
	local fd line
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || { echo refused; return; }
	printf "$1" >&"$fd" 2>/dev/null
	IFS= read -t 5 -r line <&"$fd"
	exec {fd}>&-
	set -- $line
	echo "${2:-closed}"
}
long=$(head -c 40000 /dev/zero | tr '\0' a)
# shellcheck disable=SC2043
for t in "missing-host 400 GET /metrics HTTP/1.1\r\n\r\n" \
	"broken-header 400 GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n" \
	"bad-version 505 GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n" \
	"post 405 POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" \
	"unknown-path 404 GET /other HTTP/1.1\r\nHost: x\r\n\r\n" \
	"uri-too-long 414 GET /$long HTTP/1.1\r\nHost: x\r\n\r\n" \
	"header-too-long 431 GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: $long\r\n\r\n"; do
	set -- $t
	name=$1 want=$2
	req=${t#"$name $want "}
	got=$(raw "$req")
	result "request-$name" "$([ "$got" = "$want" ] && echo 1)" "answered '$got', want $want"
done
got=$(raw 'GARBAGE\r\n\r\n')
result request-garbage "$([ "$got" = closed ] || [ "${got#4}" != "$got" ] && echo 1)" \
	"answered '$got', want a 4xx or the connection closed"

code=$(curl -s --interface 127.0.0.2 -m 1 -o "$fx/landing" -w '%{http_code} %{content_type}' "$url/")
result landing-page "$([ "${code%% *}" = 200 ] && [ "${code#* }" != "${code#*text/html}" ] &&
	grep -q 'href="/metrics"' "$fx/landing" && echo 1)" "GET / answered '$code'"

# A connection that has sent half a request is closed once it stays silent
# for the request timeout (measured on its own, before the flood).
exec {half}<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' >&"$half"
start=$(date +%s%N)
IFS= read -t $((REQUEST_TIMEOUT_S + 3)) -r line <&"$half"
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
exec {half}>&-
result half-sent-closed "$([ $rc -eq 1 ] && [ -z "$line" ] && echo 1)" \
	"read returned $rc after $took ms ('$line'): want the exporter to close it within $((REQUEST_TIMEOUT_S + 3)) s"

# ---- one peer holds many connections; another scrapes ---------------------------------
n_idle=$((OLD_TOTAL + 8))
n_half=$((OLD_TOTAL + 8))
held=()
for ((i = 0; i < n_idle; i++)); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null && held+=("$fd")
done
for ((i = 0; i < n_half; i++)); do
	if exec {fd}<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
		printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&"$fd" 2>/dev/null
		held+=("$fd")
	fi
done
# the peer itself is refused beyond its limit
code=$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$url/metrics")
result peer-limited "$([ "$code" != 200 ] && echo 1)" \
	"a scrape from the peer holding ${#held[@]} connections got $code: the per-peer limit ($PER_PEER) did not apply"
ok=0 slow=
for ((i = 0; i < 10; i++)); do
	got=$(scrape)
	if [ "${got%% *}" = 200 ] && grep -q '^klptop_transition_pending_tasks{patch="klpt_lp_fix"' "$fx/body"; then
		ok=$((ok + 1))
	else
		slow="$slow '$got'"
	fi
done
result scrape-while-flooded "$([ $ok -eq 10 ] && echo 1)" \
	"$ok of 10 scrapes from 127.0.0.2 answered within 1 s while 127.0.0.1 held ${#held[@]} connections (others:$slow)"
for fd in "${held[@]}"; do
	exec {fd}>&-
done

# ---- still running, still right, and a clean stop ------------------------------------------
alive=0
kill -0 "$pid" 2>/dev/null && alive=1
got=$(scrape)
result still-serving "$([ $alive = 1 ] && [ "${got%% *}" = 200 ] && echo 1)" \
	"exporter alive=$alive, last scrape '$got': $(tail -n 2 "$fx/log" | tr '\n' ' ')"
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
pid=
result sigterm "$([ $rc -eq 0 ] && echo 1)" "exited $rc after SIGTERM, want 0"
# libmicrohttpd's per-connection messages are rate-limited: a flood does
# not become a flood of log lines.
lines=$(grep -c 'metrics: http:' "$fx/log")
result log-bounded "$([ "$lines" -le 6 ] && echo 1)" "$lines http log lines for one flood, want at most 6"
exit $status
