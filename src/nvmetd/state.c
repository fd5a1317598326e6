/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confmerge.h"
#include "mdns.h"
#include "porthealth.h"
#include "role.h"
#include "state.h"
#include "tlskeys.h"
#include "unit.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

/* An object's word in status: "enabled" (namespace), "ok" (host, subsystem), or what is wrong. A
 * port's is its health: "listening" only when hosts can reach it. */
static const char *state_word(const struct obj *o, const struct port_view *pv)
{
	if (o->state != OBJ_OK)
		return obj_state_str(o->state);
	if (pv)
		return port_health_str(pv->health);
	return o->kind == OBJ_NS ? "enabled" : "ok";
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* Where the object is not OK: why, since when, when it is tried next. */
static void add_problem(json_object *o, const struct obj *x, uint64_t now)
{
	if (x->state == OBJ_OK)
		return;
	if (x->reason)
		json_object_object_add(o, "reason", json_object_new_string(x->reason));
	json_object_object_add(o, "since", json_object_new_int64(x->since_wall));
	if (x->attempts)
		json_object_object_add(o, "attempts", json_object_new_int64(x->attempts));
	if (x->next_retry && !x->due)
		json_object_object_add(o, "next_retry_s",
				       json_object_new_int64(x->next_retry > now ? (x->next_retry - now + 999999) / 1000000 : 0));
}

/* "source": the file(s) that define the object (nvmf.conf, rpc.conf or both; status prints it). */
static void add_source(json_object *o, const struct daemon *d, unsigned src)
{
	_cleanup_free_ char *f = conf_source(d->cfg, src);

	add_str(o, "source", f);
}

static json_object *ports_json(const struct daemon *d, uint64_t now)
{
	json_object *ports = json_object_new_array();
	bool tlshd_seen = !d->cfg || !model_wants_tls(d->cfg->model) || tlshd_running(d->ctx);

	for (size_t i = 0; d->cfg && i < d->cfg->model->nports; i++) {
		const struct nv_port *p = &d->cfg->model->ports[i];
		const struct port_view *pv = i < d->nports ? &d->ports[i] : NULL;
		json_object *o = json_object_new_object();
		_cleanup_free_ char *addr = port_address(p), *key = port_key(p);
		const struct obj *x = objtab_find(&d->objs, key);

		json_object_object_add(o, "portid", json_object_new_int(p->id));
		add_str(o, "address", addr);
		add_source(o, d, p->src);
		add_str(o, "state", x ? state_word(x, pv) : "unknown");
		if (pv && *pv->obs.rdma_dev && x && x->state == OBJ_OK)
			add_str(o, "rdma_device", pv->obs.rdma_dev);
		if (port_ana_target(p))
			add_str(o, "ana_state", port_ana_target(p));
		if (p->drained)
			json_object_object_add(o, "drained", json_object_new_boolean(true));
		if (port_tls(p)) {
			json_object_object_add(o, "tls", json_object_new_boolean(true));
			if (!tlshd_seen)
				add_str(o, "warning", "TLS 1.3 required, but no tlshd runs in nvmetd's network namespace: "
					"handshakes fail — start tlshd (ktls-utils) after the .nvme keyring exists");
		}
		if (x)
			add_problem(o, x, now);
		json_object_array_add(ports, o);
	}
	return ports;
}

static json_object *ns_json(const struct daemon *d, const struct nv_subsys *s, const struct nv_ns *ns, uint64_t now)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *key = unit_ns(s->nqn, ns->nsid);
	const struct obj *x = objtab_find(&d->objs, key);

	add_str(o, "subsystem", s->nqn);
	json_object_object_add(o, "nsid", json_object_new_int64(ns->nsid));
	add_str(o, "bdev", ns->bdev);
	add_str(o, "device", attrs_get(&ns->attrs, "device_path"));
	add_source(o, d, s->src);
	add_str(o, "state", x ? state_word(x, NULL) : "unknown");
	if (x)
		add_problem(o, x, now);
	return o;
}

static void subsystems_json(const struct daemon *d, uint64_t now, json_object *subs, json_object *nss)
{
	for (size_t i = 0; d->cfg && i < d->cfg->model->nsubsys; i++) {
		const struct nv_subsys *s = &d->cfg->model->subsys[i];
		_cleanup_free_ char *skey = unit_subsys(s->nqn);
		const struct obj *sx = objtab_find(&d->objs, skey);
		json_object *so = json_object_new_object();

		add_str(so, "nqn", s->nqn);
		add_source(so, d, s->src);
		add_str(so, "state", sx ? state_word(sx, NULL) : "unknown");
		if (sx)
			add_problem(so, sx, now);
		json_object_array_add(subs, so);
		for (size_t j = 0; j < s->nns; j++)
			json_object_array_add(nss, ns_json(d, s, &s->ns[j], now));
	}
}

/* Every object that does not serve, and every port that cannot although the kernel listens. */
static json_object *problems_json(const struct daemon *d, uint64_t now)
{
	json_object *problems = json_object_new_array();

	for (size_t i = 0; i < d->objs.n; i++) {
		const struct obj *x = &d->objs.v[i];
		json_object *o;

		if (x->state == OBJ_OK)
			continue;
		o = json_object_new_object();
		add_str(o, "object", x->name);
		add_str(o, "state", obj_state_str(x->state));
		add_problem(o, x, now);
		json_object_array_add(problems, o);
	}
	for (size_t i = 0; d->cfg && i < d->cfg->model->nports && i < d->nports; i++) {
		_cleanup_free_ char *key = port_key(&d->cfg->model->ports[i]);
		const struct obj *x = objtab_find(&d->objs, key);
		json_object *o;

		if (!x || x->state != OBJ_OK || d->ports[i].health == PORT_SERVING)
			continue;
		o = json_object_new_object();
		add_str(o, "object", x->name);
		add_str(o, "state", port_health_str(d->ports[i].health));
		add_str(o, "reason", port_health_reason(d->ports[i].health));
		json_object_array_add(problems, o);
	}
	return problems;
}

static json_object *devices_json(const struct daemon *d)
{
	json_object *devs = json_object_new_array();

	for (size_t i = 0; i < d->irqs.n; i++) {
		const struct irq_dev *x = &d->irqs.devs[i];
		json_object *o = json_object_new_object(), *pin = json_object_new_array(), *man = json_object_new_array();

		add_str(o, "device", x->what);
		add_str(o, "pci", x->bdf);
		json_object_object_add(o, "numa_node", json_object_new_int(x->node));
		add_str(o, "cpus", x->cpus);
		for (unsigned k = 0; k < x->npinned; k++)
			json_object_array_add(pin, json_object_new_int(x->pinned[k]));
		for (unsigned k = 0; k < x->nmanaged; k++)
			json_object_array_add(man, json_object_new_int(x->managed[k]));
		json_object_object_add(o, "irqs_pinned", pin);
		json_object_object_add(o, "irqs_kernel_managed", man);
		if (x->warning)
			add_str(o, "warning", x->warning);
		json_object_array_add(devs, o);
	}
	return devs;
}

/* The role record (nvmetcfg role) as this reconcile applied it, and how many ports can serve: the
 * promotion score of ocf:nvmetd:nvmet. */
static json_object *role_json(struct daemon *d)
{
	json_object *o = json_object_new_object();
	struct nv_role_rec r;
	size_t serving = 0;
	int err = role_read(d->ctx, &r);

	for (size_t i = 0; i < d->nports; i++)
		serving += d->ports[i].health == PORT_SERVING;
	/* the role the last reconcile applied (the record may be newer: nvmetcfg role compares them) */
	add_str(o, "role", role_name(d->cfg ? (enum nv_role)d->cfg->model->role : ROLE_NONE));
	if (d->cfg && d->cfg->model->standby)
		add_str(o, "standby", d->cfg->model->standby);
	add_str(o, "recorded", role_name(r.role));
	if (err < 0)
		add_str(o, "error", strerror(-err));
	if (r.cntlid_min) {
		_cleanup_free_ char *range = xasprintf("%u-%u", r.cntlid_min, r.cntlid_max);
		add_str(o, "cntlid", range);
	}
	json_object_object_add(o, "ports_serving", json_object_new_int64((int64_t)serving));
	json_object_object_add(o, "ports", json_object_new_int64((int64_t)(d->cfg ? d->cfg->model->nports : 0)));
	return o;
}

int state_publish(struct daemon *d)
{
	_cleanup_(json_object_putp) json_object *root = json_object_new_object();
	json_object *subs = json_object_new_array(), *nss = json_object_new_array();
	_cleanup_free_ char *dir = xstrdup(d->set.state_file);
	char *slash = strrchr(dir, '/');
	uint64_t now = daemon_now(d);
	const char *text;

	json_object_object_add(root, "pid", json_object_new_int(getpid()));
	add_str(root, "config", d->set.nvmf_conf);
	add_str(root, "rpc_conf", d->set.rpc_conf);
	add_str(root, "last_apply", d->last_result);
	json_object_object_add(root, "last_apply_time", json_object_new_int64(d->last_time));
	json_object_object_add(root, "last_apply_ok", json_object_new_boolean(d->last_err >= 0));
	if (d->target_error)
		add_str(root, "target_error", d->target_error);
	json_object_object_add(root, "devices", devices_json(d));
	if (d->mdns)
		json_object_object_add(root, "mdns", mdns_json(d->mdns));
	json_object_object_add(root, "ports", ports_json(d, now));
	json_object_object_add(root, "cluster", role_json(d));
	subsystems_json(d, now, subs, nss);
	json_object_object_add(root, "subsystems", subs);
	json_object_object_add(root, "problems", problems_json(d, now));
	json_object_object_add(root, "namespaces", nss);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0755);
	}
	return write_file_atomic(d->set.state_file, text, strlen(text), 0644);
}
