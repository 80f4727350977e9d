// SPDX-License-Identifier: GPL-2.0
/* build/build_info.h is rewritten by make only when its content changes. */
#include "lib/buildinfo.h"
#include "build_info.h"

const char klptop_version[] = KLPTOP_VERSION;
const char klptop_btf_kernel[] = KLPTOP_BTF_KERNEL;
