/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include "dhchap.h"
#include "model.h"
#include "util.h"

bool attr_is_secret(const char *p)
{
	const char *base = strrchr(p, '/');
	base = base ? base + 1 : p;
	return streq(base, "dhchap_key") || streq(base, "dhchap_ctrl_key");
}

void attrs_free(struct nv_attrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].value);
		free(a->v[i].why);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

void attrs_del(struct nv_attrs *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (streq(a->v[i].name, name)) {
			free(a->v[i].name);
			free(a->v[i].value);
			free(a->v[i].why);
			memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof(*a->v));
			a->n--;
			return;
		}
}

struct nv_attr *attrs_find(struct nv_attrs *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (streq(a->v[i].name, name))
			return &a->v[i];
	return NULL;
}

const char *attrs_get(const struct nv_attrs *a, const char *name)
{
	struct nv_attr *at = attrs_find((struct nv_attrs *)a, name);
	return at ? at->value : NULL;
}

struct nv_attr *attrs_set(struct nv_attrs *a, const char *name, const char *value)
{
	struct nv_attr *at = attrs_find(a, name);

	if (!at) {
		at = array_push(&a->v, &a->n, sizeof(*at));
		at->name = xstrdup(name);
	} else {
		free(at->value);
	}
	at->value = xstrdup(value);
	return at;
}

void model_free(struct nv_model *m)
{
	model_free_contents(m);
	free(m);
}

static void subsys_free_contents(struct nv_subsys *s)
{
	free(s->nqn);
	attrs_free(&s->attrs);
	strv_free(s->hosts, s->nhosts);
	for (size_t j = 0; j < s->nns; j++) {
		attrs_free(&s->ns[j].attrs);
		free(s->ns[j].bdev);
		free(s->ns[j].missing);
	}
	free(s->ns);
}

void model_drop_subsys(struct nv_model *m, const char *nqn)
{
	for (size_t i = 0; i < m->nports; i++) {
		struct nv_port *p = &m->ports[i];
		for (size_t k = 0; k < p->nsubsys; k++)
			if (streq(p->subsys[k], nqn)) {
				free(p->subsys[k]);
				memmove(&p->subsys[k], &p->subsys[k + 1], (--p->nsubsys - k) * sizeof(char *));
				break;
			}
	}
	for (size_t i = 0; i < m->nsubsys; i++)
		if (streq(m->subsys[i].nqn, nqn)) {
			subsys_free_contents(&m->subsys[i]);
			memmove(&m->subsys[i], &m->subsys[i + 1], (--m->nsubsys - i) * sizeof(*m->subsys));
			return;
		}
}

void model_free_contents(struct nv_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nhosts; i++) {
		free(m->hosts[i].nqn);
		attrs_free(&m->hosts[i].attrs);
		secret_free(m->hosts[i].tls_psk);
		free(m->hosts[i].tls_file);
	}
	for (size_t i = 0; i < m->nsubsys; i++)
		subsys_free_contents(&m->subsys[i]);
	for (size_t i = 0; i < m->nports; i++) {
		attrs_free(&m->ports[i].attrs);
		strv_free(m->ports[i].subsys, m->ports[i].nsubsys);
		for (size_t j = 0; j < m->ports[i].nrefs; j++)
			referral_free_contents(&m->ports[i].refs[j]);
		free(m->ports[i].refs);
		free(m->ports[i].ana_state);
	}
	free(m->discovery_nqn);
	free(m->hosts);
	free(m->subsys);
	free(m->ports);
	memset(m, 0, sizeof(*m));
}

static int cmp_strp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_host(const void *a, const void *b)
{
	return strcmp(((const struct nv_host *)a)->nqn, ((const struct nv_host *)b)->nqn);
}
static int cmp_subsys(const void *a, const void *b)
{
	return strcmp(((const struct nv_subsys *)a)->nqn, ((const struct nv_subsys *)b)->nqn);
}

struct nv_host *model_host(const struct nv_model *m, const char *nqn)
{
	if (m->sorted) {
		struct nv_host key = { .nqn = (char *)nqn };
		return m->nhosts ? bsearch(&key, m->hosts, m->nhosts, sizeof(key), cmp_host) : NULL;
	}
	for (size_t i = 0; i < m->nhosts; i++)
		if (streq(m->hosts[i].nqn, nqn))
			return &m->hosts[i];
	return NULL;
}

struct nv_subsys *model_subsys(const struct nv_model *m, const char *nqn)
{
	if (m->sorted) {
		struct nv_subsys key = { .nqn = (char *)nqn };
		return m->nsubsys ? bsearch(&key, m->subsys, m->nsubsys, sizeof(key), cmp_subsys) : NULL;
	}
	for (size_t i = 0; i < m->nsubsys; i++)
		if (streq(m->subsys[i].nqn, nqn))
			return &m->subsys[i];
	return NULL;
}

struct nv_ns *subsys_ns(const struct nv_subsys *s, uint32_t nsid)
{
	for (size_t i = 0; i < s->nns; i++)
		if (s->ns[i].nsid == nsid)
			return &s->ns[i];
	return NULL;
}

struct nv_port *model_port(const struct nv_model *m, unsigned id)
{
	for (size_t i = 0; i < m->nports; i++)
		if (m->ports[i].id == id)
			return &m->ports[i];
	return NULL;
}

bool model_list_has(const struct nv_model *m, char *const *v, size_t n, const char *s)
{
	if (m->sorted)
		return n && bsearch(&s, v, n, sizeof(char *), cmp_strp);
	return strv_contains(v, n, s);
}

bool model_subsys_linked(const struct nv_model *m, const char *nqn)
{
	for (size_t i = 0; i < m->nports; i++)
		if (model_list_has(m, m->ports[i].subsys, m->ports[i].nsubsys, nqn))
			return true;
	return false;
}

bool port_tls(const struct nv_port *p)
{
	return streq_ptr(attrs_get(&p->attrs, "addr_tsas"), "tls1.3");
}

char *port_address(const struct nv_port *p)
{
	const char *t = attrs_get(&p->attrs, "addr_trtype");
	const char *f = attrs_get(&p->attrs, "addr_adrfam");
	const char *a = attrs_get(&p->attrs, "addr_traddr");
	const char *s = attrs_get(&p->attrs, "addr_trsvcid");

	return xasprintf("%s %s %s %s", t ? t : "-", f ? f : "-", a ? a : "-", s ? s : "-");
}

static int cmp_ns(const void *a, const void *b)
{
	uint32_t x = ((const struct nv_ns *)a)->nsid, y = ((const struct nv_ns *)b)->nsid;
	return x < y ? -1 : x > y;
}
/* By id; ports without one yet (a parsed config) by address, so the ids the plan gives them do not
 * depend on qsort's order of equal elements. */
static int cmp_port(const void *a, const void *b)
{
	const struct nv_port *p = a, *q = b;
	static const char *const keys[] = { "addr_trtype", "addr_adrfam", "addr_traddr", "addr_trsvcid" };

	if (p->id != q->id)
		return p->id < q->id ? -1 : 1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *x = attrs_get(&p->attrs, keys[i]), *y = attrs_get(&q->attrs, keys[i]);
		int c = strcmp(x ? x : "", y ? y : "");
		if (c)
			return c;
	}
	return 0;
}

/* Sort a string list and drop repeats. */
static void strv_sort_uniq(char **v, size_t *n)
{
	size_t k = 0;

	if (*n < 2)
		return;
	qsort(v, *n, sizeof(char *), cmp_strp);
	for (size_t i = 1; i < *n; i++) {
		if (streq(v[i], v[k]))
			free(v[i]);
		else
			v[++k] = v[i];
	}
	*n = k + 1;
}

int ana_rank(const char *state)
{
	static const char *const order[] = { "optimized", "non-optimized", "inaccessible", "persistent-loss" };

	for (int i = 0; state && i < (int)ARRAY_SIZE(order); i++)
		if (streq(state, order[i]))
			return i;
	return 2;
}

const char *port_ana_target(const struct nv_port *p)
{
	if (p->drained || p->ana_down)
		return "inaccessible";
	if (p->standby && p->ana_state && ana_rank(p->standby) > ana_rank(p->ana_state))
		return p->standby;
	return p->ana_state;
}

const char *port_ana_why(const struct nv_port *p, const char *want)
{
	return p->drained ? "drained (nvmetcfg drain)" : p->ana_down ? "the port cannot serve" :
	       streq(want, p->ana_state ? p->ana_state : "") ? "Listen" : "unpromoted (nvmetcfg role)";
}

const char *ana_state_name(const char *s)
{
	static const char *const names[] = { "optimized", "non-optimized", "inaccessible", "persistent-loss" };

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);
		bool same = strlen(s) == n;
		for (size_t k = 0; same && k < n; k++)
			same = (s[k] == '_' ? '-' : tolower((unsigned char)s[k])) == names[i][k];
		if (same)
			return names[i];
	}
	return NULL;
}

void referral_free_contents(struct nv_referral *r)
{
	free(r->name);
	attrs_free(&r->attrs);
}

char *referral_name(const char *trtype, const char *traddr, const char *trsvcid)
{
	return xasprintf("%s-%s-%s", trtype, traddr, trsvcid);
}

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct nv_referral *)a)->name, ((const struct nv_referral *)b)->name);
}

struct nv_referral *port_referral(const struct nv_port *p, const char *name)
{
	for (size_t i = 0; i < p->nrefs; i++)
		if (streq(p->refs[i].name, name))
			return &p->refs[i];
	return NULL;
}

void port_add_referrals(struct nv_port *p, const struct nv_referral *refs, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct nv_referral *r;

		if (port_referral(p, refs[k].name))
			continue;
		r = array_push(&p->refs, &p->nrefs, sizeof(*r));
		r->name = xstrdup(refs[k].name);
		for (size_t j = 0; j < refs[k].attrs.n; j++)
			attrs_set(&r->attrs, refs[k].attrs.v[j].name, refs[k].attrs.v[j].value);
		r->enable = refs[k].enable;
		r->line = refs[k].line;
	}
}

void model_sort(struct nv_model *m)
{
	if (m->nhosts)
		qsort(m->hosts, m->nhosts, sizeof(*m->hosts), cmp_host);
	if (m->nsubsys)
		qsort(m->subsys, m->nsubsys, sizeof(*m->subsys), cmp_subsys);
	for (size_t i = 0; i < m->nsubsys; i++) {
		struct nv_subsys *s = &m->subsys[i];
		if (s->nns)
			qsort(s->ns, s->nns, sizeof(*s->ns), cmp_ns);
		strv_sort_uniq(s->hosts, &s->nhosts);
	}
	if (m->nports)
		qsort(m->ports, m->nports, sizeof(*m->ports), cmp_port);
	for (size_t i = 0; i < m->nports; i++) {
		strv_sort_uniq(m->ports[i].subsys, &m->ports[i].nsubsys);
		if (m->ports[i].nrefs)
			qsort(m->ports[i].refs, m->ports[i].nrefs, sizeof(*m->ports[i].refs), cmp_ref);
	}
	m->sorted = true;
}
