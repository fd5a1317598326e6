/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "role.h"
#include "util.h"

const char *role_name(enum nv_role r)
{
	return r == ROLE_PROMOTED ? "promoted" : r == ROLE_UNPROMOTED ? "unpromoted" : "none";
}

int role_parse(const char *s, enum nv_role *r)
{
	if (streq(s, "promoted"))
		*r = ROLE_PROMOTED;
	else if (streq(s, "unpromoted"))
		*r = ROLE_UNPROMOTED;
	else if (streq(s, "none"))
		*r = ROLE_NONE;
	else
		return -EINVAL;
	return 0;
}

static int parse_id(const char *s, const char *end, unsigned *v)
{
	unsigned long n = 0;

	if (s == end || end - s > 5)
		return -EINVAL;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	*v = (unsigned)n;
	return 0;
}

int role_parse_range(const char *s, unsigned *min, unsigned *max)
{
	const char *dash = strchr(s, '-');

	if (!dash || parse_id(s, dash, min) < 0 || parse_id(dash + 1, dash + 1 + strlen(dash + 1), max) < 0)
		return -EINVAL;
	/* 6.1's configfs refuses min >= max (later kernels allow min == max): strictly below, everywhere */
	if (*min < 1 || *max > NVMET_CNTLID_MAX || *min >= *max)
		return -ERANGE;
	return 0;
}

static char *record_path(struct nv_ctx *c)
{
	return c->rundir ? path_join(c->rundir, "role") : NULL;
}

/* One "key value" line of the record. */
static int record_line(char *line, struct nv_role_rec *r)
{
	char *v = strchr(line, ' ');

	if (!v)
		return -EINVAL;
	*v++ = '\0';
	if (streq(line, "role"))
		return role_parse(v, &r->role);
	if (streq(line, "standby")) {
		r->standby = streq(v, "non-optimized") ? "non-optimized" : streq(v, "inaccessible") ? "inaccessible" : NULL;
		return r->standby ? 0 : -EINVAL;
	}
	if (streq(line, "cntlid"))
		return role_parse_range(v, &r->cntlid_min, &r->cntlid_max) < 0 ? -EINVAL : 0;
	return 0;	/* keys of a later version are left to it */
}

int role_read(struct nv_ctx *c, struct nv_role_rec *r)
{
	_cleanup_free_ char *path = record_path(c), *text = NULL;
	char *save = NULL;
	int ret;

	*r = (struct nv_role_rec){ .role = ROLE_NONE, .standby = "inaccessible" };
	if (!path)	/* no run directory (a library user without one: the fuzz targets) */
		return 0;
	ret = read_input(path, 4096, &text, NULL);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (record_line(l, r) < 0) {
			*r = (struct nv_role_rec){ .role = ROLE_NONE, .standby = "inaccessible" };
			return -EINVAL;
		}
	return 0;
}

int role_write(struct nv_ctx *c, const struct nv_role_rec *r)
{
	_cleanup_free_ char *path = record_path(c), *text = NULL, *range = NULL;

	if (!path)
		return -EINVAL;
	if (r->role == ROLE_NONE && !r->cntlid_min)
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	range = r->cntlid_min ? xasprintf("cntlid %u-%u\n", r->cntlid_min, r->cntlid_max) : xstrdup("");
	text = xasprintf("role %s\nstandby %s\n%s", role_name(r->role), r->standby ? r->standby : "inaccessible",
			 range);
	(void)mkdir(c->rundir, 0755);
	return write_file_atomic(path, text, strlen(text), 0644);
}

void role_mark(struct nv_ctx *c, struct nv_model *m)
{
	struct nv_role_rec r;
	char lo[16], hi[16];

	if (!m)
		return;
	/* a record that does not parse counts as none here; `nvmetcfg role` and status say what is wrong */
	if (role_read(c, &r) < 0)
		r = (struct nv_role_rec){ .role = ROLE_NONE };
	m->role = r.role;
	m->standby = r.role == ROLE_UNPROMOTED ? r.standby : NULL;
	for (size_t i = 0; i < m->nports; i++)
		m->ports[i].standby = r.role == ROLE_UNPROMOTED ? r.standby : NULL;
	if (!r.cntlid_min)
		return;
	snprintf(lo, sizeof(lo), "%u", r.cntlid_min);
	snprintf(hi, sizeof(hi), "%u", r.cntlid_max);
	for (size_t i = 0; i < m->nsubsys; i++) {
		struct nv_subsys *s = &m->subsys[i];
		if (attrs_get(&s->attrs, "attr_cntlid_min"))
			continue;	/* nvmf.conf's [Cluster] ControllerIDs */
		attrs_set(&s->attrs, "attr_cntlid_min", lo)->why = xstrdup("nvmetcfg role (this node's controller IDs)");
		attrs_set(&s->attrs, "attr_cntlid_max", hi)->why = xstrdup("nvmetcfg role (this node's controller IDs)");
	}
}
