/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Moving over from other tools: nvmetcli's saved JSON (/etc/nvmet/config.json) and SPDK's JSON
 * configuration (the "subsystems" array of RPC calls current SPDK saves) become an nvmf.conf. */
#ifndef NVMET_IMPORT_H
#define NVMET_IMPORT_H

#include "model.h"

/* nvmetcli JSON -> model (the same shape `nvmetcfg show --json` prints). Errors name the JSON path. */
int import_nvmetcli(const char *text, struct nv_model **out, char **err);
/* SPDK JSON config -> nvmf.conf text. Unsupported calls are listed as comments in the output. */
int import_spdk_json(const char *text, char **conf, char **err);

#endif
