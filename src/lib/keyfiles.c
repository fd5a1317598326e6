/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "dhchap.h"
#include "keyfiles.h"
#include "spdkconf.h"
#include "util.h"

int keyfile_load(struct keyfile_cache *kc, const char *path, enum key_kind kind, const char **secret, const char **why)
{
	struct keyfile_entry *e = NULL;

	for (size_t i = 0; i < kc->n && !e; i++)
		if (streq(kc->v[i].path, path) && kc->v[i].kind == kind)
			e = &kc->v[i];
	if (!e) {
		e = array_push(&kc->v, &kc->n, sizeof(*e));
		e->path = xstrdup(path);
		e->kind = kind;
		e->r = key_file_read(path, kind, &e->secret, &e->why);
	}
	*secret = e->secret;
	*why = e->why;
	return e->r;
}

void keyfile_cache_free(struct keyfile_cache *kc)
{
	for (size_t i = 0; i < kc->n; i++) {
		free(kc->v[i].path);
		secret_free(kc->v[i].secret);
		free(kc->v[i].why);
	}
	free(kc->v);
	*kc = (struct keyfile_cache){ 0 };
}

/* A file that holds exactly this secret, among keep's key files. */
static const char *file_holding(const struct nv_config *keep, const char *nqn, bool ctrl,
				const char *secret)
{
	for (size_t i = 0; keep && i < keep->ncreds; i++) {
		const struct nv_hostcred *cr = &keep->creds[i];
		const char *f = ctrl ? cr->ctrl_key_file : cr->key_file;
		_cleanup_free_ char *why = NULL;
		char *s = NULL;
		bool same;

		if (!f || !streq_ptr(cr->nqn, nqn) || dhchap_read_key_file(f, &s, &why) < 0)
			continue;
		same = streq(s, secret);
		secret_free(s);
		if (same)
			return f;
	}
	return NULL;
}

/* Write a live secret no file holds to a new 0600 file in dir; returns its path. */
static char *new_key_file(const char *dir, const char *nqn, bool ctrl, const char *secret)
{
	_cleanup_free_ char *base = xstrdup(nqn);

	for (char *c = base; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
		      *c == '-' || *c == '_'))
			*c = '_';
	(void)mkdir(dir, 0700);
	for (int n = 0; n < 1000; n++) {
		char *path = n ? xasprintf("%s/%s-%d.%s", dir, base, n, ctrl ? "ctrl" : "key")
			       : xasprintf("%s/%s.%s", dir, base, ctrl ? "ctrl" : "key");
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			_cleanup_free_ char *line = xasprintf("%s\n", secret);
			bool ok = write(fd, line, strlen(line)) == (ssize_t)strlen(line) && fsync(fd) == 0;
			explicit_bzero(line, strlen(line));
			if (close(fd) == 0 && ok)
				return path;
			unlink(path);
			free(path);
			return NULL;
		}
		free(path);
		if (errno != EEXIST)
			return NULL;
	}
	return NULL;
}

char *keyfile_for_secret(const struct nv_config *keep, const char *dir, const char *nqn, bool ctrl,
			 const char *secret)
{
	const char *f = file_holding(keep, nqn, ctrl, secret);

	if (f)
		return xstrdup(f);
	return dir ? new_key_file(dir, nqn, ctrl, secret) : NULL;
}
