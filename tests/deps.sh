#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# deps.sh: install the Debian 12 packages klptop's build, lab and tests need.
# Installs only what is missing (apt-get update first); one line when nothing
# is to do. Installing needs root: without it, a missing package is an error.
set -euo pipefail
pkgs=(
	clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libzstd-dev
	libjson-c-dev libncurses-dev libcmocka-dev pkg-config make gcc
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static
	cpio kmod xz-utils zstd jq tmux
)
missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "${st:0:2}" = ii ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
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
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
# The lab needs a CONFIG_LIVEPATCH kernel image with its kbuild tree.
if [ -z "$("$(dirname "$0")/vm/kernels.sh")" ]; then
	echo "deps: no lab kernel (CONFIG_LIVEPATCH image + headers) after install" >&2
	exit 1
fi
echo "deps: done"
