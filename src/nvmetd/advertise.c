/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <strings.h>

#include "advertise.h"
#include "ctx.h"
#include "mdns.h"
#include "nvlimits.h"
#include "porthealth.h"
#include "util.h"

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
	_cleanup_free_ char *nqn_path = NULL, *nqn = NULL;
	struct mdns_service *v = NULL;
	size_t n = 0;

	if (!d->mdns || !d->cfg)
		return;
	for (size_t i = 0; i < d->cfg->model->nports && i < d->nports; i++) {
		const struct nv_port *p = &d->cfg->model->ports[i];
		const struct port_view *pv = &d->ports[i];
		const char *tr = attrs_get(&p->attrs, "addr_trtype"), *fam = attrs_get(&p->attrs, "addr_adrfam");
		const char *addr = attrs_get(&p->attrs, "addr_traddr"), *svc = attrs_get(&p->attrs, "addr_trsvcid");
		const char *proto = "tcp";

		if (pv->health != PORT_SERVING || !tr || !fam || !addr || !svc)
			continue;	/* hosts could not reach it */
		if (streq(tr, "rdma")) {
			if (!*pv->obs.rdma_dev)
				continue;	/* a wildcard RDMA port: no one device to describe */
			proto = rdma_kind(d->ctx->sysfs, pv->obs.rdma_dev);
		} else if (!streq(tr, "tcp")) {
			continue;
		}
		*(struct mdns_service *)array_push(&v, &n, sizeof(*v)) = (struct mdns_service){
			.trtype = tr, .adrfam = fam, .traddr = addr, .trsvcid = svc, .ifindex = pv->obs.ifindex, .proto = proto };
	}
	/* the NQN the kernel's discovery controller reports (the well-known one before unique NQNs) */
	nqn_path = path_join(d->ctx->nvmet, "discovery_nqn");
	if (read_attr(nqn_path, &nqn) < 0)
		nqn = xstrdup(NVME_DISC_NQN);
	mdns_update(d->mdns, v, n, nqn);
	free(v);
}
