/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel side preparation: modules through libkmod, configfs mounted. */
#include <errno.h>
#include <libkmod.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "log.h"
#include "nvmet.h"
#include "util.h"

static void kmod_unrefp(struct kmod_ctx **k) { if (*k) kmod_unref(*k); }
static void kmod_list_freep(struct kmod_list **l) { if (*l) kmod_module_unref_list(*l); }

int kmod_load(const char *name)
{
	return kmod_load_opts(name, NULL);
}

int kmod_load_opts(const char *name, const char *options)
{
	_cleanup_(kmod_unrefp) struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	_cleanup_(kmod_list_freep) struct kmod_list *list = NULL;
	struct kmod_list *it;
	int r;

	if (!ctx)
		return -ENOMEM;
	r = kmod_module_new_from_lookup(ctx, name, &list);
	if (r < 0)
		return r;
	if (!list)
		return -ENOENT;
	kmod_list_foreach(it, list) {
		struct kmod_module *m = kmod_module_get_module(it);
		r = kmod_module_probe_insert_module(m, KMOD_PROBE_APPLY_BLACKLIST, options, NULL, NULL, NULL);
		kmod_module_unref(m);
		if (r == KMOD_PROBE_APPLY_BLACKLIST)
			return -EPERM;
		if (r < 0)
			return r;
	}
	return 0;
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

	if (c->fake)
		return 0;
	if (stat(c->configfs, &a) == 0 && stat(probe, &b) == 0 && a.st_dev != b.st_dev)
		return 0; /* already a mount point */
	if (mount("configfs", c->configfs, "configfs", 0, NULL) < 0 && errno != EBUSY) {
		int r = -errno;
		log_error("cannot mount configfs on %s: %s", c->configfs, strerror(-r));
		return r;
	}
	return 0;
}

int kernel_prepare(struct nv_ctx *c, bool need_rdma, bool need_tcp)
{
	int r;

	if (c->fake)
		return is_dir(c->nvmet) ? 0 : -ENOENT;
	if (!is_dir(c->nvmet)) {
		r = kmod_load("nvmet");
		if (r < 0 && r != -EEXIST) {
			log_error("cannot load the nvmet module: %s — is the kernel built with CONFIG_NVME_TARGET?",
				  strerror(-r));
			return r;
		}
		if (!is_dir(c->nvmet) && (r = configfs_mount(c)) < 0)
			return r;
		if (!is_dir(c->nvmet)) {
			log_error("%s does not exist after loading nvmet", c->nvmet);
			return -ENOENT;
		}
	}
	if (need_rdma) {
		r = kmod_load("nvmet-rdma");
		if (r < 0)
			log_warn("cannot load nvmet-rdma: %s", strerror(-r));
		/* ib_uverbs lets nvmetd inspect RDMA devices (GIDs) through libibverbs */
		(void)kmod_load("ib_uverbs");
	}
	if (need_tcp) {
		r = kmod_load("nvmet-tcp");
		if (r < 0)
			log_warn("cannot load nvmet-tcp: %s", strerror(-r));
	}
	return 0;
}
