/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The method table and the framework methods (rpc-methods.h); the nvmf_* and bdev_* ones are in
 * rpc-nvmf.c. A method's states are SPDK's: STARTUP-only methods exist (so a client learns they are
 * known) but answer SPDK's -1 "Invalid state" text, for nvmetd is always past start-up. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>

#include "rpc-methods.h"
#include "rpc-params.h"
#include "util.h"

enum { RPC_STARTUP = 1, RPC_RUNTIME = 2 };

/* How a method reports params it cannot decode: nvmf_* and the framework as -32602 "Invalid
 * parameters", bdev_* as -32603 "spdk_json_decode_object failed" (SPDK's own inconsistency, which
 * clients match on). */
enum rpc_perr { PERR_NVMF, PERR_BDEV };

struct rpc_method {
	const char *name;
	unsigned states;
	rpc_handler *fn;
	const struct rpc_param *params;
	size_t nparams;
	enum rpc_perr perr;
	const char *no_params;	/* set: the method takes no params, and this is the message */
};

static int get_methods(const struct rpc_env *e, json_object *params, json_object **result, char **message);

static int get_version(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	char version[64];
	json_object *f = json_object_new_object();

	(void)e;
	(void)params;
	(void)message;
	snprintf(version, sizeof(version), "SPDK v%d.%02d (nvmetd %s)", RPC_SPDK_MAJOR, RPC_SPDK_MINOR, PACKAGE_VERSION);
	*result = json_object_new_object();
	json_object_object_add(*result, "version", json_object_new_string(version));
	json_object_object_add(f, "major", json_object_new_int(RPC_SPDK_MAJOR));
	json_object_object_add(f, "minor", json_object_new_int(RPC_SPDK_MINOR));
	json_object_object_add(f, "patch", json_object_new_int(0));
	json_object_object_add(f, "suffix", json_object_new_string(" (nvmetd " PACKAGE_VERSION ")"));
	json_object_object_add(*result, "fields", f);
	return 0;
}

/* framework_wait_init: nvmetd serves its socket only once its first reconcile is done. */
static int wait_init(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	(void)e;
	(void)params;
	(void)message;
	*result = json_object_new_boolean(1);
	return 0;
}

/* framework_get_subsystems: what nvmetd models of SPDK's subsystems, in their start-up order. */
static int get_subsystems(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	json_object *bdev = json_object_new_object(), *nvmf = json_object_new_object(), *dep = json_object_new_array();

	(void)e;
	(void)params;
	(void)message;
	json_object_object_add(bdev, "subsystem", json_object_new_string("bdev"));
	json_object_object_add(bdev, "depends_on", json_object_new_array());
	json_object_array_add(dep, json_object_new_string("bdev"));
	json_object_object_add(nvmf, "subsystem", json_object_new_string("nvmf"));
	json_object_object_add(nvmf, "depends_on", dep);
	*result = json_object_new_array();
	json_object_array_add(*result, bdev);
	json_object_array_add(*result, nvmf);
	return 0;
}

static const struct rpc_param p_get_methods[] = {
	{ "current", RP_BOOL, false }, { "include_aliases", RP_BOOL, false },
};
static const struct rpc_param p_transports[] = { { "trtype", RP_STRING, false }, { "tgt_name", RP_STRING, false } };
static const struct rpc_param p_subsystems[] = { { "nqn", RP_STRING, false }, { "tgt_name", RP_STRING, false } };
static const struct rpc_param p_listeners[] = { { "nqn", RP_STRING, true }, { "tgt_name", RP_STRING, false } };
static const struct rpc_param p_bdevs[] = { { "name", RP_STRING, false }, { "timeout", RP_INT, false } };

#define PARAMS(p) p, ARRAY_SIZE(p)
static const struct rpc_method methods[] = {
	{ "rpc_get_methods", RPC_STARTUP | RPC_RUNTIME, get_methods, PARAMS(p_get_methods), PERR_NVMF, NULL },
	{ "spdk_get_version", RPC_STARTUP | RPC_RUNTIME, get_version, NULL, 0, PERR_NVMF,
	  "spdk_get_version method requires no parameters" },
	{ "framework_wait_init", RPC_STARTUP | RPC_RUNTIME, wait_init, NULL, 0, PERR_NVMF,
	  "Invalid parameters" },
	{ "framework_start_init", RPC_STARTUP, wait_init, NULL, 0, PERR_NVMF,
	  "Invalid parameters" },
	{ "framework_get_subsystems", RPC_RUNTIME, get_subsystems, NULL, 0, PERR_NVMF,
	  "'framework_get_subsystems' requires no arguments" },
	{ "nvmf_get_transports", RPC_RUNTIME, rpc_nvmf_get_transports, PARAMS(p_transports), PERR_NVMF, NULL },
	{ "nvmf_get_subsystems", RPC_RUNTIME, rpc_nvmf_get_subsystems, PARAMS(p_subsystems), PERR_NVMF, NULL },
	{ "nvmf_subsystem_get_listeners", RPC_RUNTIME, rpc_nvmf_subsystem_get_listeners, PARAMS(p_listeners),
	  PERR_NVMF, NULL },
	{ "bdev_get_bdevs", RPC_RUNTIME, rpc_bdev_get_bdevs, PARAMS(p_bdevs), PERR_BDEV, NULL },
};

static int get_methods(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	bool current = rpc_param_bool(params, "current", false);

	(void)e;
	(void)message;
	*result = json_object_new_array();
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (!current || (methods[i].states & RPC_RUNTIME))
			json_object_array_add(*result, json_object_new_string(methods[i].name));
	return 0;
}

static int bad_params(const struct rpc_method *m, char **message)
{
	if (m->perr == PERR_BDEV) {
		*message = xstrdup("spdk_json_decode_object failed");
		return JRPC_INTERNAL_ERROR;
	}
	*message = xstrdup(m->no_params ? m->no_params : "Invalid parameters");
	return JRPC_INVALID_PARAMS;
}

int rpc_call(void *ud, const struct jrpc_request *req, json_object **result, char **message)
{
	const struct rpc_method *m = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(methods) && !m; i++)
		if (streq(methods[i].name, req->method))
			m = &methods[i];
	if (!m)
		return JRPC_METHOD_NOT_FOUND;
	if (!(m->states & RPC_RUNTIME)) {
		*message = xstrdup("Method may only be called before framework is initialized. Use --wait-for-rpc "
				   "command line parameter and then issue this RPC before the framework_start_init RPC.");
		return JRPC_INVALID_STATE;
	}
	if (m->no_params ? req->params != NULL : rpc_params_check(req->params, m->params, m->nparams) < 0)
		return bad_params(m, message);
	return m->fn(ud, req->params, result, message);
}
