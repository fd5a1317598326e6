/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Libraries opened on first use instead of linked: libkmod (modules load once per boot; closed again
 * after use, see kernel.c), libnvme (TLS keys), libblkid (lvol store creation; closed after each
 * probe, see devprobe.c), libudev (an SSD looked up, udevdl.h), json-c (the first JSON call,
 * jsonc.h), libconfig (an nvmetd.conf that exists, settings.c) and, in nvmetd, Avahi's (mdns = true,
 * see mdns-lib.c). Linked, they and what they pull in (libcrypto, liblzma, libzstd, libdbus-1) would
 * be loaded and relocated by every nvmetcfg start-up, and stay mapped in nvmetd: nvmetcfg links
 * libc alone. */
#ifndef NVMET_DL_H
#define NVMET_DL_H

#include <stddef.h>

struct dl_sym {
	const char *name;
	size_t off;	/* where the function pointer goes in the caller's table */
};
#define DL_SYM(table_type, fn, member) { #fn, offsetof(table_type, member) }

/* Open soname and fill table's function pointers, once (*handle caches it). pkg names the Debian
 * package for the debug log. Returns 0 or -ENOPKG (the library or a symbol is missing): the caller
 * says what it could not do. */
int dl_load(void **handle, const char *soname, const char *pkg, void *table, const struct dl_sym *syms, size_t n);

/* Close what dl_load opened (*handle = NULL): the next dl_load opens it again. */
void dl_unload(void **handle);

#endif
