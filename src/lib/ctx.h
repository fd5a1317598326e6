/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The context every library call takes: where configfs, the nvmet tree, sysfs and the run directory
 * are, the configfs calls (real or a test double), the apply lock. */
#ifndef NVMET_CTX_H
#define NVMET_CTX_H

#include <stdbool.h>

#include "util.h"

#define NVMET_DEFAULT_CONFIG "/etc/nvmet/nvmf.conf"
#define NVMET_LOCK_FILE "/run/nvmetd/apply.lock"

struct udev;
struct cfs_ops;
struct exec_runner;

/* What the library asks of the system besides configfs: loading modules and mounting configfs. The
 * real calls, or — with the roots redirected under a test directory, as kmod's testsuite does —
 * none: a test root has no modules to load and nothing to mount. */
struct sys_ops {
	int (*load_module)(const char *name, const char *options);	/* 0 or -errno */
	int (*mount_configfs)(const char *where);			/* 0 or -errno */
};
extern const struct sys_ops sys_real, sys_none;

struct nv_ctx {
	char *configfs;		/* configfs mount point; the nvmet tree is <configfs>/nvmet */
	char *nvmet;		/* <configfs>/nvmet */
	char *sysfs;		/* sysfs root */
	char *procfs;		/* procfs root */
	char *rundir;		/* operational state that must not survive a reboot (drains): /run/nvmet, not
				 * the unit's RuntimeDirectory, which systemd empties when nvmetd stops: a
				 * drain outlives an nvmetd restart */
	struct udev *udev;	/* NULL under test roots: SSDs cannot be looked up */
	int lock_fd;
	char *lock_path;	/* the apply lock: /run/nvmetd/apply.lock, or inside the test root */
	const struct cfs_ops *ops;	/* configfs calls: real, or a test double */
	const struct sys_ops *sys;	/* modules and mounts: real, or none under test roots */
	unsigned jobs;		/* configfs operations in flight at most (0: the executor's default) */
	const struct exec_runner *runner;	/* how they run: NULL = a pool of threads; tests: their own */
};

/* Roots come from NVMET_CONFIGFS_ROOT / NVMET_SYSFS_ROOT / NVMET_PROCFS_ROOT when set (tests), else
 * the real ones. */
int ctx_new(struct nv_ctx **out);
void ctx_free(struct nv_ctx *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nv_ctx *, ctx_free)

/* Take the apply lock (flock) so two applies never interleave. Returns 0 or -errno. */
int ctx_lock(struct nv_ctx *c);
void ctx_unlock(struct nv_ctx *c);

#endif
