/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SPDK JSON-RPC methods that change the target, as edits of rpc.conf's editable form (rpcconf.h):
 * params in, the edited rpcconf, SPDK's result, or SPDK's error code and a message naming the object.
 * nvmf.conf's objects are read (to refuse changing them and to find its bdevs), never changed. Pure:
 * whether the edit can be applied is for the caller (render, load both files, apply). */
#ifndef NVMET_RPCEDIT_H
#define NVMET_RPCEDIT_H

#include <stdbool.h>

#include "rpcconf.h"
#include "spdkconf.h"

struct json_object;

struct rpc_edit {
	struct rpcconf *rc;		/* edited in place */
	const struct nv_config *file;	/* nvmf.conf alone */
	struct json_object *params;	/* checked against the method's table (types, required keys) */
	struct json_object *result;	/* out: SPDK's result */
	char *message;			/* out: with an error code */
	char *unit;			/* out: the object the apply must not fail ("subsystems/X"), or NULL */
	bool ports;			/* out: nor may any port (a listener was added) */
	const char *lvol_uuid, *lvol_path;	/* add_ns: the bdev is this lvol, exported through its device
						 * as an [AIO] entry named by its UUID (rpc-lvol.h) */
};

/* Each returns 0 (e->result set) or a JSON-RPC error code (jsonrpc.h, or a negative errno) with e->message. */
typedef int rpc_edit_fn(struct rpc_edit *e);
rpc_edit_fn rpc_edit_create_transport, rpc_edit_malloc_create, rpc_edit_malloc_delete, rpc_edit_aio_create,
	rpc_edit_aio_delete, rpc_edit_nvme_attach, rpc_edit_nvme_detach, rpc_edit_create_subsystem,
	rpc_edit_delete_subsystem, rpc_edit_add_ns, rpc_edit_remove_ns, rpc_edit_add_listener,
	rpc_edit_remove_listener, rpc_edit_add_host, rpc_edit_remove_host, rpc_edit_allow_any_host,
	rpc_edit_keyring_add, rpc_edit_keyring_remove, rpc_edit_set_ana_state, rpc_edit_add_referral,
	rpc_edit_remove_referral, rpc_edit_set_keys;

void rpc_edit_free(struct rpc_edit *e);

#endif
