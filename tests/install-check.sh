#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# install-check.sh DIR: `make install` into a scratch DESTDIR (two prefixes),
# then what a user does next: run the binary, `man klptop`, tab-complete,
# point systemd at the exporter unit, ask `file -m` what a recording is;
# then `make uninstall` leaves nothing.
# Writes DIR/install.txt (PASS/FAIL lines).
dir=${1:?usage: install-check.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$dir/install.txt
mkdir -p "$dir"
: >"$out"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/klptop-install.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

result() { # name ok detail
	if [ "$2" = 1 ]; then echo "PASS install/$1" >>"$out"; else echo "FAIL install/$1: $3" >>"$out"; fi
}
ok() { if "$@" >/dev/null 2>&1; then echo 1; else echo 0; fi; }
mode_is() { [ -f "$1" ] && [ "$(stat -c %a "$1")" = "$2" ]; }

# file(1) with the installed magic(5) entry: both format versions, a
# redacted recording made by the installed binary through a pipe, and a
# file that is no recording.
check_magic() { # tag prefix-dir
	magic=$2/share/misc/klptop.magic
	result "$1/klptop.magic-0644" "$(ok mode_is "$magic" 644)" "$magic missing or not 0644"
	for v in 1 2; do
		seed=$root/tests/fuzz/corpus/stuck-spin$([ $v = 2 ] && echo -v2).klp
		said=$(file -b -m "$magic" "$seed" 2>&1)
		result "$1/file-says-version-$v" "$(ok test "$said" = "klptop recording, format version $v")" \
			"file -m: $said"
	done
	# (a subshell: the fixture's helpers use shell globals such as d)
	(. "$root/tests/fixture-tree.sh" && top_fixture "$scratch/tree")
	"$2/sbin/klptop" --root "$scratch/tree" record --redact -o - -D 0.2 --interval 0.1 \
		>"$scratch/r.klpt" 2>/dev/null
	said=$(file -b -m "$magic" "$scratch/r.klpt" 2>&1)
	result "$1/file-says-redacted" \
		"$(ok test "$said" = "klptop recording, format version 2, redacted")" "file -m: $said"
	said=$(file -b -m "$magic" "$root/README.md" 2>&1)
	result "$1/file-other-not-recording" "$(ok test "${said#klptop}" = "$said")" "file -m: $said"
}

for prefix in /usr/local /opt/klptop; do
	d=$scratch/dest
	p=$d$prefix
	tag=${prefix#/}; tag=$(echo "$tag" | tr / -)
	rm -rf "$d"
	log=$scratch/make.log
	make -s -C "$root" install DESTDIR="$d" PREFIX="$prefix" >"$log" 2>&1
	result "$tag/make-install" "$(ok test $? = 0)" "$(tail -n 1 "$log")"
	result "$tag/binary-0755" "$(ok mode_is "$p/sbin/klptop" 755)" "$p/sbin/klptop missing or not 0755"
	for f in share/man/man8/klptop.8 share/bash-completion/completions/klptop \
		lib/systemd/system/klptop-exporter.service share/doc/klptop/troubleshooting.md; do
		result "$tag/$(basename "$f")-0644" "$(ok mode_is "$p/$f" 644)" "$p/$f missing or not 0644"
	done
	v=$("$p/sbin/klptop" --version 2>&1)
	echo "$v" | grep -q '^klptop ' && echo "$v" | grep -q 'libbpf' &&
		echo "$v" | grep -q 'iter/task'
	result "$tag/version-build-facts" "$(ok test $? = 0)" "--version lacks version, libbpf or BPF programs: $(echo "$v" | head -n 1)"
	# man finds the page by MANPATH, as it would under /usr/local/share/man.
	page=$(MANPATH="$p/share/man" MANWIDTH=80 man -P cat klptop 2>"$scratch/man.err")
	echo "$page" | grep -q 'klptop force' && echo "$page" | grep -q 'EXIT STATUS'
	result "$tag/man-klptop" "$(ok test $? = 0)" "man klptop did not render: $(head -n 1 "$scratch/man.err")"
	warn=$(LC_ALL=C MANWIDTH=80 man --warnings=w -l "$p/share/man/man8/klptop.8" 2>&1 >/dev/null)
	result "$tag/man-no-warnings" "$(ok test -z "$warn")" "$(echo "$warn" | head -n 1)"
	comp=$(bash -c ". '$p/share/bash-completion/completions/klptop' && complete -p klptop" 2>&1)
	result "$tag/completion-loads" "$(ok test -n "$comp")" "complete -p klptop: $comp"
	unit=$p/lib/systemd/system/klptop-exporter.service
	result "$tag/unit-execstart" "$(ok grep -q "^ExecStart=$prefix/sbin/klptop metrics" "$unit")" \
		"ExecStart does not name $prefix/sbin/klptop"
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
	result "$tag/unit-binary-installed" "$(ok test -x "$d$exe")" "ExecStart=$exe is not installed"
	check_magic "$tag" "$p"
	alerts=$p/share/doc/klptop/klptop-alerts.yml
	runbooks=$(grep -c "runbook_url: \"file://$prefix/share/doc/klptop/metrics.md#" "$alerts" 2>/dev/null)
	result "$tag/alerts-runbook-url" "$(ok test "$runbooks" -gt 0 -a "$runbooks" = "$(grep -c "runbook_url:" "$alerts")")" \
		"runbook_url of the installed alert rules does not name $prefix/share/doc/klptop"
	make -s -C "$root" uninstall DESTDIR="$d" PREFIX="$prefix" >"$log" 2>&1
	left=$(find "$d" -type f 2>/dev/null)
	result "$tag/uninstall-leaves-nothing" "$(ok test -z "$left")" "left: $(echo $left | head -c 200)"
done
grep -q FAIL "$out" && exit 1
exit 0
