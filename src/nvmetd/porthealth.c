/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>

#include "ctx.h"
#include "netdev.h"
#include "porthealth.h"
#include "unit.h"
#include "util.h"

static int observe_real(void *ud, const char *trtype, const char *adrfam, const char *traddr, struct port_obs *o)
{
	_cleanup_(freeifaddrsp) struct ifaddrs *ifa = NULL;
	const struct ifaddrs *i;
	char dev[sizeof(o->rdma_dev)];

	(void)ud;
	memset(o, 0, sizeof(*o));
	if (getifaddrs(&ifa) < 0)
		return -errno;
	i = netdev_find_addr(ifa, adrfam, traddr);
	if (!i)
		return 0;
	o->addr_present = true;
	o->link_up = (i->ifa_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
	o->ifindex = (int)if_nametoindex(i->ifa_name);
	if (streq_ptr(trtype, "rdma") && o->ifindex > 0 && netdev_roce_gids(o->ifindex, dev, sizeof(dev)) == 2)
		snprintf(o->rdma_dev, sizeof(o->rdma_dev), "%s", dev);
	return 0;
}

const struct net_ops net_real = { .observe = observe_real };

enum port_health port_health_of(enum obj_state st, bool rdma, bool wildcard, const struct port_obs *obs,
				size_t linked)
{
	if (st != OBJ_OK)
		return PORT_NOT_LISTENING;
	if (!wildcard && !obs->addr_present)
		return PORT_NO_ADDRESS;
	if (!wildcard && !obs->link_up)
		return PORT_LINK_DOWN;
	if (!wildcard && rdma && !*obs->rdma_dev)
		return PORT_NO_RDMA;
	return linked ? PORT_SERVING : PORT_NOT_LINKED;
}

bool port_health_ana_down(enum port_health h, enum obj_state st)
{
	if (st == OBJ_DEAD)
		return true;
	return h == PORT_NO_ADDRESS || h == PORT_LINK_DOWN || h == PORT_NO_RDMA;
}

const char *port_health_str(enum port_health h)
{
	switch (h) {
	case PORT_SERVING: return "listening";
	case PORT_NOT_LISTENING: return "not listening";
	case PORT_NO_ADDRESS: return "address gone";
	case PORT_LINK_DOWN: return "link down";
	case PORT_NO_RDMA: return "no RDMA device";
	case PORT_NOT_LINKED: return "no subsystem linked";
	}
	return "?";
}

const char *port_health_reason(enum port_health h)
{
	switch (h) {
	case PORT_SERVING: return "";
	case PORT_NOT_LISTENING: return "the kernel does not listen on it";
	case PORT_NO_ADDRESS: return "its address is on no interface any more";
	case PORT_LINK_DOWN: return "the interface holding its address is down or has no carrier";
	case PORT_NO_RDMA: return "no RoCE v2 capable RDMA device holds its address";
	case PORT_NOT_LINKED: return "no subsystem is linked to it: every subsystem listening there failed or is held "
				     "(see their problems)";
	}
	return "";
}

size_t port_linked(const char *nvmet, unsigned id)
{
	_cleanup_free_ char *pu = id ? unit_port(id) : NULL, *dir = NULL;
	_cleanup_(closedirp) DIR *dp = NULL;
	struct dirent *e;
	size_t n = 0;

	if (!pu)
		return 0;
	dir = xasprintf("%s/%s/subsystems", nvmet, pu);
	dp = opendir(dir);
	while (dp && (e = readdir(dp)))
		n += e->d_name[0] != '.';
	return n;
}

void port_views_free(struct daemon *d)
{
	free(d->ports);
	d->ports = NULL;
	d->nports = 0;
}

/* One port: observed now; what the objstate says of it; the live tree's links. */
static void refresh_one(struct daemon *d, const struct nv_port *p, bool relinked, struct port_view *v)
{
	_cleanup_free_ char *key = port_key(p);
	const struct obj *o = objtab_find(&d->objs, key);
	const char *tr = attrs_get(&p->attrs, "addr_trtype"), *addr = attrs_get(&p->attrs, "addr_traddr");
	enum obj_state st = relinked ? OBJ_OK : o ? o->state : OBJ_WAITING;
	bool any = netdev_addr_any(addr), rdma = streq_ptr(tr, "rdma");
	struct port_obs obs = { 0 };

	if (!any && d->net->observe(d->net->ud, tr, attrs_get(&p->attrs, "addr_adrfam"), addr, &obs) < 0) {
		/* cannot tell now (getifaddrs failed): keep what was known */
		return;
	}
	v->health = port_health_of(st, rdma, any, &obs, port_linked(d->ctx->nvmet, p->id));
	v->ana_down = port_health_ana_down(v->health, st);
	v->obs = obs;
}

void port_health_refresh(struct daemon *d, const bool *relinked)
{
	size_t n = d->cfg ? d->cfg->model->nports : 0;

	if (n != d->nports) {
		port_views_free(d);
		d->ports = xcalloc(n + 1, sizeof(*d->ports));
		d->nports = n;
		for (size_t i = 0; i < n; i++)
			d->ports[i].health = PORT_NOT_LISTENING;
	}
	for (size_t i = 0; i < n; i++)
		refresh_one(d, &d->cfg->model->ports[i], relinked && relinked[i], &d->ports[i]);
}

bool port_health_ana_changed(const struct daemon *d)
{
	for (size_t i = 0; d->cfg && i < d->cfg->model->nports && i < d->nports; i++)
		if (d->ports[i].ana_down != d->cfg->model->ports[i].ana_down)
			return true;
	return false;
}
