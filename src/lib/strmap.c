/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <strings.h>

#include "strmap.h"
#include "util.h"

static size_t hash(const char *s, bool nocase)
{
	size_t h = 14695981039346656037ULL; /* FNV-1a */

	if (nocase) {
		for (; *s; s++) {
			h ^= (unsigned char)tolower((unsigned char)*s);
			h *= 1099511628211ULL;
		}
		return h;
	}
	for (; *s; s++) {	/* the common case: no call and no test per character */
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static bool key_eq(const struct strmap *m, const char *a, const char *b)
{
	return m->nocase ? !strcasecmp(a, b) : streq(a, b);
}

/* The slot holding key, or the free slot where it would go. */
static struct strmap_slot *slot_for(const struct strmap *m, const char *key)
{
	size_t i = hash(key, m->nocase) & (m->cap - 1);

	while (m->slots[i].key && !key_eq(m, m->slots[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

bool strmap_get(const struct strmap *m, const char *key, size_t *value)
{
	struct strmap_slot *s;

	if (!m->cap)
		return false;
	s = slot_for(m, key);
	if (!s->key)
		return false;
	*value = s->value;
	return true;
}

static void grow(struct strmap *m)
{
	struct strmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*slot_for(m, old.slots[i].key) = old.slots[i];
	free(old.slots);
}

bool strmap_add(struct strmap *m, const char *key, size_t value, size_t *old)
{
	struct strmap_slot *s;

	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	s = slot_for(m, key);
	if (s->key) {
		if (old)
			*old = s->value;
		return false;
	}
	s->key = xstrdup(key);
	s->value = value;
	m->n++;
	return true;
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
