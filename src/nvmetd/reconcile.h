/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bringing the kernel to the configuration as far as it goes, and recording object by object what
 * serves and what does not (objstate). */
#ifndef NVMETD_RECONCILE_H
#define NVMETD_RECONCILE_H

#include "daemon.h"

/* Tell objstate which objects the (newly loaded) configuration has. */
void reconcile_describe(struct daemon *d);
/* One reconcile, under the apply lock: relink RDMA ports whose device returned, give each port's
 * ANA group the state its health asks for, apply with keep-going (held objects untouched), record
 * the outcomes. Returns 0, or -EIO when the kernel target could not be used at all (d->target_error
 * says why; the caller retries on d->target_retry). */
int reconcile(struct daemon *d, const char *why);
/* Only the ports' ANA states follow the health views (port_health_refresh): 0, or -errno when a whole
 * reconcile is needed (a port not in the live tree as the last reconcile left it, a refused write). */
int reconcile_ana(struct daemon *d);
/* When all that is due is RDMA ports whose device went away: relink those whose device is back and
 * record them in objstate; nothing else is read (the caller's health pass writes their ANA states).
 * -EAGAIN when a whole reconcile is needed. */
int reconcile_relink(struct daemon *d);

/* What an RPC change must not fail: the objects under unit (NULL: none), any port when ports. */
struct rec_watch {
	const char *unit;
	bool ports;
	bool keep_lock;	/* the apply lock stays held after the reconcile (the caller writes rpc.conf under
			 * it, then ctx_unlock) */
	char *failed;	/* out: the first watched failure ("subsystem X: namespace 1: ...: No such device"),
			 * or why the apply lock could not be taken */
	int err;	/* out: its negative errno */
};
/* reconcile() watching w (may be NULL). */
int reconcile_watch(struct daemon *d, const char *why, struct rec_watch *w);

#endif
