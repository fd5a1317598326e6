/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live model -> nvmf.conf text (re-applies to the same state) or JSON (nvmetcli's schema). */
#ifndef NVMET_PRINT_H
#define NVMET_PRINT_H

#include <stdio.h>

#include "nvmet.h"

/* Returns 0 or -errno. The text is malloc'd. */
int print_conf(struct nv_ctx *c, const struct nv_model *m, char **out);
int print_json(const struct nv_model *m, char **out);

#endif
