/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What nvmetd advertises over mDNS, and what to do about it, without any I/O: the services wanted,
 * grouped by the address they are at; the state of every record avahi-daemon holds for us; the name
 * a record takes after a collision; a snapshot for the state file. Each change is a call to
 * struct mdns_ops, which the Avahi side implements (mdns-avahi.c) and the unit tests record.
 *
 * A record is published once and then left alone: a new discovery NQN is a TXT update of the
 * services (no goodbye, no re-probe), withdrawing one service touches no other, and a record that
 * failed or gave up its name is tried again at the next sync (nvmetd syncs after every change it
 * sees, and on reload). */
#ifndef NVMETD_MDNS_TAB_H
#define NVMETD_MDNS_TAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdns.h"

#define MDNS_SERVICE_TYPE "_nvme-disc._tcp"
/* Collisions in a row (none established in between) before a name is given up until the next sync:
 * a name that collides this often is a loop (a bridged or reflected link), not a neighbour. */
#define MDNS_MAX_RENAMES 16

enum mdns_rec_state {
	MDNS_PENDING,		/* to publish (new, or Avahi was not running) */
	MDNS_COMMITTED,		/* handed to avahi-daemon, which probes the name */
	MDNS_ESTABLISHED,	/* on the network */
	MDNS_FAILED,		/* publishing failed: tried again at the next sync */
	MDNS_GAVE_UP,		/* the name kept colliding: tried again, from the first name, at the next sync */
};

/* A record's name: the first choice and the alternatives after it. */
struct mdns_name {
	char *base;		/* the first choice (a host name: the label, without ".local") */
	char *cur;		/* what it is published as now */
	unsigned attempt;	/* 1: base; n > 1: the n-th alternative */
	unsigned renames;	/* collisions since the record was last established */
};

struct mdns_addr;
struct mdns_tab;

/* One service, in its own entry group: withdrawing or renaming it touches no other service. */
struct mdns_svc {
	struct mdns_name name;	/* the DNS-SD instance name */
	uint16_t port;
	char *trtype;
	char *proto;		/* TXT p= */
	char *txt_nqn;		/* the nqn= avahi-daemon has, NULL when it has nothing */
	enum mdns_rec_state state;
	bool keep;		/* during a sync: wanted again */
	struct mdns_addr *addr;	/* where it is */
	void *io;		/* the Avahi side's (an entry group) */
};

/* An address ports listen on. Unless it is a wildcard it gets a host name of its own with an A/AAAA
 * record for exactly that address, so a browser resolves the services there to the address the
 * ports listen on. */
struct mdns_addr {
	char *key;		/* "ifindex adrfam traddr" */
	int ifindex;		/* 0: every interface */
	bool ipv6;
	char *addr;
	struct mdns_name host;	/* base and cur are NULL for a wildcard: the machine's own name */
	enum mdns_rec_state state;
	bool keep;
	struct mdns_svc **svcs;
	size_t n;
	struct mdns_tab *tab;
	void *io;
};

/* What the Avahi side does. publish_* (re)publish a record under its current name (and *io holds
 * what the implementation keeps); each returns 0, MDNS_TAKEN when another program on this host has
 * the name (handled like a collision on the network), or a negative error for strerror. */
#define MDNS_TAKEN 1
struct mdns_ops {
	int (*publish_addr)(struct mdns_tab *t, struct mdns_addr *a);
	int (*publish_svc)(struct mdns_tab *t, struct mdns_svc *s);
	int (*update_txt)(struct mdns_tab *t, struct mdns_svc *s);
	/* withdraw what *io holds and set it to NULL (*io may be NULL already) */
	void (*withdraw)(struct mdns_tab *t, void **io);
	const char *(*strerror)(int err);
};

struct mdns_tab {
	const struct mdns_ops *ops;
	void *ud;		/* the Avahi side's */
	bool live;		/* avahi-daemon takes records now; else they wait (MDNS_PENDING) */
	char *nqn;		/* the TXT nqn= of every service */
	struct mdns_addr **addrs;
	size_t n;
};

void mdns_tab_init(struct mdns_tab *t, const struct mdns_ops *ops, void *ud);
/* Withdraws what is published and frees everything. */
void mdns_tab_free(struct mdns_tab *t);
/* What should be advertised now: withdraw what is no longer wanted, publish what is new, update
 * the TXT of the rest if nqn changed, try again what failed. hostname names new records. */
void mdns_tab_sync(struct mdns_tab *t, const struct mdns_service *v, size_t n, const char *nqn,
		   const char *hostname);
/* Publish what waits, failed or gave up its name, and TXT changes (when live). */
void mdns_tab_retry(struct mdns_tab *t);
/* avahi-daemon takes records (running) or not (its own host name is being registered): everything
 * is published, or withdrawn and kept to publish again. */
void mdns_tab_set_live(struct mdns_tab *t, bool live);
/* The records died with the connection to avahi-daemon (nothing to withdraw): all wait. */
void mdns_tab_lost(struct mdns_tab *t);

/* What avahi-daemon says about a record. */
void mdns_svc_established(struct mdns_svc *s);
void mdns_svc_collision(struct mdns_svc *s);
void mdns_svc_failed(struct mdns_svc *s, int err);
void mdns_addr_established(struct mdns_addr *a);
void mdns_addr_collision(struct mdns_addr *a);
void mdns_addr_failed(struct mdns_addr *a, int err);

#endif
