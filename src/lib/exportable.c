/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "exportable.h"
#include "util.h"

#define OVERLAYFS_MAGIC 0x794c7630	/* linux/magic.h OVERLAYFS_SUPER_MAGIC */

/* nvmet's file backend: block size 1 << min(i_blkbits, 12); the capacity is size >> that shift. */
static unsigned file_block_shift(const struct stat *st)
{
	unsigned shift = 0;

	while (shift < 12 && ((unsigned long)st->st_blksize >> (shift + 1)))
		shift++;
	return shift;
}

static int file_check(const struct nv_ctx *c, const char *path, const struct stat *st, char **why)
{
	unsigned shift = file_block_shift(st);

	if (c->sys->fs_type(path) == OVERLAYFS_MAGIC) {
		*why = xasprintf("%s is on overlayfs: the kernel target exports such a file with 1-byte blocks, "
				 "which hosts see as 0 bytes — put it on the filesystem under the overlay or use "
				 "a block device", path);
		return -EINVAL;
	}
	if (((unsigned long long)st->st_size >> shift) == 0) {
		*why = xasprintf("%s is %lld bytes, less than one %u-byte block: hosts would see a disk of 0 "
				 "bytes — give it a size (truncate -s 1G %s) or use another file", path,
				 (long long)st->st_size, 1u << shift, path);
		return -EINVAL;
	}
	return 0;
}

static int blockdev_check(const struct nv_ctx *c, const char *path, const struct stat *st, char **why)
{
	_cleanup_free_ char *sz = xasprintf("%s/dev/block/%u:%u/size", c->sysfs, major(st->st_rdev),
					    minor(st->st_rdev));
	_cleanup_free_ char *v = NULL;

	if (read_attr(sz, &v) < 0 || !streq(v, "0"))
		return 0;
	*why = xasprintf("%s has no media (0 bytes): attach what it should hold (losetup, a disk) or use "
			 "another device", path);
	return -EINVAL;
}

int export_check_stat(const struct nv_ctx *c, const char *path, const struct stat *st, char **why)
{
	if (S_ISREG(st->st_mode))
		return file_check(c, path, st, why);
	if (S_ISBLK(st->st_mode))
		return blockdev_check(c, path, st, why);
	return 0;
}

int export_check(const struct nv_ctx *c, const char *path, char **why)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	return export_check_stat(c, path, &st, why);
}
