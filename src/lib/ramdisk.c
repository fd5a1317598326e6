/* SPDX-License-Identifier: GPL-2.0-or-later */
/* [Malloc] RAM disks: memory-backed null_blk devices made through null_blk's configfs interface
 * (<configfs>/nullb/nvmetd-MallocN: size in MiB, blocksize, memory_backed=1, power=1). */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "log.h"
#include "kernel.h"
#include "ramdisk.h"
#include "util.h"

#define PREFIX "nvmetd-"

static char *nullb_dir(struct nv_ctx *c, const char *name)
{
	return xasprintf("%s/nullb/%s%s", c->configfs, PREFIX, name);
}

/* The disk is named after the configfs item on newer kernels (6.12: /dev/nvmetd-Malloc0), after its
 * index on older ones (6.1: /dev/nullb0): look which exists. */
static int read_index_path(struct nv_ctx *c, const char *dir, char **dev)
{
	_cleanup_free_ char *p = path_join(dir, "index");
	_cleanup_free_ char *v = NULL, *byname = NULL;
	const char *item = strrchr(dir, '/') + 1;
	struct stat st;
	int r = read_attr(p, &v);

	if (r < 0)
		return r;
	byname = xasprintf("%s/class/block/%s", c->sysfs, item);
	if (stat(byname, &st) == 0)
		*dev = xasprintf("/dev/%s", item);
	else
		*dev = xasprintf("/dev/nullb%s", v);
	return 0;
}

int ramdisk_resolve(struct nv_ctx *c, const char *name, unsigned long long size_mb, unsigned block_size,
		    bool create, char **dev, char **why)
{
	_cleanup_free_ char *dir = nullb_dir(c, name);
	_cleanup_free_ char *root = path_join(c->configfs, "nullb");
	_cleanup_free_ char *size = NULL, *power = NULL;
	struct stat st;
	char buf[32];
	int r;

	if (stat(dir, &st) == 0) {
		_cleanup_free_ char *sp = path_join(dir, "size");
		_cleanup_free_ char *pp = path_join(dir, "power");
		unsigned long long have;

		if (read_attr(sp, &size) == 0 && parse_u64(size, &have) == 0 && have != size_mb) {
			*why = xasprintf("RAM disk %s already exists with %llu MiB, not %llu; `nvmetcfg clear` removes it",
					 name, have, size_mb);
			return -EEXIST;
		}
		if (create && read_attr(pp, &power) == 0 && !streq(power, "1") && (r = write_attr(pp, "1")) < 0) {
			*why = xasprintf("cannot power on RAM disk %s: %s", name, strerror(-r));
			return r;
		}
		return read_index_path(c, dir, dev);
	}
	if (!create) {
		*dev = xasprintf("(RAM disk %s, %llu MiB, made on apply)", name, size_mb);
		return 0;
	}
	if (stat(root, &st) < 0) {
		/* nr_devices=0: no default nullb0 */
		r = c->sys->load_module("null_blk", "nr_devices=0");
		if (r == 0 && stat(root, &st) < 0)
			r = configfs_mount(c);
		if (r < 0 || stat(root, &st) < 0) {
			*why = xasprintf("cannot load null_blk for RAM disk %s: %s — is CONFIG_BLK_DEV_NULL_BLK set?",
					 name, strerror(r < 0 ? -r : ENOENT));
			return r < 0 ? r : -ENOENT;
		}
	}
	if (mkdir(dir, 0755) < 0) {
		r = -errno;
		*why = xasprintf("cannot create RAM disk %s: %s", name, strerror(-r));
		return r;
	}
	static const char *const order[] = { "size", "blocksize", "memory_backed", "power" };
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		_cleanup_free_ char *p = path_join(dir, order[i]);
		if (i == 0)
			snprintf(buf, sizeof(buf), "%llu", size_mb);
		else if (i == 1)
			snprintf(buf, sizeof(buf), "%u", block_size);
		else
			snprintf(buf, sizeof(buf), "1");
		r = write_attr(p, buf);
		if (r < 0) {
			*why = xasprintf("RAM disk %s: %s = %s: %s", name, order[i], buf, strerror(-r));
			rmdir(dir);
			return r;
		}
	}
	log_debug("made RAM disk %s (%llu MiB, %u-byte blocks)", name, size_mb, block_size);
	return read_index_path(c, dir, dev);
}

int ramdisk_gc(struct nv_ctx *c, const struct nv_model *keep)
{
	_cleanup_free_ char *root = path_join(c->configfs, "nullb");
	_cleanup_strv_ char **names = NULL;
	int n = list_dir(root, &names), ret = 0;

	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *dir = NULL, *dev = NULL;
		bool used = false;

		if (strncmp(names[i], PREFIX, strlen(PREFIX)))
			continue; /* not ours */
		dir = path_join(root, names[i]);
		if (read_index_path(c, dir, &dev) == 0)
			for (size_t s = 0; keep && s < keep->nsubsys && !used; s++)
				for (size_t j = 0; j < keep->subsys[s].nns && !used; j++)
					used = streq_ptr(attrs_get(&keep->subsys[s].ns[j].attrs, "device_path"), dev);
		if (used)
			continue;
		_cleanup_free_ char *pp = path_join(dir, "power");
		(void)write_attr(pp, "0");
		if (rmdir(dir) < 0 && ret == 0)
			ret = -errno;
		else
			log_debug("removed RAM disk %s", names[i] + strlen(PREFIX));
	}
	return ret;
}
