/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd-fake's context: the unit tests' fake configfs (faketree.h) at NVMET_CONFIGFS_ROOT, so host tests
 * of nvmetd (t-rpc.py) see the tree a kernel would make: attributes on mkdir, the kernel's refusals. */
#include <stdlib.h>

#include "faketree.h"

struct nv_ctx *fake_kernel_ctx(void);

/* lives as long as the process (the context's ops point into it); reachable, so not a leak */
extern struct faketree *fake_kernel_tree;
struct faketree *fake_kernel_tree;

struct nv_ctx *fake_kernel_ctx(void)
{
	const char *root = getenv("NVMET_CONFIGFS_ROOT");

	if (!root)
		abort();
	fake_kernel_tree = faketree_at(root, true);
	return faketree_ctx(fake_kernel_tree);
}
