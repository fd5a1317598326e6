/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "events.h"
#include "fsprint.h"
#include "log.h"
#include "porthealth.h"
#include "unit.h"
#include "util.h"

/* A listening RDMA port whose device is not known yet may be on another one than the device that went
 * away: look before objstate decides which ports died. */
static void observe_rdma_ports(struct daemon *d, const char *removed)
{
	for (size_t i = 0; i < d->cfg->model->nports; i++) {
		const struct nv_port *p = &d->cfg->model->ports[i];
		_cleanup_free_ char *key = port_key(p);
		struct obj *o = objtab_find(&d->objs, key);
		struct port_obs obs = { 0 };

		if (!o || !o->rdma || o->state != OBJ_OK || o->rdma_dev)
			continue;
		if (d->net->observe(d->net->ud, "rdma", attrs_get(&p->attrs, "addr_adrfam"),
				    attrs_get(&p->attrs, "addr_traddr"), &obs) == 0 && *obs.rdma_dev &&
		    !streq(obs.rdma_dev, removed))
			o->rdma_dev = xstrdup(obs.rdma_dev);
	}
}

/* Only a namespace whose filesystem changed (remounted rw, mounted over) is tried again: mounts
 * elsewhere (containers, network namespaces) do not make the kernel log its failure once more. */
static bool mounts_changed(struct daemon *d)
{
	bool any = false;

	for (size_t i = 0; i < d->objs.n; i++) {
		struct obj *o = &d->objs.v[i];
		_cleanup_free_ char *fp = NULL;

		if (o->kind != OBJ_NS || o->state == OBJ_OK || !o->path || !o->fingerprint)
			continue;
		fp = path_fingerprint(o->path);
		if (!streq(fp, o->fingerprint) && objtab_mark_due(&d->objs, o->key)) {
			log_info("%s: the filesystem under %s changed; trying again", o->name, o->path);
			any = true;
		}
	}
	return any;
}

static unsigned block_event(struct daemon *d, const struct mon_event *me, const char **why)
{
	/* removals and renames are followed with HotplugEnable Yes; an SSD that appears is always looked
	 * at while a namespace waits for its device (the nvme driver may probe it late) */
	if (d->hotplug || (me->type == MON_BLOCK_ADDED && objtab_count(&d->objs, OBJ_NS, OBJ_MISSING))) {
		d->resolve_due = true;
		*why = me->type == MON_BLOCK_ADDED ? "block device appeared" : "block device went away";
		return EV_RECONCILE;
	}
	return 0;
}

unsigned daemon_event(struct daemon *d, const struct mon_event *me, const char **why)
{
	struct obj_event ev = { 0 };
	unsigned act = 0;

	*why = "device, address or mount change";
	if (!d->cfg)
		return 0;
	switch (me->type) {
	case MON_ADDR_REMOVED:
		/* nothing waits for an address to go; a port that served on it cannot any more */
		return EV_HEALTH;
	case MON_ADDR_ADDED:
	case MON_LINK_CHANGED:
		ev.type = OEV_NET_CHANGED;
		act = EV_HEALTH;
		break;
	case MON_RDMA_ADDED:
		ev.type = OEV_RDMA_ADDED;
		act = EV_HEALTH;
		break;
	case MON_RDMA_REMOVED:
		observe_rdma_ports(d, me->name);
		ev.type = OEV_RDMA_REMOVED;
		ev.dev = me->name;
		act = EV_HEALTH | EV_PUBLISH;
		break;
	case MON_BLOCK_ADDED:
	case MON_BLOCK_REMOVED:
		act = block_event(d, me, why);
		ev.type = OEV_DEVICES_CHANGED;
		break;
	case MON_MOUNTS_CHANGED:
		if (!mounts_changed(d))
			return 0;
		d->resolve_due = true;
		*why = "mount table change";
		return EV_RECONCILE;
	case MON_OVERRUN:
		d->resolve_due = true;
		ev.type = OEV_OVERRUN;
		act = EV_HEALTH;
		*why = "events were lost: full resync";
		break;
	}
	if (objtab_event(&d->objs, &ev, daemon_now(d), time(NULL))) {
		if (ev.type == OEV_DEVICES_CHANGED)
			d->resolve_due = true;
		act |= EV_RECONCILE;
	}
	return act;
}
