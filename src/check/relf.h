/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A kernel module as a relocatable ELF file, read with libelf: sections with
 * their relocations sorted by offset, symbols, and what a pointer in data
 * points to. A .ko's pointers are zeros in the section bytes plus a
 * relocation, so every pointer is read through its relocation. Shared by the
 * descriptor reader (patchelf.c) and the code reader (modcode.c).
 */
#ifndef KLPTOP_RELF_H
#define KLPTOP_RELF_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

struct rela {
	uint64_t off;
	uint32_t sym;
	uint32_t type;
	int64_t addend;
};

struct relf_sec {
	const char *name;
	GElf_Shdr sh;
	Elf_Data *data;
	struct rela *relas;  /* sorted by offset */
	size_t nrelas;
};

struct relf {
	Elf *elf;
	uint16_t machine;
	struct relf_sec *secs;
	size_t nsecs;
	Elf_Data *symtab;
	size_t nsyms;
	size_t strtab;       /* section index of the symbol names */
};

/* A place in the file a pointer points to, or an undefined symbol. */
struct relf_target {
	size_t sec;          /* 0: undefined (see name) */
	uint64_t off;
	const char *name;    /* the symbol's name, if it has one */
};

/* Open a 64-bit little-endian ET_REL file from fd or memory (the memory
 * must outlive the relf). -1 with a reason in err (what names the file). */
int relf__open_fd(struct relf *re, int fd, const char *what, char *err, size_t errlen);
int relf__open_mem(struct relf *re, const void *buf, size_t len, char *err, size_t errlen);
void relf__close(struct relf *re);

int relf_get_sym(const struct relf *re, size_t idx, GElf_Sym *sym, const char **name);
/* The relocation at exactly off in section s, NULL if none. */
const struct rela *relf_rela_at(const struct relf_sec *s, uint64_t off);
/* Where relocation r points (S + A; the place-relative forms of a call or a
 * rip-relative operand are adjusted to the instruction's target). */
int relf_resolve(const struct relf *re, const struct rela *r, struct relf_target *t);
int relf_is_abs64(const struct relf *re, uint32_t type);
int relf_sec_is_data(const struct relf *re, size_t i);
int relf_sec_is_code(const struct relf *re, size_t i);
/* The pointer stored at (sec, off), when an absolute relocation makes one. */
int relf_pointer_at(const struct relf *re, size_t sec, uint64_t off, struct relf_target *t);
/* The NUL-terminated string a target points to, NULL if none. */
const char *relf_string_at(const struct relf *re, const struct relf_target *t);
int relf_read_bytes(const struct relf *re, size_t sec, uint64_t off, void *out, size_t n);
/* The named section's index, 0 if none. */
size_t relf_find_sec(const struct relf *re, const char *name);
/* Size of the object symbol that starts at (sec, off), 0 if none. */
uint64_t relf_object_size_at(const struct relf *re, size_t sec, uint64_t off);
/* The function symbol that contains (sec, off): its name, start and size. */
const char *relf_func_at(const struct relf *re, size_t sec, uint64_t off, uint64_t *start,
			 uint64_t *size);
/* The name of what a target is: its symbol, or the function at its place. */
const char *relf_target_name(const struct relf *re, const struct relf_target *t);

#endif
