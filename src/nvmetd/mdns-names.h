/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The names nvmetd's mDNS records take, first and after a collision. Avahi's own
 * avahi_alternative_host_name() cannot serve: it takes a single label only (NULL for
 * "x-10-0-0-1.local"), and without ".local" it counts up trailing digits, turning "x-10-0-0-1" into
 * "x-10-0-0-2", which reads as another address. Each name here fits a DNS label: the first part is
 * cut, on a UTF-8 character boundary, to leave room for the suffix. Never NULL. */
#ifndef NVMETD_MDNS_NAMES_H
#define NVMETD_MDNS_NAMES_H

#define MDNS_LABEL_MAX 63	/* bytes in a DNS label */

/* The host name label of an address: "<hostname>-<traddr>" with '.', ':' and '%' made '-'. */
char *mdns_host_label(const char *hostname, const char *traddr);
/* Attempt 1: "<label>.local"; attempt n > 1: "<label>-alt<n>.local". */
char *mdns_alt_host(const char *label, unsigned attempt);
/* Attempt 1: base; attempt n > 1: "<base> #<n>" (Avahi's style for instance names). */
char *mdns_alt_service(const char *base, unsigned attempt);

#endif
