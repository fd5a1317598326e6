/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel side preparation: modules through libkmod, configfs mounted. */
#include <errno.h>
#include <libkmod.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "dl.h"
#include "log.h"
#include "kernel.h"
#include "util.h"

/* libkmod is opened on first use (dl.h); kernel_prepare does not need it when modules are loaded. */
static void *kmod_handle;
static struct {
	__typeof__(kmod_new) *new;
	__typeof__(kmod_unref) *unref;
	__typeof__(kmod_module_new_from_lookup) *new_from_lookup;
	__typeof__(kmod_module_get_module) *get_module;
	__typeof__(kmod_module_probe_insert_module) *probe_insert;
	__typeof__(kmod_module_unref) *module_unref;
	__typeof__(kmod_module_unref_list) *unref_list;
	__typeof__(kmod_list_next) *list_next;
} kmod_fn;

static int kmod_open(void)
{
	static const struct dl_sym syms[] = {
		DL_SYM(__typeof__(kmod_fn), kmod_new, new), DL_SYM(__typeof__(kmod_fn), kmod_unref, unref),
		DL_SYM(__typeof__(kmod_fn), kmod_module_new_from_lookup, new_from_lookup),
		DL_SYM(__typeof__(kmod_fn), kmod_module_get_module, get_module),
		DL_SYM(__typeof__(kmod_fn), kmod_module_probe_insert_module, probe_insert),
		DL_SYM(__typeof__(kmod_fn), kmod_module_unref, module_unref),
		DL_SYM(__typeof__(kmod_fn), kmod_module_unref_list, unref_list),
		DL_SYM(__typeof__(kmod_fn), kmod_list_next, list_next),
	};
	return dl_load(&kmod_handle, LIBKMOD_SONAME, "libkmod2", &kmod_fn, syms, ARRAY_SIZE(syms));
}

static void kmod_unrefp(struct kmod_ctx **k) { if (*k) kmod_fn.unref(*k); }
static void kmod_list_freep(struct kmod_list **l) { if (*l) kmod_fn.unref_list(*l); }

/* /sys/module/NAME exists once a module is loaded or built in ('-' reads as '_' there). */
static bool module_present(const char *name)
{
	char path[256];
	struct stat st;
	int n = snprintf(path, sizeof(path), "/sys/module/%s", name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	for (char *p = path + strlen("/sys/module/"); *p; p++)
		if (*p == '-')
			*p = '_';
	return stat(path, &st) == 0;
}

/* libkmod (and libcrypto, liblzma, libzstd under it) is closed again after each module: modules load
 * at start-up, a long-running nvmetd should not keep a megabyte of libraries mapped for them. */
static int kmod_probe(const char *name, const char *options)
{
	_cleanup_(kmod_unrefp) struct kmod_ctx *ctx = NULL;
	_cleanup_(kmod_list_freep) struct kmod_list *list = NULL;
	int r = kmod_open();

	if (r < 0)
		return r;
	ctx = kmod_fn.new(NULL, NULL);
	if (!ctx)
		return -ENOMEM;
	r = kmod_fn.new_from_lookup(ctx, name, &list);
	if (r < 0)
		return r;
	if (!list)
		return -ENOENT;
	for (struct kmod_list *it = list; it; it = kmod_fn.list_next(list, it)) {
		struct kmod_module *m = kmod_fn.get_module(it);
		r = kmod_fn.probe_insert(m, KMOD_PROBE_APPLY_BLACKLIST, options, NULL, NULL, NULL);
		kmod_fn.module_unref(m);
		if (r == KMOD_PROBE_APPLY_BLACKLIST)
			return -EPERM;
		if (r < 0)
			return r;
	}
	return 0;
}

int kmod_load_opts(const char *name, const char *options)
{
	int r;

	if (module_present(name))
		return 0;
	r = kmod_probe(name, options);
	dl_unload(&kmod_handle);
	return r;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Modules that register configfs subsystems (nvmet, null_blk) pull in configfs, but nothing mounts it
 * on a system without systemd. */
int configfs_mount(struct nv_ctx *c)
{
	_cleanup_free_ char *probe = path_join(c->configfs, "..");
	struct stat a, b;

	int r;

	if (stat(c->configfs, &a) == 0 && stat(probe, &b) == 0 && a.st_dev != b.st_dev)
		return 0; /* already a mount point */
	r = c->sys->mount_configfs(c->configfs);
	if (r < 0)
		log_debug("mount configfs on %s: %s", c->configfs, strerror(-r));
	return r;
}

static int real_mount_configfs(const char *where)
{
	return mount("configfs", where, "configfs", 0, NULL) < 0 && errno != EBUSY ? -errno : 0;
}

static long real_fs_type(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 ? (long)fs.f_type : 0;
}

static int no_load(const char *name, const char *options) { return 0; }
static int no_mount(const char *where) { return 0; }
static long no_fs_type(const char *path) { return 0; }

const struct sys_ops sys_real = {
	.load_module = kmod_load_opts, .mount_configfs = real_mount_configfs, .fs_type = real_fs_type,
};
const struct sys_ops sys_none = { .load_module = no_load, .mount_configfs = no_mount, .fs_type = no_fs_type };

/* Why module name did not load (r from load_module): allocated. */
static char *module_error(const char *name, int r)
{
	if (r == -ENOPKG)
		return xasprintf("cannot load the %s module: %s cannot be opened — install libkmod2, or modprobe %s",
				 name, LIBKMOD_SONAME, name);
	return xasprintf("cannot load the %s module: %s", name, strerror(-r));
}

int kernel_prepare(struct nv_ctx *c, bool need_rdma, bool need_tcp, char **why, char ***warnings,
		   size_t *nwarnings)
{
	static const char *const transports[] = { "nvmet-rdma", "nvmet-tcp" };
	int r;

	*why = NULL;
	if (!is_dir(c->nvmet)) {
		r = c->sys->load_module("nvmet", NULL);
		if (r < 0 && r != -EEXIST) {
			_cleanup_free_ char *m = module_error("nvmet", r);
			*why = xasprintf("%s — is the kernel built with CONFIG_NVME_TARGET?", m);
			return r;
		}
		if (!is_dir(c->nvmet) && (r = configfs_mount(c)) < 0) {
			*why = xasprintf("cannot mount configfs on %s: %s", c->configfs, strerror(-r));
			return r;
		}
		if (!is_dir(c->nvmet)) {
			*why = xasprintf("%s does not exist after loading nvmet: is configfs mounted on %s?", c->nvmet,
					 c->configfs);
			return -ENOENT;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(transports); i++) {
		if (!(i == 0 ? need_rdma : need_tcp))
			continue;
		r = c->sys->load_module(transports[i], NULL);
		if (r < 0) {
			_cleanup_free_ char *m = module_error(transports[i], r);
			*(char **)array_push(warnings, nwarnings, sizeof(char *)) =
				xasprintf("%s; its ports will not listen", m);
		}
	}
	return 0;
}
