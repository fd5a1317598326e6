/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ReactorMask's replacement: each SSD's and NIC's IRQs on its NUMA node's CPUs (∩ ReactorMask),
 * applied after every reconcile; logged when the result changes. */
#ifndef NVMETD_IRQPIN_H
#define NVMETD_IRQPIN_H

#include "daemon.h"

void irqpin_apply(struct daemon *d);

#endif
