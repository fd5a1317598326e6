/* SPDX-License-Identifier: GPL-2.0-or-later */
/* configfs -> the live model. */
#ifndef NVMET_LIVE_H
#define NVMET_LIVE_H

#include "ctx.h"
#include "model.h"

/* Read the live nvmet configfs tree. Returns 0 or -errno; an absent tree is an empty model. */
int live_read(struct nv_ctx *c, struct nv_model **out);

#endif
