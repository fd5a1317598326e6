/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NVMe discovery over mDNS/DNS-SD (TP8009) through the system's Avahi daemon: one _nvme-disc._tcp
 * service per port that really listens, on the interface that holds its address, with the TXT keys
 * hosts (nvme-stas) read: nqn=<discovery NQN>, p=tcp|roce|iwarp|rdma. nvmetd tells this module the
 * set it wants after every change; the module diffs it against what is published (mdns-tab.c).
 *
 * avahi-client talks to avahi-daemon in synchronous D-Bus round trips (25 s each when nobody
 * answers), so it runs on a thread of its own, on Avahi's own poll loop (mdns-avahi.c); these
 * functions hand it work and return at once, and changes come back to nvmetd's sd-event loop
 * (mdns.c). Idle, nothing wakes up. When avahi-daemon is absent or restarts, the services are
 * published again as soon as it is back on the bus; when the system bus itself cannot be reached,
 * the client is made again on a back-off timer and by mdns_retry(). */
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

/* Open Avahi's libraries and start the Avahi thread, which connects to avahi-daemon over D-Bus (or
 * waits for it). Call it with the signals nvmetd handles blocked (the thread blocks all of them
 * anyway). changed(ud) is called on ev's thread when what mdns_json() shows changes. Without the
 * libraries there is no thread: mdns_json() says so and mdns_retry() tries again. Returns 0 or
 * -errno (*out is then NULL). */
int mdns_start(sd_event *ev, void (*changed)(void *ud), void *ud, struct mdns **out);
/* What should be advertised now; nqn is the discovery NQN the kernel reports. Returns at once. */
void mdns_update(struct mdns *m, const struct mdns_service *v, size_t n, const char *nqn);
/* On reload: without Avahi's libraries, open them now; without a connection to the system D-Bus,
 * try now (the back-off starts over); with one, publish again what failed. Returns at once. */
void mdns_retry(struct mdns *m);
/* Withdraw everything and disconnect; waits for that a few seconds at most. */
void mdns_stop(struct mdns *m);
/* For the state file: {"avahi": "running"|..., "services": [{name, type, address, port, interface,
 * p, nqn, state}]}, as the Avahi thread last reported it. */
struct json_object *mdns_json(const struct mdns *m);

#endif
