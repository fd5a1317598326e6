/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rpc.conf's editable form (rpcconf.h): read with the INI tokenizer, written with the one writer. */
#include <errno.h>
#include <stdio.h>
#include <strings.h>

#include "confwriter.h"
#include "ini.h"
#include "role.h"
#include "rpcconf.h"
#include "spdkconf.h"
#include "util.h"

struct rd {
	struct rpcconf *rc;
	const struct ini_section *sec;
	const struct ini_entry *e;
	char **err;
};

static int bad(struct rd *d, const char *why)
{
	*d->err = xasprintf("line %u: [%s] %s: %s", d->e ? d->e->line : d->sec->line, d->sec->name,
			    d->e ? d->e->key : "", why);
	return -EINVAL;
}

static int nvals(struct rd *d, size_t lo, size_t hi)
{
	return d->e->nvals < lo || d->e->nvals > hi ? bad(d, "wrong number of values") : 0;
}

static int num(struct rd *d, size_t i, unsigned long long max, unsigned long long *out)
{
	if (parse_u64(d->e->vals[i], out) < 0 || *out > max)
		return bad(d, "not a number in range");
	return 0;
}

static int read_transport(struct rd *d)
{
	struct rc_transport *t = array_push(&d->rc->tr, &d->rc->ntr, sizeof(*t));
	unsigned long long v;

	t->queue_depth = t->max_queues = t->in_capsule = -1;
	for (size_t i = 0; i < d->sec->n; i++) {
		d->e = &d->sec->e[i];
		if (nvals(d, 1, 1) < 0)
			return -EINVAL;
		if (!strcasecmp(d->e->key, "Type") && !t->trtype)
			t->trtype = xstrdup(d->e->vals[0]);
		else if (!strcasecmp(d->e->key, "MaxQueueDepth") && num(d, 0, 65535, &v) == 0)
			t->queue_depth = (long long)v;
		else if (!strcasecmp(d->e->key, "MaxQueuesPerSession") && num(d, 0, 65535, &v) == 0)
			t->max_queues = (long long)v;
		else if (!strcasecmp(d->e->key, "InCapsuleDataSize") && num(d, 0, 1ULL << 30, &v) == 0)
			t->in_capsule = (long long)v;
		else
			return *d->err ? -EINVAL : bad(d, "not written by nvmetd");
	}
	d->e = NULL;
	return t->trtype ? 0 : bad(d, "no Type");
}

static int read_bdevs(struct rd *d, bool nvme)
{
	static const char pfx[] = "trtype:PCIe traddr:";
	unsigned long long bs = 0;

	for (size_t i = 0; i < d->sec->n; i++) {
		struct rc_bdev *b;

		d->e = &d->sec->e[i];
		if (strcasecmp(d->e->key, nvme ? "TransportID" : "AIO"))
			return bad(d, "not written by nvmetd");
		if (nvals(d, 2, nvme ? 2 : 3) < 0 || (d->e->nvals == 3 && num(d, 2, 65536, &bs) < 0))
			return -EINVAL;
		if (nvme && strncmp(d->e->vals[0], pfx, sizeof(pfx) - 1))
			return bad(d, "not a PCIe TransportID");
		b = nvme ? array_push(&d->rc->nvme, &d->rc->nnvme, sizeof(*b)) : array_push(&d->rc->aio, &d->rc->naio, sizeof(*b));
		b->arg = xstrdup(d->e->vals[0] + (nvme ? sizeof(pfx) - 1 : 0));
		b->name = xstrdup(d->e->vals[1]);
		b->block_size = (unsigned)bs;
	}
	return 0;
}

static int read_malloc(struct rd *d)
{
	unsigned long long v;

	for (size_t i = 0; i < d->sec->n; i++) {
		d->e = &d->sec->e[i];
		if (nvals(d, 1, 1) < 0 || num(d, 0, 1ULL << 20, &v) < 0)
			return -EINVAL;
		if (!strcasecmp(d->e->key, "NumberOfLuns"))
			d->rc->malloc_n = (unsigned)v;
		else if (!strcasecmp(d->e->key, "LunSizeInMB"))
			d->rc->malloc_mb = v;
		else if (!strcasecmp(d->e->key, "BlockSize"))
			d->rc->malloc_bs = (unsigned)v;
		else
			return bad(d, "not written by nvmetd");
	}
	return 0;
}

static int read_ns(struct rd *d, struct rc_subsys *s)
{
	unsigned long long nsid = 0;
	struct rc_ns *ns;

	if (nvals(d, 2, 3) < 0 || num(d, 1, UINT32_MAX, &nsid) < 0)
		return -EINVAL;
	ns = array_push(&s->ns, &s->nns, sizeof(*ns));
	ns->bdev = xstrdup(d->e->vals[0]);
	ns->nsid = (uint32_t)nsid;
	ns->uuid = d->e->nvals == 3 ? xstrdup(d->e->vals[2]) : NULL;
	return 0;
}

/* "Listen TRTYPE ADDR [ANA-STATE] [tls]", in the order render writes them. */
static int read_listen(struct rd *d, struct rc_subsys *s)
{
	struct rc_listen *l;
	size_t i = 2;

	if (nvals(d, 2, 4) < 0)
		return -EINVAL;
	l = array_push(&s->ls, &s->nls, sizeof(*l));
	l->trtype = xstrdup(d->e->vals[0]);
	l->addr = xstrdup(d->e->vals[1]);
	if (i < d->e->nvals && ana_state_name(d->e->vals[i]))
		l->ana = xstrdup(ana_state_name(d->e->vals[i++]));
	if (i < d->e->nvals && !strcasecmp(d->e->vals[i], "tls"))
		l->tls = (i++, true);
	return i == d->e->nvals ? 0 : bad(d, "not written by nvmetd");
}

static int read_entry(struct rd *d, struct rc_subsys *s)
{
	const char *k = d->e->key, *v = d->e->vals[0];
	char **dst = !strcasecmp(k, "NQN") ? &s->nqn : !strcasecmp(k, "SN") ? &s->sn : !strcasecmp(k, "MN") ? &s->mn : NULL;

	if (!strcasecmp(k, "Namespace"))
		return read_ns(d, s);
	if (!strcasecmp(k, "Listen"))
		return read_listen(d, s);
	if (nvals(d, 1, 1) < 0)
		return -EINVAL;
	if (dst && !*dst)
		*dst = xstrdup(v);
	else if (!strcasecmp(k, "AllowAnyHost"))
		s->any_host = !strcasecmp(v, "Yes");
	else if (!strcasecmp(k, "Host"))
		*(char **)array_push(&s->hosts, &s->nhosts, sizeof(char *)) = xstrdup(v);
	else if (!strcasecmp(k, "ControllerIDs") && !s->cntlid_min)
		return role_parse_range(v, &s->cntlid_min, &s->cntlid_max) < 0 ? bad(d, "not a range MIN-MAX") : 0;
	else
		return bad(d, "not written by nvmetd");
	return 0;
}

static int read_subsys(struct rd *d)
{
	struct rc_subsys *s = array_push(&d->rc->ss, &d->rc->nss, sizeof(*s));

	for (size_t i = 0; i < d->sec->n; i++) {
		d->e = &d->sec->e[i];
		if (read_entry(d, s) < 0)
			return -EINVAL;
	}
	d->e = NULL;
	return s->nqn ? 0 : bad(d, "no NQN");
}

static int read_keyring(struct rd *d)
{
	for (size_t i = 0; i < d->sec->n; i++) {
		struct rc_key *k;

		d->e = &d->sec->e[i];
		if (strcasecmp(d->e->key, "Key"))
			return bad(d, "not written by nvmetd");
		if (nvals(d, 2, 2) < 0)
			return -EINVAL;
		k = array_push(&d->rc->keys, &d->rc->nkeys, sizeof(*k));
		k->name = xstrdup(d->e->vals[0]);
		k->path = xstrdup(d->e->vals[1]);
	}
	return 0;
}

static int read_cred(struct rd *d)
{
	struct rc_cred *c = array_push(&d->rc->creds, &d->rc->ncreds, sizeof(*c));

	for (size_t i = 0; i < d->sec->n; i++) {
		const char *k;
		char **dst;

		d->e = &d->sec->e[i];
		k = d->e->key;
		dst = !strcasecmp(k, "NQN") ? &c->nqn : !strcasecmp(k, "DhchapKey") ? &c->key :
		      !strcasecmp(k, "DhchapCtrlKey") ? &c->ctrl : !strcasecmp(k, "TlsKey") ? &c->psk : NULL;
		if (!dst || *dst)
			return bad(d, "not written by nvmetd");
		if (nvals(d, 1, 1) < 0)
			return -EINVAL;
		*dst = xstrdup(d->e->vals[0]);
	}
	d->e = NULL;
	return c->nqn ? 0 : bad(d, "no NQN");
}

static int read_discovery(struct rd *d)
{
	for (size_t i = 0; i < d->sec->n; i++) {
		struct rc_referral *r;

		d->e = &d->sec->e[i];
		if (strcasecmp(d->e->key, "Referral"))
			return bad(d, "not written by nvmetd");
		if (nvals(d, 2, 2) < 0)
			return -EINVAL;
		r = array_push(&d->rc->refs, &d->rc->nrefs, sizeof(*r));
		r->trtype = xstrdup(d->e->vals[0]);
		r->addr = xstrdup(d->e->vals[1]);
	}
	return 0;
}

static int read_section(struct rd *d)
{
	const char *n = d->sec->name;

	d->e = NULL;
	if (!strncasecmp(n, "Transport", 9))
		return read_transport(d);
	if (!strcasecmp(n, "Nvme") || !strcasecmp(n, "AIO"))
		return read_bdevs(d, !strcasecmp(n, "Nvme"));
	if (!strcasecmp(n, "Malloc"))
		return read_malloc(d);
	if (!strncasecmp(n, "Subsystem", 9))
		return read_subsys(d);
	if (!strcasecmp(n, "Keyring"))
		return read_keyring(d);
	if (!strcasecmp(n, "Discovery"))
		return read_discovery(d);
	if (!strncasecmp(n, "Host", 4))
		return read_cred(d);
	return bad(d, "a section nvmetd does not write");
}

int rpcconf_parse(const char *text, struct rpcconf *rc, char **err)
{
	_cleanup_(ini_freep) struct ini_file *ini = NULL;
	struct nv_report rep = { 0 };
	struct rd d = { .rc = rc, .err = err };
	int r;

	*rc = (struct rpcconf){ 0 };
	*err = NULL;
	r = ini_parse("rpc.conf", text ? text : "", &ini, &rep);
	if (r < 0) {
		*err = xstrdup(rep.n ? rep.d[0].msg : "syntax error");
		report_free(&rep);
		return r;
	}
	report_free(&rep);
	for (size_t i = 0; i < ini->n; i++) {
		d.sec = &ini->s[i];
		r = read_section(&d);
		if (r < 0) {
			rpcconf_free(rc);
			return r;
		}
	}
	return 0;
}

static void put_num(struct conf_writer *w, const char *key, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	cw_kv(w, key, buf);
}

static void render_bdevs(struct conf_writer *w, const struct rpcconf *rc)
{
	char buf[32];

	for (size_t i = 0; i < rc->ntr; i++) {
		const struct rc_transport *t = &rc->tr[i];
		cw_section(w, "Transport%zu", i + 1);
		cw_kv(w, "Type", t->trtype);
		if (t->queue_depth >= 0)
			put_num(w, "MaxQueueDepth", (unsigned long long)t->queue_depth);
		if (t->max_queues >= 0)
			put_num(w, "MaxQueuesPerSession", (unsigned long long)t->max_queues);
		if (t->in_capsule >= 0)
			put_num(w, "InCapsuleDataSize", (unsigned long long)t->in_capsule);
		cw_blank(w);
	}
	if (rc->nnvme)
		cw_section(w, "Nvme");
	for (size_t i = 0; i < rc->nnvme; i++) {
		_cleanup_free_ char *tid = xasprintf("trtype:PCIe traddr:%s", rc->nvme[i].arg);
		cw_kv(w, "TransportID", tid, rc->nvme[i].name);
	}
	if (rc->naio)
		cw_section(w, "AIO");
	for (size_t i = 0; i < rc->naio; i++) {
		snprintf(buf, sizeof(buf), "%u", rc->aio[i].block_size);
		cw_kv(w, "AIO", rc->aio[i].arg, rc->aio[i].name, rc->aio[i].block_size ? buf : NULL);
	}
	if (rc->malloc_n) {
		cw_section(w, "Malloc");
		put_num(w, "NumberOfLuns", rc->malloc_n);
		put_num(w, "LunSizeInMB", rc->malloc_mb);
		put_num(w, "BlockSize", rc->malloc_bs);
	}
	if (rc->nrefs)
		cw_section(w, "Discovery");
	for (size_t i = 0; i < rc->nrefs; i++)
		cw_kv(w, "Referral", rc->refs[i].trtype, rc->refs[i].addr);
}

static void render_subsys(struct conf_writer *w, size_t i, const struct rc_subsys *s)
{
	char buf[16];

	cw_blank(w);
	cw_section(w, "Subsystem%zu", i + 1);
	cw_kv(w, "NQN", s->nqn);
	for (size_t k = 0; k < s->nls; k++) {
		const struct rc_listen *l = &s->ls[k];
		const char *tls = l->tls ? "tls" : NULL;
		cw_kv(w, "Listen", l->trtype, l->addr, l->ana ? l->ana : tls, l->ana ? tls : NULL);
	}
	cw_kv(w, "AllowAnyHost", s->any_host ? "Yes" : "No");
	if (s->cntlid_min) {
		char range[32];
		snprintf(range, sizeof(range), "%u-%u", s->cntlid_min, s->cntlid_max);
		cw_kv(w, "ControllerIDs", range);
	}
	for (size_t k = 0; k < s->nhosts; k++)
		cw_kv(w, "Host", s->hosts[k]);
	if (s->sn)
		cw_kv(w, "SN", s->sn);
	if (s->mn)
		cw_kv(w, "MN", s->mn);
	for (size_t k = 0; k < s->nns; k++) {
		snprintf(buf, sizeof(buf), "%u", s->ns[k].nsid);
		cw_kv(w, "Namespace", s->ns[k].bdev, buf, s->ns[k].uuid);
	}
}

/* [Keyring] and the [HostN] of the hosts a subsystem lists (the others are dropped). */
static void render_keys(struct conf_writer *w, const struct rpcconf *rc)
{
	size_t n = 0;

	if (rc->nkeys)
		cw_section(w, "Keyring");
	for (size_t i = 0; i < rc->nkeys; i++)
		cw_kv(w, "Key", rc->keys[i].name, rc->keys[i].path);
	if (rc->nkeys)
		cw_blank(w);
	for (size_t i = 0; i < rc->ncreds; i++) {
		const struct rc_cred *c = &rc->creds[i];
		if (!rpcconf_host_used(rc, c->nqn))
			continue;
		cw_section(w, "Host%zu", ++n);
		cw_kv(w, "NQN", c->nqn);
		if (c->key)
			cw_kv(w, "DhchapKey", c->key);
		if (c->ctrl)
			cw_kv(w, "DhchapCtrlKey", c->ctrl);
		if (c->psk)
			cw_kv(w, "TlsKey", c->psk);
		cw_blank(w);
	}
}

int rpcconf_render(const struct rpcconf *rc, char **text, char **err)
{
	struct conf_writer w;
	int r = cw_open(&w);

	*err = NULL;
	if (r < 0)
		return r;
	cw_comment(&w, "Written by nvmetd: the objects made through SPDK JSON-RPC (rpc_socket). nvmetd loads it");
	cw_comment(&w, "with nvmf.conf and rewrites it after every change it applies: do not edit it while nvmetd runs.");
	cw_blank(&w);
	render_keys(&w, rc);
	render_bdevs(&w, rc);
	for (size_t i = 0; i < rc->nss; i++)
		render_subsys(&w, i, &rc->ss[i]);
	return cw_close(&w, text, err);
}

void rpcconf_subsys_free(struct rc_subsys *s)
{
	free(s->nqn);
	free(s->sn);
	free(s->mn);
	strv_free(s->hosts, s->nhosts);
	for (size_t k = 0; k < s->nns; k++) {
		free(s->ns[k].bdev);
		free(s->ns[k].uuid);
	}
	free(s->ns);
	for (size_t k = 0; k < s->nls; k++)
		rpcconf_listen_free(&s->ls[k]);
	free(s->ls);
}

void rpcconf_listen_free(struct rc_listen *l)
{
	free(l->trtype);
	free(l->addr);
	free(l->ana);
}

static void bdevs_free(struct rc_bdev *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].arg);
	}
	free(v);
}

void rpcconf_free(struct rpcconf *rc)
{
	for (size_t i = 0; i < rc->ntr; i++)
		free(rc->tr[i].trtype);
	free(rc->tr);
	bdevs_free(rc->nvme, rc->nnvme);
	bdevs_free(rc->aio, rc->naio);
	for (size_t i = 0; i < rc->nss; i++)
		rpcconf_subsys_free(&rc->ss[i]);
	free(rc->ss);
	for (size_t i = 0; i < rc->nkeys; i++) {
		free(rc->keys[i].name);
		free(rc->keys[i].path);
	}
	free(rc->keys);
	for (size_t i = 0; i < rc->ncreds; i++)
		rpcconf_cred_free(&rc->creds[i]);
	free(rc->creds);
	for (size_t i = 0; i < rc->nrefs; i++) {
		free(rc->refs[i].trtype);
		free(rc->refs[i].addr);
	}
	free(rc->refs);
	*rc = (struct rpcconf){ 0 };
}

struct rc_subsys *rpcconf_subsys(const struct rpcconf *rc, const char *nqn)
{
	for (size_t i = 0; i < rc->nss; i++)
		if (streq(rc->ss[i].nqn, nqn))
			return &rc->ss[i];
	return NULL;
}

struct rc_key *rpcconf_key(const struct rpcconf *rc, const char *name)
{
	for (size_t i = 0; i < rc->nkeys; i++)
		if (streq(keyring_bare_name(rc->keys[i].name), keyring_bare_name(name)))
			return &rc->keys[i];
	return NULL;
}

struct rc_cred *rpcconf_cred(const struct rpcconf *rc, const char *nqn)
{
	for (size_t i = 0; i < rc->ncreds; i++)
		if (streq(rc->creds[i].nqn, nqn))
			return &rc->creds[i];
	return NULL;
}

bool rpcconf_host_used(const struct rpcconf *rc, const char *nqn)
{
	for (size_t i = 0; i < rc->nss; i++)
		if (strv_contains(rc->ss[i].hosts, rc->ss[i].nhosts, nqn))
			return true;
	return false;
}

void rpcconf_cred_free(struct rc_cred *c)
{
	free(c->nqn);
	free(c->key);
	free(c->ctrl);
	free(c->psk);
}

struct rc_bdev *rpcconf_bdev(struct rc_bdev *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(v[i].name, name))
			return &v[i];
	return NULL;
}

void rpcconf_remove(void *v, size_t *n, size_t sz, size_t i)
{
	char *b = v;

	memmove(b + i * sz, b + (i + 1) * sz, (*n - i - 1) * sz);
	(*n)--;
}
