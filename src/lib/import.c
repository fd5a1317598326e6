/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include "jsonc.h"
#include <stdio.h>
#include <strings.h>

#include <stdarg.h>

#include "confwriter.h"
#include "dhchap.h"
#include "import.h"
#include "nvlimits.h"
#include "strmap.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put)

static json_object *parse(const char *text, char **err)
{
	enum json_tokener_error jerr;
	json_object *o = json_tokener_parse_verbose(text, &jerr);

	if (!o)
		*err = xasprintf("not valid JSON: %s", json_tokener_error_desc(jerr));
	return o;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

static json_object *arr(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v : NULL;
}

static json_object *obj(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object) ? v : NULL;
}

static bool num(json_object *o, const char *key, long long *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return false;
	if (json_object_is_type(v, json_type_string))
		return parse_i64(json_object_get_string(v), out) == 0;
	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_int64(v);
		return true;
	}
	return false;
}

/* A string that will be written to nvmf.conf: refused (with where it was) when the dialect cannot
 * carry it, so an import never emits a line the input did not ask for. */
static const char *checked(json_object *v, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static const char *checked(json_object *v, char **err, const char *fmt, ...)
{
	_cleanup_free_ char *where = NULL;
	const char *why;
	va_list ap;

	if (v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_boolean) ||
		  json_object_is_type(v, json_type_double)))
		return json_object_get_string(v); /* numbers print as digits */
	va_start(ap, fmt);
	if (vasprintf(&where, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (!v || !json_object_is_type(v, json_type_string)) {
		*err = xasprintf("%s: not a string", where);
		return NULL;
	}
	why = conf_value_problem(json_object_get_string(v));
	if (why) {
		*err = xasprintf("%s %s, which nvmf.conf cannot hold", where, why);
		return NULL;
	}
	return json_object_get_string(v);
}

/* {"group": {"name": "value"}} -> attributes "prefix" + name */
static int group_attrs(json_object *o, const char *group, const char *prefix, struct nv_attrs *a, char **err,
		       const char *where)
{
	json_object *g = obj(o, group);

	if (!g)
		return 0;
	json_object_object_foreach(g, k, v) {
		_cleanup_free_ char *name = xasprintf("%s%s", prefix, k);
		const char *val;
		if (json_object_is_type(v, json_type_null))
			continue;
		val = checked(v, err, "%s: %s.%s", where, group, k);
		if (!val)
			return -EINVAL;
		attrs_set(a, name, val);
	}
	return 0;
}

/* The strings of a JSON array (where.what[k]), each added once to v. */
static int add_names(json_object *a, const char *where, const char *what, char ***v, size_t *n,
		     char **err)
{
	for (size_t k = 0; a && k < json_object_array_length(a); k++) {
		const char *s = checked(json_object_array_get_idx(a, k), err, "%s.%s[%zu]", where, what, k);
		if (!s)
			return -EINVAL;
		strv_add_unique(v, n, s);
	}
	return 0;
}

/* hosts[i]: its NQN and DH-HMAC-CHAP settings (keys checked, empty ones dropped). */
static int import_host(struct nv_model *m, json_object *ho, size_t i, char **err)
{
	_cleanup_free_ char *where = xasprintf("hosts[%zu]", i);
	json_object *v = NULL;
	struct nv_host *h;
	const char *nqn;

	if (!ho || !json_object_object_get_ex(ho, "nqn", &v)) {
		*err = xasprintf("%s: no nqn", where);
		return -EINVAL;
	}
	if (!(nqn = checked(v, err, "%s.nqn", where)))
		return -EINVAL;
	h = array_push(&m->hosts, &m->nhosts, sizeof(struct nv_host));
	h->nqn = xstrdup(nqn);
	if (group_attrs(ho, "dhchap", "dhchap_", &h->attrs, err, where) < 0)
		return -EINVAL;
	for (size_t k = 0; k < h->attrs.n; k++) {
		const char *val = h->attrs.v[k].value;
		if (!*val) { /* nvmetcli writes empty keys for hosts without credentials */
			attrs_del(&h->attrs, h->attrs.v[k--].name);
			continue;
		}
		if (attr_is_secret(h->attrs.v[k].name) && dhchap_secret_problem(val)) {
			*err = xasprintf("%s.dhchap.%s %s", where, h->attrs.v[k].name + 7, dhchap_secret_problem(val));
			return -EINVAL;
		}
	}
	return 0;
}

/* The namespaces of subsystems[i] (nqn). */
static int import_namespaces(struct nv_subsys *s, json_object *nss, size_t i, const char *nqn,
			     const char *where, char **err)
{
	for (size_t k = 0; nss && k < json_object_array_length(nss); k++) {
		json_object *no = json_object_array_get_idx(nss, k);
		struct nv_ns *ns;
		long long id, en = 1;

		if (!num(no, "nsid", &id) || id <= 0 || id >= 0xffffffffLL) {
			*err = xasprintf("subsystems[%zu] (%s): namespaces[%zu]: no valid nsid", i, nqn, k);
			return -EINVAL;
		}
		ns = array_push(&s->ns, &s->nns, sizeof(*ns));
		ns->nsid = id;
		num(no, "enable", &en);
		ns->enable = en != 0;
		if (group_attrs(no, "device", "device_", &ns->attrs, err, where) < 0)
			return -EINVAL;
	}
	return 0;
}

/* subsystems[i]: NQN, attributes, allowed hosts and namespaces. */
static int import_subsystem(struct nv_model *m, json_object *so, size_t i, char **err)
{
	_cleanup_free_ char *where = xasprintf("subsystems[%zu]", i);
	json_object *v = NULL;
	struct nv_subsys *s;
	const char *nqn;

	if (!so || !json_object_object_get_ex(so, "nqn", &v)) {
		*err = xasprintf("%s: no nqn", where);
		return -EINVAL;
	}
	if (!(nqn = checked(v, err, "%s.nqn", where)))
		return -EINVAL;
	s = array_push(&m->subsys, &m->nsubsys, sizeof(*s));
	s->nqn = xstrdup(nqn);
	if (group_attrs(so, "attr", "attr_", &s->attrs, err, where) < 0 ||
	    add_names(arr(so, "allowed_hosts"), where, "allowed_hosts", &s->hosts, &s->nhosts, err) < 0)
		return -EINVAL;
	return import_namespaces(s, arr(so, "namespaces"), i, nqn, where, err);
}

/* ports[i].ana_groups: nvmf.conf carries group 1, the one its namespaces are in. */
static int import_ana(struct nv_port *p, json_object *groups, size_t i, char **err)
{
	for (size_t k = 0; groups && k < json_object_array_length(groups); k++) {
		json_object *go = json_object_array_get_idx(groups, k), *ana = obj(go, "ana");
		long long gid = 0;
		const char *st = ana ? str(ana, "state") : NULL;
		if (!num(go, "grpid", &gid) || gid != 1 || !st)
			continue;
		if (!ana_state_name(st)) {
			*err = xasprintf("ports[%zu].ana_groups[%zu]: '%s' is not an ANA state", i, k, st);
			return -EINVAL;
		}
		free(p->ana_state);
		p->ana_state = xstrdup(ana_state_name(st));
	}
	return 0;
}

/* ports[i].referrals: each name once, and one configfs can hold. */
static int import_referrals(struct nv_port *p, json_object *refs, size_t i, char **err)
{
	for (size_t k = 0; refs && k < json_object_array_length(refs); k++) {
		json_object *ro = json_object_array_get_idx(refs, k), *v = NULL;
		_cleanup_free_ char *rwhere = xasprintf("ports[%zu].referrals[%zu]", i, k);
		struct nv_referral *r;
		const char *name;
		long long en = 1;

		if (!ro || !json_object_object_get_ex(ro, "name", &v)) {
			*err = xasprintf("%s: no name", rwhere);
			return -EINVAL;
		}
		if (!(name = checked(v, err, "%s.name", rwhere)))
			return -EINVAL;
		if (!*name || strchr(name, '/') || streq(name, ".") || streq(name, "..")) {
			*err = xasprintf("%s.name '%s' cannot name a configfs directory", rwhere, name);
			return -EINVAL;
		}
		if (port_referral(p, name))
			continue;
		r = array_push(&p->refs, &p->nrefs, sizeof(*r));
		r->name = xstrdup(name);
		num(ro, "enable", &en);
		r->enable = en != 0;
		if (group_attrs(ro, "addr", "addr_", &r->attrs, err, rwhere) < 0)
			return -EINVAL;
	}
	return 0;
}

/* ports[i]: id, address and parameters, subsystems, ANA state and referrals. */
static int import_port(struct nv_model *m, json_object *po, size_t i, char **err)
{
	_cleanup_free_ char *where = NULL;
	struct nv_port *p;
	long long id;

	if (!num(po, "portid", &id) || id < 0 || id > 65535) {
		*err = xasprintf("ports[%zu]: no valid portid", i);
		return -EINVAL;
	}
	where = xasprintf("ports[%zu]", i);
	p = array_push(&m->ports, &m->nports, sizeof(*p));
	p->id = id;
	if (group_attrs(po, "addr", "addr_", &p->attrs, err, where) < 0 ||
	    group_attrs(po, "param", "param_", &p->attrs, err, where) < 0 ||
	    add_names(arr(po, "subsystems"), where, "subsystems", &p->subsys, &p->nsubsys, err) < 0 ||
	    import_ana(p, arr(po, "ana_groups"), i, err) < 0)
		return -EINVAL;
	return import_referrals(p, arr(po, "referrals"), i, err);
}

/* Each element of root's array key through fn. */
static int import_each(struct nv_model *m, json_object *root, const char *key,
		       int (*fn)(struct nv_model *m, json_object *o, size_t i, char **err), char **err)
{
	json_object *a = arr(root, key);

	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (fn(m, json_object_array_get_idx(a, i), i, err) < 0)
			return -EINVAL;
	return 0;
}

int import_nvmetcli(const char *text, struct nv_model **out, char **err)
{
	_cleanup_(json_object_putp) json_object *root = parse(text, err);
	_cleanup_(model_freep) struct nv_model *m = NULL;
	json_object *v = NULL;

	if (!root)
		return -EINVAL;
	if (!json_object_is_type(root, json_type_object)) {
		*err = xstrdup("the top level is not an object with hosts, ports and subsystems");
		return -EINVAL;
	}
	m = xcalloc(1, sizeof(*m));
	if (import_each(m, root, "hosts", import_host, err) < 0 ||
	    import_each(m, root, "subsystems", import_subsystem, err) < 0 ||
	    import_each(m, root, "ports", import_port, err) < 0)
		return -EINVAL;
	if (json_object_object_get_ex(root, "discovery_nqn", &v)) {
		const char *dn = checked(v, err, "discovery_nqn");
		if (!dn)
			return -EINVAL;
		m->discovery_nqn = xstrdup(dn);
	}
	model_sort(m);
	*out = TAKE_PTR(m);
	return 0;
}

/* ---- SPDK JSON ---- */

/* An SPDK address object ({trtype, adrfam, traddr, trsvcid}) as a Listen/Referral pair: the
 * transport's nvmf.conf spelling and "addr:port". Returns false, with a comment written, when it is
 * not RDMA/TCP with an address and a port. */
static bool spdk_address(struct conf_writer *w, json_object *a, const char *what, const char **tr, char **addr)
{
	const char *t = a ? conf_trtype(str(a, "trtype")) : NULL;
	const char *ad = a ? str(a, "traddr") : NULL, *p = a ? str(a, "trsvcid") : NULL;

	if (!t || !ad || !p) {
		cw_comment(w, "not imported: a %s without trtype RDMA/TCP, traddr and trsvcid", what);
		return false;
	}
	*tr = t;
	*addr = conf_listen_addr(str(a, "adrfam"), ad, p);
	return true;
}

struct spdk_ss {
	const char *nqn;
	json_object *create, **listen, **ns, **hosts;
	size_t nlisten, nns, nhosts;
};

static void push_obj(json_object ***v, size_t *n, json_object *o)
{
	*(json_object **)array_push(v, n, sizeof(json_object *)) = o;
}

/* A JSON number within [min, max] (SPDK writes some as strings). */
static bool num_in(json_object *o, const char *key, long long min, long long max, long long *out)
{
	long long v;

	if (!num(o, key, &v) || v < min || v > max)
		return false; /* *out keeps its default */
	*out = v;
	return true;
}

/* What an SPDK JSON config says, collected by method before anything is written. */
struct spdk_conf {
	json_object **transports, **nvme, **aio, **mallocs, **keys, **refs;
	size_t ntr, nnvme, naio, nmalloc, nkeys, nrefs;
	json_object *auth_cfg;	/* nvmf_set_config: dhchap_digests, dhchap_dhgroups */
	struct spdk_ss *ss;
	size_t nss;
};

static void spdk_conf_free(struct spdk_conf *sc)
{
	free(sc->transports);
	free(sc->nvme);
	free(sc->aio);
	free(sc->mallocs);
	free(sc->keys);
	free(sc->refs);
	for (size_t i = 0; i < sc->nss; i++) {
		free(sc->ss[i].listen);
		free(sc->ss[i].ns);
		free(sc->ss[i].hosts);
	}
	free(sc->ss);
}

/* Sort the calls of every "config" array by method (what is not imported becomes a comment). */
static void spdk_collect(struct conf_writer *w, json_object *subsystems, struct spdk_conf *sc)
{
	for (size_t i = 0; i < json_object_array_length(subsystems); i++) {
		json_object *sub = json_object_array_get_idx(subsystems, i), *cfg = arr(sub, "config");
		for (size_t j = 0; cfg && j < json_object_array_length(cfg); j++) {
			json_object *call = json_object_array_get_idx(cfg, j), *params = obj(call, "params");
			const char *method = str(call, "method");
			const char *nqn = params ? str(params, "nqn") : NULL;
			struct spdk_ss *s = NULL;

			if (!method || !params)
				continue;
			if (nqn) {
				for (size_t k = 0; k < sc->nss; k++)
					if (streq(sc->ss[k].nqn, nqn))
						s = &sc->ss[k];
				if (!s && !strncmp(method, "nvmf_", 5) && strcmp(method, "nvmf_create_transport")) {
					s = array_push(&sc->ss, &sc->nss, sizeof(*s));
					s->nqn = nqn;
				}
			}
			if (streq(method, "nvmf_create_transport"))
				push_obj(&sc->transports, &sc->ntr, params);
			else if (streq(method, "bdev_nvme_attach_controller"))
				push_obj(&sc->nvme, &sc->nnvme, params);
			else if (streq(method, "bdev_aio_create"))
				push_obj(&sc->aio, &sc->naio, params);
			else if (streq(method, "bdev_malloc_create"))
				push_obj(&sc->mallocs, &sc->nmalloc, params);
			else if (streq(method, "keyring_file_add_key"))
				push_obj(&sc->keys, &sc->nkeys, params);
			else if (streq(method, "nvmf_discovery_add_referral"))
				push_obj(&sc->refs, &sc->nrefs, params);
			else if (streq(method, "nvmf_set_config"))
				sc->auth_cfg = params;
			else if (streq(method, "bdev_nvme_set_options") && !sc->auth_cfg && arr(params, "dhchap_digests"))
				sc->auth_cfg = params;
			else if (streq(method, "nvmf_create_subsystem") && s)
				s->create = params;
			else if ((streq(method, "nvmf_subsystem_add_listener") ||
				  streq(method, "nvmf_subsystem_listener_set_ana_state")) && s)
				push_obj(&s->listen, &s->nlisten, params);
			else if (streq(method, "nvmf_subsystem_add_ns") && s)
				push_obj(&s->ns, &s->nns, params);
			else if (streq(method, "nvmf_subsystem_add_host") && s)
				push_obj(&s->hosts, &s->nhosts, params);
			else if (!strncmp(method, "nvmf_", 5) || !strncmp(method, "bdev_nvme_attach", 16) ||
				 !strncmp(method, "bdev_aio", 8) || !strncmp(method, "bdev_malloc", 11))
				cw_comment(w, "not imported: %s", method);
		}
	}
}

/* [TransportN]: queue depth, queues, in-capsule data. */
static void emit_transports(struct conf_writer *w, const struct spdk_conf *sc)
{
	char buf[32];

	for (size_t i = 0; i < sc->ntr; i++) {
		long long v;
		const char *t = conf_trtype(str(sc->transports[i], "trtype"));
		if (!t) {
			cw_comment(w, "not imported: transport %s", str(sc->transports[i], "trtype") ?: "?");
			continue;
		}
		cw_section(w, "Transport%zu", i + 1);
		cw_kv(w, "Type", t);
		if (num_in(sc->transports[i], "max_queue_depth", 1, 65535, &v))
			snprintf(buf, sizeof(buf), "%lld", v), cw_kv(w, "MaxQueueDepth", buf);
		if (num_in(sc->transports[i], "max_io_qpairs_per_ctrlr", 0, 65534, &v))
			snprintf(buf, sizeof(buf), "%lld", v + 1), cw_kv(w, "MaxQueuesPerSession", buf);
		else if (num_in(sc->transports[i], "max_qpairs_per_ctrlr", 1, 65535, &v))
			snprintf(buf, sizeof(buf), "%lld", v), cw_kv(w, "MaxQueuesPerSession", buf);
		if (num_in(sc->transports[i], "in_capsule_data_size", 0, 1LL << 30, &v))
			snprintf(buf, sizeof(buf), "%lld", v), cw_kv(w, "InCapsuleDataSize", buf);
		cw_blank(w);
	}
}

/* [Discovery]: nvmf_discovery_add_referral. */
static void emit_discovery(struct conf_writer *w, const struct spdk_conf *sc)
{
	if (sc->nrefs) {
		cw_section(w, "Discovery");
		for (size_t i = 0; i < sc->nrefs; i++) {
			const char *t;
			_cleanup_free_ char *addr = NULL;
			if (!spdk_address(w, obj(sc->refs[i], "address"), "referral", &t, &addr))
				continue;
			const char *sub = str(sc->refs[i], "subnqn");
			json_object *sec;
			if (sub && strcmp(sub, NVME_DISC_NQN)) {
				/* the kernel's referrals point at discovery services only */
				cw_comment(w, "not imported: a referral to subsystem %s (kernel referrals name discovery "
					   "services, not subsystems)", sub);
				continue;
			}
			if (json_object_object_get_ex(sc->refs[i], "secure_channel", &sec) && json_object_get_boolean(sec))
				cw_comment(w, "note: referral %s requires a secure channel; nvmf.conf's Referral cannot say so", addr);
			cw_kv(w, "Referral", t, addr);
		}
		cw_blank(w);
	}
}

/* [Nvme], [AIO], [Malloc]: the bdevs. */
static void emit_bdevs(struct conf_writer *w, const struct spdk_conf *sc)
{
	char buf[32];

	if (sc->nnvme) {
		cw_section(w, "Nvme");
		for (size_t i = 0; i < sc->nnvme; i++) {
			const char *tr = str(sc->nvme[i], "trtype"), *addr = str(sc->nvme[i], "traddr"), *name = str(sc->nvme[i], "name");
			_cleanup_free_ char *tid = NULL;
			if (!tr || strcasecmp(tr, "pcie") || !addr || !name) {
				cw_comment(w, "not imported: controller %s (only local PCIe SSDs can be exported)", name ?: "?");
				continue;
			}
			tid = xasprintf("trtype:PCIe traddr:%s", addr);
			cw_kv(w, "TransportID", tid, name);
		}
		cw_blank(w);
	}
	if (sc->naio) {
		cw_section(w, "AIO");
		for (size_t i = 0; i < sc->naio; i++) {
			long long bs;
			bool has_bs = num_in(sc->aio[i], "block_size", 1, 1 << 20, &bs);
			snprintf(buf, sizeof(buf), "%lld", has_bs ? bs : 0);
			cw_kv(w, "AIO", str(sc->aio[i], "filename") ?: "?", str(sc->aio[i], "name") ?: "?", has_bs ? buf : NULL);
		}
		cw_blank(w);
	}
	if (sc->nmalloc) {
		/* SPDK names each malloc bdev; nvmf.conf's [Malloc] makes Malloc0..N-1 of one size */
		long long nb = 0, bs = 512, mb;
		num_in(sc->mallocs[0], "num_blocks", 0, 1LL << 40, &nb);
		if (!num_in(sc->mallocs[0], "block_size", 512, 1 << 16, &bs))
			bs = 512;
		mb = (nb * bs + (1 << 20) - 1) >> 20; /* at most 2^56: no overflow */
		cw_section(w, "Malloc");
		snprintf(buf, sizeof(buf), "%zu", sc->nmalloc);
		cw_kv(w, "NumberOfLuns", buf);
		snprintf(buf, sizeof(buf), "%lld", mb);
		cw_kv(w, "LunSizeInMB", buf);
		snprintf(buf, sizeof(buf), "%lld", bs);
		cw_kv(w, "BlockSize", buf);
		cw_blank(w);
		for (size_t i = 0; i < sc->nmalloc; i++) {
			const char *name = str(sc->mallocs[i], "name");
			_cleanup_free_ char *want = xasprintf("Malloc%zu", i);
			if (name && strcmp(name, want))
				cw_comment(w, "note: SPDK's malloc bdev %s is %s here", name, want);
		}
	}
}

/* [Keyring]: the names keyring_file_add_key gives key files (nvmetd-host*: names nvmetd made up for
 * [HostN] files, which the [HostN] sections say already). */
static void emit_keyring(struct conf_writer *w, const struct spdk_conf *sc)
{
	size_t n = 0;

	for (size_t i = 0; i < sc->nkeys; i++) {
		const char *name = str(sc->keys[i], "name"), *path = str(sc->keys[i], "path");
		if (!name || !path || !strncmp(name[0] == ':' ? name + 1 : name, "nvmetd-host", 11))
			continue;
		if (!conf_value_ok(name) || !conf_value_ok(path) || path[0] != '/') {
			cw_comment(w, "not imported: keyring key %zu (its name or path cannot be kept)", i);
			continue;
		}
		if (!n++)
			cw_section(w, "Keyring");
		cw_kv(w, "Key", name, path);
	}
	if (n)
		cw_blank(w);
}

/* [HostN]: DH-HMAC-CHAP keys and TLS PSKs from the keyring files. */
static void emit_hosts(struct conf_writer *w, const struct spdk_conf *sc)
{
	/* DH-HMAC-CHAP: nvmf_subsystem_add_host's dhchap_key / dhchap_ctrlr_key name keyring sc->keys, whose
	 * files become the [HostN] key files (the secrets are never read here) */
	{
		size_t nh = 0;
		struct strmap seen = { 0 };
		for (size_t i = 0; i < sc->nss; i++)
			for (size_t k = 0; k < sc->ss[i].nhosts; k++) {
				json_object *h = sc->ss[i].hosts[k];
				const char *host = str(h, "host"), *kn = str(h, "dhchap_key"), *cn = str(h, "dhchap_ctrlr_key");
				const char *pn = str(h, "psk"), *kf = NULL, *cf = NULL, *pf = NULL;
				json_object *dig = sc->auth_cfg ? arr(sc->auth_cfg, "dhchap_digests") : NULL;
				json_object *grp = sc->auth_cfg ? arr(sc->auth_cfg, "dhchap_dhgroups") : NULL;
				if (!host || (!kn && !pn) || !strmap_add(&seen, host, 0, NULL))
					continue;
				for (size_t j = 0; j < sc->nkeys; j++) {
					if (kn && streq_ptr(str(sc->keys[j], "name"), kn))
						kf = str(sc->keys[j], "path");
					if (cn && streq_ptr(str(sc->keys[j], "name"), cn))
						cf = str(sc->keys[j], "path");
					if (pn && streq_ptr(str(sc->keys[j], "name"), pn))
						pf = str(sc->keys[j], "path");
				}
				/* psk: a keyring key's name (SPDK >= 24.01), or before that the key file's path */
				if (pn && !pf && pn[0] == '/')
					pf = pn;
				if (pn && !pf)
					cw_comment(w, "not imported: host %s's psk %s (no keyring_file_add_key names it)", host, pn);
				if (kn && !kf)
					cw_comment(w, "not imported: host %s's key %s (no keyring_file_add_key names it)", host, kn);
				if (!kf && !pf)
					continue;
				cw_section(w, "Host%zu", ++nh);
				cw_kv(w, "NQN", host);
				if (kf)
					cw_kv(w, "DhchapKey", kf);
				if (pf)
					cw_kv(w, "TlsKey", pf);
				if (kf && cf)
					cw_kv(w, "DhchapCtrlKey", cf);
				/* SPDK allows a list; the kernel one hash and one group per host: the first */
				if (kf && dig && json_object_array_length(dig) &&
				    json_object_is_type(json_object_array_get_idx(dig, 0), json_type_string)) {
					_cleanup_free_ char *h2 = xasprintf("hmac(%s)", json_object_get_string(json_object_array_get_idx(dig, 0)));
					cw_kv(w, "DhchapHash", h2);
				}
				if (kf && grp && json_object_array_length(grp) &&
				    json_object_is_type(json_object_array_get_idx(grp, 0), json_type_string))
					cw_kv(w, "DhchapDHGroup", json_object_get_string(json_object_array_get_idx(grp, 0)));
				cw_blank(w);
			}
		strmap_free(&seen);
	}
}

/* ControllerIDs from nvmf_create_subsystem's min_cntlid/max_cntlid, unless SPDK's defaults. */
static void emit_cntlids(struct conf_writer *w, json_object *create)
{
	long long lo = 1, hi = 0xffef;
	char range[48];

	if (!create)
		return;
	num_in(create, "min_cntlid", 1, 0xffef, &lo);
	num_in(create, "max_cntlid", 1, 0xffef, &hi);
	if (lo == 1 && hi == 0xffef)
		return;
	if (lo >= hi) {	/* Linux 6.1 refuses min >= max */
		cw_comment(w, "not imported: controller IDs %lld-%lld (nvmf.conf's ControllerIDs needs MIN < MAX)", lo, hi);
		return;
	}
	snprintf(range, sizeof(range), "%lld-%lld", lo, hi);
	cw_kv(w, "ControllerIDs", range);
}

/* [SubsystemN] */
static void emit_subsystems(struct conf_writer *w, const struct spdk_conf *sc)
{
	char buf2[32];

	for (size_t i = 0; i < sc->nss; i++) {
		struct spdk_ss *s = &sc->ss[i];
		json_object *c = s->create;
		json_object *b;
		const char *v;

		if (strstr(s->nqn, "discovery"))
			continue; /* listeners of the discovery subsystem: the kernel's ports serve discovery anyway */
		cw_section(w, "Subsystem%zu", i + 1);
		cw_kv(w, "NQN", s->nqn);
		for (size_t k = 0; k < s->nlisten; k++) {
			const char *ana, *t;
			json_object *la = obj(s->listen[k], "listen_address");
			const char *a = la ? str(la, "traddr") : NULL, *p = la ? str(la, "trsvcid") : NULL;
			_cleanup_free_ char *addr = NULL;
			if (!spdk_address(w, la, "listener", &t, &addr))
				continue;
			/* nvmf_subsystem_listener_set_ana_state (or a listener's ana_state): the state after the address */
			ana = str(s->listen[k], "ana_state") ? ana_state_name(str(s->listen[k], "ana_state")) : NULL;
			if (str(s->listen[k], "ana_state") && !ana)
				cw_comment(w, "not imported: ANA state '%s' of %s", str(s->listen[k], "ana_state"), addr);
			if (ana && streq(ana, "optimized"))
				ana = NULL;
			/* a set_ana_state after the add_listener of the same address: one Listen line */
			for (size_t j = k + 1; j < s->nlisten; j++) {
				json_object *lb = obj(s->listen[j], "listen_address");
				if (lb && streq_ptr(str(lb, "traddr"), a) && streq_ptr(str(lb, "trsvcid"), p) &&
				    conf_trtype(str(lb, "trtype")) && streq(conf_trtype(str(lb, "trtype")), t))
					goto next_listener;
			}
			bool tls = false;
			for (size_t j = 0; j < s->nlisten; j++) {
				json_object *lb = obj(s->listen[j], "listen_address"), *sec;
				if (lb && streq_ptr(str(lb, "traddr"), a) && streq_ptr(str(lb, "trsvcid"), p) &&
				    json_object_object_get_ex(s->listen[j], "secure_channel", &sec) && json_object_get_boolean(sec))
					tls = true;
			}
			if (tls && !streq(t, "TCP")) {
				cw_comment(w, "not imported: secure_channel of %s (TLS is for NVMe/TCP only)", addr);
				tls = false;
			}
			cw_kv(w, "Listen", t, addr, ana ? ana : tls ? "tls" : NULL, ana && tls ? "tls" : NULL);
		next_listener:;
		}
		cw_kv(w, "AllowAnyHost",
		      c && json_object_object_get_ex(c, "allow_any_host", &b) && json_object_get_boolean(b) ? "Yes" : "No");
		for (size_t k = 0; k < s->nhosts; k++)
			if ((v = str(s->hosts[k], "host")))
				cw_kv(w, "Host", v);
		if (c && (v = str(c, "serial_number")))
			cw_kv(w, "SN", v);
		if (c && (v = str(c, "model_number")))
			cw_kv(w, "MN", v);
		emit_cntlids(w, c);
		for (size_t k = 0; k < s->nns; k++) {
			json_object *ns = obj(s->ns[k], "namespace");
			long long nsid = 0;
			const char *bdev = ns ? str(ns, "bdev_name") : NULL, *uuid = ns ? str(ns, "uuid") : NULL;
			if (!bdev)
				continue;
			if (!num_in(ns, "nsid", 1, 0xfffffffeLL, &nsid)) {
				cw_kv(w, "Namespace", bdev);
				continue;
			}
			snprintf(buf2, sizeof(buf2), "%lld", nsid);
			cw_kv(w, "Namespace", bdev, buf2, uuid);
		}
		cw_blank(w);
	}
}

int import_spdk_json(const char *text, char **conf, char **err)
{
	_cleanup_(json_object_putp) json_object *root = parse(text, err);
	struct spdk_conf sc = { 0 };
	struct conf_writer w;
	json_object *subsystems;
	int r;

	if (!root)
		return -EINVAL;
	subsystems = arr(root, "subsystems");
	if (!subsystems) {
		*err = xstrdup("no \"subsystems\" array: is this an SPDK JSON config (save_config)?");
		return -EINVAL;
	}
	r = cw_open(&w);
	if (r < 0)
		return r;
	cw_comment(&w, "nvmf.conf imported by nvmetcfg from an SPDK JSON config");
	cw_blank(&w);
	spdk_collect(&w, subsystems, &sc);
	emit_transports(&w, &sc);
	emit_discovery(&w, &sc);
	emit_bdevs(&w, &sc);
	emit_keyring(&w, &sc);
	emit_hosts(&w, &sc);
	emit_subsystems(&w, &sc);
	spdk_conf_free(&sc);
	return cw_close(&w, conf, err);
}
