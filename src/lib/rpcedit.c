/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nvmf_* edits of subsystems, namespaces and hosts (rpcedit.h; listeners and referrals are in
 * rpcedit-port.c, keys in rpcedit-key.c), and what all edits share (rpcedit-int.h). Errors follow SPDK's
 * lib/nvmf/nvmf_rpc.c: -32602 for an unknown subsystem or a namespace that does not fit, -32603
 * "Unable to create subsystem"; an object of nvmf.conf is refused naming its file and line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "confwriter.h"
#include "jsonrpc.h"
#include "rpcedit-int.h"
#include "role.h"
#include "unit.h"
#include "util.h"

const char *ed_str(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

int ed_int(json_object *o, const char *key, long long lo, long long hi, long long *v)
{
	json_object *j;

	if (!o || !json_object_object_get_ex(o, key, &j))
		return 0;
	if (!json_object_is_type(j, json_type_int))
		return -1;
	errno = 0;
	*v = json_object_get_int64(j);
	return errno || *v < lo || *v > hi ? -1 : 1;
}

bool ed_bool(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

int ed_fail(struct rpc_edit *e, int code, const char *fmt, ...)
{
	va_list ap;

	free(e->message);
	va_start(ap, fmt);
	if (vasprintf(&e->message, fmt, ap) < 0)
		abort();
	va_end(ap);
	return code;
}

int ed_must_default(struct rpc_edit *e, const char *const *bools, const char *const *ints)
{
	long long v;

	for (size_t i = 0; bools && bools[i]; i++)
		if (ed_bool(e->params, bools[i]))
			return ed_fail(e, -EINVAL, "nvmetd: %s has no kernel equivalent (only false is accepted)", bools[i]);
	for (size_t i = 0; ints && ints[i]; i++)
		if (ed_int(e->params, ints[i], 0, 0, &v) < 0)
			return ed_fail(e, -EINVAL, "nvmetd: %s has no kernel equivalent (only 0 is accepted)", ints[i]);
	return 0;
}

int ed_true(struct rpc_edit *e)
{
	e->result = json_object_new_boolean(1);
	return 0;
}

static bool rc_has_bdev(const struct rpcconf *rc, const char *name)
{
	unsigned long long k;

	if (rpcconf_bdev(rc->aio, rc->naio, name))
		return true;
	for (size_t i = 0; i < rc->nnvme; i++) {
		size_t l = strlen(rc->nvme[i].name);
		if (!strncasecmp(name, rc->nvme[i].name, l) && (name[l] == 'n' || name[l] == 'N') &&
		    parse_u64(name + l + 1, &k) == 0 && k > 0)
			return true;
	}
	return !strncasecmp(name, "Malloc", 6) && parse_u64(name + 6, &k) == 0 && k < rc->malloc_n;
}

int ed_bdev_where(const struct rpc_edit *e, const char *name, unsigned *line)
{
	struct nv_bdev b;

	if (rc_has_bdev(e->rc, name))
		return 1;
	if (spdkconf_find_bdev(e->file, name, &b) == 0) {
		*line = b.line;
		return 2;
	}
	return 0;
}

int ed_in_file(struct rpc_edit *e, int code, const char *what, unsigned line)
{
	return ed_fail(e, code, "%s is defined in %s line %u: change it there (over RPC, nvmetd changes only what "
			     "RPC made)", what, e->file->path, line);
}

int ed_find_ss(struct rpc_edit *e, struct rc_subsys **s)
{
	const char *nqn = ed_str(e->params, "nqn");
	const struct nv_subsys *fs = nqn ? model_subsys(e->file->model, nqn) : NULL;
	_cleanup_free_ char *what = NULL;

	if (fs) {
		what = xasprintf("subsystem %s", nqn);
		return ed_in_file(e, JRPC_INVALID_STATE, what, fs->line);
	}
	*s = nqn ? rpcconf_subsys(e->rc, nqn) : NULL;
	if (!*s)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
	e->unit = unit_subsys(nqn);
	return 0;
}

/* min_cntlid, max_cntlid (SPDK's defaults 1, 65519): 0 with the range, or the error. */
static int cntlid_range(struct rpc_edit *e, unsigned *lo, unsigned *hi)
{
	long long min = 1, max = NVMET_CNTLID_MAX;

	if (ed_int(e->params, "min_cntlid", 0, 0xffff, &min) < 0 || ed_int(e->params, "max_cntlid", 0, 0xffff, &max) < 0)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
	*lo = (unsigned)min, *hi = (unsigned)max;
	if (min < 1 || max > NVMET_CNTLID_MAX || min > max)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid cntlid range [%u-%u]", *lo, *hi);
	if (min == max)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid cntlid range [%u-%u] (nvmetd: Linux 6.1's configfs refuses "
			       "min_cntlid = max_cntlid: give at least two IDs)", *lo, *hi);
	if (e->file->cluster && (min != 1 || max != NVMET_CNTLID_MAX))
		return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: min_cntlid/max_cntlid: %s has [Cluster] (line %u), whose nodes "
			       "take their controller IDs from [Cluster] ControllerIDs or nvmetcfg role", e->file->path,
			       e->file->cluster_line);
	return 0;
}

int rpc_edit_create_subsystem(struct rpc_edit *e)
{
	static const char *const bools[] = { "passthrough", "enable_nssr", NULL };
	const char *nqn = ed_str(e->params, "nqn");
	const struct nv_subsys *fs = model_subsys(e->file->model, nqn);
	struct rc_subsys *s;
	unsigned lo = 1, hi = NVMET_CNTLID_MAX;
	long long v;
	int r;

	if (fs)
		return ed_fail(e, JRPC_INTERNAL_ERROR, "Unable to create subsystem %s: it is defined in %s line %u", nqn,
			       e->file->path, fs->line);
	if (rpcconf_subsys(e->rc, nqn))
		return ed_fail(e, JRPC_INTERNAL_ERROR, "Unable to create subsystem %s", nqn);
	r = ed_must_default(e, bools, NULL);
	if (r || (r = cntlid_range(e, &lo, &hi)))
		return r;
	if (ed_int(e->params, "max_namespaces", 0, 0xfffffffeLL, &v) < 0)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
	s = array_push(&e->rc->ss, &e->rc->nss, sizeof(*s));
	if (lo != 1 || hi != NVMET_CNTLID_MAX)
		s->cntlid_min = lo, s->cntlid_max = hi;
	s->nqn = xstrdup(nqn);
	/* SPDK's defaults, which nvmf_get_subsystems then shows */
	s->sn = xstrdup(ed_str(e->params, "serial_number") ?: "00000000000000000000");
	s->mn = xstrdup(ed_str(e->params, "model_number") ?: "SPDK bdev Controller");
	s->any_host = ed_bool(e->params, "allow_any_host");
	e->unit = unit_subsys(nqn);
	return ed_true(e);
}

int rpc_edit_delete_subsystem(struct rpc_edit *e)
{
	struct rc_subsys *s;
	int r = ed_find_ss(e, &s);

	if (r)
		return r;
	free(TAKE_PTR(e->unit));
	rpcconf_subsys_free(s);
	rpcconf_remove(e->rc->ss, &e->rc->nss, sizeof(*s), (size_t)(s - e->rc->ss));
	ed_drop_lvol_exports(e->rc);
	return ed_true(e);
}

/* The subsystem and namespace that use bdev name, in either file; NULL when none. */
static const char *bdev_user(const struct rpc_edit *e, const char *name, uint32_t *nsid)
{
	for (size_t i = 0; i < e->rc->nss; i++)
		for (size_t k = 0; k < e->rc->ss[i].nns; k++)
			if (!strcasecmp(e->rc->ss[i].ns[k].bdev, name))
				return *nsid = e->rc->ss[i].ns[k].nsid, e->rc->ss[i].nqn;
	for (size_t i = 0; i < e->file->model->nsubsys; i++)
		for (size_t k = 0; k < e->file->model->subsys[i].nns; k++)
			if (!strcasecmp(e->file->model->subsys[i].ns[k].bdev, name))
				return *nsid = e->file->model->subsys[i].ns[k].nsid, e->file->model->subsys[i].nqn;
	return NULL;
}

static bool has_nsid(const struct rc_subsys *s, long long nsid)
{
	for (size_t k = 0; k < s->nns; k++)
		if (s->ns[k].nsid == nsid)
			return true;
	return false;
}

int rpc_edit_add_ns(struct rpc_edit *e)
{
	static const char *const refused[] = { "nguid", "eui64", "ptpl_file" };
	json_object *ns = NULL;
	struct rc_subsys *s;
	const char *bdev, *user;
	long long nsid = 0, ag;
	uint32_t unsid;
	unsigned line;
	int r = ed_find_ss(e, &s);

	if (r)
		return r;
	json_object_object_get_ex(e->params, "namespace", &ns);
	bdev = e->lvol_uuid ? e->lvol_uuid : ed_str(ns, "bdev_name");
	if (!bdev || ed_int(ns, "nsid", 0, 0xfffffffeLL, &nsid) < 0 || ed_int(ns, "anagrpid", 0, 1, &ag) < 0)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (ed_str(ns, refused[i]))
			return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: namespace %s cannot be kept in nvmf.conf's dialect "
				       "(only bdev_name, nsid and uuid)", refused[i]);
	if (ed_bool(ns, "no_auto_visible"))
		return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: no_auto_visible: the kernel target has no per-host "
			       "namespace masking");
	ed_lvol_export(e);
	if (!ed_bdev_where(e, bdev, &line))
		return ed_fail(e, JRPC_INVALID_PARAMS, "Unable to add namespace: bdev %s does not exist", bdev);
	if ((user = bdev_user(e, bdev, &unsid)))
		return ed_fail(e, JRPC_INVALID_PARAMS, "Unable to add namespace: bdev %s is already namespace %u of %s",
			       bdev, unsid, user);
	if (nsid && has_nsid(s, nsid))
		return ed_fail(e, JRPC_INVALID_PARAMS, "Unable to add namespace: nsid %lld is in use", nsid);
	for (nsid = nsid ? nsid : 1; has_nsid(s, nsid); nsid++)
		;
	struct rc_ns *n = array_push(&s->ns, &s->nns, sizeof(*n));
	n->bdev = xstrdup(bdev);
	n->nsid = (uint32_t)nsid;
	n->uuid = ed_str(ns, "uuid") ? xstrdup(ed_str(ns, "uuid")) : e->lvol_uuid ? xstrdup(e->lvol_uuid) : NULL;
	free(e->unit);
	e->unit = unit_ns(s->nqn, n->nsid);
	e->result = json_object_new_int64(nsid);
	return 0;
}

int rpc_edit_remove_ns(struct rpc_edit *e)
{
	struct rc_subsys *s;
	long long nsid = 0;
	int r = ed_find_ss(e, &s);

	if (r)
		return r;
	if (ed_int(e->params, "nsid", 1, 0xfffffffeLL, &nsid) <= 0)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
	for (size_t k = 0; k < s->nns; k++)
		if (s->ns[k].nsid == nsid) {
			free(s->ns[k].bdev);
			free(s->ns[k].uuid);
			rpcconf_remove(s->ns, &s->nns, sizeof(*s->ns), k);
			ed_drop_lvol_exports(e->rc);
			return ed_true(e);
		}
	return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
}

int rpc_edit_add_host(struct rpc_edit *e)
{
	const char *host = ed_str(e->params, "host");
	struct rc_subsys *s;
	int r = ed_find_ss(e, &s);

	if (r)
		return r;
	if (!host || strv_contains(s->hosts, s->nhosts, host))
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
	r = ed_host_keys(e, s, host);
	if (r)
		return r;
	*(char **)array_push(&s->hosts, &s->nhosts, sizeof(char *)) = xstrdup(host);
	return ed_true(e);
}

int rpc_edit_remove_host(struct rpc_edit *e)
{
	const char *host = ed_str(e->params, "host");
	struct rc_subsys *s;
	int r = ed_find_ss(e, &s);

	if (r)
		return r;
	for (size_t k = 0; host && k < s->nhosts; k++)
		if (streq(s->hosts[k], host)) {
			free(s->hosts[k]);
			rpcconf_remove(s->hosts, &s->nhosts, sizeof(char *), k);
			return ed_true(e);
		}
	return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
}

int rpc_edit_allow_any_host(struct rpc_edit *e)
{
	struct rc_subsys *s;
	int r = ed_find_ss(e, &s);

	if (r)
		return r;
	s->any_host = ed_bool(e->params, "allow_any_host");
	return ed_true(e);
}

void rpc_edit_free(struct rpc_edit *e)
{
	json_object_put(e->result);
	free(e->message);
	free(e->unit);
	e->result = NULL;
	e->message = e->unit = NULL;
}
