#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deps.sh: install the Debian 12 packages klptop's build, lab and tests need,
# and the Debian sid chroot that carries the newest lab kernel
# (scripts/sid-chroot.sh). Installs only what is missing (apt-get update
# first); one line when nothing is to do. Installing needs root: without it,
# a missing package is an error. A sid chroot that cannot be made (mirror
# unreachable) is a warning: the lab then runs on the host's kernels and its
# summary says which kernel did not run.
set -euo pipefail
pkgs=(
	clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libzstd-dev
	libjson-c-dev libncurses-dev libcmocka-dev pkg-config make gcc
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
	cpio kmod xz-utils zstd jq tmux libmicrohttpd-dev prometheus
	libcap2-bin valgrind man-db dpkg-dev curl debootstrap file
)
# Second lab kernel: the newest Linux 6.12 (image + headers) that apt knows,
# discovered with apt-cache, never a hard-coded ABI number. 6.12 came to
# Debian 12 through bookworm-backports; bookworm-security now also carries a
# newer linux-6.12 build, and the newest of the two wins (apt's candidate).
bpo_list=/etc/apt/sources.list.d/bookworm-backports.sources
bpo_mirror() { # the host's Debian mirror (the entry that carries "bookworm")
	local m
	m=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ && u !~ /security/ { print u; exit }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $3 == "bookworm" && $2 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
	echo "${m:-http://deb.debian.org/debian}"
}
bpo_kernel() { # newest "linux-image-6.12.*-amd64-unsigned" known to apt: prints its release
	apt-cache search --names-only '^linux-image-6\.12\..*-amd64-unsigned$' 2>/dev/null |
		sed -n 's/^linux-image-\(6\.12\.[^ -]*-amd64\)-unsigned .*/\1/p' | sort -V | tail -n 1
}
bpo_added=0
if ! grep -qs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/*; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: bookworm-backports is not configured: run 'make deps' as root" >&2
		exit 1
	fi
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$(bpo_mirror)" >"$bpo_list"
	echo "deps: added $bpo_list ($(bpo_mirror))"
	apt-get update -q </dev/null
	bpo_added=1
fi
bpo_rel=$(bpo_kernel)
if [ -z "$bpo_rel" ] && [ "$bpo_added" = 0 ] && [ "$(id -u)" = 0 ]; then
	apt-get update -q </dev/null
	bpo_rel=$(bpo_kernel)
fi
if [ -z "$bpo_rel" ]; then
	echo "deps: no linux-image-6.12.*-amd64-unsigned in bookworm-backports" >&2
	exit 1
fi
pkgs+=("linux-image-$bpo_rel-unsigned" "linux-headers-$bpo_rel")

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "${st:0:2}" = ii ] || missing+=("$p")
done
here=$(dirname "$0")
# sid_chroot: make or refresh the chroot; prints its one status line.
sid_chroot() {
	[ "$(id -u)" = 0 ] || { echo "sid chroot not checked (needs root)"; return; }
	"$here/sid-chroot.sh" 2>&1 | tail -n 1
}
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present; $(sid_chroot)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run 'make deps' as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q </dev/null
apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" </dev/null
# The lab needs a CONFIG_LIVEPATCH kernel image with its kbuild tree.
echo "deps: $(sid_chroot)"
if [ -z "$("$here/kernels.sh")" ]; then
	echo "deps: no lab kernel (CONFIG_LIVEPATCH image + headers) after install" >&2
	exit 1
fi
echo "deps: done"
