/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running LVM's own program: `lvm <command> ...`, bounded in time (killed on expiry), its standard
 * output captured (JSON reports) and its standard error kept for the message. The program is a seam:
 * nv_ctx's lvm (NVMET_LVM), so host tests run a fake one. Blocking: call it off nvmetd's loop. */
#ifndef NVMET_LVM_H
#define NVMET_LVM_H

#define NVMET_LVM_DEFAULT "/sbin/lvm"
#define LVM_TIMEOUT_MS_DEFAULT 20000
#define LVM_OUTPUT_MAX (8u << 20)	/* a report larger than this is refused, not held */

struct lvm_env {
	const char *lvm;	/* the program (NVMET_LVM_DEFAULT) */
	unsigned timeout_ms;	/* each call at most (LVM_TIMEOUT_MS_DEFAULT when 0) */
};

/* Run lvm with args (NULL-terminated, args[0] the command: "lvs", "lvcreate"). 0 with *out (its
 * standard output, may be NULL), or -errno with *err: -ENOENT the program is missing, -ETIMEDOUT it
 * was killed after timeout_ms, -EIO it failed (*err: what it said on standard error, last line
 * first), -E2BIG its output was too large. */
int lvm_run(const struct lvm_env *env, const char *const *args, char **out, char **err);

#endif
