/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The context every library call takes: where configfs, the nvmet tree, sysfs and the run directory
 * are, the configfs calls (real or a test double), the apply lock. */
#ifndef NVMET_CTX_H
#define NVMET_CTX_H

#include <stdbool.h>

#include "util.h"

#define NVMET_DEFAULT_CONFIG "/etc/nvmet/nvmf.conf"
/* Beside the drains in /run/nvmet, not in nvmetd's RuntimeDirectory (/run/nvmetd), which systemd
 * deletes whenever nvmetd stops: a lock whose file is unlinked under its holder lets the next
 * applier lock a new file at once. */
#define NVMET_LOCK_FILE "/run/nvmet/apply.lock"

struct udev;
struct cfs_ops;
struct exec_runner;
struct key_ops;

/* What the library asks of the system besides configfs: loading modules and mounting configfs. The
 * real calls, or — with the roots redirected under a test directory, as kmod's testsuite does —
 * none: a test root has no modules to load and nothing to mount. */
struct sys_ops {
	int (*load_module)(const char *name, const char *options);	/* 0 or -errno */
	int (*mount_configfs)(const char *where);			/* 0 or -errno */
	/* The type (statfs f_type) of the filesystem holding path, 0 when unknown. Under test roots
	 * 0: fixtures live on whatever the build runs on (an sbuild chroot's overlay), and the
	 * kernel never opens them. */
	long (*fs_type)(const char *path);
};
extern const struct sys_ops sys_real, sys_none;

struct nv_ctx {
	char *configfs;		/* configfs mount point; the nvmet tree is <configfs>/nvmet */
	char *nvmet;		/* <configfs>/nvmet */
	char *sysfs;		/* sysfs root */
	char *procfs;		/* procfs root */
	char *rundir;		/* operational state that must not survive a reboot (drains, the apply
				 * lock): /run/nvmet, not the unit's RuntimeDirectory, which systemd deletes
				 * when nvmetd stops: a drain and the lock outlive an nvmetd restart */
	bool lookup_devices;	/* false under test roots: SSDs cannot be looked up (no udev) */
	struct udev *udev;	/* made by the first ctx_udev, else NULL */
	int lock_fd;		/* the apply lock while held, else -1 */
	char *lock_path;	/* the apply lock: <rundir>/apply.lock (/run/nvmet/apply.lock) */
	const struct cfs_ops *ops;	/* configfs calls: real, or a test double */
	const struct sys_ops *sys;	/* modules and mounts: real, or none under test roots */
	const struct key_ops *keys;	/* the .nvme keyring (tlskeys.h): real, or under test roots a file
					 * in the run directory (NVMET_KEYRING_FILE; tests may set their own) */
	bool keys_owned;	/* keys (and its ud) was allocated by ctx_new */
	unsigned jobs;		/* configfs operations in flight at most (0: the executor's default) */
	const struct exec_runner *runner;	/* how they run: NULL = a pool of threads; tests: their own */
	char *lvm;		/* LVM's program (lvm.h): NVMET_LVM for tests (a fake one), else /sbin/lvm */
	unsigned lvm_timeout_ms;	/* each lvm call at most: NVMET_LVM_TIMEOUT_MS, else lvm.h's default */
};

/* Roots come from NVMET_CONFIGFS_ROOT / NVMET_SYSFS_ROOT / NVMET_PROCFS_ROOT when set (tests), else
 * the real ones. */
int ctx_new(struct nv_ctx **out);
void ctx_free(struct nv_ctx *c);

/* libudev's context, opened (udevdl.h) and made on first use: 0 with *out, -ENODEV under test roots,
 * -ENOPKG without libudev, or udev_new's -errno. */
int ctx_udev(struct nv_ctx *c, struct udev **out);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nv_ctx *, ctx_free)

/* The apply lock (flock on lock_path) that keeps two applies from interleaving. ctx_trylock takes it
 * if it is free: 0, -EWOULDBLOCK while another process holds it, or -errno. ctx_lock waits for it:
 * 0 or -errno (-EINTR when a signal handler interrupted the wait). Neither says anything: a caller
 * that wants to tell the user it waits calls ctx_trylock first. Both return 0 at once when c holds
 * the lock already, and on failure leave c as it was (no lock, no descriptor). ctx_unlock releases
 * it (nothing when not held). */
int ctx_trylock(struct nv_ctx *c);
int ctx_lock(struct nv_ctx *c);
void ctx_unlock(struct nv_ctx *c);

#endif
