/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SPDK lvol store and lvol names as LVM can keep them. LVM refuses many names SPDK allows (any
 * character, "snapshot-<uuid>", which is how spdk-csi and Cinder name snapshots): such a name gets a
 * derived VG or LV name ("lvs-<uuid>", "lv-<uuid>") and the SPDK name itself lives in a tag
 * ("nvmetd.name=<encoded>"), in the characters tags allow. Pure. */
#ifndef NVMET_LVNAME_H
#define NVMET_LVNAME_H

#include <stdbool.h>

#define LV_TAG_STORE "nvmetd.lvs"	/* a VG that is an lvol store */
#define LV_TAG_UUID "nvmetd.uuid="
#define LV_TAG_NAME "nvmetd.name="
#define LV_TAG_BDEV "nvmetd.bdev="	/* VG: the base bdev's SPDK name */
#define LV_TAG_BS "nvmetd.bs="		/* VG: the base bdev's block size */
#define LV_TAG_PARENT "nvmetd.parent="	/* LV: the snapshot it is a clone of (SPDK's base_snapshot) */
#define LV_TAG_THICK "nvmetd.thick"	/* LV: thin_provision false: its size is reserved in the pool */
#define LV_TAG_SNAPSHOT "nvmetd.snapshot" /* LV: an SPDK snapshot (read-only) */
#define LV_POOL "nvmetd-pool"		/* the thin pool of an lvol store */
#define LV_NAME_MAX 63			/* SPDK's SPDK_LVOL_NAME_MAX - 1 */

/* Whether LVM takes name as an LV name (lvm2 lib/misc/lvm-string.c: characters, reserved prefixes
 * and suffixes; our pool's name is taken too), or as a VG name. */
bool lvname_lv_ok(const char *name);
bool lvname_vg_ok(const char *name);
/* A name for tags: [A-Za-z0-9_+.-] kept, every other byte as &XX. And back: NULL when malformed. */
char *lvname_encode(const char *name);
char *lvname_decode(const char *enc);
/* A fresh RFC 4122 version 4 UUID (lower case). */
char *lvname_uuid(void);
bool lvname_is_uuid(const char *s);
/* An [AIO] entry that exports an lvol (rpc.conf): named by its lvol's UUID, path /dev/<vg>/<lv>. Sets
 * *vglv ("vg/lv", allocated) when vglv is not NULL. */
bool lvname_aio_is_lvol(const char *name, const char *path, char **vglv);

#endif
