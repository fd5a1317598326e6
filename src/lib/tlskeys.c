/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "ctx.h"
#include "dl.h"
#include "log.h"
#include "model.h"
#include "strmap.h"
#include "tlskeys.h"
#include "util.h"

#define WELL_KNOWN_DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"

void tls_keyents_free(struct tls_keyent *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].desc);
	free(v);
}

/* ---- libnvme, opened on first use ---- */

static struct {
	unsigned char *(*import)(const char *encoded, unsigned char *version, unsigned char *hmac, size_t *len);
	char *(*identity)(const char *host, const char *subsys, int version, int hmac, unsigned char *key, int len);
	long (*insert)(const char *keyring, const char *type, const char *host, const char *subsys, int version,
		       int hmac, unsigned char *key, int len);
} nvme;
static void *nvme_handle;

static int nvme_load(void)
{
	typedef __typeof__(nvme) T;
	static const struct dl_sym syms[] = {
		DL_SYM(T, nvme_import_tls_key_versioned, import),
		DL_SYM(T, nvme_generate_tls_key_identity, identity),
		DL_SYM(T, nvme_insert_tls_key_versioned, insert),
	};
	return dl_load(&nvme_handle, "libnvme.so.1", "libnvme1t64 (>= 1.13)", &nvme, syms, ARRAY_SIZE(syms));
}

const char *tls_libnvme_problem(void)
{
	if (nvme_load() == 0)
		return NULL;
	return "TLS needs libnvme >= 1.13 to derive the PSKs as nvme-cli does (Debian 13's libnvme1t64; Debian 12's "
	       "libnvme 1.3 cannot): install it, or remove the tls words and TlsKey lines";
}

/* The configured key's bytes and hash (libnvme's reading of the interchange form). */
static unsigned char *psk_import(const char *psk, unsigned char *hmac, size_t *len)
{
	unsigned char version;

	return nvme.import(psk, &version, hmac, len);
}

static void key_wipe(unsigned char *k, size_t len)
{
	if (k) {
		explicit_bzero(k, len);
		free(k);
	}
}

/* libnvme loaded and the configured key decoded: 0, -ENOPKG (no TLS-capable libnvme) or -errno */
static int psk_open(const char *psk, unsigned char **key, unsigned char *hmac, size_t *len)
{
	if (nvme_load() < 0)
		return -ENOPKG;
	*key = psk_import(psk, hmac, len);
	return *key ? 0 : errno ? -errno : -EINVAL;
}

static int real_identity(void *ud, const char *host, const char *subsys, const char *psk, char **identity)
{
	unsigned char hmac = 0, *key;
	size_t len = 0;
	int e;

	(void)ud;
	e = psk_open(psk, &key, &hmac, &len);
	if (e < 0)
		return e;
	*identity = nvme.identity(host, subsys, 1, hmac, key, (int)len);
	e = errno;
	key_wipe(key, len);
	return *identity ? 0 : e ? -e : -EINVAL;
}

/* Keys made inside a network namespace die with it: insert from init's (back afterwards). Returns
 * the descriptor to return with, -1 when already there, or -errno. */
static int enter_root_netns(void)
{
	struct stat self, root;
	int back, fd;

	if (stat("/proc/thread-self/ns/net", &self) < 0 || stat("/proc/1/ns/net", &root) < 0)
		return -1;	/* cannot tell (no /proc): stay */
	if (self.st_ino == root.st_ino && self.st_dev == root.st_dev)
		return -1;
	back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (back < 0)
		return -errno;
	fd = open("/proc/1/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		close(back);
		return -e;
	}
	close(fd);
	return back;
}

static long real_insert(void *ud, const char *host, const char *subsys, const char *psk)
{
	unsigned char hmac = 0, *key;
	size_t len = 0;
	long serial;
	int back, e;

	(void)ud;
	e = psk_open(psk, &key, &hmac, &len);
	if (e < 0)
		return e;
	back = enter_root_netns();
	if (back < -1) {
		key_wipe(key, len);
		return back;
	}
	errno = 0;
	serial = nvme.insert(".nvme", "psk", host, subsys, 1, hmac, key, (int)len);
	e = errno;
	key_wipe(key, len);
	if (back >= 0) {
		if (setns(back, CLONE_NEWNET) < 0)
			abort();	/* sockets made from here on would listen in the wrong namespace */
		close(back);
	}
	return serial > 0 ? serial : e ? -e : -ENOKEY;
}

/* .nvme's serial, from /proc/keys (as libnvme finds it): > 0, or -ENOKEY. */
static long nvme_keyring(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/keys", "re");
	char line[512], type[64], desc[256];
	unsigned long serial;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %*s %*s %*s %*s %*s %*s %63s %255s", &serial, type, desc) == 3 &&
		    streq(type, "keyring") && streq(desc, ".nvme:"))
			return (long)serial;
	return -ENOKEY;
}

static int real_list(void *ud, struct tls_keyent **v, size_t *n)
{
	long ring = nvme_keyring(), len;
	_cleanup_free_ int32_t *ids = NULL;

	(void)ud;
	*v = NULL;
	*n = 0;
	if (ring < 0)
		return (int)ring;
	len = syscall(SYS_keyctl, KEYCTL_READ, ring, NULL, 0, 0);
	if (len < 0)
		return -errno;
	ids = xcalloc((size_t)len / sizeof(int32_t) + 1, sizeof(int32_t));
	len = syscall(SYS_keyctl, KEYCTL_READ, ring, ids, len, 0);
	if (len < 0)
		return -errno;
	for (size_t i = 0; i < (size_t)len / sizeof(int32_t); i++) {
		char d[1024];
		long k = syscall(SYS_keyctl, KEYCTL_DESCRIBE, ids[i], d, sizeof(d), 0);
		const char *desc = k > 0 && (size_t)k <= sizeof(d) ? strrchr(d, ';') : NULL;

		if (!desc || strncmp(d, "psk;", 4))
			continue;	/* gone meanwhile, not viewable, or not a PSK */
		struct tls_keyent *e = array_push(v, n, sizeof(*e));
		e->serial = ids[i];
		e->desc = xstrdup(desc + 1);
	}
	return 0;
}

static int real_remove(void *ud, long serial)
{
	long ring = nvme_keyring();

	(void)ud;
	if (ring < 0)
		return (int)ring;
	return syscall(SYS_keyctl, KEYCTL_UNLINK, serial, ring, 0, 0) < 0 ? -errno : 0;
}

const struct key_ops keys_real = { tls_libnvme_problem, real_list, real_identity, real_insert, real_remove, NULL };

/* ---- the file-backed stand-in (test roots) ---- */

static int file_list(void *ud, struct tls_keyent **v, size_t *n)
{
	_cleanup_fclose_ FILE *f = fopen(ud, "re");
	char line[1024];

	*v = NULL;
	*n = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		line[strcspn(line, "\n")] = '\0';
		struct tls_keyent *e = array_push(v, n, sizeof(*e));
		e->serial = strtol(line, NULL, 10);
		e->desc = xstrdup(sp + 1);
	}
	return 0;
}

/* Not libnvme's derivation: a digest that changes with the key, host and subsystem. */
static int file_identity(void *ud, const char *host, const char *subsys, const char *psk, char **identity)
{
	uint64_t h = 1469598103934665603ull;
	const char *parts[3] = { psk, host, subsys };

	(void)ud;
	if (strlen(psk) < 16)
		return -EINVAL;
	for (int k = 0; k < 3; k++)
		for (const char *p = parts[k]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
	*identity = xasprintf("NVMe1R0%c %s %s fake%016llx=", psk[14] == '2' ? '2' : '1', host, subsys,
			      (unsigned long long)h);
	return 0;
}

static int file_rewrite(const char *path, const struct tls_keyent *v, size_t n, long skip)
{
	_cleanup_free_ char *tmp = xasprintf("%s.new", path), *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	FILE *f;

	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0755);
	}
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++)
		if (v[i].serial != skip)
			fprintf(f, "%ld %s\n", v[i].serial, v[i].desc);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return -errno;
	return 0;
}

static long file_insert(void *ud, const char *host, const char *subsys, const char *psk)
{
	struct tls_keyent *v = NULL;
	size_t n = 0;
	long serial = 1000;
	char *id = NULL;
	int r = file_identity(ud, host, subsys, psk, &id);

	if (r == 0)
		r = file_list(ud, &v, &n);
	for (size_t i = 0; r == 0 && i < n; i++)
		serial = v[i].serial >= serial ? v[i].serial + 1 : serial;
	if (r == 0) {
		struct tls_keyent *e = array_push(&v, &n, sizeof(*e));
		e->serial = serial;
		e->desc = TAKE_PTR(id);
		r = file_rewrite(ud, v, n, 0);
	}
	free(id);
	tls_keyents_free(v, n);
	return r < 0 ? r : serial;
}

static int file_remove(void *ud, long serial)
{
	struct tls_keyent *v = NULL;
	size_t n = 0;
	int r = file_list(ud, &v, &n);

	if (r == 0)
		r = file_rewrite(ud, v, n, serial);
	tls_keyents_free(v, n);
	return r;
}

static const char *file_problem(void) { return NULL; }

const struct key_ops keys_file = { file_problem, file_list, file_identity, file_insert, file_remove, NULL };

/* ---- planning ---- */

bool model_wants_tls(const struct nv_model *m)
{
	for (size_t i = 0; m && i < m->nports; i++)
		if (port_tls(&m->ports[i]))
			return true;
	return false;
}

static bool host_may_reach(const struct nv_subsys *s, const struct nv_model *m, const char *host)
{
	return streq_ptr(attrs_get(&s->attrs, "attr_allow_any_host"), "1") || model_list_has(m, s->hosts, s->nhosts, host);
}

/* "NVMe1R0H <host> <subsys> <digest>": host and subsys (allocated), or false. */
static bool parse_identity(const char *d, char **host, char **subsys)
{
	const char *h, *s, *g;

	if (strncmp(d, "NVMe1R0", 7) || (d[7] != '1' && d[7] != '2') || d[8] != ' ')
		return false;
	h = d + 9;
	s = strchr(h, ' ');
	g = s ? strchr(s + 1, ' ') : NULL;
	if (!s || !g || s == h || g == s + 1 || !g[1] || strchr(g + 1, ' '))
		return false;
	*host = xstrndup(h, s - h);
	*subsys = xstrndup(s + 1, g - s - 1);
	return true;
}

struct tls_planner {
	struct nv_ctx *c;
	struct tls_plan *tp;
	struct strmap want;	/* identities desired */
	const struct tls_keyent *have;
	size_t nhave;
};

/* The key for (host, subsys): kept if the keyring has its identity, else inserted. */
static int want_pair(struct tls_planner *pl, const struct nv_host *h, const char *subsys, char **why)
{
	_cleanup_free_ char *id = NULL;
	int r = pl->c->keys->identity(pl->c->keys->ud, h->nqn, subsys, h->tls_psk, &id);

	if (r < 0) {
		*why = r == -ENOPKG ? xstrdup(tls_libnvme_problem())
				    : xasprintf("host %s: no TLS PSK identity for %s from %s: %s", h->nqn, subsys,
						h->tls_file, strerror(-r));
		return r;
	}
	if (!strmap_add(&pl->want, id, 0, NULL))
		return 0;
	for (size_t i = 0; i < pl->nhave; i++)
		if (streq(pl->have[i].desc, id))
			return 0;
	struct tls_keyop *o = array_push(&pl->tp->v, &pl->tp->n, sizeof(*o));
	o->insert = true;
	o->host = xstrdup(h->nqn);
	o->subsys = xstrdup(subsys);
	o->file = xstrdup(h->tls_file);
	o->psk = h->tls_psk;
	o->identity = TAKE_PTR(id);
	return 0;
}

/* Every (host with a TlsKey, subsystem on a TLS port it may reach), and its discovery NQNs. */
static int want_all(struct tls_planner *pl, const struct nv_model *d, const struct nv_model *l, char **why)
{
	const char *disc[2] = { WELL_KNOWN_DISCOVERY_NQN, d->discovery_nqn ?: l->discovery_nqn };

	for (size_t i = 0; i < d->nhosts; i++) {
		const struct nv_host *h = &d->hosts[i];
		bool reaches = false;

		if (!h->tls_psk)
			continue;
		for (size_t p = 0; p < d->nports; p++) {
			if (!port_tls(&d->ports[p]))
				continue;
			for (size_t k = 0; k < d->ports[p].nsubsys; k++) {
				const struct nv_subsys *s = model_subsys(d, d->ports[p].subsys[k]);
				if (!s || !host_may_reach(s, d, h->nqn))
					continue;
				reaches = true;
				if (want_pair(pl, h, s->nqn, why) < 0)
					return -EINVAL;
			}
		}
		for (int k = 0; reaches && k < 2; k++)
			if (disc[k] && (k == 0 || !streq(disc[k], disc[0])) && want_pair(pl, h, disc[k], why) < 0)
				return -EINVAL;
	}
	return 0;
}

/* Owned: a key for a subsystem of desired or live, or for a discovery NQN and a host of either. */
static bool owned(const char *desc, const struct nv_model *d, const struct nv_model *l)
{
	_cleanup_free_ char *host = NULL, *subsys = NULL;

	if (!parse_identity(desc, &host, &subsys))
		return false;
	if (model_subsys(d, subsys) || model_subsys(l, subsys))
		return true;
	if (!streq(subsys, WELL_KNOWN_DISCOVERY_NQN) && !streq_ptr(subsys, d->discovery_nqn) &&
	    !streq_ptr(subsys, l->discovery_nqn))
		return false;
	return model_host(d, host) || model_host(l, host);
}

int tls_plan_build(struct nv_ctx *c, const struct nv_model *desired, const struct nv_model *live,
		   struct tls_plan *tp, char **why)
{
	struct tls_planner pl = { .c = c, .tp = tp };
	struct tls_keyent *have = NULL;
	size_t nhave = 0;
	int r;

	memset(tp, 0, sizeof(*tp));
	*why = NULL;
	r = c->keys->list(c->keys->ud, &have, &nhave);
	if (r == -ENOKEY)
		r = 0;	/* no keyring yet (nvmet not loaded: plan): nothing in it, inserting will tell */
	if (r < 0) {
		*why = xasprintf("cannot read the kernel's .nvme keyring: %s%s", strerror(-r),
				 r == -ENOKEY ? " — load the nvme-keyring module (nvmet loads it)" : "");
		return r;
	}
	pl.have = have;
	pl.nhave = nhave;
	r = want_all(&pl, desired, live, why);
	for (size_t i = 0; r == 0 && i < nhave; i++) {
		_cleanup_free_ char *host = NULL, *subsys = NULL;
		size_t dummy;
		if (strmap_get(&pl.want, have[i].desc, &dummy) || !owned(have[i].desc, desired, live) ||
		    !parse_identity(have[i].desc, &host, &subsys))
			continue;
		struct tls_keyop *o = array_push(&tp->v, &tp->n, sizeof(*o));
		o->host = TAKE_PTR(host);
		o->subsys = TAKE_PTR(subsys);
		o->identity = xstrdup(have[i].desc);
		o->serial = have[i].serial;
	}
	strmap_free(&pl.want);
	tls_keyents_free(have, nhave);
	if (r < 0)
		tls_plan_free(tp);
	return r;
}

/* What a message may say of a key: its host and subsystem (and file), not the digest. */
static void say(FILE *f, const char *verb, const struct tls_keyop *o)
{
	fprintf(f, "  %-6s .nvme psk for host %s, subsystem %s", verb, o->host, o->subsys);
	if (o->file)
		fprintf(f, " (derived from %s)", o->file);
	fputc('\n', f);
}

int tls_plan_insert(struct nv_ctx *c, struct tls_plan *tp, bool verbose, bool keep_going, char **why,
		    char ***warnings, size_t *nwarnings)
{
	for (size_t i = 0; i < tp->n; i++) {
		struct tls_keyop *o = &tp->v[i];
		char *msg;
		long r;

		if (!o->insert)
			continue;
		r = c->keys->insert(c->keys->ud, o->host, o->subsys, o->psk);
		if (r > 0) {
			o->serial = r;
			o->done = true;
			if (verbose)
				say(stdout, "insert", o);
			continue;
		}
		msg = xasprintf("host %s: cannot insert the TLS PSK for %s (from %s) into the .nvme keyring: %s%s",
				o->host, o->subsys, o->file, strerror((int)-r),
				r == -EACCES || r == -EPERM ? " — run as root" :
				r == -ENOKEY ? " — load the nvme-keyring module (nvmet loads it)" : "");
		if (keep_going) {
			*(char **)array_push(warnings, nwarnings, sizeof(char *)) = msg;
			continue;
		}
		*why = msg;
		tls_plan_undo(c, tp);
		return (int)r;
	}
	return 0;
}

void tls_plan_undo(struct nv_ctx *c, struct tls_plan *tp)
{
	for (size_t i = 0; i < tp->n; i++)
		if (tp->v[i].insert && tp->v[i].done) {
			(void)c->keys->remove(c->keys->ud, tp->v[i].serial);
			tp->v[i].done = false;
		}
}

void tls_plan_remove(struct nv_ctx *c, struct tls_plan *tp, bool verbose, char ***warnings, size_t *nwarnings)
{
	for (size_t i = 0; i < tp->n; i++) {
		struct tls_keyop *o = &tp->v[i];
		int r;

		if (o->insert)
			continue;
		r = c->keys->remove(c->keys->ud, o->serial);
		if (r < 0 && r != -ENOKEY && r != -ENOENT) {
			*(char **)array_push(warnings, nwarnings, sizeof(char *)) =
				xasprintf("host %s: cannot take the TLS PSK for %s (key %ld) out of the .nvme keyring: %s — "
					  "keyctl unlink %ld %%:.nvme", o->host, o->subsys, o->serial, strerror(-r), o->serial);
			continue;
		}
		o->done = true;
		if (verbose)
			say(stdout, "remove", o);
	}
}

size_t tls_plan_changes(const struct tls_plan *tp)
{
	size_t n = 0;

	for (size_t i = 0; i < tp->n; i++)
		n += tp->v[i].done;
	return n;
}

void tls_plan_print(const struct tls_plan *tp, FILE *f)
{
	for (size_t i = 0; i < tp->n; i++)
		say(f, tp->v[i].insert ? "insert" : "remove", &tp->v[i]);
}

void tls_plan_free(struct tls_plan *tp)
{
	for (size_t i = 0; i < tp->n; i++) {
		free(tp->v[i].host);
		free(tp->v[i].subsys);
		free(tp->v[i].file);
		free(tp->v[i].identity);
	}
	free(tp->v);
	memset(tp, 0, sizeof(*tp));
}

/* ---- tlshd ---- */

bool tlshd_running(const struct nv_ctx *c)
{
	_cleanup_free_ char *selfns = path_join(c->procfs, "self/ns/net");
	_cleanup_closedir_ DIR *d = opendir(c->procfs);
	struct stat self;
	struct dirent *de;

	if (!d || stat(selfns, &self) < 0)
		return true;	/* cannot tell: say nothing */
	while ((de = readdir(d))) {
		_cleanup_free_ char *comm = NULL, *ns = NULL, *text = NULL;
		struct stat st;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		comm = xasprintf("%s/%s/comm", c->procfs, de->d_name);
		if (read_attr(comm, &text) < 0 || !streq(text, "tlshd"))
			continue;
		ns = xasprintf("%s/%s/ns/net", c->procfs, de->d_name);
		if (stat(ns, &st) == 0 && st.st_ino == self.st_ino && st.st_dev == self.st_dev)
			return true;
	}
	return false;
}
