/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A changing RPC method, all or nothing: rpc.conf's editable form is edited in memory (rpcedit.h),
 * written as text through the one writer, loaded with nvmf.conf as nvmetd loads them (conflicts are
 * errors), made the running configuration and reconciled like any other change — the same checks,
 * plan, executor and rollback, under the same apply lock. Only when the object it is about applied
 * is rpc.conf replaced (atomically); otherwise the previous configuration is put back and reconciled,
 * rpc.conf is untouched, and the error names the object and the kernel's reason.
 * The reconcile runs on the event loop, as a SIGHUP's does: a small change is a few configfs writes. */
#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <sys/stat.h>

#include "confmerge.h"
#include "jsonrpc.h"
#include "log.h"
#include "manager.h"
#include "reconcile.h"
#include "rpc-commit.h"
#include "util.h"

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

/* The configuration with text as rpc.conf, applied; 0, or an error code with *message. */
static int apply(struct daemon *d, const char *method, const char *text, const struct rpc_edit *e, char **message)
{
	struct nv_report rep = { 0 };
	struct nv_config *cfg = NULL, *old;
	struct rec_watch w = { .unit = e->unit, .ports = e->ports };
	_cleanup_free_ char *why = xasprintf("RPC %s", method);
	int r = conf_load_both(d->set.nvmf_conf, d->file_text, d->set.rpc_conf, text, &cfg, &rep);

	if (r < 0) {
		*message = first_error(&rep);
		report_free(&rep);
		return JRPC_INVALID_PARAMS;
	}
	report_free(&rep);
	old = manager_install(d, cfg);
	(void)manager_reconcile(d, why, &w);
	if (!w.failed && (r = save(d->set.rpc_conf, text)) < 0) {
		w.failed = xasprintf("cannot write %s: %s", d->set.rpc_conf, strerror(-r));
		w.err = r;
	}
	if (w.failed) {
		log_error("%s: %s; undone", why, w.failed);
		spdkconf_free(manager_install(d, old));
		(void)manager_reconcile(d, "RPC undone", NULL);
		*message = TAKE_PTR(w.failed);
		return w.err < 0 && w.err > -4096 ? w.err : JRPC_INTERNAL_ERROR;
	}
	spdkconf_free(old);
	free(d->rpc_text);
	d->rpc_text = xstrdup(text);
	log_notice("%s: applied and saved in %s", why, d->set.rpc_conf);
	return 0;
}

int rpc_commit(const struct rpc_env *env, const char *method, rpc_edit_fn *fn, json_object *params,
	       json_object **result, char **message)
{
	struct daemon *d = env->daemon;
	struct rpcconf rc;
	struct rpc_edit e = { .rc = &rc, .file = d->file_cfg, .params = params };
	_cleanup_free_ char *text = NULL, *err = NULL;
	int r = rpcconf_parse(d->rpc_text, &rc, &err);

	if (r < 0) {
		*message = xasprintf("%s: %s", d->set.rpc_conf, err);
		return JRPC_INTERNAL_ERROR;
	}
	r = fn(&e);
	if (r == 0 && rpcconf_render(&rc, &text, &err) < 0) {
		*message = xasprintf("nvmetd: %s cannot be kept in %s (nvmf.conf's dialect)", err, d->set.rpc_conf);
		r = JRPC_INVALID_PARAMS;
	} else if (r == 0 && !streq_ptr(text, d->rpc_text)) {
		r = apply(d, method, text, &e, message);
	} else if (r) {
		*message = TAKE_PTR(e.message);
	}
	if (r == 0)
		*result = TAKE_PTR(e.result);
	rpcconf_free(&rc);
	rpc_edit_free(&e);
	return r;
}
