/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live model -> nvmf.conf text (re-applies to the same state) or JSON (nvmetcli's schema). */
#ifndef NVMET_PRINT_H
#define NVMET_PRINT_H

#include <stdbool.h>

#include "ctx.h"
#include "model.h"
#include "spdkconf.h"

/* Returns 0 or -errno (-EINVAL: a live value nvmf.conf cannot carry). The text is malloc'd.
 * keep (may be NULL): a config whose settings that live outside configfs ([Global] ReactorMask,
 * [Nvme] HotplugEnable) are carried over, so `save` over an existing nvmf.conf loses nothing nvmetd
 * uses. */
int print_conf(struct nv_ctx *c, const struct nv_model *m, const struct nv_config *keep, char **out);

struct print_opts {
	const struct nv_config *keep;	/* as above; its [HostN] key files name the live keys they hold */
	const char *keys_dir;		/* save: a live DH-HMAC-CHAP key no file of keep holds is written to a
					 * new 0600 file here and referenced; NULL: it is only mentioned */
	char **why;			/* if not NULL, on -EINVAL: the value refused (malloc'd), for the
					 * caller to report; the library prints nothing */
	const struct nv_config *origin;	/* show: the desired configuration (nvmf.conf and rpc.conf merged):
					 * a subsystem rpc.conf defines says so in a comment; NULL: none */
};
int print_conf_opts(struct nv_ctx *c, const struct nv_model *m, const struct print_opts *o, char **out);
/* Secrets (DH-HMAC-CHAP keys) are left out unless with_secrets. */
int print_json(const struct nv_model *m, bool with_secrets, char **out);

#endif
