/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The method table and the framework methods (rpc-methods.h); the nvmf_* and bdev_* ones are in
 * rpc-nvmf.c. A method's states are SPDK's: STARTUP-only methods exist (so a client learns they are
 * known) but answer SPDK's -1 "Invalid state" text, for nvmetd is always past start-up. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>

#include "rpc-commit.h"
#include "rpc-lvol.h"
#include "rpc-methods.h"
#include "rpc-params.h"
#include "util.h"

enum { RPC_STARTUP = 1, RPC_RUNTIME = 2 };

/* How a method reports params it cannot decode: nvmf_* and the framework as -32602 "Invalid
 * parameters", bdev_* as -32603 "spdk_json_decode_object failed" (SPDK's own inconsistency, which
 * clients match on). */
enum rpc_perr { PERR_NVMF, PERR_BDEV, PERR_KEYRING, PERR_CONFIG };

struct rpc_method {
	const char *name;
	unsigned states;
	rpc_handler *fn;
	const struct rpc_param *params;
	size_t nparams;
	enum rpc_perr perr;
	const char *no_params;	/* set: the method takes no params, and this is the message */
	rpc_edit_fn *edit;	/* set: a changing method, applied through rpc_commit (fn is NULL) */
	bool relaxed;		/* keys params lacks are accepted (SPDK's relaxed decoding) */
	const struct rpc_lvop *lv;	/* set: an LVM job (rpc-lvol.h); with edit, when the bdev is none the
					 * configuration names (add_ns of an lvol) */
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

static const struct rpc_param p_get_methods[] = {
	{ "current", RP_BOOL, false }, { "include_aliases", RP_BOOL, false },
};
static const struct rpc_param p_transports[] = { { "trtype", RP_STRING, false }, { "tgt_name", RP_STRING, false } };
static const struct rpc_param p_subsystems[] = { { "nqn", RP_STRING, false }, { "tgt_name", RP_STRING, false } };
static const struct rpc_param p_listeners[] = { { "nqn", RP_STRING, true }, { "tgt_name", RP_STRING, false } };
static const struct rpc_param p_bdevs[] = { { "name", RP_STRING, false }, { "timeout", RP_INT, false } };

/* The changing methods' params, as SPDK v24.09 decodes them (schema/schema.yaml). */
#define TGT { "tgt_name", RP_STRING, false }
static const struct rpc_param p_create_transport[] = {
	{ "trtype", RP_STRING, true }, TGT, { "max_queue_depth", RP_INT, false }, { "max_io_qpairs_per_ctrlr", RP_INT, false },
	{ "max_qpairs_per_ctrlr", RP_INT, false }, { "in_capsule_data_size", RP_INT, false }, { "max_io_size", RP_INT, false },
	{ "io_unit_size", RP_INT, false }, { "max_aq_depth", RP_INT, false }, { "num_shared_buffers", RP_INT, false },
	{ "buf_cache_size", RP_INT, false }, { "dif_insert_or_strip", RP_BOOL, false }, { "zcopy", RP_BOOL, false },
};
static const struct rpc_param p_malloc_create[] = {
	{ "name", RP_STRING, false }, { "num_blocks", RP_INT, true }, { "block_size", RP_INT, true },
	{ "uuid", RP_STRING, false }, { "optimal_io_boundary", RP_INT, false }, { "md_size", RP_INT, false },
	{ "md_interleave", RP_BOOL, false }, { "dif_type", RP_INT, false }, { "dif_is_head_of_md", RP_BOOL, false },
	{ "physical_block_size", RP_INT, false }, { "dif_pi_format", RP_INT, false }, { "numa_id", RP_INT, false },
};
static const struct rpc_param p_bdev_delete[] = { { "name", RP_STRING, true } };
static const struct rpc_param p_aio_create[] = {
	{ "filename", RP_STRING, true }, { "name", RP_STRING, true }, { "block_size", RP_INT, false },
	{ "readonly", RP_BOOL, false }, { "fallocate", RP_BOOL, false }, { "uuid", RP_STRING, false }, { "nowait", RP_BOOL, false },
};
#define TRID(req) { "trtype", RP_STRING, req }, { "traddr", RP_STRING, req }, { "adrfam", RP_STRING, false }, \
	{ "trsvcid", RP_STRING, false }, { "subnqn", RP_STRING, false }, { "hostaddr", RP_STRING, false }, \
	{ "hostsvcid", RP_STRING, false }
static const struct rpc_param p_nvme_attach[] = {
	{ "name", RP_STRING, true }, TRID(true), { "priority", RP_STRING, false }, { "hostnqn", RP_STRING, false },
	{ "prchk_reftag", RP_BOOL, false }, { "prchk_guard", RP_BOOL, false }, { "hdgst", RP_BOOL, false },
	{ "ddgst", RP_BOOL, false }, { "multipath", RP_STRING, false }, { "num_io_queues", RP_INT, false },
	{ "ctrlr_loss_timeout_sec", RP_INT, false }, { "reconnect_delay_sec", RP_INT, false },
	{ "fast_io_fail_timeout_sec", RP_INT, false }, { "fabrics_connect_timeout_us", RP_INT, false },
};
static const struct rpc_param p_nvme_detach[] = { { "name", RP_STRING, true }, TRID(false) };
static const struct rpc_param p_create_subsystem[] = {
	{ "nqn", RP_STRING, true }, TGT, { "serial_number", RP_STRING, false }, { "model_number", RP_STRING, false },
	{ "allow_any_host", RP_BOOL, false }, { "ana_reporting", RP_BOOL, false }, { "min_cntlid", RP_INT, false },
	{ "max_cntlid", RP_INT, false }, { "max_namespaces", RP_INT, false }, { "passthrough", RP_BOOL, false },
	{ "enable_nssr", RP_BOOL, false },
};
static const struct rpc_param p_nqn[] = { { "nqn", RP_STRING, true }, TGT };
static const struct rpc_param p_add_ns[] = {
	{ "nqn", RP_STRING, true }, { "namespace", RP_OBJECT, true }, TGT, { "no_auto_visible", RP_BOOL, false },
};
static const struct rpc_param p_remove_ns[] = { { "nqn", RP_STRING, true }, { "nsid", RP_INT, true }, TGT };
static const struct rpc_param p_listener[] = {
	{ "nqn", RP_STRING, true }, { "listen_address", RP_OBJECT, true }, TGT, { "secure_channel", RP_BOOL, false },
	{ "ana_state", RP_STRING, false }, { "sock_impl", RP_STRING, false },
};
static const struct rpc_param p_ana_state[] = {
	{ "nqn", RP_STRING, true }, { "listen_address", RP_OBJECT, true }, { "ana_state", RP_STRING, true }, TGT,
	{ "anagrpid", RP_INT, false },
};
static const struct rpc_param p_referral[] = {
	{ "address", RP_OBJECT, true }, TGT, { "secure_channel", RP_BOOL, false }, { "subnqn", RP_STRING, false },
};
static const struct rpc_param p_get_referrals[] = { TGT };
static const struct rpc_param p_set_keys[] = {
	{ "nqn", RP_STRING, true }, { "host", RP_STRING, true }, TGT, { "dhchap_key", RP_STRING, false },
	{ "dhchap_ctrlr_key", RP_STRING, false },
};
static const struct rpc_param p_host[] = {
	{ "nqn", RP_STRING, true }, { "host", RP_STRING, true }, TGT, { "psk", RP_STRING, false },
	{ "dhchap_key", RP_STRING, false }, { "dhchap_ctrlr_key", RP_STRING, false },
};
static const struct rpc_param p_get_config[] = { { "name", RP_STRING, true } };
static const struct rpc_param p_add_key[] = { { "name", RP_STRING, true }, { "path", RP_STRING, true } };
static const struct rpc_param p_remove_key[] = { { "name", RP_STRING, true } };
static const struct rpc_param p_any_host[] = { { "nqn", RP_STRING, true }, { "allow_any_host", RP_BOOL, true }, TGT };
/* bdev_lvol_*: SPDK v24.09's schema plus the `size` (bytes) spdk-csi and Cinder still send */
static const struct rpc_param p_lvs_create[] = {
	{ "bdev_name", RP_STRING, true }, { "lvs_name", RP_STRING, true }, { "cluster_sz", RP_INT, false },
	{ "clear_method", RP_STRING, false }, { "num_md_pages_per_cluster_ratio", RP_INT, false },
	{ "md_page_size", RP_INT, false },
};
static const struct rpc_param p_lvs_filter[] = { { "uuid", RP_STRING, false }, { "lvs_name", RP_STRING, false } };
static const struct rpc_param p_lvols_filter[] = { { "lvs_uuid", RP_STRING, false }, { "lvs_name", RP_STRING, false } };
static const struct rpc_param p_lvol_create[] = {
	{ "lvol_name", RP_STRING, true }, { "size", RP_INT, false }, { "size_in_mib", RP_INT, false },
	{ "thin_provision", RP_BOOL, false }, { "uuid", RP_STRING, false }, { "lvs_name", RP_STRING, false },
	{ "clear_method", RP_STRING, false },
};
static const struct rpc_param p_lvol_snapshot[] = { { "lvol_name", RP_STRING, true }, { "snapshot_name", RP_STRING, true } };
static const struct rpc_param p_lvol_clone[] = { { "snapshot_name", RP_STRING, true }, { "clone_name", RP_STRING, true } };
static const struct rpc_param p_lvol_resize[] = {
	{ "name", RP_STRING, true }, { "size", RP_INT, false }, { "size_in_mib", RP_INT, false },
};
static const struct rpc_param p_lvol_name[] = { { "name", RP_STRING, true } };
static const struct rpc_param p_lvol_rename[] = { { "old_name", RP_STRING, true }, { "new_name", RP_STRING, true } };

#define PARAMS(p) p, ARRAY_SIZE(p)
#define CHANGE(name, p, perr, fn, relaxed) { name, RPC_RUNTIME, NULL, PARAMS(p), perr, NULL, fn, relaxed, NULL }
#define LVOL(name, p, op) { name, RPC_RUNTIME, NULL, PARAMS(p), PERR_BDEV, NULL, NULL, false, &op }
static const struct rpc_method methods[] = {
	{ "rpc_get_methods", RPC_STARTUP | RPC_RUNTIME, get_methods, PARAMS(p_get_methods), PERR_NVMF, NULL, NULL, false, NULL },
	{ "spdk_get_version", RPC_STARTUP | RPC_RUNTIME, get_version, NULL, 0, PERR_NVMF,
	  "spdk_get_version method requires no parameters", NULL, false, NULL },
	{ "framework_wait_init", RPC_STARTUP | RPC_RUNTIME, wait_init, NULL, 0, PERR_NVMF,
	  "Invalid parameters", NULL, false, NULL },
	{ "framework_start_init", RPC_STARTUP, wait_init, NULL, 0, PERR_NVMF,
	  "Invalid parameters", NULL, false, NULL },
	{ "framework_get_subsystems", RPC_RUNTIME, rpc_framework_get_subsystems, NULL, 0, PERR_NVMF,
	  "'framework_get_subsystems' requires no arguments", NULL, false, NULL },
	{ "framework_get_config", RPC_RUNTIME, rpc_framework_get_config, PARAMS(p_get_config), PERR_CONFIG, NULL, NULL,
	  false, NULL },
	{ "keyring_get_keys", RPC_RUNTIME, rpc_keyring_get_keys, NULL, 0, PERR_NVMF, NULL, NULL, true, NULL },
	{ "nvmf_get_transports", RPC_RUNTIME, rpc_nvmf_get_transports, PARAMS(p_transports), PERR_NVMF, NULL, NULL, false, NULL },
	{ "nvmf_get_subsystems", RPC_RUNTIME, rpc_nvmf_get_subsystems, PARAMS(p_subsystems), PERR_NVMF, NULL, NULL, false, NULL },
	{ "nvmf_subsystem_get_listeners", RPC_RUNTIME, rpc_nvmf_subsystem_get_listeners, PARAMS(p_listeners),
	  PERR_NVMF, NULL, NULL, false, NULL },
	{ "nvmf_discovery_get_referrals", RPC_RUNTIME, rpc_nvmf_get_referrals, PARAMS(p_get_referrals), PERR_NVMF, NULL,
	  NULL, false, NULL },
	LVOL("bdev_get_bdevs", p_bdevs, rpc_lv_get_bdevs),
	LVOL("bdev_lvol_get_lvstores", p_lvs_filter, rpc_lv_get_lvstores),
	LVOL("bdev_lvol_get_lvols", p_lvols_filter, rpc_lv_get_lvols),
	LVOL("bdev_lvol_create_lvstore", p_lvs_create, rpc_lv_create_lvstore),
	LVOL("bdev_lvol_delete_lvstore", p_lvs_filter, rpc_lv_delete_lvstore),
	LVOL("bdev_lvol_create", p_lvol_create, rpc_lv_create),
	LVOL("bdev_lvol_snapshot", p_lvol_snapshot, rpc_lv_snapshot),
	LVOL("bdev_lvol_clone", p_lvol_clone, rpc_lv_clone),
	LVOL("bdev_lvol_resize", p_lvol_resize, rpc_lv_resize),
	LVOL("bdev_lvol_inflate", p_lvol_name, rpc_lv_inflate),
	LVOL("bdev_lvol_delete", p_lvol_name, rpc_lv_delete),
	LVOL("bdev_lvol_rename", p_lvol_rename, rpc_lv_rename),
	LVOL("bdev_lvol_rename_lvstore", p_lvol_rename, rpc_lv_rename_lvstore),
	LVOL("bdev_lvol_decouple_parent", p_lvol_name, rpc_lv_decouple),
	LVOL("bdev_lvol_set_read_only", p_lvol_name, rpc_lv_set_read_only),
	CHANGE("nvmf_create_transport", p_create_transport, PERR_NVMF, rpc_edit_create_transport, true),
	CHANGE("bdev_malloc_create", p_malloc_create, PERR_BDEV, rpc_edit_malloc_create, false),
	CHANGE("bdev_malloc_delete", p_bdev_delete, PERR_BDEV, rpc_edit_malloc_delete, false),
	CHANGE("bdev_aio_create", p_aio_create, PERR_BDEV, rpc_edit_aio_create, false),
	CHANGE("bdev_aio_delete", p_bdev_delete, PERR_BDEV, rpc_edit_aio_delete, false),
	CHANGE("bdev_nvme_attach_controller", p_nvme_attach, PERR_BDEV, rpc_edit_nvme_attach, false),
	CHANGE("bdev_nvme_detach_controller", p_nvme_detach, PERR_BDEV, rpc_edit_nvme_detach, false),
	CHANGE("nvmf_create_subsystem", p_create_subsystem, PERR_NVMF, rpc_edit_create_subsystem, false),
	CHANGE("nvmf_delete_subsystem", p_nqn, PERR_NVMF, rpc_edit_delete_subsystem, false),
	{ "nvmf_subsystem_add_ns", RPC_RUNTIME, NULL, PARAMS(p_add_ns), PERR_NVMF, NULL, rpc_edit_add_ns, true,
	  &rpc_lv_add_ns },
	CHANGE("nvmf_subsystem_remove_ns", p_remove_ns, PERR_NVMF, rpc_edit_remove_ns, false),
	CHANGE("nvmf_subsystem_add_listener", p_listener, PERR_NVMF, rpc_edit_add_listener, true),
	CHANGE("nvmf_subsystem_remove_listener", p_listener, PERR_NVMF, rpc_edit_remove_listener, false),
	CHANGE("nvmf_subsystem_listener_set_ana_state", p_ana_state, PERR_NVMF, rpc_edit_set_ana_state, false),
	CHANGE("nvmf_discovery_add_referral", p_referral, PERR_NVMF, rpc_edit_add_referral, true),
	CHANGE("nvmf_discovery_remove_referral", p_referral, PERR_NVMF, rpc_edit_remove_referral, false),
	CHANGE("nvmf_subsystem_add_host", p_host, PERR_NVMF, rpc_edit_add_host, false),
	CHANGE("nvmf_subsystem_remove_host", p_host, PERR_NVMF, rpc_edit_remove_host, false),
	CHANGE("nvmf_subsystem_allow_any_host", p_any_host, PERR_NVMF, rpc_edit_allow_any_host, false),
	CHANGE("nvmf_subsystem_set_keys", p_set_keys, PERR_NVMF, rpc_edit_set_keys, false),
	CHANGE("keyring_file_add_key", p_add_key, PERR_KEYRING, rpc_edit_keyring_add, true),
	CHANGE("keyring_file_remove_key", p_remove_key, PERR_KEYRING, rpc_edit_keyring_remove, false),
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
	if (m->perr == PERR_KEYRING || m->perr == PERR_CONFIG) {	/* spdk_strerror(EINVAL); framework_get_config's own */
		*message = xstrdup(m->perr == PERR_KEYRING ? "Invalid argument" : "Invalid arguments");
		return JRPC_INVALID_PARAMS;
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
	if (m->no_params ? req->params != NULL : rpc_params_check(req->params, m->params, m->nparams, m->relaxed) < 0)
		return bad_params(m, message);
	const struct rpc_lvop *lv = m->lv && (!m->edit || rpc_lvol_wanted(ud, req->params)) ? m->lv : NULL;
	const struct rpc_env *env = ud;
	if (lv && !rpc_lvop_changes(lv))
		return rpc_lvol_start(env->daemon, lv, req->params, req->tag, message);
	if (!m->edit && !lv)
		return m->fn(ud, req->params, result, message);
	int r = rpc_check_target(req->params, message);
	return r ? r : rpc_commit(ud, req, lv ? NULL : m->edit, lv, result, message);
}
