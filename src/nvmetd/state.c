/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state nvmetd publishes for `nvmetcfg status` (readable without privileges): JSON, replaced
 * atomically after every reconcile. */
#include <errno.h>
#include <json-c/json.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "mdns.h"
#include "log.h"
#include "util.h"

/* The words status has always used for ports and namespaces. */
static const char *state_word(const struct obj *o)
{
	if (o->state == OBJ_OK)
		return o->kind == OBJ_PORT ? "listening" : o->kind == OBJ_NS ? "enabled" : "ok";
	return obj_state_str(o->state);
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

int state_publish(struct daemon *d)
{
	json_object *root = json_object_new_object();
	json_object *ports = json_object_new_array();
	json_object *nss = json_object_new_array();
	json_object *subs = json_object_new_array();
	json_object *problems = json_object_new_array();
	_cleanup_free_ char *dir = xstrdup(d->set.state_file);
	char *slash = strrchr(dir, '/');
	const char *text;
	uint64_t now = 0;
	int r;

	(void)sd_event_now(d->ev, CLOCK_MONOTONIC, &now);
	json_object_object_add(root, "pid", json_object_new_int(getpid()));
	json_object_object_add(root, "config", json_object_new_string(d->set.nvmf_conf));
	json_object_object_add(root, "last_apply", json_object_new_string(d->last_result ? d->last_result : ""));
	json_object_object_add(root, "last_apply_time", json_object_new_int64(d->last_time));
	json_object_object_add(root, "last_apply_ok", json_object_new_boolean(d->last_err >= 0));
	if (d->target_error)
		json_object_object_add(root, "target_error", json_object_new_string(d->target_error));
	for (size_t i = 0; d->cfg && i < d->cfg->model->nports; i++) {
		const struct nv_port *p = &d->cfg->model->ports[i];
		json_object *o = json_object_new_object();
		_cleanup_free_ char *addr = port_address(p), *key = daemon_port_key(p);
		const struct obj *x = objtab_find(&d->objs, key);

		json_object_object_add(o, "portid", json_object_new_int(p->id));
		json_object_object_add(o, "address", json_object_new_string(addr));
		json_object_object_add(o, "state", json_object_new_string(x ? state_word(x) : "unknown"));
		if (x && x->rdma_dev && x->state == OBJ_OK)
			json_object_object_add(o, "rdma_device", json_object_new_string(x->rdma_dev));
		if (port_ana_target(p))
			json_object_object_add(o, "ana_state", json_object_new_string(port_ana_target(p)));
		if (p->drained)
			json_object_object_add(o, "drained", json_object_new_boolean(true));
		if (x)
			add_problem(o, x, now);
		json_object_array_add(ports, o);
	}
	for (size_t i = 0; d->cfg && i < d->cfg->model->nsubsys; i++) {
		const struct nv_subsys *s = &d->cfg->model->subsys[i];
		_cleanup_free_ char *skey = xasprintf("subsystems/%s", s->nqn);
		const struct obj *sx = objtab_find(&d->objs, skey);
		json_object *so = json_object_new_object();

		json_object_object_add(so, "nqn", json_object_new_string(s->nqn));
		json_object_object_add(so, "state", json_object_new_string(sx ? state_word(sx) : "unknown"));
		if (sx)
			add_problem(so, sx, now);
		json_object_array_add(subs, so);
		for (size_t j = 0; j < s->nns; j++) {
			json_object *o = json_object_new_object();
			const char *dev = attrs_get(&s->ns[j].attrs, "device_path");
			_cleanup_free_ char *key = xasprintf("subsystems/%s/namespaces/%u", s->nqn, s->ns[j].nsid);
			const struct obj *x = objtab_find(&d->objs, key);

			json_object_object_add(o, "subsystem", json_object_new_string(s->nqn));
			json_object_object_add(o, "nsid", json_object_new_int64(s->ns[j].nsid));
			json_object_object_add(o, "bdev", json_object_new_string(s->ns[j].bdev ? s->ns[j].bdev : ""));
			json_object_object_add(o, "device", json_object_new_string(dev ? dev : ""));
			json_object_object_add(o, "state", json_object_new_string(x ? state_word(x) : "unknown"));
			if (x)
				add_problem(o, x, now);
			json_object_array_add(nss, o);
		}
	}
	for (size_t i = 0; i < d->objs.n; i++) {
		const struct obj *x = &d->objs.v[i];
		json_object *o;

		if (x->state == OBJ_OK)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "object", json_object_new_string(x->name));
		json_object_object_add(o, "state", json_object_new_string(obj_state_str(x->state)));
		add_problem(o, x, now);
		json_object_array_add(problems, o);
	}
	json_object *devs = json_object_new_array();
	for (size_t i = 0; i < d->irqs.n; i++) {
		const struct irq_dev *x = &d->irqs.devs[i];
		json_object *o = json_object_new_object(), *pin = json_object_new_array(), *man = json_object_new_array();
		json_object_object_add(o, "device", json_object_new_string(x->what));
		json_object_object_add(o, "pci", json_object_new_string(x->bdf));
		json_object_object_add(o, "numa_node", json_object_new_int(x->node));
		json_object_object_add(o, "cpus", json_object_new_string(x->cpus ? x->cpus : ""));
		for (unsigned k = 0; k < x->npinned; k++)
			json_object_array_add(pin, json_object_new_int(x->pinned[k]));
		for (unsigned k = 0; k < x->nmanaged; k++)
			json_object_array_add(man, json_object_new_int(x->managed[k]));
		json_object_object_add(o, "irqs_pinned", pin);
		json_object_object_add(o, "irqs_kernel_managed", man);
		if (x->warning)
			json_object_object_add(o, "warning", json_object_new_string(x->warning));
		json_object_array_add(devs, o);
	}
	json_object_object_add(root, "devices", devs);
	if (d->mdns)
		json_object_object_add(root, "mdns", mdns_json(d->mdns));
	json_object_object_add(root, "ports", ports);
	json_object_object_add(root, "subsystems", subs);
	json_object_object_add(root, "problems", problems);
	json_object_object_add(root, "namespaces", nss);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (slash) {
		*slash = '\0';
		if (*dir)
			mkdir(dir, 0755);
	}
	r = write_file_atomic(d->set.state_file, text, strlen(text), 0644);
	if (r < 0)
		log_warn("cannot write %s: %s", d->set.state_file, strerror(-r));
	json_object_put(root);
	return r;
}
