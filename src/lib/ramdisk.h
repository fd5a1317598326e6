/* SPDX-License-Identifier: GPL-2.0-or-later */
/* [Malloc] RAM disks, made with null_blk through configfs. */
#ifndef NVMET_RAMDISK_H
#define NVMET_RAMDISK_H

#include <stdbool.h>

#include "ctx.h"
#include "model.h"

/* [Malloc] RAM disks (null_blk through configfs). create=false (plan, check) only describes what
 * apply would make. ramdisk_gc removes nvmetd's RAM disks no namespace of keep uses. */
int ramdisk_resolve(struct nv_ctx *c, const char *name, unsigned long long size_mb, unsigned block_size,
		    bool create, char **dev, char **why);
int ramdisk_gc(struct nv_ctx *c, const struct nv_model *keep);

#endif
