/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmf.conf and nvmetd's rpc.conf as one desired configuration. Each object is defined in one file:
 * the same subsystem NQN, bdev name, NVMe controller (name or PCI address), transport type or a
 * [Malloc] section in both is an error naming both files and lines. A Listen address both files use
 * is one port with both files' subsystems linked. */
#ifndef NVMET_CONFMERGE_H
#define NVMET_CONFMERGE_H

#include "spdkconf.h"

/* Move everything of rpc (parsed with base = *into, spdkconf_from_text_base) into *into; rpc is freed
 * either way. Returns 0, or -EINVAL with the conflicts in rep (and *into unchanged). */
int conf_merge(struct nv_config *into, struct nv_config *rpc, struct nv_report *rep);

/* nvmf.conf's text and rpc.conf's (NULL: none) -> the merged configuration. Problems of either file
 * go to rep under its own name. Returns 0 or -EINVAL. */
int conf_load_both(const char *conf_path, const char *conf_text, const char *rpc_path, const char *rpc_text,
		   struct nv_config **out, struct nv_report *rep);

#endif
