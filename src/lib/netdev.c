/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ifaddrs.h>
#include <infiniband/verbs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "dl.h"
#include "netdev.h"
#include "util.h"

const struct ifaddrs *netdev_find_addr(const struct ifaddrs *list, const char *adrfam, const char *traddr)
{
	int fam = streq_ptr(adrfam, "ipv6") ? AF_INET6 : AF_INET;
	unsigned char want[16];

	if (!traddr || inet_pton(fam, traddr, want) != 1)
		return NULL;
	for (const struct ifaddrs *i = list; i; i = i->ifa_next) {
		const void *have;
		if (!i->ifa_addr || i->ifa_addr->sa_family != fam)
			continue;
		have = fam == AF_INET ? (const void *)&((const struct sockaddr_in *)i->ifa_addr)->sin_addr
				      : (const void *)&((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (!memcmp(want, have, fam == AF_INET ? 4 : 16))
			return i;
	}
	return NULL;
}

static int find_ifindex(const char *adrfam, const char *traddr, char *ifname, size_t len)
{
	_cleanup_(freeifaddrsp) struct ifaddrs *ifa = NULL;
	const struct ifaddrs *i;
	unsigned char want[16];

	if (inet_pton(streq(adrfam, "ipv6") ? AF_INET6 : AF_INET, traddr, want) != 1)
		return -EINVAL;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	i = netdev_find_addr(ifa, adrfam, traddr);
	if (!i)
		return 0;
	snprintf(ifname, len, "%s", i->ifa_name);
	return (int)if_nametoindex(i->ifa_name);
}

/* libibverbs, loaded on first use by verbs_load (dl.h). The GID table is read with
 * _ibv_query_gid_table, the exported function behind verbs.h's inline ibv_query_gid_table(). */
static void *ibv_handle;
static struct {
	__typeof__(ibv_get_device_list) *get_device_list;
	__typeof__(ibv_free_device_list) *free_device_list;
	__typeof__(ibv_get_device_name) *get_device_name;
	__typeof__(ibv_open_device) *open_device;
	__typeof__(ibv_close_device) *close_device;
	__typeof__(_ibv_query_gid_table) *query_gid_table;
} verbs;

static int verbs_load(void)
{
	static const struct dl_sym syms[] = {
		DL_SYM(__typeof__(verbs), ibv_get_device_list, get_device_list),
		DL_SYM(__typeof__(verbs), ibv_free_device_list, free_device_list),
		DL_SYM(__typeof__(verbs), ibv_get_device_name, get_device_name),
		DL_SYM(__typeof__(verbs), ibv_open_device, open_device),
		DL_SYM(__typeof__(verbs), ibv_close_device, close_device),
		DL_SYM(__typeof__(verbs), _ibv_query_gid_table, query_gid_table),
	};
	return dl_load(&ibv_handle, LIBIBVERBS_SONAME, "libibverbs1", &verbs, syms, ARRAY_SIZE(syms));
}

/* Every valid GID entry of the device (all ports), or -errno. */
static ssize_t gid_table(struct ibv_context *ctx, struct ibv_gid_entry **out)
{
	for (size_t max = 64; max <= 65536; max *= 4) {
		struct ibv_gid_entry *e = xcalloc(max, sizeof(*e));
		ssize_t n = verbs.query_gid_table(ctx, e, max, 0, sizeof(*e));

		if (n >= 0) {
			*out = e;
			return n;
		}
		free(e);
		if (n != -EINVAL)
			return n;
	}
	return -E2BIG;
}

int netdev_roce_gids(int ifindex, char *dev, size_t len)
{
	struct ibv_device **list;
	int n, best = 0;

	if (verbs_load() < 0)
		return 0;
	list = verbs.get_device_list(&n);
	if (!list)
		return 0;
	for (int i = 0; i < n && best < 2; i++) {
		struct ibv_context *ctx = verbs.open_device(list[i]);
		_cleanup_free_ struct ibv_gid_entry *e = NULL;
		ssize_t ne;

		if (!ctx)
			continue;
		ne = gid_table(ctx, &e);
		for (ssize_t g = 0; g < ne && best < 2; g++) {
			int kind = e[g].gid_type == IBV_GID_TYPE_ROCE_V2 ? 2 : 1;

			if ((int)e[g].ndev_ifindex != ifindex || kind <= best)
				continue;
			best = kind;
			snprintf(dev, len, "%s", verbs.get_device_name(list[i]));
		}
		verbs.close_device(ctx);
	}
	verbs.free_device_list(list);
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
	switch (netdev_roce_gids(idx, out->rdma_dev, sizeof(out->rdma_dev))) {
	case 2: out->state = ADDR_OK; break;
	case 1: out->state = ADDR_ROCE_V1_ONLY; break;
	default: out->state = ADDR_NO_RDMA; break;
	}
	return 0;
}

char *netdev_pci_bdf(const char *sysfs, const char *ifname)
{
	_cleanup_free_ char *p = xasprintf("%s/class/net/%s/device", sysfs, ifname);
	char buf[PATH_MAX];
	char *resolved = realpath(p, buf);
	char *base;

	if (!resolved)
		return NULL;
	/* virtio NICs: .../0000:81:00.0/virtio1 — take the PCI parent */
	base = strrchr(buf, '/');
	if (base && !strncmp(base + 1, "virtio", 6)) {
		*base = '\0';
		base = strrchr(buf, '/');
	}
	if (!base)
		return NULL;
	unsigned d, b, s, f;
	if (sscanf(base + 1, "%x:%x:%x.%x", &d, &b, &s, &f) != 4)
		return NULL;
	return xstrdup(base + 1);
}

bool netdev_addr_any(const char *traddr)
{
	return streq_ptr(traddr, "0.0.0.0") || streq_ptr(traddr, "::");
}
