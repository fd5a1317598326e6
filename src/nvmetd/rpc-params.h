/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A method's params as SPDK decodes them (spdk_json_decode_object): an object whose keys are all
 * known, each of its type, the required ones present. */
#ifndef NVMETD_RPC_PARAMS_H
#define NVMETD_RPC_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "rpc-methods.h"

struct json_object;

enum rpc_ptype { RP_STRING, RP_BOOL, RP_INT, RP_OBJECT };

struct rpc_param {
	const char *name;
	enum rpc_ptype type;
	bool required;
};

/* 0, or -EINVAL when params (NULL: none) do not fit spec. relaxed: keys spec lacks are let through
 * (SPDK's spdk_json_decode_object_relaxed, for transport-specific options). */
int rpc_params_check(struct json_object *params, const struct rpc_param *spec, size_t n, bool relaxed);
/* A string param (NULL when absent); a bool param (def when absent). After rpc_params_check. */
const char *rpc_param_str(struct json_object *params, const char *name);
bool rpc_param_bool(struct json_object *params, const char *name, bool def);
/* SPDK's one target: tgt_name absent or "nvmf_tgt". Returns 0 or JRPC_INTERNAL_ERROR with *message. */
int rpc_check_target(struct json_object *params, char **message);

/* The handlers (rpc-nvmf.c): 0 with *result, or an error code with *message or NULL (jsonrpc.h). */
typedef int rpc_handler(const struct rpc_env *e, struct json_object *params, struct json_object **result,
			char **message);
rpc_handler rpc_nvmf_get_transports, rpc_nvmf_get_subsystems, rpc_nvmf_subsystem_get_listeners,
	rpc_bdev_get_bdevs, rpc_framework_get_subsystems, rpc_framework_get_config, rpc_keyring_get_keys,
	rpc_nvmf_get_referrals;

/* rpc-config.c: host cr's key (which: 0 dhchap_key, 1 dhchap_ctrlr_key, 2 psk) by its keyring name
 * (nvmetd-host<N>-... when no [Keyring] line names the file), NULL when it has none; host nqn's
 * [HostN], or NULL. */
char *rpc_key_name(const struct nv_config *c, const struct nv_hostcred *cr, int which);
const struct nv_hostcred *rpc_cred(const struct nv_config *c, const char *nqn);
/* A referral as SPDK writes one (nvmf_discovery_add_referral's params, nvmf_discovery_get_referrals'
 * elements): {address, secure_channel, subnqn}. */
struct json_object *rpc_referral(const struct nv_referral *r);

#endif
