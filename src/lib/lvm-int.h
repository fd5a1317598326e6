/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What lvstore.c and lvol.c share. */
#ifndef NVMET_LVM_INT_H
#define NVMET_LVM_INT_H

#include "lvstore.h"

/* lvm with the NULL-terminated args that follow; 0, or the error with *err ("lvm <cmd>: <what lvm said>"). */
int lvm_do(const struct lvm_env *env, char **err, ...) __attribute__((sentinel));
int lvm_argv(const struct lvm_env *env, const char *const *args, char **err);
/* lvstore_list, then the lvol called name in it: 0 with *v pointing into l, or -ENODEV with *err (and l
 * freed, as on any error). */
int lvol_lookup(const struct lvm_env *env, const char *name, struct lv_list *l, const struct lv_vol **v, char **err);
/* --addtag values for an object named name with uuid: "nvmetd.uuid=...", "nvmetd.name=...". */
char *lv_tag_uuid(const char *uuid);
char *lv_tag_name(const char *name);
/* Whether v's device path or UUID is among busy (what namespaces export). */
bool lv_exported(const struct lv_vol *v, char *const *busy, size_t nbusy);
/* cmd (lvchange, vgchange) on target: its name tag from name from to name to, in one call. */
int lv_retag(const struct lvm_env *env, const char *cmd, const char *target, const char *from, const char *to,
	     char **err);

#endif
