/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rpc-lvjson.h */
#include <json-c/json.h>
#include <strings.h>

#include "rpc-lvjson.h"
#include "util.h"

#define ADD(o, k, v) json_object_object_add((o), (k), (v))
#define I64(v) json_object_new_int64((long long)(v))
#define STR(v) json_object_new_string(v)
#define BOOL(v) json_object_new_boolean(v)

json_object *lvjson_store(const struct lv_store *s)
{
	json_object *o = json_object_new_object();
	unsigned long long c = s->chunk ? s->chunk : 1;

	ADD(o, "uuid", STR(s->uuid));
	ADD(o, "name", STR(s->name));
	ADD(o, "base_bdev", STR(s->bdev ? s->bdev : ""));
	ADD(o, "total_data_clusters", I64(s->pool_size / c));
	ADD(o, "free_clusters", I64(lv_free_bytes(s) / c));
	ADD(o, "block_size", I64(s->block_size));
	ADD(o, "cluster_size", I64(s->chunk));
	return o;
}

static const struct lv_vol *by_uuid(const struct lv_list *l, const char *uuid)
{
	for (size_t i = 0; uuid && i < l->nv; i++)
		if (!strcasecmp(l->v[i].uuid, uuid))
			return &l->v[i];
	return NULL;
}

static json_object *lvol_specific(const struct lv_list *l, const struct lv_vol *v)
{
	const struct lv_store *s = &l->s[v->store];
	const struct lv_vol *parent = by_uuid(l, v->parent);
	unsigned long long c = s->chunk ? s->chunk : 1;
	json_object *o = json_object_new_object(), *clones = json_object_new_array();

	ADD(o, "lvol_store_uuid", STR(s->uuid));
	ADD(o, "base_bdev", STR(s->bdev ? s->bdev : ""));
	ADD(o, "thin_provision", BOOL(!v->thick));
	ADD(o, "num_allocated_clusters", I64((v->thick ? v->size : v->used) / c));
	ADD(o, "snapshot", BOOL(v->snapshot));
	ADD(o, "clone", BOOL(parent != NULL));
	ADD(o, "esnap_clone", BOOL(false));
	if (parent)
		ADD(o, "base_snapshot", STR(parent->name));
	for (size_t i = 0; i < l->nv; i++)
		if (l->v[i].parent && !strcasecmp(l->v[i].parent, v->uuid))
			json_object_array_add(clones, STR(l->v[i].name));
	if (v->snapshot || v->readonly)	/* what may have clones */
		ADD(o, "clones", clones);
	else
		json_object_put(clones);
	return o;
}

static json_object *io_types(bool writable)
{
	static const char *const rw[] = { "write", "unmap", "write_zeroes", "flush", "reset" };
	json_object *o = json_object_new_object();

	ADD(o, "read", BOOL(true));
	for (size_t i = 0; i < ARRAY_SIZE(rw); i++)
		ADD(o, rw[i], BOOL(writable || i >= 3));
	return o;
}

json_object *lvjson_bdev(const struct lv_list *l, const struct lv_vol *v, bool claimed)
{
	const struct lv_store *s = &l->s[v->store];
	json_object *o = json_object_new_object(), *aliases = json_object_new_array(), *drv = json_object_new_object();
	unsigned bs = s->block_size ? s->block_size : 512;
	_cleanup_free_ char *alias = lv_alias(l, v);

	json_object_array_add(aliases, STR(alias));
	ADD(o, "name", STR(v->uuid));
	ADD(o, "aliases", aliases);
	ADD(o, "product_name", STR("Logical Volume"));
	ADD(o, "block_size", I64(bs));
	ADD(o, "num_blocks", I64(v->size / bs));
	ADD(o, "uuid", STR(v->uuid));
	ADD(o, "claimed", BOOL(claimed));
	ADD(o, "zoned", BOOL(false));
	ADD(o, "supported_io_types", io_types(!v->snapshot && !v->readonly));
	ADD(drv, "lvol", lvol_specific(l, v));
	ADD(o, "driver_specific", drv);
	return o;
}

json_object *lvjson_lvol(const struct lv_list *l, const struct lv_vol *v)
{
	const struct lv_store *s = &l->s[v->store];
	json_object *o = json_object_new_object(), *lvs = json_object_new_object();
	_cleanup_free_ char *alias = lv_alias(l, v);

	ADD(o, "alias", STR(alias));
	ADD(o, "uuid", STR(v->uuid));
	ADD(o, "name", STR(v->name));
	ADD(o, "is_thin_provisioned", BOOL(!v->thick));
	ADD(o, "is_snapshot", BOOL(v->snapshot));
	ADD(o, "is_clone", BOOL(v->parent != NULL));
	ADD(o, "is_esnap_clone", BOOL(false));
	ADD(o, "is_degraded", BOOL(!v->active));
	ADD(lvs, "name", STR(s->name));
	ADD(lvs, "uuid", STR(s->uuid));
	ADD(o, "lvs", lvs);
	return o;
}
