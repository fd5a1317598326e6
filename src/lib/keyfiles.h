/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DH-HMAC-CHAP key files on disk: the secrets the files nvmf.conf names hold (read once per parse),
 * and the new 0600 files `save` and `import` write for live keys no file holds. What makes a key
 * file or a secret acceptable is dhchap.c's; this module only reads and writes them. */
#ifndef NVMET_KEYFILES_H
#define NVMET_KEYFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "dhchap.h"

struct nv_config;

/* The key files one parse has read, by path, with their secret or why they were refused. */
struct keyfile_cache {
	struct keyfile_entry {
		char *path;
		char *secret;	/* NULL when refused */
		char *why;	/* why it was refused */
		int r;		/* 0 or the -errno key_file_read returned */
		enum key_kind kind;
	} *v;
	size_t n;
};

/* The secret a key file of this kind holds, read and checked (key_file_read) the first time the
 * parse asks for it. Returns 0 with *secret, or -errno with *why; both borrowed from the cache. */
int keyfile_load(struct keyfile_cache *kc, const char *path, enum key_kind kind, const char **secret, const char **why);
/* Wipes every secret and frees the cache. */
void keyfile_cache_free(struct keyfile_cache *kc);

/* The key file a live host's secret (ctrl: its controller key) can be named by: one of keep's
 * files for nqn that holds exactly this secret, else, with dir, a new 0600 file written in dir.
 * Returns the path (malloc'd), or NULL when there is neither. keep and dir may be NULL. */
char *keyfile_for_secret(const struct nv_config *keep, const char *dir, const char *nqn, bool ctrl,
			 const char *secret);

#endif
