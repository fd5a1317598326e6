/* SPDX-License-Identifier: GPL-2.0-or-later */
/* configfs -> live model. Only attributes nvmetd manages or shows are read; files the running
 * kernel lacks are simply absent from the model (feature detection by presence). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "live-attrs.h"
#include "live.h"
#include "util.h"

static void read_attrs(const char *dir, const char *const *names, size_t n, struct nv_attrs *out)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = path_join(dir, names[i]);
		_cleanup_free_ char *v = NULL;

		if (read_attr(p, &v) == 0)
			attrs_set(out, names[i], v);
	}
}

/* A namespace's or referral's enable file. */
static bool read_enable(const char *dir)
{
	_cleanup_free_ char *ep = path_join(dir, "enable");
	_cleanup_free_ char *ev = NULL;

	return read_attr(ep, &ev) == 0 && streq(ev, "1");
}

/* Entries of a directory of symlinks (allowed_hosts, port subsystems). */
static int read_links(const char *dir, char ***out, size_t *n)
{
	char **names = NULL;
	int r = list_dir(dir, &names);

	if (r < 0)
		return r == -ENOENT ? 0 : r;
	*out = names;
	*n = r;
	return 0;
}

static int read_subsys(const char *root, const char *nqn, struct nv_subsys *s)
{
	_cleanup_free_ char *dir = path_join(root, nqn);
	_cleanup_free_ char *hdir = path_join(dir, "allowed_hosts");
	_cleanup_free_ char *nsdir = path_join(dir, "namespaces");
	_cleanup_strv_ char **nss = NULL;
	int r, n;

	s->nqn = xstrdup(nqn);
	read_attrs(dir, subsys_attrs, ARRAY_SIZE(subsys_attrs), &s->attrs);
	r = read_links(hdir, &s->hosts, &s->nhosts);
	if (r < 0)
		return r;
	n = list_dir(nsdir, &nss);
	if (n < 0)
		return n == -ENOENT ? 0 : n;
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *d = path_join(nsdir, nss[i]);
		unsigned long long id;
		struct nv_ns *ns;

		if (parse_u64(nss[i], &id) < 0)
			continue;
		ns = array_push(&s->ns, &s->nns, sizeof(*ns));
		ns->nsid = id;
		read_attrs(d, ns_attrs, ARRAY_SIZE(ns_attrs), &ns->attrs);
		ns->enable = read_enable(d);
	}
	return 0;
}

static int read_referrals(const char *portdir, struct nv_port *p)
{
	_cleanup_free_ char *rdir = path_join(portdir, "referrals");
	_cleanup_strv_ char **names = NULL;
	int n = list_dir(rdir, &names);

	if (n < 0)
		return n == -ENOENT ? 0 : n;
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *d = path_join(rdir, names[i]);
		struct nv_referral *r = array_push(&p->refs, &p->nrefs, sizeof(*r));

		r->name = xstrdup(names[i]);
		read_attrs(d, referral_attrs, ARRAY_SIZE(referral_attrs), &r->attrs);
		r->enable = read_enable(d);
	}
	return 0;
}

int live_read(struct nv_ctx *c, struct nv_model **out)
{
	_cleanup_(model_freep) struct nv_model *m = xcalloc(1, sizeof(*m));
	_cleanup_free_ char *hroot = path_join(c->nvmet, "hosts");
	_cleanup_free_ char *sroot = path_join(c->nvmet, "subsystems");
	_cleanup_free_ char *proot = path_join(c->nvmet, "ports");
	_cleanup_strv_ char **hosts = NULL, **subsystems = NULL, **ports = NULL;
	int n, r = 0;

	n = list_dir(hroot, &hosts);
	if (n == -ENOENT)
		goto done; /* nvmet not loaded: nothing is configured */
	if (n < 0)
		return n;
	{
		_cleanup_free_ char *dp = path_join(c->nvmet, "discovery_nqn");
		if (read_attr(dp, &m->discovery_nqn) < 0)
			m->discovery_nqn = NULL;	/* this kernel has no unique discovery NQN */
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *d = path_join(hroot, hosts[i]);
		struct nv_host *h = array_push(&m->hosts, &m->nhosts, sizeof(*h));
		h->nqn = xstrdup(hosts[i]);
		read_attrs(d, host_attrs, ARRAY_SIZE(host_attrs), &h->attrs);
		read_attrs(d, host_secret_attrs, ARRAY_SIZE(host_secret_attrs), &h->attrs);
	}

	n = list_dir(sroot, &subsystems);
	if (n < 0)
		return n;
	for (int i = 0; i < n && r == 0; i++)
		r = read_subsys(sroot, subsystems[i], array_push(&m->subsys, &m->nsubsys, sizeof(struct nv_subsys)));
	if (r < 0)
		return r;

	n = list_dir(proot, &ports);
	if (n < 0)
		return n;
	for (int i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *d = path_join(proot, ports[i]);
		_cleanup_free_ char *sd = path_join(d, "subsystems");
		unsigned long long id;
		struct nv_port *p;

		if (parse_u64(ports[i], &id) < 0 || id > USHRT_MAX)
			continue;
		p = array_push(&m->ports, &m->nports, sizeof(*p));
		p->id = id;
		read_attrs(d, port_attrs, ARRAY_SIZE(port_attrs), &p->attrs);
		r = read_links(sd, &p->subsys, &p->nsubsys);
		if (r == 0)
			r = read_referrals(d, p);
		{
			_cleanup_free_ char *ap = path_join(d, "ana_groups/1/ana_state");
			if (read_attr(ap, &p->ana_state) < 0)
				p->ana_state = NULL;
		}
	}
	if (r < 0)
		return r;
done:
	model_sort(m);
	*out = TAKE_PTR(m);
	return 0;
}
