/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel side of the target: nvmet's modules (libkmod) and the configfs mount. */
#ifndef NVMET_KERNEL_H
#define NVMET_KERNEL_H

#include <stdbool.h>

#include "ctx.h"

#include <stddef.h>

/* Make the nvmet configfs tree available: load nvmet (libkmod), mount configfs if needed, and the
 * transport modules asked for. Returns 0 or -errno with *why (allocated) saying what failed and what
 * to do; a transport module that does not load is not an error: a message is added to *warnings. */
int kernel_prepare(struct nv_ctx *c, bool need_rdma, bool need_tcp, char **why, char ***warnings,
		   size_t *nwarnings);
/* Mount configfs at the context's configfs root unless something did. 0 or -errno. */
int configfs_mount(struct nv_ctx *c);
/* Load one module by name or alias (with module options, or NULL); 0 or -errno. */
int kmod_load_opts(const char *name, const char *options);

#endif
