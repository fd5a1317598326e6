/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drain.h"
#include "engine.h"
#include "log.h"
#include "netdev.h"
#include "role.h"
#include "util.h"

int engine_load(struct nv_ctx *c, const char *path, enum resolve_mode resolve, struct nv_config **cfg,
		struct nv_report *rep)
{
	_cleanup_(spdkconf_freep) struct nv_config *conf = NULL;
	int r;

	r = spdkconf_load(path, &conf, rep);
	if (r < 0)
		return r;
	r = engine_resolve(c, conf, resolve, rep);
	if (r < 0)
		return r;
	*cfg = TAKE_PTR(conf);
	return 0;
}

int engine_resolve(struct nv_ctx *c, struct nv_config *cfg, enum resolve_mode resolve, struct nv_report *rep)
{
	unsigned flags = resolve == RESOLVE_TOLERANT ? RESOLVE_F_TOLERANT | RESOLVE_F_CREATE :
			 resolve == RESOLVE_APPLY ? RESOLVE_F_CREATE : 0;

	return resolve == RESOLVE_NONE ? 0 : resolve_namespaces(c, cfg, flags, rep);
}

char *engine_port_reason(const struct nv_port *p)
{
	const char *tr = attrs_get(&p->attrs, "addr_trtype");
	const char *fam = attrs_get(&p->attrs, "addr_adrfam");
	const char *addr = attrs_get(&p->attrs, "addr_traddr");
	struct addr_info ai;

	if (!tr || !fam || !addr || addr_check(tr, fam, addr, &ai) < 0)
		return xstrdup("the kernel cannot listen on this address yet");
	switch (ai.state) {
	case ADDR_MISSING:
		return xasprintf("%s is not configured on any interface yet", addr);
	case ADDR_NO_RDMA:
		return xasprintf("%s is on %s, which has no RDMA device — load the NIC's RDMA driver, or for "
				 "soft-RoCE: rdma link add rxe_%s type rxe netdev %s", addr, ai.ifname, ai.ifname, ai.ifname);
	case ADDR_ROCE_V1_ONLY:
		return xasprintf("%s is on %s, whose RDMA device %s has only RoCE v1 GIDs; NVMe/RoCEv2 needs v2",
				 addr, ai.ifname, ai.rdma_dev);
	case ADDR_OK:
		break;
	}
	return xasprintf("%s on %s%s%s is present, but the kernel refused to listen (see dmesg)", addr, ai.ifname,
			 *ai.rdma_dev ? " / " : "", ai.rdma_dev);
}

static bool wants_auth(const struct nv_model *m)
{
	for (size_t i = 0; m && i < m->nhosts; i++)
		for (size_t k = 0; k < m->hosts[i].attrs.n; k++)
			if (!strncmp(m->hosts[i].attrs.v[k].name, "dhchap_", 7))
				return true;
	return false;
}

/* Whether the kernel has DH-HMAC-CHAP (hosts have dhchap_* files): seen on a live host, or on a
 * scratch host made and removed at once (nothing is left). 1, 0, or -errno. */
static int kernel_has_auth(struct nv_ctx *c, const struct nv_model *live, bool may_probe)
{
	_cleanup_free_ char *dir = NULL, *file = NULL;
	struct stat st;
	int r, has;

	if (live->nhosts) {
		file = xasprintf("%s/hosts/%s/dhchap_key", c->nvmet, live->hosts[0].nqn);
		return stat(file, &st) == 0;
	}
	if (!may_probe)
		return 1; /* plan on an empty target: apply will tell */
	dir = xasprintf("%s/hosts/nqn.2014-08.org.nvmexpress:nvmetcfg-auth-probe", c->nvmet);
	r = c->ops->mkdir(c->ops->ud, dir);
	if (r < 0)
		return r;
	file = path_join(dir, "dhchap_key");
	has = stat(file, &st) == 0;
	r = c->ops->rmdir(c->ops->ud, dir);
	return r < 0 ? r : has;
}

static int failed(struct apply_result *res, enum apply_stage where, int r, char *msg);

/* Whether the kernel has NVMe/TCP TLS (ports have addr_tsas): seen on a live port, or on a scratch
 * port made and removed at once. 1, 0, or -errno. */
static int kernel_has_tls(struct nv_ctx *c, const struct nv_model *live, bool may_probe)
{
	_cleanup_free_ char *dir = NULL, *file = NULL;
	struct stat st;
	unsigned id = 65535;
	int r, has;

	if (live->nports) {
		file = xasprintf("%s/ports/%u/addr_tsas", c->nvmet, live->ports[0].id);
		return stat(file, &st) == 0;
	}
	if (!may_probe)
		return 1; /* plan on an empty target: apply will tell */
	dir = xasprintf("%s/ports/%u", c->nvmet, id);
	r = c->ops->mkdir(c->ops->ud, dir);
	if (r < 0)
		return r;
	file = path_join(dir, "addr_tsas");
	has = stat(file, &st) == 0;
	r = c->ops->rmdir(c->ops->ud, dir);
	return r < 0 ? r : has;
}

/* TLS: the kernel's (CONFIG_NVME_TARGET_TCP_TLS) and libnvme's. 0, 1 when keep_going leaves the keys
 * out (warned; the kernel's refusal fails the TLS ports alone), or -errno. */
static int check_tls(struct nv_ctx *c, const struct nv_model *desired, const struct nv_model *live,
		     const struct apply_opts *o, struct apply_result *res)
{
	const char *lib;
	int r;

	if (!model_wants_tls(desired))
		return 0;
	r = kernel_has_tls(c, live, !o->dry_run);
	if (r < 0)
		return failed(res, APPLY_PREPARE, r,
			      xasprintf("cannot tell whether this kernel has NVMe/TCP TLS (a scratch port in %s/ports): %s",
					c->nvmet, strerror(-r)));
	if (r == 0 && !o->keep_going)
		return failed(res, APPLY_UNSUPPORTED, -EOPNOTSUPP,
			      xstrdup("this kernel has no NVMe/TCP TLS (its ports have no addr_tsas: "
				      "CONFIG_NVME_TARGET_TCP_TLS is not set, as in Debian's 6.1 kernel): the Listen lines "
				      "that say tls cannot be applied — remove the tls words or boot Debian's 6.12 kernel"));
	if (r == 0)
		return 1;	/* the TLS ports fail alone (exec's hint names the option) */
	lib = c->keys->problem();
	if (lib && !o->keep_going)
		return failed(res, APPLY_UNSUPPORTED, -EOPNOTSUPP, xstrdup(lib));
	if (lib) {
		*(char **)array_push(&res->warnings, &res->nwarnings, sizeof(char *)) =
			xasprintf("no TLS PSKs inserted: %s", lib);
		return 1;
	}
	return 0;
}

static bool needs_transport(const struct nv_model *m, const char *t)
{
	for (size_t i = 0; m && i < m->nports; i++)
		if (streq_ptr(attrs_get(&m->ports[i].attrs, "addr_trtype"), t))
			return true;
	return false;
}

static int failed(struct apply_result *res, enum apply_stage where, int r, char *msg)
{
	res->failed_in = where;
	res->errmsg = msg;
	return r;
}

/* What the config needs of the kernel beyond configfs: DH-HMAC-CHAP, the root discovery_nqn.
 * 0 (with keep_going, a discovery NQN the kernel cannot take is dropped, with a warning) or -errno. */
static int check_kernel(struct nv_ctx *c, struct nv_model *desired, const struct nv_model *live,
			const struct apply_opts *o, struct apply_result *res)
{
	int r;

	/* all or nothing: a kernel without DH-HMAC-CHAP refuses the file before anything changes
	 * (keep-going leaves the keyed hosts out, and with them their access) */
	if (!o->keep_going && wants_auth(desired)) {
		r = kernel_has_auth(c, live, !o->dry_run);
		if (r == 0)
			return failed(res, APPLY_UNSUPPORTED, -EOPNOTSUPP,
				      xstrdup("this kernel has no DH-HMAC-CHAP (CONFIG_NVME_TARGET_AUTH is not set, as in "
					      "Debian's 6.1 kernel): the [Host] credentials cannot be applied"));
		if (r < 0)
			return failed(res, APPLY_PREPARE, r,
				      xasprintf("cannot tell whether this kernel has DH-HMAC-CHAP (a scratch host in %s/hosts): %s",
						c->nvmet, strerror(-r)));
	}
	/* a unique discovery NQN needs the kernel's root discovery_nqn (6.x, not Debian's 6.1) */
	if (desired->discovery_nqn && !live->discovery_nqn && access(c->nvmet, F_OK) == 0) {
		char *msg = xasprintf("[Discovery] NQN %s: this kernel has no %s/discovery_nqn (unique discovery NQNs "
				      "came after Debian's 6.1 kernel): %s", desired->discovery_nqn, c->nvmet,
				      o->keep_going ? "the discovery service keeps the well-known NQN"
						    : "remove the NQN line or boot a newer kernel");
		if (!o->keep_going)
			return failed(res, APPLY_UNSUPPORTED, -EOPNOTSUPP, msg);
		*(char **)array_push(&res->warnings, &res->nwarnings, sizeof(char *)) = msg;
		free(desired->discovery_nqn);
		desired->discovery_nqn = NULL;
	}
	return 0;
}

/* keep_going: objects the plan refused to change are held, as the caller's own held objects are. */
static char **hold_refused(const struct apply_opts *o, const struct plan *p, struct exec_opts *eo)
{
	char **v;

	if (!p->nrefused)
		return NULL;
	v = xcalloc(o->nheld + p->nrefused + 1, sizeof(char *));
	for (size_t i = 0; i < o->nheld; i++)
		v[i] = o->held[i];
	for (size_t i = 0; i < p->nrefused; i++)
		v[o->nheld + i] = p->refused[i].unit;
	eo->held = v;
	eo->nheld = o->nheld + p->nrefused;
	return v;
}

/* ...and reported as failed objects: only a new configuration can fix them. */
static void report_refused(const struct plan *p, struct exec_result *x)
{
	for (size_t i = 0; i < p->nrefused; i++) {
		struct exec_failure *f = array_push(&x->failed, &x->nfailed, sizeof(*f));

		f->unit = xstrdup(p->refused[i].unit);
		f->obj = xstrdup(p->refused[i].unit);
		f->err = -EPERM;
		f->msg = xstrdup(p->refused[i].msg);
		f->frozen = true;
	}
}

/* The keyring's changes (TLS PSKs) beside the plan; not dry_run: the new keys are inserted now, before
 * a TLS port listens. 0 or -errno. */
static int plan_keys(struct nv_ctx *c, const struct nv_model *desired, const struct nv_model *live,
		     const struct apply_opts *o, struct apply_result *res)
{
	char *why = NULL;
	int r = tls_plan_build(c, desired, live, &res->keys, &why);

	if (r < 0 && o->keep_going) {
		*(char **)array_push(&res->warnings, &res->nwarnings, sizeof(char *)) = why;
		return 0;
	}
	if (r < 0)
		return failed(res, r == -ENOPKG ? APPLY_UNSUPPORTED : APPLY_PREPARE, r, why);
	if (o->dry_run)
		return 0;
	r = tls_plan_insert(c, &res->keys, o->verbose, o->keep_going, &why, &res->warnings, &res->nwarnings);
	return r < 0 ? failed(res, APPLY_EXECUTE, r, why) : 0;
}

/* After the plan: undo the inserts if it failed, else take out the keys no longer needed; say when a
 * TLS port has no tlshd to do its handshakes. */
static void finish_keys(struct nv_ctx *c, const struct nv_model *desired, const struct apply_opts *o, int r,
			struct apply_result *res)
{
	if (r < 0) {
		tls_plan_undo(c, &res->keys);
		return;
	}
	tls_plan_remove(c, &res->keys, o->verbose, &res->warnings, &res->nwarnings);
	res->exec.writes += tls_plan_changes(&res->keys);
	if (model_wants_tls(desired) && !tlshd_running(c))
		*(char **)array_push(&res->warnings, &res->nwarnings, sizeof(char *)) = xstrdup(TLSHD_MISSING);
}

int engine_apply(struct nv_ctx *c, struct nv_model *desired, const struct apply_opts *o, struct apply_result *res)
{
	struct exec_opts eo = { .verbose = o->verbose, .keep_going = o->keep_going, .held = o->held, .nheld = o->nheld,
				.jobs = c->jobs, .runner = c->runner, .stop = o->stop };
	_cleanup_(model_freep) struct nv_model *live = NULL;
	struct nv_model empty = { 0 };
	int r, tls;

	memset(res, 0, sizeof(*res));
	if (!desired)
		desired = &empty;
	if (!o->dry_run) {
		char *why = NULL;
		r = kernel_prepare(c, needs_transport(desired, "rdma"), needs_transport(desired, "tcp"), &why,
				   &res->warnings, &res->nwarnings);
		if (r < 0)
			return failed(res, APPLY_PREPARE, r, why);
		log_phase("kernel modules");
	}
	r = live_read(c, &live);
	if (r < 0)
		return failed(res, APPLY_PREPARE, r, xasprintf("cannot read %s: %s", c->nvmet, strerror(-r)));
	log_phase("live read");
	r = check_kernel(c, desired, live, o, res);
	if (r < 0)
		return r;
	tls = check_tls(c, desired, live, o, res);
	if (tls < 0)
		return tls;
	/* a drained port stays inaccessible whatever the file says (nvmetcfg resume ends it); an unpromoted
	 * node's ports stay at the standby state (nvmetcfg role) */
	if (desired != &empty) {
		drain_mark(c, desired);
		role_mark(c, desired);
	}
	{
		/* the desired model learns the ids its ports get (nvmetd names them by id, status shows them) */
		_cleanup_free_ unsigned *ids = NULL;
		plan_build(desired, live, &(struct plan_opts){ .replace_moves = c->jobs != 1 }, &res->plan, &ids);
		for (size_t i = 0; i < desired->nports; i++)
			desired->ports[i].id = ids[i];
	}
	if (res->plan.nrefused && !o->keep_going)
		return failed(res, APPLY_REFUSED, -EPERM, xstrdup(res->plan.refused[0].msg));
	if (tls == 0 && (r = plan_keys(c, desired, live, o, res)) < 0)
		return r;
	log_phase("kernel features, plan");
	if (o->dry_run)
		return 0;
	_cleanup_free_ char **held = hold_refused(o, &res->plan, &eo); /* strings: the caller's, the plan's */
	r = plan_execute(c->ops, c->nvmet, &res->plan, &eo, &res->exec);
	log_phase("execute");
	report_refused(&res->plan, &res->exec);
	finish_keys(c, desired, o, r, res);
	/* RAM disks no namespace uses any more (or made for an apply that was rolled back). With objects
	 * failed or held, a live namespace may still be on a disk desired no longer names: wait for a
	 * reconcile where everything applied. */
	if (r < 0)
		(void)ramdisk_gc(c, live);
	else if (!res->exec.nfailed && !res->exec.held_ops && !held && !o->nheld)
		(void)ramdisk_gc(c, desired);
	if (r < 0)
		return failed(res, APPLY_EXECUTE, r, xstrdup(res->exec.errmsg));
	for (size_t i = 0; i < res->exec.nwaiting; i++) {
		struct waiting_port *w = &res->exec.waiting[i];
		const struct nv_port *p = model_port(desired, w->id);

		w->reason = p ? engine_port_reason(p) : xstrdup("unknown port");
	}
	return 0;
}

void apply_result_free(struct apply_result *r)
{
	plan_free(&r->plan);
	tls_plan_free(&r->keys);
	exec_result_free(&r->exec);
	free(r->errmsg);
	strv_free(r->warnings, r->nwarnings);
	r->errmsg = NULL;
	r->warnings = NULL;
	r->nwarnings = 0;
}

static void relink_op(struct plan *p, enum op_type t, unsigned id, const char *nqn)
{
	struct op *o = array_push(&p->ops, &p->n, sizeof(*o));

	o->type = t;
	o->obj = xasprintf("port %u", id);
	o->path = xasprintf("ports/%u/subsystems/%s", id, nqn);
	o->value = xasprintf("subsystems/%s", nqn);
	o->port_link = t == OP_LINK;
}

/* One step of a relink, its result in res (the previous step's freed). */
static int relink_step(struct nv_ctx *c, struct plan *p, struct exec_result *res)
{
	int r;

	exec_result_free(res);
	memset(res, 0, sizeof(*res));
	r = p->n ? plan_execute(c->ops, c->nvmet, p, &(struct exec_opts){ .jobs = c->jobs, .runner = c->runner }, res) : 0;
	plan_free(p);
	return r;
}

int engine_relink_port(struct nv_ctx *c, const struct nv_port *dp, struct exec_result *res)
{
	_cleanup_free_ char *dir = xasprintf("%s/ports/%u/subsystems", c->nvmet, dp->id);
	_cleanup_(closedirp) DIR *dirp = NULL;
	struct plan un = { 0 }, first = { 0 }, rest = { 0 };
	struct dirent *e;
	int r;

	memset(res, 0, sizeof(*res));
	if (!dp->id || !(dirp = opendir(dir)))
		return dp->id ? -errno : -ENOENT;
	/* the port's own links, not the whole tree: unlinking the last disables the port */
	while ((e = readdir(dirp)))
		if (e->d_name[0] != '.')
			relink_op(&un, OP_UNLINK, dp->id, e->d_name);
	for (size_t k = 0; k < dp->nsubsys; k++) {
		_cleanup_free_ char *sd = xasprintf("%s/subsystems/%s", c->nvmet, dp->subsys[k]);
		if (access(sd, F_OK) == 0)
			relink_op(first.n ? &rest : &first, OP_LINK, dp->id, dp->subsys[k]);
	}
	r = relink_step(c, &un, res);
	/* linking the first enables the port: alone, so a device gone again costs one failed link */
	if (r == 0)
		r = relink_step(c, &first, res);
	if (r == 0 && res->nwaiting)
		r = -EADDRNOTAVAIL;
	if (r == 0)
		r = relink_step(c, &rest, res);
	plan_free(&un);
	plan_free(&first);
	plan_free(&rest);
	return r;
}

int engine_drain(struct nv_ctx *c, const char *key, bool drain, const struct nv_model *desired,
		 const struct apply_opts *o, struct exec_result *res, char ***ports, size_t *nports)
{
	bool was;
	_cleanup_(model_freep) struct nv_model *live = NULL;
	struct plan p = { 0 };
	size_t found = 0;
	int r;

	memset(res, 0, sizeof(*res));
	r = live_read(c, &live);
	if (r < 0)
		return r;
	for (size_t i = 0; i < live->nports; i++) {
		const struct nv_port *lp = &live->ports[i];
		_cleanup_free_ char *k = drain_port_key(lp), *addr = NULL;
		const char *want = drain ? "inaccessible" : "optimized";

		if (!streq(k, key))
			continue;
		found++;
		for (size_t j = 0; !drain && desired && j < desired->nports; j++) {
			_cleanup_free_ char *dk = drain_port_key(&desired->ports[j]);
			if (streq(dk, key) && streq_ptr(attrs_get(&desired->ports[j].attrs, "addr_trtype"),
							attrs_get(&lp->attrs, "addr_trtype")) && desired->ports[j].ana_state)
				want = desired->ports[j].ana_state;
		}
		addr = port_address(lp);
		*(char **)array_push(ports, nports, sizeof(char *)) =
			xasprintf("port %u (%s): %s -> %s", lp->id, addr, lp->ana_state ?: "?", want);
		if (streq_ptr(lp->ana_state, want))
			continue;
		plan_ana_write(&p, lp->id, want, lp->ana_state, drain ? "nvmetcfg drain" : "nvmetcfg resume");
	}
	if (!found && drain)
		return -ENOENT;
	/* the record first: an nvmetd reconcile in between already keeps the port drained */
	was = drain_has(c, key);
	r = drain_set(c, key, drain);
	if (r < 0) {
		plan_free(&p);
		return r;
	}
	r = plan_execute(c->ops, c->nvmet, &p,
			 &(struct exec_opts){ .verbose = o && o->verbose, .jobs = c->jobs, .runner = c->runner,
					      .stop = o ? o->stop : NULL }, res);
	if (r < 0)
		(void)drain_set(c, key, was);	/* rolled back: the record as it was */
	plan_free(&p);
	return r;
}
