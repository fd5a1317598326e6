/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A temporary directory that behaves like nvmet's configfs for the engine: mkdir creates the
 * kernel's default attributes and groups, writes follow the kernel's rules (EBUSY/EACCES/EINVAL),
 * and any operation can be made to fail on demand to exercise rollback. */
#ifndef FAKETREE_H
#define FAKETREE_H

#include <stdbool.h>

#include "ctx.h"
#include "exec.h"

struct faketree {
	char *root;		/* the fake configfs mount point */
	char *nvmet;		/* root/nvmet */
	bool v612;		/* emulate 6.12's extra attributes (param_max_queue_size, ...) */
	int calls;		/* operations performed so far */
	int fail_at;		/* fail the Nth operation (1-based), 0 = never */
	int fail_err;
	bool fail_on;		/* fail every operation from fail_at on (the undos too), not only that one */
	char *no_addr;		/* ports with this traddr refuse links with EADDRNOTAVAIL */
	bool random_uuid;	/* each new namespace gets a device_uuid of its own (else all the same) */
	unsigned uuids;
	struct cfs_ops ops;
};

struct faketree *faketree_new(bool v612);
/* The same at an existing directory (nvmetd-fake: NVMET_CONFIGFS_ROOT). */
struct faketree *faketree_at(const char *root, bool v612);
/* A library context whose configfs calls go to t (its root in NVMET_CONFIGFS_ROOT). */
struct nv_ctx *faketree_ctx(struct faketree *t);
/* An nvmf.conf text parsed and its devices resolved, or NULL (the reasons on stderr). */
struct nv_config *faketree_load(struct nv_ctx *c, const char *text);
void faketree_free(struct faketree *t);
/* Every file, its content and every link target, sorted: equal snapshots = byte-for-byte equal trees. */
char *faketree_snapshot(struct faketree *t);
/* The lines of a snapshot about one object ("subsystems/X", "ports/1"...). Allocated. */
char *faketree_subtree(const char *snap, const char *unit);
/* Write a file (creating it) under root, for test fixtures. */
void faketree_put(const char *path, const char *content);
/* A backing file a namespace can use: 1 MiB, sparse (an empty one is refused as a 0-byte disk). */
void faketree_disk(const char *path);

#endif
