/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <infiniband/verbs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "netdev.h"
#include "util.h"

const char *addr_state_str(enum addr_state s)
{
	switch (s) {
	case ADDR_OK: return "ok";
	case ADDR_MISSING: return "address missing";
	case ADDR_NO_RDMA: return "no RDMA device";
	case ADDR_ROCE_V1_ONLY: return "RoCE v1 only";
	}
	return "?";
}

static void freeifaddrsp(struct ifaddrs **i) { if (*i) freeifaddrs(*i); }

static int find_ifindex(const char *adrfam, const char *traddr, char *ifname, size_t len)
{
	_cleanup_(freeifaddrsp) struct ifaddrs *ifa = NULL;
	int fam = streq(adrfam, "ipv6") ? AF_INET6 : AF_INET;
	unsigned char want[16], have[16];

	if (inet_pton(fam, traddr, want) != 1)
		return -EINVAL;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != fam)
			continue;
		if (fam == AF_INET)
			memcpy(have, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		else
			memcpy(have, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		if (memcmp(want, have, fam == AF_INET ? 4 : 16) == 0) {
			snprintf(ifname, len, "%s", i->ifa_name);
			return (int)if_nametoindex(i->ifa_name);
		}
	}
	return 0;
}

/* RoCE GIDs bound to ifindex: 2 = has RoCE v2, 1 = v1 only, 0 = none. */
static int rdma_gids_for(int ifindex, char *dev, size_t len)
{
	struct ibv_device **list;
	int n, best = 0;

	list = ibv_get_device_list(&n);
	if (!list)
		return 0;
	for (int i = 0; i < n && best < 2; i++) {
		struct ibv_context *ctx = ibv_open_device(list[i]);
		struct ibv_device_attr attr;

		if (!ctx)
			continue;
		if (ibv_query_device(ctx, &attr) == 0) {
			for (int port = 1; port <= attr.phys_port_cnt && best < 2; port++) {
				struct ibv_port_attr pa;
				if (ibv_query_port(ctx, port, &pa) != 0)
					continue;
				for (int g = 0; g < pa.gid_tbl_len && best < 2; g++) {
					struct ibv_gid_entry e;
					if (ibv_query_gid_ex(ctx, port, g, &e, 0) != 0)
						continue;
					if ((int)e.ndev_ifindex != ifindex)
						continue;
					int kind = e.gid_type == IBV_GID_TYPE_ROCE_V2 ? 2 : 1;
					if (kind > best) {
						best = kind;
						snprintf(dev, len, "%s", ibv_get_device_name(list[i]));
					}
				}
			}
		}
		ibv_close_device(ctx);
	}
	ibv_free_device_list(list);
	return best;
}

int addr_check(const char *trtype, const char *adrfam, const char *traddr, struct addr_info *out)
{
	int idx;

	memset(out, 0, sizeof(*out));
	idx = find_ifindex(adrfam, traddr, out->ifname, sizeof(out->ifname));
	if (idx < 0)
		return idx;
	if (idx == 0) {
		out->state = ADDR_MISSING;
		return 0;
	}
	if (!streq(trtype, "rdma")) {
		out->state = ADDR_OK;
		return 0;
	}
	switch (rdma_gids_for(idx, out->rdma_dev, sizeof(out->rdma_dev))) {
	case 2: out->state = ADDR_OK; break;
	case 1: out->state = ADDR_ROCE_V1_ONLY; break;
	default: out->state = ADDR_NO_RDMA; break;
	}
	return 0;
}
