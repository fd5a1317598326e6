/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libnvmetcore: the one library both nvmetcfg and nvmetd link. Context and entry points. */
#ifndef NVMET_NVMET_H
#define NVMET_NVMET_H

#include <stdbool.h>

#include "spdkconf.h"
#include "model.h"
#include "report.h"

#define NVMET_DEFAULT_CONFIG "/etc/nvmet/nvmf.conf"
#define NVMET_LOCK_FILE "/run/nvmetd/apply.lock"

struct udev;
struct cfs_ops;

struct nv_ctx {
	char *configfs;		/* configfs mount point; the nvmet tree is <configfs>/nvmet */
	char *nvmet;		/* <configfs>/nvmet */
	char *sysfs;		/* sysfs root */
	char *rundir;		/* operational state that must not survive a reboot (drains): /run/nvmet, not
				 * the unit's RuntimeDirectory, which systemd empties when nvmetd stops: a
				 * drain outlives an nvmetd restart */
	bool fake;		/* roots overridden by the environment: no modules, no udev, no mounts */
	struct udev *udev;
	int lock_fd;
	const struct cfs_ops *ops;	/* configfs calls: real, or a test double */
};

/* Roots come from NVMET_CONFIGFS_ROOT / NVMET_SYSFS_ROOT when set (tests), else the real ones. */
int ctx_new(struct nv_ctx **out);
void ctx_free(struct nv_ctx *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nv_ctx *, ctx_free)

/* Take the apply lock (flock) so two applies never interleave. Returns 0 or -errno. */
int ctx_lock(struct nv_ctx *c);
void ctx_unlock(struct nv_ctx *c);

/* Make the nvmet configfs tree available: load nvmet (libkmod), mount configfs if needed. */
int kernel_prepare(struct nv_ctx *c, bool need_rdma, bool need_tcp);
/* Mount configfs at the context's configfs root unless something did. */
int configfs_mount(struct nv_ctx *c);
/* Load one module by name or alias (with module options, or NULL); 0 or -errno. */
int kmod_load(const char *name);
int kmod_load_opts(const char *name, const char *options);

/* [Malloc] RAM disks (null_blk through configfs). create=false (plan, check) only describes what
 * apply would make. ramdisk_gc removes nvmetd's RAM disks no namespace of keep uses. */
int ramdisk_resolve(struct nv_ctx *c, const char *name, unsigned long long size_mb, unsigned block_size,
		    bool create, char **dev, char **why);
int ramdisk_gc(struct nv_ctx *c, const struct nv_model *keep);

/* Read the live nvmet configfs tree. Returns 0 or -errno; an absent tree is an empty model. */
int live_read(struct nv_ctx *c, struct nv_model **out);

/* Resolve every namespace's bdev to a device_path (udev for NVMe). Errors go to rep. RESOLVE_F_TOLERANT (nvmetd):
 * a missing device is a warning and its namespace is marked disabled instead; RESOLVE_F_CREATE makes
 * [Malloc] RAM disks (apply), without it they are only described (plan, check). */
enum { RESOLVE_F_TOLERANT = 1, RESOLVE_F_CREATE = 2 };
int resolve_namespaces(struct nv_ctx *c, struct nv_config *cfg, unsigned flags, struct nv_report *rep);
/* For show: the NVMe controller PCI address and NSID behind a block device path, if any. */
int resolve_nvme_path(struct nv_ctx *c, const char *devpath, char **bdf, unsigned *nsid);

#endif
