/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which operations of a plan must wait for which: the order configfs needs, and nothing more, so
 * the executor may run the rest side by side. */
#ifndef NVMET_OPDEPS_H
#define NVMET_OPDEPS_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"

/* The successors of op i are succ[off[i] .. off[i + 1]); npred[i] counts its predecessors (an edge
 * may repeat: each one is counted once per occurrence). Phases are not edges: an operation never
 * starts before every operation of the earlier phases has finished (see plan.h). */
struct op_graph {
	size_t *off;		/* n + 1 entries */
	size_t *succ;
	size_t *npred;
	size_t n;
};

/*
 * The rule: two operations are ordered as in the plan when they touch one object, where an
 * operation touches the object its path lies in (unit_of_path, unit.h) and, for a link, the object it points at.
 * Objects nest one level: a namespace lies in its subsystem, so an operation on subsystem X waits
 * for every earlier operation on X's namespaces, and each of them waits for the earlier operations
 * on X itself. Operations on different namespaces, subsystems, ports or hosts are independent.
 * Linear in the number of operations.
 */
void op_graph_build(const struct plan *p, struct op_graph *g);
void op_graph_free(struct op_graph *g);

/* The objects o touches (unit_of_path of its path, and of its link target): 1 or 2, allocated into u[]. */
size_t op_touches(const struct op *o, char *u[2]);
/* Whether the kernel makes the caller wait for it (disabling a namespace: a reference drain and an
 * RCU grace period, ~20 ms under TCG) rather than for the CPU: the operations worth running side by
 * side. */
bool op_waits(const struct op *o);

#endif
