/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lvstart.h */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
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

/* The activation, off the loop: its own copy of the LVs to activate, a result for the loop. */
struct lvstart {
	struct lvm_env env;
	char **vglv;
	size_t n;
	pthread_t thread;
	int efd;
	sd_event_source *src;
	void (*done)(struct daemon *d);
};

static void *activate_thread(void *arg)
{
	struct lvstart *ls = arg;
	uint64_t one = 1;

	for (size_t i = 0; i < ls->n; i += BATCH)
		activate(&ls->env, ls->vglv + i, ls->n - i < BATCH ? ls->n - i : BATCH);
	if (write(ls->efd, &one, sizeof(one)) < 0)
		log_debug("lvstart: cannot wake the loop: %s", strerror(errno));
	return NULL;
}

static void lvstart_free(struct lvstart *ls)
{
	if (!ls)
		return;
	sd_event_source_disable_unref(ls->src);
	if (ls->efd >= 0)
		close(ls->efd);
	strv_free(ls->vglv, ls->n);
	free(ls);
}

static int on_activated(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct daemon *d = ud;
	struct lvstart *ls = d->lvstart;

	(void)s;
	(void)fd;
	(void)revents;
	pthread_join(ls->thread, NULL);
	d->lvstart = NULL;
	ls->done(d);
	lvstart_free(ls);
	return 0;
}

int lvstart_begin(struct daemon *d, void (*done)(struct daemon *d))
{
	struct lvstart *ls = xcalloc(1, sizeof(*ls));
	sigset_t all, old;
	int r;

	ls->env = (struct lvm_env){ d->ctx->lvm, d->ctx->lvm_timeout_ms };
	ls->efd = -1;
	ls->done = done;
	for (size_t i = 0; d->cfg && i < d->cfg->naio; i++) {
		const struct nv_bdev *b = &d->cfg->aio[i];
		char *vglv = NULL;
		if (!lvname_aio_is_lvol(b->name, b->path, &vglv))
			continue;
		if (live(d->ctx->sysfs, b->path))
			free(vglv);
		else
			*(char **)array_push(&ls->vglv, &ls->n, sizeof(char *)) = vglv;
	}
	if (!ls->n) {
		lvstart_free(ls);
		return 0;
	}
	ls->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r = ls->efd < 0 ? -errno : sd_event_add_io(d->ev, &ls->src, ls->efd, EPOLLIN, on_activated, d);
	if (r >= 0) {
		(void)sd_event_source_set_description(ls->src, "lvstart");
		sigfillset(&all);	/* the loop's signals stay the loop's (signalfd) */
		pthread_sigmask(SIG_SETMASK, &all, &old);
		r = -pthread_create(&ls->thread, NULL, activate_thread, ls);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (r < 0) {
		lvstart_free(ls);
		return r;
	}
	d->lvstart = ls;
	return 1;
}

void lvstart_wait(struct daemon *d)
{
	if (!d->lvstart)
		return;
	pthread_join(d->lvstart->thread, NULL);
	lvstart_free(TAKE_PTR(d->lvstart));
}
