/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SPDK's bdev_lvol_* methods (and bdev_get_bdevs, and add_ns of an lvol) on LVM (lvstore.h). Each is a
 * job in three steps: its params read on the loop into plain C (the thread never touches JSON nor
 * the daemon), the LVM calls on a thread of its own (bounded by the lvm calls' timeout), the answer
 * made on the loop. The methods that change LVM run one at a time with nvmetd's other changes
 * (rpc-commit.c's queue, the daemon busy meanwhile: nothing exports or unexports under them); the
 * read-only ones run at once, each on its thread. */
#ifndef NVMETD_RPC_LVOL_H
#define NVMETD_RPC_LVOL_H

#include <stdbool.h>

#include "daemon.h"

struct json_object;
struct rpc_lvop;
extern const struct rpc_lvop rpc_lv_create_lvstore, rpc_lv_get_lvstores, rpc_lv_delete_lvstore, rpc_lv_create,
	rpc_lv_snapshot, rpc_lv_clone, rpc_lv_resize, rpc_lv_inflate, rpc_lv_delete, rpc_lv_get_lvols, rpc_lv_get_bdevs,
	rpc_lv_add_ns, rpc_lv_rename_lvstore, rpc_lv_rename, rpc_lv_decouple, rpc_lv_set_read_only;

/* Whether op changes LVM or the target (then it goes through rpc_commit's queue). */
bool rpc_lvop_changes(const struct rpc_lvop *op);
/* Whether add_ns of params needs LVM: its bdev is none the configuration names (an lvol, or nothing). */
bool rpc_lvol_wanted(const struct rpc_env *e, struct json_object *params);
/* Start op for the request tagged tag: JRPC_PENDING (the answer comes through rpc_server_complete, or for
 * a changing op rpc_commit_lvol_done), or an error code now with *message. */
int rpc_lvol_start(struct daemon *d, const struct rpc_lvop *op, struct json_object *params, unsigned long long tag,
		   char **message);
/* After the loop: wait for the read-only jobs still running (each bounded in time). */
void rpc_lvol_free(struct daemon *d);

#endif
