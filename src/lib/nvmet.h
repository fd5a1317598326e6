/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libnvmetcore: the one library both nvmetcfg and nvmetd link. This header gathers the modules a
 * program needs to drive the target; each module has its own header. */
#ifndef NVMET_NVMET_H
#define NVMET_NVMET_H

#include "ctx.h"
#include "kernel.h"
#include "live.h"
#include "model.h"
#include "ramdisk.h"
#include "report.h"
#include "resolve.h"
#include "spdkconf.h"

#endif
