/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state nvmetd publishes for `nvmetcfg status` (readable without privileges): JSON, replaced
 * atomically after every reconcile and every change of what it shows. */
#ifndef NVMETD_STATE_H
#define NVMETD_STATE_H

#include "daemon.h"

/* Returns 0 or -errno. */
int state_publish(struct daemon *d);

#endif
