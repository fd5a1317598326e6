/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Two files, one configuration (confmerge.h). Objects move from rpc.conf's config into nvmf.conf's:
 * each moved element is zeroed where it was, so what is left behind is freed with its config. */
#include <errno.h>
#include <strings.h>

#include "confmerge.h"
#include "unit.h"
#include "util.h"

#define CONFLICT(rep, a, la, b, lb, fmt, ...)                                                            \
	report_add(rep, NV_ERROR, (b)->path, lb, NULL, fmt " is defined in both %s line %u and %s line %u", \
		   __VA_ARGS__, (a)->path, la, (b)->path, lb)

static const char *port_param_differs(const struct nv_port *a, const struct nv_port *b)
{
	static const char *const params[] = { "param_inline_data_size", "param_max_queue_size" };

	for (size_t i = 0; i < ARRAY_SIZE(params); i++)
		if (attrs_get(&b->attrs, params[i]) && !streq_ptr(attrs_get(&a->attrs, params[i]), attrs_get(&b->attrs, params[i])))
			return params[i];
	return NULL;
}

static struct nv_port *same_port(const struct nv_model *m, const struct nv_port *p)
{
	for (size_t i = 0; i < m->nports; i++)
		if (port_same(&m->ports[i], p))
			return &m->ports[i];
	return NULL;
}

static int port_conflicts(const struct nv_config *a, const struct nv_config *b, struct nv_report *rep)
{
	int r = 0;

	for (size_t i = 0; i < b->model->nports; i++) {
		const struct nv_port *q = &b->model->ports[i], *p = same_port(a->model, q);
		_cleanup_free_ char *addr = port_address(q);
		const char *param = p ? port_param_differs(p, q) : NULL;

		if (p && q->ana_line && !streq_ptr(p->ana_state, q->ana_state)) {
			report_add(rep, NV_ERROR, b->path, q->ana_line, NULL, "the ANA state of %s is %s here but %s in %s "
				   "(line %u): one state per address", addr, q->ana_state, p->ana_state, a->path, p->line);
			r = -EINVAL;
		}
		if (param) {
			report_add(rep, NV_ERROR, b->path, q->line, NULL, "%s of %s differs from %s's (line %u): one "
				   "port per address", param, addr, a->path, p->line);
			r = -EINVAL;
		}
		if (p && port_tls(p) != port_tls(q)) {
			report_add(rep, NV_ERROR, b->path, q->line, NULL, "%s %s TLS here but %s in %s (line %u): TLS is per "
				   "address", addr, port_tls(q) ? "requires" : "does not require", port_tls(p) ? "does" : "does not",
				   a->path, p->line);
			r = -EINVAL;
		}
	}
	return r;
}

static int bdev_conflicts(const struct nv_config *a, const struct nv_config *b, struct nv_report *rep)
{
	struct nv_bdev bd;
	int r = 0;

	for (size_t i = 0; i < b->naio; i++)
		if (spdkconf_find_bdev(a, b->aio[i].name, &bd) == 0) {
			CONFLICT(rep, a, bd.line, b, b->aio[i].line, "bdev %s", b->aio[i].name);
			r = -EINVAL;
		}
	for (size_t i = 0; i < b->nctrls; i++)
		for (size_t j = 0; j < a->nctrls; j++)
			if (!strcasecmp(a->ctrls[j].name, b->ctrls[i].name) || streq(a->ctrls[j].bdf, b->ctrls[i].bdf)) {
				CONFLICT(rep, a, a->ctrls[j].line, b, b->ctrls[i].line, "NVMe controller %s (%s)",
					 b->ctrls[i].name, b->ctrls[i].bdf);
				r = -EINVAL;
			}
	if (a->malloc_luns && b->malloc_luns) {
		CONFLICT(rep, a, a->malloc_line, b, b->malloc_line, "%s", "[Malloc]");
		r = -EINVAL;
	}
	return r;
}

static int conflicts(const struct nv_config *a, const struct nv_config *b, struct nv_report *rep)
{
	int r = bdev_conflicts(a, b, rep);

	for (size_t i = 0; i < b->model->nsubsys; i++) {
		const struct nv_subsys *s = model_subsys(a->model, b->model->subsys[i].nqn);
		if (s) {
			CONFLICT(rep, a, s->line, b, b->model->subsys[i].line, "subsystem %s", s->nqn);
			r = -EINVAL;
		}
	}
	for (size_t i = 0; i < b->ntransports; i++)
		for (size_t j = 0; j < a->ntransports; j++)
			if (streq(a->transports[j].trtype, b->transports[i].trtype)) {
				CONFLICT(rep, a, a->transports[j].line, b, b->transports[i].line, "the %s transport",
					 b->transports[i].trtype);
				r = -EINVAL;
			}
	for (size_t i = 0; i < b->ncreds; i++)
		for (size_t j = 0; j < a->ncreds; j++)
			if (streq(a->creds[j].nqn, b->creds[i].nqn)) {
				CONFLICT(rep, a, a->creds[j].line, b, b->creds[i].line, "host %s's keys", b->creds[i].nqn);
				r = -EINVAL;
			}
	for (size_t i = 0; i < b->nkeyring; i++) {
		const struct nv_keyname *k = spdkconf_key_by_name(a, b->keyring[i].name);
		if (k) {
			CONFLICT(rep, a, k->line, b, b->keyring[i].line, "key %s", b->keyring[i].name);
			r = -EINVAL;
		}
	}
	for (size_t i = 0; i < b->nreferrals; i++)
		for (size_t j = 0; j < a->nreferrals; j++)
			if (streq(a->referrals[j].name, b->referrals[i].name)) {
				CONFLICT(rep, a, a->referrals[j].line, b, b->referrals[i].line, "referral %s", b->referrals[i].name);
				r = -EINVAL;
			}
	return port_conflicts(a, b, rep) < 0 ? -EINVAL : r;
}

#define MOVE(dst, ndst, src, i)                                                  \
	do {                                                                     \
		*(typeof(&(src)[i]))array_push(&(dst), &(ndst), sizeof(*(dst))) = (src)[i]; \
		memset(&(src)[i], 0, sizeof((src)[i]));                          \
	} while (0)

static void move_ports(struct nv_model *a, struct nv_model *b)
{
	for (size_t i = 0; i < b->nports; i++) {
		struct nv_port *q = &b->ports[i], *p = same_port(a, q);

		q->src = NV_SRC_RPC;
		if (p) {
			p->src |= NV_SRC_RPC;
			for (size_t k = 0; k < q->nsubsys; k++)
				*(char **)array_push(&p->subsys, &p->nsubsys, sizeof(char *)) = TAKE_PTR(q->subsys[k]);
			continue;
		}
		MOVE(a->ports, a->nports, b->ports, i);
	}
}

/* Both files' [Discovery] referrals, on every port of both. */
static void move_referrals(struct nv_config *a, struct nv_config *b)
{
	for (size_t i = 0; i < b->nreferrals; i++)
		MOVE(a->referrals, a->nreferrals, b->referrals, i);
	for (size_t i = 0; i < a->model->nports; i++)
		port_add_referrals(&a->model->ports[i], a->referrals, a->nreferrals);
	for (size_t i = 0; i < b->model->nports; i++)
		port_add_referrals(&b->model->ports[i], a->referrals, a->nreferrals);
}

static void move_model(struct nv_model *a, struct nv_model *b)
{
	for (size_t i = 0; i < a->nsubsys; i++)
		a->subsys[i].src = NV_SRC_CONF;
	for (size_t i = 0; i < a->nports; i++)
		a->ports[i].src = NV_SRC_CONF;
	for (size_t i = 0; i < b->nsubsys; i++)
		b->subsys[i].src = NV_SRC_RPC;
	for (size_t i = 0; i < b->nhosts; i++)
		if (!model_host(a, b->hosts[i].nqn))
			MOVE(a->hosts, a->nhosts, b->hosts, i);
	for (size_t i = 0; i < b->nsubsys; i++)
		MOVE(a->subsys, a->nsubsys, b->subsys, i);
	move_ports(a, b);
	a->sorted = false;
	model_sort(a);
}

int conf_merge(struct nv_config *a, struct nv_config *b, struct nv_report *rep)
{
	if (conflicts(a, b, rep) < 0) {
		spdkconf_free(b);
		return -EINVAL;
	}
	move_referrals(a, b);
	move_model(a->model, b->model);
	free(a->rpc_path);
	a->rpc_path = xstrdup(b->path);
	for (size_t i = 0; i < b->nctrls; i++)
		MOVE(a->ctrls, a->nctrls, b->ctrls, i);
	for (size_t i = 0; i < b->naio; i++) {
		strmap_add(&a->aio_index, b->aio[i].name, a->naio, NULL);
		MOVE(a->aio, a->naio, b->aio, i);
	}
	for (size_t i = 0; i < b->ncreds; i++)
		MOVE(a->creds, a->ncreds, b->creds, i);
	for (size_t i = 0; i < b->nkeyring; i++)
		MOVE(a->keyring, a->nkeyring, b->keyring, i);
	for (size_t i = 0; i < b->ntransports; i++)
		MOVE(a->transports, a->ntransports, b->transports, i);
	if (b->malloc_luns) {
		a->malloc_luns = b->malloc_luns;
		a->malloc_size_mb = b->malloc_size_mb;
		a->malloc_block_size = b->malloc_block_size;
		a->malloc_line = b->malloc_line;
	}
	spdkconf_free(b);
	return 0;
}

int conf_load_both(const char *conf_path, const char *conf_text, const char *rpc_path, const char *rpc_text,
		   struct nv_config **out, struct nv_report *rep)
{
	_cleanup_(spdkconf_freep) struct nv_config *a = NULL;
	struct nv_config *b = NULL;
	int r = spdkconf_from_text(conf_path, conf_text, &a, rep);

	*out = NULL;
	if (r < 0)
		return r;
	if (rpc_text && *rpc_text) {
		r = spdkconf_from_text_base(rpc_path, rpc_text, a, &b, rep);
		if (r < 0)
			return r;
		r = conf_merge(a, b, rep);
		if (r < 0)
			return r;
	}
	*out = TAKE_PTR(a);
	return 0;
}

int conf_merge_file(struct nv_config *cfg, const char *rpc_path, struct nv_report *rep)
{
	_cleanup_free_ char *text = NULL;
	struct nv_config *b = NULL;
	size_t len = 0;
	int r = read_input(rpc_path, INPUT_MAX, &text, &len);

	if (r == -ENOENT)
		return 0;
	if (r == 0 && memchr(text, '\0', len))
		r = -EINVAL;
	if (r < 0) {
		report_add(rep, NV_ERROR, rpc_path, 0, NULL, "cannot read %s: %s", rpc_path,
			   r == -EINVAL ? "NUL byte in the file" : read_input_strerror(r));
		return r;
	}
	if (!*text)
		return 0;
	r = spdkconf_from_text_base(rpc_path, text, cfg, &b, rep);
	return r < 0 ? r : conf_merge(cfg, b, rep);
}

char *conf_source(const struct nv_config *cfg, unsigned src)
{
	if (src == (NV_SRC_CONF | NV_SRC_RPC) && cfg->rpc_path)
		return xasprintf("%s and %s", cfg->path, cfg->rpc_path);
	return xstrdup(src == NV_SRC_RPC && cfg->rpc_path ? cfg->rpc_path : cfg->path);
}
