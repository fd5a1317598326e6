/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The changing SPDK JSON-RPC methods, applied through nvmetd's reconcile and kept in rpc.conf. */
#ifndef NVMETD_RPC_COMMIT_H
#define NVMETD_RPC_COMMIT_H

#include "daemon.h"
#include "rpcedit.h"

/* Edit rpc.conf's objects with fn, apply, save. Returns 0 with *result, or an error code with *message. */
int rpc_commit(const struct rpc_env *env, const char *method, rpc_edit_fn *fn, struct json_object *params,
	       struct json_object **result, char **message);

#endif
