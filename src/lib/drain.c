/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drain.h"
#include "util.h"

/* addr (without brackets) -> its canonical text, so "fe80::0:1" and "fe80::1" are one address */
static char *canonical(const char *addr)
{
	unsigned char buf[16];
	char out[INET6_ADDRSTRLEN];
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(fam, addr, buf) != 1 || !inet_ntop(fam, buf, out, sizeof(out)))
		return NULL;
	return xstrdup(out);
}

static char *make_key(const char *addr, const char *port)
{
	_cleanup_free_ char *a = canonical(addr);

	if (!a)
		return NULL;
	return xasprintf(strchr(a, ':') ? "[%s]:%s" : "%s:%s", a, port);
}

int drain_parse(const char *arg, char **key)
{
	_cleanup_free_ char *s = xstrdup(arg);
	char *host = s, *port, *end;
	long pn;

	if (*s == '[') {
		host = s + 1;
		end = strchr(host, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		*end = '\0';
		port = end + 2;
	} else {
		port = strrchr(s, ':');
		if (!port || strchr(s, ':') != port)
			return -EINVAL;
		*port++ = '\0';
	}
	pn = strtol(port, &end, 10);
	if (!*port || *end || strspn(port, "0123456789") != strlen(port) || pn < 1 || pn > 65535)
		return -EINVAL;
	{
		_cleanup_free_ char *p = xasprintf("%ld", pn);
		*key = make_key(host, p);
	}
	return *key ? 0 : -EINVAL;
}

char *drain_port_key(const struct nv_port *p)
{
	const char *a = attrs_get(&p->attrs, "addr_traddr"), *s = attrs_get(&p->attrs, "addr_trsvcid");
	char *k = a && s ? make_key(a, s) : NULL;

	return k ? k : xstrdup("");
}

static char *record(struct nv_ctx *c, const char *key)
{
	return xasprintf("%s/drained/%s", c->rundir, key);
}

int drain_set(struct nv_ctx *c, const char *key, bool on)
{
	_cleanup_free_ char *dir = path_join(c->rundir, "drained"), *f = record(c, key);
	int fd;

	if (!on)
		return unlink(f) < 0 && errno != ENOENT ? -errno : 0;
	(void)mkdir(c->rundir, 0755);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

bool drain_has(struct nv_ctx *c, const char *key)
{
	_cleanup_free_ char *f = record(c, key);
	struct stat st;

	return *key && lstat(f, &st) == 0 && S_ISREG(st.st_mode);
}

void drain_mark(struct nv_ctx *c, struct nv_model *m)
{
	_cleanup_free_ char *dir = c->rundir ? path_join(c->rundir, "drained") : NULL;
	struct stat st;
	bool any = dir && stat(dir, &st) == 0;	/* the usual case: nothing drained, one stat */

	for (size_t i = 0; m && i < m->nports; i++) {
		_cleanup_free_ char *k = any ? drain_port_key(&m->ports[i]) : NULL;
		m->ports[i].drained = any && drain_has(c, k);
	}
}
