/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether the kernel target can export a backing file or block device as a disk a host can use.
 * nvmet enables a namespace on an empty file, on a file on overlayfs (whose inode has no block size:
 * nvmet exports 1-byte blocks) or on a loop device with nothing attached, and hosts then see a disk of
 * 0 bytes or none at all; these are refused before the kernel is asked. */
#ifndef NVMET_EXPORTABLE_H
#define NVMET_EXPORTABLE_H

#include <sys/stat.h>

#include "ctx.h"

/* 0, or -EINVAL with *why (what is wrong and what to do) when path cannot back a usable namespace.
 * A path that cannot be examined is not refused here: the kernel says why when it is enabled. */
int export_check(const struct nv_ctx *c, const char *path, char **why);
/* The same for a path the caller has just examined (st: its stat), without examining it again. */
int export_check_stat(const struct nv_ctx *c, const char *path, const struct stat *st, char **why);

#endif
