// SPDX-License-Identifier: GPL-2.0
/* A kernel module as a relocatable ELF file (relf.h). Every offset and count
 * comes from an untrusted file: bounds are checked without overflow, and
 * sizes are taken from the data libelf really read, not from headers. */
#include "check/relf.h"
#include "lib/util.h"

#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* n bytes at off fit in size, without overflow */
static int fits(uint64_t off, uint64_t n, uint64_t size)
{
	return off <= size && n <= size - off;
}

int relf_is_abs64(const struct relf *re, uint32_t type)
{
	switch (re->machine) {
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

const struct rela *relf_rela_at(const struct relf_sec *s, uint64_t off)
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

int relf_get_sym(const struct relf *re, size_t idx, GElf_Sym *sym, const char **name)
{
	if (!re->symtab || idx >= re->nsyms || !gelf_getsym(re->symtab, (int)idx, sym))
		return -1;
	*name = elf_strptr(re->elf, re->strtab, sym->st_name);
	return 0;
}

int relf_resolve(const struct relf *re, const struct rela *r, struct relf_target *t)
{
	GElf_Sym sym;
	const char *name;

	if (relf_get_sym(re, r->sym, &sym, &name))
		return -1;
	t->name = name && *name ? name : NULL;
	if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= re->nsecs) {
		t->sec = 0;
		t->off = 0;
		return 0;
	}
	t->sec = sym.st_shndx;
	t->off = sym.st_value + (uint64_t)r->addend;
	/* PC32, PLT32: S + A - P for a displacement that ends 4 bytes later */
	if (re->machine == EM_X86_64 && (r->type == 2 || r->type == 4))
		t->off += 4;
	return 0;
}

int relf_sec_is_data(const struct relf *re, size_t i)
{
	const GElf_Shdr *sh;

	if (!i || i >= re->nsecs)
		return 0;
	sh = &re->secs[i].sh;
	return (sh->sh_flags & SHF_ALLOC) && !(sh->sh_flags & SHF_EXECINSTR);
}

int relf_sec_is_code(const struct relf *re, size_t i)
{
	return i && i < re->nsecs && (re->secs[i].sh.sh_flags & SHF_EXECINSTR) &&
	       re->secs[i].data && re->secs[i].data->d_buf;
}

int relf_pointer_at(const struct relf *re, size_t sec, uint64_t off, struct relf_target *t)
{
	const struct rela *r;

	if (sec >= re->nsecs)
		return 0;
	r = relf_rela_at(&re->secs[sec], off);
	if (!r || !relf_is_abs64(re, r->type))
		return 0;
	return relf_resolve(re, r, t) == 0;
}

const char *relf_string_at(const struct relf *re, const struct relf_target *t)
{
	const struct relf_sec *s;
	const char *p;

	if (!relf_sec_is_data(re, t->sec))
		return NULL;
	s = &re->secs[t->sec];
	if (!s->data || !s->data->d_buf || t->off >= s->data->d_size)
		return NULL;
	p = (const char *)s->data->d_buf + t->off;
	if (!memchr(p, '\0', s->data->d_size - t->off))
		return NULL;
	return p;
}

int relf_read_bytes(const struct relf *re, size_t sec, uint64_t off, void *out, size_t n)
{
	const struct relf_sec *s;

	memset(out, 0, n);
	if (!sec || sec >= re->nsecs)
		return -1;
	s = &re->secs[sec];
	if (s->sh.sh_type == SHT_NOBITS)
		return fits(off, n, s->sh.sh_size) ? 0 : -1;
	if (!s->data || !s->data->d_buf || !fits(off, n, s->data->d_size))
		return -1;
	memcpy(out, (const char *)s->data->d_buf + off, n);
	return 0;
}

size_t relf_find_sec(const struct relf *re, const char *name)
{
	for (size_t i = 1; i < re->nsecs; i++)
		if (re->secs[i].name && !strcmp(re->secs[i].name, name))
			return i;
	return 0;
}

uint64_t relf_object_size_at(const struct relf *re, size_t sec, uint64_t off)
{
	GElf_Sym sym;
	const char *name;

	for (size_t i = 1; i < re->nsyms; i++) {
		if (relf_get_sym(re, i, &sym, &name))
			continue;
		if (sym.st_shndx == sec && sym.st_value == off &&
		    GELF_ST_TYPE(sym.st_info) == STT_OBJECT && sym.st_size)
			return sym.st_size;
	}
	return 0;
}

const char *relf_func_at(const struct relf *re, size_t sec, uint64_t off, uint64_t *start,
			 uint64_t *size)
{
	GElf_Sym sym;
	const char *name;

	for (size_t i = 1; i < re->nsyms; i++) {
		if (relf_get_sym(re, i, &sym, &name) || sym.st_shndx != sec ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		if (off >= sym.st_value && off - sym.st_value < sym.st_size) {
			*start = sym.st_value;
			*size = sym.st_size;
			return name && *name ? name : NULL;
		}
	}
	return NULL;
}

const char *relf_target_name(const struct relf *re, const struct relf_target *t)
{
	uint64_t start, size;
	const char *fn;

	if (!t->sec)
		return t->name;
	/* a section symbol plus an addend: name the function at that place */
	fn = relf_func_at(re, t->sec, t->off, &start, &size);
	if (fn && start == t->off)
		return fn;
	return t->name && (!re->secs[t->sec].name || strcmp(t->name, re->secs[t->sec].name)) ?
		       t->name : NULL;
}

static void attach_relas(struct relf *re)
{
	for (size_t i = 1; i < re->nsecs; i++) {
		struct relf_sec *r = &re->secs[i], *t;
		size_t n;

		if (r->sh.sh_type != SHT_RELA || !r->data || !r->sh.sh_info ||
		    r->sh.sh_info >= re->nsecs)
			continue;
		t = &re->secs[r->sh.sh_info];
		n = r->data->d_size / sizeof(Elf64_Rela);
		if (!n)
			continue;
		t->relas = xrealloc(t->relas, (t->nrelas + n) * sizeof(*t->relas));
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
}

static int load_sections(struct relf *re, char *err, size_t errlen)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrnum(re->elf, &re->nsecs) || elf_getshdrstrndx(re->elf, &shstrndx)) {
		set_err(err, errlen, "bad section headers: %s", elf_errmsg(-1));
		return -1;
	}
	re->secs = xcalloc(re->nsecs ? re->nsecs : 1, sizeof(*re->secs));
	while ((scn = elf_nextscn(re->elf, scn))) {
		size_t i = elf_ndxscn(scn);
		struct relf_sec *s;

		if (i >= re->nsecs)
			continue;
		s = &re->secs[i];
		if (!gelf_getshdr(scn, &s->sh))
			continue;
		s->name = elf_strptr(re->elf, shstrndx, s->sh.sh_name);
		if (s->sh.sh_type != SHT_NOBITS)
			s->data = elf_getdata(scn, NULL);
		if (s->sh.sh_type == SHT_SYMTAB && s->data && !re->symtab) {
			re->symtab = s->data;
			re->nsyms = s->data->d_size / sizeof(Elf64_Sym);
			re->strtab = s->sh.sh_link;
		}
	}
	attach_relas(re);
	return 0;
}

static int open_elf(struct relf *re, const char *what, char *err, size_t errlen)
{
	GElf_Ehdr eh;

	if (!re->elf || elf_kind(re->elf) != ELF_K_ELF || !gelf_getehdr(re->elf, &eh)) {
		set_err(err, errlen, "%s: not an ELF file", what);
		return -1;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_type != ET_REL) {
		set_err(err, errlen, "%s: not a 64-bit little-endian kernel module (ET_REL)", what);
		return -1;
	}
	re->machine = eh.e_machine;
	if (load_sections(re, err, errlen))
		return -1;
	if (!re->symtab) {
		set_err(err, errlen, "%s: no symbol table (stripped too far to read)", what);
		return -1;
	}
	return 0;
}

int relf__open_fd(struct relf *re, int fd, const char *what, char *err, size_t errlen)
{
	memset(re, 0, sizeof(*re));
	if (elf_version(EV_CURRENT) == EV_NONE) {
		set_err(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -1;
	}
	re->elf = elf_begin(fd, ELF_C_READ, NULL);
	if (open_elf(re, what, err, errlen)) {
		relf__close(re);
		return -1;
	}
	return 0;
}

int relf__open_mem(struct relf *re, const void *buf, size_t len, char *err, size_t errlen)
{
	memset(re, 0, sizeof(*re));
	if (elf_version(EV_CURRENT) == EV_NONE) {
		set_err(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -1;
	}
	re->elf = elf_memory((char *)buf, len);
	if (open_elf(re, "input", err, errlen)) {
		relf__close(re);
		return -1;
	}
	return 0;
}

void relf__close(struct relf *re)
{
	for (size_t i = 0; i < re->nsecs; i++)
		free(re->secs[i].relas);
	free(re->secs);
	if (re->elf)
		elf_end(re->elf);
	memset(re, 0, sizeof(*re));
}
