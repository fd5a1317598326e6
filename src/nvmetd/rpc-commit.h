/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The changing SPDK JSON-RPC methods, applied through nvmetd's reconcile, off its loop, and kept in
 * rpc.conf. */
#ifndef NVMETD_RPC_COMMIT_H
#define NVMETD_RPC_COMMIT_H

#include "daemon.h"
#include "rpcedit.h"

/* Edit rpc.conf's objects with fn, apply, save: 0 with *result or an error code with *message when
 * that is known at once (a refused edit, nothing to change), else JRPC_PENDING: the answer goes
 * through rpc_server_complete(req->tag) once applied; changes are applied one at a time, in order. */
struct rpc_lvop;
int rpc_commit(const struct rpc_env *env, const struct jrpc_request *req, rpc_edit_fn *fn, const struct rpc_lvop *lv,
	       struct json_object **result, char **message);
/* What an LVM job (lv above: run in fn's place, in the same queue) leaves to apply next, for the same
 * request: add_ns of the lvol it activated. */
struct rpc_chain {
	rpc_edit_fn *fn;
	struct json_object *params;
	char *lvol_uuid, *lvol_path;
};
/* An LVM job of the queue is done (on the loop): its answer, or with chain its change applied now. */
void rpc_commit_lvol_done(struct daemon *d, unsigned long long tag, int code, struct json_object *result, char *message,
			  struct rpc_chain *chain);
/* After the loop: the queue and the thread's resources. */
void rpc_commit_free(struct daemon *d);

#endif
