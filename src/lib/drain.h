/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ports drained for maintenance (nvmetcfg drain): operational state, not configuration. A drain is a
 * file /run/nvmet/drained/<address>, so it is gone at reboot; every apply and nvmetd's every reconcile
 * honour it (the drained port's ANA group stays inaccessible whatever nvmf.conf says). */
#ifndef NVMET_DRAIN_H
#define NVMET_DRAIN_H

#include <stdbool.h>

#include "ctx.h"
#include "model.h"

/* "192.168.20.200:4420" or "[fe80::1]:4420" -> the normalised key, or -EINVAL. */
int drain_parse(const char *arg, char **key);
/* The key of a port's address ("" if it has none). Allocated. */
char *drain_port_key(const struct nv_port *p);
/* Record or drop a drain. 0 or -errno. */
int drain_set(struct nv_ctx *c, const char *key, bool on);
bool drain_has(struct nv_ctx *c, const char *key);
/* Set p->drained on every port of m from the records. */
void drain_mark(struct nv_ctx *c, struct nv_model *m);

#endif
