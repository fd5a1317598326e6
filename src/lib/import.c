/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <strings.h>

#include "import.h"
#include "util.h"

static void json_putp(json_object **o) { if (*o) json_object_put(*o); }

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

/* {"group": {"name": "value"}} -> attributes "prefix" + name */
static void group_attrs(json_object *o, const char *group, const char *prefix, struct nv_attrs *a)
{
	json_object *g = obj(o, group);

	if (!g)
		return;
	json_object_object_foreach(g, k, v) {
		_cleanup_free_ char *name = xasprintf("%s%s", prefix, k);
		attrs_set(a, name, json_object_get_string(v));
	}
}

int import_nvmetcli(const char *text, struct nv_model **out, char **err)
{
	_cleanup_(json_putp) json_object *root = parse(text, err);
	_cleanup_(model_freep) struct nv_model *m = NULL;
	json_object *a;

	if (!root)
		return -EINVAL;
	if (!json_object_is_type(root, json_type_object)) {
		*err = xstrdup("the top level is not an object with hosts, ports and subsystems");
		return -EINVAL;
	}
	m = xcalloc(1, sizeof(*m));
	if ((a = arr(root, "hosts")))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			const char *nqn = str(json_object_array_get_idx(a, i), "nqn");
			if (!nqn) {
				*err = xasprintf("hosts[%zu]: no nqn", i);
				return -EINVAL;
			}
			((struct nv_host *)array_push(&m->hosts, &m->nhosts, sizeof(struct nv_host)))->nqn = xstrdup(nqn);
		}
	if ((a = arr(root, "subsystems")))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *so = json_object_array_get_idx(a, i), *h, *nss;
			const char *nqn = str(so, "nqn");
			struct nv_subsys *s;

			if (!nqn) {
				*err = xasprintf("subsystems[%zu]: no nqn", i);
				return -EINVAL;
			}
			s = array_push(&m->subsys, &m->nsubsys, sizeof(*s));
			s->nqn = xstrdup(nqn);
			group_attrs(so, "attr", "attr_", &s->attrs);
			if ((h = arr(so, "allowed_hosts")))
				for (size_t k = 0; k < json_object_array_length(h); k++)
					strv_add_unique(&s->hosts, &s->nhosts, json_object_get_string(json_object_array_get_idx(h, k)));
			if ((nss = arr(so, "namespaces")))
				for (size_t k = 0; k < json_object_array_length(nss); k++) {
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
					group_attrs(no, "device", "device_", &ns->attrs);
				}
		}
	if ((a = arr(root, "ports")))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			json_object *po = json_object_array_get_idx(a, i), *ss;
			struct nv_port *p;
			long long id;

			if (!num(po, "portid", &id) || id < 0 || id > 65535) {
				*err = xasprintf("ports[%zu]: no valid portid", i);
				return -EINVAL;
			}
			p = array_push(&m->ports, &m->nports, sizeof(*p));
			p->id = id;
			group_attrs(po, "addr", "addr_", &p->attrs);
			group_attrs(po, "param", "param_", &p->attrs);
			if ((ss = arr(po, "subsystems")))
				for (size_t k = 0; k < json_object_array_length(ss); k++)
					strv_add_unique(&p->subsys, &p->nsubsys, json_object_get_string(json_object_array_get_idx(ss, k)));
		}
	model_sort(m);
	*out = TAKE_PTR(m);
	return 0;
}

/* ---- SPDK JSON ---- */

struct spdk_ss {
	const char *nqn;
	json_object *create, **listen, **ns, **hosts;
	size_t nlisten, nns, nhosts;
};

static void push_obj(json_object ***v, size_t *n, json_object *o)
{
	*(json_object **)array_push(v, n, sizeof(json_object *)) = o;
}

static const char *spdk_tr(const char *t) { return t && !strcasecmp(t, "tcp") ? "TCP" : t && !strcasecmp(t, "rdma") ? "RDMA" : NULL; }

int import_spdk_json(const char *text, char **conf, char **err)
{
	_cleanup_(json_putp) json_object *root = parse(text, err);
	json_object *subsystems, **transports = NULL, **nvme = NULL, **aio = NULL, **mallocs = NULL;
	size_t ntr = 0, nnvme = 0, naio = 0, nmalloc = 0, nss = 0;
	struct spdk_ss *ss = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!root)
		return -EINVAL;
	subsystems = arr(root, "subsystems");
	if (!subsystems) {
		*err = xstrdup("no \"subsystems\" array: is this an SPDK JSON config (save_config)?");
		return -EINVAL;
	}
	f = open_memstream(&buf, &len);
	fprintf(f, "# nvmf.conf imported by nvmetcfg from an SPDK JSON config\n\n");
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
				for (size_t k = 0; k < nss; k++)
					if (streq(ss[k].nqn, nqn))
						s = &ss[k];
				if (!s && !strncmp(method, "nvmf_", 5) && strcmp(method, "nvmf_create_transport")) {
					s = array_push(&ss, &nss, sizeof(*s));
					s->nqn = nqn;
				}
			}
			if (streq(method, "nvmf_create_transport"))
				push_obj(&transports, &ntr, params);
			else if (streq(method, "bdev_nvme_attach_controller"))
				push_obj(&nvme, &nnvme, params);
			else if (streq(method, "bdev_aio_create"))
				push_obj(&aio, &naio, params);
			else if (streq(method, "bdev_malloc_create"))
				push_obj(&mallocs, &nmalloc, params);
			else if (streq(method, "nvmf_create_subsystem") && s)
				s->create = params;
			else if (streq(method, "nvmf_subsystem_add_listener") && s)
				push_obj(&s->listen, &s->nlisten, params);
			else if (streq(method, "nvmf_subsystem_add_ns") && s)
				push_obj(&s->ns, &s->nns, params);
			else if (streq(method, "nvmf_subsystem_add_host") && s)
				push_obj(&s->hosts, &s->nhosts, params);
			else if (!strncmp(method, "nvmf_", 5) || !strncmp(method, "bdev_nvme_attach", 16) ||
				 !strncmp(method, "bdev_aio", 8) || !strncmp(method, "bdev_malloc", 11))
				fprintf(f, "# not imported: %s\n", method);
		}
	}
	for (size_t i = 0; i < ntr; i++) {
		long long v;
		const char *t = spdk_tr(str(transports[i], "trtype"));
		if (!t) {
			fprintf(f, "# not imported: transport %s\n", str(transports[i], "trtype") ?: "?");
			continue;
		}
		fprintf(f, "[Transport%zu]\n  Type %s\n", i + 1, t);
		if (num(transports[i], "max_queue_depth", &v))
			fprintf(f, "  MaxQueueDepth %lld\n", v);
		if (num(transports[i], "max_io_qpairs_per_ctrlr", &v))
			fprintf(f, "  MaxQueuesPerSession %lld\n", v + 1);
		else if (num(transports[i], "max_qpairs_per_ctrlr", &v))
			fprintf(f, "  MaxQueuesPerSession %lld\n", v);
		if (num(transports[i], "in_capsule_data_size", &v))
			fprintf(f, "  InCapsuleDataSize %lld\n", v);
		fputc('\n', f);
	}
	if (nnvme) {
		fprintf(f, "[Nvme]\n");
		for (size_t i = 0; i < nnvme; i++) {
			const char *tr = str(nvme[i], "trtype"), *addr = str(nvme[i], "traddr"), *name = str(nvme[i], "name");
			if (!tr || strcasecmp(tr, "pcie") || !addr || !name) {
				fprintf(f, "  # not imported: controller %s (only local PCIe SSDs can be exported)\n", name ?: "?");
				continue;
			}
			fprintf(f, "  TransportID \"trtype:PCIe traddr:%s\" %s\n", addr, name);
		}
		fputc('\n', f);
	}
	if (naio) {
		fprintf(f, "[AIO]\n");
		for (size_t i = 0; i < naio; i++) {
			long long bs;
			fprintf(f, "  AIO %s %s", str(aio[i], "filename") ?: "?", str(aio[i], "name") ?: "?");
			if (num(aio[i], "block_size", &bs) && bs)
				fprintf(f, " %lld", bs);
			fputc('\n', f);
		}
		fputc('\n', f);
	}
	if (nmalloc) {
		/* SPDK names each malloc bdev; nvmf.conf's [Malloc] makes Malloc0..N-1 of one size */
		long long nb = 0, bs = 512;
		num(mallocs[0], "num_blocks", &nb);
		num(mallocs[0], "block_size", &bs);
		fprintf(f, "[Malloc]\n  NumberOfLuns %zu\n  LunSizeInMB %lld\n  BlockSize %lld\n\n", nmalloc,
			(nb * bs + (1 << 20) - 1) >> 20, bs);
		for (size_t i = 0; i < nmalloc; i++) {
			const char *name = str(mallocs[i], "name");
			_cleanup_free_ char *want = xasprintf("Malloc%zu", i);
			if (name && strcmp(name, want))
				fprintf(f, "# note: SPDK's malloc bdev %s is %s here\n", name, want);
		}
	}
	for (size_t i = 0; i < nss; i++) {
		struct spdk_ss *s = &ss[i];
		json_object *c = s->create;
		json_object *b;
		const char *v;

		if (strstr(s->nqn, "discovery")) {
			/* listeners of the discovery subsystem: the kernel's ports serve discovery anyway */
			free(s->listen);
			free(s->ns);
			free(s->hosts);
			continue;
		}
		fprintf(f, "[Subsystem%zu]\n  NQN %s\n", i + 1, s->nqn);
		for (size_t k = 0; k < s->nlisten; k++) {
			json_object *la = obj(s->listen[k], "listen_address");
			const char *t = la ? spdk_tr(str(la, "trtype")) : NULL;
			const char *a = la ? str(la, "traddr") : NULL, *p = la ? str(la, "trsvcid") : NULL;
			const char *fam = la ? str(la, "adrfam") : NULL;
			if (!t || !a || !p) {
				fprintf(f, "  # not imported: a listener without trtype RDMA/TCP, traddr and trsvcid\n");
				continue;
			}
			fprintf(f, (fam && !strcasecmp(fam, "ipv6")) ? "  Listen %s [%s]:%s\n" : "  Listen %s %s:%s\n", t, a, p);
		}
		fprintf(f, "  AllowAnyHost %s\n",
			c && json_object_object_get_ex(c, "allow_any_host", &b) && json_object_get_boolean(b) ? "Yes" : "No");
		for (size_t k = 0; k < s->nhosts; k++)
			if ((v = str(s->hosts[k], "host")))
				fprintf(f, "  Host %s\n", v);
		if (c && (v = str(c, "serial_number")))
			fprintf(f, "  SN %s\n", v);
		if (c && (v = str(c, "model_number")))
			fprintf(f, strpbrk(v, " \t") ? "  MN \"%s\"\n" : "  MN %s\n", v);
		for (size_t k = 0; k < s->nns; k++) {
			json_object *ns = obj(s->ns[k], "namespace");
			long long nsid = 0;
			const char *bdev = ns ? str(ns, "bdev_name") : NULL, *uuid = ns ? str(ns, "uuid") : NULL;
			if (!bdev)
				continue;
			num(ns, "nsid", &nsid);
			fprintf(f, "  Namespace %s %lld%s%s\n", bdev, nsid, uuid ? " " : "", uuid ? uuid : "");
		}
		fputc('\n', f);
		free(s->listen);
		free(s->ns);
		free(s->hosts);
	}
	fclose(f);
	free(ss);
	free(transports);
	free(nvme);
	free(aio);
	free(mallocs);
	*conf = buf;
	return 0;
}
