/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rpc-lvol.h: the jobs, their start and their answer. The params are read here (rpc-lvparse.c), the
 * LVM calls are lvstore.h's, the shapes rpc-lvjson.c's. */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "ctx.h"
#include "jsonrpc.h"
#include "log.h"
#include "rpc-commit.h"
#include "rpc-lvint.h"
#include "rpc-lvjson.h"
#include "rpc-params.h"
#include "rpc-server.h"
#include "util.h"

static void job_free(struct lvjob *j)
{
	free(j->lvm);
	free(j->s1);
	free(j->s2);
	free(j->s3);
	free(j->dev);
	strv_free(j->busy, j->nbusy);
	json_object_put(j->params);
	free(j->err);
	free(j->uuid);
	free(j->path);
	lv_list_free(&j->list);
	free(j);
}

static void job_run(void *arg)
{
	struct lvjob *j = arg;

	j->op->run(j);
}

/* A failed job's answer: SPDK's -errno codes for what SPDK says too, -32603 for LVM's own failures;
 * the message names the method and says what LVM said. */
int lvjob_fail(struct lvjob *j, char **message)
{
	int r = j->r;

	if (r == -ENODEV || r == -EEXIST || r == -ENOSPC || r == -EINVAL || r == -EBUSY || r == -EPERM || r == -ENOTBLK) {
		*message = j->err ? TAKE_PTR(j->err) : xstrdup(strerror(-r));
		return r;
	}
	*message = xasprintf("%s: %s", j->op->name, j->err ? j->err : strerror(-r));
	return JRPC_INTERNAL_ERROR;
}

static void job_done(void *arg)
{
	struct lvjob *j = arg;
	struct daemon *d = j->d;
	json_object *result = NULL;
	char *message = NULL;
	struct rpc_chain chain = { 0 };
	int code = j->op->answer(j, &result, &message);

	if (!j->op->changes) {
		rpc_server_complete(d->rpc, j->tag, code, result, message);
	} else {
		if (code == 0 && j->op == &rpc_lv_add_ns)
			chain = (struct rpc_chain){ rpc_edit_add_ns, TAKE_PTR(j->params), TAKE_PTR(j->uuid), TAKE_PTR(j->path) };
		if (code)
			log_error("RPC %s: %s", j->op->name, message ? message : strerror(-code));
		else if (!chain.fn)
			log_notice("RPC %s: done (LVM)", j->op->name);
		rpc_commit_lvol_done(d, j->tag, code, result, message, chain.fn ? &chain : NULL);
	}
	job_free(j);
}

static void job_drop(void *arg)
{
	job_free(arg);
}

bool rpc_lvop_changes(const struct rpc_lvop *op)
{
	return op->changes;
}

int rpc_lvol_start(struct daemon *d, const struct rpc_lvop *op, json_object *params, unsigned long long tag,
		   char **message)
{
	struct lvjob *j = xcalloc(1, sizeof(*j));
	int r;

	j->op = op;
	j->d = d;
	j->tag = tag;
	j->lvm = xstrdup(d->ctx->lvm);
	j->env = (struct lvm_env){ j->lvm, d->ctx->lvm_timeout_ms };
	r = op->parse(d, j, params, message);
	if (r) {
		job_free(j);
		return r;
	}
	j->t = (struct lvjob_thread){ .run = job_run, .done = job_done, .drop = job_drop, .arg = j };
	r = lvjob_spawn(d->ev, &j->t, &d->lvjobs);
	if (r < 0) {
		job_free(j);
		*message = xasprintf("nvmetd: cannot start the LVM job of %s: %s", op->name, strerror(-r));
		return JRPC_INTERNAL_ERROR;
	}
	return JRPC_PENDING;
}

void rpc_lvol_free(struct daemon *d)
{
	lvjob_join_all(&d->lvjobs);
}

bool rpc_lvol_wanted(const struct rpc_env *e, json_object *params)
{
	json_object *ns = NULL;
	const char *bdev;
	struct nv_bdev b;

	json_object_object_get_ex(params, "namespace", &ns);
	bdev = rpc_param_str(ns, "bdev_name");
	return bdev && spdkconf_find_bdev(*e->cfg, bdev, &b) < 0;
}

/* The bdev names and device paths the running configuration's namespaces use. */
void lvjob_busy(struct daemon *d, struct lvjob *j)
{
	const struct nv_model *m = d->cfg->model;

	for (size_t i = 0; i < m->nsubsys; i++)
		for (size_t k = 0; k < m->subsys[i].nns; k++) {
			const struct nv_ns *ns = &m->subsys[i].ns[k];
			struct nv_bdev b;
			if (ns->bdev)
				strv_add_unique(&j->busy, &j->nbusy, ns->bdev);
			if (ns->bdev && spdkconf_find_bdev(d->cfg, ns->bdev, &b) == 0 && b.kind == BDEV_AIO && b.path)
				strv_add_unique(&j->busy, &j->nbusy, b.path);
		}
}
