/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd's lifecycle, as systemd's small daemons have it: new (settings, context, signals, the
 * first reconcile, READY=1), run (the event loop), stop (withdraw, clear or keep the target), free. */
#ifndef NVMETD_MANAGER_H
#define NVMETD_MANAGER_H

#include "daemon.h"

/* Returns 0, or an exit status for main: 2 (nothing to serve: the config has errors), 1. */
int manager_start(struct daemon *d);
/* The loop, until SIGTERM/SIGINT. Returns 0 or -errno. */
int manager_run(struct daemon *d);
/* After the loop: withdraw the advertisement, then remove the target or leave it serving. */
void manager_stop(struct daemon *d);
void manager_free(struct daemon *d);

/* For the RPC methods (rpc-commit.c): make cfg the running configuration, returning the one it
 * replaces; then one reconcile (and what follows it: IRQs, port health, status) watching w. */
struct rec_watch;
struct nv_config *manager_install(struct daemon *d, struct nv_config *cfg);
int manager_reconcile(struct daemon *d, const char *why, struct rec_watch *w);
/* Busy (an RPC change is applied on its thread): the loop holds back what would touch the daemon's
 * state (events, timers, signals: d->held). Not busy again: what follows a reconcile (IRQs, timer,
 * port health, status), then what was held. On the loop only. */
void manager_busy(struct daemon *d, bool busy);

#endif
