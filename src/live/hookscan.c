// SPDX-License-Identifier: GPL-2.0
/*
 * The hooks on kernel functions (hookscan.h). kprobes/list is in debugfs,
 * enabled_functions in tracefs (mounted at /sys/kernel/tracing, or below
 * debugfs on old setups); both need root.
 *
 * The BPF links of type tracing: for each, the attach type
 * (fentry, fexit, fmod_ret), the target's BTF object (vmlinux or a module)
 * and type id, so the function's name, and the program's id and name. The
 * same walk bpftool's "link show" does: BPF_LINK_GET_NEXT_ID, then
 * BPF_LINK_GET_FD_BY_ID and BPF_OBJ_GET_INFO_BY_FD; all need CAP_SYS_ADMIN.
 */
#include "live/hookscan.h"
#include "lib/util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* BTF objects seen so far: id -> parsed BTF and its name. */
struct btf_cache {
	struct btf *vmlinux;
	struct {
		uint32_t id;
		struct btf *btf;
		char name[64];
	} objs[64];
	int n;
};

static enum hook_kind kind_of(uint32_t attach_type, int *ok)
{
	*ok = 1;
	switch (attach_type) {
	case BPF_TRACE_FENTRY: return HOOK_BPF_FENTRY;
	case BPF_TRACE_FEXIT: return HOOK_BPF_FEXIT;
	case BPF_MODIFY_RETURN: return HOOK_BPF_FMOD_RET;
	default: *ok = 0; return HOOK_BPF_FENTRY;
	}
}

/* The BTF object id's name ("vmlinux" or a module) and parsed types. */
static struct btf *btf_of(struct btf_cache *c, uint32_t id, const char **name)
{
	struct bpf_btf_info info;
	uint32_t len = sizeof(info);
	char nbuf[64] = "";
	struct btf *b;
	int fd;

	for (int i = 0; i < c->n; i++) {
		if (c->objs[i].id == id) {
			*name = c->objs[i].name;
			return c->objs[i].btf;
		}
	}
	if (c->n == (int)ARRAY_SIZE(c->objs))
		return NULL;
	fd = bpf_btf_get_fd_by_id(id);
	if (fd < 0)
		return NULL;
	memset(&info, 0, sizeof(info));
	info.name = (uint64_t)(uintptr_t)nbuf;
	info.name_len = sizeof(nbuf);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return NULL;
	}
	close(fd);
	nbuf[sizeof(nbuf) - 1] = '\0';
	if (!strcmp(nbuf, "vmlinux")) {
		if (!c->vmlinux)
			c->vmlinux = btf__load_from_kernel_by_id(id);
		b = c->vmlinux;
	} else {
		if (!c->vmlinux)
			c->vmlinux = btf__load_vmlinux_btf();
		b = c->vmlinux ? btf__load_from_kernel_by_id_split(id, c->vmlinux) : NULL;
	}
	if (!b || libbpf_get_error(b))
		return NULL;
	c->objs[c->n].id = id;
	c->objs[c->n].btf = b;
	copy_str(c->objs[c->n].name, sizeof(c->objs[c->n].name), nbuf);
	*name = c->objs[c->n++].name;
	return b;
}

static void prog_name(uint32_t id, char *buf, size_t len)
{
	struct bpf_prog_info info;
	uint32_t ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	copy_str(buf, len, "?");
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
		copy_str(buf, len, info.name);
	close(fd);
}

static void add_link(struct hook_set *hs, struct btf_cache *c, const struct bpf_link_info *li)
{
	const struct btf_type *t;
	const char *obj = NULL, *fn;
	enum hook_kind kind;
	struct btf *b;
	char pname[32];
	int ok;

	kind = kind_of(li->tracing.attach_type, &ok);
	if (!ok)
		return; /* freplace, LSM, iterators: not on a kernel function's entry */
	b = btf_of(c, li->tracing.target_obj_id, &obj);
	t = b ? btf__type_by_id(b, li->tracing.target_btf_id) : NULL;
	fn = t ? btf__name_by_offset(b, t->name_off) : NULL;
	if (!fn || !*fn)
		return;
	prog_name(li->prog_id, pname, sizeof(pname));
	hooks__add_bpf(hs, kind, fn, obj && strcmp(obj, "vmlinux") ? obj : NULL, li->prog_id,
		       pname, li->id);
}

static void read_links(struct hook_set *hs)
{
	struct btf_cache c = { 0 };
	uint32_t id = 0;
	int err = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info li;
		uint32_t len = sizeof(li);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* went away meanwhile */
			err = errno;
			break;
		}
		memset(&li, 0, sizeof(li));
		if (!bpf_obj_get_info_by_fd(fd, &li, &len) && li.type == BPF_LINK_TYPE_TRACING)
			add_link(hs, &c, &li);
		close(fd);
	}
	if (!err && errno != ENOENT)
		err = errno;
	if (err) {
		char why[160];

		snprintf(why, sizeof(why), "BPF links not readable (%s%s)", strerror(err),
			 err == EPERM ? ": needs CAP_SYS_ADMIN" : "");
		hs->bpf_why_not = xstrdup(why);
	} else {
		hs->have_bpf = 1;
	}
	for (int i = 0; i < c.n; i++)
		if (c.objs[i].btf != c.vmlinux)
			btf__free(c.objs[i].btf);
	btf__free(c.vmlinux);
}

static char *read_first(const char *sysfs, const char *a, const char *b)
{
	char path[4096];
	char *t;

	snprintf(path, sizeof(path), "%s/%s", sysfs, a);
	t = read_all(path, NULL);
	if (!t && b) {
		snprintf(path, sizeof(path), "%s/%s", sysfs, b);
		t = read_all(path, NULL);
	}
	return t;
}

struct hook_set *hookscan__read(const struct sys_paths *p)
{
	struct hook_set *hs = xcalloc(1, sizeof(*hs));
	char *kp = read_first(p->sysfs, "kernel/debug/kprobes/list", NULL);
	char *ft = read_first(p->sysfs, "kernel/tracing/enabled_functions",
			      "kernel/debug/tracing/enabled_functions");

	hooks__parse_kprobes(hs, kp);
	hooks__parse_ftrace(hs, ft);
	free(kp);
	free(ft);
	if (strcmp(p->sysfs, "/sys"))
		hs->bpf_why_not = xstrdup("a --root tree has no BPF links");
	else
		read_links(hs);
	return hs;
}

int hookscan__trampolines_share_ipmodify(void)
{
	struct btf *b = btf__load_vmlinux_btf();
	int found;

	if (!b || libbpf_get_error(b))
		return -1;
	found = btf__find_by_name_kind(b, "ftrace_ops_cmd", BTF_KIND_ENUM) > 0;
	btf__free(b);
	return found;
}
