/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Can a port serve? One answer, read by everything that needs it: the ANA state nvmetd gives the
 * port's group, the mDNS advertisement, `nvmetcfg status`, the STATUS= line. A port serves when the
 * kernel listens on it (objstate: OK), at least one subsystem is linked to it in the live tree, its
 * address is on an interface that is up with carrier, and — RDMA — a RoCE v2 capable device holds
 * the address. The decision is a pure function of what was observed; the observation goes through
 * struct net_ops so it can be replaced in tests. */
#ifndef NVMETD_PORTHEALTH_H
#define NVMETD_PORTHEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"

/* What the system shows of a port's address now. */
struct port_obs {
	bool addr_present;	/* some interface holds the address */
	bool link_up;		/* ...and that interface is up with carrier (IFF_UP and IFF_RUNNING) */
	int ifindex;		/* that interface */
	char rdma_dev[64];	/* RDMA: the device with a RoCE v2 GID for the address, "" if none */
};

struct net_ops {
	/* 0 or -errno (then the port is treated as not observable: its health does not change) */
	int (*observe)(void *ud, const char *trtype, const char *adrfam, const char *traddr, struct port_obs *o);
	void *ud;
};
extern const struct net_ops net_real;

enum port_health {
	PORT_SERVING,		/* hosts can reach the subsystems linked to it */
	PORT_NOT_LISTENING,	/* the kernel does not listen (waiting, failed, RDMA device gone) */
	PORT_NO_ADDRESS,	/* its address went away */
	PORT_LINK_DOWN,		/* its address is there, its interface down or without carrier */
	PORT_NO_RDMA,		/* RDMA: no RoCE v2 device holds its address */
	PORT_NOT_LINKED,	/* no subsystem is linked to it: nothing to serve */
};

struct port_view {
	enum port_health health;
	bool ana_down;		/* it served and cannot now: its ANA group is made inaccessible */
	struct port_obs obs;	/* what was observed (all zero for a wildcard address) */
};

/* The decision, from the port's object state, what was observed and how many subsystems are linked. */
enum port_health port_health_of(enum obj_state st, bool rdma, bool wildcard, const struct port_obs *obs,
				size_t linked);
/* Whether a port in this health should have its ANA group inaccessible: it was serving (the kernel
 * listens, or its RDMA device went away under it) and its address, link or device is gone. A port
 * that never listened, or that nothing is linked to, has no host connected through it. */
bool port_health_ana_down(enum port_health h, enum obj_state st);
const char *port_health_str(enum port_health h);
/* What to look at, for status: "the interface holding its address is down or has no carrier". */
const char *port_health_reason(enum port_health h);

/* How many subsystems are linked to port id in the live tree (0 when it has no id or cannot be read). */
size_t port_linked(const char *nvmet, unsigned id);

/* Observe every configured port and decide its health into d->ports[] (one per cfg->model->ports[]).
 * relinked (may be NULL): ports relinked in this reconcile count as listening. */
void port_health_refresh(struct daemon *d, const bool *relinked);
/* Whether some port's ana_down differs from what the last apply was given (nv_port.ana_down). */
bool port_health_ana_changed(const struct daemon *d);
void port_views_free(struct daemon *d);

#endif
