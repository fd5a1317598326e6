/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The read-only nvmf_* and bdev_* methods, answered from the running configuration (nvmetd's
 * desired state) in SPDK's shapes (lib/nvmf/nvmf_rpc.c, lib/bdev/bdev_rpc.c): transport types upper
 * case ("TCP", "RDMA"), address families "IPv4"/"IPv6", the discovery subsystem first. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <strings.h>

#include "nvlimits.h"
#include "rpc-params.h"
#include "util.h"

static const struct nv_model *model(const struct rpc_env *e)
{
	return (*e->cfg)->model;
}

static json_object *jstr_upper(const char *s)
{
	_cleanup_free_ char *u = xstrdup(s ? s : "");

	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return json_object_new_string(u);
}

/* SPDK's spdk_nvme_transport_id_adrfam_str: IPv4, IPv6, IB, FC. */
static json_object *jadrfam(const char *kernel)
{
	static const char *const names[][2] = { { "ipv4", "IPv4" }, { "ipv6", "IPv6" }, { "ib", "IB" }, { "fc", "FC" } };

	for (size_t i = 0; kernel && i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(kernel, names[i][0]))
			return json_object_new_string(names[i][1]);
	return jstr_upper(kernel);
}

static json_object *listen_address(const struct nv_port *p)
{
	json_object *a = json_object_new_object();

	json_object_object_add(a, "trtype", jstr_upper(attrs_get(&p->attrs, "addr_trtype")));
	json_object_object_add(a, "adrfam", jadrfam(attrs_get(&p->attrs, "addr_adrfam")));
	json_object_object_add(a, "traddr", json_object_new_string(attrs_get(&p->attrs, "addr_traddr") ?: ""));
	json_object_object_add(a, "trsvcid", json_object_new_string(attrs_get(&p->attrs, "addr_trsvcid") ?: ""));
	return a;
}

static void add_int_attr(json_object *o, const char *key, const struct nv_attrs *a, const char *attr)
{
	const char *v = attrs_get(a, attr);
	long long n;

	if (v && parse_i64(v, &n) == 0)
		json_object_object_add(o, key, json_object_new_int64(n));
}

/* nvmf_get_transports: one per transport type the configuration listens on, with the options it
 * sets on those ports. */
int rpc_nvmf_get_transports(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	const struct nv_model *m = model(e);
	const char *want = rpc_param_str(params, "trtype");
	_cleanup_free_ char **seen = NULL;
	size_t nseen = 0;
	int r = rpc_check_target(params, message);

	if (r)
		return r;
	*result = json_object_new_array();
	for (size_t i = 0; i < m->nports; i++) {
		const struct nv_port *p = &m->ports[i];
		const char *t = attrs_get(&p->attrs, "addr_trtype");
		json_object *o;

		if (!t || (want && strcasecmp(want, t)) || strv_contains(seen, nseen, t))
			continue;
		*(const char **)array_push(&seen, &nseen, sizeof(*seen)) = t;
		o = json_object_new_object();
		json_object_object_add(o, "trtype", jstr_upper(t));
		add_int_attr(o, "max_queue_depth", &p->attrs, "param_max_queue_size");
		add_int_attr(o, "in_capsule_data_size", &p->attrs, "param_inline_data_size");
		json_object_array_add(*result, o);
	}
	if (want && nseen == 0) {
		json_object_put(*result);
		*result = NULL;
		return -ENODEV;
	}
	return 0;
}

static json_object *discovery_subsystem(const struct nv_model *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "nqn", json_object_new_string(m->discovery_nqn ?: NVME_DISC_NQN));
	json_object_object_add(o, "subtype", json_object_new_string("Discovery"));
	json_object_object_add(o, "listen_addresses", json_object_new_array());
	json_object_object_add(o, "allow_any_host", json_object_new_boolean(1));
	json_object_object_add(o, "hosts", json_object_new_array());
	return o;
}

static json_object *subsys_namespaces(const struct nv_subsys *s)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->nns; i++) {
		const struct nv_ns *ns = &s->ns[i];
		const char *uuid = attrs_get(&ns->attrs, "device_uuid");
		json_object *o = json_object_new_object();

		json_object_object_add(o, "nsid", json_object_new_int64(ns->nsid));
		json_object_object_add(o, "bdev_name", json_object_new_string(ns->bdev ?: ""));
		json_object_object_add(o, "name", json_object_new_string(ns->bdev ?: ""));
		if (uuid)
			json_object_object_add(o, "uuid", json_object_new_string(uuid));
		json_object_array_add(a, o);
	}
	return a;
}

/* One subsystem as SPDK's dump_nvmf_subsystem writes it; hosts by NQN and their DH-HMAC-CHAP keys'
 * keyring names (never a key). */
static json_object *subsystem(const struct nv_config *c, const struct nv_subsys *s)
{
	const struct nv_model *m = c->model;
	json_object *o = json_object_new_object(), *la = json_object_new_array(), *hosts = json_object_new_array();
	const char *sn = attrs_get(&s->attrs, "attr_serial"), *mn = attrs_get(&s->attrs, "attr_model");

	json_object_object_add(o, "nqn", json_object_new_string(s->nqn));
	json_object_object_add(o, "subtype", json_object_new_string("NVMe"));
	for (size_t i = 0; i < m->nports; i++)
		if (model_list_has(m, m->ports[i].subsys, m->ports[i].nsubsys, s->nqn))
			json_object_array_add(la, listen_address(&m->ports[i]));
	json_object_object_add(o, "listen_addresses", la);
	json_object_object_add(o, "allow_any_host",
			       json_object_new_boolean(streq_ptr(attrs_get(&s->attrs, "attr_allow_any_host"), "1")));
	for (size_t i = 0; i < s->nhosts; i++) {
		json_object *h = json_object_new_object();
		const struct nv_hostcred *cr = rpc_cred(c, s->hosts[i]);
		json_object_object_add(h, "nqn", json_object_new_string(s->hosts[i]));
		for (int w = 0; cr && w < 2; w++) {
			_cleanup_free_ char *name = rpc_key_name(c, cr, w);
			if (name)
				json_object_object_add(h, w ? "dhchap_ctrlr_key" : "dhchap_key", json_object_new_string(name));
		}
		json_object_array_add(hosts, h);
	}
	json_object_object_add(o, "hosts", hosts);
	if (sn)
		json_object_object_add(o, "serial_number", json_object_new_string(sn));
	if (mn)
		json_object_object_add(o, "model_number", json_object_new_string(mn));
	add_int_attr(o, "min_cntlid", &s->attrs, "attr_cntlid_min");
	add_int_attr(o, "max_cntlid", &s->attrs, "attr_cntlid_max");
	json_object_object_add(o, "namespaces", subsys_namespaces(s));
	return o;
}

/* nvmf_get_subsystems: the discovery subsystem first (Cinder skips element 0); with nqn, that one
 * or -19 "No such device". */
int rpc_nvmf_get_subsystems(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	const struct nv_model *m = model(e);
	const char *nqn = rpc_param_str(params, "nqn"), *disc = m->discovery_nqn ?: NVME_DISC_NQN;
	int r = rpc_check_target(params, message);

	if (r)
		return r;
	if (nqn && !streq(nqn, disc) && !model_subsys(m, nqn))
		return -ENODEV;
	*result = json_object_new_array();
	if (!nqn || streq(nqn, disc))
		json_object_array_add(*result, discovery_subsystem(m));
	for (size_t i = 0; i < m->nsubsys; i++)
		if (!nqn || streq(nqn, m->subsys[i].nqn))
			json_object_array_add(*result, subsystem(*e->cfg, &m->subsys[i]));
	return 0;
}

/* SPDK's ANA state names: "non_optimized" where the kernel says "non-optimized". */
static json_object *ana_states(const struct nv_port *p)
{
	_cleanup_free_ char *st = xstrdup(p->ana_state ?: "optimized");
	json_object *a = json_object_new_array(), *g = json_object_new_object();

	for (char *c = st; *c; c++)
		*c = *c == '-' ? '_' : *c;
	json_object_object_add(g, "ana_group", json_object_new_int(1));
	json_object_object_add(g, "ana_state", json_object_new_string(st));
	json_object_array_add(a, g);
	return a;
}

/* nvmf_subsystem_get_listeners: an unknown NQN is -32602 "Invalid parameters" (the wording of every
 * SPDK release; spdk-csi matches it). */
int rpc_nvmf_subsystem_get_listeners(const struct rpc_env *e, json_object *params, json_object **result,
				     char **message)
{
	const struct nv_model *m = model(e);
	const char *nqn = rpc_param_str(params, "nqn");
	int r = rpc_check_target(params, message);

	if (r)
		return r;
	if (!model_subsys(m, nqn))
		return JRPC_INVALID_PARAMS;
	*result = json_object_new_array();
	for (size_t i = 0; i < m->nports; i++) {
		json_object *l;

		if (!model_list_has(m, m->ports[i].subsys, m->ports[i].nsubsys, nqn))
			continue;
		l = json_object_new_object();
		json_object_object_add(l, "address", listen_address(&m->ports[i]));
		json_object_object_add(l, "ana_states", ana_states(&m->ports[i]));
		json_object_array_add(*result, l);
	}
	return 0;
}

/* nvmf_discovery_get_referrals: the [Discovery] referrals of nvmf.conf and rpc.conf, each as SPDK's
 * dump_nvmf_referral writes it (the kernel's referrals are to discovery services, never TLS-only). */
int rpc_nvmf_get_referrals(const struct rpc_env *e, json_object *params, json_object **result, char **message)
{
	const struct nv_config *c = *e->cfg;
	const char *t = rpc_param_str(params, "tgt_name");

	if (t && !streq(t, "nvmf_tgt")) {
		*message = xstrdup("Unable to find a target");	/* SPDK's wording here: no full stop */
		return JRPC_INTERNAL_ERROR;
	}
	*result = json_object_new_array();
	for (size_t i = 0; i < c->nreferrals; i++)
		json_object_array_add(*result, rpc_referral(&c->referrals[i]));
	return 0;
}
