/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live model -> nvmf.conf text (re-applies to the same state) or JSON (nvmetcli's schema). */
#ifndef NVMET_PRINT_H
#define NVMET_PRINT_H

#include <stdio.h>

#include "nvmet.h"

/* Returns 0 or -errno. The text is malloc'd. keep (may be NULL): a config whose settings that live
 * outside configfs ([Global] ReactorMask, [Nvme] HotplugEnable) are carried over, so `save` over
 * an existing nvmf.conf loses nothing nvmetd uses. */
int print_conf(struct nv_ctx *c, const struct nv_model *m, const struct nv_config *keep, char **out);
int print_json(const struct nv_model *m, char **out);

#endif
