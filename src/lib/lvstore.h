/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SPDK's lvol stores on LVM thin provisioning. An lvol store is a volume group tagged nvmetd.lvs with
 * one thin pool (LV_POOL) on the base bdev's device; an lvol is a thin LV of that pool, a snapshot a
 * read-only thin snapshot, a clone a writable thin snapshot of a snapshot. Identity lives in LVM's
 * tags (lvname.h): the store's and each lvol's UUID, the SPDK names, SPDK's parent links. Nothing
 * else is kept: LVM is the store. Every call runs lvm (lvm.h), bounded in time: call them off
 * nvmetd's loop. Each returns 0 or a negative errno with *err saying what, about which object, and
 * what to do: -ENODEV no such store or lvol, -EEXIST a name taken, -ENOSPC, -EBUSY exported, -EPERM a
 * snapshot with clones, -ENOTBLK/-EINVAL bad arguments, -EIO lvm failed (its message). */
#ifndef NVMET_LVSTORE_H
#define NVMET_LVSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "lvm.h"

struct lv_store {
	char *vg, *uuid, *name, *bdev;	/* VG, the store's UUID, its SPDK name, its base bdev's SPDK name */
	unsigned block_size;		/* the base bdev's logical block size */
	unsigned long long pool_size, chunk, used;	/* the thin pool: size, chunk (SPDK's cluster), used bytes */
	unsigned long long reserved;	/* the thick lvols' space not yet allocated */
	unsigned long long extent;	/* the VG's extent size: LV sizes are multiples of it */
};

struct lv_vol {
	char *vg, *lv, *uuid, *name, *path;	/* path: /dev/<vg>/<lv> */
	char *parent;			/* the UUID of the snapshot it was cloned from, or NULL */
	size_t store;			/* index in lv_list.s */
	unsigned long long size, used;
	bool thick, snapshot, active;
	bool readonly;			/* LVM's permission r (bdev_lvol_set_read_only; snapshots are too) */
};

struct lv_list {
	struct lv_store *s;
	size_t ns;
	struct lv_vol *v;
	size_t nv;
};

/* The fields lvreport_parse reads, for `lvs -o`. */
#define LVREPORT_FIELDS "vg_name,vg_tags,vg_extent_size,lv_name,lv_tags,lv_size,lv_attr,pool_lv,data_percent,lv_path,chunk_size,segtype"
/* An `lvs --reportformat json --units b --nosuffix -o LVREPORT_FIELDS` report -> the stores and their
 * lvols (other VGs and LVs are left out). 0, or -EINVAL with *err. Pure. */
int lvreport_parse(const char *json, struct lv_list *l, char **err);
void lv_list_free(struct lv_list *l);
/* A `pvs --reportformat json -o pv_name,vg_name` report -> the PVs of vg (*pvs: n strings). Pure. */
int lvreport_pvs(const char *json, const char *vg, char ***pvs, size_t *n);

/* Lookups in l: a store by UUID or name (either may be NULL); an lvol by UUID or "lvs/lvol" alias. */
const struct lv_store *lv_find_store(const struct lv_list *l, const char *uuid, const char *name);
const struct lv_vol *lv_find_vol(const struct lv_list *l, const char *name);
/* SPDK's alias of v: "<store name>/<lvol name>" (allocated). */
char *lv_alias(const struct lv_list *l, const struct lv_vol *v);
/* The lvols whose parent is v (SPDK's clones of a snapshot). */
size_t lv_clones(const struct lv_list *l, const struct lv_vol *v, const struct lv_vol **out, size_t max);
unsigned long long lv_free_bytes(const struct lv_store *s);

/* Every store and lvol LVM has. */
int lvstore_list(const struct lvm_env *env, struct lv_list *l, char **err);

/* Make store name on device dev (the base bdev's, bdev its SPDK name, block size bs): refused when dev
 * holds a filesystem, a partition table or an LVM PV (devprobe.h). cluster 0: LVM's default chunk.
 * *uuid: the new store's. On a failure nothing is left on dev. */
int lvstore_create(const struct lvm_env *env, const char *dev, const char *bdev, unsigned bs, const char *name,
		   unsigned long long cluster, char **uuid, char **err);
/* Remove a store (by UUID or name) with its lvols, and the PV label; busy: the device paths that are
 * exported (a store with one of them is refused). */
int lvstore_delete(const struct lvm_env *env, const char *uuid, const char *name, char *const *busy, size_t nbusy,
		   char **err);
/* Rename store old to name (the tag; the VG too when LVM takes the name and none of the store's lvols is
 * exported, busy as for lvstore_delete: their device paths stay). -ENOENT: no store old. */
int lvstore_rename(const struct lvm_env *env, const char *old, const char *name, char *const *busy, size_t nbusy,
		   char **err);

/* The lvol operations (lvol.c). Names are SPDK's; an lvol is named by UUID or alias. */
int lvol_create(const struct lvm_env *env, const char *lvs_uuid, const char *lvs_name, const char *name,
		unsigned long long size, bool thin, char **uuid, char **err);
int lvol_snapshot(const struct lvm_env *env, const char *lvol, const char *name, char **uuid, char **err);
int lvol_clone(const struct lvm_env *env, const char *snapshot, const char *name, char **uuid, char **err);
int lvol_resize(const struct lvm_env *env, const char *lvol, unsigned long long size, char **err);
int lvol_inflate(const struct lvm_env *env, const char *lvol, char **err);
int lvol_delete(const struct lvm_env *env, const char *lvol, char *const *busy, size_t nbusy, char **err);
/* Rename an lvol: its name tag, and its LV when LVM takes the name and the lvol is not exported (busy). */
int lvol_rename(const struct lvm_env *env, const char *lvol, const char *name, char *const *busy, size_t nbusy,
		char **err);
/* SPDK's decouple_parent: the lvol's parent link moves to its parent's parent (none: no link). Thin
 * LVs share chunks with their origin without depending on it: no data moves, it stays thin. -EINVAL
 * when it has no parent (SPDK's blobstore). */
int lvol_decouple(const struct lvm_env *env, const char *lvol, char **err);
/* Make the lvol's LV read-only (lvchange -p r); one already read-only is left as it is. */
int lvol_set_read_only(const struct lvm_env *env, const char *lvol, char **err);
/* Make vg/lv active (and its device node), activation skip or not. */
int lvol_activate(const struct lvm_env *env, const char *vglv, char **err);
/* The lvol (UUID or alias), active: its UUID and device path. */
int lvol_open(const struct lvm_env *env, const char *lvol, char **uuid, char **path, char **err);

#endif
