/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An lvol's export in rpc.conf: an [AIO] entry named by the lvol's UUID on /dev/<vg>/<lv>, made by
 * add_ns of the lvol and gone with its last namespace (the lvol itself lives in LVM, not here). */
#include <string.h>
#include <strings.h>

#include "lvname.h"
#include "rpcedit-int.h"
#include "util.h"

void ed_lvol_export(struct rpc_edit *e)
{
	struct rc_bdev *b;
	unsigned line;

	if (!e->lvol_uuid || ed_bdev_where(e, e->lvol_uuid, &line))
		return;
	b = array_push(&e->rc->aio, &e->rc->naio, sizeof(*b));
	b->name = xstrdup(e->lvol_uuid);
	b->arg = xstrdup(e->lvol_path);
	b->block_size = 0;
}

static bool used(const struct rpcconf *rc, const char *name)
{
	for (size_t i = 0; i < rc->nss; i++)
		for (size_t k = 0; k < rc->ss[i].nns; k++)
			if (!strcasecmp(rc->ss[i].ns[k].bdev, name))
				return true;
	return false;
}

void ed_drop_lvol_exports(struct rpcconf *rc)
{
	for (size_t i = rc->naio; i-- > 0;)
		if (lvname_aio_is_lvol(rc->aio[i].name, rc->aio[i].arg, NULL) && !used(rc, rc->aio[i].name)) {
			free(rc->aio[i].name);
			free(rc->aio[i].arg);
			rpcconf_remove(rc->aio, &rc->naio, sizeof(*rc->aio), i);
		}
}
