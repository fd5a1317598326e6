/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

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

/* A port's attribute file rel (relative to the port's directory), stripped, into buf. 1 when read; 0
 * when it reads as nothing (the kernel refuses to read an empty GID entry); -ENOENT when there is no
 * such file; another negative errno when it cannot be opened. */
static int port_attr(int portfd, const char *rel, char *buf, size_t len)
{
	int fd = openat(portfd, rel, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	memmove(buf, strstrip(buf), strlen(strstrip(buf)) + 1);
	return 1;
}

/* A GID entry's attribute, gid_attrs/{ndevs,types}/IDX of a port: its netdev's name, its type ("RoCE v2",
 * "IB/RoCE v1"). 1 when read; 0 for an empty entry (the kernel refuses to read it) or an IB GID (no
 * netdev); -ENOENT past the end of the table (every index below it has its files, used or not). */
static int gid_attr(int portfd, const char *attr, unsigned idx, char *buf, size_t len)
{
	char rel[64];
	int r;

	snprintf(rel, sizeof(rel), "gid_attrs/%s/%u", attr, idx);
	r = port_attr(portfd, rel, buf, len);
	return r == -ENOENT || r >= 0 ? r : 0;
}

/* An InfiniBand port (link_layer "InfiniBand") has no netdev in its GIDs. */
static bool port_is_ib(int portfd)
{
	char buf[32];

	return port_attr(portfd, "link_layer", buf, sizeof(buf)) > 0 && streq(buf, "InfiniBand");
}

/* The interfaces a GID of ifname can hang from: ifname and every device below it (a VLAN's, a
 * macvlan's or a bond's lower devices, their lowers; sysfs's lower_* links), at most NV_LOWERS. */
#define NV_LOWERS 32
static void add_lowers(const char *sysfs, const char *ifname, char ***v, size_t *n, unsigned depth)
{
	_cleanup_free_ char *dir = xasprintf("%s/class/net/%s", sysfs, ifname);
	_cleanup_closedir_ DIR *d = NULL;

	strv_add_unique(v, n, ifname);
	if (depth >= 8 || !(d = opendir(dir)))
		return;
	for (struct dirent *e; *n < NV_LOWERS && (e = readdir(d));)
		if (!strncmp(e->d_name, "lower_", 6) && !strv_contains(*v, *n, e->d_name + 6))
			add_lowers(sysfs, e->d_name + 6, v, n, depth + 1);
}

struct gid_query {
	const char *ifname;
	char **below;		/* add_lowers(ifname) */
	size_t nbelow;
};

static int type_rank(int portfd, unsigned idx)
{
	char buf[64];

	if (gid_attr(portfd, "types", idx, buf, sizeof(buf)) <= 0)
		return 0;
	return streq(buf, "RoCE v2") ? 2 : 1;
}

/* The best GID kind of one port on q->ifname: 2 = RoCE v2, 1 = RoCE v1, 0 = none. The kernel reserves
 * a RoCE port's first entries (0, and 1 with two GID types) for its netdev's default GIDs, adds them
 * before any address's GIDs and removes them with those, and gives an address's GIDs to the port only
 * when its interface is that netdev or above it. So: both empty, the port has no GID at all (its netdev
 * down, or a device just added whose table is still being filled); a netdev not below ifname (another
 * interface's device, one in another namespace) has none of ifname's; ifname the netdev itself, its
 * default GIDs have every type it has. Only an interface above the netdev (a VLAN, a bond) reads on,
 * past holes, until a v2 entry: a table is 1024 entries on rxe, three syscalls each. */
static int port_best(int portfd, const struct gid_query *q)
{
	char buf[64];
	int best = 0, r = 0;
	unsigned i;

	if (port_is_ib(portfd))
		return 0;
	for (i = 0; i < 2 && r <= 0; i++)
		r = gid_attr(portfd, "ndevs", i, buf, sizeof(buf));
	if (r <= 0 || !strv_contains(q->below, q->nbelow, buf))
		return 0;
	if (streq(buf, q->ifname)) {
		int a = type_rank(portfd, 0), b = type_rank(portfd, 1);
		return a > b ? a : b;
	}
	for (i = 2; best < 2 && (r = gid_attr(portfd, "ndevs", i, buf, sizeof(buf))) >= 0; i++)
		if (r > 0 && streq(buf, q->ifname)) {
			int k = type_rank(portfd, i);
			best = k > best ? k : best;
		}
	return best;
}

static int device_best(const char *cls, const char *dev, const struct gid_query *q)
{
	_cleanup_free_ char *ports = xasprintf("%s/%s/ports", cls, dev);
	_cleanup_closedir_ DIR *d = opendir(ports);
	int best = 0;

	for (struct dirent *e; d && best < 2 && (e = readdir(d));) {
		int fd, k;

		if (e->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		k = port_best(fd, q);
		close(fd);
		best = k > best ? k : best;
	}
	return best;
}

/* The GID tables through sysfs, as rdma-core reads them without its ioctl: no libibverbs, whose
 * first device list dlopens every provider library of the system and keeps them mapped. */
int netdev_roce_gids_at(const char *sysfs, const char *ifname, char *dev, size_t len)
{
	_cleanup_free_ char *cls = path_join(sysfs, "class/infiniband");
	_cleanup_closedir_ DIR *d = opendir(cls);
	struct gid_query q = { .ifname = ifname };
	int best = 0;

	if (d)
		add_lowers(sysfs, ifname, &q.below, &q.nbelow, 0);
	for (struct dirent *e; d && best < 2 && (e = readdir(d));) {
		int k;

		if (e->d_name[0] == '.')
			continue;
		k = device_best(cls, e->d_name, &q);
		if (k > best) {
			best = k;
			snprintf(dev, len, "%s", e->d_name);
		}
	}
	strv_free(q.below, q.nbelow);
	return best;
}

int netdev_roce_gids(int ifindex, char *dev, size_t len)
{
	char ifname[IF_NAMESIZE];

	if (!if_indextoname((unsigned)ifindex, ifname))
		return 0;
	return netdev_roce_gids_at("/sys", ifname, dev, len);
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
