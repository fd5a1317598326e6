/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd-fake's context: the unit tests' fake configfs (faketree.h) at NVMET_CONFIGFS_ROOT, so host tests
 * of nvmetd (t-rpc.py) see the tree a kernel would make: attributes on mkdir, the kernel's refusals.
 * NVMETD_FAKE_DELAY_MS: every configfs call takes that long (a slow kernel: what the RPC apply's
 * thread is for). */
#include <stdlib.h>
#include <time.h>

#include "exec.h"
#include "faketree.h"

struct nv_ctx *fake_kernel_ctx(void);

/* live as long as the process (the context's ops point into them); reachable, so not a leak */
extern struct faketree *fake_kernel_tree;
struct faketree *fake_kernel_tree;
static struct cfs_ops fast, slow;
static long delay_ms;

static void wait_a_while(void)
{
	struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int slow_mkdir(void *ud, const char *p) { wait_a_while(); return fast.mkdir(ud, p); }
static int slow_rmdir(void *ud, const char *p) { wait_a_while(); return fast.rmdir(ud, p); }
static int slow_write(void *ud, const char *p, const char *v) { wait_a_while(); return fast.write(ud, p, v); }
static int slow_symlink(void *ud, const char *t, const char *l) { wait_a_while(); return fast.symlink(ud, t, l); }
static int slow_unlink(void *ud, const char *p) { wait_a_while(); return fast.unlink(ud, p); }

struct nv_ctx *fake_kernel_ctx(void)
{
	const char *root = getenv("NVMET_CONFIGFS_ROOT"), *delay = getenv("NVMETD_FAKE_DELAY_MS");
	struct nv_ctx *c;

	if (!root)
		abort();
	fake_kernel_tree = faketree_at(root, true);
	c = faketree_ctx(fake_kernel_tree);
	delay_ms = delay ? atol(delay) : 0;
	if (delay_ms > 0) {
		fast = *c->ops;
		slow = (struct cfs_ops){ slow_mkdir, slow_rmdir, slow_write, slow_symlink, slow_unlink, fast.ud };
		c->ops = &slow;
	}
	return c;
}
