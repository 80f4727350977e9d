/* SPDX-License-Identifier: GPL-2.0 */
/* Model objects for view and replay tests: the fix patch of incident 1 as
 * sysfs shows it (klpt_target: klpt_spin_step and klpt_ping). */
#ifndef KLPTOP_TEST_MODEL_FIXTURE_H
#define KLPTOP_TEST_MODEL_FIXTURE_H

#include <string.h>

#include "model/model.h"
#include "lib/util.h"

static inline void fx_make_patch(struct patch_info *pi, const char *name, int replace,
				 long ping_sympos)
{
	struct object_info *o;

	memset(pi, 0, sizeof(*pi));
	pi->name = xstrdup(name);
	pi->enabled = 1;
	pi->transition = 1;
	pi->replace = replace;
	pi->forced = -1;
	pi->nobjs = 1;
	pi->objs = xcalloc(1, sizeof(*pi->objs));
	o = &pi->objs[0];
	o->name = xstrdup("klpt_target");
	o->patched = 1;
	o->nfuncs = 2;
	o->funcs = xcalloc(2, sizeof(*o->funcs));
	o->funcs[0].name = xstrdup("klpt_spin_step");
	o->funcs[0].sympos = 1;
	o->funcs[1].name = xstrdup("klpt_ping");
	o->funcs[1].sympos = ping_sympos;
}

#endif
