/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <strings.h>

#include "plan.h"
#include "strmap.h"
#include "unit.h"
#include "util.h"

const char *op_name(enum op_type t)
{
	static const char *const n[] = { "mkdir", "rmdir", "write", "link", "unlink" };
	return n[t];
}

static struct op *add(struct plan *p, enum op_type t, const char *obj, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static struct op *add(struct plan *p, enum op_type t, const char *obj, const char *fmt, ...)
{
	struct op *o = array_push(&p->ops, &p->n, sizeof(*o));
	va_list ap;

	o->type = t;
	o->obj = xstrdup(obj);
	va_start(ap, fmt);
	/* the two formats of nearly every operation (thousands per plan) without printf */
	if (streq(fmt, "%s")) {
		o->path = xstrdup(va_arg(ap, const char *));
	} else if (streq(fmt, "%s/%s")) {
		const char *dir = va_arg(ap, const char *);

		o->path = path_join(dir, va_arg(ap, const char *));	/* configfs names hold no '/' */
	} else {
		o->path = xvasprintf(fmt, ap);
	}
	va_end(ap);
	return o;
}

static void add_write(struct plan *p, const char *obj, const char *dir, const struct nv_attr *a, const char *old)
{
	struct op *o = add(p, OP_WRITE, obj, "%s/%s", dir, a->name);
	o->value = xstrdup(a->value);
	o->old = xstrdup(old);
	o->optional = a->optional;
	o->why = xstrdup(a->why);
}

static bool value_eq(const char *name, const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	if (strstr(name, "uuid") || strstr(name, "nguid"))
		return !strcasecmp(a, b);
	return streq(a, b);
}

/* Desired attributes whose live value differs. An optional attribute the live object lacks is
 * unsupported by this kernel and noted, not written. */
/* out: a buffer of *cap entries, grown here to hold every attribute of want. */
static size_t attrs_diff(const struct nv_attrs *want, const struct nv_attrs *have, const char *obj,
			 struct plan *p, const struct nv_attr ***outp, size_t *cap)
{
	bool exists = have->n > 0; /* a new object: the kernel's files are unknown until mkdir */
	const struct nv_attr **out;

	if (want->n > *cap)
		*outp = xrealloc(*outp, (*cap = want->n) * sizeof(**outp));
	out = *outp;

	size_t n = 0;

	for (size_t i = 0; i < want->n; i++) {
		const struct nv_attr *a = &want->v[i];
		const char *cur = attrs_get(have, a->name);

		if (!cur && a->optional && exists) {
			/* a plain TCP port on a kernel without TLS (6.1) is what it should be: no note */
			if (p && !(streq(a->name, "addr_tsas") && streq(a->value, "none")))
				report_add(&p->notes, NV_WARN, NULL, 0, a->name,
					   "%s: this kernel has no %s; %s not applied", obj, a->name, a->why ? a->why : "");
			continue;
		}
		if (!value_eq(a->name, a->value, cur))
			out[n++] = a;
	}
	return n;
}

static char *subsys_obj(const char *nqn) { return xasprintf("subsystem %s", nqn); }

/* What an attribute reads right after mkdir, where nvmet's configfs code fixes it: writing that
 * value to a new object would change nothing, so a cold apply skips it. */
static bool fresh_default(const struct nv_attr *a)
{
	static const struct { const char *name, *value; } defaults[] = {
		{ "addr_treq", "not specified" },	/* treq 0 (sq flow control bits masked) */
		{ "addr_tsas", "none" },		/* a TCP port's security type: no TLS */
		{ "attr_allow_any_host", "0" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		if (streq(a->name, defaults[i].name))
			return streq(a->value, defaults[i].value);
	return false;
}

static void restore_from(struct nv_attrs *dst, const struct nv_attrs *src)
{
	for (size_t i = 0; i < src->n; i++)
		attrs_set(dst, src->v[i].name, src->v[i].value);
}

/* A port's attributes to write back: addr_tsas only on a TLS port (the kernel takes it for TCP alone,
 * and a fresh port reads none), after addr_trtype as read. */
static void restore_port(struct nv_attrs *dst, const struct nv_attrs *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (!streq(src->v[i].name, "addr_tsas") || streq(src->v[i].value, "tls1.3"))
			attrs_set(dst, src->v[i].name, src->v[i].value);
}

/* match[i] = index of the live port desired port i becomes, or -1 for a new port. Linear in the
 * number of ports (hashed by address), so thousands of Listen addresses plan quickly. */
static void match_ports(const struct nv_model *d, const struct nv_model *l, long *match, unsigned *ids)
{
	bool *used = xcalloc(l->nports + 1, sizeof(bool));
	struct strmap byaddr = { 0 };
	unsigned maxid = 0;
	bool *taken;

	for (size_t j = 0; j < l->nports; j++) {
		_cleanup_free_ char *k = port_key(&l->ports[j]);
		strmap_add(&byaddr, k, j, NULL);
		maxid = l->ports[j].id > maxid ? l->ports[j].id : maxid;
	}
	for (size_t i = 0; i < d->nports; i++) {
		_cleanup_free_ char *k = port_key(&d->ports[i]);
		size_t j;
		match[i] = -1;
		if (strmap_get(&byaddr, k, &j) && !used[j]) {
			match[i] = j;
			used[j] = true;
		}
	}
	strmap_free(&byaddr);
	/* A desired port with a new address takes over a live port that would otherwise go away:
	 * same port ID, unlinked, re-addressed, relinked. Prefer the same transport. */
	for (int pass = 0; pass < 2; pass++) {
		size_t cursor[2] = { 0, 0 };	/* per transport kind (pass 0) or overall (pass 1): next live port to try */
		for (size_t i = 0; i < d->nports; i++) {
			const char *tr = attrs_get(&d->ports[i].attrs, "addr_trtype");
			size_t *c = &cursor[pass == 0 && streq_ptr(tr, "rdma")];
			if (match[i] >= 0)
				continue;
			for (; *c < l->nports; (*c)++)
				if (!used[*c] && (pass || streq_ptr(tr, attrs_get(&l->ports[*c].attrs, "addr_trtype"))))
					break;
			if (*c < l->nports) {
				match[i] = *c;
				used[*c] = true;
			}
		}
	}
	/* new ports take the lowest IDs no live or matched port has */
	taken = xcalloc(maxid + d->nports + 2, sizeof(bool));
	for (size_t j = 0; j < l->nports; j++)
		taken[l->ports[j].id] = true;
	unsigned next = 1;
	for (size_t i = 0; i < d->nports; i++) {
		if (match[i] >= 0) {
			ids[i] = l->ports[match[i]].id;
			continue;
		}
		while (taken[next])
			next++;
		taken[next] = true;
		ids[i] = next++;
	}
	free(taken);
	free(used);
}

/* What one plan_build works with. */
struct planner {
	const struct nv_model *d, *l;	/* desired, live */
	struct plan *p;
	unsigned *ids;			/* desired port i: the id it gets */
	const struct nv_port **lport_of;	/* desired port i: the live port it becomes, NULL if new */
	long *dport_of;			/* live port j: the desired port it becomes, -1 if it goes away */
	bool *cycle;			/* desired port i: every link removed and made again (see below) */
	const struct nv_attr **chg;	/* attrs_diff's buffer */
	size_t chgcap;
	bool replace;			/* enabled namespaces whose device changes are replaced (see plan_opts) */
};

/* The mirrored link loops: for each name in names that other lacks (each one when all), an
 * OP_UNLINK or OP_LINK of dir/name -> target/name. other is looked up in model om (sorted: binary
 * search). */
static void diff_links(struct plan *p, enum op_type t, const char *obj, const char *dir, const char *target,
		       char *const *names, size_t n, const struct nv_model *om, char *const *other, size_t nother,
		       bool all, bool port_link)
{
	for (size_t k = 0; k < n; k++)
		if (all || !model_list_has(om, other, nother, names[k])) {
			struct op *o = add(p, t, obj, "%s/%s", dir, names[k]);
			o->value = xasprintf("%s/%s", target, names[k]);
			o->port_link = port_link;
		}
}

static char *port_obj(unsigned id) { return xasprintf("port %u", id); }

/* ---- removals, most dependent first ---- */

/* Port links that go away, and every link of a port whose addr_ or param_ attributes change: the
 * kernel refuses those writes while the port is enabled, and unlinking its last subsystem is what
 * disables it (the port then keeps its id; the links are made again last). */
static void remove_port_links(struct planner *pl)
{
	for (size_t j = 0; j < pl->l->nports; j++) {
		const struct nv_port *lp = &pl->l->ports[j];
		const struct nv_port *dp = pl->dport_of[j] >= 0 ? &pl->d->ports[pl->dport_of[j]] : NULL;
		_cleanup_free_ char *obj = port_obj(lp->id), *pu = unit_port(lp->id), *dir = path_join(pu, "subsystems");
		bool *cycle = dp ? &pl->cycle[pl->dport_of[j]] : NULL;

		if (dp && lp->nsubsys && attrs_diff(&dp->attrs, &lp->attrs, obj, NULL, &pl->chg, &pl->chgcap))
			*cycle = true;
		diff_links(pl->p, OP_UNLINK, obj, dir, "subsystems", lp->subsys, lp->nsubsys, pl->d,
			   dp ? dp->subsys : NULL, dp ? dp->nsubsys : 0, !dp || *cycle, false);
	}
}

/* allowed_hosts links: t = OP_UNLINK for those of live that desired lacks, OP_LINK for those of
 * desired that live lacks. */
static void host_links(struct planner *pl, enum op_type t)
{
	const struct nv_model *from = t == OP_LINK ? pl->d : pl->l, *other = t == OP_LINK ? pl->l : pl->d;

	for (size_t j = 0; j < from->nsubsys; j++) {
		const struct nv_subsys *fs = &from->subsys[j];
		const struct nv_subsys *os = model_subsys(other, fs->nqn);
		_cleanup_free_ char *obj = subsys_obj(fs->nqn), *su = unit_subsys(fs->nqn), *dir = path_join(su, "allowed_hosts");

		diff_links(pl->p, t, obj, dir, "hosts", fs->hosts, fs->nhosts, other, os ? os->hosts : NULL,
			   os ? os->nhosts : 0, !os, false);
	}
}

/* Referrals that go away (all of a port that goes), then the ports that go away. */
static void remove_referrals_and_ports(struct planner *pl)
{
	for (size_t j = 0; j < pl->l->nports; j++) {
		const struct nv_port *lp = &pl->l->ports[j];
		const struct nv_port *dp = pl->dport_of[j] >= 0 ? &pl->d->ports[pl->dport_of[j]] : NULL;
		_cleanup_free_ char *obj = port_obj(lp->id);

		for (size_t k = 0; k < lp->nrefs; k++) {
			const struct nv_referral *lr = &lp->refs[k];
			if (dp && port_referral(dp, lr->name))
				continue;
			_cleanup_free_ char *pu = unit_port(lp->id);
			struct op *o = add(pl->p, OP_RMDIR, obj, "%s/referrals/%s", pu, lr->name);
			restore_from(&o->restore, &lr->attrs);
			attrs_set(&o->restore, "enable", lr->enable ? "1" : "0");
		}
	}
	for (size_t j = 0; j < pl->l->nports; j++)
		if (pl->dport_of[j] < 0) {
			_cleanup_free_ char *obj = port_obj(pl->l->ports[j].id), *pu = unit_port(pl->l->ports[j].id);
			struct op *o = add(pl->p, OP_RMDIR, obj, "%s", pu);
			restore_port(&o->restore, &pl->l->ports[j].attrs);
		}
}

/* Namespaces that go away, then their subsystems; then hosts. */
static void remove_objects(struct planner *pl)
{
	const struct nv_model *d = pl->d, *l = pl->l;

	for (size_t j = 0; j < l->nsubsys; j++) {
		const struct nv_subsys *ls = &l->subsys[j];
		const struct nv_subsys *ds = model_subsys(d, ls->nqn);
		_cleanup_free_ char *obj = subsys_obj(ls->nqn);

		for (size_t k = 0; k < ls->nns; k++) {
			const struct nv_ns *ns = &ls->ns[k];
			if (ds && subsys_ns(ds, ns->nsid))
				continue;
			_cleanup_free_ char *nobj = xasprintf("%s: namespace %u", obj, ns->nsid);
			_cleanup_free_ char *nu = unit_ns(ls->nqn, ns->nsid);
			struct op *o = add(pl->p, OP_RMDIR, nobj, "%s", nu);
			restore_from(&o->restore, &ns->attrs);
			attrs_set(&o->restore, "enable", ns->enable ? "1" : "0");
		}
		if (!ds) {
			_cleanup_free_ char *su = unit_subsys(ls->nqn);
			struct op *o = add(pl->p, OP_RMDIR, obj, "%s", su);
			restore_from(&o->restore, &ls->attrs);
		}
	}
	for (size_t j = 0; j < l->nhosts; j++)
		if (!model_host(d, l->hosts[j].nqn)) {
			_cleanup_free_ char *obj = xasprintf("host %s", l->hosts[j].nqn), *hu = unit_host(l->hosts[j].nqn);
			add(pl->p, OP_RMDIR, obj, "%s", hu);
		}
}

/* ---- additions and changes, in dependency order ---- */

static void add_hosts(struct planner *pl)
{
	for (size_t i = 0; i < pl->d->nhosts; i++) {
		const struct nv_host *dh = &pl->d->hosts[i];
		const struct nv_host *lh = model_host(pl->l, dh->nqn);
		_cleanup_free_ char *obj = xasprintf("host %s", dh->nqn);
		_cleanup_free_ char *dir = unit_host(dh->nqn);
		struct nv_attrs none = { 0 };
		size_t n;

		if (!lh)
			add(pl->p, OP_MKDIR, obj, "%s", dir);
		/* credentials: only what the config names is written; a changed key file writes that key */
		n = attrs_diff(&dh->attrs, lh ? &lh->attrs : &none, obj, pl->p, &pl->chg, &pl->chgcap);
		for (size_t k = 0; k < n; k++)
			add_write(pl->p, obj, dir, pl->chg[k], lh ? attrs_get(&lh->attrs, pl->chg[k]->name) : NULL);
	}
}

/* What a namespace's attribute reads right after mkdir (device_uuid: random, so none). */
static bool ns_fresh_default(const char *name, const char *value)
{
	return (streq(name, "device_nguid") && streq(value, "00000000-0000-0000-0000-000000000000")) ||
	       (streq(name, "ana_grpid") && streq(value, "1")) || (streq(name, "buffered_io") && streq(value, "0"));
}

/* An enabled namespace whose device_* must change, replaced rather than disabled in place: removed
 * (the kernel's reference drain and grace period, side by side with the others'), made again with
 * the live one's identity and settings (device_uuid, device_nguid, ana_grpid, buffered_io: what the
 * hosts see stays the same, as with an in-place change) and the desired ones, enabled. Undone, the
 * removal puts the old namespace back as it was. */
static void replace_namespace(struct planner *pl, const char *nobj, const char *ndir, const struct nv_ns *dn,
			      const struct nv_ns *ln)
{
	struct op *o = add(pl->p, OP_RMDIR, nobj, "%s", ndir);

	restore_from(&o->restore, &ln->attrs);
	attrs_set(&o->restore, "enable", "1");
	add(pl->p, OP_MKDIR, nobj, "%s", ndir);
	for (size_t k = 0; k < ln->attrs.n; k++) {
		const struct nv_attr *a = &ln->attrs.v[k];
		if (!attrs_get(&dn->attrs, a->name) && !ns_fresh_default(a->name, a->value))
			add_write(pl->p, nobj, ndir, &(struct nv_attr){ .name = a->name, .value = a->value,
									.why = "kept from the namespace it replaces" }, NULL);
	}
	for (size_t k = 0; k < dn->attrs.n; k++)
		add_write(pl->p, nobj, ndir, &dn->attrs.v[k], NULL);
	add_write(pl->p, nobj, ndir, &(struct nv_attr){ .name = "enable", .value = "1" }, NULL);
	pl->p->ops[pl->p->n - 1].device = xstrdup(attrs_get(&dn->attrs, "device_path"));
}

static void add_namespace(struct planner *pl, const char *obj, const char *nqn, const struct nv_ns *dn,
			  const struct nv_ns *ln)
{
	_cleanup_free_ char *nobj = xasprintf("%s: namespace %u", obj, dn->nsid);
	_cleanup_free_ char *ndir = unit_ns(nqn, dn->nsid);
	struct nv_attr en = { .name = "enable", .value = "1" }, dis = { .name = "enable", .value = "0" };
	struct nv_attrs none = { 0 };
	size_t n;

	/* A namespace whose device is missing (nvmetd: SSD unplugged) is kept disabled; one that never
	 * existed is created when its device appears. */
	if (!ln && !dn->enable)
		return;
	if (!ln)
		add(pl->p, OP_MKDIR, nobj, "%s", ndir);
	n = attrs_diff(&dn->attrs, ln ? &ln->attrs : &none, nobj, pl->p, &pl->chg, &pl->chgcap);
	if (n && ln && ln->enable && dn->enable && pl->replace) {
		replace_namespace(pl, nobj, ndir, dn, ln);
		return;
	}
	/* device_* cannot change while enabled: disable, change, enable */
	if (ln && ln->enable && (n || !dn->enable))
		add_write(pl->p, nobj, ndir, &dis, "1");
	for (size_t a = 0; a < n; a++)
		add_write(pl->p, nobj, ndir, pl->chg[a], ln ? attrs_get(&ln->attrs, pl->chg[a]->name) : NULL);
	if (dn->enable && (!ln || !ln->enable || n)) {
		add_write(pl->p, nobj, ndir, &en, ln ? "0" : NULL);
		pl->p->ops[pl->p->n - 1].device = xstrdup(attrs_get(&dn->attrs, "device_path"));
	}
}

bool attr_frozen(const char *name)
{
	return streq(name, "attr_serial") || streq(name, "attr_model");
}

/* Identity hosts have seen is not changed in place: the kernel refuses it once a host identified the
 * subsystem, and a host would see another disk under the same name. Whether one did is not in
 * configfs; a subsystem linked to no port is written (an apply killed between its mkdir and its
 * attributes leaves the kernel's random serial number; converging must not call that frozen), and
 * should a host have identified it before it was unlinked, the kernel's refusal says the same. */
static void refuse_frozen(struct planner *pl, const char *unit, const char *nqn, const struct nv_attr *a,
			  const char *old)
{
	struct plan_refusal *r = array_push(&pl->p->refused, &pl->p->nrefused, sizeof(*r));

	r->unit = xstrdup(unit);
	r->msg = xasprintf("subsystem %s: %s %s -> %s: the kernel does not change a subsystem's %s once a host has "
			   "identified it — remove the subsystem and add it again (apply the configuration without it, "
			   "then with it; connected hosts reconnect)", nqn,
			   streq(a->name, "attr_serial") ? "serial number" : "model", old, a->value,
			   streq(a->name, "attr_serial") ? "serial number" : "model");
}

/* attr_cntlid_min/max: the kernel refuses a min not below the current max (and a max not above the
 * current min), so moving the range up writes max first. chg holds n changed attributes, in order. */
static void order_cntlid(const struct nv_attr **chg, size_t n, const struct nv_subsys *ls)
{
	size_t lo = n, hi = n;
	const char *cur = ls ? attrs_get(&ls->attrs, "attr_cntlid_max") : NULL;

	for (size_t k = 0; k < n; k++) {
		if (streq(chg[k]->name, "attr_cntlid_min"))
			lo = k;
		else if (streq(chg[k]->name, "attr_cntlid_max"))
			hi = k;
	}
	if (lo < hi && hi < n && strtoul(chg[lo]->value, NULL, 10) >= (cur ? strtoul(cur, NULL, 10) : 0xffefUL)) {
		const struct nv_attr *t = chg[lo];
		chg[lo] = chg[hi];
		chg[hi] = t;
	}
}

static void add_subsystems(struct planner *pl)
{
	for (size_t i = 0; i < pl->d->nsubsys; i++) {
		const struct nv_subsys *ds = &pl->d->subsys[i];
		const struct nv_subsys *ls = model_subsys(pl->l, ds->nqn);
		_cleanup_free_ char *obj = subsys_obj(ds->nqn);
		_cleanup_free_ char *dir = unit_subsys(ds->nqn);
		struct nv_attrs none = { 0 };
		size_t n;

		if (!ls)
			add(pl->p, OP_MKDIR, obj, "%s", dir);
		n = attrs_diff(&ds->attrs, ls ? &ls->attrs : &none, obj, pl->p, &pl->chg, &pl->chgcap);
		order_cntlid(pl->chg, n, ls);
		for (size_t k = 0; k < n; k++) {
			const char *old = ls ? attrs_get(&ls->attrs, pl->chg[k]->name) : NULL;
			if (old && attr_frozen(pl->chg[k]->name) && model_subsys_linked(pl->l, ds->nqn))
				refuse_frozen(pl, dir, ds->nqn, pl->chg[k], old);
			else if (ls || !fresh_default(pl->chg[k]))
				add_write(pl->p, obj, dir, pl->chg[k], old);
		}
		for (size_t k = 0; k < ds->nns; k++)
			add_namespace(pl, obj, ds->nqn, &ds->ns[k], ls ? subsys_ns(ls, ds->ns[k].nsid) : NULL);
	}
}

/* A referral's address cannot change while it is enabled: disable, change, enable. */
static void add_referral(struct planner *pl, const char *obj, const char *dir, const struct nv_referral *dr,
			 const struct nv_referral *lr)
{
	_cleanup_free_ char *rdir = xasprintf("%s/referrals/%s", dir, dr->name);
	struct nv_attr en = { .name = "enable", .value = "1" }, dis = { .name = "enable", .value = "0" };
	struct nv_attrs none = { 0 };
	size_t n;

	if (!lr)
		add(pl->p, OP_MKDIR, obj, "%s", rdir);
	n = attrs_diff(&dr->attrs, lr ? &lr->attrs : &none, obj, NULL, &pl->chg, &pl->chgcap);
	if (lr && lr->enable && n)
		add_write(pl->p, obj, rdir, &dis, "1");
	for (size_t a = 0; a < n; a++)
		add_write(pl->p, obj, rdir, pl->chg[a], lr ? attrs_get(&lr->attrs, pl->chg[a]->name) : NULL);
	if (!lr || !lr->enable || n)
		add_write(pl->p, obj, rdir, &en, lr ? "0" : NULL);
}

/* Writing addr_trtype resets addr_tsas (and so treq's secure channel): a TLS port whose trtype is
 * written gets tsas and treq written again after it, even where they read right now. chg has room
 * for every desired attribute. Returns the new count. */
static size_t with_tls_after_trtype(const struct nv_port *dp, size_t n, const struct nv_attr **chg)
{
	bool trtype = false;

	for (size_t k = 0; k < n; k++)
		trtype |= streq(chg[k]->name, "addr_trtype");
	if (!trtype || !port_tls(dp))
		return n;
	for (size_t i = 0; i < dp->attrs.n; i++) {
		const struct nv_attr *a = &dp->attrs.v[i];
		bool have = false;

		if (!streq(a->name, "addr_tsas") && !streq(a->name, "addr_treq"))
			continue;
		for (size_t k = 0; k < n; k++)
			have |= chg[k] == a;
		if (!have)
			chg[n++] = a;
	}
	return n;
}

/* Undone in reverse, the old treq would be written while tsas is still tls1.3 (the kernel refuses
 * "not specified" then); undoing the tsas write restores treq's secure channel by itself. */
static void tsas_undoes_treq(struct plan *p, size_t first)
{
	struct op *tsas = NULL, *treq = NULL;

	for (size_t i = first; i < p->n; i++) {
		const char *base = strrchr(p->ops[i].path, '/');
		if (base && streq(base, "/addr_tsas"))
			tsas = &p->ops[i];
		else if (base && streq(base, "/addr_treq"))
			treq = &p->ops[i];
	}
	if (tsas && treq && tsas->old) {
		free(treq->old);
		treq->old = NULL;
	}
}

static void add_ports(struct planner *pl)
{
	for (size_t i = 0; i < pl->d->nports; i++) {
		const struct nv_port *dp = &pl->d->ports[i];
		const struct nv_port *lp = pl->lport_of[i];
		_cleanup_free_ char *obj = port_obj(pl->ids[i]), *dir = unit_port(pl->ids[i]);
		struct nv_attrs none = { 0 };
		const char *want = port_ana_target(dp), *have = lp ? lp->ana_state : "optimized";
		size_t n;

		if (!lp)
			add(pl->p, OP_MKDIR, obj, "%s", dir);
		n = attrs_diff(&dp->attrs, lp ? &lp->attrs : &none, obj, pl->p, &pl->chg, &pl->chgcap);
		n = with_tls_after_trtype(dp, n, pl->chg);
		size_t first = pl->p->n;
		for (size_t k = 0; k < n; k++)
			if (lp || !fresh_default(pl->chg[k]))
				add_write(pl->p, obj, dir, pl->chg[k], lp ? attrs_get(&lp->attrs, pl->chg[k]->name) : NULL);
		tsas_undoes_treq(pl->p, first);
		/* ANA group 1's state: writable while the port listens (hosts get an ANA change event); a
		 * new port's group starts optimized */
		if (want && have && !streq(want, have)) {
			struct nv_attr a = { .name = "ana_groups/1/ana_state", .value = (char *)want,
					     .why = (char *)port_ana_why(dp, want) };
			add_write(pl->p, obj, dir, &a, lp ? lp->ana_state : NULL);
		}
		/* referrals before the port listens, so its first discovery log is complete */
		for (size_t k = 0; k < dp->nrefs; k++)
			add_referral(pl, obj, dir, &dp->refs[k], lp ? port_referral(lp, dp->refs[k].name) : NULL);
	}
}

/* ---- links last ---- */

/* Hosts into subsystems, then subsystems into ports (which is what makes a port listen). */
static void add_links(struct planner *pl)
{
	host_links(pl, OP_LINK);
	for (size_t i = 0; i < pl->d->nports; i++) {
		const struct nv_port *dp = &pl->d->ports[i], *lp = pl->lport_of[i];
		_cleanup_free_ char *obj = port_obj(pl->ids[i]), *pu = unit_port(pl->ids[i]), *dir = path_join(pu, "subsystems");

		diff_links(pl->p, OP_LINK, obj, dir, "subsystems", dp->subsys, dp->nsubsys, pl->l, lp ? lp->subsys : NULL,
			   lp ? lp->nsubsys : 0, !lp || pl->cycle[i], true);
	}
}

/* The operations added since *start belong to phase ph; the next phase starts after them. */
static void end_phase(struct plan *p, size_t *start, unsigned ph)
{
	for (size_t i = *start; i < p->n; i++)
		p->ops[i].phase = ph;
	*start = p->n;
}

/*
 * The order configfs needs:
 *   removals, most dependent first — port links (and all links of a port whose addr_/param_ must
 *   change: the kernel takes those only while the port is disabled, i.e. unlinked), allowed_hosts
 *   links, referrals, ports, namespaces, subsystems, hosts;
 *   then additions and changes in dependency order — the discovery NQN (the kernel compares it
 *   with the subsystems that exist when it is set), hosts, subsystems and their namespaces (a
 *   device_* change disables, writes, enables), ports with their ANA state and referrals;
 *   links last — hosts into subsystems, subsystems into ports, so a port starts listening only
 *   when everything it serves exists.
 * Those four steps are the plan's phases; within a phase only operations on one object keep their
 * order (opdeps.h), which is what lets the executor run independent ones side by side.
 */
/* How many enabled namespaces must be disabled for a device_* change. */
static size_t count_moves(struct planner *pl)
{
	size_t moves = 0;

	for (size_t i = 0; i < pl->d->nsubsys; i++) {
		const struct nv_subsys *ds = &pl->d->subsys[i], *ls = model_subsys(pl->l, ds->nqn);
		for (size_t k = 0; ls && k < ds->nns; k++) {
			const struct nv_ns *dn = &ds->ns[k], *ln = subsys_ns(ls, dn->nsid);
			if (ln && ln->enable && dn->enable &&
			    attrs_diff(&dn->attrs, &ln->attrs, NULL, NULL, &pl->chg, &pl->chgcap))
				moves++;
		}
	}
	return moves;
}

int plan_build(const struct nv_model *d, const struct nv_model *l, const struct plan_opts *po, struct plan *p,
	       unsigned **ports)
{
	long *match = xcalloc(d->nports + 1, sizeof(long));
	struct planner pl = {
		.d = d, .l = l, .p = p,
		.ids = xcalloc(d->nports + 1, sizeof(unsigned)),
		.lport_of = xcalloc(d->nports + 1, sizeof(*pl.lport_of)),
		.dport_of = xcalloc(l->nports + 1, sizeof(long)),
		.cycle = xcalloc(d->nports + 1, sizeof(bool)),
	};
	size_t phase_start = 0;

	memset(p, 0, sizeof(*p));
	match_ports(d, l, match, pl.ids);
	for (size_t j = 0; j < l->nports; j++)
		pl.dport_of[j] = -1;
	for (size_t i = 0; i < d->nports; i++) {
		pl.lport_of[i] = match[i] >= 0 ? &l->ports[match[i]] : NULL;
		if (match[i] >= 0)
			pl.dport_of[match[i]] = i;
	}

	remove_port_links(&pl);
	host_links(&pl, OP_UNLINK);
	remove_referrals_and_ports(&pl);
	remove_objects(&pl);
	end_phase(p, &phase_start, PHASE_REMOVE);

	if (d->discovery_nqn && !streq_ptr(d->discovery_nqn, l->discovery_nqn)) {
		struct nv_attr a = { .name = "discovery_nqn", .value = d->discovery_nqn, .why = "[Discovery] NQN" };
		add_write(p, "discovery service", ".", &a, l->discovery_nqn);
		free(p->ops[p->n - 1].path);
		p->ops[p->n - 1].path = xstrdup("discovery_nqn");
	}
	end_phase(p, &phase_start, PHASE_DISCOVERY);
	pl.replace = po && po->replace_moves && count_moves(&pl) >= 2;
	add_hosts(&pl);
	add_subsystems(&pl);
	add_ports(&pl);
	end_phase(p, &phase_start, PHASE_ADD);
	add_links(&pl);
	end_phase(p, &phase_start, PHASE_LINK);

	free(match);
	if (ports)
		*ports = pl.ids;
	else
		free(pl.ids);
	free(pl.lport_of);
	free(pl.dport_of);
	free(pl.cycle);
	free(pl.chg);
	return 0;
}

void plan_ana_write(struct plan *p, unsigned id, const char *want, const char *old, const char *why)
{
	struct op *op = array_push(&p->ops, &p->n, sizeof(*op));

	op->type = OP_WRITE;
	op->obj = xasprintf("port %u", id);
	op->path = xasprintf("ports/%u/ana_groups/1/ana_state", id);
	op->value = xstrdup(want);
	op->old = xstrdup(old);
	op->why = xstrdup(why);
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct op *o = &p->ops[i];
		free(o->path);
		free(o->value);
		free(o->old);
		free(o->why);
		free(o->obj);
		free(o->device);
		attrs_free(&o->restore);
	}
	free(p->ops);
	for (size_t i = 0; i < p->nrefused; i++) {
		free(p->refused[i].unit);
		free(p->refused[i].msg);
	}
	free(p->refused);
	report_free(&p->notes);
	memset(p, 0, sizeof(*p));
}

void plan_print(const struct plan *p, FILE *f)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct op *o = &p->ops[i];

		switch (o->type) {
		case OP_WRITE:
			if (attr_is_secret(o->path)) {
				/* a secret is named by its file, never shown */
				fprintf(f, "  write  %s = (secret from %s)%s\n", o->path, o->why ? o->why : "?",
					o->old && *o->old ? "  (was another secret)" : "");
				break;
			}
			fprintf(f, "  write  %s = %s", o->path, o->value);
			if (o->old)
				fprintf(f, "  (was %s)", o->old);
			if (o->why)
				fprintf(f, "  [%s]", o->why);
			fputc('\n', f);
			break;
		case OP_LINK:
		case OP_UNLINK:
			fprintf(f, "  %-6s %s -> %s\n", op_name(o->type), o->path, o->value);
			break;
		default:
			fprintf(f, "  %-6s %s\n", op_name(o->type), o->path);
		}
	}
}
