/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A node's role in a cluster (nvmetcfg role, written by the ocf:nvmetd:nvmet agent): operational state,
 * not configuration, recorded like a drain in <rundir>/role and honoured by every apply and every
 * nvmetd reconcile. The cluster manager decides the role; nvmetd (or an administrator's apply) is
 * what writes configfs.
 *   unpromoted: every port listens, its ANA group at the standby state (inaccessible, or
 *               non-optimized for shared storage) unless something more restrictive applies;
 *   promoted:   the states nvmf.conf gives (drains and port health still win);
 *   none:       no record: nvmf.conf alone.
 * The record also carries this node's controller-ID range (attr_cntlid_min/max of every subsystem),
 * so a host connected to two nodes never sees one controller ID twice. */
#ifndef NVMET_ROLE_H
#define NVMET_ROLE_H

#include <stdbool.h>

#include "ctx.h"
#include "model.h"

/* The kernel's controller IDs: 1..0xffef (0xfff0 and up are reserved; 0xffff is the dynamic ID). */
#define NVMET_CNTLID_MAX 0xffefu

enum nv_role { ROLE_NONE, ROLE_UNPROMOTED, ROLE_PROMOTED };

struct nv_role_rec {
	enum nv_role role;
	const char *standby;		/* "inaccessible" (default) or "non-optimized" */
	unsigned cntlid_min, cntlid_max; /* 0, 0: none given */
};

const char *role_name(enum nv_role r);
/* "promoted", "unpromoted", "none" (also "master"/"slave"/"stopped" are refused): 0 or -EINVAL. */
int role_parse(const char *s, enum nv_role *r);
/* "MIN-MAX", 1 <= MIN < MAX <= 0xffef: 0 or -EINVAL (-ERANGE when the numbers are out of range). */
int role_parse_range(const char *s, unsigned *min, unsigned *max);
/* The record, or role none when there is none. 0, -EINVAL for a record that does not parse, or -errno. */
int role_read(struct nv_ctx *c, struct nv_role_rec *r);
/* Write the record atomically (role none without a range removes it). 0 or -errno. */
int role_write(struct nv_ctx *c, const struct nv_role_rec *r);
/* Put the record on a desired model: ports' standby state, subsystems' controller-ID range (where
 * nvmf.conf gives none). The usual case — no record — is one failed open. */
void role_mark(struct nv_ctx *c, struct nv_model *m);

#endif
