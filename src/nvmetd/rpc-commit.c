/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A changing RPC method, all or nothing: rpc.conf's editable form is edited in memory (rpcedit.h),
 * written as text through the one writer, loaded with nvmf.conf as nvmetd loads them (conflicts are
 * errors), made the running configuration and reconciled like any other change — the same checks,
 * plan, executor and rollback, under the same apply lock. Only when the object it is about applied
 * is rpc.conf replaced (atomically, still under the lock, so nvmetcfg reads the rpc.conf the kernel
 * has); otherwise the configuration before it is put back and reconciled, rpc.conf is untouched, and
 * the error names the object and the kernel's reason.
 *
 * Off the loop: the edit is made on the loop (fast, pure), the apply on a thread of its own started
 * for it (the lock may be held by an nvmetcfg apply, configfs writes may wait on the kernel), and the
 * reply is sent when it is done. Meanwhile the daemon is busy (manager_busy): the loop keeps serving
 * the socket — the read-only methods answer from the configuration before the change — and holds
 * back what would touch what the thread uses. Changes are applied one at a time, in the order they
 * came: the next waits in the queue (at most one per connection, so at most RPC_MAX_CONNS). */
#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confmerge.h"
#include "ctx.h"
#include "jsonrpc.h"
#include "log.h"
#include "manager.h"
#include "reconcile.h"
#include "rpc-commit.h"
#include "rpc-lvol.h"
#include "rpc-server.h"
#include "util.h"

struct rpc_req {
	char *method;
	rpc_edit_fn *fn;
	json_object *params;
	unsigned long long tag;
	const struct rpc_lvop *lv;	/* an LVM job instead of fn (rpc-lvol.h) */
	char *lvol_uuid, *lvol_path;	/* fn exports this lvol (add_ns after its LVM job) */
};

struct rpc_jobs {
	struct rpc_req *q;	/* waiting, oldest first */
	size_t nq;
	/* the change being applied (d->busy) */
	struct rpc_req cur;
	struct rpc_edit e;
	char *text;			/* rpc.conf's new text */
	struct nv_config *cfg, *back;	/* the new configuration; the running one parsed again, to go back to */
	struct nv_config *before;	/* the running one: what the readers read meanwhile, then freed */
	struct nv_config *dropped;	/* what the thread replaced on a failure (cfg), freed on the loop */
	struct rec_watch w;
	pthread_t thread;
	int efd;			/* the thread -> the loop: done */
	sd_event_source *src;
	bool lvol;			/* the daemon is busy with cur's LVM job, not with thread */
};

static char *first_error(const struct nv_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->d[i].sev == NV_ERROR)
			return xstrdup(rep->d[i].msg);
	return xstrdup("the configuration has errors");
}

static int save(const char *path, const char *text)
{
	_cleanup_free_ char *dir = xstrdup(path);

	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST)
		return -errno;
	return write_file_atomic(path, text, strlen(text), 0600);
}

static void req_free(struct rpc_req *r)
{
	free(r->method);
	free(r->lvol_uuid);
	free(r->lvol_path);
	json_object_put(r->params);
	*r = (struct rpc_req){ 0 };
}

/* On the loop: the edit of j->cur and the two configurations. 0 with *result (nothing to apply),
 * an error code with *message, or JRPC_PENDING: j->text, cfg and back are ready to apply. */
static int prepare(struct daemon *d, struct rpc_jobs *j, json_object **result, char **message)
{
	struct rpcconf rc;
	struct nv_report rep = { 0 };
	_cleanup_free_ char *err = NULL;
	int r = rpcconf_parse(d->rpc_text, &rc, &err);

	if (r < 0) {
		*message = xasprintf("%s: %s", d->set.rpc_conf, err);
		return JRPC_INTERNAL_ERROR;
	}
	j->e = (struct rpc_edit){ .rc = &rc, .file = d->file_cfg, .params = j->cur.params,
				  .lvol_uuid = j->cur.lvol_uuid, .lvol_path = j->cur.lvol_path };
	r = j->cur.fn(&j->e);
	if (r == 0 && rpcconf_render(&rc, &j->text, &err) < 0) {
		*message = xasprintf("nvmetd: %s cannot be kept in %s (nvmf.conf's dialect)", err, d->set.rpc_conf);
		r = JRPC_INVALID_PARAMS;
	} else if (r == 0 && !streq_ptr(j->text, d->rpc_text)) {
		r = conf_load_both(d->set.nvmf_conf, d->file_text, d->set.rpc_conf, j->text, &j->cfg, &rep);
		if (r == 0)	/* the texts running now: they loaded before, they load again */
			r = conf_load_both(d->set.nvmf_conf, d->file_text, d->set.rpc_conf, d->rpc_text, &j->back, &rep);
		if (r < 0)
			*message = first_error(&rep);
		r = r < 0 ? JRPC_INVALID_PARAMS : JRPC_PENDING;
		report_free(&rep);
	} else if (r) {
		*message = TAKE_PTR(j->e.message);
	}
	if (r == 0)
		*result = TAKE_PTR(j->e.result);
	if (r != JRPC_PENDING)	/* nothing to apply (unchanged, or refused): the rendered text goes */
		free(TAKE_PTR(j->text));
	rpcconf_free(&rc);
	j->e.rc = NULL;
	return r;
}

/* On the thread: install, reconcile watching the object, save rpc.conf under the lock; on a failure,
 * the configuration before it back, reconciled. */
static void *apply_thread(void *arg)
{
	struct daemon *d = arg;
	struct rpc_jobs *j = d->jobs;
	_cleanup_free_ char *why = xasprintf("RPC %s", j->cur.method);
	uint64_t one = 1;
	int r;

	j->w = (struct rec_watch){ .unit = j->e.unit, .ports = j->e.ports, .keep_lock = true };
	j->before = manager_install(d, TAKE_PTR(j->cfg));
	(void)reconcile_watch(d, why, &j->w);
	if (!j->w.failed && (r = save(d->set.rpc_conf, j->text)) < 0) {
		j->w.failed = xasprintf("cannot write %s: %s", d->set.rpc_conf, strerror(-r));
		j->w.err = r;
	}
	ctx_unlock(d->ctx);
	if (j->w.failed) {
		log_error("%s: %s; undone", why, j->w.failed);
		j->dropped = manager_install(d, TAKE_PTR(j->back));
		(void)reconcile_watch(d, "RPC undone", NULL);
	} else {
		log_notice("%s: applied and saved in %s", why, d->set.rpc_conf);
	}
	if (write(j->efd, &one, sizeof(one)) < 0)
		log_error("RPC %s: cannot wake the loop: %s", j->cur.method, strerror(errno));
	return NULL;
}

static void start_next(struct daemon *d);

/* On the loop, once the thread is done: the running configuration is the readers', the reply goes. */
static void finish(struct daemon *d)
{
	struct rpc_jobs *j = d->jobs;
	int code = 0;
	char *message = NULL;
	json_object *result = NULL;

	d->rpc_cfg = d->cfg;
	spdkconf_free(TAKE_PTR(j->before));
	spdkconf_free(TAKE_PTR(j->dropped));
	spdkconf_free(TAKE_PTR(j->back));
	if (j->w.failed) {
		message = TAKE_PTR(j->w.failed);
		code = j->w.err < 0 && j->w.err > -4096 ? j->w.err : JRPC_INTERNAL_ERROR;
	} else {
		free(d->rpc_text);
		d->rpc_text = TAKE_PTR(j->text);
		result = TAKE_PTR(j->e.result);
	}
	free(TAKE_PTR(j->text));
	rpc_edit_free(&j->e);
	unsigned long long tag = j->cur.tag;
	req_free(&j->cur);
	manager_busy(d, false);
	rpc_server_complete(d->rpc, tag, code, result, message);
	start_next(d);
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct daemon *d = ud;
	uint64_t n;

	(void)s;
	(void)revents;
	if (read(fd, &n, sizeof(n)) < 0 || !d->busy)
		return 0;
	pthread_join(d->jobs->thread, NULL);
	finish(d);
	return 0;
}

/* The thread with every signal blocked (they are the loop's: signalfd). Returns 0 or -errno. */
static int spawn(struct daemon *d)
{
	struct rpc_jobs *j = d->jobs;
	sigset_t all, old;
	int r;

	if (j->efd < 0) {
		j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (j->efd < 0)
			return -errno;
		r = sd_event_add_io(d->ev, &j->src, j->efd, EPOLLIN, on_done, d);
		if (r < 0)
			return r;
		(void)sd_event_source_set_description(j->src, "rpc-apply-done");
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&j->thread, NULL, apply_thread, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* j->cur prepared: apply it off the loop. 0, or an error code with *message (nothing changed). */
static int start(struct daemon *d, char **message)
{
	int r;

	manager_busy(d, true);
	r = spawn(d);
	if (r < 0) {
		manager_busy(d, false);
		spdkconf_free(TAKE_PTR(d->jobs->cfg));
		spdkconf_free(TAKE_PTR(d->jobs->back));
		free(TAKE_PTR(d->jobs->text));
		rpc_edit_free(&d->jobs->e);
		*message = xasprintf("nvmetd: cannot start applying the change: %s", strerror(-r));
		return JRPC_INTERNAL_ERROR;
	}
	return 0;
}

/* j->cur's LVM job, the daemon busy meanwhile: JRPC_PENDING, or its answer now. */
static int run_lvol(struct daemon *d, char **message)
{
	int r;

	manager_busy(d, true);
	d->jobs->lvol = true;
	r = rpc_lvol_start(d, d->jobs->cur.lv, d->jobs->cur.params, d->jobs->cur.tag, message);
	if (r == JRPC_PENDING)
		return r;
	d->jobs->lvol = false;
	manager_busy(d, false);
	req_free(&d->jobs->cur);
	return r;
}

/* Run j->cur: JRPC_PENDING when it is being applied, else its answer (j->cur freed). */
static int run(struct daemon *d, json_object **result, char **message)
{
	if (d->jobs->cur.lv)
		return run_lvol(d, message);
	int r = prepare(d, d->jobs, result, message);

	if (r == JRPC_PENDING && (r = start(d, message)) == 0)
		return JRPC_PENDING;
	rpc_edit_free(&d->jobs->e);
	req_free(&d->jobs->cur);
	return r;
}

/* The waiting changes, oldest first, until one is being applied. */
static void start_next(struct daemon *d)
{
	struct rpc_jobs *j = d->jobs;

	while (!d->busy && j->nq) {
		json_object *result = NULL;
		char *message = NULL;
		unsigned long long tag = j->q[0].tag;
		int r;

		j->cur = j->q[0];
		rpcconf_remove(j->q, &j->nq, sizeof(*j->q), 0);
		r = run(d, &result, &message);
		if (r != JRPC_PENDING)
			rpc_server_complete(d->rpc, tag, r, result, message);
	}
}

void rpc_commit_lvol_done(struct daemon *d, unsigned long long tag, int code, json_object *result, char *message,
			  struct rpc_chain *chain)
{
	struct rpc_jobs *j = d->jobs;

	j->lvol = false;
	manager_busy(d, false);
	if (chain) {	/* the change the LVM job prepared, applied in its place (same request) */
		json_object_put(j->cur.params);
		j->cur.params = TAKE_PTR(chain->params);
		j->cur.fn = chain->fn;
		j->cur.lv = NULL;
		j->cur.lvol_uuid = TAKE_PTR(chain->lvol_uuid);
		j->cur.lvol_path = TAKE_PTR(chain->lvol_path);
		json_object_put(result);
		free(message);
		result = NULL;
		message = NULL;
		code = run(d, &result, &message);
	} else {
		req_free(&j->cur);
	}
	if (code != JRPC_PENDING)
		rpc_server_complete(d->rpc, tag, code, result, message);
	start_next(d);
}

int rpc_commit(const struct rpc_env *env, const struct jrpc_request *req, rpc_edit_fn *fn,
	       const struct rpc_lvop *lv, json_object **result, char **message)
{
	struct daemon *d = env->daemon;
	struct rpc_req r = { xstrdup(req->method), fn, json_object_get(req->params), req->tag, lv, NULL, NULL };

	if (!d->jobs) {
		d->jobs = xcalloc(1, sizeof(*d->jobs));
		d->jobs->efd = -1;
	}
	if (d->busy || d->jobs->nq) {
		*(struct rpc_req *)array_push(&d->jobs->q, &d->jobs->nq, sizeof(r)) = r;
		return JRPC_PENDING;
	}
	d->jobs->cur = r;
	return run(d, result, message);
}

void rpc_commit_free(struct daemon *d)
{
	struct rpc_jobs *j = d->jobs;

	if (!j)
		return;
	if (d->busy && !j->lvol)	/* only after the loop: SIGTERM waits for the change (HELD_EXIT) */
		pthread_join(j->thread, NULL);
	req_free(&j->cur);
	for (size_t i = 0; i < j->nq; i++)
		req_free(&j->q[i]);
	free(j->q);
	sd_event_source_disable_unref(j->src);
	if (j->efd >= 0)
		close(j->efd);
	free(j);
	d->jobs = NULL;
}
