/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmf.conf and nvmetd's rpc.conf as one desired configuration. Each object is defined in one file:
 * the same subsystem NQN, bdev name, NVMe controller (name or PCI address), transport type or a
 * [Malloc] section or keyring key name in both is an error naming both files and lines. A Listen address both files use
 * is one port with both files' subsystems linked. */
#ifndef NVMET_CONFMERGE_H
#define NVMET_CONFMERGE_H

#include "spdkconf.h"

/* Where a merged object comes from (nv_subsys.src, nv_port.src bits; 0: a config loaded alone). */
#define NV_SRC_CONF 1u	/* nvmf.conf */
#define NV_SRC_RPC 2u	/* rpc.conf (SPDK JSON-RPC) */

/* Move everything of rpc (parsed with base = *into, spdkconf_from_text_base) into *into; rpc is freed
 * either way. Returns 0, or -EINVAL with the conflicts in rep (and *into unchanged). */
int conf_merge(struct nv_config *into, struct nv_config *rpc, struct nv_report *rep);

/* nvmf.conf's text and rpc.conf's (NULL: none) -> the merged configuration. Problems of either file
 * go to rep under its own name. Returns 0 or -EINVAL. */
int conf_load_both(const char *conf_path, const char *conf_text, const char *rpc_path, const char *rpc_text,
		   struct nv_config **out, struct nv_report *rep);

/* Merge the rpc.conf at rpc_path (a missing file: nothing to merge) into *cfg, as nvmetd does;
 * problems go to rep. Returns 0 or -errno (*cfg unchanged). */
int conf_merge_file(struct nv_config *cfg, const char *rpc_path, struct nv_report *rep);

/* The file(s) src names, for people: cfg's path, its rpc_path, or "A and B". Never NULL. */
char *conf_source(const struct nv_config *cfg, unsigned src);

#endif
