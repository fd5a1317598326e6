/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the filesystem under a path looks like: its device, its filesystem id and whether that mount
 * is read-only ("2049:1234:1"). For a path that does not exist yet, its nearest existing
 * directory's. A mount, umount or remount that concerns the path changes it; one elsewhere does not,
 * so a namespace that failed on its filesystem is tried again only when this changes. Allocated. */
#ifndef NVMETD_FSPRINT_H
#define NVMETD_FSPRINT_H

char *path_fingerprint(const char *path);

#endif
