/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "engine.h"
#include "fsprint.h"
#include "log.h"
#include "porthealth.h"
#include "reconcile.h"
#include "resolve.h"
#include "unit.h"
#include "util.h"

/* A growing list of objstate records, and the strings they borrow. */
struct outcomes {
	struct obj_outcome *v;
	size_t n;
	char **owned;
	size_t nowned;
};

static char *own(struct outcomes *oc, char *s)
{
	*(char **)array_push(&oc->owned, &oc->nowned, sizeof(char *)) = s;
	return s;
}

static struct obj_outcome *push(struct outcomes *oc, const char *key, enum obj_state st)
{
	struct obj_outcome *o = array_push(&oc->v, &oc->n, sizeof(*o));

	o->key = key;
	o->state = st;
	return o;
}

static void outcomes_free(struct outcomes *oc)
{
	free(oc->v);
	strv_free(oc->owned, oc->nowned);
}

static void describe(struct outcomes *oc, struct obj_desc **v, size_t *n, enum obj_kind k, char *key, char *unit,
		     char *name)
{
	struct obj_desc *o = array_push(v, n, sizeof(**v));

	o->kind = k;
	o->key = own(oc, key);
	o->unit = unit == key ? o->key : unit ? own(oc, unit) : NULL;
	o->name = own(oc, name);
}

void reconcile_describe(struct daemon *d)
{
	const struct nv_model *m = d->cfg->model;
	struct outcomes oc = { 0 };
	struct obj_desc *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < m->nhosts; i++) {
		char *u = unit_host(m->hosts[i].nqn);
		describe(&oc, &v, &n, OBJ_HOST, u, u, xasprintf("host %s", m->hosts[i].nqn));
	}
	for (size_t i = 0; i < m->nsubsys; i++) {
		const struct nv_subsys *s = &m->subsys[i];
		char *u = unit_subsys(s->nqn);

		describe(&oc, &v, &n, OBJ_SUBSYS, u, u, xasprintf("subsystem %s", s->nqn));
		for (size_t j = 0; j < s->nns; j++) {
			char *nu = unit_ns(s->nqn, s->ns[j].nsid);
			describe(&oc, &v, &n, OBJ_NS, nu, nu, xasprintf("subsystem %s: namespace %u", s->nqn, s->ns[j].nsid));
		}
	}
	for (size_t i = 0; i < m->nports; i++) {
		const struct nv_port *p = &m->ports[i];
		_cleanup_free_ char *addr = port_address(p);

		describe(&oc, &v, &n, OBJ_PORT, port_key(p), p->id ? unit_port(p->id) : NULL, xasprintf("port %s", addr));
		v[n - 1].rdma = streq_ptr(attrs_get(&p->attrs, "addr_trtype"), "rdma");
	}
	objtab_config(&d->objs, v, n, daemon_now(d), time(NULL));
	free(v);
	outcomes_free(&oc);
}

/* Look every namespace's device up again: the same SSD (PCI address, NSID) under whatever name the
 * kernel gives it now, a file that appeared; a missing one stays disabled until it returns. */
static void resolve_again(struct daemon *d)
{
	struct nv_report rep = { 0 };

	d->resolve_due = false;
	for (size_t i = 0; i < d->cfg->model->nsubsys; i++)
		for (size_t j = 0; j < d->cfg->model->subsys[i].nns; j++) {
			struct nv_ns *ns = &d->cfg->model->subsys[i].ns[j];
			ns->enable = true;
			attrs_del(&ns->attrs, "device_path");
		}
	resolve_namespaces(d->ctx, d->cfg, RESOLVE_F_TOLERANT | RESOLVE_F_CREATE, &rep);
	for (size_t i = 0; i < rep.n; i++)
		log_debug("%s", rep.d[i].msg);
	report_free(&rep);
}

/* The backing file or device a namespace names, when it is a path (AIO); NULL for an SSD not found. */
static const char *ns_path(const struct daemon *d, const struct nv_ns *ns)
{
	const char *dp = attrs_get(&ns->attrs, "device_path");
	struct nv_bdev b;

	if (dp && *dp)
		return dp;
	if (ns->bdev && spdkconf_find_bdev(d->cfg, ns->bdev, &b) == 0 && b.kind == BDEV_AIO)
		return b.path;
	return NULL;
}

static bool held_unit(const char *unit, const char **held, size_t nheld)
{
	for (size_t i = 0; i < nheld; i++)
		if (path_under(unit, held[i]))
			return true;
	return false;
}

static const struct exec_failure *failure_of(const struct exec_result *er, const char *unit)
{
	for (size_t i = 0; i < er->nfailed; i++)
		if (streq(er->failed[i].unit, unit))
			return &er->failed[i];
	return NULL;
}

/* "subsystem X: namespace 1: /f: Read-only file system — hint" -> what follows the object's name */
static const char *failure_reason(const struct exec_failure *f, const char *name)
{
	size_t n = strlen(name);
	return !strncmp(f->msg, name, n) && !strncmp(f->msg + n, ": ", 2) ? f->msg + n + 2 : f->msg;
}

/* What only a mount change can fix is not retried on the clock. */
static enum obj_retry retry_of(const struct exec_failure *f)
{
	return f->frozen ? RETRY_CONFIG : f->err == -EROFS ? RETRY_MOUNT : RETRY_BACKOFF;
}

struct tried {
	const struct exec_result *er;
	const char **held;
	size_t nheld;
	const bool *relinked;
};

static void outcome_hosts(struct daemon *d, const struct tried *t, struct outcomes *oc)
{
	const struct nv_model *m = d->cfg->model;

	for (size_t i = 0; i < m->nhosts; i++) {
		char *unit = own(oc, unit_host(m->hosts[i].nqn));
		const struct exec_failure *f = failure_of(t->er, unit);
		struct obj_outcome *o;

		if (!f && held_unit(unit, t->held, t->nheld))
			continue;
		o = push(oc, unit, f ? OBJ_FAILED : OBJ_OK);
		o->reason = f ? f->msg : NULL;
		o->retry = f ? retry_of(f) : RETRY_BACKOFF;
	}
}

static void outcome_ns(struct daemon *d, const struct tried *t, const struct nv_subsys *s, const struct nv_ns *ns,
		       bool subsys_failed, struct outcomes *oc)
{
	char *unit = own(oc, unit_ns(s->nqn, ns->nsid));
	const struct exec_failure *f = failure_of(t->er, unit);
	struct obj_outcome *o;

	/* a missing device is known without the kernel; otherwise only what was tried counts */
	if (ns->enable && (subsys_failed || (!f && held_unit(unit, t->held, t->nheld))))
		return;
	o = push(oc, unit, OBJ_OK);
	if (!ns->enable || f) {
		o->path = ns_path(d, ns);
		o->fingerprint = o->path ? own(oc, path_fingerprint(o->path)) : NULL;
	}
	if (!ns->enable) {
		o->state = OBJ_MISSING;
		o->reason = ns->missing ? ns->missing : "its device is missing";
	} else if (f) {
		o->state = OBJ_FAILED;
		o->reason = failure_reason(f, own(oc, xasprintf("subsystem %s: namespace %u", s->nqn, ns->nsid)));
		o->retry = retry_of(f);
	}
}

static void outcome_subsystems(struct daemon *d, const struct tried *t, struct outcomes *oc)
{
	const struct nv_model *m = d->cfg->model;

	for (size_t i = 0; i < m->nsubsys; i++) {
		const struct nv_subsys *s = &m->subsys[i];
		char *unit = own(oc, unit_subsys(s->nqn));
		const struct exec_failure *f = failure_of(t->er, unit);

		if (f || !held_unit(unit, t->held, t->nheld)) {
			struct obj_outcome *o = push(oc, unit, f ? OBJ_FAILED : OBJ_OK);
			if (f) {
				o->reason = failure_reason(f, own(oc, xasprintf("subsystem %s", s->nqn)));
				o->retry = retry_of(f);
			}
		}
		for (size_t j = 0; j < s->nns; j++)
			outcome_ns(d, t, s, &s->ns[j], f != NULL, oc);
	}
}

static void outcome_ports(struct daemon *d, const struct tried *t, struct outcomes *oc)
{
	const struct nv_model *m = d->cfg->model;

	for (size_t i = 0; i < m->nports && i < d->nports; i++) {
		const struct nv_port *p = &m->ports[i];
		char *key = own(oc, port_key(p)), *unit = own(oc, unit_port(p->id));
		const struct exec_failure *f = failure_of(t->er, unit);
		const struct waiting_port *w = NULL;
		const struct obj *cur = objtab_find(&d->objs, key);
		struct obj_outcome *o = push(oc, key, OBJ_OK);
		/* observed by ana_follow_health() in this reconcile */
		const struct port_obs *obs = &d->ports[i].obs;

		for (size_t k = 0; k < t->er->nwaiting; k++)
			if (t->er->waiting[k].id == p->id)
				w = &t->er->waiting[k];
		o->unit = unit;
		if (f) {
			o->state = OBJ_FAILED;
			o->reason = failure_reason(f, own(oc, xasprintf("port %u", p->id)));
		} else if (w) {
			o->state = OBJ_WAITING;
			o->reason = w->reason;
			o->addr_present = obs->addr_present;
		} else if (cur && cur->state == OBJ_DEAD && !t->relinked[i]) {
			o->state = OBJ_DEAD;
			o->reason = cur->reason;
			o->addr_present = obs->addr_present;
		} else {
			o->rdma_dev = *obs->rdma_dev ? own(oc, xstrdup(obs->rdma_dev)) : NULL;
		}
	}
}

/* What the reconcile found, object by object, for objstate. */
static void report_outcomes(struct daemon *d, const struct tried *t)
{
	struct outcomes oc = { 0 };

	outcome_hosts(d, t, &oc);
	outcome_subsystems(d, t, &oc);
	outcome_ports(d, t, &oc);
	objtab_applied(&d->objs, oc.v, oc.n, daemon_now(d), time(NULL));
	outcomes_free(&oc);
}

/* RDMA ports whose device went away and came back: the kernel does not listen again by itself. */
static void relink_dead_ports(struct daemon *d, bool *relinked)
{
	for (size_t i = 0; i < d->cfg->model->nports; i++) {
		const struct nv_port *p = &d->cfg->model->ports[i];
		_cleanup_free_ char *key = port_key(p);
		struct obj *o = objtab_find(&d->objs, key);
		struct port_obs obs = { 0 };
		struct exec_result er;
		int r;

		if (!o || o->state != OBJ_DEAD || !p->id || obj_damped(o, daemon_now(d)) ||
		    d->net->observe(d->net->ud, "rdma", attrs_get(&p->attrs, "addr_adrfam"),
				    attrs_get(&p->attrs, "addr_traddr"), &obs) < 0 || !*obs.rdma_dev)
			continue;
		r = engine_relink_port(d->ctx, p, &er);
		if (r == -ENODEV || r == -EADDRNOTAVAIL)
			log_debug("%s: RDMA device %s went again before the port listened", o->name, obs.rdma_dev);
		else if (r < 0)
			log_error("%s: relinking after its RDMA device returned failed: %s", o->name,
				  er.errmsg ? er.errmsg : strerror(-r));
		else if (!er.nwaiting) {
			log_notice("%s: RDMA device %s is back", o->name, obs.rdma_dev);
			relinked[i] = true;
		}
		exec_result_free(&er);
	}
}

/* Each port's ANA group follows its health (the views port_health_refresh made): inaccessible while it
 * served and cannot now, so hosts that reach the subsystem through another port use that one; its own
 * state when it serves again. */
static void ana_follow_views(struct daemon *d)
{
	for (size_t i = 0; i < d->cfg->model->nports && i < d->nports; i++) {
		struct nv_port *p = &d->cfg->model->ports[i];
		bool down = d->ports[i].ana_down;

		if (down != p->ana_down) {
			_cleanup_free_ char *addr = port_address(p);
			if (down)
				log_warn("port %u (%s) cannot serve (%s): ANA group inaccessible, so hosts use their "
					 "other paths", p->id, addr, port_health_str(d->ports[i].health));
			else
				log_notice("port %u (%s) serves again: ANA group %s", p->id, addr, p->ana_state);
		}
		p->ana_down = down;
	}
}

static void ana_follow_health(struct daemon *d, const bool *relinked)
{
	port_health_refresh(d, relinked);
	ana_follow_views(d);
}

int reconcile_ana(struct daemon *d)
{
	struct exec_result er;
	int r;

	if (!d->cfg)
		return 0;
	r = ctx_lock(d->ctx);
	if (r < 0)
		return r;
	ana_follow_views(d);
	r = engine_port_ana(d->ctx, d->cfg->model, &(struct apply_opts){ .verbose = log_get_level() >= LOG_INFO }, &er);
	ctx_unlock(d->ctx);
	if (r < 0) {
		log_debug("port health: ANA states alone: %s; a whole reconcile follows", er.errmsg ? er.errmsg : strerror(-r));
	} else if (er.writes) {
		d->last_time = time(NULL);
		free(d->last_result);
		d->last_result = xasprintf("%zu change%s applied (port health changed)", er.writes, er.writes == 1 ? "" : "s");
		log_notice("port health changed: %zu ANA state%s written", er.writes, er.writes == 1 ? "" : "s");
	}
	exec_result_free(&er);
	return r;
}

/* What is due is only RDMA ports whose device went away (relinked when it is back): no port waits or
 * failed, no device lookup is pending, nothing else waits for this pass. */
static bool only_relinks_due(const struct daemon *d)
{
	if (d->resolve_due || d->target_error || d->nports != d->cfg->model->nports)
		return false;
	for (size_t i = 0; i < d->objs.n; i++) {
		const struct obj *o = &d->objs.v[i];
		bool dead_port = o->kind == OBJ_PORT && o->state == OBJ_DEAD;

		if ((o->kind == OBJ_PORT && o->state != OBJ_OK && !dead_port) || (o->due && !dead_port))
			return false;
	}
	return true;
}

int reconcile_relink(struct daemon *d)
{
	struct exec_result none = { 0 };
	struct tried t = { .er = &none };
	struct outcomes oc = { 0 };
	_cleanup_free_ bool *relinked = NULL;
	int r;

	if (!d->cfg || !only_relinks_due(d))
		return -EAGAIN;
	r = ctx_lock(d->ctx);
	if (r < 0)
		return r;
	relinked = xcalloc(d->cfg->model->nports + 1, sizeof(bool));
	relink_dead_ports(d, relinked);
	ctx_unlock(d->ctx);
	port_health_refresh(d, relinked);	/* what outcome_ports reports; the ANA states follow in the
						 * health pass after it (reconcile_ana) */
	t.relinked = relinked;
	outcome_ports(d, &t, &oc);
	objtab_applied(&d->objs, oc.v, oc.n, daemon_now(d), time(NULL));
	outcomes_free(&oc);
	return 0;
}

/* The target itself unusable: tried again after 1 s, doubling to about 4 min. */
#define TARGET_RETRY_MIN_US (1000ULL * 1000)

static void target_failed(struct daemon *d, const char *why, int r, const struct apply_result *res)
{
	free(d->target_error);
	d->target_error = xasprintf("the kernel target cannot be used (%s)", res && res->errmsg ? res->errmsg
											     : strerror(-r));
	/* nvmet missing, configfs not mountable: nothing is served; try again later, never exit */
	d->target_attempts++;
	d->target_retry = daemon_now(d) + TARGET_RETRY_MIN_US * (1ULL << (d->target_attempts < 9 ? d->target_attempts - 1 : 8));
	free(d->last_result);
	d->last_result = xasprintf("failed: %s", d->target_error);
	log_error("%s: %s", why, d->target_error);
}

/* What the library leaves for its caller to say: errors every time, warnings (a module that did not
 * load, an attribute this kernel lacks) when they differ from the last reconcile's. */
static void log_result(struct daemon *d, const struct apply_result *res)
{
	char *all = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&all, &len);

	for (size_t i = 0; i < res->exec.nerrors; i++)
		log_error("%s", res->exec.errors[i]);
	if (!f)
		return;
	for (size_t i = 0; i < res->nwarnings; i++)
		fprintf(f, "%s\n", res->warnings[i]);
	for (size_t i = 0; i < res->exec.nwarnings; i++)
		fprintf(f, "%s\n", res->exec.warnings[i]);
	if (fclose(f) != 0 || !all)
		return;
	if (!streq_ptr(all, d->last_warnings)) {
		log_lines(LOG_WARNING, "", all);
		free(d->last_warnings);
		d->last_warnings = all;
	} else {
		free(all);
	}
}

static void watch_failures(const struct exec_result *er, struct rec_watch *w)
{
	for (size_t i = 0; w && !w->failed && i < er->nfailed; i++)
		if ((w->unit && path_under(er->failed[i].unit, w->unit)) || (w->ports && !strncmp(er->failed[i].unit, "ports/", 6))) {
			w->failed = xstrdup(er->failed[i].msg);
			w->err = er->failed[i].err;
		}
}

int reconcile(struct daemon *d, const char *why)
{
	return reconcile_watch(d, why, NULL);
}

int reconcile_watch(struct daemon *d, const char *why, struct rec_watch *w)
{
	struct apply_result res = { 0 };
	struct tried t = { .er = &res.exec };
	_cleanup_free_ bool *relinked = NULL;
	int r;

	if (!d->cfg)
		return 0;
	log_debug("reconcile: %s", why);
	d->last_time = time(NULL);
	r = ctx_lock(d->ctx);
	if (r < 0) {
		d->last_err = r;
		target_failed(d, why, r, NULL);
		if (w && !w->failed) {
			w->failed = xasprintf("cannot take the apply lock %s: %s", d->ctx->lock_path, strerror(-r));
			w->err = r;
		}
		return -EIO;
	}
	if (d->resolve_due)
		resolve_again(d); /* under the lock: it may make RAM disks, as an apply does */
	relinked = xcalloc(d->cfg->model->nports + 1, sizeof(bool));
	relink_dead_ports(d, relinked);
	ana_follow_health(d, relinked);
	t.relinked = relinked;
	t.nheld = objtab_held(&d->objs, daemon_now(d), &t.held);
	r = engine_apply(d->ctx, d->cfg->model,
			 &(struct apply_opts){ .verbose = log_get_level() >= LOG_INFO, .keep_going = true,
					       .held = (char *const *)t.held, .nheld = t.nheld }, &res);
	if (!w || !w->keep_lock)
		ctx_unlock(d->ctx);
	watch_failures(&res.exec, w);
	if (w && !w->failed && r < 0) {
		w->failed = xstrdup(res.errmsg ? res.errmsg : strerror(-r));
		w->err = r;
	}
	log_result(d, &res);
	d->last_err = r;
	if (r < 0) {
		target_failed(d, why, r, &res);
	} else {
		free(d->target_error);
		d->target_error = NULL;
		d->target_attempts = 0;
		d->target_retry = 0;
		/* ports get their IDs in the plan: a new config learns them here */
		report_outcomes(d, &t);
		free(d->last_result);
		d->last_result = xasprintf("%zu change%s applied (%s)%s", res.exec.writes, res.exec.writes == 1 ? "" : "s",
					   why, res.exec.nfailed ? "; some objects failed, see status" : "");
		if (res.exec.writes)
			log_notice("%s: %s", why, d->last_result);
	}
	free(t.held);
	apply_result_free(&res);
	return r < 0 ? -EIO : 0;
}
