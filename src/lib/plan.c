/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <strings.h>

#include "plan.h"
#include "strmap.h"
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
	if (vasprintf(&o->path, fmt, ap) < 0)
		abort();
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
			if (p)
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

static char *port_key(const struct nv_port *p)
{
	return xasprintf("%s %s %s", attrs_get(&p->attrs, "addr_trtype") ?: "", attrs_get(&p->attrs, "addr_traddr") ?: "",
			 attrs_get(&p->attrs, "addr_trsvcid") ?: "");
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

int plan_build(const struct nv_model *d, const struct nv_model *l, struct plan *p, unsigned **ports)
{
	long *match = xcalloc(d->nports + 1, sizeof(long));
	unsigned *ids = xcalloc(d->nports + 1, sizeof(unsigned));
	bool *cycle = xcalloc(d->nports + 1, sizeof(bool));
	const struct nv_port **lport_of = xcalloc(d->nports + 1, sizeof(*lport_of));
	const struct nv_attr **chg = NULL;
	size_t chgcap = 0;

	memset(p, 0, sizeof(*p));
	match_ports(d, l, match, ids);
	for (size_t i = 0; i < d->nports; i++)
		lport_of[i] = match[i] >= 0 ? &l->ports[match[i]] : NULL;

	/* ---- removals, most dependent first ---- */
	/* 1. port links that go away, and every link of a port whose attributes must change */
	for (size_t j = 0; j < l->nports; j++) {
		const struct nv_port *lp = &l->ports[j];
		const struct nv_port *dp = NULL;
		size_t di = 0;
		_cleanup_free_ char *obj = xasprintf("port %u", lp->id);

		for (size_t i = 0; i < d->nports; i++)
			if (lport_of[i] == lp) {
				dp = &d->ports[i];
				di = i;
			}
		if (dp && lp->nsubsys && attrs_diff(&dp->attrs, &lp->attrs, obj, NULL, &chg, &chgcap))
			cycle[di] = true;
		for (size_t k = 0; k < lp->nsubsys; k++)
			if (!dp || cycle[di] || !model_list_has(d, dp->subsys, dp->nsubsys, lp->subsys[k])) {
				struct op *o = add(p, OP_UNLINK, obj, "ports/%u/subsystems/%s", lp->id, lp->subsys[k]);
				o->value = xasprintf("subsystems/%s", lp->subsys[k]);
			}
	}
	/* 2. allowed_hosts links that go away */
	for (size_t j = 0; j < l->nsubsys; j++) {
		const struct nv_subsys *ls = &l->subsys[j];
		const struct nv_subsys *ds = model_subsys(d, ls->nqn);
		_cleanup_free_ char *obj = subsys_obj(ls->nqn);

		for (size_t k = 0; k < ls->nhosts; k++)
			if (!ds || !model_list_has(d, ds->hosts, ds->nhosts, ls->hosts[k])) {
				struct op *o = add(p, OP_UNLINK, obj, "subsystems/%s/allowed_hosts/%s", ls->nqn, ls->hosts[k]);
				o->value = xasprintf("hosts/%s", ls->hosts[k]);
			}
	}
	/* 3. referrals that go away (all of a port that goes), then ports that go away */
	for (size_t j = 0; j < l->nports; j++) {
		const struct nv_port *lp = &l->ports[j], *dp = NULL;
		_cleanup_free_ char *obj = xasprintf("port %u", lp->id);

		for (size_t i = 0; i < d->nports; i++)
			if (lport_of[i] == lp)
				dp = &d->ports[i];
		for (size_t k = 0; k < lp->nrefs; k++) {
			const struct nv_referral *lr = &lp->refs[k];
			if (dp && port_referral(dp, lr->name))
				continue;
			struct op *o = add(p, OP_RMDIR, obj, "ports/%u/referrals/%s", lp->id, lr->name);
			restore_from(&o->restore, &lr->attrs);
			attrs_set(&o->restore, "enable", lr->enable ? "1" : "0");
		}
	}
	for (size_t j = 0; j < l->nports; j++) {
		bool kept = false;
		for (size_t i = 0; i < d->nports; i++)
			kept |= lport_of[i] == &l->ports[j];
		if (!kept) {
			_cleanup_free_ char *obj = xasprintf("port %u", l->ports[j].id);
			struct op *o = add(p, OP_RMDIR, obj, "ports/%u", l->ports[j].id);
			restore_from(&o->restore, &l->ports[j].attrs);
		}
	}
	/* 4. namespaces that go away, 5. then their subsystems */
	for (size_t j = 0; j < l->nsubsys; j++) {
		const struct nv_subsys *ls = &l->subsys[j];
		const struct nv_subsys *ds = model_subsys(d, ls->nqn);
		_cleanup_free_ char *obj = subsys_obj(ls->nqn);

		for (size_t k = 0; k < ls->nns; k++) {
			const struct nv_ns *ns = &ls->ns[k];
			if (ds && subsys_ns(ds, ns->nsid))
				continue;
			_cleanup_free_ char *nobj = xasprintf("%s: namespace %u", obj, ns->nsid);
			struct op *o = add(p, OP_RMDIR, nobj, "subsystems/%s/namespaces/%u", ls->nqn, ns->nsid);
			restore_from(&o->restore, &ns->attrs);
			attrs_set(&o->restore, "enable", ns->enable ? "1" : "0");
		}
		if (!ds) {
			struct op *o = add(p, OP_RMDIR, obj, "subsystems/%s", ls->nqn);
			restore_from(&o->restore, &ls->attrs);
		}
	}
	/* 6. hosts that go away */
	for (size_t j = 0; j < l->nhosts; j++)
		if (!model_host(d, l->hosts[j].nqn)) {
			_cleanup_free_ char *obj = xasprintf("host %s", l->hosts[j].nqn);
			add(p, OP_RMDIR, obj, "hosts/%s", l->hosts[j].nqn);
		}

	/* ---- additions and changes, in dependency order ---- */
	/* the discovery NQN first: the kernel compares it with the subsystems that exist when it is set */
	if (d->discovery_nqn && !streq_ptr(d->discovery_nqn, l->discovery_nqn)) {
		struct nv_attr a = { .name = "discovery_nqn", .value = d->discovery_nqn, .why = "[Discovery] NQN" };
		add_write(p, "discovery service", ".", &a, l->discovery_nqn);
		free(p->ops[p->n - 1].path);
		p->ops[p->n - 1].path = xstrdup("discovery_nqn");
	}
	for (size_t i = 0; i < d->nhosts; i++) {
		const struct nv_host *dh = &d->hosts[i];
		const struct nv_host *lh = model_host(l, dh->nqn);
		_cleanup_free_ char *obj = xasprintf("host %s", dh->nqn);
		_cleanup_free_ char *dir = xasprintf("hosts/%s", dh->nqn);
		struct nv_attrs none = { 0 };
		size_t n;

		if (!lh)
			add(p, OP_MKDIR, obj, "%s", dir);
		/* credentials: only what the config names is written; a changed key file writes that key */
		n = attrs_diff(&dh->attrs, lh ? &lh->attrs : &none, obj, p, &chg, &chgcap);
		for (size_t k = 0; k < n; k++)
			add_write(p, obj, dir, chg[k], lh ? attrs_get(&lh->attrs, chg[k]->name) : NULL);
	}
	for (size_t i = 0; i < d->nsubsys; i++) {
		const struct nv_subsys *ds = &d->subsys[i];
		const struct nv_subsys *ls = model_subsys(l, ds->nqn);
		_cleanup_free_ char *obj = subsys_obj(ds->nqn);
		_cleanup_free_ char *dir = xasprintf("subsystems/%s", ds->nqn);
		struct nv_attrs none = { 0 };
		size_t n;

		if (!ls)
			add(p, OP_MKDIR, obj, "%s", dir);
		n = attrs_diff(&ds->attrs, ls ? &ls->attrs : &none, obj, p, &chg, &chgcap);
		for (size_t k = 0; k < n; k++)
			if (ls || !fresh_default(chg[k]))
				add_write(p, obj, dir, chg[k], ls ? attrs_get(&ls->attrs, chg[k]->name) : NULL);

		for (size_t k = 0; k < ds->nns; k++) {
			const struct nv_ns *dn = &ds->ns[k];
			const struct nv_ns *ln = ls ? subsys_ns(ls, dn->nsid) : NULL;
			_cleanup_free_ char *nobj = xasprintf("%s: namespace %u", obj, dn->nsid);
			_cleanup_free_ char *ndir = xasprintf("%s/namespaces/%u", dir, dn->nsid);
			struct nv_attr en = { .name = "enable", .value = "1" };
			struct nv_attr dis = { .name = "enable", .value = "0" };

			/* A namespace whose device is missing (nvmetd: SSD unplugged) is kept disabled;
			 * one that never existed is created when its device appears. */
			if (!ln && !dn->enable)
				continue;
			if (!ln)
				add(p, OP_MKDIR, nobj, "%s", ndir);
			n = attrs_diff(&dn->attrs, ln ? &ln->attrs : &none, nobj, p, &chg, &chgcap);
			/* device_* cannot change while enabled: disable, change, enable */
			if (ln && ln->enable && (n || !dn->enable))
				add_write(p, nobj, ndir, &dis, "1");
			for (size_t a = 0; a < n; a++)
				add_write(p, nobj, ndir, chg[a], ln ? attrs_get(&ln->attrs, chg[a]->name) : NULL);
			if (dn->enable && (!ln || !ln->enable || n)) {
				add_write(p, nobj, ndir, &en, ln ? "0" : NULL);
				p->ops[p->n - 1].device = xstrdup(attrs_get(&dn->attrs, "device_path"));
			}
		}
	}
	for (size_t i = 0; i < d->nports; i++) {
		const struct nv_port *dp = &d->ports[i];
		const struct nv_port *lp = lport_of[i];
		_cleanup_free_ char *obj = xasprintf("port %u", ids[i]);
		_cleanup_free_ char *dir = xasprintf("ports/%u", ids[i]);
		struct nv_attrs none = { 0 };
		size_t n;

		if (!lp)
			add(p, OP_MKDIR, obj, "%s", dir);
		n = attrs_diff(&dp->attrs, lp ? &lp->attrs : &none, obj, p, &chg, &chgcap);
		for (size_t k = 0; k < n; k++)
			if (lp || !fresh_default(chg[k]))
				add_write(p, obj, dir, chg[k], lp ? attrs_get(&lp->attrs, chg[k]->name) : NULL);
		/* ANA group 1's state: writable while the port listens (hosts get an ANA change event); a
		 * new port's group starts optimized */
		{
			const char *want = port_ana_target(dp);
			const char *have = lp ? lp->ana_state : "optimized";
			if (want && have && !streq(want, have)) {
				struct nv_attr a = { .name = "ana_groups/1/ana_state", .value = (char *)want,
						     .why = dp->drained ? "drained (nvmetcfg drain)" :
							    dp->ana_down ? "the port cannot serve" : "Listen" };
				add_write(p, obj, dir, &a, lp ? lp->ana_state : NULL);
			}
		}
		/* referrals before the port listens, so its first discovery log is complete */
		for (size_t k = 0; k < dp->nrefs; k++) {
			const struct nv_referral *dr = &dp->refs[k];
			const struct nv_referral *lr = lp ? port_referral(lp, dr->name) : NULL;
			_cleanup_free_ char *rdir = xasprintf("%s/referrals/%s", dir, dr->name);
			struct nv_attr en = { .name = "enable", .value = "1" };
			struct nv_attr dis = { .name = "enable", .value = "0" };

			if (!lr)
				add(p, OP_MKDIR, obj, "%s", rdir);
			n = attrs_diff(&dr->attrs, lr ? &lr->attrs : &none, obj, NULL, &chg, &chgcap);
			/* a referral's address cannot change while it is enabled */
			if (lr && lr->enable && n)
				add_write(p, obj, rdir, &dis, "1");
			for (size_t a = 0; a < n; a++)
				add_write(p, obj, rdir, chg[a], lr ? attrs_get(&lr->attrs, chg[a]->name) : NULL);
			if (!lr || !lr->enable || n)
				add_write(p, obj, rdir, &en, lr ? "0" : NULL);
		}
	}
	/* links last: hosts into subsystems, subsystems into ports (which makes ports listen) */
	for (size_t i = 0; i < d->nsubsys; i++) {
		const struct nv_subsys *ds = &d->subsys[i];
		const struct nv_subsys *ls = model_subsys(l, ds->nqn);
		_cleanup_free_ char *obj = subsys_obj(ds->nqn);

		for (size_t k = 0; k < ds->nhosts; k++)
			if (!ls || !model_list_has(l, ls->hosts, ls->nhosts, ds->hosts[k])) {
				struct op *o = add(p, OP_LINK, obj, "subsystems/%s/allowed_hosts/%s", ds->nqn, ds->hosts[k]);
				o->value = xasprintf("hosts/%s", ds->hosts[k]);
			}
	}
	for (size_t i = 0; i < d->nports; i++) {
		const struct nv_port *dp = &d->ports[i];
		const struct nv_port *lp = lport_of[i];
		_cleanup_free_ char *obj = xasprintf("port %u", ids[i]);

		for (size_t k = 0; k < dp->nsubsys; k++)
			if (!lp || cycle[i] || !model_list_has(l, lp->subsys, lp->nsubsys, dp->subsys[k])) {
				struct op *o = add(p, OP_LINK, obj, "ports/%u/subsystems/%s", ids[i], dp->subsys[k]);
				o->value = xasprintf("subsystems/%s", dp->subsys[k]);
				o->port_link = true;
			}
	}
	free(match);
	if (ports)
		*ports = ids;
	else
		free(ids);
	free(cycle);
	free(lport_of);
	free(chg);
	return 0;
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
