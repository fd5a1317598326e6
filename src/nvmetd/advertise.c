/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which ports to advertise over mDNS: those that listen now — nvmetd knows (the port is OK: linked,
 * its RDMA device present) — and whose address is on an interface that is up with carrier. Called
 * after every reconcile and every address, link or RDMA device event. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include "daemon.h"
#include "mdns.h"
#include "netdev.h"
#include "nvlimits.h"
#include "util.h"

/* The interface that holds addr, if it is up and has carrier: its index, else 0. */
static int live_ifindex(const struct ifaddrs *ifa, const char *adrfam, const char *addr)
{
	const struct ifaddrs *i = netdev_find_addr(ifa, adrfam, addr);

	if (!i || (i->ifa_flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING))
		return 0;
	return (int)if_nametoindex(i->ifa_name);
}

/* TP8009's p= for an RDMA device: iWARP (an RNIC), RoCE (an Ethernet link layer), else InfiniBand. */
static const char *rdma_kind(const char *sysfs, const char *dev)
{
	_cleanup_free_ char *nt = xasprintf("%s/class/infiniband/%s/node_type", sysfs, dev);
	_cleanup_free_ char *ll = xasprintf("%s/class/infiniband/%s/ports/1/link_layer", sysfs, dev);
	_cleanup_free_ char *v = NULL, *w = NULL;

	if (read_attr(nt, &v) == 0 && strstr(v, "RNIC"))
		return "iwarp";
	if (read_attr(ll, &w) == 0 && !strcasecmp(w, "Ethernet"))
		return "roce";
	return "rdma";
}

void advertise(struct daemon *d)
{
	_cleanup_(freeifaddrsp) struct ifaddrs *ifa = NULL;
	_cleanup_free_ char *nqn_path = NULL, *nqn = NULL;
	struct mdns_service *v = NULL;
	size_t n = 0;

	if (!d->mdns || !d->cfg)
		return;
	if (getifaddrs(&ifa) < 0)
		ifa = NULL;
	for (size_t i = 0; i < d->cfg->model->nports; i++) {
		const struct nv_port *p = &d->cfg->model->ports[i];
		_cleanup_free_ char *key = daemon_port_key(p);
		const struct obj *o = objtab_find(&d->objs, key);
		const char *tr = attrs_get(&p->attrs, "addr_trtype"), *fam = attrs_get(&p->attrs, "addr_adrfam");
		const char *addr = attrs_get(&p->attrs, "addr_traddr"), *svc = attrs_get(&p->attrs, "addr_trsvcid");
		const char *proto = "tcp";
		bool any = streq_ptr(addr, "0.0.0.0") || streq_ptr(addr, "::");
		int ifindex = 0;

		if (!o || o->state != OBJ_OK || !tr || !fam || !addr || !svc)
			continue;
		if (!any && !(ifindex = live_ifindex(ifa, fam, addr)))
			continue;	/* address gone or link down: hosts could not reach it */
		if (streq(tr, "rdma")) {
			struct addr_info ai;
			if (any || addr_check(tr, fam, addr, &ai) < 0 || ai.state != ADDR_OK || !*ai.rdma_dev)
				continue;	/* no RDMA device under it now */
			proto = rdma_kind(d->ctx->sysfs, ai.rdma_dev);
		} else if (!streq(tr, "tcp")) {
			continue;
		}
		*(struct mdns_service *)array_push(&v, &n, sizeof(*v)) = (struct mdns_service){
			.trtype = tr, .adrfam = fam, .traddr = addr, .trsvcid = svc, .ifindex = ifindex, .proto = proto };
	}
	/* the NQN the kernel's discovery controller reports (the well-known one before unique NQNs) */
	nqn_path = path_join(d->ctx->nvmet, "discovery_nqn");
	if (read_attr(nqn_path, &nqn) < 0)
		nqn = xstrdup(NVME_DISC_NQN);
	mdns_update(d->mdns, v, n, nqn);
	free(v);
}
