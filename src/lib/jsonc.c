/* SPDX-License-Identifier: GPL-2.0-or-later */
#define JSONC_IMPL
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "dl.h"
#include "jsonc.h"
#include "util.h"

struct jsonc_fn jsonc_fn;
bool jsonc_loaded;
static void *jsonc_handle;

static void jsonc_open(void)
{
#define JSONC_SYM(fn) DL_SYM(struct jsonc_fn, fn, fn),
	static const struct dl_sym syms[] = { JSONC_FNS(JSONC_SYM) };
#undef JSONC_SYM

	if (dl_load(&jsonc_handle, JSONC_SONAME, "libjson-c5", &jsonc_fn, syms, ARRAY_SIZE(syms)) < 0) {
		fprintf(stderr, "cannot load %s: is the libjson-c5 package installed?\n", JSONC_SONAME);
		exit(EXIT_FAILURE);
	}
	__atomic_store_n(&jsonc_loaded, true, __ATOMIC_RELEASE);
}

void jsonc_load(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, jsonc_open);
}
