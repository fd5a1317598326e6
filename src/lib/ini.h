/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lexer/parser for SPDK's legacy INI config format (lib/conf/conf.c semantics):
 * [Section] headers, whitespace separated values, double quotes, '#' comments, '\' continuation.
 * Section and key names are matched case-insensitively, keys may repeat. */
#ifndef NVMET_INI_H
#define NVMET_INI_H

#define INI_LINE_MAX (64u << 10)	/* a logical line (after joining continuations) */
#include <stddef.h>

#include "util.h"

#include "report.h"

struct ini_entry {
	char *key;
	char **vals;	/* the line's tokens after the key; key, values and this array are one allocation
			 * whose start is vals - 1 (== &key's slot): never NULL, never freed apart */
	size_t nvals;
	unsigned line;
};

struct ini_section {
	char *name;
	unsigned line;
	struct ini_entry *e;
	size_t n;
};

struct ini_file {
	char *path;
	struct ini_section *s;
	size_t n;
};

/* Parse text (named path for messages). Syntax errors are added to rep; returns 0 or -EINVAL. */
int ini_parse(const char *path, const char *text, struct ini_file **out, struct nv_report *rep);
void ini_free(struct ini_file *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ini_file *, ini_free)

#endif
