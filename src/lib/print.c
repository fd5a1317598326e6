/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json-c/json.h>

#include "print.h"
#include "strmap.h"
#include "util.h"

struct buf {
	char *s;
	size_t len;
	FILE *f;
};

static void bdf_free(char ***v, size_t *n) { strv_free(*v, *n); *v = NULL; *n = 0; }

/* SPDK allows values with spaces only in double quotes. */
static void put_val(FILE *f, const char *v)
{
	if (strpbrk(v, " \t#") || !*v)
		fprintf(f, " \"%s\"", v);
	else
		fprintf(f, " %s", v);
}

static const char *spdk_trtype(const char *t)
{
	return streq_ptr(t, "rdma") ? "RDMA" : streq_ptr(t, "tcp") ? "TCP" : t;
}

/* One [Transport] per transport type, with the port parameters if every port of that type agrees. */
static void print_transports(FILE *f, const struct nv_model *m)
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
		fprintf(f, "[Transport%zu]\n  Type %s\n", t + 1, spdk_trtype(types[t]));
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
				fprintf(f, "  %s %s\n", params[k].key, val);
			else
				fprintf(f, "  # %s differs between %s ports; nvmf.conf cannot express that\n",
					params[k].key, spdk_trtype(types[t]));
		}
		fputc('\n', f);
	}
}

int print_conf(struct nv_ctx *c, const struct nv_model *m, const struct nv_config *keep, char **out)
{
	struct buf b = { 0 };
	char **bdfs = NULL, **aios = NULL;
	size_t nbdfs = 0, naios = 0;
	struct strmap bdf_index = { 0 }, aio_index = { 0 }; /* name -> index in bdfs / aios */
	char ***ns_bdev;

	b.f = open_memstream(&b.s, &b.len);
	if (!b.f)
		return -errno;
	fprintf(b.f, "# nvmf.conf (SPDK legacy format) written by nvmetcfg from the live kernel target.\n"
		     "# Applying it with `nvmetcfg apply` reproduces the same configfs state.\n\n");
	if (keep && keep->has_reactor_mask)
		fprintf(b.f, "[Global]\n  ReactorMask %s\n\n", keep->reactor_mask);
	print_transports(b.f, m);

	/* Name the backing devices: NVMe namespaces by their controller's PCI address, anything else as AIO. */
	ns_bdev = xcalloc(m->nsubsys + 1, sizeof(char **));
	for (size_t i = 0; i < m->nsubsys; i++) {
		const struct nv_subsys *s = &m->subsys[i];
		ns_bdev[i] = xcalloc(s->nns + 1, sizeof(char *));
		for (size_t j = 0; j < s->nns; j++) {
			const char *path = attrs_get(&s->ns[j].attrs, "device_path");
			_cleanup_free_ char *bdf = NULL;
			unsigned nsid;
			size_t k;

			if (!path || !*path)
				continue;
			if (resolve_nvme_path(c, path, &bdf, &nsid) == 0) {
				if (strmap_add(&bdf_index, bdf, nbdfs, &k)) {
					k = nbdfs;
					*(char **)array_push(&bdfs, &nbdfs, sizeof(char *)) = xstrdup(bdf);
				}
				ns_bdev[i][j] = xasprintf("Nvme%zun%u", k, nsid);
			} else {
				if (strmap_add(&aio_index, path, naios, &k)) {
					k = naios;
					*(char **)array_push(&aios, &naios, sizeof(char *)) = xstrdup(path);
				}
				ns_bdev[i][j] = xasprintf("AIO%zu", k);
			}
		}
	}
	if (nbdfs || (keep && keep->hotplug)) {
		fprintf(b.f, "[Nvme]\n");
		for (size_t k = 0; k < nbdfs; k++)
			fprintf(b.f, "  TransportID \"trtype:PCIe traddr:%s\" Nvme%zu\n", bdfs[k], k);
		if (keep && keep->hotplug)
			fprintf(b.f, "  HotplugEnable Yes\n");
		fputc('\n', b.f);
	}
	if (naios) {
		fprintf(b.f, "[AIO]\n");
		for (size_t k = 0; k < naios; k++)
			fprintf(b.f, "  AIO %s AIO%zu\n", aios[k], k);
		fputc('\n', b.f);
	}
	for (size_t i = 0; i < m->nsubsys; i++) {
		const struct nv_subsys *s = &m->subsys[i];
		const char *v;
		unsigned long long q;

		fprintf(b.f, "[Subsystem%zu]\n  NQN %s\n", i + 1, s->nqn);
		for (size_t p = 0; p < m->nports; p++) {
			const struct nv_port *port = &m->ports[p];
			const char *fam = attrs_get(&port->attrs, "addr_adrfam");
			if (!model_list_has(m, port->subsys, port->nsubsys, s->nqn))
				continue;
			fprintf(b.f, streq_ptr(fam, "ipv6") ? "  Listen %s [%s]:%s\n" : "  Listen %s %s:%s\n",
				spdk_trtype(attrs_get(&port->attrs, "addr_trtype")),
				attrs_get(&port->attrs, "addr_traddr"), attrs_get(&port->attrs, "addr_trsvcid"));
		}
		v = attrs_get(&s->attrs, "attr_allow_any_host");
		fprintf(b.f, "  AllowAnyHost %s\n", streq_ptr(v, "1") ? "Yes" : "No");
		for (size_t h = 0; h < s->nhosts; h++)
			fprintf(b.f, "  Host %s\n", s->hosts[h]);
		if ((v = attrs_get(&s->attrs, "attr_serial"))) {
			fprintf(b.f, "  SN");
			put_val(b.f, v);
			fputc('\n', b.f);
		}
		if ((v = attrs_get(&s->attrs, "attr_model"))) {
			fprintf(b.f, "  MN");
			put_val(b.f, v);
			fputc('\n', b.f);
		}
		if ((v = attrs_get(&s->attrs, "attr_qid_max")) && parse_u64(v, &q) == 0)
			fprintf(b.f, "  MaxQueuesPerSession %llu\n", q + 1);
		for (size_t j = 0; j < s->nns; j++) {
			const struct nv_ns *ns = &s->ns[j];
			const char *uuid = attrs_get(&ns->attrs, "device_uuid");

			if (!ns_bdev[i][j]) {
				fprintf(b.f, "  # namespace %u has no device_path and is not shown\n", ns->nsid);
				continue;
			}
			if (!ns->enable)
				fprintf(b.f, "  # namespace %u is disabled in the live target; applying enables it\n", ns->nsid);
			fprintf(b.f, "  Namespace %s %u", ns_bdev[i][j], ns->nsid);
			if (uuid && *uuid)
				fprintf(b.f, " %s", uuid);
			fputc('\n', b.f);
		}
		fputc('\n', b.f);
	}
	for (size_t i = 0; i < m->nsubsys; i++) {
		for (size_t j = 0; j < m->subsys[i].nns; j++)
			free(ns_bdev[i][j]);
		free(ns_bdev[i]);
	}
	free(ns_bdev);
	bdf_free(&bdfs, &nbdfs);
	bdf_free(&aios, &naios);
	strmap_free(&bdf_index);
	strmap_free(&aio_index);
	if (fclose(b.f) != 0)
		return -errno;
	*out = b.s;
	return 0;
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

int print_json(const struct nv_model *m, char **out)
{
	json_object *root = json_object_new_object();
	json_object *hosts = json_object_new_array();
	json_object *subs = json_object_new_array();
	json_object *ports = json_object_new_array();

	for (size_t i = 0; i < m->nhosts; i++) {
		json_object *h = json_object_new_object();
		json_object_object_add(h, "nqn", json_object_new_string(m->hosts[i].nqn));
		json_object_array_add(hosts, h);
	}
	for (size_t i = 0; i < m->nsubsys; i++) {
		const struct nv_subsys *s = &m->subsys[i];
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
		json_object_array_add(subs, so);
	}
	for (size_t i = 0; i < m->nports; i++) {
		const struct nv_port *p = &m->ports[i];
		json_object *po = json_object_new_object();

		json_object_object_add(po, "portid", json_object_new_int(p->id));
		add_group(po, &p->attrs, "addr_", "addr");
		add_group(po, &p->attrs, "param_", "param");
		json_object_object_add(po, "subsystems", strv_json(p->subsys, p->nsubsys));
		json_object_object_add(po, "referrals", json_object_new_array());
		json_object_array_add(ports, po);
	}
	json_object_object_add(root, "hosts", hosts);
	json_object_object_add(root, "ports", ports);
	json_object_object_add(root, "subsystems", subs);
	*out = xstrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}
