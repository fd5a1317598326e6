/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>

#include "dl.h"
#include "log.h"
#include "util.h"

int dl_load(void **handle, const char *soname, const char *pkg, void *table, const struct dl_sym *syms, size_t n)
{
	void *h;

	if (*handle)
		return 0;
	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_debug("cannot load %s: %s — is the %s package installed?", soname, dlerror(), pkg);
		return -ENOPKG;
	}
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f) {
			log_debug("%s has no %s (%s is too old?)", soname, syms[i].name, pkg);
			dlclose(h);
			return -ENOPKG;
		}
		memcpy((char *)table + syms[i].off, &f, sizeof(f));
	}
	*handle = h;
	return 0;
}

void dl_unload(void **handle)
{
	if (*handle)
		dlclose(*handle);
	*handle = NULL;
}
