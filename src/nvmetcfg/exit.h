/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetcfg's exit status: the library returns 0 or -errno and a result; only the CLI turns them into
 * process exit codes (the unit tests check the CLI's mapping through this header too). */
#ifndef NVMETCFG_EXIT_H
#define NVMETCFG_EXIT_H

#include <errno.h>

#include "engine.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* a kernel operation failed (whatever its errno) or the target could not be
				 * used; everything done was rolled back */
	EXIT_CONFIG = 2,	/* usage or config error, or the config needs what this kernel lacks; nothing
				 * was changed */
	EXIT_WAITING = 3,	/* applied; some ports wait for their address or RDMA device */
	EXIT_PARTIAL = 4,	/* --keep-going: some objects failed and were rolled back alone; the rest applied */
	EXIT_ROLLBACK = 5,	/* rollback incomplete: an undo failed too, the target is partly applied */
	EXIT_INTERRUPTED = 6,	/* SIGINT, SIGTERM or SIGHUP during an apply, clear, drain or resume:
				 * nothing more was started and everything done was rolled back */
};

/* A plan's execution (plan_execute, engine_drain) -> the exit status. */
static inline int exec_exit(int r, const struct exec_result *x)
{
	if (x->rollback_failed)
		return EXIT_ROLLBACK;
	if (r == -EINTR && x->interrupted)
		return EXIT_INTERRUPTED;
	if (r < 0)
		return EXIT_FAILED;
	if (x->nfailed)
		return EXIT_PARTIAL;
	return x->nwaiting ? EXIT_WAITING : EXIT_OK;
}

/* engine_apply's return and result -> the exit status: by where the error came from, not by its
 * errno (after parsing, an EINVAL is the kernel's refusal, rolled back like any other). */
static inline int apply_exit(int r, const struct apply_result *res)
{
	if (r < 0 && (res->failed_in == APPLY_UNSUPPORTED || res->failed_in == APPLY_REFUSED))
		return EXIT_CONFIG;
	return exec_exit(r, &res->exec);
}

#endif
