// SPDX-License-Identifier: GPL-2.0
/*
 * Recover a live patch's targets from its .ko without loading it.
 *
 * A .ko is a relocatable ELF: every pointer in the patch's descriptors is a
 * zero in the section data plus a relocation saying what it points to. So
 * the descriptors are read through their relocations, not their bytes:
 *
 *  - struct klp_patch { struct module *mod; struct klp_object *objs; ...
 *    bool replace; } is found where an absolute relocation to the symbol
 *    __this_module (the .mod field, always THIS_MODULE) is followed 8 bytes
 *    later by one into a data section (.objs). A file_operations also starts
 *    with THIS_MODULE, but its next pointer points at code, and a candidate
 *    must also parse as objects with functions named by strings. When several
 *    candidates parse, the one whose address the module's code loads just
 *    before calling klp_enable_patch() wins (the init function's call).
 *  - klp_object and klp_func arrays are walked entry by entry until the
 *    terminating empty entry: an entry is present while its key pointer
 *    (klp_object.funcs, klp_func.old_name) has a relocation. The entry size
 *    depends on the kernel's config (they embed a struct kobject), so it is
 *    taken from the array's symbol size when the symbol table has it (size =
 *    (entries + 1) * stride), else the x86-64 6.1 sizes below are assumed.
 *  - Strings (object names, old_name) are read from the section and offset
 *    the relocation resolves to (".rodata.str1.1" + addend, usually). A NULL
 *    klp_object.name has no relocation: that object is vmlinux.
 *  - old_sympos and replace are plain data, read from the section bytes.
 *
 * klp-build modules (6.19+) have no static klp_patch: objtool's "klp diff"
 * writes struct klp_object_ext entries into .init.klp_objects and struct
 * klp_func_ext entries into .init.klp_funcs (include/linux/livepatch_external.h),
 * and the module's init builds the klp_patch from them, with replace set
 * unless it was built with KLP_NO_REPLACE. Those sections are read the same
 * way: the number of objects is the section's size over the entry size,
 * each object's nr_funcs says how many klp_func_ext its funcs pointer
 * starts. replace is read from the init code's store (modcode.c).
 *
 * Field offsets are those of 64-bit kernels since 5.5 (klp_patch.states came
 * before replace then). Only 64-bit little-endian modules are read.
 */
#include "check/patchelf.h"
#include "check/modcode.h"
#include "check/relf.h"
#include "lib/util.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Offsets of the fields read, and fallback array strides (x86-64, 6.1). */
#define KLP_PATCH_MOD		0
#define KLP_PATCH_OBJS		8
#define KLP_OBJECT_NAME		0
#define KLP_OBJECT_FUNCS	8
#define KLP_OBJECT_SIZE_61	168
#define KLP_FUNC_OLD_NAME	0
#define KLP_FUNC_NEW_FUNC	8
#define KLP_FUNC_OLD_SYMPOS	16
#define KLP_FUNC_SIZE_61	152
/* struct klp_object_ext / klp_func_ext (livepatch_external.h, 64-bit) */
#define KLP_OBJ_EXT_NAME	0
#define KLP_OBJ_EXT_FUNCS	8
#define KLP_OBJ_EXT_NR_FUNCS	56
#define KLP_OBJ_EXT_SIZE	64
#define KLP_FUNC_EXT_OLD_NAME	0
#define KLP_FUNC_EXT_NEW_FUNC	8
#define KLP_FUNC_EXT_SYMPOS	16
#define KLP_FUNC_EXT_SIZE	24
#define MAX_ENTRIES		4096

const char *lp_format__name(enum lp_format f)
{
	return f == LP_FORMAT_KLP_BUILD ? "klp-build" : "klp_patch";
}

/*
 * Stride of an array at (sec, base) whose every entry has a pointer at
 * key_off (the key) and ends with an empty entry. With the array's symbol
 * size S and n keys, the stride is S / (n + 1), checked against the keys'
 * positions; otherwise the fallback.
 */
static uint64_t array_stride(const struct relf *pe, size_t sec, uint64_t base, uint64_t key_off,
			     uint64_t fallback)
{
	uint64_t size = relf_object_size_at(pe, sec, base), stride;
	const struct relf_sec *s = &pe->secs[sec];
	size_t n = 0;

	if (!size)
		return fallback;
	for (size_t i = 0; i < s->nrelas; i++) {
		uint64_t o = s->relas[i].off;

		if (o >= base && o < base + size && relf_is_abs64(pe, s->relas[i].type))
			n++;
	}
	/* n counts every pointer, not only keys: try each entry count, the
	 * largest first (a stride twice too big also finds keys where it
	 * looks, but skips the entries in between). */
	for (size_t k = n; k >= 1; k--) {
		size_t hits = 0, in_last = 0;

		if (size % (k + 1))
			continue;
		stride = size / (k + 1);
		if (stride < key_off + 8 || stride % 8)
			continue;
		for (size_t j = 0; j < k; j++) {
			struct relf_target t;

			hits += relf_pointer_at(pe, sec, base + j * stride + key_off, &t);
		}
		/* and the terminating entry holds no pointer at all */
		for (size_t i = 0; i < s->nrelas; i++)
			in_last += s->relas[i].off >= base + k * stride &&
				   s->relas[i].off < base + size;
		if (hits == k && !in_last)
			return stride;
	}
	return fallback;
}

/* The name of the function a new_func pointer at (sec, off) points to. */
static char *new_func_at(const struct relf *pe, size_t sec, uint64_t off)
{
	struct relf_target t;
	const char *n;

	if (!relf_pointer_at(pe, sec, off, &t))
		return NULL;
	n = relf_target_name(pe, &t);
	return n ? xstrdup(n) : NULL;
}

static void add_func(struct lp_object *o, size_t *cap, const char *name, uint64_t sympos_le,
		     char *new_name)
{
	grow_array((void **)&o->funcs, cap, o->nfuncs, sizeof(*o->funcs));
	o->funcs[o->nfuncs].name = xstrdup(name);
	o->funcs[o->nfuncs].sympos = (unsigned long)le64toh(sympos_le);
	o->funcs[o->nfuncs].new_name = new_name;
	o->nfuncs++;
}

static int parse_funcs(const struct relf *pe, const struct relf_target *at, struct lp_object *o)
{
	uint64_t stride = array_stride(pe, at->sec, at->off, KLP_FUNC_OLD_NAME, KLP_FUNC_SIZE_61);
	size_t cap = 0;

	for (size_t k = 0; k < MAX_ENTRIES; k++) {
		uint64_t e = at->off + k * stride;
		struct relf_target name;
		const char *s;
		uint64_t sympos;

		if (!relf_pointer_at(pe, at->sec, e + KLP_FUNC_OLD_NAME, &name))
			break;
		s = relf_string_at(pe, &name);
		if (!s || relf_read_bytes(pe, at->sec, e + KLP_FUNC_OLD_SYMPOS, &sympos, 8))
			return -1;
		add_func(o, &cap, s, sympos, new_func_at(pe, at->sec, e + KLP_FUNC_NEW_FUNC));
	}
	return o->nfuncs ? 0 : -1;
}

static void free_objs(struct lp_object *objs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < objs[i].nfuncs; j++) {
			free(objs[i].funcs[j].name);
			free(objs[i].funcs[j].new_name);
		}
		free(objs[i].funcs);
		free(objs[i].name);
	}
	free(objs);
}

/* Parse the klp_patch at (sec, off) into p; -1 if it is not one. */
static int parse_patch(const struct relf *pe, size_t sec, uint64_t off, struct lp_patch *p)
{
	struct relf_target objs;
	uint64_t stride;
	size_t cap = 0;
	uint8_t replace;

	if (!relf_pointer_at(pe, sec, off + KLP_PATCH_OBJS, &objs) || !relf_sec_is_data(pe, objs.sec))
		return -1;
	stride = array_stride(pe, objs.sec, objs.off, KLP_OBJECT_FUNCS, KLP_OBJECT_SIZE_61);
	for (size_t k = 0; k < MAX_ENTRIES; k++) {
		uint64_t e = objs.off + k * stride;
		struct relf_target funcs, name;
		struct lp_object *o;

		if (!relf_pointer_at(pe, objs.sec, e + KLP_OBJECT_FUNCS, &funcs))
			break;
		if (!relf_sec_is_data(pe, funcs.sec))
			goto bad;
		grow_array((void **)&p->objs, &cap, p->nobjs, sizeof(*p->objs));
		o = &p->objs[p->nobjs++];
		memset(o, 0, sizeof(*o));
		if (relf_pointer_at(pe, objs.sec, e + KLP_OBJECT_NAME, &name)) {
			const char *s = relf_string_at(pe, &name);

			if (!s)
				goto bad;
			o->name = xstrdup(s);
		}
		if (parse_funcs(pe, &funcs, o))
			goto bad;
	}
	if (!p->nobjs)
		return -1;
	relf_read_bytes(pe, sec, off + KLP_PATCH_REPLACE, &replace, 1);
	p->replace = replace != 0;
	p->found = 1;
	return 0;
bad:
	free_objs(p->objs, p->nobjs);
	p->objs = NULL;
	p->nobjs = 0;
	return -1;
}

/* The stride of a klp-build section: its sh_entsize (objtool sets it), or
 * the struct's size. 0 when the section cannot hold such entries. */
static uint64_t ext_stride(const struct relf *pe, size_t sec, uint64_t min, uint64_t size)
{
	uint64_t es = pe->secs[sec].sh.sh_entsize;

	if (es >= min && es % 8 == 0)
		return es;
	return size;
}

/* One klp_object_ext at (sec, e) and its klp_func_ext entries. */
static int parse_object_ext(const struct relf *pe, size_t sec, uint64_t e, struct lp_object *o)
{
	struct relf_target funcs, name;
	uint32_t nr = 0;
	uint64_t stride;
	size_t cap = 0;

	memset(o, 0, sizeof(*o));
	if (relf_pointer_at(pe, sec, e + KLP_OBJ_EXT_NAME, &name)) {
		const char *s = relf_string_at(pe, &name);

		if (!s)
			return -1;
		o->name = xstrdup(s);
	}
	if (!relf_pointer_at(pe, sec, e + KLP_OBJ_EXT_FUNCS, &funcs) ||
	    !relf_sec_is_data(pe, funcs.sec) ||
	    relf_read_bytes(pe, sec, e + KLP_OBJ_EXT_NR_FUNCS, &nr, sizeof(nr)))
		return -1;
	nr = le32toh(nr);
	if (!nr || nr > MAX_ENTRIES)
		return -1;
	stride = ext_stride(pe, funcs.sec, KLP_FUNC_EXT_SIZE, KLP_FUNC_EXT_SIZE);
	for (uint32_t j = 0; j < nr; j++) {
		uint64_t fe = funcs.off + j * stride, sympos;
		struct relf_target old;
		const char *s;

		if (!relf_pointer_at(pe, funcs.sec, fe + KLP_FUNC_EXT_OLD_NAME, &old) ||
		    !(s = relf_string_at(pe, &old)) ||
		    relf_read_bytes(pe, funcs.sec, fe + KLP_FUNC_EXT_SYMPOS, &sympos, 8))
			return -1;
		add_func(o, &cap, s, sympos, new_func_at(pe, funcs.sec, fe + KLP_FUNC_EXT_NEW_FUNC));
	}
	return 0;
}

/* klp-build's .init.klp_objects: one klp_object_ext per patched object. */
static int parse_klp_build(const struct relf *pe, struct lp_patch *p)
{
	size_t sec = relf_find_sec(pe, ".init.klp_objects");
	uint64_t size, stride, n;

	if (!sec || !relf_sec_is_data(pe, sec))
		return -1;
	size = pe->secs[sec].sh.sh_size;
	stride = ext_stride(pe, sec, KLP_OBJ_EXT_NR_FUNCS + 4, KLP_OBJ_EXT_SIZE);
	n = size / stride;
	if (!n || size % stride || n > MAX_ENTRIES)
		return -1;
	p->objs = xcalloc(n, sizeof(*p->objs));
	for (uint64_t k = 0; k < n; k++) {
		p->nobjs++;
		if (parse_object_ext(pe, sec, k * stride, &p->objs[k])) {
			free_objs(p->objs, p->nobjs);
			p->objs = NULL;
			p->nobjs = 0;
			return -1;
		}
	}
	p->format = LP_FORMAT_KLP_BUILD;
	p->found = 1;
	/* built with KLP_NO_REPLACE or not: the init code's store says */
	p->replace_seen = modcode__replace_store(pe, &p->replace) == 0;
	if (!p->replace_seen)
		p->replace = 1;
	return 0;
}

/* Where the code loads an address just before calling klp_enable_patch():
 * the patch the init function enables. 0 if not seen. */
struct arg_ctx {
	struct relf_target *out;
	int found;
};

static int enable_patch_call(const struct relf *pe, size_t sec, size_t j, const char *callee,
			     void *ctx)
{
	const struct relf_sec *s = &pe->secs[sec];
	struct arg_ctx *ac = ctx;

	if (strcmp(callee, "klp_enable_patch"))
		return 0;
	/* the nearest earlier relocation into data, within a few instructions
	 * (lea/mov of the argument) */
	for (size_t k = j; k-- > 0;) {
		struct relf_target arg;

		if (s->relas[j].off - s->relas[k].off > 32)
			break;
		if (!relf_resolve(pe, &s->relas[k], &arg) && relf_sec_is_data(pe, arg.sec)) {
			*ac->out = arg;
			ac->found = 1;
			return 1;
		}
	}
	return 0;
}

static int enable_patch_arg(const struct relf *pe, struct relf_target *out)
{
	struct arg_ctx ac = { out, 0 };

	modcode__for_each_call(pe, enable_patch_call, &ac);
	return ac.found;
}

static void read_modinfo(const struct relf *pe, struct lp_patch *p)
{
	for (size_t i = 1; i < pe->nsecs; i++) {
		const struct relf_sec *s = &pe->secs[i];
		const char *q, *end;

		if (!s->name || strcmp(s->name, ".modinfo") || !s->data || !s->data->d_buf)
			continue;
		q = s->data->d_buf;
		end = q + s->data->d_size;
		while (q < end) {
			size_t len = strnlen(q, (size_t)(end - q));

			if (len == (size_t)(end - q))
				break;
			if (!strncmp(q, "name=", 5) && !p->module)
				p->module = xstrdup(q + 5);
			else if (!strcmp(q, "livepatch=Y"))
				p->livepatch_tag = 1;
			q += len + 1;
		}
	}
}

/* ".klp.sym.OBJ.NAME,POS": OBJ has no dot (module names have none); NAME
 * may (clones); POS follows the last comma. */
static void read_klpsyms(const struct relf *pe, struct lp_patch *p)
{
	static const char prefix[] = ".klp.sym.";
	size_t cap = 0;

	for (size_t i = 1; i < pe->nsyms; i++) {
		const char *name, *dot, *comma;
		unsigned long pos;
		GElf_Sym sym;
		char buf[512];
		struct lp_klpsym *k;

		if (relf_get_sym(pe, i, &sym, &name) || !name || strncmp(name, prefix, sizeof(prefix) - 1))
			continue;
		name += sizeof(prefix) - 1;
		dot = strchr(name, '.');
		comma = strrchr(name, ',');
		if (!dot || !comma || comma < dot || parse_ulong(comma + 1, 10, &pos))
			continue;
		grow_array((void **)&p->klpsyms, &cap, p->nklpsyms, sizeof(*p->klpsyms));
		k = &p->klpsyms[p->nklpsyms++];
		snprintf(buf, sizeof(buf), "%.*s", (int)(dot - name), name);
		k->object = xstrdup(buf);
		snprintf(buf, sizeof(buf), "%.*s", (int)(comma - dot - 1), dot + 1);
		k->name = xstrdup(buf);
		k->sympos = pos;
	}
}

static void find_patch(const struct relf *pe, struct lp_patch *p)
{
	struct relf_target want = { 0 };
	int have_want = enable_patch_arg(pe, &want);
	struct lp_patch first = { 0 };

	for (size_t i = 1; i < pe->nsecs; i++) {
		const struct relf_sec *s = &pe->secs[i];

		if (!relf_sec_is_data(pe, i))
			continue;
		for (size_t j = 0; j < s->nrelas; j++) {
			struct relf_target mod;
			struct lp_patch cand = { 0 };

			if (!relf_is_abs64(pe, s->relas[j].type) || relf_resolve(pe, &s->relas[j], &mod) ||
			    !mod.name || strcmp(mod.name, "__this_module"))
				continue;
			if (parse_patch(pe, i, s->relas[j].off - KLP_PATCH_MOD, &cand))
				continue;
			if (have_want && want.sec == i && want.off == s->relas[j].off) {
				free_objs(first.objs, first.nobjs);
				p->objs = cand.objs;
				p->nobjs = cand.nobjs;
				p->replace = cand.replace;
				p->found = 1;
				return;
			}
			if (!first.found)
				first = cand;
			else
				free_objs(cand.objs, cand.nobjs);
		}
	}
	/* No call seen (or an indirect one): the only or first candidate. */
	p->objs = first.objs;
	p->nobjs = first.nobjs;
	p->replace = first.replace;
	p->found = first.found;
}

static void read_all_of(const struct relf *pe, struct lp_patch *p)
{
	read_modinfo(pe, p);
	read_klpsyms(pe, p);
	find_patch(pe, p);
	if (!p->found)
		parse_klp_build(pe, p);
	modcode__shadow_calls(pe, &p->shadow_calls, &p->nshadow_calls);
}

int patchelf__read(const char *path, struct lp_patch *p, char *err, size_t errlen)
{
	struct relf pe;
	int fd;

	memset(p, 0, sizeof(*p));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (relf__open_fd(&pe, fd, path, err, errlen)) {
		close(fd);
		return -1;
	}
	read_all_of(&pe, p);
	relf__close(&pe);
	close(fd);
	return 0;
}

int patchelf__read_mem(const void *buf, size_t len, struct lp_patch *p, char *err, size_t errlen)
{
	struct relf pe;

	memset(p, 0, sizeof(*p));
	if (relf__open_mem(&pe, buf, len, err, errlen))
		return -1;
	read_all_of(&pe, p);
	relf__close(&pe);
	return 0;
}

void lp_patch__free(struct lp_patch *p)
{
	free_objs(p->objs, p->nobjs);
	for (size_t i = 0; i < p->nklpsyms; i++) {
		free(p->klpsyms[i].object);
		free(p->klpsyms[i].name);
	}
	free(p->klpsyms);
	for (size_t i = 0; i < p->nshadow_calls; i++) {
		free(p->shadow_calls[i].call);
		free(p->shadow_calls[i].caller);
	}
	free(p->shadow_calls);
	free(p->module);
	memset(p, 0, sizeof(*p));
}
