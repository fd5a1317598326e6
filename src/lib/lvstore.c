/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lvstore.h: listing, making and removing lvol stores. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "devprobe.h"
#include "lvm-int.h"
#include "lvname.h"
#include "util.h"

int lvm_argv(const struct lvm_env *env, const char *const *args, char **err)
{
	_cleanup_free_ char *out = NULL, *why = NULL;
	int r = lvm_run(env, args, &out, &why);

	if (r < 0)
		*err = xasprintf("lvm %s: %s", args[0], why);
	return r;
}

int lvm_do(const struct lvm_env *env, char **err, ...)
{
	const char *args[48];
	size_t n = 0;
	va_list ap;

	va_start(ap, err);
	while (n < ARRAY_SIZE(args) - 1 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	return lvm_argv(env, args, err);
}

char *lv_tag_uuid(const char *uuid)
{
	return xasprintf(LV_TAG_UUID "%s", uuid);
}

char *lv_tag_name(const char *name)
{
	_cleanup_free_ char *enc = lvname_encode(name);

	return xasprintf(LV_TAG_NAME "%s", enc);
}

int lvstore_list(const struct lvm_env *env, struct lv_list *l, char **err)
{
	static const char *const args[] = { "lvs", "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
					    LVREPORT_FIELDS, NULL };
	_cleanup_free_ char *out = NULL, *why = NULL;
	int r = lvm_run(env, args, &out, &why);

	*l = (struct lv_list){ 0 };
	if (r < 0) {
		*err = xasprintf("lvm lvs: %s", why);
		return r;
	}
	return lvreport_parse(out, l, err);
}

int lvol_lookup(const struct lvm_env *env, const char *name, struct lv_list *l, const struct lv_vol **v, char **err)
{
	int r = lvstore_list(env, l, err);

	if (r < 0)
		return r;
	*v = lv_find_vol(l, name);
	if (!*v) {
		*err = xasprintf("No such device: no lvol %s (bdev_lvol_get_lvols lists them)", name);
		return -ENODEV;
	}
	return 0;
}

/* dev must hold nothing: refused naming what it holds. */
static int check_blank(const char *dev, char **err)
{
	_cleanup_free_ char *what = NULL;
	int r = devprobe_in_use(dev, &what);

	if (r < 0)
		*err = xasprintf("%s: cannot be read: %s", dev, strerror(-r));
	else if (r > 0)
		*err = xasprintf("Device or resource busy: %s holds %s; nvmetd makes an lvol store only on a blank "
				 "device (wipe it yourself if it is not needed: wipefs -a %s)", dev, what, dev);
	return r < 0 ? r : r > 0 ? -EBUSY : 0;
}

/* Undo a half-made store: the VG (if made) and the PV label on dev. */
static void undo_store(const struct lvm_env *env, const char *vg, const char *dev)
{
	_cleanup_free_ char *e1 = NULL, *e2 = NULL;

	(void)lvm_do(env, &e1, "vgremove", "-f", "--devices", dev, vg, NULL);
	(void)lvm_do(env, &e2, "pvremove", "-f", "--devices", dev, dev, NULL);
}

int lvstore_create(const struct lvm_env *env, const char *dev, const char *bdev, unsigned bs, const char *name,
		   unsigned long long cluster, char **uuid, char **err)
{
	struct lv_list l;
	_cleanup_free_ char *id = lvname_uuid(), *vg = NULL, *tu = NULL, *tn = NULL, *tb = NULL, *tbs = NULL;
	_cleanup_free_ char *enc = lvname_encode(bdev), *chunk = NULL, *pool = NULL;
	int r;

	if (!*name || strlen(name) > LV_NAME_MAX)
		return *err = xasprintf("Invalid argument: lvs_name '%s' (1 to %d bytes)", name, LV_NAME_MAX), -EINVAL;
	if (cluster && (cluster < 65536 || cluster > (1ULL << 30) || cluster % 65536))
		return *err = xasprintf("Invalid argument: cluster_sz %llu: LVM's thin chunks are multiples of 64 KiB "
					"up to 1 GiB", cluster), -EINVAL;
	if ((r = lvstore_list(env, &l, err)) < 0)
		return r;
	r = lv_find_store(&l, NULL, name) ? -EEXIST : 0;
	lv_list_free(&l);
	if (r)
		return *err = xasprintf("File exists: lvol store %s", name), r;
	if ((r = check_blank(dev, err)) < 0)
		return r;
	vg = lvname_vg_ok(name) ? xstrdup(name) : xasprintf("lvs-%s", id);
	tu = lv_tag_uuid(id);
	tn = lv_tag_name(name);
	tb = xasprintf(LV_TAG_BDEV "%s", enc);
	tbs = xasprintf(LV_TAG_BS "%u", bs ? bs : 512);
	r = lvm_do(env, err, "vgcreate", "--devices", dev, "--addtag", LV_TAG_STORE, "--addtag", tu, "--addtag", tn,
		   "--addtag", tb, "--addtag", tbs, vg, dev, NULL);
	if (r < 0) {
		undo_store(env, vg, dev);
		return r;
	}
	chunk = xasprintf("%llub", cluster ? cluster : 0);
	pool = xasprintf("%s/%s", vg, LV_POOL);
	r = cluster ? lvm_do(env, err, "lvcreate", "--devices", dev, "--type", "thin-pool", "-l", "100%FREE", "--chunksize",
			     chunk, "--yes", "-n", LV_POOL, vg, NULL)
		    : lvm_do(env, err, "lvcreate", "--devices", dev, "--type", "thin-pool", "-l", "100%FREE", "--yes", "-n",
			     LV_POOL, vg, NULL);
	if (r < 0) {
		undo_store(env, vg, dev);
		return r;
	}
	*uuid = TAKE_PTR(id);
	return 0;
}

static bool busy_path(const struct lv_vol *v, char *const *busy, size_t nbusy)
{
	for (size_t i = 0; i < nbusy; i++)
		if (streq(busy[i], v->path) || !strcasecmp(busy[i], v->uuid))
			return true;
	return false;
}

int lvstore_delete(const struct lvm_env *env, const char *uuid, const char *name, char *const *busy, size_t nbusy,
		   char **err)
{
	static const char *const pv_args[] = { "pvs", "--reportformat", "json", "-o", "pv_name,vg_name", NULL };
	struct lv_list l;
	const struct lv_store *s;
	_cleanup_free_ char *vg = NULL, *out = NULL, *why = NULL;
	char **pvs = NULL;
	size_t npvs = 0;
	int r = lvstore_list(env, &l, err);

	if (r < 0)
		return r;
	s = lv_find_store(&l, uuid, name);
	if (!s) {
		lv_list_free(&l);
		return *err = xasprintf("No such device: no lvol store %s", uuid ? uuid : name), -ENODEV;
	}
	for (size_t i = 0; i < l.nv; i++)
		if (&l.s[l.v[i].store] == s && busy_path(&l.v[i], busy, nbusy)) {
			*err = xasprintf("Device or resource busy: lvol %s/%s of store %s is exported; remove its namespace first",
					 s->name, l.v[i].name, s->name);
			lv_list_free(&l);
			return -EBUSY;
		}
	vg = xstrdup(s->vg);
	lv_list_free(&l);
	r = lvm_run(env, pv_args, &out, &why);
	if (r < 0)
		return *err = xasprintf("lvm pvs: %s", why), r;
	if ((r = lvm_do(env, err, "vgremove", "-f", vg, NULL)) < 0)
		return r;
	/* the PV labels of the VG, as pvs reported them before the VG went */
	if (lvreport_pvs(out, vg, &pvs, &npvs) == 0)
		for (size_t i = 0; i < npvs; i++) {
			_cleanup_free_ char *e2 = NULL;
			(void)lvm_do(env, &e2, "pvremove", "-f", pvs[i], NULL);
		}
	strv_free(pvs, npvs);
	return 0;
}
