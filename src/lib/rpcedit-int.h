/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What rpcedit.c and rpcedit-bdev.c share: params, errors, where nvmf.conf defines a bdev. */
#ifndef NVMET_RPCEDIT_INT_H
#define NVMET_RPCEDIT_INT_H

#include "jsonc.h"

#include "rpcedit.h"

const char *ed_str(json_object *o, const char *key);
/* An integer param: 1 and *v when present and an integer in [lo, hi]; 0 when absent; -1 otherwise. */
int ed_int(json_object *o, const char *key, long long lo, long long hi, long long *v);
bool ed_bool(json_object *o, const char *key);
int ed_fail(struct rpc_edit *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* -EINVAL "Invalid argument"-style errors name the param; a param that must keep SPDK's default. */
int ed_must_default(struct rpc_edit *e, const char *const *bools, const char *const *ints);
int ed_true(struct rpc_edit *e);
/* Whether rc or nvmf.conf knows bdev name: 1 in rc, 2 in nvmf.conf (*line), 0 neither. */
int ed_bdev_where(const struct rpc_edit *e, const char *name, unsigned *line);
/* The refusal for an object nvmf.conf defines. */
int ed_in_file(struct rpc_edit *e, int code, const char *what, unsigned line);
/* The subsystem params' nqn names, rpc.conf's (e->unit set to it), or the error: nvmf.conf's is refused
 * (-1, naming its line), an unknown one is SPDK's released -32602 "Invalid parameters". */
int ed_find_ss(struct rpc_edit *e, struct rc_subsys **s);

/* add_host's dhchap_key, dhchap_ctrlr_key and psk (keyring names) as host's [HostN] in rc: 0 or the
 * error (an unknown key, keys nvmf.conf gives the host, other keys than the host has elsewhere). */
int ed_host_keys(struct rpc_edit *e, const struct rc_subsys *s, const char *host);

/* rpcedit-lvol.c: the [AIO] entry of e->lvol_uuid (add_ns of an lvol); drop the lvols' [AIO] entries
 * no namespace uses any more. */
void ed_lvol_export(struct rpc_edit *e);
void ed_drop_lvol_exports(struct rpcconf *rc);

#endif
