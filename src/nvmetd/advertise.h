/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which ports to advertise over mDNS: exactly those whose health is PORT_SERVING (porthealth.h), on
 * the interface that holds their address. Called after every reconcile and port-health change. */
#ifndef NVMETD_ADVERTISE_H
#define NVMETD_ADVERTISE_H

#include "daemon.h"

void advertise(struct daemon *d);

#endif
