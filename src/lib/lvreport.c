/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lvstore.h: LVM's JSON report -> the lvol stores and lvols, and lookups in them. Pure. */
#include <errno.h>
#include "jsonc.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lvname.h"
#include "lvstore.h"
#include "util.h"

static const char *field(json_object *row, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(row, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : "";
}

/* The value of tag prefix in a comma-separated tag list ("" for a flag tag), allocated, or NULL. */
static char *tag(const char *tags, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = tags; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		size_t len = strcspn(p, ",");
		if (len >= n && !strncmp(p, prefix, n) && (prefix[n - 1] == '=' || len == n))
			return xstrndup(p + n, len - n);
	}
	return NULL;
}

static char *name_tag(const char *tags)
{
	_cleanup_free_ char *enc = tag(tags, LV_TAG_NAME);

	return enc ? lvname_decode(enc) : NULL;
}

static unsigned long long num(json_object *row, const char *key)
{
	unsigned long long v = 0;

	return parse_u64(field(row, key), &v) < 0 ? 0 : v;
}

static unsigned long long used_of(json_object *row, unsigned long long size)
{
	double pct = strtod(field(row, "data_percent"), NULL);

	return pct > 0 && pct <= 100 ? (unsigned long long)((double)size * pct / 100.0) : 0;
}

static void add_store(struct lv_list *l, json_object *row)
{
	const char *tags = field(row, "vg_tags");
	_cleanup_free_ char *bs = tag(tags, LV_TAG_BS), *uuid = tag(tags, LV_TAG_UUID);
	struct lv_store *s;
	unsigned long long b = 512;

	if (!uuid || !lvname_is_uuid(uuid))
		return;
	s = array_push(&l->s, &l->ns, sizeof(*s));
	s->vg = xstrdup(field(row, "vg_name"));
	s->uuid = TAKE_PTR(uuid);
	s->name = name_tag(tags) ?: xstrdup(s->vg);
	s->bdev = tag(tags, LV_TAG_BDEV);
	if (s->bdev) {
		char *d = lvname_decode(s->bdev);
		free(s->bdev);
		s->bdev = d;
	}
	s->block_size = bs && parse_u64(bs, &b) == 0 && b >= 512 && b <= 65536 ? (unsigned)b : 512;
	s->pool_size = num(row, "lv_size");
	s->chunk = num(row, "chunk_size");
	s->extent = num(row, "vg_extent_size");
	s->used = used_of(row, s->pool_size);
}

static void add_vol(struct lv_list *l, json_object *row)
{
	const char *tags = field(row, "lv_tags"), *attr = field(row, "lv_attr");
	_cleanup_free_ char *uuid = tag(tags, LV_TAG_UUID), *thick = tag(tags, LV_TAG_THICK);
	_cleanup_free_ char *snap = tag(tags, LV_TAG_SNAPSHOT);
	struct lv_vol *v;
	size_t i;

	for (i = 0; i < l->ns && !streq(l->s[i].vg, field(row, "vg_name")); i++)
		;
	if (i == l->ns || !uuid || !lvname_is_uuid(uuid))
		return;
	v = array_push(&l->v, &l->nv, sizeof(*v));
	v->store = i;
	v->vg = xstrdup(l->s[i].vg);
	v->lv = xstrdup(field(row, "lv_name"));
	v->uuid = TAKE_PTR(uuid);
	v->name = name_tag(tags) ?: xstrdup(v->lv);
	v->parent = tag(tags, LV_TAG_PARENT);
	v->path = xasprintf("/dev/%s/%s", v->vg, v->lv);
	v->size = num(row, "lv_size");
	v->used = used_of(row, v->size);
	v->thick = thick != NULL;
	v->snapshot = snap != NULL;
	v->active = strlen(attr) > 4 && attr[4] == 'a';
	v->readonly = strlen(attr) > 1 && attr[1] == 'r';
	if (v->thick)
		l->s[i].reserved += v->size - v->used;
}

static bool is_store(json_object *row)
{
	_cleanup_free_ char *t = tag(field(row, "vg_tags"), LV_TAG_STORE);

	return t && streq(field(row, "segtype"), "thin-pool") && streq(field(row, "lv_name"), LV_POOL);
}

static json_object *rows_of(json_object *root, const char *kind)
{
	json_object *rep, *first, *lv;

	if (!json_object_object_get_ex(root, "report", &rep) || !json_object_is_type(rep, json_type_array) ||
	    json_object_array_length(rep) < 1)
		return NULL;
	first = json_object_array_get_idx(rep, 0);
	if (!json_object_object_get_ex(first, kind, &lv) || !json_object_is_type(lv, json_type_array))
		return NULL;
	return lv;
}

static json_object *parse(const char *json)
{
	json_tokener *tok = json_tokener_new_ex(16);
	json_object *root = tok ? json_tokener_parse_ex(tok, json ? json : "", (int)strlen(json ? json : "")) : NULL;

	if (tok)
		json_tokener_free(tok);
	return root;
}

int lvreport_pvs(const char *json, const char *vg, char ***pvs, size_t *n)
{
	json_object *root = parse(json), *rows = root ? rows_of(root, "pv") : NULL;

	*pvs = NULL;
	*n = 0;
	for (size_t i = 0; rows && i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		if (json_object_is_type(row, json_type_object) && streq(field(row, "vg_name"), vg) && *field(row, "pv_name"))
			*(char **)array_push(pvs, n, sizeof(char *)) = xstrdup(field(row, "pv_name"));
	}
	json_object_put(root);
	return rows ? 0 : -EINVAL;
}

int lvreport_parse(const char *json, struct lv_list *l, char **err)
{
	json_object *root = parse(json);
	json_object *rows = root ? rows_of(root, "lv") : NULL;

	*l = (struct lv_list){ 0 };
	if (!rows) {
		json_object_put(root);
		*err = xstrdup("lvm's report is not the JSON expected (lvs --reportformat json)");
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(rows); i++)
		if (json_object_is_type(json_object_array_get_idx(rows, i), json_type_object) &&
		    is_store(json_object_array_get_idx(rows, i)))
			add_store(l, json_object_array_get_idx(rows, i));
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		json_object *row = json_object_array_get_idx(rows, i);
		if (json_object_is_type(row, json_type_object) && streq(field(row, "segtype"), "thin") &&
		    streq(field(row, "pool_lv"), LV_POOL))
			add_vol(l, row);
	}
	json_object_put(root);
	return 0;
}

void lv_list_free(struct lv_list *l)
{
	for (size_t i = 0; i < l->ns; i++) {
		free(l->s[i].vg);
		free(l->s[i].uuid);
		free(l->s[i].name);
		free(l->s[i].bdev);
	}
	for (size_t i = 0; i < l->nv; i++) {
		free(l->v[i].vg);
		free(l->v[i].lv);
		free(l->v[i].uuid);
		free(l->v[i].name);
		free(l->v[i].path);
		free(l->v[i].parent);
	}
	free(l->s);
	free(l->v);
	*l = (struct lv_list){ 0 };
}

const struct lv_store *lv_find_store(const struct lv_list *l, const char *uuid, const char *name)
{
	for (size_t i = 0; i < l->ns; i++)
		if ((uuid && !strcasecmp(uuid, l->s[i].uuid)) || (name && streq(name, l->s[i].name)))
			return &l->s[i];
	return NULL;
}

const struct lv_vol *lv_find_vol(const struct lv_list *l, const char *name)
{
	const char *slash = strchr(name, '/');

	for (size_t i = 0; i < l->nv; i++) {
		const struct lv_store *s = &l->s[l->v[i].store];
		if (!strcasecmp(name, l->v[i].uuid) ||
		    (slash && (size_t)(slash - name) == strlen(s->name) && !strncmp(name, s->name, strlen(s->name)) &&
		     streq(slash + 1, l->v[i].name)))
			return &l->v[i];
	}
	return NULL;
}

char *lv_alias(const struct lv_list *l, const struct lv_vol *v)
{
	return xasprintf("%s/%s", l->s[v->store].name, v->name);
}

size_t lv_clones(const struct lv_list *l, const struct lv_vol *v, const struct lv_vol **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nv; i++)
		if (l->v[i].parent && !strcasecmp(l->v[i].parent, v->uuid)) {
			if (n < max)
				out[n] = &l->v[i];
			n++;
		}
	return n;
}

unsigned long long lv_free_bytes(const struct lv_store *s)
{
	unsigned long long taken = s->used + s->reserved;

	return taken >= s->pool_size ? 0 : s->pool_size - taken;
}
