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

int lv_retag(const struct lvm_env *env, const char *cmd, const char *target, const char *from, const char *to,
	     char **err)
{
	_cleanup_free_ char *del = lv_tag_name(from), *add = lv_tag_name(to);

	return lvm_do(env, err, cmd, "--deltag", del, "--addtag", add, target, NULL);
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
		lv_list_free(l);
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

bool lv_exported(const struct lv_vol *v, char *const *busy, size_t nbusy)
{
	for (size_t i = 0; i < nbusy; i++)
		if (streq(busy[i], v->path) || !strcasecmp(busy[i], v->uuid))
			return true;
	return false;
}

/* The store s of l: whether one of its lvols is exported (0), or -EBUSY with *err (what names the call). */
static int store_busy(const struct lv_list *l, const struct lv_store *s, char *const *busy, size_t nbusy,
		      const char *what, char **err)
{
	for (size_t i = 0; i < l->nv; i++)
		if (&l->s[l->v[i].store] == s && lv_exported(&l->v[i], busy, nbusy))
			return *err = xasprintf("Device or resource busy: lvol %s/%s is exported; remove its namespace before %s",
						s->name, l->v[i].name, what), -EBUSY;
	return 0;
}

/* Remove the PV labels of vg (pvs: the pvs report from before the VG went). */
static int remove_labels(const struct lvm_env *env, const char *pvs_report, const char *vg, const char *name,
			 char **err)
{
	char **pvs = NULL;
	size_t npvs = 0;
	int r = 0;

	if (lvreport_pvs(pvs_report, vg, &pvs, &npvs) == 0)
		for (size_t i = 0; i < npvs && r == 0; i++) {
			_cleanup_free_ char *why = NULL;
			if ((r = lvm_do(env, &why, "pvremove", "-f", pvs[i], NULL)) < 0)
				*err = xasprintf("Input/output error: lvol store %s is removed, but the LVM label on %s stays (%s); "
						 "remove it with: pvremove -f %s", name, pvs[i], why, pvs[i]);
		}
	strv_free(pvs, npvs);
	return r;
}

int lvstore_delete(const struct lvm_env *env, const char *uuid, const char *name, char *const *busy, size_t nbusy,
		   char **err)
{
	static const char *const pv_args[] = { "pvs", "--reportformat", "json", "-o", "pv_name,vg_name", NULL };
	struct lv_list l;
	const struct lv_store *s;
	_cleanup_free_ char *vg = NULL, *sname = NULL, *out = NULL, *why = NULL;
	int r = lvstore_list(env, &l, err);

	if (r < 0)
		return r;
	s = lv_find_store(&l, uuid, name);
	if (!s)
		r = -ENODEV, *err = xasprintf("No such device: no lvol store %s", uuid ? uuid : name);
	else if ((r = store_busy(&l, s, busy, nbusy, "deleting its store", err)) == 0) {
		vg = xstrdup(s->vg);
		sname = xstrdup(s->name);
	}
	lv_list_free(&l);
	if (r < 0)
		return r;
	r = lvm_run(env, pv_args, &out, &why);
	if (r < 0)
		return *err = xasprintf("lvm pvs: %s", why), r;
	/* every LV inactive first: one that something holds open fails here, before anything is removed */
	if ((r = lvm_do(env, &why, "vgchange", "-an", vg, NULL)) < 0)
		return *err = xasprintf("Device or resource busy: lvol store %s: its LVs cannot be deactivated (one is "
					"open?), nothing was removed: %s", sname, why), -EBUSY;
	if ((r = lvm_do(env, &why, "vgremove", "-f", vg, NULL)) < 0)
		return *err = xasprintf("Input/output error: lvol store %s: %s (see lvs %s for what is left)", sname, why,
					vg), r;
	return remove_labels(env, out, vg, sname, err);
}

int lvstore_rename(const struct lvm_env *env, const char *old, const char *name, char *const *busy, size_t nbusy,
		   char **err)
{
	struct lv_list l;
	const struct lv_store *s;
	_cleanup_free_ char *vg = NULL, *e1 = NULL, *e2 = NULL;
	int r = lvstore_list(env, &l, err);

	if (r < 0)
		return r;
	s = lv_find_store(&l, NULL, old);
	if (!s)
		r = -ENOENT, *err = xasprintf("Lvol store %s not found", old);
	else if (streq(s->name, name))	/* SPDK: the same name is done at once */
		goto out;
	else if (!*name || strlen(name) > LV_NAME_MAX)
		r = -EINVAL, *err = xasprintf("Invalid argument: lvs_name '%s' (1 to %d bytes)", name, LV_NAME_MAX);
	else if (lv_find_store(&l, NULL, name))
		r = -EEXIST, *err = xasprintf("File exists: lvol store %s", name);
	if (r < 0)
		goto out;
	/* the VG follows the name unless an export names its device path (/dev/<vg>/<lv>) */
	vg = store_busy(&l, s, busy, nbusy, "", &e1) < 0 ? xstrdup(s->vg)
	     : lvname_vg_ok(name)			    ? xstrdup(name)
							    : xasprintf("lvs-%s", s->uuid);
	r = lv_retag(env, "vgchange", s->vg, s->name, name, err);
	if (r == 0 && !streq(vg, s->vg) && (r = lvm_do(env, err, "vgrename", s->vg, vg, NULL)) < 0)
		(void)lv_retag(env, "vgchange", s->vg, name, s->name, &e2);	/* nothing half-made */
out:
	lv_list_free(&l);
	return r;
}
