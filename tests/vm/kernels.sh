#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the lab kernels installed on this machine, newest first: releases that
# have both an image (/boot/vmlinuz-REL) with CONFIG_LIVEPATCH=y and a matching
# kbuild tree (/lib/modules/REL/build or /usr/src/linux-headers-REL).
# Never hard-code a Debian ABI number: it moves with every security update.
for img in /boot/vmlinuz-*; do
	[ -e "$img" ] || continue
	rel=${img#/boot/vmlinuz-}
	grep -qs '^CONFIG_LIVEPATCH=y' "/boot/config-$rel" || continue
	if [ -d "/usr/src/linux-headers-$rel" ] || [ -d "/lib/modules/$rel/build" ]; then
		echo "$rel"
	fi
done | sort -rV
