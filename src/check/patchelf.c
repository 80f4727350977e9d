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
 * Field offsets are those of 64-bit kernels since 5.5 (klp_patch.states came
 * before replace then). Only 64-bit little-endian modules are read.
 */
#include "check/patchelf.h"
#include "lib/util.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Offsets of the fields read, and fallback array strides (x86-64, 6.1). */
#define KLP_PATCH_MOD		0
#define KLP_PATCH_OBJS		8
#define KLP_PATCH_REPLACE	24
#define KLP_OBJECT_NAME		0
#define KLP_OBJECT_FUNCS	8
#define KLP_OBJECT_SIZE_61	168
#define KLP_FUNC_OLD_NAME	0
#define KLP_FUNC_OLD_SYMPOS	16
#define KLP_FUNC_SIZE_61	152
#define MAX_ENTRIES		4096

struct rela {
	uint64_t off;
	uint32_t sym;
	uint32_t type;
	int64_t addend;
};

struct sec {
	const char *name;
	GElf_Shdr sh;
	Elf_Data *data;
	struct rela *relas;  /* sorted by offset */
	size_t nrelas;
};

struct pelf {
	Elf *elf;
	uint16_t machine;
	struct sec *secs;
	size_t nsecs;
	Elf_Data *symtab;
	size_t nsyms;
	size_t strtab;       /* section index of the symbol names */
};

/* A place in the file a pointer points to, or an undefined symbol. */
struct target {
	size_t sec;          /* 0: undefined (see name) */
	uint64_t off;
	const char *name;    /* the symbol's name, if it has one */
};

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* A relocation that stores a whole 64-bit address (a C pointer in data). */
static int is_abs64(const struct pelf *pe, uint32_t type)
{
	switch (pe->machine) {
	case EM_X86_64: return type == 1;    /* R_X86_64_64 */
	case EM_AARCH64: return type == 257; /* R_AARCH64_ABS64 */
	case EM_PPC64: return type == 38;    /* R_PPC64_ADDR64 */
	case EM_S390: return type == 22;     /* R_390_64 */
	default: return 0;
	}
}

static int cmp_rela(const void *a, const void *b)
{
	const struct rela *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static const struct rela *rela_at(const struct sec *s, uint64_t off)
{
	size_t lo = 0, hi = s->nrelas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->relas[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nrelas && s->relas[lo].off == off ? &s->relas[lo] : NULL;
}

static int get_sym(const struct pelf *pe, size_t idx, GElf_Sym *sym, const char **name)
{
	if (!pe->symtab || idx >= pe->nsyms || !gelf_getsym(pe->symtab, (int)idx, sym))
		return -1;
	*name = elf_strptr(pe->elf, pe->strtab, sym->st_name);
	return 0;
}

/* Where relocation r points (S + A; the place-relative forms store S + A - P
 * for an instruction whose displacement ends 4 bytes later, so +4). */
static int resolve(const struct pelf *pe, const struct rela *r, struct target *t)
{
	GElf_Sym sym;
	const char *name;

	if (get_sym(pe, r->sym, &sym, &name))
		return -1;
	t->name = name && *name ? name : NULL;
	if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= pe->nsecs) {
		t->sec = 0;
		t->off = 0;
		return 0;
	}
	t->sec = sym.st_shndx;
	t->off = sym.st_value + (uint64_t)r->addend;
	if (pe->machine == EM_X86_64 && (r->type == 2 || r->type == 4)) /* PC32, PLT32 */
		t->off += 4;
	return 0;
}

static int sec_is_data(const struct pelf *pe, size_t i)
{
	const GElf_Shdr *sh = &pe->secs[i].sh;

	return i && i < pe->nsecs && (sh->sh_flags & SHF_ALLOC) && !(sh->sh_flags & SHF_EXECINSTR);
}

/* The pointer stored at (sec, off), when an absolute relocation makes one. */
static int pointer_at(const struct pelf *pe, size_t sec, uint64_t off, struct target *t)
{
	const struct rela *r = rela_at(&pe->secs[sec], off);

	if (!r || !is_abs64(pe, r->type))
		return 0;
	return resolve(pe, r, t) == 0;
}

static const char *string_at(const struct pelf *pe, const struct target *t)
{
	const struct sec *s;
	const char *p;

	if (!t->sec || !sec_is_data(pe, t->sec))
		return NULL;
	s = &pe->secs[t->sec];
	if (!s->data || !s->data->d_buf || t->off >= s->data->d_size)
		return NULL;
	p = (const char *)s->data->d_buf + t->off;
	if (!memchr(p, '\0', s->data->d_size - t->off))
		return NULL;
	return p;
}

static int read_bytes(const struct pelf *pe, size_t sec, uint64_t off, void *out, size_t n)
{
	const struct sec *s = &pe->secs[sec];

	memset(out, 0, n);
	if (s->sh.sh_type == SHT_NOBITS)
		return off + n <= s->sh.sh_size ? 0 : -1;
	if (!s->data || !s->data->d_buf || off + n > s->data->d_size)
		return -1;
	memcpy(out, (const char *)s->data->d_buf + off, n);
	return 0;
}

/* Size of the object symbol that starts at (sec, off), 0 if none. */
static uint64_t symbol_size_at(const struct pelf *pe, size_t sec, uint64_t off)
{
	GElf_Sym sym;
	const char *name;

	for (size_t i = 1; i < pe->nsyms; i++) {
		if (get_sym(pe, i, &sym, &name))
			continue;
		if (sym.st_shndx == sec && sym.st_value == off &&
		    GELF_ST_TYPE(sym.st_info) == STT_OBJECT && sym.st_size)
			return sym.st_size;
	}
	return 0;
}

/*
 * Stride of an array at (sec, base) whose every entry has a pointer at
 * key_off (the key) and ends with an empty entry. With the array's symbol
 * size S and n keys, the stride is S / (n + 1), checked against the keys'
 * positions; otherwise the fallback.
 */
static uint64_t array_stride(const struct pelf *pe, size_t sec, uint64_t base, uint64_t key_off,
			     uint64_t fallback)
{
	uint64_t size = symbol_size_at(pe, sec, base), stride;
	const struct sec *s = &pe->secs[sec];
	size_t n = 0;

	if (!size)
		return fallback;
	for (size_t i = 0; i < s->nrelas; i++) {
		uint64_t o = s->relas[i].off;

		if (o >= base && o < base + size && is_abs64(pe, s->relas[i].type))
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
			struct target t;

			hits += pointer_at(pe, sec, base + j * stride + key_off, &t);
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

static int parse_funcs(const struct pelf *pe, const struct target *at, struct lp_object *o)
{
	uint64_t stride = array_stride(pe, at->sec, at->off, KLP_FUNC_OLD_NAME, KLP_FUNC_SIZE_61);
	size_t cap = 0;

	for (size_t k = 0; k < MAX_ENTRIES; k++) {
		uint64_t e = at->off + k * stride;
		struct target name;
		const char *s;
		uint64_t sympos;

		if (!pointer_at(pe, at->sec, e + KLP_FUNC_OLD_NAME, &name))
			break;
		s = string_at(pe, &name);
		if (!s || read_bytes(pe, at->sec, e + KLP_FUNC_OLD_SYMPOS, &sympos, 8))
			return -1;
		grow_array((void **)&o->funcs, &cap, o->nfuncs, sizeof(*o->funcs));
		o->funcs[o->nfuncs].name = xstrdup(s);
		o->funcs[o->nfuncs].sympos = (unsigned long)le64toh(sympos);
		o->nfuncs++;
	}
	return o->nfuncs ? 0 : -1;
}

static void free_objs(struct lp_object *objs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < objs[i].nfuncs; j++)
			free(objs[i].funcs[j].name);
		free(objs[i].funcs);
		free(objs[i].name);
	}
	free(objs);
}

/* Parse the klp_patch at (sec, off) into p; -1 if it is not one. */
static int parse_patch(const struct pelf *pe, size_t sec, uint64_t off, struct lp_patch *p)
{
	struct target objs;
	uint64_t stride;
	size_t cap = 0;
	uint8_t replace;

	if (!pointer_at(pe, sec, off + KLP_PATCH_OBJS, &objs) || !sec_is_data(pe, objs.sec))
		return -1;
	stride = array_stride(pe, objs.sec, objs.off, KLP_OBJECT_FUNCS, KLP_OBJECT_SIZE_61);
	for (size_t k = 0; k < MAX_ENTRIES; k++) {
		uint64_t e = objs.off + k * stride;
		struct target funcs, name;
		struct lp_object *o;

		if (!pointer_at(pe, objs.sec, e + KLP_OBJECT_FUNCS, &funcs))
			break;
		if (!sec_is_data(pe, funcs.sec))
			goto bad;
		grow_array((void **)&p->objs, &cap, p->nobjs, sizeof(*p->objs));
		o = &p->objs[p->nobjs++];
		memset(o, 0, sizeof(*o));
		if (pointer_at(pe, objs.sec, e + KLP_OBJECT_NAME, &name)) {
			const char *s = string_at(pe, &name);

			if (!s)
				goto bad;
			o->name = xstrdup(s);
		}
		if (parse_funcs(pe, &funcs, o))
			goto bad;
	}
	if (!p->nobjs)
		return -1;
	read_bytes(pe, sec, off + KLP_PATCH_REPLACE, &replace, 1);
	p->replace = replace != 0;
	p->found = 1;
	return 0;
bad:
	free_objs(p->objs, p->nobjs);
	p->objs = NULL;
	p->nobjs = 0;
	return -1;
}

/* Where the code loads an address just before calling klp_enable_patch():
 * the patch the init function enables. 0 if not seen. */
static int enable_patch_arg(const struct pelf *pe, struct target *out)
{
	for (size_t i = 1; i < pe->nsecs; i++) {
		const struct sec *s = &pe->secs[i];

		if (!(s->sh.sh_flags & SHF_EXECINSTR))
			continue;
		for (size_t j = 1; j < s->nrelas; j++) {
			struct target call, arg;

			if (resolve(pe, &s->relas[j], &call) || !call.name ||
			    strcmp(call.name, "klp_enable_patch"))
				continue;
			/* the nearest earlier relocation into data, within a few
			 * instructions (lea/mov of the argument) */
			for (size_t k = j; k-- > 0;) {
				if (s->relas[j].off - s->relas[k].off > 32)
					break;
				if (!resolve(pe, &s->relas[k], &arg) && sec_is_data(pe, arg.sec)) {
					*out = arg;
					return 1;
				}
			}
		}
	}
	return 0;
}

static void read_modinfo(const struct pelf *pe, struct lp_patch *p)
{
	for (size_t i = 1; i < pe->nsecs; i++) {
		const struct sec *s = &pe->secs[i];
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
static void read_klpsyms(const struct pelf *pe, struct lp_patch *p)
{
	static const char prefix[] = ".klp.sym.";
	size_t cap = 0;

	for (size_t i = 1; i < pe->nsyms; i++) {
		const char *name, *dot, *comma;
		unsigned long pos;
		GElf_Sym sym;
		char buf[512];
		struct lp_klpsym *k;

		if (get_sym(pe, i, &sym, &name) || !name || strncmp(name, prefix, sizeof(prefix) - 1))
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

static int load_sections(struct pelf *pe, char *err, size_t errlen)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrnum(pe->elf, &pe->nsecs) || elf_getshdrstrndx(pe->elf, &shstrndx)) {
		set_err(err, errlen, "bad section headers: %s", elf_errmsg(-1));
		return -1;
	}
	pe->secs = xcalloc(pe->nsecs ? pe->nsecs : 1, sizeof(*pe->secs));
	while ((scn = elf_nextscn(pe->elf, scn))) {
		size_t i = elf_ndxscn(scn);
		struct sec *s;

		if (i >= pe->nsecs)
			continue;
		s = &pe->secs[i];
		if (!gelf_getshdr(scn, &s->sh))
			continue;
		s->name = elf_strptr(pe->elf, shstrndx, s->sh.sh_name);
		if (s->sh.sh_type != SHT_NOBITS)
			s->data = elf_getdata(scn, NULL);
		if (s->sh.sh_type == SHT_SYMTAB && s->data) {
			pe->symtab = s->data;
			pe->nsyms = s->sh.sh_entsize ? s->sh.sh_size / s->sh.sh_entsize : 0;
			pe->strtab = s->sh.sh_link;
		}
	}
	/* Attach each SHT_RELA section's entries to the section it patches. */
	for (size_t i = 1; i < pe->nsecs; i++) {
		struct sec *r = &pe->secs[i], *t;
		size_t n;

		if (r->sh.sh_type != SHT_RELA || !r->data || r->sh.sh_info >= pe->nsecs)
			continue;
		t = &pe->secs[r->sh.sh_info];
		n = r->sh.sh_entsize ? r->sh.sh_size / r->sh.sh_entsize : 0;
		t->relas = xrealloc(t->relas, (t->nrelas + n + 1) * sizeof(*t->relas));
		for (size_t j = 0; j < n; j++) {
			GElf_Rela ra;

			if (!gelf_getrela(r->data, (int)j, &ra))
				continue;
			t->relas[t->nrelas++] = (struct rela){
				.off = ra.r_offset, .sym = (uint32_t)GELF_R_SYM(ra.r_info),
				.type = (uint32_t)GELF_R_TYPE(ra.r_info), .addend = ra.r_addend,
			};
		}
		qsort(t->relas, t->nrelas, sizeof(*t->relas), cmp_rela);
	}
	return 0;
}

static void find_patch(const struct pelf *pe, struct lp_patch *p)
{
	struct target want = { 0 };
	int have_want = enable_patch_arg(pe, &want);
	struct lp_patch first = { 0 };

	for (size_t i = 1; i < pe->nsecs; i++) {
		const struct sec *s = &pe->secs[i];

		if (!sec_is_data(pe, i))
			continue;
		for (size_t j = 0; j < s->nrelas; j++) {
			struct target mod;
			struct lp_patch cand = { 0 };

			if (!is_abs64(pe, s->relas[j].type) || resolve(pe, &s->relas[j], &mod) ||
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

int patchelf__read(const char *path, struct lp_patch *p, char *err, size_t errlen)
{
	struct pelf pe = { 0 };
	GElf_Ehdr eh;
	int fd, rc = -1;

	memset(p, 0, sizeof(*p));
	if (elf_version(EV_CURRENT) == EV_NONE) {
		set_err(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	pe.elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!pe.elf || elf_kind(pe.elf) != ELF_K_ELF || !gelf_getehdr(pe.elf, &eh)) {
		set_err(err, errlen, "%s: not an ELF file", path);
		goto out;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_type != ET_REL) {
		set_err(err, errlen, "%s: not a 64-bit little-endian kernel module (ET_REL)", path);
		goto out;
	}
	pe.machine = eh.e_machine;
	if (load_sections(&pe, err, errlen))
		goto out;
	if (!pe.symtab) {
		set_err(err, errlen, "%s: no symbol table (stripped too far to read)", path);
		goto out;
	}
	read_modinfo(&pe, p);
	read_klpsyms(&pe, p);
	find_patch(&pe, p);
	rc = 0;
out:
	for (size_t i = 0; i < pe.nsecs; i++)
		free(pe.secs[i].relas);
	free(pe.secs);
	if (pe.elf)
		elf_end(pe.elf);
	close(fd);
	if (rc)
		lp_patch__free(p);
	return rc;
}

void lp_patch__free(struct lp_patch *p)
{
	free_objs(p->objs, p->nobjs);
	for (size_t i = 0; i < p->nklpsyms; i++) {
		free(p->klpsyms[i].object);
		free(p->klpsyms[i].name);
	}
	free(p->klpsyms);
	free(p->module);
	memset(p, 0, sizeof(*p));
}
