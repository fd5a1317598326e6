/* SPDX-License-Identifier: GPL-2.0-or-later */
/* diff(desired, live) -> ordered list of configfs operations, and their execution with a
 * journal that undoes everything already done when an operation fails. */
#ifndef NVMET_PLAN_H
#define NVMET_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"
#include "nvmet.h"

enum op_type { OP_MKDIR, OP_RMDIR, OP_WRITE, OP_LINK, OP_UNLINK };

struct op {
	enum op_type type;
	char *path;		/* relative to the nvmet root */
	char *value;		/* WRITE: new value; LINK: target, relative to the nvmet root */
	char *old;		/* WRITE: live value before (NULL for a new object) */
	struct nv_attrs restore; /* RMDIR: what to write back if it has to be undone */
	bool optional;		/* WRITE: the kernel may lack this attribute */
	char *why;		/* config key behind a WRITE, for messages */
	char *obj;		/* "subsystem X: namespace 1" */
	bool port_link;		/* LINK into ports/N/subsystems: may wait for its address */
};

struct plan {
	struct op *ops;
	size_t n;
	struct nv_report notes;	/* e.g. "attribute not supported by this kernel" */
};

/* Port IDs of desired ports are assigned here (matched to live ports by address). */
int plan_build(const struct nv_model *desired, const struct nv_model *live, const char *nvmet_root,
	       struct plan *out);
void plan_free(struct plan *p);
void plan_print(const struct plan *p, FILE *f);
const char *op_name(enum op_type t);

struct waiting_port {
	unsigned id;
	char *address;
	int err;
};

struct exec_result {
	size_t writes;		/* configfs modifications made and kept */
	size_t skipped;		/* optional writes the kernel had no file for */
	struct waiting_port *waiting;
	size_t nwaiting;
	int err;		/* first failure (negative errno), 0 on success */
	char *errmsg;		/* "subsystem X: namespace 1: enable: No such device — hint" */
	bool rollback_failed;
};

/* The filesystem calls a plan is executed with: the real ones, or a test double that behaves like
 * configfs (creates default groups and attributes on mkdir, can fail on demand). Paths are absolute;
 * functions return 0 or -errno. */
struct cfs_ops {
	int (*mkdir)(void *ud, const char *path);
	int (*rmdir)(void *ud, const char *path);
	int (*write)(void *ud, const char *path, const char *value);
	int (*symlink)(void *ud, const char *target, const char *linkpath);
	int (*unlink)(void *ud, const char *path);
	void *ud;
};
extern const struct cfs_ops cfs_real;

int plan_execute(const struct cfs_ops *ops, const char *nvmet_root, const struct plan *p, bool verbose,
		 struct exec_result *res);
void exec_result_free(struct exec_result *r);

#endif
