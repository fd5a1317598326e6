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

/* A GID entry's attribute, gid_attrs/{ndevs,types}/IDX of a port: its netdev's name, its type ("RoCE v2",
 * "IB/RoCE v1"). False for an empty entry (the kernel refuses to read it) or an IB GID (no netdev). */
static bool gid_attr(int portfd, const char *attr, unsigned idx, char *buf, size_t len)
{
	char rel[64];
	int fd;
	ssize_t n;

	snprintf(rel, sizeof(rel), "gid_attrs/%s/%u", attr, idx);
	fd = openat(portfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	memmove(buf, strstrip(buf), strlen(strstrip(buf)) + 1);
	return true;
}

/* The entries of a port's GID table (every index has its files, used or not). */
static unsigned gid_count(int portfd)
{
	int fd = openat(portfd, "gid_attrs/ndevs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	unsigned n = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	return n;
}

/* The best GID kind of one port on ifname: 2 = RoCE v2, 1 = RoCE v1, 0 = none. In index order: the
 * kernel puts a port's default GIDs (one per type) first, so a RoCE port is known after a few reads. */
static int port_best(int portfd, const char *ifname)
{
	unsigned n = gid_count(portfd);
	int best = 0;
	char buf[64];

	for (unsigned i = 0; i < n && best < 2; i++) {
		if (!gid_attr(portfd, "ndevs", i, buf, sizeof(buf)) || !streq(buf, ifname))
			continue;
		if (gid_attr(portfd, "types", i, buf, sizeof(buf)))
			best = streq(buf, "RoCE v2") ? 2 : best > 1 ? best : 1;
	}
	return best;
}

static int device_best(const char *cls, const char *dev, const char *ifname)
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
		k = port_best(fd, ifname);
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
	int best = 0;

	for (struct dirent *e; d && best < 2 && (e = readdir(d));) {
		int k;

		if (e->d_name[0] == '.')
			continue;
		k = device_best(cls, e->d_name, ifname);
		if (k > best) {
			best = k;
			snprintf(dev, len, "%s", e->d_name);
		}
	}
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
