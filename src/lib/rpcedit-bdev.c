/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmf_create_transport and the bdev_* edits (rpcedit.h). Errors follow SPDK's module/bdev/<kind>/..._rpc.c:
 * a negative errno with its strerror text (-17 "File exists", -19 "No such device"), or a message
 * saying what nvmf.conf's dialect cannot keep. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jsonrpc.h"
#include "rpcedit-int.h"
#include "util.h"

int rpc_edit_create_transport(struct rpc_edit *e)
{
	const char *t = ed_str(e->params, "trtype");
	const char *up = !strcasecmp(t, "TCP") ? "TCP" : !strcasecmp(t, "RDMA") ? "RDMA" : NULL;
	struct rc_transport *tr;
	long long qd = -1, mq = -1, ic = -1, v;

	if (!up)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid transport type '%s'", t);
	for (size_t i = 0; i < e->file->ntransports; i++)
		if (!strcasecmp(e->file->transports[i].trtype, up))
			return ed_fail(e, JRPC_INTERNAL_ERROR, "Transport type '%s' already exists (%s line %u)", up,
				       e->file->path, e->file->transports[i].line);
	for (size_t i = 0; i < e->rc->ntr; i++)
		if (streq(e->rc->tr[i].trtype, up))
			return ed_fail(e, JRPC_INTERNAL_ERROR, "Transport type '%s' already exists", up);
	if (ed_int(e->params, "max_queue_depth", 1, 65535, &qd) < 0 ||
	    ed_int(e->params, "max_io_qpairs_per_ctrlr", 0, 65534, &v) < 0 ||
	    ed_int(e->params, "max_qpairs_per_ctrlr", 1, 65535, &mq) < 0 ||
	    ed_int(e->params, "in_capsule_data_size", 0, 1LL << 30, &ic) < 0)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
	if (ed_int(e->params, "max_io_qpairs_per_ctrlr", 0, 65534, &v) > 0)
		mq = v + 1; /* the admin queue too, as SPDK's config_converter counts */
	tr = array_push(&e->rc->tr, &e->rc->ntr, sizeof(*tr));
	tr->trtype = xstrdup(up);
	tr->queue_depth = qd;
	tr->max_queues = mq;
	tr->in_capsule = ic;
	return ed_true(e);
}

static int bdev_exists(struct rpc_edit *e, const char *name)
{
	unsigned line;
	int w = ed_bdev_where(e, name, &line);

	if (w == 2)
		return ed_fail(e, -EEXIST, "File exists: bdev %s is defined in %s line %u", name, e->file->path, line);
	return w ? ed_fail(e, -EEXIST, "File exists") : 0;
}

/* A bdev to delete: rpc.conf's, else -19, or nvmf.conf's refusal. Returns 0 when rc has it. */
static int bdev_deletable(struct rpc_edit *e, const char *name)
{
	unsigned line;
	int w = ed_bdev_where(e, name, &line);
	_cleanup_free_ char *what = xasprintf("bdev %s", name);

	if (w == 2)
		return ed_in_file(e, -EPERM, what, line);
	if (!w)
		return ed_fail(e, -ENODEV, "No such device");
	for (size_t i = 0; i < e->rc->nss; i++)
		for (size_t k = 0; k < e->rc->ss[i].nns; k++)
			if (!strcasecmp(e->rc->ss[i].ns[k].bdev, name))
				return ed_fail(e, -EBUSY, "Device or resource busy: %s is namespace %u of %s; remove it first",
					       e->rc->ss[i].ns[k].bdev, e->rc->ss[i].ns[k].nsid, e->rc->ss[i].nqn);
	return 0;
}

int rpc_edit_malloc_create(struct rpc_edit *e)
{
	static const char *const bools[] = { "md_interleave", "dif_is_head_of_md", NULL };
	static const char *const ints[] = { "md_size", "dif_type", NULL };
	_cleanup_free_ char *next = xasprintf("Malloc%u", e->rc->malloc_n);
	const char *name = ed_str(e->params, "name") ?: next;
	long long nb = 0, bs = 0;
	unsigned long long mb;
	int r = ed_must_default(e, bools, ints);

	if (r || (r = bdev_exists(e, name)))
		return r;
	if (e->file->malloc_luns)
		return ed_in_file(e, -EPERM, "[Malloc]", e->file->malloc_line);
	if (ed_int(e->params, "num_blocks", 1, 1LL << 40, &nb) <= 0 || ed_int(e->params, "block_size", 512, 65536, &bs) <= 0 ||
	    (bs & (bs - 1)))
		return ed_fail(e, -EINVAL, "Invalid argument: num_blocks and block_size (a power of two, 512..65536)");
	if (ed_str(e->params, "uuid"))
		return ed_fail(e, -EINVAL, "nvmetd: a malloc bdev's uuid cannot be kept in nvmf.conf's dialect");
	if ((nb * bs) & ((1LL << 20) - 1) || (mb = (unsigned long long)(nb * bs) >> 20) > (1ULL << 20))
		return ed_fail(e, -EINVAL, "nvmetd: malloc bdevs are whole MiB (at most 1 TiB): num_blocks * block_size "
			       "= %lld bytes", nb * bs);
	if (strcasecmp(name, next))
		return ed_fail(e, -EINVAL, "nvmetd: malloc bdevs are Malloc0, Malloc1, ... in order (nvmf.conf's "
			       "[Malloc]); the next one is %s", next);
	if (e->rc->malloc_n && (mb != e->rc->malloc_mb || (unsigned)bs != e->rc->malloc_bs))
		return ed_fail(e, -EINVAL, "nvmetd: malloc bdevs all have one size (nvmf.conf's [Malloc]): %llu MiB of "
			       "%u-byte blocks", e->rc->malloc_mb, e->rc->malloc_bs);
	if (e->rc->malloc_n >= 64)
		return ed_fail(e, -ENOSPC, "nvmetd: at most 64 malloc bdevs");
	e->rc->malloc_n++;
	e->rc->malloc_mb = mb;
	e->rc->malloc_bs = (unsigned)bs;
	e->result = json_object_new_string(next);
	return 0;
}

int rpc_edit_malloc_delete(struct rpc_edit *e)
{
	const char *name = ed_str(e->params, "name");
	_cleanup_free_ char *last = xasprintf("Malloc%u", e->rc->malloc_n ? e->rc->malloc_n - 1 : 0);
	int r = bdev_deletable(e, name);

	if (r)
		return r;
	if (strcasecmp(name, last))
		return ed_fail(e, -EINVAL, "nvmetd: only the last malloc bdev (%s) can be deleted: nvmf.conf's [Malloc] "
			       "numbers them from Malloc0", last);
	if (!--e->rc->malloc_n)
		e->rc->malloc_mb = e->rc->malloc_bs = 0;
	return ed_true(e);
}

int rpc_edit_aio_create(struct rpc_edit *e)
{
	const char *path = ed_str(e->params, "filename"), *name = ed_str(e->params, "name");
	struct rc_bdev *b;
	long long bs = 0;
	int r = bdev_exists(e, name);

	if (r)
		return r;
	if (ed_bool(e->params, "readonly") || ed_str(e->params, "uuid"))
		return ed_fail(e, -EINVAL, "nvmetd: readonly and uuid of an AIO bdev cannot be kept in nvmf.conf's dialect");
	if (path[0] != '/')
		return ed_fail(e, -EINVAL, "Invalid argument: %s is not an absolute path", path);
	if (ed_int(e->params, "block_size", 0, 65536, &bs) < 0 || (bs && (bs < 512 || (bs & (bs - 1)))))
		return ed_fail(e, -EINVAL, "Invalid argument: block_size");
	b = array_push(&e->rc->aio, &e->rc->naio, sizeof(*b));
	b->name = xstrdup(name);
	b->arg = xstrdup(path);
	b->block_size = (unsigned)bs;
	e->result = json_object_new_string(name);
	return 0;
}

static int bdev_delete(struct rpc_edit *e, struct rc_bdev *v, size_t *n)
{
	const char *name = ed_str(e->params, "name");
	struct rc_bdev *b = rpcconf_bdev(v, *n, name);
	int r = bdev_deletable(e, name);

	if (r)
		return r;
	if (!b)
		return ed_fail(e, -ENODEV, "No such device");
	free(b->name);
	free(b->arg);
	rpcconf_remove(v, n, sizeof(*v), (size_t)(b - v));
	return ed_true(e);
}

int rpc_edit_aio_delete(struct rpc_edit *e)
{
	return bdev_delete(e, e->rc->aio, &e->rc->naio);
}

int rpc_edit_nvme_attach(struct rpc_edit *e)
{
	const char *name = ed_str(e->params, "name"), *t = ed_str(e->params, "trtype"), *addr = ed_str(e->params, "traddr");
	_cleanup_free_ char *ns1 = xasprintf("%sn1", name);
	struct rc_bdev *b;
	int r;

	if (strcasecmp(t, "PCIe"))
		return ed_fail(e, -EINVAL, "nvmetd: trtype %s: only local PCIe SSDs can be exported by the kernel target", t);
	if (rpcconf_bdev(e->rc->nvme, e->rc->nnvme, name))
		return ed_fail(e, -EEXIST, "A controller named %s already exists", name);
	for (size_t i = 0; i < e->file->nctrls; i++)
		if (!strcasecmp(e->file->ctrls[i].name, name))
			return ed_fail(e, -EEXIST, "A controller named %s already exists (%s line %u)", name, e->file->path,
				       e->file->ctrls[i].line);
	if ((r = bdev_exists(e, ns1)))
		return r;
	b = array_push(&e->rc->nvme, &e->rc->nnvme, sizeof(*b));
	b->name = xstrdup(name);
	b->arg = xstrdup(addr);
	e->result = json_object_new_array();
	json_object_array_add(e->result, json_object_new_string(ns1));
	return 0;
}

int rpc_edit_nvme_detach(struct rpc_edit *e)
{
	const char *name = ed_str(e->params, "name");
	struct rc_bdev *b = rpcconf_bdev(e->rc->nvme, e->rc->nnvme, name);

	for (size_t i = 0; !b && i < e->file->nctrls; i++)
		if (!strcasecmp(e->file->ctrls[i].name, name)) {
			_cleanup_free_ char *what = xasprintf("NVMe controller %s", name);
			return ed_in_file(e, -EPERM, what, e->file->ctrls[i].line);
		}
	if (!b)
		return ed_fail(e, -ENODEV, "No such device");
	for (size_t i = 0; i < e->rc->nss; i++)
		for (size_t k = 0; k < e->rc->ss[i].nns; k++) {
			const char *bd = e->rc->ss[i].ns[k].bdev;
			if (!strncasecmp(bd, name, strlen(name)) && (bd[strlen(name)] == 'n' || bd[strlen(name)] == 'N'))
				return ed_fail(e, -EBUSY, "Device or resource busy: %s is namespace %u of %s; remove it first",
					       bd, e->rc->ss[i].ns[k].nsid, e->rc->ss[i].nqn);
		}
	free(b->name);
	free(b->arg);
	rpcconf_remove(e->rc->nvme, &e->rc->nnvme, sizeof(*b), (size_t)(b - e->rc->nvme));
	return ed_true(e);
}
