// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the patch module reader (klptop check reads untrusted
 * .ko files): the ELF layer, both descriptor formats, .klp.sym symbols and
 * the code walk with the x86-64 decoder, on any input. It must neither
 * crash, nor leak, nor loop (make fuzz; tests/fuzz.sh seeds it with the
 * lab's modules). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/patchelf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct lp_patch p;
	char err[256];
	/* libelf may write into an image it reads from memory */
	void *copy = malloc(len ? len : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, len);
	if (patchelf__read_mem(copy, len, &p, err, sizeof(err)) == 0)
		lp_patch__free(&p);
	free(copy);
	return 0;
}
