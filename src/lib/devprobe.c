/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devprobe.h */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "devprobe.h"
#include "util.h"

static void probe_freep(blkid_probe *p)
{
	if (*p)
		blkid_free_probe(*p);
}

static char *describe(blkid_probe p)
{
	const char *type = NULL, *usage = NULL;

	if (blkid_probe_lookup_value(p, "PTTYPE", &type, NULL) == 0)
		return xasprintf("a %s partition table", type);
	(void)blkid_probe_lookup_value(p, "USAGE", &usage, NULL);
	if (blkid_probe_lookup_value(p, "TYPE", &type, NULL) < 0)
		return xstrdup("a signature libblkid recognises");
	if (streq(type, "LVM2_member"))
		return xstrdup("an LVM physical volume (LVM2_member)");
	if (usage && streq(usage, "filesystem"))
		return xasprintf("a%s %s filesystem", strchr("aeiouAEIOU", type[0]) ? "n" : "", type);
	return xasprintf("%s (%s)", type, usage ? usage : "a signature");
}

int devprobe_in_use(const char *dev, char **what)
{
	_cleanup_(probe_freep) blkid_probe p = NULL;
	int r;

	*what = NULL;
	p = blkid_new_probe_from_filename(dev);
	if (!p)
		return errno ? -errno : -EIO;
	blkid_probe_enable_superblocks(p, 1);
	blkid_probe_set_superblocks_flags(p, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(p, 1);
	blkid_probe_set_partitions_flags(p, BLKID_PARTS_MAGIC);
	r = blkid_do_safeprobe(p);
	if (r == 1)
		return 0;
	if (r == -2) {
		*what = xstrdup("several signatures (ambiguous)");
		return 1;
	}
	if (r < 0)
		return -EIO;
	*what = describe(p);
	return 1;
}
