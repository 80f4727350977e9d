// SPDX-License-Identifier: GPL-2.0
/* Redacted recordings: kernel addresses replaced by stable pseudonyms. */
#include "recording/packed.h"
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- pseudonyms ------------------------------------------------------------ */

struct rec_pseudonyms {
	struct imap m;
	uint32_t next;
};

struct rec_pseudonyms *rec_pseudonyms__new(void)
{
	return xcalloc(1, sizeof(struct rec_pseudonyms));
}

void rec_pseudonyms__free(struct rec_pseudonyms *p)
{
	if (!p)
		return;
	imap_free(&p->m);
	free(p);
}

uint64_t rec_pseudonyms__get(struct rec_pseudonyms *p, uint64_t addr)
{
	uint32_t v = imap_find(&p->m, addr, 0, NULL, NULL);

	if (v)
		return v;
	if (p->next >= PSEUDONYMS_MAX)
		return 0;   /* "obj#0": too many owners to name them all */
	v = ++p->next;
	imap_put(&p->m, addr, 0, v);
	return v;
}

/* ffff + 12 hex digits: an x86-64 kernel address. */
static int kaddr_at(const char *s)
{
	if (strncasecmp(s, "ffff", 4))
		return 0;
	for (int i = 4; i < 16; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return !isxdigit((unsigned char)s[16]);
}

size_t recfile__redact_text(char *s)
{
	static const char mask[] = "<addr>";
	size_t n = 0, out = 0, i = 0, len = strlen(s);

	while (i < len) {
		size_t pre = (s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) ? 2 : 0;

		if ((!i || !isxdigit((unsigned char)s[i - 1])) && i + pre + 16 <= len &&
		    kaddr_at(s + i + pre)) {
			memcpy(s + out, mask, sizeof(mask) - 1);
			out += sizeof(mask) - 1;
			i += pre + 16;
			n++;
			continue;
		}
		s[out++] = s[i++];
	}
	s[out] = '\0';
	return n;
}

/* A string that is exactly a hex kernel address ("0xffff..."). */
static int is_kaddr_string(const char *s, uint64_t *addr)
{
	char *end;
	unsigned long long v;

	if (strncmp(s, "0x", 2))
		return 0;
	errno = 0;
	v = strtoull(s + 2, &end, 16);
	if (errno || *end || end == s + 2 || v < 0xffff000000000000ull)
		return 0;
	*addr = v;
	return 1;
}

static void redact_value(struct rec_pseudonyms *p, json_object *parent, const char *key,
			 size_t idx, json_object *v)
{
	json_object *nv = NULL;
	uint64_t addr;
	char buf[40];

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, child)
			redact_value(p, v, k, 0, child);
		return;
	}
	if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			redact_value(p, v, NULL, i, json_object_array_get_idx(v, i));
		return;
	}
	if (!json_object_is_type(v, json_type_string))
		return;
	if (is_kaddr_string(json_object_get_string(v), &addr)) {
		if (key && !strcmp(key, "obj") && p) {
			snprintf(buf, sizeof(buf), "obj#%llu",
				 (unsigned long long)rec_pseudonyms__get(p, addr));
			nv = json_object_new_string(buf);
		} else {
			nv = json_object_new_string("0x0");
		}
	} else {
		char *s = xstrdup(json_object_get_string(v));

		if (recfile__redact_text(s))
			nv = json_object_new_string(s);
		free(s);
	}
	if (!nv)
		return;
	if (!parent) {
		json_object_put(nv);
		return;
	}
	/* Replacing a member frees the old value (v): nothing uses it after. */
	if (key)
		json_object_object_add(parent, key, nv);
	else
		json_object_array_put_idx(parent, idx, nv);
}

void recfile__redact_json(struct rec_pseudonyms *p, void *o)
{
	redact_value(p, NULL, NULL, 0, o);
}

