/* SPDX-License-Identifier: GPL-2.0-or-later */
/* At start-up: the lvols rpc.conf exports ([AIO] entries named by an lvol's UUID on /dev/<vg>/<lv>)
 * whose device is missing are activated (lvchange -ay -K: thin snapshots skip activation by default).
 * On a thread: nvmetd serves everything else and says READY meanwhile, however many lvols there are
 * (one lvm call per 32, each at most the lvm timeout). A namespace whose device appears is enabled by
 * the block-device event, and done() runs on the loop once every call returned (a reconcile looks
 * again). After a reboot LVM's own event activation may have done it already, or be about to. */
#ifndef NVMETD_LVSTART_H
#define NVMETD_LVSTART_H

#include "daemon.h"

/* 1 when the activation started (done() follows on the loop), 0 when nothing needs it, or -errno. */
int lvstart_begin(struct daemon *d, void (*done)(struct daemon *d));
/* The activation's end, if it runs (manager_stop). */
void lvstart_wait(struct daemon *d);

#endif
