#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kernels.sh [-l | --image REL | --kbuild REL | --root REL]: the lab kernels
# on this machine, newest first.
#
# A lab kernel is a release with an image whose config has CONFIG_LIVEPATCH=y
# and a kbuild tree (make kmod needs one). They are looked for wherever
# Debian puts them, on the host and in the sid chroot (scripts/lab-env.sh):
#   image   /boot/vmlinuz-REL (config /boot/config-REL), or
#           /usr/lib/modules/REL/vmlinuz (config beside it: sid's linux-binary)
#   kbuild  /lib/modules/REL/build, or /usr/src/linux-headers-REL
# Never a hard-coded release: Debian's numbers move with every update.
#
#   (no option)    one release per line
#   -l             REL IMAGE KBUILD ROOT per line: IMAGE is a host path;
#                  KBUILD is a path inside ROOT, where the build must run
#                  (ROOT is / for the host, else the chroot)
#   --image REL    the image's host path (and --kbuild, --root likewise)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lab-env.sh"

# candidates ROOT: "REL IMAGE KBUILD ROOT" for every lab kernel under ROOT
candidates() {
	r=$1
	p=${r%/}
	for img in "$p"/boot/vmlinuz-* "$p"/usr/lib/modules/*/vmlinuz; do
		[ -e "$img" ] || continue
		case $img in
		*/boot/vmlinuz-*) rel=${img##*/vmlinuz-} cfg=$p/boot/config-$rel ;;
		*) rel=${img%/vmlinuz} rel=${rel##*/} cfg=$p/usr/lib/modules/$rel/config ;;
		esac
		grep -qs '^CONFIG_LIVEPATCH=y' "$cfg" || continue
		kb=
		for d in "/lib/modules/$rel/build" "/usr/src/linux-headers-$rel"; do
			[ -d "$p$d" ] && { kb=$d; break; }
		done
		[ -n "$kb" ] && echo "$rel $img $kb $r"
	done
}

# Host first: a release installed in both places is used from the host.
all() {
	{ candidates /; [ -d "$KLPT_SID" ] && candidates "$KLPT_SID"; } |
		awk '!seen[$1]++' | sort -rV -k1,1
}

case ${1:-} in
"") all | cut -d' ' -f1 ;;
-l) all ;;
--image | --kbuild | --root)
	f=2
	[ "$1" = --kbuild ] && f=3
	[ "$1" = --root ] && f=4
	line=$(all | awk -v r="${2:?$1 needs a release}" '$1 == r')
	[ -n "$line" ] || { echo "kernels: $2 is not a lab kernel here (scripts/kernels.sh lists them)" >&2; exit 1; }
	echo "$line" | cut -d' ' -f$f ;;
*) echo "usage: kernels.sh [-l | --image REL | --kbuild REL | --root REL]" >&2; exit 2 ;;
esac
