/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "unit.h"
#include "util.h"

/* a, b, c and d in one new string: units are made thousands of times per plan, without printf */
static char *cat4(const char *a, const char *b, const char *c, const char *d)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c), ld = strlen(d);
	char *u = xmalloc(la + lb + lc + ld + 1);

	memcpy(u, a, la);
	memcpy(u + la, b, lb);
	memcpy(u + la + lb, c, lc);
	memcpy(u + la + lb + lc, d, ld + 1);
	return u;
}

char *unit_host(const char *nqn) { return cat4("hosts/", nqn, "", ""); }
char *unit_subsys(const char *nqn) { return cat4("subsystems/", nqn, "", ""); }

char *unit_ns(const char *nqn, unsigned nsid)
{
	char num[12];
	size_t k = sizeof(num);

	num[--k] = '\0';
	do
		num[--k] = (char)('0' + nsid % 10);
	while (nsid /= 10);
	return cat4("subsystems/", nqn, "/namespaces/", num + k);
}

char *unit_port(unsigned id) { return xasprintf("ports/%u", id); }

/* The unit is the first two components ("kind/name"), or four for a namespace. An NQN has no '/'
 * (the parser refuses one), so components are plain. */
char *unit_of_path(const char *path)
{
	const char *c1 = strchr(path, '/'), *c2, *c4;
	size_t len = strlen(path);

	if (!c1)
		return xstrdup(path);
	c2 = strchr(c1 + 1, '/');
	if (!c2)
		return xstrdup(path);
	len = (size_t)(c2 - path);
	if (!strncmp(path, "subsystems/", 11) && !strncmp(c2 + 1, "namespaces/", 11)) {
		c4 = strchr(c2 + 12, '/');
		len = c4 ? (size_t)(c4 - path) : strlen(path);
	}
	return xstrndup(path, len);
}

char *unit_parent(const char *unit)
{
	const char *ns = strstr(unit, "/namespaces/");

	return !strncmp(unit, "subsystems/", 11) && ns ? xstrndup(unit, ns - unit) : NULL;
}

bool unit_is_ns(const char *unit)
{
	return !strncmp(unit, "subsystems/", 11) && strstr(unit, "/namespaces/");
}

char *port_key(const struct nv_port *p)
{
	return xasprintf("%s %s %s", attrs_get(&p->attrs, "addr_trtype") ?: "", attrs_get(&p->attrs, "addr_traddr") ?: "",
			 attrs_get(&p->attrs, "addr_trsvcid") ?: "");
}

bool port_same(const struct nv_port *a, const struct nv_port *b)
{
	static const char *const k[] = { "addr_trtype", "addr_traddr", "addr_trsvcid" };

	for (size_t i = 0; i < ARRAY_SIZE(k); i++)
		if (!streq_ptr(attrs_get(&a->attrs, k[i]), attrs_get(&b->attrs, k[i])))
			return false;
	return true;
}
