#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# extract-vmlinux.sh VMLINUZ OUT: write the ELF vmlinux held inside a bzImage.
# Debian compresses its kernels with xz; zstd and gzip are tried too. The ELF
# carries the .BTF section that vmlinux.h and the CO-RE checks are made from.
set -eu
img=$1 out=$2
try() { # try MAGIC DECOMPRESSOR: decompress from each offset where MAGIC occurs
	for off in $(LC_ALL=C grep -aboP "$1" "$img" 2>/dev/null | cut -d: -f1); do
		tail -c +$((off + 1)) "$img" | $2 > "$out.tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			mv "$out.tmp" "$out"
			return 0
		fi
	done
	return 1
}
try '\xFD7zXZ\x00' 'xz -dc' || try '\x28\xB5\x2F\xFD' 'zstd -dc' ||
	try '\x1F\x8B\x08' 'gzip -dc' || {
	rm -f "$out.tmp"
	echo "extract-vmlinux: no compressed ELF found in $img" >&2
	exit 1
}
