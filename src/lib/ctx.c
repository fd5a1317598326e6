/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "log.h"
#include "lvm.h"
#include "ctx.h"
#include "exec.h"
#include "tlskeys.h"
#include "udevdl.h"
#include "util.h"

int ctx_new(struct nv_ctx **out)
{
	struct nv_ctx *c = xcalloc(1, sizeof(*c));
	const char *cfs = getenv("NVMET_CONFIGFS_ROOT");
	const char *sys = getenv("NVMET_SYSFS_ROOT");

	/* roots redirected for tests: no udev, no modules, no mounts, the lock and the run directory
	 * inside the test root — chosen here, once, not tested for anywhere else */
	bool test_roots = (cfs && *cfs) || (sys && *sys);
	c->configfs = xstrdup(cfs && *cfs ? cfs : "/sys/kernel/config");
	c->sysfs = xstrdup(sys && *sys ? sys : "/sys");
	{
		const char *proc = getenv("NVMET_PROCFS_ROOT");
		c->procfs = xstrdup(proc && *proc ? proc : "/proc");
	}
	c->nvmet = path_join(c->configfs, "nvmet");
	{
		/* NVMET_RUN_DIR for tests; with a fake configfs root, beside it */
		const char *run = getenv("NVMET_RUN_DIR");
		c->rundir = run && *run ? xstrdup(run) : test_roots ? path_join(c->configfs, ".run") : xstrdup("/run/nvmet");
	}
	c->lock_fd = -1;
	c->ops = &cfs_real;
	c->sys = test_roots ? &sys_none : &sys_real;
	c->keys = &keys_real;
	if (test_roots) {
		const char *kf = getenv("NVMET_KEYRING_FILE");
		struct key_ops *k = xmalloc(sizeof(*k));

		*k = keys_file;
		k->ud = kf && *kf ? xstrdup(kf) : path_join(c->rundir, "nvme-keyring");
		c->keys = k;
		c->keys_owned = true;
	}
	{
		/* in the run directory: never in nvmetd's RuntimeDirectory (ctx.h) */
		const char *lock = getenv("NVMET_LOCK_FILE");
		c->lock_path = lock && *lock ? xstrdup(lock) : path_join(c->rundir, "apply.lock");
	}
	{
		const char *lvm = getenv("NVMET_LVM"), *tmo = getenv("NVMET_LVM_TIMEOUT_MS");
		unsigned long long ms = 0;
		c->lvm = xstrdup(lvm && *lvm ? lvm : NVMET_LVM_DEFAULT);
		c->lvm_timeout_ms = tmo && parse_u64(tmo, &ms) == 0 && ms && ms < 3600000 ? (unsigned)ms : 0;
	}
	c->lookup_devices = !test_roots;
	*out = c;
	return 0;
}

int ctx_udev(struct nv_ctx *c, struct udev **out)
{
	int r;

	if (!c->udev) {
		if (!c->lookup_devices)
			return -ENODEV;
		r = udev_dl();
		if (r < 0)
			return r;
		errno = 0;
		c->udev = udev_new();
		if (!c->udev)
			return errno ? -errno : -ENOMEM;
	}
	*out = c->udev;
	return 0;
}

void ctx_free(struct nv_ctx *c)
{
	if (!c)
		return;
	if (c->udev)
		udev_unref(c->udev);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c->lvm);
	free(c->configfs);
	free(c->sysfs);
	free(c->procfs);
	free(c->lock_path);
	free(c->rundir);
	free(c->nvmet);
	if (c->keys_owned) {
		free(c->keys->ud);
		free((void *)c->keys);
	}
	free(c);
}

void ctx_unlock(struct nv_ctx *c)
{
	if (c->lock_fd >= 0) {
		close(c->lock_fd); /* releases the flock */
		c->lock_fd = -1;
	}
}

static int lock_take(struct nv_ctx *c, bool wait)
{
	_cleanup_free_ char *dir = xstrdup(c->lock_path);
	_cleanup_close_ int fd = -1;
	char *slash = strrchr(dir, '/');

	if (c->lock_fd >= 0)
		return 0;
	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0755);
	}
	fd = open(c->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
		int r = -errno;
		log_debug("%s: %s", c->lock_path, strerror(-r));
		return r == -EAGAIN ? -EWOULDBLOCK : r;
	}
	c->lock_fd = fd;
	fd = -1;
	return 0;
}

int ctx_trylock(struct nv_ctx *c) { return lock_take(c, false); }
int ctx_lock(struct nv_ctx *c) { return lock_take(c, true); }
