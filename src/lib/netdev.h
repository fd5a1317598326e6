/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a listen address lives: which interface has it, and whether that interface has a
 * RoCE v2 capable RDMA device (through the GID table in sysfs). */
#ifndef NVMET_NETDEV_H
#define NVMET_NETDEV_H

#include <ifaddrs.h>
#include <stdbool.h>

#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct ifaddrs *, freeifaddrs)

enum addr_state {
	ADDR_OK,		/* address present (and, for RDMA, a RoCE v2 GID on its interface) */
	ADDR_MISSING,		/* no interface has this address */
	ADDR_NO_RDMA,		/* the interface has no RDMA device */
	ADDR_ROCE_V1_ONLY,	/* only RoCE v1 GIDs: not routable, not what NVMe/RoCEv2 needs */
};

struct addr_info {
	enum addr_state state;
	char ifname[64];
	char rdma_dev[64];
};

/* The entry of list (getifaddrs) that holds traddr (adrfam "ipv4" or "ipv6"), or NULL. */
const struct ifaddrs *netdev_find_addr(const struct ifaddrs *list, const char *adrfam, const char *traddr);

/* The RoCE GIDs bound to interface ifindex: 2 = a RoCE v2 GID (dev = its RDMA device), 1 = RoCE v1
 * only, 0 = none. Read from sysfs (/sys/class/infiniband/DEV/ports/N/gid_attrs); _at: below the root
 * sysfs, by the interface's name. */
int netdev_roce_gids(int ifindex, char *dev, size_t len);
int netdev_roce_gids_at(const char *sysfs, const char *ifname, char *dev, size_t len);

/* family: "ipv4" or "ipv6"; trtype: "rdma" or "tcp". Returns 0 or -errno. */
int addr_check(const char *trtype, const char *adrfam, const char *traddr, struct addr_info *out);

/* Whether traddr is a wildcard (0.0.0.0, ::): the port listens on every interface. */
bool netdev_addr_any(const char *traddr);

/* The PCI device behind a network interface, or NULL (veth, bridges, ...). */
char *netdev_pci_bdf(const char *sysfs, const char *ifname);

#endif
