/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lvstore.h: the lvol operations. SPDK's parent links are tags kept by nvmetd: a snapshot S of L takes
 * L's parent and becomes L's (L is then S's clone, as in SPDK's blobstore); a clone of S has S as
 * parent; inflate drops the link; deleting a snapshot with one clone hands its parent to the clone. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lvm-int.h"
#include "lvname.h"
#include "util.h"

/* The name is free in store si, and an LV name for it (name itself when LVM takes it and no LV has it). */
static int new_name(const struct lv_list *l, size_t si, const char *name, const char *uuid, char **lv, char **err)
{
	bool lv_taken = false;

	if (!*name || strlen(name) > LV_NAME_MAX)
		return *err = xasprintf("Invalid argument: lvol name '%s' (1 to %d bytes)", name, LV_NAME_MAX), -EINVAL;
	for (size_t i = 0; i < l->nv; i++) {
		if (l->v[i].store != si)
			continue;
		if (streq(l->v[i].name, name))
			return *err = xasprintf("File exists: lvol %s/%s", l->s[si].name, name), -EEXIST;
		lv_taken |= streq(l->v[i].lv, name);
	}
	*lv = lvname_lv_ok(name) && !lv_taken ? xstrdup(name) : xasprintf("lv-%s", uuid);
	return 0;
}

static char *vglv(const struct lv_vol *v)
{
	return xasprintf("%s/%s", v->vg, v->lv);
}

static unsigned long long round_up(unsigned long long v, unsigned long long to)
{
	return to ? (v + to - 1) / to * to : v;
}

int lvol_create(const struct lvm_env *env, const char *lvs_uuid, const char *lvs_name, const char *name,
		unsigned long long size, bool thin, char **uuid, char **err)
{
	struct lv_list l;
	const struct lv_store *s;
	_cleanup_free_ char *id = lvname_uuid(), *lv = NULL, *tu = lv_tag_uuid(id), *tn = lv_tag_name(name);
	_cleanup_free_ char *sz = xasprintf("%llub", size), *pool = NULL;
	int r = lvstore_list(env, &l, err);

	if (r < 0)
		return r;
	s = lv_find_store(&l, lvs_uuid, lvs_name);
	if (!s)
		r = -ENODEV, *err = xasprintf("No such device: no lvol store %s", lvs_uuid ? lvs_uuid : lvs_name);
	else if (!size)
		r = -EINVAL, *err = xasprintf("Invalid argument: lvol %s: size 0", name);
	else if (!thin && round_up(size, s->extent) > lv_free_bytes(s))
		r = -ENOSPC, *err = xasprintf("No space left on device: lvol store %s has %llu bytes free for thick lvol %s "
					      "of %llu", s->name, lv_free_bytes(s), name, size);
	else
		r = new_name(&l, (size_t)(s - l.s), name, id, &lv, err);
	if (r == 0) {
		pool = xasprintf("%s/%s", s->vg, LV_POOL);
		const char *args[] = { "lvcreate", "--type", "thin", "-V", sz, "--thinpool", pool, "-n", lv, "--addtag", tu,
				       "--addtag", tn, thin ? NULL : "--addtag", LV_TAG_THICK, NULL };
		r = lvm_argv(env, args, err);
	}
	lv_list_free(&l);
	if (r == 0)
		*uuid = TAKE_PTR(id);
	return r;
}

/* lvcreate -s of origin as name (a snapshot: read-only; a clone: writable, parent origin), active
 * whatever activation skip would say. *uuid, *lv: the new one's. */
static int thin_snapshot(const struct lvm_env *env, const struct lv_list *l, const struct lv_vol *origin,
			 const char *name, bool snapshot, char **uuid, char **lv, char **err)
{
	_cleanup_free_ char *id = lvname_uuid(), *tu = lv_tag_uuid(id), *tn = lv_tag_name(name), *from = vglv(origin);
	_cleanup_free_ char *parent = NULL;
	int r = new_name(l, origin->store, name, id, lv, err);

	if (r < 0)
		return r;
	const char *args[] = { "lvcreate", "-s", "-kn", "-ay", "-p", snapshot ? "r" : "rw", "-n", *lv, "--addtag", tu,
			       "--addtag", tn, "--addtag", NULL, from, NULL, NULL, NULL };
	size_t n = 13;

	if (snapshot && origin->parent)
		parent = xasprintf(LV_TAG_PARENT "%s", origin->parent);
	else if (!snapshot)
		parent = xasprintf(LV_TAG_PARENT "%s", origin->uuid);
	args[n++] = snapshot ? LV_TAG_SNAPSHOT : parent;
	if (snapshot && parent) {
		args[n++] = "--addtag";
		args[n++] = parent;
	}
	args[n++] = from;
	args[n] = NULL;
	r = lvm_argv(env, args, err);
	if (r < 0) {
		free(TAKE_PTR(*lv));
		return r;
	}
	*uuid = TAKE_PTR(id);
	return 0;
}

/* v's parent link: from old (NULL: none) to new (NULL: none). */
static int relink(const struct lvm_env *env, const struct lv_vol *v, const char *new, char **err)
{
	_cleanup_free_ char *target = vglv(v), *del = NULL, *add = NULL;

	if (streq_ptr(v->parent, new))
		return 0;
	del = v->parent ? xasprintf(LV_TAG_PARENT "%s", v->parent) : NULL;
	add = new ? xasprintf(LV_TAG_PARENT "%s", new) : NULL;
	if (del && add)
		return lvm_do(env, err, "lvchange", "--deltag", del, "--addtag", add, target, NULL);
	return lvm_do(env, err, "lvchange", del ? "--deltag" : "--addtag", del ? del : add, target, NULL);
}

int lvol_snapshot(const struct lvm_env *env, const char *lvol, const char *name, char **uuid, char **err)
{
	struct lv_list l;
	const struct lv_vol *v;
	_cleanup_free_ char *id = NULL, *lv = NULL, *e2 = NULL, *made = NULL;
	int r = lvol_lookup(env, lvol, &l, &v, err);

	if (r == 0 && v->snapshot)
		r = -EINVAL, *err = xasprintf("Invalid argument: %s is a snapshot already (clone it first)", lvol);
	if (r == 0)
		r = thin_snapshot(env, &l, v, name, true, &id, &lv, err);
	if (r == 0 && (r = relink(env, v, id, err)) < 0) {	/* nothing half-made: the snapshot goes again */
		made = xasprintf("%s/%s", v->vg, lv);
		(void)lvm_do(env, &e2, "lvremove", "-f", made, NULL);
	}
	lv_list_free(&l);
	if (r == 0)
		*uuid = TAKE_PTR(id);
	return r;
}

int lvol_clone(const struct lvm_env *env, const char *snapshot, const char *name, char **uuid, char **err)
{
	struct lv_list l;
	const struct lv_vol *v;
	_cleanup_free_ char *lv = NULL;
	int r = lvol_lookup(env, snapshot, &l, &v, err);

	if (r == 0 && !v->snapshot && !v->readonly)	/* SPDK clones any read-only lvol */
		r = -EINVAL, *err = xasprintf("Invalid argument: %s is neither a snapshot nor read-only (bdev_lvol_snapshot "
					      "makes one)", snapshot);
	if (r == 0)
		r = thin_snapshot(env, &l, v, name, false, uuid, &lv, err);
	lv_list_free(&l);
	return r;
}

int lvol_resize(const struct lvm_env *env, const char *lvol, unsigned long long size, char **err)
{
	struct lv_list l;
	const struct lv_vol *v;
	_cleanup_free_ char *target = NULL, *sz = xasprintf("%llub", size);
	unsigned long long want;
	int r = lvol_lookup(env, lvol, &l, &v, err);

	if (r < 0)
		return r;
	want = round_up(size, l.s[v->store].extent);
	target = vglv(v);
	if (!size)
		r = -EINVAL, *err = xasprintf("Invalid argument: lvol %s: size 0", lvol);
	else if (v->snapshot)
		r = -EPERM, *err = xasprintf("Operation not permitted: %s is a snapshot (read-only)", lvol);
	else if (v->thick && want > v->size && want - v->size > lv_free_bytes(&l.s[v->store]))
		r = -ENOSPC, *err = xasprintf("No space left on device: thick lvol %s cannot grow by %llu bytes", lvol,
					      want - v->size);
	else if (want != v->size)
		r = want < v->size ? lvm_do(env, err, "lvresize", "-f", "-L", sz, target, NULL)
				   : lvm_do(env, err, "lvresize", "-L", sz, target, NULL);
	lv_list_free(&l);
	return r;
}

/* What an operation on one lvol gets: the listing, the lvol, its "vg/lv", the name it was called by. */
struct lvol_at {
	const struct lvm_env *env;
	const struct lv_list *l;
	const struct lv_vol *v;
	const char *target, *lvol;
};

/* lvol_lookup of lvol, then fn on it (the listing freed after). */
static int with_lvol(const struct lvm_env *env, const char *lvol, int (*fn)(const struct lvol_at *at, char **err),
		     char **err)
{
	struct lv_list l;
	const struct lv_vol *v;
	_cleanup_free_ char *target = NULL;
	int r = lvol_lookup(env, lvol, &l, &v, err);

	if (r < 0)
		return r;
	target = vglv(v);
	r = fn(&(struct lvol_at){ env, &l, v, target, lvol }, err);
	lv_list_free(&l);
	return r;
}

static int inflate_at(const struct lvol_at *at, char **err)
{
	const struct lv_vol *v = at->v;
	int r = 0;

	if (!v->thick && v->size - v->used > lv_free_bytes(&at->l->s[v->store]))
		r = -ENOSPC, *err = xasprintf("No space left on device: lvol %s needs %llu bytes more to be inflated",
					      at->lvol, v->size - v->used);
	else if (!v->thick)
		r = lvm_do(at->env, err, "lvchange", "--addtag", LV_TAG_THICK, at->target, NULL);
	return r == 0 ? relink(at->env, v, NULL, err) : r;
}

int lvol_inflate(const struct lvm_env *env, const char *lvol, char **err)
{
	return with_lvol(env, lvol, inflate_at, err);
}

int lvol_delete(const struct lvm_env *env, const char *lvol, char *const *busy, size_t nbusy, char **err)
{
	struct lv_list l;
	const struct lv_vol *v, *cl[2];
	_cleanup_free_ char *target = NULL;
	size_t n;
	int r = lvol_lookup(env, lvol, &l, &v, err);

	if (r < 0)
		return r;
	n = lv_clones(&l, v, cl, ARRAY_SIZE(cl));
	target = vglv(v);
	if (lv_exported(v, busy, nbusy))
		r = -EBUSY, *err = xasprintf("Device or resource busy: lvol %s is exported; remove its namespace first", lvol);
	else if (n > 1)
		r = -EPERM, *err = xasprintf("Operation not permitted: snapshot %s has %zu clones; delete or inflate them "
					     "first", lvol, n);
	else if (n == 1)
		r = relink(env, cl[0], v->parent, err);
	if (r == 0)
		r = lvm_do(env, err, "lvremove", "-f", target, NULL);
	lv_list_free(&l);
	return r;
}

int lvol_activate(const struct lvm_env *env, const char *target, char **err)
{
	return lvm_do(env, err, "lvchange", "-ay", "-K", target, NULL);
}

int lvol_open(const struct lvm_env *env, const char *lvol, char **uuid, char **path, char **err)
{
	struct lv_list l;
	const struct lv_vol *v;
	_cleanup_free_ char *target = NULL;
	int r = lvol_lookup(env, lvol, &l, &v, err);

	if (r < 0)
		return r;
	target = vglv(v);
	if (!v->active)
		r = lvol_activate(env, target, err);
	if (r == 0) {
		*uuid = xstrdup(v->uuid);
		*path = xstrdup(v->path);
	}
	lv_list_free(&l);
	return r;
}

int lvol_rename(const struct lvm_env *env, const char *lvol, const char *name, char *const *busy, size_t nbusy,
		char **err)
{
	struct lv_list l;
	const struct lv_vol *v;
	_cleanup_free_ char *lv = NULL, *target = NULL, *e2 = NULL;
	int r = lvol_lookup(env, lvol, &l, &v, err);

	if (r < 0)
		return r;
	if (streq(v->name, name))	/* SPDK: the same name is done at once */
		goto out;
	r = new_name(&l, v->store, name, v->uuid, &lv, err);
	if (r == 0 && (streq(name, v->lv) || lv_exported(v, busy, nbusy))) {	/* its LV name stays */
		free(lv);
		lv = xstrdup(v->lv);
	}
	target = vglv(v);
	if (r == 0)
		r = lv_retag(env, "lvchange", target, v->name, name, err);
	if (r == 0 && !streq(lv, v->lv) && (r = lvm_do(env, err, "lvrename", v->vg, v->lv, lv, NULL)) < 0)
		(void)lv_retag(env, "lvchange", target, name, v->name, &e2);	/* nothing half-made */
out:
	lv_list_free(&l);
	return r;
}

static int decouple_at(const struct lvol_at *at, char **err)
{
	const struct lv_vol *p = at->v->parent ? lv_find_vol(at->l, at->v->parent) : NULL;

	if (!at->v->parent)
		return *err = xasprintf("Invalid argument: lvol %s has no parent (it is not a clone)", at->lvol), -EINVAL;
	return relink(at->env, at->v, p ? p->parent : NULL, err);
}

int lvol_decouple(const struct lvm_env *env, const char *lvol, char **err)
{
	return with_lvol(env, lvol, decouple_at, err);
}

static int set_read_only_at(const struct lvol_at *at, char **err)
{
	return at->v->readonly ? 0 : lvm_do(at->env, err, "lvchange", "-p", "r", at->target, NULL);
}

int lvol_set_read_only(const struct lvm_env *env, const char *lvol, char **err)
{
	return with_lvol(env, lvol, set_read_only_at, err);
}
