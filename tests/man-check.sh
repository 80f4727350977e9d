#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# man-check.sh DIR [BIN] [MANPAGE] [COMPLETION]: the man page, the bash
# completion and the exit-code table against the option tables. The tables
# (src/cmd/*.c) print 'BIN --help' and 'BIN COMMAND --help'; everything here
# is checked against those, so a new option, a renamed letter or a new exit
# code that the man page or the completion misses fails here.
# Writes DIR/man.txt, "PASS man/NAME" or "FAIL man/NAME: why":
#   CMD/section         the man page has a ".SS CMD" section (global: GLOBAL OPTIONS)
#   CMD/--OPT           each option of CMD's help is a .TP entry of that
#                       section written as the help writes it (-d, --delay SECONDS)
#   CMD/stale/--OPT     each .TP option entry of the section is an option of CMD
#   CMD/usage/--OPT     each --OPT that CMD's usage or description names exists
#   CMD/width           no line of CMD's help is wider than 80 columns
#   letters/-X          a short letter names one long option across klptop
#   renamed/CMD/-X      each RENAMED OPTIONS entry: the old letter is refused,
#                       exit 2, saying what it is now
#   exit/N, exit/table  lib/exitcode.h's codes are exactly those of --help,
#                       the man page's EXIT STATUS and troubleshooting.md
#   completion/...      the completion, run in bash, offers exactly a
#                       command's options, no option where a value goes, and
#                       the commands
#   synopsis/CMD        SYNOPSIS names every command
#   json.md/KEY         every JSON key src/render/output.c writes is documented
dir=${1:?usage: man-check.sh DIR [BIN] [MANPAGE] [COMPLETION]}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${2:-$root/build/klptop}
man=${3:-$root/docs/klptop.8}
comp=${4:-$root/docs/klptop.bash-completion}
out=$dir/man.txt
mkdir -p "$dir"
: >"$out"
status=0

result() { # name ok detail
	if [ "$2" = 1 ]; then
		echo "PASS man/$1" >>"$out"
	else
		echo "FAIL man/$1: $3" >>"$out"
		status=1
	fi
}

if [ ! -x "$bin" ] || [ ! -r "$man" ]; then
	result setup 0 "need $bin (make) and $man"
	exit 1
fi

# The man source as plain text: roff escapes for '-' undone, font changes
# dropped, so "\fB\-\-json\fR" reads "--json".
plain=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\(dq/"/g' "$man")

# Lines of one section: from the header line matching $1 (an ERE) up to the
# next .SH, or the next .SS when $2 is "ss".
section() {
	printf '%s\n' "$plain" | awk -v re="$1" -v ss="$2" '
		on && (/^\.SH/ || (ss == "ss" && /^\.SS/)) { exit }
		$0 ~ re { on = 1; next }
		on { print }'
}

# The option entries of a section: the line after each .TP that starts with
# an option, as the help writes it: ".BR -d ", " --delay " SECONDS"" reads
# "-d, --delay SECONDS".
tp_options() {
	awk '/^\.TP/ { tp = 1; next }
		tp { tp = 0; line = $0
		     sub(/^\.[A-Z]+ /, "", line); gsub(/"/, "", line)
		     gsub(/ +/, " ", line); gsub(/ , /, ", ", line); sub(/ +$/, "", line)
		     if (line ~ /^-/) print line }'
}

# The left column of the option lines in a help's "Options:" block, or its
# "Global options:" block ($1): "-d, --delay SECONDS", "--object MOD".
help_options() {
	awk -v block="$1" '
		$0 == block ":" { on = 1; next }
		/^[^ ]/ || /^$/ { on = 0 }
		on && /^(  -|      --)/ { l = $0; sub(/^ +/, "", l); c = index(l, "  ")
				if (c) l = substr(l, 1, c - 1); print l }'
}

long_of() { # "-d, --delay SECONDS" -> --delay
	printf '%s\n' "$1" | grep -oE -- '--[a-z0-9-]+' | head -n 1
}

main_help=$("$bin" --help 2>&1 </dev/null)
cmds=$(printf '%s\n' "$main_help" | awk '/^Commands:$/ { on = 1; next } on && /^[^ ]/ { exit }
	on && /^  [a-z]/ { print $1 }')
if [ -z "$cmds" ]; then
	result commands 0 "no \"Commands:\" list in '$bin --help'"
	exit 1
fi

# check_section NAME SECTION-TEXT HELP-OPTION-LINES: both ways, in one awk.
check_section() {
	printf '%s\n' "$2" | tp_options | awk -v name="$1" -v help="$3" '
		function long(o) { return match(o, /--[a-z0-9-]+/) ? substr(o, RSTART, RLENGTH) : o }
		BEGIN { n = split(help, h, "\n"); for (i = 1; i <= n; i++) if (h[i] != "") want[h[i]] = 1 }
		{ have[$0] = 1 }
		END {
			for (o in want)
				if (o in have) print "PASS man/" name "/" long(o)
				else print "FAIL man/" name "/" long(o) ": the man page'"'"'s " name \
					" section has no entry \"" o "\" (as its --help writes it)"
			for (o in have)
				if (o in want) print "PASS man/" name "/stale/" long(o)
				else print "FAIL man/" name "/stale/" long(o) ": the man page'"'"'s " name \
					" section documents \"" o "\", which its --help does not list so"
		}' >>"$out"
}

# ---- global options ----------------------------------------------------------
glob_sec=$(section '^\.SH "?GLOBAL OPTIONS' sh)
result global/section "$([ -n "$glob_sec" ] && echo 1)" "no GLOBAL OPTIONS section"
glob_opts=$(printf '%s\n' "$main_help" | help_options "Global options")
check_section global "$glob_sec" "$glob_opts"

# ---- each command ------------------------------------------------------------
letters=$(mktemp)
printf '%s\n' "$glob_opts" | grep -E '^-[A-Za-z],' | awk '{ sub(/,$/, "", $1); print $1, $2, "global" }' >"$letters"
for cmd in $cmds; do
	help=$("$bin" "$cmd" --help 2>&1 </dev/null)
	rc=$?
	if [ $rc -ne 0 ] || [ -z "$help" ]; then
		result "$cmd/help" 0 "'klptop $cmd --help' exited $rc"
		continue
	fi
	sec=$(section "^\\.SS \"?$cmd( |\"|\$)" ss)
	result "$cmd/section" "$([ -n "$sec" ] && echo 1)" "no '.SS $cmd' section"
	opts=$(printf '%s\n' "$help" | help_options Options)
	check_section "$cmd" "$sec" "$opts"
	all=$(printf '%s\n%s\n' "$opts" "$(printf '%s\n' "$help" | help_options "Global options")")
	printf '%s\n' "$opts" | grep -E '^-[A-Za-z],' | awk -v c="$cmd" '{ sub(/,$/, "", $1); print $1, $2, c }' >>"$letters"
	# What the usage lines and the description name must exist.
	for o in $(printf '%s\n' "$help" | awk '/^(Options|Global options):$/ { exit } { print }' |
			grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
		printf '%s\n' "$all" | grep -qE -- "(^|, )$o( |\$)"
		result "$cmd/usage/$o" "$([ $? -eq 0 ] && echo 1)" \
			"'klptop $cmd --help' names $o in its usage or description, but has no such option"
	done
	wide=$(printf '%s\n' "$help" | awk 'length > 80' | head -n 1)
	result "$cmd/width" "$([ -z "$wide" ] && echo 1)" "a help line over 80 columns: $wide"
done
wide=$(printf '%s\n' "$main_help" | awk 'length > 80' | head -n 1)
result "klptop/width" "$([ -z "$wide" ] && echo 1)" "a help line over 80 columns: $wide"

# One meaning per letter: every command that has -X means the same --long.
for l in $(cut -d' ' -f1 "$letters" | sort -u); do
	meanings=$(awk -v l="$l" '$1 == l { print $2 }' "$letters" | sort -u)
	result "letters/$l" "$([ "$(printf '%s\n' "$meanings" | wc -l)" -eq 1 ] && echo 1)" \
		"$l means $(printf '%s' "$meanings" | tr '\n' ' ')in $(awk -v l="$l" '$1 == l { printf "%s ", $3 }' "$letters")"
done
rm -f "$letters"

# ---- renamed letters -----------------------------------------------------------
renamed=$(section '^\.SH "?RENAMED OPTIONS' sh | awk '/^\.TP/ { tp = 1; next } tp { tp = 0; sub(/^\.B /, ""); print }')
result renamed/section "$([ -n "$renamed" ] && echo 1)" "no RENAMED OPTIONS entries"
printf '%s\n' "$renamed" | while read -r cmd letter; do
	[ -n "$letter" ] || continue
	err=$("$bin" "$cmd" "$letter" x 2>&1 >/dev/null </dev/null)
	rc=$?
	result "renamed/$cmd/$letter" "$([ $rc -eq 2 ] && printf '%s' "$err" | grep -q "^klptop: $cmd: $letter is now " && echo 1)" \
		"'klptop $cmd $letter x' exited $rc: $(printf '%s' "$err" | head -n 1)"
done

# ---- exit codes ------------------------------------------------------------------
codes=$(grep -oE 'X\(EXIT_[A-Z_]+, [0-9]+' "$root/src/lib/exitcode.h" | awk '{ print $2 }' | sort -n | tr '\n' ' ')
help_codes=$(printf '%s\n' "$main_help" | awk '/^Exit status:$/ { on = 1; next } on && /^  [0-9]/ { print $1 } on && /^[^ ]/ { exit }' | sort -n | tr '\n' ' ')
man_codes=$(section '^\.SH "?EXIT STATUS' sh | awk '/^\.TP/ { tp = 1; next } tp { tp = 0; if ($1 == ".B" && $2 ~ /^[0-9]+$/) print $2 }' | sort -n | tr '\n' ' ')
ts_codes=$(awk '/^## Exit codes/ { on = 1; next } on && /^## / { exit } on && /^\| *[0-9]+ *\|/ { gsub(/[| ]/, "", $2); print $2 }' FS='|' "$root/docs/troubleshooting.md" | sort -n | tr '\n' ' ')
result exit/table "$([ -n "$codes" ] && echo 1)" "no X(EXIT_...) lines in src/lib/exitcode.h"
result exit/help "$([ "$help_codes" = "$codes" ] && echo 1)" "'klptop --help' lists $help_codes; exitcode.h has $codes"
result exit/man "$([ "$man_codes" = "$codes" ] && echo 1)" "EXIT STATUS lists $man_codes; exitcode.h has $codes"
result exit/troubleshooting "$([ "$ts_codes" = "$codes" ] && echo 1)" \
	"troubleshooting.md's exit code table lists $ts_codes; exitcode.h has $codes"

# ---- bash completion -------------------------------------------------------------
# complete_all: for each line of stdin, words separated by spaces ("%" for
# an empty word, the last one is completed), print "LINE|OFFERED WORDS"
# (sorted), running the completion in one bash.
complete_all() {
	bash -c '. "$1"
		while read -r -a q; do
			for i in "${!q[@]}"; do [ "${q[i]}" = % ] && q[i]=""; done
			COMP_WORDS=("${q[@]}"); COMP_CWORD=$((${#q[@]} - 1)); COMPREPLY=()
			_klptop
			printf "%s|%s|%s\n" "${#q[@]}" "${q[*]}" \
				"$(printf "%s\n" "${COMPREPLY[@]}" | sort -u | tr "\n" " ")"
		done' _ "$comp" 2>/dev/null
}
if ! command -v bash >/dev/null 2>&1 || [ ! -r "$comp" ]; then
	echo "SKIP man/completion: no bash or no $comp" >>"$out"
else
	queries=$(mktemp)
	wants=$(mktemp)
	echo "$bin %" >"$queries"
	echo "commands|$(printf '%s\n' $cmds | sort -u | tr '\n' ' ')" >"$wants"
	for cmd in $cmds; do
		help=$("$bin" "$cmd" --help 2>&1 </dev/null)
		lines=$(printf '%s\n%s\n' "$(printf '%s\n' "$help" | help_options Options)" \
			"$(printf '%s\n' "$help" | help_options "Global options")")
		echo "$bin $cmd -" >>"$queries"
		echo "$cmd|$(printf '%s\n' "$lines" | grep -oE -- '(^|, )-[-a-zA-Z0-9]+' | sed 's/^, //' |
			sort -u | tr '\n' ' ')" >>"$wants"
		# Where a value goes, no option may be offered.
		for o in $(printf '%s\n' "$lines" | awk 'NF > 1 && $NF !~ /^-/' | grep -oE -- '--[a-z0-9-]+'); do
			echo "$bin $cmd $o %" >>"$queries"
		done
	done
	complete_all <"$queries" | awk -F'|' -v wants="$wants" -v bin="$bin" '
		BEGIN { while ((getline l < wants) > 0) { split(l, p, "|"); want[p[1]] = p[2] } }
		{
			split($2, w, " ")
			if ($1 == 2) {
				name = "commands"; ok = $3 == want["commands"]
				why = "offers \x27" $3 "\x27, the help lists \x27" want["commands"] "\x27"
			} else if ($1 == 3) {
				name = w[2]; ok = $3 == want[w[2]]
				why = "offers \x27" $3 "\x27, the help lists \x27" want[w[2]] "\x27"
			} else {
				name = w[2] "/" w[3] "-value"; ok = $3 !~ /(^| )-/
				why = "after " w[3] " (which takes a value) it offers options: " $3
			}
			print (ok ? "PASS" : "FAIL") " man/completion/" name (ok ? "" : ": " why)
		}' >>"$out"
	rm -f "$queries" "$wants"
fi

# ---- synopsis, JSON keys -----------------------------------------------------------
syn=$(section '^\.SH SYNOPSIS' sh)
for cmd in $cmds; do
	result "synopsis/$cmd" "$(printf '%s\n' "$syn" | grep -qw -- "$cmd" && echo 1)" \
		"SYNOPSIS does not name $cmd"
done
# Every key of the status JSON (src/render/output.c) is documented in docs/json.md
# (or, for the "shadows" object, docs/shadow.md), as `key` or `key[]`.
src=$root/src/render/output.c
bt='`'
if [ -r "$src" ]; then
	for k in $(grep -oE 'json_object_object_add\([a-z_]+, "[a-z_]+"' "$src" |
			sed -E 's/.*"([a-z_]+)"/\1/' | sort -u); do
		grep -qE "$bt$k(\\[\\])?$bt" "$root/docs/json.md" "$root/docs/shadow.md" 2>/dev/null
		result "json.md/$k" "$([ $? -eq 0 ] && echo 1)" \
			"src/render/output.c writes the JSON key '$k'; docs/json.md does not document it"
	done
fi
exit $status
