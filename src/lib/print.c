/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include "jsonc.h"

#include "confwriter.h"
#include "drain.h"
#include "role.h"
#include "keyfiles.h"
#include "confmerge.h"
#include "print.h"
#include "resolve.h"
#include "strmap.h"
#include "nvlimits.h"
#include "util.h"

struct buf {
	char *s;
	size_t len;
	FILE *f;
};

static void strv_freep2(char ***v, size_t *n) { strv_free(*v, *n); *v = NULL; *n = 0; }

/* One [Transport] per transport type, with the port parameters if every port of that type agrees. */
static void print_transports(struct conf_writer *w, const struct nv_model *m)
{
	static const struct { const char *attr, *key; } params[] = {
		{ "param_inline_data_size", "InCapsuleDataSize" },
		{ "param_max_queue_size", "MaxQueueDepth" },
	};
	const char *types[] = { "rdma", "tcp" };

	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		bool any = false;

		for (size_t i = 0; i < m->nports; i++)
			any |= streq_ptr(attrs_get(&m->ports[i].attrs, "addr_trtype"), types[t]) && m->ports[i].nsubsys;
		if (!any)
			continue;
		cw_section(w, "Transport%zu", t + 1);
		cw_kv(w, "Type", conf_trtype(types[t]));
		for (size_t k = 0; k < ARRAY_SIZE(params); k++) {
			const char *val = NULL;
			bool agree = true;

			for (size_t i = 0; i < m->nports; i++) {
				const struct nv_port *p = &m->ports[i];
				const char *v = attrs_get(&p->attrs, params[k].attr);
				if (!streq_ptr(attrs_get(&p->attrs, "addr_trtype"), types[t]) || !p->nsubsys || !v)
					continue;
				if (val && !streq(val, v))
					agree = false;
				val = val ? val : v;
			}
			if (!val || val[0] == '-')
				continue;
			if (agree)
				cw_kv(w, params[k].key, val);
			else
				cw_comment(w, "%s differs between %s ports; nvmf.conf cannot express that", params[k].key,
					   conf_trtype(types[t]));
		}
		cw_blank(w);
	}
}

/* [Discovery]: a discovery NQN other than the well-known one, and the referrals of every port (the
 * dialect has one list for all ports; a referral only some ports have is listed, and said so). */
static void print_discovery(struct conf_writer *w, const struct nv_model *m)
{
	struct strmap seen = { 0 };
	const struct nv_referral **refs = NULL;
	size_t nrefs = 0, dummy;
	bool nqn = m->discovery_nqn && !streq(m->discovery_nqn, NVME_DISC_NQN);

	for (size_t i = 0; i < m->nports; i++)
		for (size_t k = 0; k < m->ports[i].nrefs; k++)
			if (strmap_add(&seen, m->ports[i].refs[k].name, nrefs, &dummy))
				*(const struct nv_referral **)array_push(&refs, &nrefs, sizeof(*refs)) = &m->ports[i].refs[k];
	if (nqn || nrefs) {
		cw_section(w, "Discovery");
		if (nqn)
			cw_kv(w, "NQN", m->discovery_nqn);
		for (size_t k = 0; k < nrefs; k++) {
			const struct nv_referral *r = refs[k];
			const char *tr = conf_trtype(attrs_get(&r->attrs, "addr_trtype") ?: "");
			size_t on = 0;
			_cleanup_free_ char *addr = conf_listen_addr(attrs_get(&r->attrs, "addr_adrfam"),
								      attrs_get(&r->attrs, "addr_traddr"),
								      attrs_get(&r->attrs, "addr_trsvcid"));
			for (size_t i = 0; i < m->nports; i++)
				on += port_referral(&m->ports[i], r->name) != NULL;
			if (!tr) {
				cw_comment(w, "referral %s has transport %s, which nvmf.conf cannot express", r->name,
					   attrs_get(&r->attrs, "addr_trtype") ?: "(none)");
				continue;
			}
			if (on < m->nports)
				cw_comment(w, "referral %s is on %zu of %zu ports; applying puts it on every port", r->name,
					   on, m->nports);
			if (!r->enable)
				cw_comment(w, "referral %s is disabled in the live target; applying enables it", r->name);
			cw_kv(w, "Referral", tr, addr);
		}
		cw_blank(w);
	}
	free(refs);
	strmap_free(&seen);
}

/* The ANA state a Listen line shows: the port's, unless optimized (the default). A drained port's
 * state, and an unpromoted node's (nvmetcfg role), are operational, not configuration: they show what
 * keep's file says (or nothing). */
static const char *listen_ana(struct nv_ctx *c, const struct nv_port *p, const struct print_opts *o, bool unpromoted)
{
	const char *s = p->ana_state;
	_cleanup_free_ char *key = drain_port_key(p);

	if (unpromoted || drain_has(c, key)) {
		s = NULL;
		for (size_t i = 0; o->keep && i < o->keep->model->nports; i++) {
			const struct nv_port *k = &o->keep->model->ports[i];
			if (streq_ptr(attrs_get(&k->attrs, "addr_traddr"), attrs_get(&p->attrs, "addr_traddr")) &&
			    streq_ptr(attrs_get(&k->attrs, "addr_trsvcid"), attrs_get(&p->attrs, "addr_trsvcid")) &&
			    streq_ptr(attrs_get(&k->attrs, "addr_trtype"), attrs_get(&p->attrs, "addr_trtype")))
				s = k->ana_state;
		}
	}
	return s && !streq(s, "optimized") ? s : NULL;
}

/* [HostN] for every live host with credentials: key files by path, never the secrets. A TLS PSK is
 * not in configfs: keep's TlsKey file for a live host is kept. */
static void print_hosts(struct conf_writer *w, const struct nv_model *m, const struct print_opts *o)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nhosts; i++) {
		const struct nv_host *h = &m->hosts[i];
		const char *key = attrs_get(&h->attrs, "dhchap_key"), *ckey = attrs_get(&h->attrs, "dhchap_ctrl_key");
		const char *hash = attrs_get(&h->attrs, "dhchap_hash"), *grp = attrs_get(&h->attrs, "dhchap_dhgroup");
		const char *secrets[2] = { key, ckey }, *keys[2] = { "DhchapKey", "DhchapCtrlKey" };
		const struct nv_hostcred *cr = NULL;
		_cleanup_free_ char *file0 = NULL, *file1 = NULL;
		char **files[2] = { &file0, &file1 };

		for (size_t k = 0; o->keep && k < o->keep->ncreds; k++)
			if (streq_ptr(o->keep->creds[k].nqn, h->nqn))
				cr = &o->keep->creds[k];
		if (!key || !*key) {
			/* TLS only: the PSK lives in the keyring, named in nvmf.conf by its file */
			if (cr && cr->tls_key_file) {
				cw_section(w, "Host%zu", ++n);
				cw_kv(w, "NQN", h->nqn);
				cw_kv(w, "TlsKey", cr->tls_key_file);
				cw_blank(w);
			}
			continue;
		}
		for (int k = 0; k < 2; k++) {
			if (!secrets[k] || !*secrets[k])
				continue;
			*files[k] = keyfile_for_secret(o->keep, o->keys_dir, h->nqn, k == 1, secrets[k]);
		}
		if (!file0 || (secrets[1] && *secrets[1] && !file1)) {
			/* a [HostN] that names no key file would not load: say so instead */
			cw_comment(w, "host %s has DH-HMAC-CHAP keys that no key file holds%s", h->nqn,
				   o->keys_dir ? " and none could be written" : "; `nvmetcfg save` writes them to files");
			continue;
		}
		cw_section(w, "Host%zu", ++n);
		cw_kv(w, "NQN", h->nqn);
		for (int k = 0; k < 2; k++)
			if (*files[k])
				cw_kv(w, keys[k], *files[k]);
		if (hash && (!streq(hash, "hmac(sha256)") || (cr && cr->hash)))
			cw_kv(w, "DhchapHash", hash);
		if (grp && (!streq(grp, "null") || (cr && cr->dhgroup)))
			cw_kv(w, "DhchapDHGroup", grp);
		if (cr && cr->tls_key_file)
			cw_kv(w, "TlsKey", cr->tls_key_file);
		cw_blank(w);
	}
}

int print_conf(struct nv_ctx *c, const struct nv_model *m, const struct nv_config *keep, char **out)
{
	return print_conf_opts(c, m, &(struct print_opts){ .keep = keep }, out);
}

/* Header comments and [Global] (keep's ReactorMask). */
static void print_header(struct conf_writer *w, const struct nv_config *keep)
{
	cw_comment(w, "nvmf.conf (SPDK legacy format) written by nvmetcfg from the live kernel target.");
	cw_comment(w, "Applying it with `nvmetcfg apply` reproduces the same configfs state.");
	cw_blank(w);
	if (keep && keep->has_reactor_mask) {
		cw_section(w, "Global");
		cw_kv(w, "ReactorMask", keep->reactor_mask);
		cw_blank(w);
	}
	/* [Cluster] says how this node's configuration must be written, not what configfs holds: keep's */
	if (keep && keep->cluster) {
		cw_section(w, "Cluster");
		if (keep->cntlid_min) {
			_cleanup_free_ char *range = xasprintf("%u-%u", keep->cntlid_min, keep->cntlid_max);
			cw_kv(w, "ControllerIDs", range);
		}
		cw_blank(w);
	}
}

/* What the live target has and nvmf.conf cannot say: apply leaves it alone, say so. */
static void print_port_extras(struct conf_writer *w, const struct nv_model *m)
{
	for (size_t i = 0; i < m->nports; i++) {
		const struct nv_port *p = &m->ports[i];
		const char *treq = attrs_get(&p->attrs, "addr_treq"), *tsas = attrs_get(&p->attrs, "addr_tsas");
		_cleanup_free_ char *addr = port_address(p);
		if (treq && !streq(treq, "not specified"))
			cw_comment(w, "port %u (%s): addr_treq = %s — nvmf.conf has no key for it; apply leaves it as it is",
				   p->id, addr, treq);
		if (tsas && *tsas && !streq(tsas, "none") && !streq(tsas, "not required"))
			cw_comment(w, "port %u (%s): addr_tsas = %s — nvmf.conf has no key for it; apply leaves it as it is",
				   p->id, addr, tsas);
	}
}

/* The bdev names the namespaces get: NVMe controllers (by PCI address) and AIO paths in order of
 * first use, and each namespace's name (NULL: no device_path). */
struct bdev_names {
	char **bdfs, **aios;
	size_t nbdfs, naios;
	struct strmap bdf_index, aio_index;	/* name -> index in bdfs / aios */
	char ***ns;				/* [subsystem][namespace] */
	size_t nsubsys;
};

/* The index of name in v, added at the end if it is not there yet. */
static size_t name_index(struct strmap *index, char ***v, size_t *n, const char *name)
{
	size_t k;

	if (strmap_add(index, name, *n, &k)) {
		k = *n;
		*(char **)array_push(v, n, sizeof(char *)) = xstrdup(name);
	}
	return k;
}

/* Name the backing devices: NVMe namespaces by their controller's PCI address, anything else as AIO. */
static void name_bdevs(struct nv_ctx *c, const struct nv_model *m, struct bdev_names *bn)
{
	*bn = (struct bdev_names){ .nsubsys = m->nsubsys };
	bn->ns = xcalloc(m->nsubsys + 1, sizeof(char **));
	for (size_t i = 0; i < m->nsubsys; i++) {
		const struct nv_subsys *s = &m->subsys[i];
		bn->ns[i] = xcalloc(s->nns + 1, sizeof(char *));
		for (size_t j = 0; j < s->nns; j++) {
			const char *path = attrs_get(&s->ns[j].attrs, "device_path");
			_cleanup_free_ char *bdf = NULL;
			unsigned nsid;

			if (!path || !*path)
				continue;
			if (resolve_nvme_path(c, path, &bdf, &nsid) == 0)
				bn->ns[i][j] = xasprintf("Nvme%zun%u", name_index(&bn->bdf_index, &bn->bdfs, &bn->nbdfs, bdf),
							 nsid);
			else
				bn->ns[i][j] = xasprintf("AIO%zu", name_index(&bn->aio_index, &bn->aios, &bn->naios, path));
		}
	}
}

static void bdev_names_free(const struct nv_model *m, struct bdev_names *bn)
{
	for (size_t i = 0; i < bn->nsubsys; i++) {
		for (size_t j = 0; j < m->subsys[i].nns; j++)
			free(bn->ns[i][j]);
		free(bn->ns[i]);
	}
	free(bn->ns);
	strv_freep2(&bn->bdfs, &bn->nbdfs);
	strv_freep2(&bn->aios, &bn->naios);
	strmap_free(&bn->bdf_index);
	strmap_free(&bn->aio_index);
}

/* [Nvme] (with keep's HotplugEnable) and [AIO]. */
static void print_bdevs(struct conf_writer *w, const struct bdev_names *bn,
			const struct nv_config *keep)
{
	if (bn->nbdfs || (keep && keep->hotplug)) {
		cw_section(w, "Nvme");
		for (size_t k = 0; k < bn->nbdfs; k++) {
			_cleanup_free_ char *tid = xasprintf("trtype:PCIe traddr:%s", bn->bdfs[k]);
			_cleanup_free_ char *name = xasprintf("Nvme%zu", k);
			cw_kv(w, "TransportID", tid, name);
		}
		if (keep && keep->hotplug)
			cw_kv(w, "HotplugEnable", "Yes");
		cw_blank(w);
	}
	if (bn->naios) {
		cw_section(w, "AIO");
		for (size_t k = 0; k < bn->naios; k++) {
			_cleanup_free_ char *name = xasprintf("AIO%zu", k);
			cw_kv(w, "AIO", bn->aios[k], name);
		}
		cw_blank(w);
	}
}

/* ControllerIDs: a subsystem's own controller-ID range, unless it is the kernel's default or this node's
 * ([Cluster] ControllerIDs of keep, or the role record's: the node's, not the subsystem's). */
static void print_cntlids(struct conf_writer *w, const struct nv_subsys *s, const struct print_opts *o,
			  const struct nv_role_rec *role)
{
	const char *lo = attrs_get(&s->attrs, "attr_cntlid_min"), *hi = attrs_get(&s->attrs, "attr_cntlid_max");
	unsigned long long l, h;
	char range[48];

	if (!lo || !hi || parse_u64(lo, &l) < 0 || parse_u64(hi, &h) < 0 || (l == 1 && h == NVMET_CNTLID_MAX) || l >= h)
		return;
	if ((o->keep && o->keep->cluster) || (role->cntlid_min == l && role->cntlid_max == h))
		return;
	snprintf(range, sizeof(range), "%llu-%llu", l, h);
	cw_kv(w, "ControllerIDs", range);
}

/* [SubsystemN] for subsystem i; ns_bdev: its namespaces' bdev names. */
static void print_subsystem(struct conf_writer *w, struct nv_ctx *c, const struct nv_model *m,
			    const struct print_opts *o, size_t i, char *const *ns_bdev, const struct nv_role_rec *role)
{
	const struct nv_subsys *s = &m->subsys[i];
	bool unpromoted = role->role == ROLE_UNPROMOTED;
	const struct nv_subsys *want = o->origin ? model_subsys(o->origin->model, s->nqn) : NULL;
	const char *v;
	unsigned long long q;

	if (want && want->src == NV_SRC_RPC && o->origin->rpc_path)
		cw_comment(w, "made over SPDK JSON-RPC: kept in %s line %u, not in %s", o->origin->rpc_path, want->line,
			   o->origin->path);
	cw_section(w, "Subsystem%zu", i + 1);
	cw_kv(w, "NQN", s->nqn);
	for (size_t p = 0; p < m->nports; p++) {
		const struct nv_port *port = &m->ports[p];
		_cleanup_free_ char *addr = NULL;
		if (!model_list_has(m, port->subsys, port->nsubsys, s->nqn))
			continue;
		addr = conf_listen_addr(attrs_get(&port->attrs, "addr_adrfam"), attrs_get(&port->attrs, "addr_traddr"),
					attrs_get(&port->attrs, "addr_trsvcid"));
		const char *ana = listen_ana(c, port, o, unpromoted), *tls = port_tls(port) ? "tls" : NULL;
		cw_kv(w, "Listen", conf_trtype(attrs_get(&port->attrs, "addr_trtype")), addr, ana ? ana : tls, ana ? tls : NULL);
	}
	v = attrs_get(&s->attrs, "attr_allow_any_host");
	cw_kv(w, "AllowAnyHost", streq_ptr(v, "1") ? "Yes" : "No");
	for (size_t h = 0; h < s->nhosts; h++)
		cw_kv(w, "Host", s->hosts[h]);
	if ((v = attrs_get(&s->attrs, "attr_serial")))
		cw_kv(w, "SN", v);
	if ((v = attrs_get(&s->attrs, "attr_model")))
		cw_kv(w, "MN", v);
	print_cntlids(w, s, o, role);
	if ((v = attrs_get(&s->attrs, "attr_qid_max")) && parse_u64(v, &q) == 0) {
		_cleanup_free_ char *n = xasprintf("%llu", q + 1);
		cw_kv(w, "MaxQueuesPerSession", n);
	}
	for (size_t j = 0; j < s->nns; j++) {
		const struct nv_ns *ns = &s->ns[j];
		const char *uuid = attrs_get(&ns->attrs, "device_uuid");
		_cleanup_free_ char *nsid = xasprintf("%u", ns->nsid);

		if (!ns_bdev[j]) {
			cw_comment(w, "namespace %u has no device_path and is not shown", ns->nsid);
			continue;
		}
		if (!ns->enable)
			cw_comment(w, "namespace %u is disabled in the live target; applying enables it", ns->nsid);
		cw_kv(w, "Namespace", ns_bdev[j], nsid, uuid && *uuid ? uuid : NULL);
	}
	cw_blank(w);
}

int print_conf_opts(struct nv_ctx *c, const struct nv_model *m, const struct print_opts *o, char **out)
{
	struct conf_writer w;
	struct bdev_names bn;
	struct nv_role_rec role;
	int r;

	if (role_read(c, &role) < 0)	/* once, not per Listen */
		role = (struct nv_role_rec){ .role = ROLE_NONE };
	r = cw_open(&w);
	if (r < 0)
		return r;
	print_header(&w, o->keep);
	print_transports(&w, m);
	print_discovery(&w, m);
	print_port_extras(&w, m);
	name_bdevs(c, m, &bn);
	print_bdevs(&w, &bn, o->keep);
	print_hosts(&w, m, o);
	for (size_t i = 0; i < m->nsubsys; i++)
		print_subsystem(&w, c, m, o, i, bn.ns[i], &role);
	bdev_names_free(m, &bn);
	return cw_close(&w, out, o->why);
}

/* Group "prefix_name" attributes into {"prefix": {"name": value}} like nvmetcli's dump(). */
static void add_group(json_object *o, const struct nv_attrs *a, const char *prefix, const char *key)
{
	json_object *g = json_object_new_object();
	size_t pl = strlen(prefix);

	for (size_t i = 0; i < a->n; i++)
		if (!strncmp(a->v[i].name, prefix, pl))
			json_object_object_add(g, a->v[i].name + pl, json_object_new_string(a->v[i].value));
	json_object_object_add(o, key, g);
}

static json_object *strv_json(char *const *v, size_t n)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(v[i]));
	return arr;
}

/* nvmetcli's "hosts": the "dhchap" group, the keys only when asked for. */
static json_object *json_hosts(const struct nv_model *m, bool with_secrets)
{
	static const char *const names[] = { "dhchap_key", "dhchap_ctrl_key", "dhchap_hash", "dhchap_dhgroup" };
	json_object *hosts = json_object_new_array();

	for (size_t i = 0; i < m->nhosts; i++) {
		json_object *h = json_object_new_object(), *dh = json_object_new_object();
		json_object_object_add(h, "nqn", json_object_new_string(m->hosts[i].nqn));
		for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
			const char *v = attrs_get(&m->hosts[i].attrs, names[k]);
			if (v && (with_secrets || !attr_is_secret(names[k])))
				json_object_object_add(dh, names[k] + 7, json_object_new_string(v));
		}
		json_object_object_add(h, "dhchap", dh);
		json_object_array_add(hosts, h);
	}
	return hosts;
}

static json_object *json_subsystem(const struct nv_subsys *s)
{
	json_object *so = json_object_new_object();
	json_object *nss = json_object_new_array();

	json_object_object_add(so, "nqn", json_object_new_string(s->nqn));
	add_group(so, &s->attrs, "attr_", "attr");
	json_object_object_add(so, "allowed_hosts", strv_json(s->hosts, s->nhosts));
	for (size_t j = 0; j < s->nns; j++) {
		json_object *no = json_object_new_object();
		json_object_object_add(no, "nsid", json_object_new_int64(s->ns[j].nsid));
		json_object_object_add(no, "enable", json_object_new_int(s->ns[j].enable));
		add_group(no, &s->ns[j].attrs, "device_", "device");
		json_object_array_add(nss, no);
	}
	json_object_object_add(so, "namespaces", nss);
	return so;
}

static json_object *json_port(const struct nv_port *p)
{
	json_object *po = json_object_new_object();
	json_object *refs = json_object_new_array();

	json_object_object_add(po, "portid", json_object_new_int(p->id));
	add_group(po, &p->attrs, "addr_", "addr");
	add_group(po, &p->attrs, "param_", "param");
	json_object_object_add(po, "subsystems", strv_json(p->subsys, p->nsubsys));
	for (size_t k = 0; k < p->nrefs; k++) {
		json_object *ro = json_object_new_object();
		json_object_object_add(ro, "name", json_object_new_string(p->refs[k].name));
		add_group(ro, &p->refs[k].attrs, "addr_", "addr");
		json_object_object_add(ro, "enable", json_object_new_int(p->refs[k].enable));
		json_object_array_add(refs, ro);
	}
	json_object_object_add(po, "referrals", refs);
	if (p->ana_state) {
		/* nvmetcli's layout: [{"ana": {"state": ...}, "grpid": 1}] */
		json_object *groups = json_object_new_array(), *g = json_object_new_object();
		json_object *ana = json_object_new_object();
		json_object_object_add(ana, "state", json_object_new_string(p->ana_state));
		json_object_object_add(g, "ana", ana);
		json_object_object_add(g, "grpid", json_object_new_int(1));
		json_object_array_add(groups, g);
		json_object_object_add(po, "ana_groups", groups);
	}
	return po;
}

int print_json(const struct nv_model *m, bool with_secrets, char **out)
{
	json_object *root = json_object_new_object();
	json_object *subs = json_object_new_array();
	json_object *ports = json_object_new_array();

	for (size_t i = 0; i < m->nsubsys; i++)
		json_object_array_add(subs, json_subsystem(&m->subsys[i]));
	for (size_t i = 0; i < m->nports; i++)
		json_object_array_add(ports, json_port(&m->ports[i]));
	if (m->discovery_nqn)
		json_object_object_add(root, "discovery_nqn", json_object_new_string(m->discovery_nqn));
	json_object_object_add(root, "hosts", json_hosts(m, with_secrets));
	json_object_object_add(root, "ports", ports);
	json_object_object_add(root, "subsystems", subs);
	*out = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}
