/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd's Avahi client: the connection to avahi-daemon over the system D-Bus and the entry groups
 * that carry mdns-tab's records. Every avahi-client call is a synchronous D-Bus round trip, so all
 * of this runs on the thread that runs poll (mdns.c's), never on nvmetd's loop: call these functions
 * there only (or before that thread starts / after it ended). changed(ud) is called there after
 * anything that may change the snapshot. */
#ifndef NVMETD_MDNS_AVAHI_H
#define NVMETD_MDNS_AVAHI_H

#include <avahi-common/watch.h>

#include "mdns-snap.h"

struct mdns_avahi;

/* Connects on poll's first turn. Returns 0 or -errno. */
int mdns_avahi_new(const AvahiPoll *poll, void (*changed)(void *ud), void *ud, struct mdns_avahi **out);
/* What should be advertised now. */
void mdns_avahi_want(struct mdns_avahi *x, const struct mdns_service *v, size_t n, const char *nqn);
/* Without a client: connect now (the back-off starts over). With one: publish again what failed. */
void mdns_avahi_retry(struct mdns_avahi *x);
void mdns_avahi_snapshot(const struct mdns_avahi *x, struct mdns_snap *out);
/* Withdraw everything, disconnect. */
void mdns_avahi_free(struct mdns_avahi *x);

#endif
