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
int rpc_commit(const struct rpc_env *env, const struct jrpc_request *req, rpc_edit_fn *fn, struct json_object **result,
	       char **message);
/* After the loop: the queue and the thread's resources. */
void rpc_commit_free(struct daemon *d);

#endif
