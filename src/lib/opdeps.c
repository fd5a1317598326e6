/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "opdeps.h"
#include "unit.h"
#include "strmap.h"
#include "util.h"

size_t op_touches(const struct op *o, char *u[2])
{
	size_t n = 0;

	u[n++] = unit_of_path(o->path);
	if ((o->type == OP_LINK || o->type == OP_UNLINK) && o->value) {
		char *t = unit_of_path(o->value);
		if (streq(t, u[0]))
			free(t);
		else
			u[n++] = t;
	}
	return n;
}

bool op_waits(const struct op *o)
{
	const char *base = strrchr(o->path, '/'), *ns;

	if (strncmp(o->path, "subsystems/", 11) || !(ns = strstr(o->path, "/namespaces/")))
		return false;
	/* the namespace itself: its path is its unit (unit_of_path; an NQN has no '/'), nothing after
	 * "/namespaces/N" — asked for every operation of a plan, so without making the unit */
	if (o->type == OP_RMDIR)
		return !strchr(ns + strlen("/namespaces/"), '/');
	return o->type == OP_WRITE && base && streq(base + 1, "enable") && streq_ptr(o->value, "0");
}

/* What is known about one object while the plan is walked in order. */
struct unit_state {
	size_t last;		/* the last operation on the object itself, or SIZE_MAX */
	size_t *kids;		/* operations on its namespaces since then */
	size_t nkids;
};

struct edges {
	size_t (*e)[2];		/* (from, to) */
	size_t n;
};

static void edge(struct edges *E, size_t from, size_t to)
{
	size_t *e = *(size_t(*)[2])array_push(&E->e, &E->n, sizeof(*E->e));
	e[0] = from;
	e[1] = to;
}

/* The objects' states by unit, and the two units looked up last: a plan's operations on one object
 * and on its parent come together, so most lookups hash nothing. */
struct unit_ids {
	struct strmap map;
	struct { char *unit; size_t k; } recent[2];
	unsigned next;		/* the recent slot the next new unit replaces */
};

/* The state of unit (which the call takes over). */
static struct unit_state *state_of(struct unit_ids *ids, struct unit_state **st, size_t *nst, char *unit)
{
	size_t k = *nst;

	for (unsigned i = 0; i < 2; i++)
		if (ids->recent[i].unit && streq(ids->recent[i].unit, unit)) {
			free(unit);
			return &(*st)[ids->recent[i].k];
		}
	/* one lookup: added, or k is the state it had */
	if (strmap_add(&ids->map, unit, k, &k))
		*(struct unit_state *)array_push(st, nst, sizeof(**st)) = (struct unit_state){ .last = SIZE_MAX };
	free(ids->recent[ids->next].unit);
	ids->recent[ids->next].unit = unit;
	ids->recent[ids->next].k = k;
	ids->next ^= 1;
	return &(*st)[k];
}

void op_graph_build(const struct plan *p, struct op_graph *g)
{
	struct unit_ids ids = { 0 };
	struct unit_state *st = NULL;
	size_t nst = 0;
	struct edges E = { 0 };

	for (size_t i = 0; i < p->n; i++) {
		char *u[2];
		size_t nu = op_touches(&p->ops[i], u);

		for (size_t k = 0; k < nu; k++) {
			char *parent = unit_parent(u[k]);
			struct unit_state *s = state_of(&ids, &st, &nst, u[k]);

			if (s->last != SIZE_MAX && s->last != i)
				edge(&E, s->last, i);
			for (size_t j = 0; j < s->nkids; j++)
				edge(&E, s->kids[j], i);
			s->nkids = 0;
			s->last = i;
			if (parent) {
				/* the state array may move when the parent is first seen: look s up again after */
				struct unit_state *ps = state_of(&ids, &st, &nst, parent);
				if (ps->last != SIZE_MAX && ps->last != i)
					edge(&E, ps->last, i);
				*(size_t *)array_push(&ps->kids, &ps->nkids, sizeof(size_t)) = i;
			}
		}
	}
	/* compressed successor lists */
	g->n = p->n;
	g->off = xcalloc(p->n + 2, sizeof(size_t));
	g->npred = xcalloc(p->n + 1, sizeof(size_t));
	g->succ = xcalloc(E.n + 1, sizeof(size_t));
	for (size_t k = 0; k < E.n; k++) {
		g->off[E.e[k][0] + 1]++;
		g->npred[E.e[k][1]]++;
	}
	for (size_t i = 0; i < p->n; i++)
		g->off[i + 1] += g->off[i];
	{
		_cleanup_free_ size_t *fill = xcalloc(p->n + 1, sizeof(size_t));
		for (size_t k = 0; k < E.n; k++) {
			size_t from = E.e[k][0];
			g->succ[g->off[from] + fill[from]++] = E.e[k][1];
		}
	}
	for (size_t k = 0; k < nst; k++)
		free(st[k].kids);
	free(st);
	free(E.e);
	strmap_free(&ids.map);
	free(ids.recent[0].unit);
	free(ids.recent[1].unit);
}

void op_graph_free(struct op_graph *g)
{
	free(g->off);
	free(g->succ);
	free(g->npred);
	memset(g, 0, sizeof(*g));
}
