/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bdev_get_bdevs: the block devices the configuration names, as SPDK's bdev_rpc.c dumps them:
 * every [AIO] entry, every [Malloc] LUN, and each NVMe namespace a Namespace line uses (nvmetd
 * knows no others). Sizes come from what the kernel says of the device (sysfs), or the file's size,
 * or the [Malloc] section; a size nvmetd cannot know is left out rather than guessed. */
#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "lvname.h"
#include "rpc-lvint.h"
#include "rpc-params.h"
#include "util.h"

/* The namespace that uses bdev name (any case, as nvmf.conf compares), or NULL. */
static const struct nv_ns *user_of(const struct nv_model *m, const char *name)
{
	for (size_t i = 0; i < m->nsubsys; i++)
		for (size_t j = 0; j < m->subsys[i].nns; j++)
			if (m->subsys[i].ns[j].bdev && !strcasecmp(m->subsys[i].ns[j].bdev, name))
				return &m->subsys[i].ns[j];
	return NULL;
}

static int sysfs_u64(const char *sysfs, const char *dev, const char *attr, unsigned long long *v)
{
	_cleanup_free_ char *p = xasprintf("%s/class/block/%s/%s", sysfs, dev, attr), *s = NULL;
	int r = read_attr(p, &s);

	return r < 0 ? r : parse_u64(s, v);
}

/* block_size and num_blocks of the device or file at path, when they can be known. */
static void add_size(json_object *o, const char *sysfs, const char *path, unsigned block_size)
{
	unsigned long long sectors, lbs = block_size;
	char real[PATH_MAX];
	struct stat st;

	if (!path || stat(path, &st) < 0)
		return;
	if (S_ISBLK(st.st_mode) && realpath(path, real)) {
		const char *dev = basename(real);
		if (sysfs_u64(sysfs, dev, "size", &sectors) < 0 ||
		    (!lbs && sysfs_u64(sysfs, dev, "queue/logical_block_size", &lbs) < 0) || !lbs)
			return;
		json_object_object_add(o, "block_size", json_object_new_int64((long long)lbs));
		json_object_object_add(o, "num_blocks", json_object_new_int64((long long)(sectors * 512 / lbs)));
	} else if (S_ISREG(st.st_mode)) {
		lbs = lbs ? lbs : 512;
		json_object_object_add(o, "block_size", json_object_new_int64((long long)lbs));
		json_object_object_add(o, "num_blocks", json_object_new_int64((long long)st.st_size / (long long)lbs));
	}
}

static json_object *bdev_object(const struct rpc_env *e, const char *name, const struct nv_bdev *b)
{
	static const char *const product[] = { [BDEV_NVME] = "NVMe disk", [BDEV_AIO] = "AIO disk",
					       [BDEV_MALLOC] = "Malloc disk" };
	const struct nv_ns *ns = user_of((*e->cfg)->model, name);
	const char *uuid = ns ? attrs_get(&ns->attrs, "device_uuid") : NULL;
	const char *path = ns && attrs_get(&ns->attrs, "device_path") ? attrs_get(&ns->attrs, "device_path") : b->path;
	json_object *o = json_object_new_object(), *drv = json_object_new_object(), *d;

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "aliases", json_object_new_array());
	json_object_object_add(o, "product_name", json_object_new_string(product[b->kind]));
	if (b->kind == BDEV_MALLOC && b->block_size) {
		json_object_object_add(o, "block_size", json_object_new_int64(b->block_size));
		json_object_object_add(o, "num_blocks", json_object_new_int64((long long)(b->size_mb << 20) / b->block_size));
	} else if (b->kind != BDEV_MALLOC) {
		add_size(o, e->sysfs, path, b->block_size);
	}
	if (uuid)
		json_object_object_add(o, "uuid", json_object_new_string(uuid));
	json_object_object_add(o, "claimed", json_object_new_boolean(ns != NULL));
	if (b->kind == BDEV_NVME) {
		d = json_object_new_object();
		json_object_object_add(d, "pci_address", json_object_new_string(b->bdf));
		json_object_object_add(d, "nsid", json_object_new_int64(b->nsid));
		json_object_object_add(drv, "nvme", json_object_new_array());
		json_object_array_add(json_object_object_get(drv, "nvme"), d);
	} else if (b->kind == BDEV_AIO) {
		d = json_object_new_object();
		json_object_object_add(d, "filename", json_object_new_string(b->path));
		json_object_object_add(drv, "aio", d);
	}
	json_object_object_add(o, "driver_specific", drv);
	return o;
}

/* Add bdev name unless want names another one. */
static void add_bdev(const struct rpc_env *e, json_object *a, const char *name, const char *want)
{
	struct nv_bdev b;

	if ((want && !streq(want, name)) || spdkconf_find_bdev(*e->cfg, name, &b) < 0)
		return;
	json_object_array_add(a, bdev_object(e, name, &b));
}

bool rpc_bdev_in_use(const struct nv_model *m, const char *name)
{
	return user_of(m, name) != NULL;
}

json_object *rpc_config_bdevs(const struct rpc_env *e, const char *want, const struct lv_list *lvols)
{
	const struct nv_config *c = *e->cfg;
	const struct nv_model *m = c->model;
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < c->naio; i++)
		if (!lvname_aio_is_lvol(c->aio[i].name, c->aio[i].path, NULL) || !lvols || !lv_find_vol(lvols, c->aio[i].name))
			add_bdev(e, a, c->aio[i].name, want);
	for (unsigned i = 0; i < c->malloc_luns; i++) {
		char name[32];
		snprintf(name, sizeof(name), "Malloc%u", i);
		add_bdev(e, a, name, want);
	}
	for (size_t i = 0; i < m->nsubsys; i++)
		for (size_t j = 0; j < m->subsys[i].nns; j++) {
			const char *name = m->subsys[i].ns[j].bdev;
			struct nv_bdev b;
			if (name && spdkconf_find_bdev(c, name, &b) == 0 && b.kind == BDEV_NVME &&
			    user_of(m, name) == &m->subsys[i].ns[j])
				add_bdev(e, a, name, want);
		}
	return a;
}

/* bdev_get_bdevs without LVM: with name, that one or -19 "No such device" (spdk-csi matches the text). */
int rpc_bdev_get_bdevs(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	const char *want = rpc_param_str(params, "name");

	(void)message;
	*result = rpc_config_bdevs(e, want, NULL);
	if (want && json_object_array_length(*result) == 0) {
		json_object_put(*result);
		*result = NULL;
		return -ENODEV;
	}
	return 0;
}
