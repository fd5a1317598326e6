/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetcfg's exit status: the library returns 0 or -errno and a result; only the CLI turns them into
 * process exit codes (the unit tests check the CLI's mapping through this header too). */
#ifndef NVMETCFG_EXIT_H
#define NVMETCFG_EXIT_H

#include <errno.h>

#include "engine.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* a kernel operation failed; everything done was rolled back */
	EXIT_CONFIG = 2,	/* usage or config error; nothing was changed */
	EXIT_WAITING = 3,	/* applied; some ports wait for their address or RDMA device */
	EXIT_PARTIAL = 4,	/* --keep-going: some objects failed and were rolled back alone; the rest applied */
};

/* engine_apply's return and result -> the exit status. */
static inline int apply_exit(int r, const struct apply_result *res)
{
	if (r == -EOPNOTSUPP || r == -EINVAL)
		return EXIT_CONFIG;
	if (r < 0)
		return EXIT_FAILED;
	if (res->exec.nfailed)
		return EXIT_PARTIAL;
	return res->exec.nwaiting ? EXIT_WAITING : EXIT_OK;
}

#endif
