/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A string -> index hash map (open addressing, grows itself). Lookups that would otherwise scan a
 * list per item — bdev names, NQNs, backing paths — stay linear in the number of objects. */
#ifndef NVMET_STRMAP_H
#define NVMET_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap {
	struct strmap_slot {
		char *key;	/* owned copy, NULL when free */
		size_t value;
	} *slots;
	size_t cap;		/* power of two, or 0 */
	size_t n;
	bool nocase;		/* ASCII case-insensitive keys (SPDK bdev names) */
};

/* Returns true and fills *value when key is present. */
bool strmap_get(const struct strmap *m, const char *key, size_t *value);
/* Adds key unless present. Returns true if added; otherwise leaves the old value in *old (if set). */
bool strmap_add(struct strmap *m, const char *key, size_t value, size_t *old);
void strmap_free(struct strmap *m);

#endif
