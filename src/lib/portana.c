/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ANA states of ports the live tree already has, and nothing else: what nvmetd writes when only a
 * port's health changed (a link flap, an RDMA device that went and came back). One file read per port
 * and one journaled write per port whose state differs, instead of a whole reconcile's read of the
 * tree: a storm of such events costs a few reads per pass. */
#include <errno.h>

#include "drain.h"
#include "engine.h"
#include "plan.h"
#include "role.h"
#include "util.h"

/* 0 when the live port with dp's id (as the last reconcile numbered it) is still dp: same transport and
 * address. Else the caller must reconcile. */
static int live_port_matches(const struct nv_ctx *c, const struct nv_port *p)
{
	static const char *const keys[] = { "addr_trtype", "addr_traddr", "addr_trsvcid" };

	if (!p->id)
		return -ENOENT;
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		_cleanup_free_ char *path = xasprintf("%s/ports/%u/%s", c->nvmet, p->id, keys[k]), *v = NULL;
		int r = read_attr(path, &v);

		if (r < 0)
			return r;
		if (!streq_ptr(v, attrs_get(&p->attrs, keys[k])))
			return -ESTALE;
	}
	return 0;
}

int engine_port_ana(struct nv_ctx *c, struct nv_model *desired, const struct apply_opts *o, struct exec_result *res)
{
	struct plan p = { 0 };
	int r = 0;

	memset(res, 0, sizeof(*res));
	drain_mark(c, desired);
	role_mark(c, desired);
	for (size_t i = 0; i < desired->nports && r == 0; i++) {
		const struct nv_port *dp = &desired->ports[i];
		const char *want = port_ana_target(dp);
		_cleanup_free_ char *path = NULL, *have = NULL;

		r = live_port_matches(c, dp);
		if (r < 0 || !want)
			continue;
		path = xasprintf("%s/ports/%u/ana_groups/1/ana_state", c->nvmet, dp->id);
		r = read_attr(path, &have);
		if (r < 0 || streq_ptr(have, want))
			continue;
		plan_ana_write(&p, dp->id, want, have, port_ana_why(dp, want));
	}
	if (r == 0 && p.n)
		r = plan_execute(c->ops, c->nvmet, &p,
				 &(struct exec_opts){ .verbose = o && o->verbose, .jobs = c->jobs, .runner = c->runner,
						      .stop = o ? o->stop : NULL }, res);
	plan_free(&p);
	return r;
}
