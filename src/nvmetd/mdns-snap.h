/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What crosses between nvmetd's loop and the Avahi thread, by value: a copy of what is advertised
 * (the thread makes it, the loop reads it for the state file) and a copy of what is wanted. */
#ifndef NVMETD_MDNS_SNAP_H
#define NVMETD_MDNS_SNAP_H

#include <stdbool.h>
#include <stddef.h>

#include "mdns-tab.h"

struct mdns_snap_svc {
	char *name;
	char *addr;
	unsigned port;
	int ifindex;
	char *proto;
	const char *state;	/* "advertised", "pending", "failed", "name taken" */
};

struct mdns_snap {
	const char *avahi;	/* the client's state (a literal) */
	char *nqn;
	struct mdns_snap_svc *v;
	size_t n;
};

void mdns_tab_snapshot(const struct mdns_tab *t, const char *avahi, struct mdns_snap *out);
bool mdns_snap_equal(const struct mdns_snap *a, const struct mdns_snap *b);
void mdns_snap_free(struct mdns_snap *s);
/* The state file's "mdns" object: {"avahi": state, "services": [{name, type, address, port,
 * interface, p, nqn, state}]}. */
struct json_object *mdns_snap_json(const struct mdns_snap *s);

/* A deep copy of a service list (its strings too), and its release. */
struct mdns_service *mdns_services_dup(const struct mdns_service *v, size_t n);
void mdns_services_free(struct mdns_service *v, size_t n);

#endif
