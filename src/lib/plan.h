/* SPDX-License-Identifier: GPL-2.0-or-later */
/* diff(desired, live) -> the ordered list of configfs operations that makes live desired (exec.h
 * runs it). */
#ifndef NVMET_PLAN_H
#define NVMET_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "model.h"
#include "report.h"

enum op_type { OP_MKDIR, OP_RMDIR, OP_WRITE, OP_LINK, OP_UNLINK };

struct op {
	enum op_type type;
	char *path;		/* relative to the nvmet root */
	char *value;		/* WRITE: new value; LINK: target, relative to the nvmet root */
	char *old;		/* WRITE: live value before (NULL for a new object) */
	struct nv_attrs restore; /* RMDIR: what to write back if it has to be undone */
	bool optional;		/* WRITE: the kernel may lack this attribute */
	char *why;		/* config key behind a WRITE, for messages */
	char *obj;		/* "subsystem X: namespace 1" */
	bool port_link;		/* LINK into ports/N/subsystems: may wait for its address */
	char *device;		/* WRITE enable=1: the namespace's device_path, for messages */
	unsigned phase;		/* PHASE_*: no operation starts before the earlier phases have finished */
};

/* The plan's phases. Within one, operations on different objects are independent (opdeps.h); between
 * two, the kernel may compare across objects: a port made to listen on an address another port is
 * giving up, a discovery NQN compared with the subsystems that exist. */
enum { PHASE_REMOVE, PHASE_DISCOVERY, PHASE_ADD, PHASE_LINK };

/* A change the kernel will not make to an object that exists: once a host has identified a
 * subsystem, nvmet refuses a new serial number or model ("Can't set serial number ... is already
 * assigned"). The plan leaves such an object's frozen attribute as it is and says why here. */
struct plan_refusal {
	char *unit;		/* "subsystems/X" */
	char *msg;		/* "subsystem X: serial number A -> B: ... — remove the subsystem and add it again" */
};

struct plan {
	struct op *ops;
	size_t n;
	struct nv_report notes;	/* e.g. "attribute not supported by this kernel" */
	struct plan_refusal *refused;
	size_t nrefused;
};

/* Whether an existing subsystem's attribute is one the kernel freezes once a host identified it. */
bool attr_frozen(const char *name);

struct plan_opts {
	/* When two or more enabled namespaces must change device_* (a new backing file, say), replace
	 * each one (rmdir, mkdir with the same identity, enable) instead of disabling it in place: the
	 * kernel serialises in-place disables on one global lock (nvmet_config_sem, taken by every
	 * write to a namespace's "enable") but not removals, so replacements can run side by side.
	 * One alone is changed in place (3 writes rather than 5). Set when the executor runs
	 * operations side by side (jobs > 1). */
	bool replace_moves;
};

/* The operations that bring live to desired. A desired port is matched to a live one by address (or
 * takes over one that goes away); ports[i] is the id desired->ports[i] gets (allocated, may be NULL
 * when the caller does not need them). */
int plan_build(const struct nv_model *desired, const struct nv_model *live, const struct plan_opts *po,
	       struct plan *out, unsigned **ports);
void plan_free(struct plan *p);
/* Append the write of port id's ANA group 1 state (old: the live one, for the undo; why: for messages). */
void plan_ana_write(struct plan *p, unsigned id, const char *want, const char *old, const char *why);
void plan_print(const struct plan *p, FILE *f);
const char *op_name(enum op_type t);

#endif
