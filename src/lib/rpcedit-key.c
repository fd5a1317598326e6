/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The keyring edits (rpcedit.h) and the keys nvmf_subsystem_add_host names (rpcedit-int.h). SPDK's
 * keyring_file module (module/keyring/file/keyring.c) names key files: an absolute path to a file of
 * nvmetd's user with no access for group or others, else -EPERM; a name taken is -EEXIST, an unknown
 * one -ENOKEY; the message is SPDK's strerror text, then what nvmetd adds (the object, what to do).
 * What the file holds is checked when rpc.conf is loaded, as every key file nvmf.conf names. A key
 * a host uses cannot be removed (SPDK keeps such a key, half-removed, until the host goes; rpc.conf
 * has to say where each key is). Nothing here reads a secret. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "rpcedit-int.h"
#include "unit.h"
#include "util.h"

/* The path of keyring key name: rpc.conf's or nvmf.conf's (*in_file set), or NULL. */
static const char *key_path(const struct rpc_edit *e, const char *name, const struct nv_keyname **in_file)
{
	const struct rc_key *k = rpcconf_key(e->rc, name);

	*in_file = k ? NULL : spdkconf_key_by_name(e->file, name);
	return k ? k->path : *in_file ? (*in_file)->path : NULL;
}

/* SPDK's keyring_file_check_path, with what to do. */
static int check_path(struct rpc_edit *e, const char *name, const char *path)
{
	struct stat st;

	if (path[0] != '/')
		return ed_fail(e, -EPERM, "%s: key %s: %s is not an absolute path", strerror(EPERM), name, path);
	if (stat(path, &st) < 0) {
		int r = -errno;
		return ed_fail(e, r, "%s: key %s: cannot stat %s: write the key file first", strerror(-r), name, path);
	}
	if (st.st_mode & 077)
		return ed_fail(e, -EPERM, "%s: key %s: %s is mode 0%o, group or others may access it: chmod 600 %s",
			       strerror(EPERM), name, path, (unsigned)(st.st_mode & 07777), path);
	if (st.st_uid != getuid())
		return ed_fail(e, -EPERM, "%s: key %s: %s is owned by uid %u, not nvmetd's (%u): chown it", strerror(EPERM),
			       name, path, (unsigned)st.st_uid, (unsigned)getuid());
	if (!S_ISREG(st.st_mode))
		return ed_fail(e, -EPERM, "%s: key %s: %s is not a regular file", strerror(EPERM), name, path);
	return 0;
}

int rpc_edit_keyring_add(struct rpc_edit *e)
{
	const char *name = ed_str(e->params, "name"), *path = ed_str(e->params, "path");
	const struct nv_keyname *fk;
	struct rc_key *k;
	int r;

	if (!name || !path || !*keyring_bare_name(name) || strchr(keyring_bare_name(name), ':'))
		return ed_fail(e, JRPC_INVALID_PARAMS, "%s", strerror(EINVAL));
	if (!strncmp(keyring_bare_name(name), "nvmetd-host", 11))
		return ed_fail(e, -EINVAL, "%s: key %s: names nvmetd-host* are nvmetd's, for key files nvmf.conf's [HostN] "
			       "give: choose another name", strerror(EINVAL), name);
	if (key_path(e, name, &fk)) {
		if (fk)
			return ed_fail(e, -EEXIST, "%s: key %s is defined in %s line %u", strerror(EEXIST), name,
				       e->file->path, fk->line);
		return ed_fail(e, -EEXIST, "%s: key %s exists: keyring_file_remove_key it first", strerror(EEXIST), name);
	}
	r = check_path(e, name, path);
	if (r)
		return r;
	k = array_push(&e->rc->keys, &e->rc->nkeys, sizeof(*k));
	k->name = xstrdup(name);
	k->path = xstrdup(path);
	return ed_true(e);
}

/* The first (subsystem, host, param) of rc that uses key file path, when no other key names it. */
static bool key_used(const struct rpc_edit *e, const struct rc_key *k, const char **nqn, const char **host,
		     const char **param)
{
	for (size_t i = 0; i < e->rc->nkeys; i++)
		if (&e->rc->keys[i] != k && streq(e->rc->keys[i].path, k->path))
			return false;
	if (spdkconf_key_by_path(e->file, k->path))
		return false;
	for (size_t i = 0; i < e->rc->ncreds; i++) {
		const struct rc_cred *c = &e->rc->creds[i];
		*param = streq_ptr(c->key, k->path) ? "dhchap_key" : streq_ptr(c->ctrl, k->path) ? "dhchap_ctrlr_key" :
			 streq_ptr(c->psk, k->path) ? "psk" : NULL;
		for (size_t s = 0; *param && s < e->rc->nss; s++)
			if (strv_contains(e->rc->ss[s].hosts, e->rc->ss[s].nhosts, c->nqn)) {
				*nqn = e->rc->ss[s].nqn;
				*host = c->nqn;
				return true;
			}
	}
	return false;
}

int rpc_edit_keyring_remove(struct rpc_edit *e)
{
	const char *name = ed_str(e->params, "name"), *nqn, *host, *param;
	const struct nv_keyname *fk;
	struct rc_key *k;

	if (!name)
		return ed_fail(e, JRPC_INVALID_PARAMS, "%s", strerror(EINVAL));
	k = rpcconf_key(e->rc, name);
	if (!k && key_path(e, name, &fk)) {
		_cleanup_free_ char *what = xasprintf("key %s", name);
		return ed_in_file(e, -EINVAL, what, fk->line);
	}
	if (!k)
		return ed_fail(e, -ENOKEY, "%s", strerror(ENOKEY));
	if (key_used(e, k, &nqn, &host, &param))
		return ed_fail(e, -EBUSY, "%s: key %s is the %s of host %s in subsystem %s: remove the host there first "
			       "(nvmf_subsystem_remove_host)", strerror(EBUSY), name, param, host, nqn);
	free(k->name);
	free(k->path);
	rpcconf_remove(e->rc->keys, &e->rc->nkeys, sizeof(*k), (size_t)(k - e->rc->keys));
	return ed_true(e);
}

/* The key files add_host's key params name; 0 or the error (SPDK: an unknown key is -32602). */
static int key_files(struct rpc_edit *e, const char *files[3])
{
	static const char *const params[3] = { "dhchap_key", "dhchap_ctrlr_key", "psk" };
	const struct nv_keyname *fk;

	for (int i = 0; i < 3; i++) {
		const char *name = ed_str(e->params, params[i]);
		files[i] = name ? key_path(e, name, &fk) : NULL;
		if (name && !files[i])
			return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters: %s %s: no such key in the keyring "
				       "(keyring_file_add_key names a key file)", params[i], name);
	}
	if (files[1] && !files[0])
		return ed_fail(e, JRPC_INVALID_PARAMS, "Invalid parameters: dhchap_ctrlr_key needs dhchap_key");
	return 0;
}

/* Whether rpc.conf may give host keys: not when nvmf.conf gives it keys or lists it (the kernel keeps
 * one set of keys per host). 0 or the error. */
static int keys_ours(struct rpc_edit *e, const char *host)
{
	for (size_t i = 0; i < e->file->ncreds; i++)
		if (streq_ptr(e->file->creds[i].nqn, host)) {
			_cleanup_free_ char *what = xasprintf("host %s's keys", host);
			return ed_in_file(e, JRPC_INVALID_PARAMS, what, e->file->creds[i].line);
		}
	if (model_host(e->file->model, host))
		return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: host %s is allowed by a subsystem of %s without keys; the "
			       "kernel keeps one set of keys per host, for every subsystem: give it its keys there "
			       "([HostN])", host, e->file->path);
	return 0;
}

int ed_host_keys(struct rpc_edit *e, const struct rc_subsys *s, const char *host)
{
	const char *f[3];
	struct rc_cred *c = rpcconf_cred(e->rc, host);
	int r = key_files(e, f);

	if (r || ((f[0] || f[2]) && (r = keys_ours(e, host))))
		return r;
	if (c && (!streq_ptr(c->key, f[0]) || !streq_ptr(c->ctrl, f[1]) || !streq_ptr(c->psk, f[2])))
		return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: host %s has other keys in another subsystem than %s; the "
			       "kernel keeps one set of keys per host, for every subsystem: give the same keys", host,
			       s->nqn);
	if (!c && (f[0] || f[2]) && rpcconf_host_used(e->rc, host))
		return ed_fail(e, JRPC_INVALID_PARAMS, "nvmetd: host %s is in another subsystem without keys; the kernel "
			       "keeps one set of keys per host, for every subsystem: give the same keys", host);
	if (c || (!f[0] && !f[2]))
		return 0;
	c = array_push(&e->rc->creds, &e->rc->ncreds, sizeof(*c));
	c->nqn = xstrdup(host);
	c->key = f[0] ? xstrdup(f[0]) : NULL;
	c->ctrl = f[1] ? xstrdup(f[1]) : NULL;
	c->psk = f[2] ? xstrdup(f[2]) : NULL;
	return 0;
}

/* nvmf_subsystem_set_keys: host's DH-HMAC-CHAP keys changed in place (its TLS PSK stays). The kernel
 * keeps one set of keys per host, so they change for every subsystem of rpc.conf that lists the host.
 * nvmetd writes keys into configfs but never clears one: a call that would drop a key (no dhchap_key,
 * or no dhchap_ctrlr_key for a host that has one) is refused. */
int rpc_edit_set_keys(struct rpc_edit *e)
{
	const char *host = ed_str(e->params, "host"), *f[3];
	struct rc_subsys *s;
	struct rc_cred *c;
	int r = ed_find_ss(e, &s);

	if (r)
		return r;
	if (ed_str(e->params, "dhchap_ctrlr_key") && !ed_str(e->params, "dhchap_key"))
		return ed_fail(e, -EINVAL, "%s: dhchap_ctrlr_key needs dhchap_key", strerror(EINVAL));
	if ((r = key_files(e, f)))
		return r;
	if (!host || !strv_contains(s->hosts, s->nhosts, host))
		return ed_fail(e, -EINVAL, "%s: subsystem %s does not allow host %s (nvmf_subsystem_add_host)",
			       strerror(EINVAL), s->nqn, host ? host : "");
	c = rpcconf_cred(e->rc, host);
	if (!f[0] || (c && c->ctrl && !f[1]))
		return ed_fail(e, -EINVAL, "%s: nvmetd: host %s's %s would be dropped, and nvmetd never clears a key in "
			       "configfs: remove the host (nvmf_subsystem_remove_host) and add it again", strerror(EINVAL),
			       host, f[0] ? "dhchap_ctrlr_key" : "dhchap_key");
	if ((r = keys_ours(e, host)))
		return r;
	if (!c) {
		c = array_push(&e->rc->creds, &e->rc->ncreds, sizeof(*c));
		c->nqn = xstrdup(host);
	}
	free(c->key);
	free(c->ctrl);
	c->key = xstrdup(f[0]);
	c->ctrl = f[1] ? xstrdup(f[1]) : NULL;
	free(e->unit);
	e->unit = unit_host(host);
	return ed_true(e);
}
