/* SPDX-License-Identifier: GPL-2.0-or-later */
/* framework_get_subsystems, framework_get_config and keyring_get_keys: the running configuration (nvmf.conf's
 * and rpc.conf's objects) as the calls SPDK's save_config would list (lib/nvmf/nvmf.c
 * spdk_nvmf_tgt_write_config_json, module/keyring/file/keyring.c), in the shape `nvmetcfg import
 * --from spdk` reads back. Key files are named by their keyring names and paths; no key file is read
 * here. A [HostN] key file no [Keyring] line names gets the name nvmetd-host<N>-key|ctrlr-key|psk. */
#include <json-c/json.h>
#include <stdio.h>
#include <strings.h>

#include "nvlimits.h"
#include "rpc-params.h"
#include "util.h"

static const char *const key_params[3] = { "dhchap_key", "dhchap_ctrlr_key", "psk" };

static const char *cred_file(const struct nv_hostcred *cr, int which)
{
	return which == 0 ? cr->key_file : which == 1 ? cr->ctrl_key_file : cr->tls_key_file;
}

char *rpc_key_name(const struct nv_config *c, const struct nv_hostcred *cr, int which)
{
	static const char *const suffix[3] = { "key", "ctrlr-key", "psk" };
	const char *path = cred_file(cr, which);
	const struct nv_keyname *k = spdkconf_key_by_path(c, path);

	if (!path)
		return NULL;
	return k ? xstrdup(k->name) : xasprintf("nvmetd-host%zu-%s", (size_t)(cr - c->creds) + 1, suffix[which]);
}

const struct nv_hostcred *rpc_cred(const struct nv_config *c, const char *nqn)
{
	for (size_t i = 0; i < c->ncreds; i++)
		if (streq_ptr(c->creds[i].nqn, nqn))
			return &c->creds[i];
	return NULL;
}

static void add_str(json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

/* Append {"method": method, "params": params} to a. */
static void call(json_object *a, const char *method, json_object *params)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "params", params);
	json_object_array_add(a, o);
}

static void add_key(json_object *a, const char *name, const char *path)
{
	json_object *p = json_object_new_object();

	add_str(p, "name", name);
	add_str(p, "path", path);
	call(a, "keyring_file_add_key", p);
}

static void keyring_config(const struct nv_config *c, json_object *a)
{
	for (size_t i = 0; i < c->nkeyring; i++)
		add_key(a, c->keyring[i].name, c->keyring[i].path);
	for (size_t i = 0; i < c->ncreds; i++)
		for (int w = 0; w < 3; w++)
			if (cred_file(&c->creds[i], w) && !spdkconf_key_by_path(c, cred_file(&c->creds[i], w))) {
				_cleanup_free_ char *name = rpc_key_name(c, &c->creds[i], w);
				add_key(a, name, cred_file(&c->creds[i], w));
			}
}

static void bdev_config(const struct nv_config *c, json_object *a)
{
	for (size_t i = 0; i < c->nctrls; i++) {
		json_object *p = json_object_new_object();
		add_str(p, "name", c->ctrls[i].name);
		add_str(p, "trtype", "PCIe");
		add_str(p, "traddr", c->ctrls[i].bdf);
		call(a, "bdev_nvme_attach_controller", p);
	}
	for (size_t i = 0; i < c->naio; i++) {
		json_object *p = json_object_new_object();
		add_str(p, "name", c->aio[i].name);
		add_str(p, "filename", c->aio[i].path);
		if (c->aio[i].block_size)
			json_object_object_add(p, "block_size", json_object_new_int64(c->aio[i].block_size));
		call(a, "bdev_aio_create", p);
	}
	for (unsigned i = 0; i < c->malloc_luns; i++) {
		json_object *p = json_object_new_object();
		unsigned bs = c->malloc_block_size ? c->malloc_block_size : 512;
		char name[32];
		snprintf(name, sizeof(name), "Malloc%u", i);
		add_str(p, "name", name);
		json_object_object_add(p, "num_blocks", json_object_new_int64((long long)(((unsigned long long)c->malloc_size_mb << 20) / bs)));
		json_object_object_add(p, "block_size", json_object_new_int64(bs));
		call(a, "bdev_malloc_create", p);
	}
}

static json_object *upper(const char *s)
{
	_cleanup_free_ char *u = xstrdup(s ? s : "");

	for (char *p = u; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	return json_object_new_string(u);
}

/* {trtype, adrfam, traddr, trsvcid} of a port's or a referral's addr_* attributes. */
static json_object *address(const struct nv_attrs *at)
{
	json_object *o = json_object_new_object();
	const char *fam = attrs_get(at, "addr_adrfam");

	json_object_object_add(o, "trtype", upper(attrs_get(at, "addr_trtype")));
	add_str(o, "adrfam", fam && !strcasecmp(fam, "ipv6") ? "IPv6" : "IPv4");
	add_str(o, "traddr", attrs_get(at, "addr_traddr"));
	add_str(o, "trsvcid", attrs_get(at, "addr_trsvcid"));
	return o;
}

json_object *rpc_referral(const struct nv_referral *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "address", address(&r->attrs));
	json_object_object_add(o, "secure_channel", json_object_new_boolean(0));
	add_str(o, "subnqn", NVME_DISC_NQN);
	return o;
}

static void add_int(json_object *o, const char *key, const char *v, long long delta)
{
	long long n;

	if (v && parse_i64(v, &n) == 0)
		json_object_object_add(o, key, json_object_new_int64(n + delta));
}

/* One nvmf_create_transport per [TransportN], with the settings its ports and subsystems carry. */
static void transports(const struct nv_model *m, const struct nv_config *c, json_object *a)
{
	for (size_t i = 0; i < c->ntransports; i++) {
		json_object *p = json_object_new_object();
		const struct nv_port *port = NULL;
		json_object_object_add(p, "trtype", upper(c->transports[i].trtype));
		for (size_t k = 0; k < m->nports && !port; k++)
			if (!strcasecmp(attrs_get(&m->ports[k].attrs, "addr_trtype") ?: "", c->transports[i].trtype))
				port = &m->ports[k];
		if (port) {
			const struct nv_subsys *s = port->nsubsys ? model_subsys(m, port->subsys[0]) : NULL;
			add_int(p, "max_queue_depth", attrs_get(&port->attrs, "param_max_queue_size"), 0);
			add_int(p, "in_capsule_data_size", attrs_get(&port->attrs, "param_inline_data_size"), 0);
			if (s)
				add_int(p, "max_io_qpairs_per_ctrlr", attrs_get(&s->attrs, "attr_qid_max"), -1);
		}
		call(a, "nvmf_create_transport", p);
	}
	for (size_t i = 0; i < c->nreferrals; i++)
		call(a, "nvmf_discovery_add_referral", rpc_referral(&c->referrals[i]));
}

static void subsys_hosts(const struct nv_config *c, const struct nv_subsys *s, json_object *a)
{
	for (size_t i = 0; i < s->nhosts; i++) {
		json_object *p = json_object_new_object();
		const struct nv_hostcred *cr = rpc_cred(c, s->hosts[i]);
		add_str(p, "nqn", s->nqn);
		add_str(p, "host", s->hosts[i]);
		for (int w = 0; cr && w < 3; w++) {
			_cleanup_free_ char *name = rpc_key_name(c, cr, w);
			add_str(p, key_params[w], name);
		}
		call(a, "nvmf_subsystem_add_host", p);
	}
}

static void subsys_config(const struct nv_config *c, const struct nv_subsys *s, json_object *a)
{
	const struct nv_model *m = c->model;
	json_object *p = json_object_new_object();

	add_str(p, "nqn", s->nqn);
	json_object_object_add(p, "allow_any_host",
			       json_object_new_boolean(streq_ptr(attrs_get(&s->attrs, "attr_allow_any_host"), "1")));
	add_str(p, "serial_number", attrs_get(&s->attrs, "attr_serial"));
	add_str(p, "model_number", attrs_get(&s->attrs, "attr_model"));
	json_object_object_add(p, "ana_reporting", json_object_new_boolean(0));
	add_int(p, "min_cntlid", attrs_get(&s->attrs, "attr_cntlid_min"), 0);
	add_int(p, "max_cntlid", attrs_get(&s->attrs, "attr_cntlid_max"), 0);
	call(a, "nvmf_create_subsystem", p);
	subsys_hosts(c, s, a);
	for (size_t i = 0; i < s->nns; i++) {
		json_object *ns = json_object_new_object();
		p = json_object_new_object();
		add_str(p, "nqn", s->nqn);
		json_object_object_add(ns, "nsid", json_object_new_int64(s->ns[i].nsid));
		add_str(ns, "bdev_name", s->ns[i].bdev);
		add_str(ns, "uuid", attrs_get(&s->ns[i].attrs, "device_uuid"));
		json_object_object_add(p, "namespace", ns);
		call(a, "nvmf_subsystem_add_ns", p);
	}
	for (size_t i = 0; i < m->nports; i++) {
		const struct nv_port *port = &m->ports[i];
		if (!model_list_has(m, port->subsys, port->nsubsys, s->nqn))
			continue;
		p = json_object_new_object();
		add_str(p, "nqn", s->nqn);
		json_object_object_add(p, "listen_address", address(&port->attrs));
		json_object_object_add(p, "secure_channel",
				       json_object_new_boolean(streq_ptr(attrs_get(&port->attrs, "addr_tsas"), "tls1.3")));
		if (port->ana_state && !streq(port->ana_state, "optimized")) {
			_cleanup_free_ char *st = xstrdup(port->ana_state);	/* SPDK's spelling: non_optimized */
			for (char *q = st; *q; q++)
				*q = *q == '-' ? '_' : *q;
			add_str(p, "ana_state", st);
		}
		call(a, "nvmf_subsystem_add_listener", p);
	}
}

static const char *const subsystems[3] = { "keyring", "bdev", "nvmf" };

/* framework_get_subsystems: keyring, bdev, nvmf, each after what it depends on (save_config needs that). */
int rpc_framework_get_subsystems(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	(void)e;
	(void)params;
	(void)message;
	*result = json_object_new_array();
	for (size_t i = 0; i < ARRAY_SIZE(subsystems); i++) {
		json_object *o = json_object_new_object(), *dep = json_object_new_array();
		json_object_object_add(o, "subsystem", json_object_new_string(subsystems[i]));
		if (i == 2)
			json_object_array_add(dep, json_object_new_string(subsystems[1]));
		if (i > 0)
			json_object_array_add(dep, json_object_new_string(subsystems[0]));
		json_object_object_add(o, "depends_on", dep);
		json_object_array_add(*result, o);
	}
	return 0;
}

/* framework_get_config {name}: that subsystem's calls; an unknown one is SPDK's -32602. */
int rpc_framework_get_config(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	const struct nv_config *c = *e->cfg;
	const char *name = rpc_param_str(params, "name");

	if (!streq_ptr(name, subsystems[0]) && !streq_ptr(name, subsystems[1]) && !streq_ptr(name, subsystems[2])) {
		*message = xasprintf("Subsystem '%s' not found", name ? name : "");
		return JRPC_INVALID_PARAMS;
	}
	*result = json_object_new_array();
	if (streq(name, "keyring"))
		keyring_config(c, *result);
	else if (streq(name, "bdev"))
		bdev_config(c, *result);
	else {
		transports(c->model, c, *result);
		for (size_t i = 0; i < c->model->nsubsys; i++)
			subsys_config(c, &c->model->subsys[i], *result);
	}
	return 0;
}

/* How many (subsystem, host) pairs use key file path: SPDK's references, besides the keyring's own. */
static int uses(const struct nv_config *c, const char *path)
{
	int n = 0;

	for (size_t i = 0; i < c->model->nsubsys; i++)
		for (size_t h = 0; h < c->model->subsys[i].nhosts; h++) {
			const struct nv_hostcred *cr = rpc_cred(c, c->model->subsys[i].hosts[h]);
			for (int w = 0; cr && w < 3; w++)
				n += streq_ptr(cred_file(cr, w), path);
		}
	return n;
}

/* keyring_get_keys: the [Keyring] names, as SPDK's keyring_dump_key_info (never what a file holds). */
int rpc_keyring_get_keys(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	const struct nv_config *c = *e->cfg;

	(void)params;
	(void)message;
	*result = json_object_new_array();
	for (size_t i = 0; i < c->nkeyring; i++) {
		json_object *o = json_object_new_object();
		add_str(o, "name", c->keyring[i].name);
		add_str(o, "module", "keyring_file");
		json_object_object_add(o, "removed", json_object_new_boolean(0));
		json_object_object_add(o, "probed", json_object_new_boolean(0));
		json_object_object_add(o, "refcnt", json_object_new_int(1 + uses(c, c->keyring[i].path)));
		add_str(o, "path", c->keyring[i].path);
		json_object_array_add(*result, o);
	}
	return 0;
}
