/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SPDK JSON-RPC methods nvmetd answers: one table {name, states, handler, param errors}. The
 * read-only methods answer from nvmetd's running configuration in SPDK's response shapes; nvmetd is
 * always in SPDK's RUNTIME state (framework_wait_init is true, framework_start_init is SPDK's error).
 * Nothing secret is ever part of a reply (no DH-HMAC-CHAP key, nor its file). */
#ifndef NVMETD_RPC_METHODS_H
#define NVMETD_RPC_METHODS_H

#include "jsonrpc.h"
#include "spdkconf.h"

/* The SPDK release whose RPC behaviour (methods, params, wording) is emulated. */
#define RPC_SPDK_MAJOR 24
#define RPC_SPDK_MINOR 9

struct rpc_env {
	struct nv_config *const *cfg;	/* the running configuration (the daemon's d->cfg) */
	const char *sysfs;		/* sysfs root, for the block devices' sizes */
	void *daemon;			/* the struct daemon the changing methods change (rpc-commit.c) */
};

/* A jrpc_call_fn over the table; ud is a struct rpc_env. */
int rpc_call(void *ud, const struct jrpc_request *req, struct json_object **result, char **message);

#endif
