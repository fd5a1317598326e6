/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What an event the monitor saw means for nvmetd: which objects it may fix (objstate), and what the
 * manager has to do about it. */
#ifndef NVMETD_EVENTS_H
#define NVMETD_EVENTS_H

#include "daemon.h"

enum {
	EV_RECONCILE = 1 << 0,	/* something a reconcile could fix may be fixed now */
	EV_HEALTH = 1 << 1,	/* a port's address, link or RDMA device may have changed */
	EV_PUBLISH = 1 << 2,	/* what status shows changed */
};

/* Returns EV_* flags; the reason for a reconcile in *why. */
unsigned daemon_event(struct daemon *d, const struct mon_event *me, const char **why);

#endif
