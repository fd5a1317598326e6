/* SPDX-License-Identifier: GPL-2.0-or-later */
/* At start-up, before the first reconcile: the lvols rpc.conf exports ([AIO] entries named by an lvol's
 * UUID on /dev/<vg>/<lv>) whose device is missing are activated (lvchange -ay -K: thin snapshots skip
 * activation by default), so their namespaces are enabled at once rather than later. After a reboot
 * LVM's own event activation may have done it already, or be about to: whichever comes first, a
 * namespace whose device appears later is enabled then (the block-device events). Bounded: one lvm call
 * per 32 lvols, each at most the lvm timeout; the loop is not running yet. */
#ifndef NVMETD_LVSTART_H
#define NVMETD_LVSTART_H

#include "daemon.h"

void lvstart_activate(struct daemon *d);

#endif
