/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devprobe.h */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>

#include "devprobe.h"
#include "dl.h"
#include "util.h"

/* libblkid is opened for each probe and closed after it (dl.h): lvol stores are made rarely, a
 * long-running nvmetd should not keep it mapped. Probes run on lvol job threads: one at a time. */
static pthread_mutex_t blkid_lock = PTHREAD_MUTEX_INITIALIZER;
static void *blkid_handle;
static struct {
	__typeof__(blkid_new_probe_from_filename) *new_probe_from_filename;
	__typeof__(blkid_free_probe) *free_probe;
	__typeof__(blkid_probe_enable_superblocks) *enable_superblocks;
	__typeof__(blkid_probe_set_superblocks_flags) *set_superblocks_flags;
	__typeof__(blkid_probe_enable_partitions) *enable_partitions;
	__typeof__(blkid_probe_set_partitions_flags) *set_partitions_flags;
	__typeof__(blkid_do_safeprobe) *do_safeprobe;
	__typeof__(blkid_probe_lookup_value) *lookup_value;
} blkid_fn;

static int blkid_open(void)
{
	typedef __typeof__(blkid_fn) T;
	static const struct dl_sym syms[] = {
		DL_SYM(T, blkid_new_probe_from_filename, new_probe_from_filename),
		DL_SYM(T, blkid_free_probe, free_probe),
		DL_SYM(T, blkid_probe_enable_superblocks, enable_superblocks),
		DL_SYM(T, blkid_probe_set_superblocks_flags, set_superblocks_flags),
		DL_SYM(T, blkid_probe_enable_partitions, enable_partitions),
		DL_SYM(T, blkid_probe_set_partitions_flags, set_partitions_flags),
		DL_SYM(T, blkid_do_safeprobe, do_safeprobe),
		DL_SYM(T, blkid_probe_lookup_value, lookup_value),
	};
	return dl_load(&blkid_handle, LIBBLKID_SONAME, "libblkid1", &blkid_fn, syms, ARRAY_SIZE(syms));
}

static void probe_freep(blkid_probe *p)
{
	if (*p)
		blkid_fn.free_probe(*p);
}

static char *describe(blkid_probe p)
{
	const char *type = NULL, *usage = NULL;

	if (blkid_fn.lookup_value(p, "PTTYPE", &type, NULL) == 0)
		return xasprintf("a %s partition table", type);
	(void)blkid_fn.lookup_value(p, "USAGE", &usage, NULL);
	if (blkid_fn.lookup_value(p, "TYPE", &type, NULL) < 0)
		return xstrdup("a signature libblkid recognises");
	if (streq(type, "LVM2_member"))
		return xstrdup("an LVM physical volume (LVM2_member)");
	if (usage && streq(usage, "filesystem"))
		return xasprintf("a%s %s filesystem", strchr("aeiouAEIOU", type[0]) ? "n" : "", type);
	return xasprintf("%s (%s)", type, usage ? usage : "a signature");
}

/* devprobe_in_use with libblkid open */
static int probe(const char *dev, char **what)
{
	_cleanup_(probe_freep) blkid_probe p = NULL;
	int r;

	p = blkid_fn.new_probe_from_filename(dev);
	if (!p)
		return errno ? -errno : -EIO;
	blkid_fn.enable_superblocks(p, 1);
	blkid_fn.set_superblocks_flags(p, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	blkid_fn.enable_partitions(p, 1);
	blkid_fn.set_partitions_flags(p, BLKID_PARTS_MAGIC);
	r = blkid_fn.do_safeprobe(p);
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

int devprobe_in_use(const char *dev, char **what)
{
	int r;

	*what = NULL;
	pthread_mutex_lock(&blkid_lock);
	r = blkid_open();
	if (r == 0)
		r = probe(dev, what);
	dl_unload(&blkid_handle);
	pthread_mutex_unlock(&blkid_lock);
	return r;
}
