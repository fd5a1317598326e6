/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mdns-names.h"
#include "mdns-tab.h"
#include "util.h"

typedef char *alt_fn(const char *base, unsigned attempt);

static bool wildcard(const char *addr) { return streq(addr, "0.0.0.0") || streq(addr, "::"); }

static const char *nqn_of(const struct mdns_tab *t) { return t->nqn ? t->nqn : ""; }

/* Waiting to be published (again): new, failed, or its name given up. */
static bool waiting(enum mdns_rec_state st)
{
	return st == MDNS_PENDING || st == MDNS_FAILED || st == MDNS_GAVE_UP;
}

/* Services are published once their address's host record is (a wildcard has none). */
static bool addr_ready(const struct mdns_addr *a)
{
	return !a->host.cur || a->state == MDNS_COMMITTED || a->state == MDNS_ESTABLISHED;
}

/* ---- names ---- */

static void name_init(struct mdns_name *n, char *base, alt_fn *alt)
{
	n->base = base;
	n->cur = base ? alt(base, 1) : NULL;
	n->attempt = 1;
	n->renames = 0;
}

/* Take the next alternative, unless the name collided too often since it was last established. */
static bool name_next(struct mdns_name *n, alt_fn *alt)
{
	if (++n->renames > MDNS_MAX_RENAMES)
		return false;
	free(n->cur);
	n->cur = alt(n->base, ++n->attempt);
	return true;
}

/* Before a retry: a full collision budget, and the first choice again after giving up. */
static void name_rearm(struct mdns_name *n, enum mdns_rec_state st, alt_fn *alt)
{
	n->renames = 0;
	if (st == MDNS_GAVE_UP) {
		free(n->cur);
		n->attempt = 1;
		n->cur = alt(n->base, 1);
	}
}

static void name_free(struct mdns_name *n)
{
	free(n->base);
	free(n->cur);
}

/* ---- records ---- */

static void svc_free(struct mdns_tab *t, struct mdns_svc *s)
{
	t->ops->withdraw(t, &s->io);	/* goodbye packets */
	name_free(&s->name);
	free(s->trtype);
	free(s->proto);
	free(s->txt_nqn);
	free(s);
}

static void addr_free(struct mdns_tab *t, struct mdns_addr *a)
{
	for (size_t i = 0; i < a->n; i++)
		svc_free(t, a->svcs[i]);
	t->ops->withdraw(t, &a->io);
	name_free(&a->host);
	free(a->svcs);
	free(a->key);
	free(a->addr);
	free(a);
}

static void svc_withdraw(struct mdns_tab *t, struct mdns_svc *s)
{
	t->ops->withdraw(t, &s->io);
	free(s->txt_nqn);
	s->txt_nqn = NULL;
	s->state = MDNS_PENDING;
}

/* The address's host record is gone: its services wait for it (pointing at a name nobody answers
 * for, a browser could not resolve them). */
static void svcs_withdraw(struct mdns_tab *t, struct mdns_addr *a)
{
	for (size_t i = 0; i < a->n; i++)
		svc_withdraw(t, a->svcs[i]);
}

static void publish_svc(struct mdns_tab *t, struct mdns_svc *s)
{
	int r = t->ops->publish_svc(t, s);

	free(s->txt_nqn);
	s->txt_nqn = NULL;
	if (r == MDNS_TAKEN) {
		mdns_svc_collision(s);
		return;
	}
	if (r < 0) {
		log_error("mDNS: cannot advertise %s:%u: %s; trying again at the next change or reload", s->addr->addr,
			  s->port, t->ops->strerror(r));
		t->ops->withdraw(t, &s->io);
		s->state = MDNS_FAILED;
		return;
	}
	s->txt_nqn = xstrdup(nqn_of(t));
	s->state = MDNS_COMMITTED;
}

/* A new discovery NQN: the TXT record changes in place, the service stays on the network. */
static void update_txt(struct mdns_tab *t, struct mdns_svc *s)
{
	int r = t->ops->update_txt(t, s);

	if (r < 0) {
		log_debug("mDNS: cannot update the TXT of \"%s\" (%s); publishing it again", s->name.cur,
			  t->ops->strerror(r));
		publish_svc(t, s);
		return;
	}
	log_info("mDNS: \"%s\" now says nqn=%s", s->name.cur, nqn_of(t));
	free(s->txt_nqn);
	s->txt_nqn = xstrdup(nqn_of(t));
}

static void publish_addr(struct mdns_tab *t, struct mdns_addr *a)
{
	int r = t->ops->publish_addr(t, a);

	if (r == MDNS_TAKEN) {
		mdns_addr_collision(a);
		return;
	}
	if (r < 0) {
		log_error("mDNS: cannot publish %s for %s: %s; trying again at the next change or reload", a->host.cur,
			  a->addr, t->ops->strerror(r));
		t->ops->withdraw(t, &a->io);
		a->state = MDNS_FAILED;
		svcs_withdraw(t, a);
		return;
	}
	a->state = MDNS_COMMITTED;
}

void mdns_tab_retry(struct mdns_tab *t)
{
	if (!t->live)
		return;
	for (size_t i = 0; i < t->n; i++) {
		struct mdns_addr *a = t->addrs[i];

		if (a->host.cur && waiting(a->state)) {
			name_rearm(&a->host, a->state, mdns_alt_host);
			publish_addr(t, a);
		}
		for (size_t k = 0; k < a->n && addr_ready(a); k++) {
			struct mdns_svc *s = a->svcs[k];

			if (waiting(s->state)) {
				name_rearm(&s->name, s->state, mdns_alt_service);
				publish_svc(t, s);
			} else if (!streq_ptr(s->txt_nqn, nqn_of(t))) {
				update_txt(t, s);
			}
		}
	}
}

/* ---- what is wanted ---- */

static struct mdns_addr *want_addr(struct mdns_tab *t, const struct mdns_service *v, const char *hostname)
{
	_cleanup_free_ char *key = xasprintf("%d %s %s", v->ifindex, v->adrfam, v->traddr);
	struct mdns_addr *a;

	for (size_t i = 0; i < t->n; i++)
		if (streq(t->addrs[i]->key, key))
			return t->addrs[i];
	a = xcalloc(1, sizeof(*a));
	a->key = TAKE_PTR(key);
	a->ifindex = v->ifindex;
	a->ipv6 = streq(v->adrfam, "ipv6");
	a->addr = xstrdup(v->traddr);
	a->tab = t;
	name_init(&a->host, wildcard(v->traddr) ? NULL : mdns_host_label(hostname, v->traddr), mdns_alt_host);
	*(struct mdns_addr **)array_push(&t->addrs, &t->n, sizeof(a)) = a;
	return a;
}

static struct mdns_svc *want_svc(struct mdns_addr *a, const struct mdns_service *v, const char *hostname)
{
	uint16_t port = (uint16_t)atoi(v->trsvcid);
	struct mdns_svc *s;

	for (size_t i = 0; i < a->n; i++) {
		s = a->svcs[i];
		if (s->port == port && streq(s->trtype, v->trtype) && streq(s->proto, v->proto))
			return s;
	}
	s = xcalloc(1, sizeof(*s));
	name_init(&s->name, xasprintf("%s %s %s:%s", hostname, v->trtype, v->traddr, v->trsvcid), mdns_alt_service);
	s->port = port;
	s->trtype = xstrdup(v->trtype);
	s->proto = xstrdup(v->proto);
	s->addr = a;
	*(struct mdns_svc **)array_push(&a->svcs, &a->n, sizeof(s)) = s;
	return s;
}

/* Drop what was not wanted again: services, then addresses left without any. */
static void sweep(struct mdns_tab *t)
{
	size_t j = 0;

	for (size_t i = 0; i < t->n; i++) {
		struct mdns_addr *a = t->addrs[i];
		size_t m = 0;

		for (size_t k = 0; k < a->n; k++) {
			struct mdns_svc *s = a->svcs[k];

			if (s->keep) {
				a->svcs[m++] = s;
				continue;
			}
			if (s->state == MDNS_COMMITTED || s->state == MDNS_ESTABLISHED)
				log_notice("mDNS: withdrawing \"%s\" (%s:%u no longer listens)", s->name.cur, a->addr,
					   s->port);
			svc_free(t, s);
		}
		a->n = m;
		if (a->keep)
			t->addrs[j++] = a;
		else
			addr_free(t, a);
	}
	t->n = j;
}

void mdns_tab_sync(struct mdns_tab *t, const struct mdns_service *v, size_t n, const char *nqn,
		   const char *hostname)
{
	free(t->nqn);
	t->nqn = nqn ? xstrdup(nqn) : NULL;
	for (size_t i = 0; i < t->n; i++) {
		t->addrs[i]->keep = false;
		for (size_t k = 0; k < t->addrs[i]->n; k++)
			t->addrs[i]->svcs[k]->keep = false;
	}
	for (size_t i = 0; i < n; i++) {
		struct mdns_addr *a = want_addr(t, &v[i], hostname);

		a->keep = true;
		want_svc(a, &v[i], hostname)->keep = true;
	}
	sweep(t);	/* first: a name withdrawn is free for a new record */
	mdns_tab_retry(t);
}

/* ---- what avahi-daemon says ---- */

void mdns_tab_set_live(struct mdns_tab *t, bool live)
{
	t->live = live;
	if (live) {
		mdns_tab_retry(t);
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		struct mdns_addr *a = t->addrs[i];

		t->ops->withdraw(t, &a->io);
		a->state = MDNS_PENDING;
		svcs_withdraw(t, a);
	}
}

void mdns_tab_lost(struct mdns_tab *t)
{
	t->live = false;
	for (size_t i = 0; i < t->n; i++) {
		struct mdns_addr *a = t->addrs[i];

		a->io = NULL;
		a->state = MDNS_PENDING;
		for (size_t k = 0; k < a->n; k++) {
			a->svcs[k]->io = NULL;
			svc_withdraw(t, a->svcs[k]);	/* nothing left to withdraw: only the state */
		}
	}
}

void mdns_svc_established(struct mdns_svc *s)
{
	if (s->state != MDNS_ESTABLISHED)
		log_notice("mDNS: advertising %s \"%s\" at %s:%u (p=%s)", MDNS_SERVICE_TYPE, s->name.cur,
			   s->addr->addr, s->port, s->proto);
	s->state = MDNS_ESTABLISHED;
	s->name.renames = 0;
}

void mdns_svc_collision(struct mdns_svc *s)
{
	struct mdns_tab *t = s->addr->tab;
	_cleanup_free_ char *was = xstrdup(s->name.cur);

	if (!name_next(&s->name, mdns_alt_service)) {
		log_error("mDNS: the name \"%s\" keeps colliding on the network; not advertising %s:%u until the "
			  "next change or reload", was, s->addr->addr, s->port);
		svc_withdraw(t, s);
		s->state = MDNS_GAVE_UP;
		return;
	}
	log_warn("mDNS: \"%s\" is taken on the network; using \"%s\"", was, s->name.cur);
	publish_svc(t, s);
}

void mdns_svc_failed(struct mdns_svc *s, int err)
{
	log_error("mDNS: advertising \"%s\" failed: %s; trying again at the next change or reload", s->name.cur,
		  s->addr->tab->ops->strerror(err));
	s->state = MDNS_FAILED;
}

void mdns_addr_established(struct mdns_addr *a)
{
	a->state = MDNS_ESTABLISHED;
	a->host.renames = 0;
}

void mdns_addr_collision(struct mdns_addr *a)
{
	struct mdns_tab *t = a->tab;
	_cleanup_free_ char *was = xstrdup(a->host.cur);

	if (!name_next(&a->host, mdns_alt_host)) {
		log_error("mDNS: the host name \"%s\" keeps colliding on the network; not advertising %s until "
			  "the next change or reload", was, a->addr);
		t->ops->withdraw(t, &a->io);
		a->state = MDNS_GAVE_UP;
		svcs_withdraw(t, a);
		return;
	}
	log_warn("mDNS: \"%s\" is taken on the network; using \"%s\"", was, a->host.cur);
	publish_addr(t, a);
	/* the services point at the host name: they move with it (those waiting follow at the retry) */
	for (size_t k = 0; k < a->n && addr_ready(a); k++)
		if (!waiting(a->svcs[k]->state))
			publish_svc(t, a->svcs[k]);
}

void mdns_addr_failed(struct mdns_addr *a, int err)
{
	log_error("mDNS: publishing %s for %s failed: %s; trying again at the next change or reload", a->host.cur,
		  a->addr, a->tab->ops->strerror(err));
	a->state = MDNS_FAILED;
	svcs_withdraw(a->tab, a);
}

void mdns_tab_init(struct mdns_tab *t, const struct mdns_ops *ops, void *ud)
{
	*t = (struct mdns_tab){ .ops = ops, .ud = ud };
}

void mdns_tab_free(struct mdns_tab *t)
{
	for (size_t i = 0; i < t->n; i++)
		addr_free(t, t->addrs[i]);
	free(t->addrs);
	free(t->nqn);
	*t = (struct mdns_tab){ .ops = t->ops, .ud = t->ud };
}
