/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SPDK bdev names -> kernel block devices. NVMe namespaces are found through libudev from the
 * controller's PCI address and the NSID, never from a kernel name that can change between boots. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "exportable.h"
#include "ramdisk.h"
#include "confmerge.h"
#include "resolve.h"
#include "udevdl.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref)
#define _cleanup_udev_device_ _cleanup_(udev_device_unrefp)
#define _cleanup_udev_enum_ _cleanup_(udev_enumerate_unrefp)

/* The NSID of a block device: its "nsid" attribute (kernel >= 5.x); hidden multipath path devices
 * (nvmeXcYnZ) carry it too. */
static long block_nsid(struct udev_device *d)
{
	const char *v = udev_device_get_sysattr_value(d, "nsid");
	unsigned long long n;

	if (!v || parse_u64(v, &n) < 0)
		return -1;
	return (long)n;
}

/* With native NVMe multipath the visible disk (nvmeXnY) hangs off the nvme-subsystem and the
 * controller's own child is a hidden path device (nvmeXcYnZ) without a /dev node; the head lists
 * its paths in /sys/block/<head>/multipath/. */
static char *head_of_path_device(struct udev *udev, struct udev_device *path)
{
	_cleanup_udev_enum_ struct udev_enumerate *e = udev_enumerate_new(udev);
	struct udev_list_entry *it;
	const char *pname = udev_device_get_sysname(path);

	udev_enumerate_add_match_subsystem(e, "block");
	udev_enumerate_add_match_property(e, "DEVTYPE", "disk");
	udev_enumerate_scan_devices(e);
	udev_list_entry_foreach(it, udev_enumerate_get_list_entry(e)) {
		_cleanup_free_ char *mp = path_join(udev_list_entry_get_name(it), "multipath");
		_cleanup_free_ char *link = path_join(mp, pname);
		struct stat st;

		if (lstat(link, &st) == 0) {
			_cleanup_udev_device_ struct udev_device *h =
				udev_device_new_from_syspath(udev, udev_list_entry_get_name(it));
			if (h && udev_device_get_devnode(h))
				return xstrdup(udev_device_get_devnode(h));
		}
	}
	return NULL;
}

static int nvme_ns_devnode(struct nv_ctx *c, const char *bdf, uint32_t nsid, char **out, char **why)
{
	_cleanup_udev_device_ struct udev_device *pci = udev_device_new_from_subsystem_sysname(c->udev, "pci", bdf);
	_cleanup_udev_enum_ struct udev_enumerate *ctrls = NULL;
	struct udev_list_entry *it;
	const char *drv;
	bool have_ctrl = false;

	if (!pci) {
		*why = xasprintf("there is no PCI device %s (check the address with lspci -D)", bdf);
		return -ENODEV;
	}
	drv = udev_device_get_driver(pci);
	if (!drv) {
		*why = xasprintf("PCI device %s has no driver bound — bind it to nvme: "
				 "echo %s > /sys/bus/pci/drivers/nvme/bind (or modprobe nvme)", bdf, bdf);
		return -ENODEV;
	}
	if (!streq(drv, "nvme")) {
		*why = xasprintf("PCI device %s is bound to %s, not nvme — give it back to the kernel "
				 "(SPDK: scripts/setup.sh reset; or echo %s > /sys/bus/pci/drivers/%s/unbind && "
				 "echo %s > /sys/bus/pci/drivers/nvme/bind)", bdf, drv, bdf, drv, bdf);
		return -ENODEV;
	}
	ctrls = udev_enumerate_new(c->udev);
	udev_enumerate_add_match_subsystem(ctrls, "nvme");
	udev_enumerate_add_match_parent(ctrls, pci);
	udev_enumerate_scan_devices(ctrls);
	udev_list_entry_foreach(it, udev_enumerate_get_list_entry(ctrls)) {
		_cleanup_udev_device_ struct udev_device *ctrl =
			udev_device_new_from_syspath(c->udev, udev_list_entry_get_name(it));
		_cleanup_udev_enum_ struct udev_enumerate *blk = udev_enumerate_new(c->udev);
		struct udev_list_entry *b;

		if (!ctrl || !streq_ptr(udev_device_get_subsystem(ctrl), "nvme"))
			continue;
		have_ctrl = true;
		udev_enumerate_add_match_subsystem(blk, "block");
		udev_enumerate_add_match_parent(blk, ctrl);
		udev_enumerate_scan_devices(blk);
		udev_list_entry_foreach(b, udev_enumerate_get_list_entry(blk)) {
			_cleanup_udev_device_ struct udev_device *d =
				udev_device_new_from_syspath(c->udev, udev_list_entry_get_name(b));
			const char *node;

			if (!d || !streq_ptr(udev_device_get_devtype(d), "disk") || block_nsid(d) != (long)nsid)
				continue;
			node = udev_device_get_devnode(d);
			if (node) {
				*out = xstrdup(node);
				return 0;
			}
			*out = head_of_path_device(c->udev, d);
			if (*out)
				return 0;
		}
	}
	if (!have_ctrl)
		*why = xasprintf("the nvme driver holds %s but has no controller for it yet (still probing? see dmesg)", bdf);
	else
		*why = xasprintf("the NVMe SSD at %s has no namespace %u (nvme list-ns shows the active ones)", bdf, nsid);
	return -ENOENT;
}

/* The device behind a namespace's bdev. Returns 0 with *dev, or -errno with *why, the problem as
 * nvmetd records it (the namespace's missing reason), and *detail when the report says more. *st is
 * an AIO bdev's stat (examined here anyway), else its st_mode 0. */
static int bdev_device_stat(struct nv_ctx *c, const struct nv_ns *ns, const struct nv_bdev *b, bool create,
			    char **dev, struct stat *st, char **why, char **detail)
{
	_cleanup_free_ char *inner = NULL, *nm = NULL;
	int r;

	st->st_mode = 0;
	switch (b->kind) {
	case BDEV_AIO:
		if (stat(b->path, st) < 0) {
			int e = errno;	/* the allocations below may change errno */
			*why = xasprintf("%s: %s — create it or fix the [AIO] line", b->path, strerror(e));
			*detail = xasprintf("%s (%s): %s — create it or fix the [AIO] line", b->path, b->name,
					    strerror(e));
			return -ENOENT;
		}
		if (!S_ISBLK(st->st_mode) && !S_ISREG(st->st_mode)) {
			*why = xasprintf("%s is neither a block device nor a file", b->path);
			return -EINVAL;
		}
		*dev = xstrdup(b->path);
		return 0;
	case BDEV_NVME:
		r = ctx_udev(c, &(struct udev *){ NULL });
		if (r == -ENODEV) {
			*why = xasprintf("%s: no udev to find the SSD at %s", ns->bdev, b->bdf);
			*detail = xasprintf("%s needs udev to find the SSD at %s (not available with a fake sysfs root)",
					    ns->bdev, b->bdf);
			return -ENODEV;
		}
		if (r < 0) {
			*why = xasprintf("%s: cannot use libudev to find the SSD at %s: %s", ns->bdev, b->bdf,
					 strerror(-r));
			return r;
		}
		r = nvme_ns_devnode(c, b->bdf, b->nsid, dev, &inner);
		break;
	case BDEV_MALLOC:
		nm = xasprintf("Malloc%u", b->malloc_lun);
		r = ramdisk_resolve(c, nm, b->size_mb, b->block_size, create, dev, &inner);
		break;
	default:
		return -EINVAL;
	}
	if (r < 0)
		*why = xasprintf("%s: %s", ns->bdev, inner);
	return r;
}

/* The same, the device not examined for the caller. */
static int bdev_device(struct nv_ctx *c, const struct nv_ns *ns, const struct nv_bdev *b, bool create,
		       char **dev, char **why, char **detail)
{
	struct stat st;

	return bdev_device_stat(c, ns, b, create, dev, &st, why, detail);
}

int resolve_bdev_device(struct nv_ctx *c, const struct nv_config *cfg, const char *name, char **dev, char **why)
{
	struct nv_ns ns = { .bdev = (char *)name };
	_cleanup_free_ char *detail = NULL;
	struct nv_bdev b;
	struct stat st;
	int r;

	*dev = *why = NULL;
	if (spdkconf_find_bdev(cfg, name, &b) < 0)
		return *why = xasprintf("No such device: bdev %s", name), -ENODEV;
	if (b.kind == BDEV_MALLOC)
		return *why = xasprintf("%s is a RAM disk: an lvol store needs a persistent block device", name), -EINVAL;
	r = bdev_device(c, &ns, &b, false, dev, why, &detail);
	if (r == 0 && (stat(*dev, &st) < 0 || !S_ISBLK(st.st_mode))) {
		*why = xasprintf("%s (%s) is not a block device: an lvol store needs one", name, *dev);
		free(TAKE_PTR(*dev));
		r = -ENOTBLK;
	}
	return r;
}

int resolve_namespaces(struct nv_ctx *c, struct nv_config *cfg, unsigned flags, struct nv_report *rep)
{
	bool tolerant = flags & RESOLVE_F_TOLERANT;
	enum nv_severity sev = tolerant ? NV_WARN : NV_ERROR;
	int ret = 0;

	for (size_t i = 0; i < cfg->model->nsubsys; i++) {
		struct nv_subsys *s = &cfg->model->subsys[i];

		for (size_t j = 0; j < s->nns; j++) {
			struct nv_ns *ns = &s->ns[j];
			_cleanup_free_ char *dev = NULL, *why = NULL, *detail = NULL;
			struct nv_bdev b;
			struct stat st;
			int r;

			free(ns->missing);
			ns->missing = NULL;
			if (spdkconf_find_bdev(cfg, ns->bdev, &b) < 0)
				continue; /* reported by the parser */
			/* an AIO file or device examined once: its stat is export_check's */
			r = bdev_device_stat(c, ns, &b, flags & RESOLVE_F_CREATE, &dev, &st, &why, &detail);
			if (r == 0)
				r = st.st_mode ? export_check_stat(c, dev, &st, &why) : export_check(c, dev, &why);
			if (r == 0) {
				attrs_set(&ns->attrs, "device_path", dev)->why = xstrdup("Namespace");
				continue;
			}
			/* rpc.conf's subsystem (confmerge.h): its Namespace line; its bdev may be nvmf.conf's */
			report_add(rep, sev, s->src == NV_SRC_RPC ? cfg->rpc_path : cfg->path,
				   b.kind == BDEV_AIO && s->src != NV_SRC_RPC ? b.line : ns->line, NULL,
				   "subsystem %s: namespace %u: %s", s->nqn, ns->nsid, detail ? detail : why);
			ret = r;
			/* nvmetd: keep the namespace, disabled, until its device appears */
			ns->enable = false;
			ns->missing = TAKE_PTR(why);
		}
	}
	return tolerant ? 0 : ret;
}

int resolve_nvme_path(struct nv_ctx *c, const char *devpath, char **bdf, unsigned *nsid)
{
	_cleanup_udev_device_ struct udev_device *d = NULL;
	struct udev_device *ctrl, *pci;
	struct stat st;
	long n;

	if (!c->lookup_devices || stat(devpath, &st) < 0 || !S_ISBLK(st.st_mode) || ctx_udev(c, &(struct udev *){ NULL }) < 0)
		return -ENOENT;
	d = udev_device_new_from_devnum(c->udev, 'b', st.st_rdev);
	if (!d)
		return -ENOENT;
	n = block_nsid(d);
	if (n < 0)
		return -ENOENT;
	ctrl = udev_device_get_parent_with_subsystem_devtype(d, "nvme", NULL);
	if (!ctrl) {
		/* multipath head: take the controller of its first path */
		_cleanup_free_ char *mp = path_join(udev_device_get_syspath(d), "multipath");
		_cleanup_strv_ char **names = NULL;
		int k = list_dir(mp, &names);
		_cleanup_udev_device_ struct udev_device *path = NULL;

		if (k <= 0)
			return -ENOENT;
		path = udev_device_new_from_subsystem_sysname(c->udev, "block", names[0]);
		if (!path)
			return -ENOENT;
		ctrl = udev_device_get_parent_with_subsystem_devtype(path, "nvme", NULL);
		pci = ctrl ? udev_device_get_parent_with_subsystem_devtype(ctrl, "pci", NULL) : NULL;
		if (!pci)
			return -ENOENT;
		*bdf = xstrdup(udev_device_get_sysname(pci));
		*nsid = n;
		return 0;
	}
	pci = udev_device_get_parent_with_subsystem_devtype(ctrl, "pci", NULL);
	if (!pci)
		return -ENOENT;
	*bdf = xstrdup(udev_device_get_sysname(pci));
	*nsid = n;
	return 0;
}
