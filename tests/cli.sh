#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# cli.sh DIR BIN: the command line as a user types it, on the build host (no
# live patching needed: fixture trees under --root, and the commands that
# refuse --root refuse it only after their options parsed). Writes
# DIR/cli.txt: "PASS cli/NAME" or "FAIL cli/NAME: why".
#   forms:   options after operands, "--", "-", clusters, prefixes
#   usage:   a mistake is one line naming it and one pointing at the help,
#            exit 2, nothing on stdout; JSON on stdout under -j
#   letters: a renamed letter says what to type now
#   help:    klptop help [CMD], klptop version, ambiguous commands, global
#            -j/-p before or after the command, --replay in --help
#   exit:    the codes of lib/exitcode.h, from their commands
set -u
dir=${1:?usage: cli.sh DIR BIN}
bin=${2:?usage: cli.sh DIR BIN}
out=$dir/cli.txt
mkdir -p "$dir"
: >"$out"
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/fixture-tree.sh"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/klptop-cli.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
status=0

# k ARGS...: run klptop; RC, OUT (stdout) and ERR (stderr) hold the result.
k() {
	"$bin" "$@" >"$scratch/out" 2>"$scratch/err" </dev/null
	RC=$?
	OUT=$(cat "$scratch/out")
	ERR=$(cat "$scratch/err")
}

# check NAME DETAIL COMMAND...: PASS when COMMAND succeeds.
check() {
	local name=$1 detail=$2
	shift 2
	if "$@" >/dev/null 2>&1; then
		echo "PASS cli/$name" >>"$out"
	else
		echo "FAIL cli/$name: $detail" >>"$out"
		status=1
	fi
}

lines() { printf '%s' "$1" | grep -c ''; }
has() { printf '%s\n' "$1" | grep -qE -- "$2"; }
why() { printf 'exit %s; stdout: %s; stderr: %s' "$RC" "$(printf '%s' "$OUT" | head -c 200)" \
	"$(printf '%s' "$ERR" | head -c 300)"; }

# usage_error NAME CMD PROBLEM ARGS...: exit 2, nothing on stdout, exactly two
# lines on stderr: the problem (an ERE), then the pointer at CMD's help.
usage_error() {
	local name=$1 cmd=$2 problem=$3
	shift 3
	k "$@"
	local help="klptop $cmd --help"
	[ "$cmd" = - ] && help="klptop --help"
	check "usage/$name" "$(why)" test "$RC" = 2 -a -z "$OUT" -a "$(lines "$ERR")" = 2
	check "usage/$name-names-it" "$(why)" has "$(printf '%s' "$ERR" | head -n 1)" "^klptop: $problem\$"
	check "usage/$name-points-at-help" "$(why)" has "$ERR" "^klptop: see '$help'\$"
}

# usage_json NAME ERROR-ERE ARGS...: under -j the same mistake is one JSON
# object on stdout, with the help pointer, and nothing on stderr.
usage_json() {
	local name=$1 problem=$2
	shift 2
	k "$@"
	check "usage/$name-json" "$(why)" test "$RC" = 2 -a -z "$ERR" -a "$(lines "$OUT")" = 1
	check "usage/$name-json-keys" "$(why)" sh -c \
		'printf "%s" "$1" | jq -e --arg re "$2" "(.error | test(\$re)) and (.help | test(\"^klptop .*--help\$\"))"' \
		_ "$OUT" "$problem"
}

fx=$scratch/tree                   # mid-transition (tests/fixture-tree.sh)
top_fixture "$fx"
nolp=$scratch/nolp                 # a kernel without live patching
mkdir -p "$nolp/sys/kernel" "$nolp/proc/sys/kernel"
echo 6.18.0-test >"$nolp/proc/sys/kernel/osrelease"
ck=$scratch/check                  # for check --func: a target with a clone
mkdir -p "$ck/sys/kernel/livepatch" "$ck/sys/kernel/tracing" "$ck/proc/sys/kernel"
echo 6.1.0-99-amd64 >"$ck/proc/sys/kernel/osrelease"
printf 'ffffffff81000000 T klpt_helper\nffffffff81000100 t klpt_helper.isra.0\nffffffff81000200 T klpt_plain\n' \
	>"$ck/proc/kallsyms"
printf 'klpt_helper\nklpt_helper.isra.0\nklpt_plain\n' >"$ck/sys/kernel/tracing/available_filter_functions"
: >"$ck/proc/modules"
rec=$root/tests/fuzz/corpus/stuck-spin-v2.klp

# ---- forms: options and operands in any order ---------------------------------
# The forms that failed with "needs exactly one PATCH" and friends. force and
# disable refuse --root only after parsing: that refusal proves the parse.
k force klpt_lp_fix --yes --root "$fx"
check forms/force-patch-then-yes "$(why)" has "$ERR" "^klptop: force: acts on the live kernel only"
k disable klpt_lp_fix -w 0 --root "$fx"
check forms/disable-patch-then-w "$(why)" has "$ERR" "^klptop: disable: acts on the live kernel only"
usage_error disable-w-after-operand disable "disable: -w wants seconds from 0 to 86400, not 'abc'" \
	disable klpt_lp_fix -w abc
k check "$scratch/fix.ko" --json
check forms/check-file-then-json "$(why)" sh -c \
	'[ "$1" = 1 ] && printf "%s" "$2" | jq -e ".error | test(\"fix.ko\")"' _ "$RC" "$OUT"
if [ -r "$rec" ]; then
	k report "$rec" --format chrome
	check forms/report-file-then-format "$(why)" sh -c \
		'[ "$1" = 0 ] && printf "%s" "$2" | jq -e ".traceEvents | length > 0"' _ "$RC" "$OUT"
	k report --format=json -- "$rec"
	check forms/report-equals-and-dashdash "$(why)" sh -c \
		'[ "$1" = 0 ] && printf "%s" "$2" | jq -e ".transitions"' _ "$RC" "$OUT"
	k report "$rec" --fo json       # a long option's unambiguous prefix
	check forms/report-prefix "$(why)" sh -c '[ "$1" = 0 ] && printf "%s" "$2" | jq -e .' _ "$RC" "$OUT"
	k report -- --format
	check forms/dashdash-ends-options "$(why)" has "$ERR" "report: cannot read --format"
fi
k status --root "$fx" -SBr0 -j
check forms/cluster-with-value "$(why)" sh -c \
	'[ "$1" = 0 ] && printf "%s" "$2" | jq -e ".transition.pending | length > 0"' _ "$RC" "$OUT"
k --root "$fx" -n1 --batch -W 60         # an option of top's starts top
check forms/top-by-option "$(why)" sh -c '[ "$1" = 0 ] && printf "%s\n" "$2" | grep -q "^=== klptop "' \
	_ "$RC" "$OUT"
k --root "$fx" --batch -n 1 -d 0.5 status
check forms/top-takes-no-operand "$(why)" test "$RC" = 2

# ---- usage errors: one line naming the problem, then the help ------------------
usage_error status-bogus status "status: unknown option '--bogus'" status --bogus
usage_error check-func-no-value check "check: --func needs NAME\[,SYMPOS\]" check --func
usage_error record-o-no-value record "record: -o needs FILE" record -o
usage_error status-bad-rounds status "status: -r wants a whole number from 0 to 600, not 'x'" status -r x
usage_error top-bad-delay top "top: -d wants seconds from 0.05 to 86400, not '0'" top -d 0
usage_error report-bad-format report "report: --format wants one of text, json, chrome, perfetto, not 'xml'" \
	report x.klpt --format xml
usage_error status-ambiguous-option status "status: option '--no' is ambiguous: --no-stacks, --no-bpf" \
	status --no
usage_error batch-takes-no-value top "top: --batch takes no value" top --batch=1
usage_error force-no-patch force "force: missing PATCH \(a name in /sys/kernel/livepatch\)" force --yes
usage_error force-two-patches force "force: unexpected argument 'b'" force a b
usage_error report-no-file report "report: missing FILE" report
usage_error gate-no-command gate "gate: missing COMMAND" gate --wait
usage_error check-neither check "check: give one PATCH.ko, or --func options" check
usage_error global-no-value - "--root needs DIR" --root
usage_error unknown-command - "unknown command 'frobnicate'" frobnicate
usage_json status-bogus "^status: unknown option '--bogus'\$" status --bogus --json
usage_json json-before-mistake "^status: -r wants" -j status -r 700
usage_json ambiguous-command "^ambiguous command 's': status, shadow\$" s -p
usage_json top-has-no-json "^top: no JSON output from this command" top -j
# --help after a mistake does not hide it; before it, help wins.
k status --bogus --help
check usage/mistake-then-help "$(why)" test "$RC" = 2
k status --help --bogus
check usage/help-then-mistake "$(why)" sh -c '[ "$1" = 0 ] && printf "%s" "$2" | grep -q "^Usage: klptop status"' \
	_ "$RC" "$OUT"

# ---- pipes and a default name (issue 16 item 7) ------------------------------------
# record without -o names the file after the host and the time, and says so;
# -o - writes to stdout and report - reads stdin.
top_fixture "$scratch/tree"
(abs=$(realpath "$bin") && cd "$scratch" && "$abs" --root "$scratch/tree" record -D 0.3 --interval 0.1 \
	>"$scratch/out" 2>"$scratch/err" </dev/null)
RC=$?
OUT=$(cat "$scratch/out")
ERR=$(cat "$scratch/err")
named=$(cd "$scratch" && ls klptop-*-*-*.klpt 2>/dev/null | head -n 1)
check pipes/record-default-name "$(why)" test "$RC" = 0 -a -n "$named"
check pipes/record-says-the-name "$(why)" has "$ERR" "^klptop: recording to $named "
"$bin" --root "$scratch/tree" record -o - -D 0.3 --interval 0.1 2>/dev/null |
	"$bin" report --json - >"$scratch/piped.json" 2>"$scratch/err"
check pipes/record-to-report "$(head -c 200 "$scratch/err")" \
	sh -c 'jq -e ".complete == true and .snapshots >= 2" "$1"' _ "$scratch/piped.json"

# ---- one meaning per letter: the old letters say what to type ------------------
usage_error renamed-record-d record "record: -d is now -D \(--duration; -d is a refresh delay\)" \
	record -o "$scratch/r.klpt" -d 5
usage_error renamed-top-w top "top: -w is now -W \(--width\)" top --batch -w 80
usage_error renamed-check-o check "check: -o is now --object \(-o is --output\)" check -f x -o mod
usage_error renamed-force-r force "force: -r is now --reason \(-r is --rounds\)" force p -r why
usage_error renamed-metrics-t metrics "metrics: -t is now --textfile \(-t is --timeout\)" metrics -t /tmp

# ---- help, version, commands ----------------------------------------------------
k --help
main_help=$OUT
check help/main "$(why)" sh -c '[ "$1" = 0 ] && printf "%s\n" "$2" | grep -q "^Commands:"' _ "$RC" "$OUT"
check help/lists-replay "no --replay in 'klptop --help'" has "$main_help" "--replay FILE"
check help/lists-exit-codes "no exit codes in 'klptop --help'" has "$main_help" "^  6  nothing done"
k help
check help/help-is-main-help "'klptop help' differs from 'klptop --help'" test "$OUT" = "$main_help" -a "$RC" = 0
k status --help
status_help=$OUT
k help status
check help/help-cmd "'klptop help status' differs from 'klptop status --help'" test "$OUT" = "$status_help"
k help stat                              # a prefix
check help/help-prefix "'klptop help stat' differs from 'klptop status --help'" test "$OUT" = "$status_help"
k -h status                              # before the command: klptop's own help
check help/h-before-command "$(why)" test "$OUT" = "$main_help"
k status -h
check help/h-after-command "$(why)" test "$OUT" = "$status_help"
usage_error help-unknown - "unknown command 'bogus'" help bogus
k version
v1=$(printf '%s\n' "$OUT" | head -n 1)
k --version
check help/version "'klptop version' and '--version' differ: $v1 / $(printf '%s\n' "$OUT" | head -n 1)" \
	test "$v1" = "$(printf '%s\n' "$OUT" | head -n 1)" -a -n "$v1"
k st --root "$fx" --json -r 0            # a command prefix that names one command
check help/command-prefix "$(why)" sh -c '[ "$1" = 0 ] && printf "%s" "$2" | jq -e .kernel' _ "$RC" "$OUT"
k s
check help/ambiguous-lists-candidates "$(why)" has "$ERR" "^klptop: ambiguous command 's': status, shadow\$"

# ---- global -j and -p, before or after the command -------------------------------
for form in "-j status" "status -j" "--json status" "status --json"; do
	# shellcheck disable=SC2086
	k --root "$nolp" $form
	check "global/${form// /_}" "$(why)" sh -c \
		'[ "$1" = 3 ] && [ -z "$3" ] && printf "%s" "$2" | jq -e ".error | test(\"no live patching\")"' \
		_ "$RC" "$OUT" "$ERR"
done
k -p status --root "$fx" -r 0
check global/pretty-before "$(why)" sh -c '[ "$1" = 0 ] && [ "$(printf "%s" "$2" | grep -c "")" -gt 10 ] &&
	printf "%s" "$2" | jq -e .transition' _ "$RC" "$OUT"
k status --root "$fx" -r 0 -p
check global/pretty-after "$(why)" sh -c '[ "$1" = 0 ] && [ "$(printf "%s" "$2" | grep -c "")" -gt 10 ]' \
	_ "$RC" "$OUT"
k -v --root "$fx" status -r 0 -B
check global/verbose-before "$(why)" test "$RC" = 0

# ---- exit codes: lib/exitcode.h, from the commands that return them -----------
k --root "$nolp" status
check exit/3-no-livepatch "$(why)" test "$RC" = 3
k --root "$nolp" --batch -n 1
check exit/3-no-livepatch-top "$(why)" test "$RC" = 3
k --root "$ck" check --func klpt_plain
check exit/0-check-clean "$(why)" test "$RC" = 0
k --root "$ck" check --func klpt_helper
check exit/5-check-warnings "$(why)" sh -c '[ "$1" = 5 ] && printf "%s" "$2" | grep -q clones' _ "$RC" "$OUT"
k --root "$ck" check --func klpt_no_such_function --json
check exit/1-check-errors "$(why)" sh -c \
	'[ "$1" = 1 ] && printf "%s" "$2" | jq -e ".exit_code == 1 and .summary.errors > 0"' _ "$RC" "$OUT"
k --root "$ck" check --func klpt_helper -j
check exit/5-check-json "$(why)" sh -c '[ "$1" = 5 ] && printf "%s" "$2" | jq -e ".exit_code == 5"' _ "$RC" "$OUT"
k report "$scratch/missing.klpt"
check exit/1-error "$(why)" test "$RC" = 1
k gate --root "$fx" -- true
check exit/2-gate-root "$(why)" sh -c '[ "$1" = 2 ] && printf "%s" "$2" | grep -q "cannot run with --root"' \
	_ "$RC" "$ERR"
exit $status
