# SPDX-License-Identifier: GPL-2.0
# lab-env.sh: where the lab keeps what it builds outside the git tree.
# Sourced by scripts/sid-chroot.sh, scripts/kernels.sh, scripts/kbuild.sh
# and tests/vm/lab.sh (bash or POSIX sh).
#
#   KLPTOP_LAB_CACHE   cache directory (default /var/cache/klptop-lab): it
#                      holds the Debian sid chroot that carries the newest
#                      lab kernel, its image and its kbuild tree.
#   KLPT_SID           the chroot ($KLPTOP_LAB_CACHE/sid)
#   KLPT_SID_KERNEL    file in the chroot naming the kernel release it holds
#   KLPT_SID_DOWN      file saying why there is no usable chroot (written by
#                      sid-chroot.sh when debootstrap or apt failed), so the
#                      lab can say which kernel did not run and why.
KLPTOP_LAB_CACHE=${KLPTOP_LAB_CACHE:-/var/cache/klptop-lab}
KLPT_SID=$KLPTOP_LAB_CACHE/sid
KLPT_SID_KERNEL=$KLPT_SID/.klptop-kernel
KLPT_SID_DOWN=$KLPTOP_LAB_CACHE/sid.unavailable

# sid_run CMD...: run CMD inside the chroot with /proc mounted (objtool reads
# /proc/self/limits), in a private mount namespace so that nothing stays
# mounted on the host when CMD ends, however it ends.
sid_run() {
	unshare --mount --propagation private -- sh -c '
		root=$1; shift
		mount -t proc proc "$root/proc" && exec chroot "$root" "$@"' sh "$KLPT_SID" "$@"
}
