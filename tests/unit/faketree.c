/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faketree.h"
#include "resolve.h"
#include "spdkconf.h"
#include "util.h"

void faketree_put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fputs(content, f);
	fclose(f);
}

void faketree_disk(const char *path)
{
	faketree_put(path, "");
	if (truncate(path, 1 << 20) < 0)
		abort();
}

static void put_in(const char *dir, const char *name, const char *content)
{
	_cleanup_free_ char *p = path_join(dir, name);
	faketree_put(p, content);
}

static void sub(const char *dir, const char *name)
{
	_cleanup_free_ char *p = path_join(dir, name);
	mkdir(p, 0755);
}

/* As the kernel's, each mkdir, rmdir and write is all or nothing even for a process killed with -9
 * in the middle (tests/cli/t-kill.sh): made aside in root/.stage, then renamed into place. */
static char *stage_name(struct faketree *t)
{
	static unsigned n;

	return xasprintf("%s/.stage/%ld.%u", t->root, (long)getpid(), __atomic_add_fetch(&n, 1, __ATOMIC_SEQ_CST));
}

static void put_atomic(struct faketree *t, const char *path, const char *content)
{
	_cleanup_free_ char *tmp = stage_name(t);

	faketree_put(tmp, content);
	if (rename(tmp, path) < 0)
		abort();
}

static char *read_str(const char *dir, const char *name)
{
	_cleanup_free_ char *p = path_join(dir, name);
	char *v = NULL;
	if (read_attr(p, &v) < 0)
		return NULL;
	return v;
}

static bool dir_empty(const char *dir, const char *name)
{
	_cleanup_free_ char *p = path_join(dir, name);
	_cleanup_strv_ char **v = NULL;
	return list_dir(p, &v) <= 0;
}

/* What kind of configfs object a path is. */
enum kind { K_OTHER, K_SUBSYS, K_NS, K_PORT, K_HOST, K_REF, K_ROOT };
static enum kind kind_of(struct faketree *t, const char *path, char *parent, size_t len)
{
	const char *rel = path + strlen(t->nvmet);
	int depth = 0;

	snprintf(parent, len, "%s", path);
	for (const char *c = rel; *c; c++)
		depth += *c == '/';
	if (!strncmp(rel, "/subsystems/", 12) && depth == 2)
		return K_SUBSYS;
	if (!strncmp(rel, "/subsystems/", 12) && depth == 4 && strstr(rel, "/namespaces/"))
		return K_NS;
	if (!strncmp(rel, "/ports/", 7) && depth == 2)
		return K_PORT;
	if (!strncmp(rel, "/hosts/", 7) && depth == 2)
		return K_HOST;
	if (!strncmp(rel, "/ports/", 7) && depth == 4 && strstr(rel, "/referrals/"))
		return K_REF;
	if (!*rel)
		return K_ROOT;
	return K_OTHER;
}

/* Count the call (the executor's workers call side by side) and fail the fail_at-th. */
static int step(struct faketree *t)
{
	int n = __atomic_add_fetch(&t->calls, 1, __ATOMIC_SEQ_CST);

	if (t->fail_at && (n == t->fail_at || (t->fail_on && n > t->fail_at)))
		return -t->fail_err;
	return 0;
}

/* The address attributes ports and referrals share, as nvmet makes them. */
static void put_addr(const char *dir)
{
	static const char *const names[] = { "addr_trtype", "addr_adrfam", "addr_traddr", "addr_trsvcid" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		put_in(dir, names[i], "\n");
	put_in(dir, "addr_treq", "not specified\n");
}

static int rm_files(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static int f_mkdir(void *ud, const char *path)
{
	struct faketree *t = ud;
	char dummy[4096];
	int r = step(t);
	_cleanup_free_ char *final = NULL;

	if (r)
		return r;
	if (access(path, F_OK) == 0)
		return -EEXIST;
	final = xstrdup(path);
	path = stage_name(t);	/* populated aside, renamed into place at the end */
	if (mkdir(path, 0755) < 0) {
		r = -errno;
		free((char *)path);
		return r;
	}
	switch (kind_of(t, final, dummy, sizeof(dummy))) {
	case K_SUBSYS:
		put_in(path, "attr_allow_any_host", "0\n");
		put_in(path, "attr_serial", "8a2c5e1f0b3d4c6e\n");
		put_in(path, "attr_model", "Linux\n");
		put_in(path, "attr_qid_max", "128\n");
		put_in(path, "attr_version", "1.3\n");
		put_in(path, "attr_cntlid_min", "1\n");
		put_in(path, "attr_cntlid_max", "65519\n");
		sub(path, "allowed_hosts");
		sub(path, "namespaces");
		break;
	case K_NS:
		put_in(path, "device_path", "\n");
		if (t->random_uuid) {
			/* as 6.12: every new namespace gets its own */
			unsigned n = __atomic_add_fetch(&t->uuids, 1, __ATOMIC_SEQ_CST);
			_cleanup_free_ char *u = xasprintf("3f1c2a4b-0000-4000-8000-%012x\n", n);
			put_in(path, "device_uuid", u);
		} else {
			put_in(path, "device_uuid", "3f1c2a4b-0000-4000-8000-0123456789ab\n");
		}
		put_in(path, "device_nguid", "00000000-0000-0000-0000-000000000000\n");
		put_in(path, "enable", "0\n");
		put_in(path, "ana_grpid", "1\n");
		put_in(path, "buffered_io", "0\n");
		break;
	case K_HOST:
		if (t->v612) { /* CONFIG_NVME_TARGET_AUTH */
			put_in(path, "dhchap_key", "\n");
			put_in(path, "dhchap_ctrl_key", "\n");
			put_in(path, "dhchap_hash", "hmac(sha256)\n");
			put_in(path, "dhchap_dhgroup", "null\n");
		}
		break;
	case K_PORT:
		put_addr(path);
		put_in(path, "param_inline_data_size", "-1\n");
		if (t->v612) {
			put_in(path, "param_max_queue_size", "-1\n");
			put_in(path, "addr_tsas", "none\n");	/* CONFIG_NVME_TARGET_TCP_TLS */
		}
		sub(path, "subsystems");
		sub(path, "referrals");
		sub(path, "ana_groups");
		{
			_cleanup_free_ char *g = path_join(path, "ana_groups");
			sub(g, "1");
			_cleanup_free_ char *g1 = path_join(g, "1");
			put_in(g1, "ana_state", "optimized\n");
		}
		break;
	case K_REF:
		put_addr(path);
		put_in(path, "addr_portid", "0\n");
		put_in(path, "enable", "0\n");
		break;
	default:
		break;
	}
	r = rename(path, final) < 0 ? -errno : 0;
	if (r < 0)
		nftw(path, rm_files, 8, FTW_DEPTH | FTW_PHYS);
	free((char *)path);
	return r;
}


static int f_rmdir(void *ud, const char *path)
{
	struct faketree *t = ud;
	char dummy[4096];
	int r = step(t);

	if (r)
		return r;
	switch (kind_of(t, path, dummy, sizeof(dummy))) {
	case K_SUBSYS:
		if (!dir_empty(path, "allowed_hosts") || !dir_empty(path, "namespaces"))
			return -ENOTEMPTY;
		break;
	case K_PORT:
		if (!dir_empty(path, "subsystems") || !dir_empty(path, "referrals"))
			return -ENOTEMPTY;
		break;
	default:
		break;
	}
	{
		_cleanup_free_ char *tmp = stage_name(t);

		if (rename(path, tmp) < 0)
			return -errno;
		return nftw(tmp, rm_files, 8, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
	}
}

static int f_write(void *ud, const char *path, const char *value)
{
	struct faketree *t = ud;
	_cleanup_free_ char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	const char *name = slash + 1;
	char dummy[4096];
	struct stat st;
	int r = step(t);

	if (r)
		return r;
	if (stat(path, &st) < 0)
		return -ENOENT; /* configfs: no such attribute */
	*slash = '\0';
	switch (kind_of(t, dir, dummy, sizeof(dummy))) {
	case K_NS: {
		_cleanup_free_ char *en = read_str(dir, "enable");
		if (!strncmp(name, "device_", 7) && en && streq(en, "1"))
			return -EBUSY;
		if (streq(name, "enable") && streq(value, "1")) {
			_cleanup_free_ char *dp = read_str(dir, "device_path");
			if (!dp || access(dp, F_OK) < 0)
				return -ENOENT;
		}
		break;
	}
	case K_PORT: {
		if ((!strncmp(name, "addr_", 5) || !strncmp(name, "param_", 6)) && !dir_empty(dir, "subsystems"))
			return -EACCES;
		_cleanup_free_ char *tr = read_str(dir, "addr_trtype"), *ts = read_str(dir, "addr_tsas");
		if (streq(name, "addr_tsas") && (!tr || !streq(tr, "tcp") || (!streq(value, "none") && !streq(value, "tls1.3"))))
			return -EINVAL;
		if (streq(name, "addr_tsas"))	/* as the kernel: TLS makes treq required, none not specified */
			put_in(dir, "addr_treq", streq(value, "tls1.3") ? "required\n" : "not specified\n");
		if (streq(name, "addr_treq") && ts && streq(ts, "tls1.3") && streq(value, "not specified"))
			return -EINVAL;
		if (streq(name, "addr_trtype") && ts)	/* writing trtype resets tsas */
			put_in(dir, "addr_tsas", "none\n");
		break;
	}
	case K_REF: {
		_cleanup_free_ char *en = read_str(dir, "enable");
		if (!strncmp(name, "addr_", 5) && en && streq(en, "1"))
			return -EACCES;
		break;
	}
	case K_ROOT:
		if (streq(name, "discovery_nqn")) {
			/* the kernel refuses a discovery NQN that begins a subsystem's NQN */
			_cleanup_free_ char *sd = path_join(dir, "subsystems");
			_cleanup_strv_ char **names = NULL;
			int n = list_dir(sd, &names);
			bool clash = false;
			for (int i = 0; i < n; i++)
				clash |= !strncmp(names[i], value, strlen(value));
			if (clash || !*value)
				return -EINVAL;
		}
		break;
	case K_HOST:
		if (!strncmp(name, "dhchap_", 5 + 2) && strstr(name, "key") && *value && strncmp(value, "DHHC-1:", 7))
			return -EINVAL;
		break;
	case K_SUBSYS:
		if (streq(name, "attr_allow_any_host") && streq(value, "1") && !dir_empty(dir, "allowed_hosts"))
			return -EINVAL;
		if (streq(name, "attr_serial") && strlen(value) > 20)
			return -EINVAL;
		/* 6.1's configfs: 0 refused, min below max and max above min, checked against the other's
		 * current value (later kernels also accept min == max) */
		if (!strncmp(name, "attr_cntlid_m", 13)) {
			bool is_min = streq(name, "attr_cntlid_min");
			_cleanup_free_ char *other = read_str(dir, is_min ? "attr_cntlid_max" : "attr_cntlid_min");
			unsigned long v = strtoul(value, NULL, 10), o = other ? strtoul(other, NULL, 10) : 0;
			if (v == 0 || v > 65535 || (is_min ? v >= o : v <= o))
				return -EINVAL;
		}
		break;
	default:
		break;
	}
	{
		_cleanup_free_ char *v = xasprintf("%s\n", value);
		put_atomic(t, path, v);
	}
	return 0;
}

static int f_symlink(void *ud, const char *target, const char *link)
{
	struct faketree *t = ud;
	int r = step(t);

	if (r)
		return r;
	if (strstr(link, "/allowed_hosts/")) {
		_cleanup_free_ char *dir = xstrdup(link);
		*strstr(dir, "/allowed_hosts/") = '\0';
		_cleanup_free_ char *any = read_str(dir, "attr_allow_any_host");
		if (any && streq(any, "1"))
			return -EINVAL;
	}
	if (strstr(link, "/ports/") && t->no_addr) {
		_cleanup_free_ char *dir = xstrdup(link);
		*strstr(dir, "/subsystems/") = '\0';
		_cleanup_free_ char *a = read_str(dir, "addr_traddr");
		if (a && streq(a, t->no_addr))
			return -EADDRNOTAVAIL;
	}
	return symlink(target, link) < 0 ? -errno : 0;
}

static int f_unlink(void *ud, const char *path)
{
	struct faketree *t = ud;
	int r = step(t);

	if (r)
		return r;
	return unlink(path) < 0 ? -errno : 0;
}

struct faketree *faketree_new(bool v612)
{
	char tmpl[] = "/tmp/nvmet-fake.XXXXXX";

	if (!mkdtemp(tmpl))
		abort();
	return faketree_at(tmpl, v612);
}

struct faketree *faketree_at(const char *root, bool v612)
{
	struct faketree *t = xcalloc(1, sizeof(*t));

	t->root = xstrdup(root);
	t->nvmet = path_join(t->root, "nvmet");
	t->v612 = v612;
	mkdir(t->nvmet, 0755);
	{
		_cleanup_free_ char *stage = path_join(t->root, ".stage");
		mkdir(stage, 0755);
	}
	sub(t->nvmet, "hosts");
	sub(t->nvmet, "ports");
	sub(t->nvmet, "subsystems");
	if (v612)
		put_in(t->nvmet, "discovery_nqn", "nqn.2014-08.org.nvmexpress.discovery\n");
	t->ops = (struct cfs_ops){ f_mkdir, f_rmdir, f_write, f_symlink, f_unlink, t };
	return t;
}

static char *snap_buf;
static size_t snap_len;
static FILE *snap_f;
static size_t snap_skip;

static int snap_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_SL) {
		char buf[4096];
		ssize_t n = readlink(p, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		fprintf(snap_f, "%s -> %s\n", p + snap_skip, buf + snap_skip);
	} else if (S_ISREG(st->st_mode)) {
		char *v = NULL;
		read_file(p, &v, NULL);
		fprintf(snap_f, "%s = %s", p + snap_skip, v ? v : "");
		free(v);
	} else {
		fprintf(snap_f, "%s/\n", p + snap_skip);
	}
	return 0;
}

static int cmp_lines(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char *faketree_snapshot(struct faketree *t)
{
	char **lines = NULL, *save = NULL, *out;
	size_t n = 0;
	FILE *f;

	snap_f = open_memstream(&snap_buf, &snap_len);
	snap_skip = strlen(t->root);
	nftw(t->nvmet, snap_one, 8, FTW_PHYS);
	fclose(snap_f);
	for (char *l = strtok_r(snap_buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		*(char **)array_push(&lines, &n, sizeof(char *)) = l;
	qsort(lines, n, sizeof(char *), cmp_lines);
	f = open_memstream(&out, &snap_len);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
	fclose(f);
	free(lines);
	free(snap_buf);
	return out;
}

void faketree_free(struct faketree *t)
{
	if (!t)
		return;
	nftw(t->root, rm_files, 8, FTW_DEPTH | FTW_PHYS);
	free(t->root);
	free(t->nvmet);
	free(t->no_addr);
	free(t);
}

/* The lines of a snapshot about one object (a configfs path relative to nvmet, as unit_of_path gives). */
char *faketree_subtree(const char *snap, const char *unit)
{
	_cleanup_free_ char *dir = xasprintf("/nvmet/%s", unit);
	char *out = NULL;
	size_t len = 0, n = strlen(dir);
	FILE *f = open_memstream(&out, &len);

	for (const char *l = snap; *l;) {
		const char *nl = strchr(l, '\n');
		size_t ll = nl ? (size_t)(nl - l) : strlen(l);
		if (!strncmp(l, dir, n) && (l[n] == '/' || l[n] == ' '))
			fprintf(f, "%.*s\n", (int)ll, l);
		l += ll + (nl ? 1 : 0);
	}
	fclose(f);
	return out;
}

struct nv_ctx *faketree_ctx(struct faketree *t)
{
	struct nv_ctx *c = NULL;

	setenv("NVMET_CONFIGFS_ROOT", t->root, 1);
	if (ctx_new(&c) < 0)
		abort();
	c->ops = &t->ops;
	return c;
}

struct nv_config *faketree_load(struct nv_ctx *c, const char *text)
{
	struct nv_report rep = { 0 };
	struct nv_config *cfg = NULL;

	if (spdkconf_from_text("test.conf", text, &cfg, &rep) < 0 || resolve_namespaces(c, cfg, 0, &rep) < 0) {
		for (size_t i = 0; i < rep.n; i++)
			fprintf(stderr, "test.conf:%u: %s\n", rep.d[i].line, rep.d[i].msg);
		spdkconf_free(cfg);
		cfg = NULL;
	}
	report_free(&rep);
	return cfg;
}
