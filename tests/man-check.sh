#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# man-check.sh DIR [BIN] [MANPAGE] [COMPLETION]: the man page documents every long option
# that 'BIN --help' and 'BIN COMMAND --help' print, in that command's section.
# Commands are read from the "Commands:" list of 'BIN --help' (main.c's
# table), so a new command or option without man page text fails here.
# Writes DIR/man.txt: "PASS man/CMD/--OPTION", "FAIL man/CMD/--OPTION: why",
# and "man/CMD/section" for each command's section (.SS CMD). Global options
# are checked under CMD "global" in the GLOBAL OPTIONS section. The bash
# completion (docs/klptop.bash-completion) must offer every command and
# option too: "man/completion/CMD/--OPTION". And every JSON key that
# src/render/output.c writes is documented: "man/json.md/KEY".
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
plain=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' "$man")

# Lines of one section: from the header line matching $1 (an ERE) up to the
# next .SH, or the next .SS when $2 is "ss".
section() {
	printf '%s\n' "$plain" | awk -v re="$1" -v ss="$2" '
		on && (/^\.SH/ || (ss == "ss" && /^\.SS/)) { exit }
		$0 ~ re { on = 1; next }
		on { print }'
}

# Long options a help text names (usage lines and option lists). A name
# with a dot inside is another program's option (node_exporter's
# --collector.textfile.directory), a trailing dot ends a sentence.
long_opts() {
	grep -oE -- '--[a-z][a-z0-9.-]*' | sed 's/\.*$//' | grep -v '\.' | sort -u
}

check_opts() { # cmd help-text section-text
	for opt in $(printf '%s\n' "$2" | long_opts); do
		if [ -r "$comp" ]; then
			grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|\$)" "$comp"
			result "completion/$1/$opt" "$([ $? -eq 0 ] && echo 1)" \
				"docs/klptop.bash-completion does not offer $opt"
		fi
		# As a word: --no-bpf must not be satisfied by --no-bpf-foo.
		if printf '%s\n' "$3" | grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|\$)"; then
			result "$1/$opt" 1
		else
			result "$1/$opt" 0 "'klptop $1 --help' names $opt; the man page's $1 section does not"
		fi
	done
}

main_help=$("$bin" --help 2>&1 </dev/null)
cmds=$(printf '%s\n' "$main_help" | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
if [ -z "$cmds" ]; then
	result commands 0 "no \"Commands:\" list in '$bin --help'"
	exit 1
fi

# Global options: the part of 'klptop --help' that is not the command list.
glob_help=$(printf '%s\n' "$main_help" | awk '/^Commands:/ { skip = 1; next }
	skip && /^$/ { skip = 0; next } !skip && !/^Run .klptop COMMAND/')
glob_sec=$(section '^\.SH "?GLOBAL OPTIONS' sh)
result global/section "$([ -n "$glob_sec" ] && echo 1)" "no GLOBAL OPTIONS section"
check_opts global "$glob_help" "$glob_sec"

for cmd in $cmds; do
	sec=$(section "^\\.SS \"?$cmd( |\"|\$)" ss)
	result "$cmd/section" "$([ -n "$sec" ] && echo 1)" "no '.SS $cmd' section"
	help=$("$bin" "$cmd" --help 2>&1 </dev/null)
	rc=$?
	if [ $rc -ne 0 ] || [ -z "$help" ]; then
		result "$cmd/help" 0 "'klptop $cmd --help' exited $rc"
		continue
	fi
	check_opts "$cmd" "$help" "$sec"
done

# The completion offers every command.
for cmd in $cmds; do
	result "completion/$cmd" "$(grep -q "commands=\".*\b$cmd\b" "$comp" 2>/dev/null && echo 1)" \
		"docs/klptop.bash-completion does not list the command $cmd"
done

# The synopsis names every command.
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
