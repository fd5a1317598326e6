/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Run a plan against configfs. Every completed operation is journaled; on the first failure the
 * journal is undone in reverse so the live target is left as it was. A port link refused with
 * EADDRNOTAVAIL is not a failure: the port waits for its address (nvmetd completes it later). */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "plan.h"
#include "util.h"

static int real_mkdir(void *ud, const char *p) { return mkdir(p, 0755) < 0 ? -errno : 0; }
static int real_rmdir(void *ud, const char *p) { return rmdir(p) < 0 ? -errno : 0; }
static int real_write(void *ud, const char *p, const char *v) { return write_attr(p, v); }
static int real_symlink(void *ud, const char *t, const char *l) { return symlink(t, l) < 0 ? -errno : 0; }
static int real_unlink(void *ud, const char *p) { return unlink(p) < 0 ? -errno : 0; }

const struct cfs_ops cfs_real = {
	.mkdir = real_mkdir, .rmdir = real_rmdir, .write = real_write,
	.symlink = real_symlink, .unlink = real_unlink,
};

/* Apply (or, with inverse, undo) one operation. */
static int run(const struct cfs_ops *ops, const char *root, const struct op *o, bool inverse)
{
	_cleanup_free_ char *p = path_join(root, o->path);
	_cleanup_free_ char *t = o->value && (o->type == OP_LINK || o->type == OP_UNLINK) ? path_join(root, o->value) : NULL;
	int r;

	switch (o->type) {
	case OP_MKDIR:
		return inverse ? ops->rmdir(ops->ud, p) : ops->mkdir(ops->ud, p);
	case OP_RMDIR:
		if (!inverse)
			return ops->rmdir(ops->ud, p);
		r = ops->mkdir(ops->ud, p);
		/* write back what the directory held; "enable" last */
		for (int pass = 0; pass < 2 && r == 0; pass++)
			for (size_t i = 0; i < o->restore.n && r == 0; i++) {
				_cleanup_free_ char *ap = NULL;
				if (streq(o->restore.v[i].name, "enable") != (pass == 1))
					continue;
				ap = path_join(p, o->restore.v[i].name);
				r = ops->write(ops->ud, ap, o->restore.v[i].value);
				if (r == -ENOENT)
					r = 0;
			}
		return r;
	case OP_WRITE:
		if (inverse)
			return o->old ? ops->write(ops->ud, p, o->old) : 0;
		return ops->write(ops->ud, p, o->value);
	case OP_LINK:
		return inverse ? ops->unlink(ops->ud, p) : ops->symlink(ops->ud, t, p);
	case OP_UNLINK:
		return inverse ? ops->symlink(ops->ud, t, p) : ops->unlink(ops->ud, p);
	}
	return -EINVAL;
}

/* What an administrator should do about a failure. */
static const char *hint(const struct op *o, int err)
{
	const char *base = strrchr(o->path, '/');

	base = base ? base + 1 : o->path;
	if (o->type == OP_WRITE && streq(base, "enable") && (err == -ENODEV || err == -ENOENT || err == -ENXIO))
		return "is the SSD bound to the nvme driver, or does the backing file exist?";
	if (o->type == OP_WRITE && streq(base, "enable") && err == -EINVAL)
		return "a file-backed namespace needs a filesystem with O_DIRECT (not tmpfs before Linux 6.6); "
		       "use a block device, e.g. losetup";
	if (o->type == OP_WRITE && streq(base, "enable") && err == -EBUSY)
		return "is the device mounted or in use by something else?";
	if (o->type == OP_WRITE && (streq(base, "attr_serial") || streq(base, "attr_model") ||
				    streq(base, "attr_version") || streq(base, "attr_firmware")) && err == -EINVAL)
		return "the kernel keeps identity attributes fixed once a host has discovered the subsystem; "
		       "remove and recreate the subsystem to change it";
	if (o->type == OP_WRITE && err == -EACCES && strncmp(o->path, "ports/", 6) == 0)
		return "the port is enabled: unlink its subsystems first";
	if (o->type == OP_LINK && o->port_link && err == -EINVAL)
		return "the transport refused the port's settings (queue size, inline data size); see dmesg";
	if (o->type == OP_LINK && o->port_link && err == -EPROTONOSUPPORT)
		return "the transport module is not loaded (modprobe nvmet-rdma or nvmet-tcp)";
	if (o->type == OP_RMDIR && err == -ENOTEMPTY)
		return "something outside nvmetcfg still links to it";
	return NULL;
}

static char *describe(const struct op *o, int err)
{
	const char *h = hint(o, err);
	const char *base = strrchr(o->path, '/');
	char *what;

	base = base ? base + 1 : o->path;
	switch (o->type) {
	case OP_WRITE:
		what = xasprintf("%s: %s = %s", o->obj, base, o->value);
		break;
	case OP_LINK:
		what = xasprintf("%s: link %s", o->obj, o->value);
		break;
	case OP_UNLINK:
		what = xasprintf("%s: unlink %s", o->obj, o->value);
		break;
	default:
		what = xasprintf("%s: %s %s", o->obj, op_name(o->type), o->path);
	}
	char *msg = xasprintf("%s: %s%s%s", what, strerror(-err), h ? " — " : "", h ? h : "");
	free(what);
	return msg;
}

static bool port_waiting(const struct exec_result *r, unsigned id)
{
	for (size_t i = 0; i < r->nwaiting; i++)
		if (r->waiting[i].id == id)
			return true;
	return false;
}

int plan_execute(const struct cfs_ops *ops, const char *root, const struct plan *p, bool verbose,
		 struct exec_result *res)
{
	bool *done = xcalloc(p->n + 1, sizeof(bool));
	size_t i;
	int r = 0;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < p->n; i++) {
		const struct op *o = &p->ops[i];

		r = run(ops, root, o, false);
		if (r == -ENOENT && o->type == OP_WRITE && o->optional) {
			log_warn("%s: this kernel has no %s; %s not applied", o->obj, strrchr(o->path, '/') + 1,
				 o->why ? o->why : "");
			res->skipped++;
			r = 0;
			continue;
		}
		if (r == -EADDRNOTAVAIL && o->type == OP_LINK && o->port_link) {
			unsigned id = strtoul(o->path + 6, NULL, 10);
			if (!port_waiting(res, id)) {
				struct waiting_port *w = array_push(&res->waiting, &res->nwaiting, sizeof(*w));
				w->id = id;
				w->err = r;
			}
			if (verbose)
				printf("  wait   %s (address not available yet)\n", o->path);
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		done[i] = true;
		res->writes++;
		if (verbose) {
			struct plan one = { .ops = (struct op *)o, .n = 1 };
			plan_print(&one, stdout);
		}
	}
	if (r == 0) {
		free(done);
		return 0;
	}

	res->err = r;
	res->errmsg = describe(&p->ops[i], r);
	/* Undo in reverse what was done (skipped and waiting ops changed nothing). */
	while (i-- > 0) {
		const struct op *o = &p->ops[i];
		int u;

		if (!done[i])
			continue; /* skipped or waiting: nothing to undo */
		u = run(ops, root, o, true);
		if (u < 0) {
			_cleanup_free_ char *m = describe(o, u);
			log_error("rollback: %s", m);
			res->rollback_failed = true;
		}
	}
	res->writes = 0;
	free(done);
	return r;
}

void exec_result_free(struct exec_result *r)
{
	for (size_t i = 0; i < r->nwaiting; i++)
		free(r->waiting[i].address);
	free(r->waiting);
	free(r->errmsg);
	memset(r, 0, sizeof(*r));
}
