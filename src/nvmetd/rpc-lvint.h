/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What rpc-lvol.c (the jobs) and rpc-lvops.c (the methods) share. */
#ifndef NVMETD_RPC_LVINT_H
#define NVMETD_RPC_LVINT_H

#include "lvstore.h"
#include "rpc-lvjob.h"
#include "rpc-lvol.h"

struct json_object;

/* One call: its params in plain C (read on the loop), LVM's answer (made on the thread). */
struct lvjob {
	struct lvjob_thread t;
	const struct rpc_lvop *op;
	struct daemon *d;
	unsigned long long tag;
	char *lvm;
	struct lvm_env env;
	char *s1, *s2, *s3;		/* the method's names, in its table's order */
	char *dev;			/* create_lvstore: the base bdev's device */
	unsigned bs;			/* ... and its logical block size */
	unsigned long long size, cluster;
	bool thin;
	char **busy;			/* bdev names and devices namespaces use */
	size_t nbusy;
	struct json_object *params;	/* add_ns: the request's, for the edit that follows (loop only) */
	int r;				/* out: 0 or -errno, */
	char *err;			/* ... what went wrong */
	char *uuid, *path;		/* ... the lvol or store made, or opened */
	struct lv_list list;		/* ... the stores and lvols listed */
};

struct rpc_lvop {
	const char *name;
	bool changes;
	/* on the loop: 0, or an error code with *message (nothing started) */
	int (*parse)(struct daemon *d, struct lvjob *j, struct json_object *params, char **message);
	void (*run)(struct lvjob *j);	/* on the thread: sets r, err, and what it made */
	/* on the loop: 0 with *result, or an error code with *message */
	int (*answer)(struct lvjob *j, struct json_object **result, char **message);
};

int lvjob_fail(struct lvjob *j, char **message);
void lvjob_busy(struct daemon *d, struct lvjob *j);

/* rpc-bdev.c: the configuration's bdevs (want: that one only), leaving out the lvols' [AIO] exports
 * that lvols lists; and whether a namespace uses bdev name. */
struct json_object *rpc_config_bdevs(const struct rpc_env *e, const char *want, const struct lv_list *lvols);
bool rpc_bdev_in_use(const struct nv_model *m, const char *name);

#endif
