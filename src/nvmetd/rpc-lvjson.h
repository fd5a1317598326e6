/* SPDX-License-Identifier: GPL-2.0-or-later */
/* LVM's lvol stores and lvols in SPDK's response shapes (module/bdev/lvol/vbdev_lvol_rpc.c,
 * vbdev_lvol.c's dump_info_json): sizes and clusters from LVM's accounting, a cluster being the thin
 * pool's chunk. */
#ifndef NVMETD_RPC_LVJSON_H
#define NVMETD_RPC_LVJSON_H

#include <stdbool.h>

#include "lvstore.h"

struct json_object;

/* bdev_lvol_get_lvstores' element. */
struct json_object *lvjson_store(const struct lv_store *s);
/* bdev_get_bdevs' element for an lvol (claimed: a namespace exports it). */
struct json_object *lvjson_bdev(const struct lv_list *l, const struct lv_vol *v, bool claimed);
/* bdev_lvol_get_lvols' element. */
struct json_object *lvjson_lvol(const struct lv_list *l, const struct lv_vol *v);

#endif
