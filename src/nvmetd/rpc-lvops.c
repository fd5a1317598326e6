/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bdev_lvol_* methods (rpc-lvol.h): each one's params (read on the loop), its LVM calls (on the
 * thread) and its answer, in SPDK v24.09's terms (module/bdev/lvol/vbdev_lvol_rpc.c): -19 "No such
 * device" for an unknown store or lvol, -17 "File exists" for a name taken, -28 "No space left on
 * device", -1 "Operation not permitted" for a snapshot with clones; spdk-csi and Cinder match these
 * texts. The methods SPDK answers from a completion callback (renames, decouple_parent, set_read_only,
 * delete_lvstore) answer -32602 with the errno's text (ok_true_cb). Both size params are taken:
 * `size` in bytes (what spdk-csi and Cinder send, dropped by SPDK v24.05) and `size_in_mib`. */
#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonrpc.h"
#include "lvname.h"
#include "resolve.h"
#include "rpc-lvint.h"
#include "rpc-lvjson.h"
#include "rpc-params.h"
#include "util.h"

static char *str(json_object *p, const char *k)
{
	const char *v = rpc_param_str(p, k);

	return v ? xstrdup(v) : NULL;
}

static int invalid(char **message, const char *what)
{
	*message = xasprintf("Invalid argument: %s", what);
	return -EINVAL;
}

/* `size` (bytes) or `size_in_mib`, exactly one, positive: 0 with *v, else the error. */
static int size_param(json_object *p, unsigned long long *v, char **message)
{
	json_object *b = NULL, *m = NULL;
	bool hb = json_object_object_get_ex(p, "size", &b), hm = json_object_object_get_ex(p, "size_in_mib", &m);
	json_object *o = hb ? b : m;
	int64_t n;

	if (hb == hm)
		return invalid(message, "give the size as size_in_mib or size (bytes), one of them");
	n = json_object_get_int64(o);
	if (n <= 0 || (hm && n > (1LL << 40)))
		return invalid(message, "size must be positive (at most 1 EiB)");
	*v = hm ? (unsigned long long)n << 20 : (unsigned long long)n;
	return 0;
}

static int ok_true(struct lvjob *j, json_object **result, char **message)
{
	if (j->r < 0)
		return lvjob_fail(j, message);
	*result = json_object_new_boolean(1);
	return 0;
}

static int ok_uuid(struct lvjob *j, json_object **result, char **message)
{
	if (j->r < 0)
		return lvjob_fail(j, message);
	*result = json_object_new_string(j->uuid);
	return 0;
}

/* What SPDK answers from its callback (rename, decouple_parent, set_read_only, delete_lvstore's destroy):
 * -32602 with the errno's text (ours goes on to say what and why); the lookups before it (-19, -2 for
 * rename_lvstore's "Lvol store ... not found") and our busy refusal (-16) keep their codes. */
static int ok_true_cb(struct lvjob *j, json_object **result, char **message)
{
	const char *text = strerror(-j->r);

	if (j->r >= 0 || j->r == -ENODEV || j->r == -EBUSY)
		return ok_true(j, result, message);
	if (j->r == -ENOENT && j->err && !strncmp(j->err, "Lvol store ", 11)) {
		*message = TAKE_PTR(j->err);
		return -ENOENT;
	}
	if (j->err && !strncmp(j->err, text, strlen(text)))
		*message = TAKE_PTR(j->err);
	else
		*message = xasprintf("%s: %s: %s", text, j->op->name, j->err ? j->err : text);
	return JRPC_INVALID_PARAMS;
}

static void run_list(struct lvjob *j)
{
	j->r = lvstore_list(&j->env, &j->list, &j->err);
}

/* bdev_lvol_create_lvstore */
static unsigned block_size_of(const char *sysfs, const char *dev)
{
	char real[PATH_MAX];
	_cleanup_free_ char *p = NULL, *v = NULL;
	unsigned long long bs = 0;

	if (!realpath(dev, real))
		return 512;
	p = xasprintf("%s/class/block/%s/queue/logical_block_size", sysfs, basename(real));
	return read_attr(p, &v) == 0 && parse_u64(v, &bs) == 0 && bs >= 512 && bs <= 65536 ? (unsigned)bs : 512;
}

static int parse_create_lvstore(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	json_object *c;
	int r;

	j->s1 = str(p, "bdev_name");
	j->s2 = str(p, "lvs_name");
	if (json_object_object_get_ex(p, "cluster_sz", &c) && json_object_get_int64(c) > 0)
		j->cluster = (unsigned long long)json_object_get_int64(c);
	r = resolve_bdev_device(d->ctx, d->cfg, j->s1, &j->dev, message);
	if (r < 0)
		return r == -ENODEV ? -ENODEV : -EINVAL;
	lvjob_busy(d, j);
	for (size_t i = 0; i < j->nbusy; i++)
		if (!strcasecmp(j->busy[i], j->s1) || streq(j->busy[i], j->dev)) {
			*message = xasprintf("Device or resource busy: bdev %s (%s) is exported by a namespace; an lvol store "
					     "would destroy it", j->s1, j->dev);
			return -EBUSY;
		}
	j->bs = block_size_of(d->ctx->sysfs, j->dev);
	return 0;
}

static void run_create_lvstore(struct lvjob *j)
{
	j->r = lvstore_create(&j->env, j->dev, j->s1, j->bs, j->s2, j->cluster, &j->uuid, &j->err);
}

/* bdev_lvol_get_lvstores, bdev_lvol_get_lvols: s1 uuid, s2 name (filters) */
static int parse_filter(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	(void)d;
	(void)message;
	j->s1 = str(p, "uuid") ?: str(p, "lvs_uuid");
	j->s2 = str(p, "lvs_name");
	return j->s1 && j->s2 ? invalid(message, "give uuid or lvs_name, not both") : 0;
}

/* An lvm that is not installed has no stores: not an error for a listing. */
static int listed(struct lvjob *j, char **message)
{
	if (j->r == -ENOENT)
		return 0;
	return j->r < 0 ? lvjob_fail(j, message) : 0;
}

static int answer_lvstores(struct lvjob *j, json_object **result, char **message)
{
	int r = listed(j, message);

	if (r)
		return r;
	if ((j->s1 || j->s2) && !lv_find_store(&j->list, j->s1, j->s2)) {
		*message = xstrdup("No such device");
		return -ENODEV;
	}
	*result = json_object_new_array();
	for (size_t i = 0; i < j->list.ns; i++)
		if ((!j->s1 && !j->s2) || &j->list.s[i] == lv_find_store(&j->list, j->s1, j->s2))
			json_object_array_add(*result, lvjson_store(&j->list.s[i]));
	return 0;
}

static int answer_lvols(struct lvjob *j, json_object **result, char **message)
{
	const struct lv_store *s;
	int r = listed(j, message);

	if (r)
		return r;
	s = j->s1 || j->s2 ? lv_find_store(&j->list, j->s1, j->s2) : NULL;
	if ((j->s1 || j->s2) && !s) {
		*message = xstrdup("No such device");
		return -ENODEV;
	}
	*result = json_object_new_array();
	for (size_t i = 0; i < j->list.nv; i++)
		if (!s || &j->list.s[j->list.v[i].store] == s)
			json_object_array_add(*result, lvjson_lvol(&j->list, &j->list.v[i]));
	return 0;
}

/* bdev_lvol_delete_lvstore */
static int parse_delete_lvstore(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	j->s1 = str(p, "uuid");
	j->s2 = str(p, "lvs_name");
	if (!j->s1 == !j->s2)
		return invalid(message, "give uuid or lvs_name, one of them");
	lvjob_busy(d, j);
	return 0;
}

static void run_delete_lvstore(struct lvjob *j)
{
	j->r = lvstore_delete(&j->env, j->s1, j->s2, j->busy, j->nbusy, &j->err);
}

/* bdev_lvol_create: s1 lvol_name, s2 the store's uuid, s3 lvs_name */
static int parse_create(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	(void)d;
	j->s1 = str(p, "lvol_name");
	j->s2 = str(p, "uuid");
	j->s3 = str(p, "lvs_name");
	j->thin = rpc_param_bool(p, "thin_provision", false);
	if (!j->s2 == !j->s3)
		return invalid(message, "give the lvol store as uuid or lvs_name, one of them");
	return size_param(p, &j->size, message);
}

static void run_create(struct lvjob *j)
{
	j->r = lvol_create(&j->env, j->s2, j->s3, j->s1, j->size, j->thin, &j->uuid, &j->err);
}

/* bdev_lvol_snapshot (s1 lvol_name, s2 snapshot_name), bdev_lvol_clone (s1 snapshot_name, s2 clone_name) */
static int parse_two(struct lvjob *j, json_object *p, const char *k1, const char *k2)
{
	j->s1 = str(p, k1);
	j->s2 = str(p, k2);
	return 0;
}

static int parse_snapshot(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	(void)d;
	(void)message;
	return parse_two(j, p, "lvol_name", "snapshot_name");
}

static int parse_clone(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	(void)d;
	(void)message;
	return parse_two(j, p, "snapshot_name", "clone_name");
}

static void run_snapshot(struct lvjob *j)
{
	j->r = lvol_snapshot(&j->env, j->s1, j->s2, &j->uuid, &j->err);
}

static void run_clone(struct lvjob *j)
{
	j->r = lvol_clone(&j->env, j->s1, j->s2, &j->uuid, &j->err);
}

/* bdev_lvol_resize, inflate, delete: s1 name */
static int parse_resize(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	(void)d;
	j->s1 = str(p, "name");
	return size_param(p, &j->size, message);
}

static int parse_name(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	(void)message;
	j->s1 = str(p, "name");
	lvjob_busy(d, j);
	return 0;
}

static void run_resize(struct lvjob *j)
{
	j->r = lvol_resize(&j->env, j->s1, j->size, &j->err);
}

static void run_inflate(struct lvjob *j)
{
	j->r = lvol_inflate(&j->env, j->s1, &j->err);
}

static void run_delete(struct lvjob *j)
{
	j->r = lvol_delete(&j->env, j->s1, j->busy, j->nbusy, &j->err);
}

/* bdev_lvol_rename (an lvol), bdev_lvol_rename_lvstore: s1 old_name, s2 new_name */
static int parse_rename(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	(void)message;
	lvjob_busy(d, j);
	return parse_two(j, p, "old_name", "new_name");
}

static void run_rename(struct lvjob *j)
{
	j->r = lvol_rename(&j->env, j->s1, j->s2, j->busy, j->nbusy, &j->err);
}

static void run_rename_lvstore(struct lvjob *j)
{
	j->r = lvstore_rename(&j->env, j->s1, j->s2, j->busy, j->nbusy, &j->err);
}

/* bdev_lvol_decouple_parent, bdev_lvol_set_read_only: s1 name */
static void run_decouple(struct lvjob *j)
{
	j->r = lvol_decouple(&j->env, j->s1, &j->err);
}

static void run_set_read_only(struct lvjob *j)
{
	j->r = lvol_set_read_only(&j->env, j->s1, &j->err);
}

/* bdev_get_bdevs: s1 name; the configuration's bdevs and LVM's lvols */
static int parse_bdevs(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	(void)d;
	(void)message;
	j->s1 = str(p, "name");
	return 0;
}

static int answer_bdevs(struct lvjob *j, json_object **result, char **message)
{
	const struct rpc_env *e = &j->d->rpc_env;
	json_object *a = rpc_config_bdevs(e, j->s1, j->r == 0 ? &j->list : NULL);

	for (size_t i = 0; j->r == 0 && i < j->list.nv; i++) {
		const struct lv_vol *v = &j->list.v[i];
		_cleanup_free_ char *alias = lv_alias(&j->list, v);
		if (!j->s1 || !strcasecmp(j->s1, v->uuid) || streq(j->s1, alias))
			json_object_array_add(a, lvjson_bdev(&j->list, v, rpc_bdev_in_use((*e->cfg)->model, v->uuid)));
	}
	if (j->s1 && json_object_array_length(a) == 0) {
		json_object_put(a);
		if (j->r < 0 && j->r != -ENOENT)
			return lvjob_fail(j, message);
		*message = xstrdup("No such device");
		return -ENODEV;
	}
	*result = a;
	return 0;
}

/* nvmf_subsystem_add_ns of an lvol: s1 its name; the lvol active, then the namespace (rpc_edit_add_ns) */
static int parse_add_ns(struct daemon *d, struct lvjob *j, json_object *p, char **message)
{
	json_object *ns = NULL;

	(void)d;
	(void)message;
	json_object_object_get_ex(p, "namespace", &ns);
	j->s1 = str(ns, "bdev_name");
	j->params = json_object_get(p);
	return 0;
}

static void run_add_ns(struct lvjob *j)
{
	j->r = lvol_open(&j->env, j->s1, &j->uuid, &j->path, &j->err);
}

static int answer_add_ns(struct lvjob *j, json_object **result, char **message)
{
	(void)result;
	if (j->r == -ENODEV || j->r == -ENOENT) {	/* neither the configuration's nor LVM's */
		*message = xasprintf("Unable to add namespace: bdev %s does not exist", j->s1);
		return JRPC_INVALID_PARAMS;
	}
	return j->r < 0 ? lvjob_fail(j, message) : 0;
}

#define OP(var, nm, ch, parse, run, answer) const struct rpc_lvop var = { nm, ch, parse, run, answer }
OP(rpc_lv_create_lvstore, "bdev_lvol_create_lvstore", true, parse_create_lvstore, run_create_lvstore, ok_uuid);
OP(rpc_lv_get_lvstores, "bdev_lvol_get_lvstores", false, parse_filter, run_list, answer_lvstores);
OP(rpc_lv_delete_lvstore, "bdev_lvol_delete_lvstore", true, parse_delete_lvstore, run_delete_lvstore, ok_true_cb);
OP(rpc_lv_rename_lvstore, "bdev_lvol_rename_lvstore", true, parse_rename, run_rename_lvstore, ok_true_cb);
OP(rpc_lv_create, "bdev_lvol_create", true, parse_create, run_create, ok_uuid);
OP(rpc_lv_snapshot, "bdev_lvol_snapshot", true, parse_snapshot, run_snapshot, ok_uuid);
OP(rpc_lv_clone, "bdev_lvol_clone", true, parse_clone, run_clone, ok_uuid);
OP(rpc_lv_resize, "bdev_lvol_resize", true, parse_resize, run_resize, ok_true);
OP(rpc_lv_inflate, "bdev_lvol_inflate", true, parse_name, run_inflate, ok_true);
OP(rpc_lv_delete, "bdev_lvol_delete", true, parse_name, run_delete, ok_true);
OP(rpc_lv_rename, "bdev_lvol_rename", true, parse_rename, run_rename, ok_true_cb);
OP(rpc_lv_decouple, "bdev_lvol_decouple_parent", true, parse_name, run_decouple, ok_true_cb);
OP(rpc_lv_set_read_only, "bdev_lvol_set_read_only", true, parse_name, run_set_read_only, ok_true_cb);
OP(rpc_lv_get_lvols, "bdev_lvol_get_lvols", false, parse_filter, run_list, answer_lvols);
OP(rpc_lv_get_bdevs, "bdev_get_bdevs", false, parse_bdevs, run_list, answer_bdevs);
OP(rpc_lv_add_ns, "nvmf_subsystem_add_ns", true, parse_add_ns, run_add_ns, answer_add_ns);
