#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkinitramfs.sh REL OUT.cpio.gz: the lab initramfs for kernel REL.
#   /bin/busybox + applet links, /init (tests/vm/init), /bin/klptop
#   (build/klptop), /lib/klptop/kmod/*.ko (build/kmod/REL), /lib/klptop/lib.sh,
#   /scenarios/*.sh, dynamically linked jq and capsh (privilege tests) with
#   their libraries and loader,
#   terminfo entries for the serial console, and the executables in
#   build/bench/ (static benchmark helpers) in /bin.
# Rebuilds only when an input changed (OUT.inputs lists them with size and
# mtime). Needs no root: cpio writes every file as owned by root.
set -euo pipefail
rel=${1:?usage: mkinitramfs.sh REL OUT.cpio.gz}
out=${2:?usage: mkinitramfs.sh REL OUT.cpio.gz}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
vm=$root/tests/vm

busybox=$(command -v busybox || echo /bin/busybox)
jq=$(command -v jq || true)
capsh=$(command -v capsh || echo /usr/sbin/capsh)
[ -x "$busybox" ] || { echo "mkinitramfs: no busybox (run 'make deps')" >&2; exit 1; }
[ -n "$jq" ] || { echo "mkinitramfs: no jq (run 'make deps')" >&2; exit 1; }
[ -x "$capsh" ] || { echo "mkinitramfs: no capsh (run 'make deps')" >&2; exit 1; }
dynlibs() { ldd "$@" | awk '/=> \//{ print $3 } /^\t\//{ print $1 }' | sort -u; }
if ldd "$busybox" >/dev/null 2>&1; then
	echo "mkinitramfs: $busybox is dynamically linked: install busybox-static" >&2
	exit 1
fi

# Serial-console terminal types, and (if installed) those of tmux/screen,
# so "make demo" inside them keeps its TERM.
terms="vt100 vt220 linux xterm xterm-256color dumb"
extra_terms="screen screen-256color tmux tmux-256color"

terminfo() { # path of a terminfo entry
	for d in /usr/share/terminfo /lib/terminfo /etc/terminfo; do
		[ -f "$d/${1:0:1}/$1" ] && { echo "$d/${1:0:1}/$1"; return; }
	done
}

# Inputs: everything copied, plus this script and its helpers.
inputs() {
	printf '%s\n' "$0" "$vm/init" "$vm/lib.sh" "$busybox" "$jq" "$capsh"
	ls "$vm"/scenarios/*.sh 2>/dev/null || true
	ls "$build"/kmod/"$rel"/*.ko 2>/dev/null || true
	[ -e "$build/klptop" ] && echo "$build/klptop"
	find "$build/bench" -maxdepth 1 -type f -perm -u+x 2>/dev/null || true
	dynlibs "$jq" "$capsh"
	for t in $terms $extra_terms; do terminfo $t; done
}
manifest=$(inputs | sort -u | xargs stat -L -c '%n %s %Y')
if [ -z "${KLPT_KEEP_STAGE:-}" ] && [ -f "$out" ] && [ -f "$out.inputs" ] && [ "$(cat "$out.inputs")" = "$manifest" ]; then
	exit 0
fi

if [ -n "${KLPT_KEEP_STAGE:-}" ]; then # lab.sh --keep: leave it for inspection
	stage=$KLPT_KEEP_STAGE
	rm -rf "$stage" && mkdir -p "$stage"
else
	stage=$(mktemp -d "${TMPDIR:-/tmp}/klpt-initramfs.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
fi
cd "$stage"
mkdir -p bin sbin usr/bin usr/sbin dev proc sys tmp run root etc \
	lib/klptop/kmod scenarios usr/share/terminfo
cp "$busybox" bin/busybox
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -s busybox "bin/$a"
done
cp "$vm/init" init
chmod 755 init
cp "$vm/lib.sh" lib/klptop/lib.sh
cp "$vm"/scenarios/*.sh scenarios/ 2>/dev/null || true
if [ -e "$build/klptop" ]; then
	cp "$build/klptop" bin/klptop
else
	echo "mkinitramfs: warning: $build/klptop not built; the guest has no klptop" >&2
fi
# Benchmark helpers (bench/*.c, built static into build/bench/), if any.
find "$build/bench" -maxdepth 1 -type f -perm -u+x -exec cp {} bin/ \; 2>/dev/null || true
kos=$(ls "$build"/kmod/"$rel"/*.ko 2>/dev/null || true)
[ -n "$kos" ] && cp $kos lib/klptop/kmod/
[ -n "$kos" ] || echo "mkinitramfs: warning: no modules in $build/kmod/$rel (run 'make kmod')" >&2

# jq and capsh are dynamic: bring their libraries and the loader at their
# own paths.
rm -f bin/jq
cp "$jq" bin/jq
cp "$capsh" sbin/capsh
for lib in $(dynlibs "$jq" "$capsh"); do
	mkdir -p ".$(dirname "$lib")"
	cp -L "$lib" ".$lib"
done
[ -e lib64 ] || ln -s lib lib64 2>/dev/null || true

for t in $terms $extra_terms; do
	src=$(terminfo $t)
	if [ -z "$src" ]; then
		[[ " $terms " = *" $t "* ]] && echo "mkinitramfs: warning: no terminfo for $t" >&2
		continue
	fi
	mkdir -p "usr/share/terminfo/${t:0:1}"
	cp "$src" "usr/share/terminfo/${t:0:1}/$t"
done
echo 'root:x:0:0:root:/root:/bin/sh' >etc/passwd
echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh' >>etc/passwd
echo 'root:x:0:' >etc/group

mkdir -p "$(dirname "$out")"
find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "$manifest" >"$out.inputs"
