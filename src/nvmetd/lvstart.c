/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lvstart.h */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctx.h"
#include "log.h"
#include "lvm.h"
#include "lvname.h"
#include "lvstart.h"
#include "util.h"

#define BATCH 32

static void activate(const struct lvm_env *env, char **vglv, size_t n)
{
	const char *args[BATCH + 4] = { "lvchange", "-ay", "-K" };
	_cleanup_free_ char *out = NULL, *err = NULL;
	size_t k = 3;

	for (size_t i = 0; i < n; i++)
		args[k++] = vglv[i];
	args[k] = NULL;
	if (lvm_run(env, args, &out, &err) < 0)
		log_error("activating the exported lvols %s%s: %s; their namespaces wait for their devices", vglv[0],
			  n > 1 ? " ..." : "", err);
	else
		log_info("activated %zu exported lvol%s (%s%s)", n, n == 1 ? "" : "s", vglv[0], n > 1 ? " ..." : "");
}

/* A device node with a device behind it: a node LVM made without udev outlives a deactivation. */
static bool live(const char *sysfs, const char *path)
{
	struct stat st;
	_cleanup_free_ char *p = NULL;

	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	p = xasprintf("%s/dev/block/%u:%u", sysfs, major(st.st_rdev), minor(st.st_rdev));
	return access(p, F_OK) == 0;
}

void lvstart_activate(struct daemon *d)
{
	struct lvm_env env = { d->ctx->lvm, d->ctx->lvm_timeout_ms };
	char *batch[BATCH];
	size_t n = 0;

	for (size_t i = 0; d->cfg && i < d->cfg->naio; i++) {
		const struct nv_bdev *b = &d->cfg->aio[i];
		char *vglv = NULL;
		if (!lvname_aio_is_lvol(b->name, b->path, &vglv))
			continue;
		if (live(d->ctx->sysfs, b->path)) {
			free(vglv);
			continue;
		}
		batch[n++] = vglv;
		if (n == BATCH) {
			activate(&env, batch, n);
			while (n)
				free(batch[--n]);
		}
	}
	if (n)
		activate(&env, batch, n);
	while (n)
		free(batch[--n]);
}
