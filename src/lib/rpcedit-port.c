/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The edits of ports (rpcedit.h): listeners with their ANA state and TLS, and the discovery referrals
 * every port serves. The kernel has one port per address, with one ANA state (its ANA group 1, which
 * every namespace is in) and one TLS setting: what SPDK keeps per listener is kept per address here,
 * for every subsystem listening there (nvmf.conf's rule too). An address nvmf.conf listens on keeps
 * nvmf.conf's state and TLS; a referral nvmf.conf makes stays. Errors are SPDK's (lib/nvmf/nvmf_rpc.c
 * of v24.09), with what nvmetd adds after them. */
#include <errno.h>
#include <strings.h>

#include "confwriter.h"
#include "jsonrpc.h"
#include "nvlimits.h"
#include "rpcedit-int.h"
#include "util.h"

/* The SPDK address object params[key] as a Listen line's transport and address; 0 or the error. */
static int address_of(struct rpc_edit *e, const char *key, char **trtype, char **addr)
{
	json_object *o = NULL;
	const char *t, *a, *s, *fam;

	json_object_object_get_ex(e->params, key, &o);
	t = ed_str(o, "trtype"), a = ed_str(o, "traddr"), s = ed_str(o, "trsvcid"), fam = ed_str(o, "adrfam");
	if (!t || !a || !s)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
	if (strcasecmp(t, "TCP") && strcasecmp(t, "RDMA"))
		return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: transport %s: the kernel target serves TCP and RDMA", t);
	if (fam && strcasecmp(fam, "IPv4") && strcasecmp(fam, "IPv6"))
		return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: address family %s: IPv4 or IPv6", fam);
	*trtype = xstrdup(strcasecmp(t, "TCP") ? "RDMA" : "TCP");
	*addr = conf_listen_addr(fam, a, s);
	return 0;
}

static ssize_t find_listen(const struct rc_subsys *s, const char *t, const char *a)
{
	for (size_t k = 0; k < s->nls; k++)
		if (streq(s->ls[k].trtype, t) && streq(s->ls[k].addr, a))
			return (ssize_t)k;
	return -1;
}

/* nvmf.conf's port on address t a, or NULL. */
static const struct nv_port *file_port(const struct rpc_edit *e, const char *t, const char *a)
{
	const struct nv_model *m = e->file->model;

	for (size_t i = 0; i < m->nports; i++) {
		const struct nv_attrs *at = &m->ports[i].attrs;
		const char *pt = conf_trtype(attrs_get(at, "addr_trtype"));
		_cleanup_free_ char *pa = conf_listen_addr(attrs_get(at, "addr_adrfam"), attrs_get(at, "addr_traddr"),
							  attrs_get(at, "addr_trsvcid"));
		if (pt && streq(pt, t) && streq(pa, a))
			return &m->ports[i];
	}
	return NULL;
}

/* SPDK's ANA state names (rpc_ana_state_parse: any case) in the kernel's spelling; NULL for others. */
static const char *spdk_ana(const char *s)
{
	if (!s || (strcasecmp(s, "optimized") && strcasecmp(s, "non_optimized") && strcasecmp(s, "inaccessible")))
		return NULL;
	return ana_state_name(s);
}

/* A new listener of s on t a (ana: its state, NULL: the address's; tls) fits the address's one state
 * and TLS setting, nvmf.conf's or other subsystems'. 0 or the error. */
static int fits_address(struct rpc_edit *e, const struct rc_subsys *s, const char *t, const char *a, const char *ana,
			bool tls)
{
	const struct nv_port *fp = file_port(e, t, a);

	if (fp && port_tls(fp) != tls)
		return ed_fail(e, JRPC_INVALID_STATE, "nvmetd: %s %s is %s TLS in %s line %u: TLS is per address (its port); "
			       "change it there", t, a, port_tls(fp) ? "with" : "without", e->file->path, fp->line);
	if (fp && ana && !streq_ptr(fp->ana_state, ana))
		return ed_fail(e, JRPC_INVALID_STATE, "nvmetd: %s %s is %s in %s line %u: the ANA state is per address (its "
			       "port's ANA group); change it there", t, a, fp->ana_state, e->file->path,
			       fp->ana_line ? fp->ana_line : fp->line);
	for (size_t i = 0; !fp && i < e->rc->nss; i++) {
		const struct rc_subsys *o = &e->rc->ss[i];
		ssize_t k = o == s ? -1 : find_listen(o, t, a);
		if (k < 0)
			continue;
		if (o->ls[k].tls != tls)
			return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: subsystem %s listens on %s %s %s TLS: TLS is per "
				       "address (its port), for every subsystem there", o->nqn, t, a, tls ? "without" : "with");
		if (ana && o->ls[k].ana && !streq(o->ls[k].ana, ana))
			return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: %s %s is %s for subsystem %s: the ANA state is per "
				       "address (its port's ANA group); nvmf_subsystem_listener_set_ana_state changes it "
				       "for every subsystem there", t, a, o->ls[k].ana, o->nqn);
	}
	return 0;
}

/* The ANA state a Listen line of rpc.conf gives address t a, or NULL. */
static const char *rc_address_ana(const struct rpcconf *rc, const char *t, const char *a)
{
	for (size_t i = 0; i < rc->nss; i++) {
		ssize_t k = find_listen(&rc->ss[i], t, a);
		if (k >= 0 && rc->ss[i].ls[k].ana)
			return rc->ss[i].ls[k].ana;
	}
	return NULL;
}

/* secure_channel and ana_state of add_listener: 0 with *ana (NULL: not given) and *tls, or the error. */
static int listen_options(struct rpc_edit *e, const struct rc_subsys *s, const char *t, const char **ana, bool *tls)
{
	const char *st = ed_str(e->params, "ana_state");

	*tls = ed_bool(e->params, "secure_channel");
	if (*tls && s->any_host)
		return ed_fail(e, JRPC_INTERNAL_ERROR, "Cannot establish secure channel, when 'allow_any_host' is set");
	if (*tls && !streq(t, "TCP"))
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters: secure_channel: TLS is for NVMe/TCP only "
			       "(this listener is %s)", t);
	*ana = spdk_ana(st);
	if (st && !*ana)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters: ana_state %s: optimized, non_optimized or "
			       "inaccessible", st);
	return 0;
}

int rpc_edit_add_listener(struct rpc_edit *e)
{
	_cleanup_free_ char *t = NULL, *a = NULL;
	struct rc_subsys *s;
	const char *ana;
	bool tls;
	int r = ed_find_ss(e, &s);

	if (r || (r = address_of(e, "listen_address", &t, &a)))
		return r;
	if (find_listen(s, t, a) >= 0)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
	if ((r = listen_options(e, s, t, &ana, &tls)) || (r = fits_address(e, s, t, a, ana, tls)))
		return r;
	struct rc_listen *l = array_push(&s->ls, &s->nls, sizeof(*l));
	l->trtype = TAKE_PTR(t);
	l->addr = TAKE_PTR(a);
	/* without ana_state, the address's state as it is (it stays when the others' listeners go) */
	ana = ana ? ana : rc_address_ana(e->rc, l->trtype, l->addr);
	l->ana = ana ? xstrdup(ana) : NULL;
	l->tls = tls;
	e->ports = true;
	return ed_true(e);
}

int rpc_edit_remove_listener(struct rpc_edit *e)
{
	_cleanup_free_ char *t = NULL, *a = NULL;
	struct rc_subsys *s;
	ssize_t k;
	int r = ed_find_ss(e, &s);

	if (r || (r = address_of(e, "listen_address", &t, &a)))
		return r;
	k = find_listen(s, t, a);
	if (k < 0)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters");
	rpcconf_listen_free(&s->ls[k]);
	rpcconf_remove(s->ls, &s->nls, sizeof(*s->ls), (size_t)k);
	return ed_true(e);
}

/* nvmf_subsystem_listener_set_ana_state: the state of the listener's address, for every subsystem of
 * rpc.conf listening there; anagrpid 0 (all groups) or 1 (the only one). */
int rpc_edit_set_ana_state(struct rpc_edit *e)
{
	_cleanup_free_ char *t = NULL, *a = NULL;
	const char *nqn = ed_str(e->params, "nqn"), *st = ed_str(e->params, "ana_state"), *ana;
	const struct nv_port *fp;
	struct rc_subsys *s;
	long long grp = 0;
	int r;

	if (nqn && !rpcconf_subsys(e->rc, nqn) && !model_subsys(e->file->model, nqn))
		return ed_fail(e, JRPC_INVALID_PARAMS, "Unable to find subsystem with NQN %s", nqn);
	if ((r = ed_find_ss(e, &s)) || (r = address_of(e, "listen_address", &t, &a)))
		return r;
	if (!(ana = spdk_ana(st)))
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters: ana_state %s: optimized, non_optimized or "
			       "inaccessible", st ? st : "");
	if (ed_int(e->params, "anagrpid", 0, 1, &grp) < 0)
		return ed_fail(e, JRPC_INTERNAL_ERROR, "error setting ANA state: %d (nvmetd: every namespace is in ANA "
			       "group 1, the only one nvmf.conf's dialect has)", -EINVAL);
	if (find_listen(s, t, a) < 0)
		return ed_fail(e, JRPC_INTERNAL_ERROR, "error setting ANA state: %d (nvmetd: subsystem %s does not listen "
			       "on %s %s)", -EINVAL, s->nqn, t, a);
	fp = file_port(e, t, a);
	if (fp && !streq_ptr(fp->ana_state, ana))
		return ed_fail(e, JRPC_INVALID_STATE, "nvmetd: the ANA state of %s %s is per address (its port's ANA "
			       "group), and %s line %u listens there too: change it there", t, a, e->file->path, fp->line);
	for (size_t i = 0; i < e->rc->nss; i++) {
		ssize_t k = find_listen(&e->rc->ss[i], t, a);
		if (k >= 0) {
			free(e->rc->ss[i].ls[k].ana);
			e->rc->ss[i].ls[k].ana = xstrdup(ana);
		}
	}
	e->ports = true;
	return ed_true(e);
}

/* ---- referrals ---- */

/* A referral's address and subnqn: 0 with *t, *a, or the error. */
static int referral_of(struct rpc_edit *e, char **t, char **a)
{
	json_object *o = NULL;
	const char *sub = ed_str(e->params, "subnqn");
	int r;

	json_object_object_get_ex(e->params, "address", &o);
	if (ed_str(o, "trtype") && ed_str(o, "traddr") && !ed_str(o, "trsvcid"))
		return ed_fail(e, JRPC_INTERNAL_ERROR, "Service ID is required.");
	if ((r = address_of(e, "address", t, a)))
		return r;
	if (sub && strlen(sub) > NVMF_NQN_MAX)
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid subsystem NQN");
	if (sub && !streq(sub, NVME_DISC_NQN))
		return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: subnqn %s: the kernel's referrals point at discovery "
			       "services (subnqn %s), not at subsystems", sub, NVME_DISC_NQN);
	return 0;
}

static ssize_t find_referral(const struct rpcconf *rc, const char *t, const char *a)
{
	for (size_t k = 0; k < rc->nrefs; k++)
		if (streq(rc->refs[k].trtype, t) && streq(rc->refs[k].addr, a))
			return (ssize_t)k;
	return -1;
}

/* nvmf.conf's referral to t a, or NULL. */
static const struct nv_referral *file_referral(const struct rpc_edit *e, const char *t, const char *a)
{
	for (size_t i = 0; i < e->file->nreferrals; i++) {
		const struct nv_attrs *at = &e->file->referrals[i].attrs;
		const char *rt = conf_trtype(attrs_get(at, "addr_trtype"));
		_cleanup_free_ char *ra = conf_listen_addr(attrs_get(at, "addr_adrfam"), attrs_get(at, "addr_traddr"),
							  attrs_get(at, "addr_trsvcid"));
		if (rt && streq(rt, t) && streq(ra, a))
			return &e->file->referrals[i];
	}
	return NULL;
}

/* nvmf_discovery_add_referral: a [Discovery] Referral of rpc.conf; one that exists already (in either
 * file) is left as it is, as SPDK does. */
int rpc_edit_add_referral(struct rpc_edit *e)
{
	_cleanup_free_ char *t = NULL, *a = NULL;
	int r = referral_of(e, &t, &a);

	if (r)
		return r;
	if (ed_bool(e->params, "secure_channel"))
		return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: secure_channel on a referral is not supported: nvmf.conf's "
			       "[Discovery] Referral cannot say it");
	if (find_referral(e->rc, t, a) >= 0 || file_referral(e, t, a))
		return ed_true(e);
	struct rc_referral *ref = array_push(&e->rc->refs, &e->rc->nrefs, sizeof(*ref));
	ref->trtype = TAKE_PTR(t);
	ref->addr = TAKE_PTR(a);
	e->ports = true;
	return ed_true(e);
}

int rpc_edit_remove_referral(struct rpc_edit *e)
{
	_cleanup_free_ char *t = NULL, *a = NULL;
	const struct nv_referral *fr;
	ssize_t k;
	int r = referral_of(e, &t, &a);

	if (r)
		return r;
	if ((fr = file_referral(e, t, a)))
		return ed_fail(e, JRPC_INTERNAL_ERROR, "Unable to remove a referral: %s %s is defined in %s line %u: change "
			       "it there (over RPC, nvmetd changes only what RPC made)", t, a, e->file->path, fr->line);
	k = find_referral(e->rc, t, a);
	if (k < 0)
		return ed_fail(e, JRPC_INTERNAL_ERROR, "Unable to remove a referral.");
	free(e->rc->refs[k].trtype);
	free(e->rc->refs[k].addr);
	rpcconf_remove(e->rc->refs, &e->rc->nrefs, sizeof(*e->rc->refs), (size_t)k);
	e->ports = true;
	return ed_true(e);
}
