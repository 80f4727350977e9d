#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kbuild.sh REL SRCDIR OUTDIR [MAKE ARGS...]: build the out-of-tree modules
# in SRCDIR (a Kbuild file and its sources) for lab kernel REL, and put the
# .ko files in OUTDIR. The kbuild tree may live on the host or in the sid
# chroot (scripts/kernels.sh -l says where); for a chroot, the sources are
# copied into its /tmp and built there with the chroot's own compiler, so
# nothing of the host's toolchain is mixed in.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab-env.sh"
rel=${1:?usage: kbuild.sh REL SRCDIR OUTDIR [MAKE ARGS...]}
src=${2:?usage: kbuild.sh REL SRCDIR OUTDIR}
out=${3:?usage: kbuild.sh REL SRCDIR OUTDIR}
shift 3
kb=$("$here/kernels.sh" --kbuild "$rel")
root=$("$here/kernels.sh" --root "$rel")
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ "$root" = / ]; then
	# Build in OUTDIR itself: kbuild writes its objects beside the sources.
	[ "$(cd "$src" && pwd)" = "$out" ] || cp -r "$src"/. "$out"/
	exec make -s -C "$kb" M="$out" modules "$@"
fi

[ "$root" = "$KLPT_SID" ] || { echo "kbuild: $rel lives in $root, not in the sid chroot" >&2; exit 1; }
work=$(mktemp -d "$root/tmp/klptop-kbuild.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$src"/. "$work"/
sid_run make -s -C "$kb" M="/tmp/${work##*/}" modules "$@"
cp "$work"/*.ko "$out"/
