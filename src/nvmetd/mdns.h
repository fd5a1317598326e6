/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NVMe discovery over mDNS/DNS-SD (TP8009) through the system's Avahi daemon: one _nvme-disc._tcp
 * service per port that really listens, on the interface that holds its address, with the TXT keys
 * hosts (nvme-stas) read: nqn=<discovery NQN>, p=tcp|roce|iwarp|rdma. nvmetd tells this module the
 * set it wants after every change; the module diffs it against what is published. Avahi's client
 * runs on nvmetd's sd-event loop (no thread, no polling); when avahi-daemon is absent or restarts,
 * the services are published again as soon as it is back on the bus. */
#ifndef NVMETD_MDNS_H
#define NVMETD_MDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

struct json_object;

struct mdns_service {
	const char *trtype;	/* "tcp", "rdma" */
	const char *adrfam;	/* "ipv4", "ipv6" */
	const char *traddr;	/* the port's address; a wildcard (0.0.0.0, ::) is advertised on every interface */
	const char *trsvcid;
	int ifindex;		/* the interface holding traddr (0 for a wildcard) */
	const char *proto;	/* TXT p=: "tcp", "roce", "iwarp" or "rdma" */
};

struct mdns;

/* Connect to avahi-daemon over D-Bus (or wait for it). changed(ud) is called when what is advertised
 * changes state by itself (published, withdrawn because avahi-daemon went away). Returns 0 or -errno. */
int mdns_start(sd_event *ev, void (*changed)(void *ud), void *ud, struct mdns **out);
/* What should be advertised now; nqn is the discovery NQN the kernel reports. */
void mdns_update(struct mdns *m, const struct mdns_service *v, size_t n, const char *nqn);
/* Withdraw everything and disconnect. */
void mdns_stop(struct mdns *m);
/* For the state file: {"daemon": "running"|..., "services": [{name, address, port, txt, state}]} */
struct json_object *mdns_json(const struct mdns *m);

#endif
