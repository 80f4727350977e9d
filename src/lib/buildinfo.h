/* SPDX-License-Identifier: GPL-2.0 */
/* Facts of this build, in one object (src/lib/buildinfo.c) that alone is
 * rebuilt when they change: every other object stays the same. */
#ifndef KLPTOP_LIB_BUILDINFO_H
#define KLPTOP_LIB_BUILDINFO_H

extern const char klptop_version[];     /* git describe of the build */
extern const char klptop_btf_kernel[];  /* the kernel vmlinux.h came from */

#endif
