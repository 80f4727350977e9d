#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sid-chroot.sh [--refresh]: the Debian sid chroot that carries the newest
# lab kernel (scripts/lab-env.sh says where: $KLPTOP_LAB_CACHE/sid).
#
# Debian 12 cannot build modules for sid's kernels (their headers need sid's
# gcc and glibc), and sid must not go into the host's apt sources. So a
# minimal sid chroot (debootstrap --variant=minbase) holds the newest
# linux-binary-REL (the image: /usr/lib/modules/REL/vmlinuz, with its
# config), linux-headers-REL with the compiler they name, make, and the
# kernel's source (livepatch, sched, selftests) unpacked in
# /usr/src/linux-source-X.Y for reading. The release is discovered with
# apt-cache, never written down.
#
# Idempotent: the chroot is made once; apt inside it is asked again only
# when the last look is older than KLPTOP_LAB_REFRESH_H hours (default 24)
# or with --refresh; otherwise one line and nothing done. A newer kernel
# replaces the old one. When the mirror cannot be reached, an existing
# chroot stays in use (with a warning); with none, the reason goes to
# $KLPT_SID_DOWN for the lab's summary, and the exit status is 1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab-env.sh"

refresh=0
[ "${1:-}" = --refresh ] && refresh=1
mirror=${KLPTOP_SID_MIRROR:-http://deb.debian.org/debian}
max_age_h=${KLPTOP_LAB_REFRESH_H:-24}
stamp=$KLPT_SID/.klptop-refreshed
# The mirror may serve sid with a Release file past its Valid-Until date.
apt_opts=(-q -o Acquire::Check-Valid-Until=false -o DPkg::Lock::Timeout=600)

say() { echo "sid-chroot: $*"; }
unavailable() { # unavailable WHY: no usable chroot; tell the lab why
	mkdir -p "$KLPTOP_LAB_CACHE"
	echo "$1" >"$KLPT_SID_DOWN"
	say "$1" >&2
	exit 1
}
degraded() { # degraded WHY: refreshing failed, the existing chroot stays
	say "warning: $1; keeping $(cat "$KLPT_SID_KERNEL") in $KLPT_SID" >&2
	exit 0
}
fail() {
	if [ -s "$KLPT_SID_KERNEL" ]; then degraded "$1"; else unavailable "$1"; fi
}

[ "$(id -u)" = 0 ] || { say "needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || unavailable "debootstrap is not installed"

if [ -s "$KLPT_SID_KERNEL" ] && [ $refresh = 0 ] &&
	[ -n "$(find "$stamp" -mmin -$((max_age_h * 60)) 2>/dev/null)" ]; then
	say "$(cat "$KLPT_SID_KERNEL") in $KLPT_SID (checked within ${max_age_h} h)"
	exit 0
fi

if [ ! -x "$KLPT_SID/usr/bin/apt-get" ]; then
	say "debootstrap --variant=minbase sid $KLPT_SID ($mirror)"
	rm -rf "$KLPT_SID.new"
	mkdir -p "$KLPTOP_LAB_CACHE"
	debootstrap --variant=minbase sid "$KLPT_SID.new" "$mirror" >"$KLPTOP_LAB_CACHE/debootstrap.log" 2>&1 ||
		unavailable "debootstrap of sid from $mirror failed (see $KLPTOP_LAB_CACHE/debootstrap.log)"
	rm -rf "$KLPT_SID"
	mv "$KLPT_SID.new" "$KLPT_SID"
fi

in_sid() { sid_run env DEBIAN_FRONTEND=noninteractive "$@" </dev/null; }
in_sid apt-get "${apt_opts[@]}" update >"$KLPTOP_LAB_CACHE/apt.log" 2>&1 ||
	fail "apt-get update in the sid chroot failed (see $KLPTOP_LAB_CACHE/apt.log)"

# Newest generic amd64 image package: linux-binary-7.2.13+deb14-amd64, not
# -cloud, -rt nor -unsigned.
rel=$(in_sid apt-cache search --names-only '^linux-binary-[0-9].*-amd64$' |
	sed -n 's/^linux-binary-\([0-9][^ ]*+deb[0-9]*-amd64\) .*/\1/p' | sort -V | tail -n 1)
[ -n "$rel" ] || fail "no linux-binary-*-amd64 package in sid"
cur=$(cat "$KLPT_SID_KERNEL" 2>/dev/null)
if [ "$rel" = "$cur" ] && [ -e "$KLPT_SID/usr/lib/modules/$rel/vmlinuz" ]; then
	touch "$stamp"
	rm -f "$KLPT_SID_DOWN"
	say "$rel is sid's newest kernel; nothing to do"
	exit 0
fi

# The compiler the headers were built for (Depends: gcc-N-for-host), under
# its plain name too (gcc-N), which kbuild calls.
gcc=$(in_sid apt-cache depends "linux-headers-$rel" | sed -n 's/.*Depends: \(gcc-[0-9]*\)-for-host$/\1/p' | head -n 1)
src=linux-source-$(echo "$rel" | cut -d. -f1,2)
say "installing linux-binary-$rel, linux-headers-$rel, ${gcc:-gcc}, make, $src"
in_sid apt-get "${apt_opts[@]}" install -y --no-install-recommends \
	"linux-binary-$rel" "linux-headers-$rel" "${gcc:-gcc}" make xz-utils "$src" \
	>>"$KLPTOP_LAB_CACHE/apt.log" 2>&1 ||
	fail "installing the $rel kernel in the sid chroot failed (see $KLPTOP_LAB_CACHE/apt.log)"

# Only the parts of the source the project reads: live patching, the
# scheduler, x86 headers, and upstream's livepatch tests and tools.
if [ -e "$KLPT_SID/usr/src/$src.tar.xz" ]; then
	rm -rf "$KLPT_SID/usr/src/$src"
	tar -C "$KLPT_SID/usr/src" -xJf "$KLPT_SID/usr/src/$src.tar.xz" \
		"$src/kernel" "$src/include" "$src/arch/x86/include" "$src/arch/x86/kernel" \
		"$src/samples/livepatch" "$src/Documentation/livepatch" "$src/scripts/livepatch" \
		"$src/tools/testing/selftests/livepatch" "$src/tools/objtool" 2>/dev/null ||
		say "warning: could not unpack parts of $src.tar.xz" >&2
fi

# Drop older kernels: only the newest is a lab kernel.
old=$(in_sid dpkg-query -W -f '${Package}\n' 'linux-binary-*' 'linux-headers-*' 2>/dev/null |
	grep -E '^linux-(binary|headers)-[0-9]' | grep -v -- "-$rel\$" | grep -v -- "-${rel%-amd64}-common\$" || true)
[ -z "$old" ] || in_sid apt-get "${apt_opts[@]}" purge -y $old >>"$KLPTOP_LAB_CACHE/apt.log" 2>&1 || true

echo "$rel" >"$KLPT_SID_KERNEL"
touch "$stamp"
rm -f "$KLPT_SID_DOWN"
say "$rel ready in $KLPT_SID"
