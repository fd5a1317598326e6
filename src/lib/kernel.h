/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel side of the target: nvmet's modules (libkmod) and the configfs mount. */
#ifndef NVMET_KERNEL_H
#define NVMET_KERNEL_H

#include <stdbool.h>

#include "ctx.h"

/* Make the nvmet configfs tree available: load nvmet (libkmod), mount configfs if needed. */
int kernel_prepare(struct nv_ctx *c, bool need_rdma, bool need_tcp);
/* Mount configfs at the context's configfs root unless something did. */
int configfs_mount(struct nv_ctx *c);
/* Load one module by name or alias (with module options, or NULL); 0 or -errno. */
int kmod_load_opts(const char *name, const char *options);

#endif
