/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Namespaces' SPDK bdev names -> device paths (udev for NVMe SSDs, [AIO] paths, [Malloc] RAM disks). */
#ifndef NVMET_RESOLVE_H
#define NVMET_RESOLVE_H

#include "ctx.h"
#include "report.h"
#include "spdkconf.h"

/* Resolve every namespace's bdev to a device_path (udev for NVMe). Errors go to rep. RESOLVE_F_TOLERANT (nvmetd):
 * a missing device is a warning and its namespace is marked disabled instead; RESOLVE_F_CREATE makes
 * [Malloc] RAM disks (apply), without it they are only described (plan, check). */
enum { RESOLVE_F_TOLERANT = 1, RESOLVE_F_CREATE = 2 };
int resolve_namespaces(struct nv_ctx *c, struct nv_config *cfg, unsigned flags, struct nv_report *rep);
/* The block device of bdev name (an NVMe namespace, an [AIO] block device) for bdev_lvol_create_lvstore:
 * 0 with *dev, or -errno with *why (a RAM disk, a file, a missing device). Reads sysfs (udev). */
int resolve_bdev_device(struct nv_ctx *c, const struct nv_config *cfg, const char *name, char **dev, char **why);
/* For show: the NVMe controller PCI address and NSID behind a block device path, if any. */
int resolve_nvme_path(struct nv_ctx *c, const char *devpath, char **bdf, unsigned *nsid);

#endif
