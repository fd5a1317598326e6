/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a block device holds, before anything is written on it: a filesystem, a partition table, an
 * LVM physical volume, a RAID member... (libblkid's low-level probe, read-only). Blocking. */
#ifndef NVMET_DEVPROBE_H
#define NVMET_DEVPROBE_H

/* 0: nothing found (*what NULL); 1: something (*what: "an ext4 filesystem", "a gpt partition table",
 * "an LVM physical volume (LVM2_member)"); or -errno (the device cannot be opened or read). */
int devprobe_in_use(const char *dev, char **what);

#endif
