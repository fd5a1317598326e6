/* SPDX-License-Identifier: GPL-2.0-or-later */
#define UDEV_DL_IMPL
#include <stddef.h>

#include "dl.h"
#include "udevdl.h"
#include "util.h"

struct udev_dl_fn udev_dl_fn;
static void *udev_handle;

int udev_dl(void)
{
#define UDEV_DL_SYM(fn) DL_SYM(struct udev_dl_fn, fn, fn),
	static const struct dl_sym syms[] = { UDEV_DL_FNS(UDEV_DL_SYM) };
#undef UDEV_DL_SYM
	return dl_load(&udev_handle, LIBUDEV_SONAME, "libudev1", &udev_dl_fn, syms, ARRAY_SIZE(syms));
}
