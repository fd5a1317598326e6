/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "fsprint.h"
#include "util.h"

char *path_fingerprint(const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);
	struct statvfs vfs;
	struct stat st;

	for (;;) {
		char *slash;

		if (stat(p, &st) == 0 && statvfs(p, &vfs) == 0)
			return xasprintf("%lu:%lu:%d", (unsigned long)st.st_dev, (unsigned long)vfs.f_fsid,
					 !!(vfs.f_flag & ST_RDONLY));
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			return xstrdup("/");
		*slash = '\0';
	}
}
