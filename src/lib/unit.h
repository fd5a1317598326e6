/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Object identity in one place. An object of the target — a host, a subsystem, a namespace, a port —
 * is named by its configfs path relative to the nvmet root, its "unit": "hosts/H", "subsystems/X",
 * "subsystems/X/namespaces/N", "ports/N". The plan builds its operations' paths from these, the
 * executor and its dependency graph find an operation's object with unit_of_path(), and nvmetd keys
 * its per-object state by them. A port's id is the kernel's, given by the plan: across reloads a
 * port is the same port when its address is, so its key is port_key(). */
#ifndef NVMET_UNIT_H
#define NVMET_UNIT_H

#include <stdbool.h>

#include "model.h"

/* The unit of each kind of object. Allocated. */
char *unit_host(const char *nqn);
char *unit_subsys(const char *nqn);
char *unit_ns(const char *subsys_nqn, unsigned nsid);
char *unit_port(unsigned id);

/* The object a configfs path (relative to the nvmet root) lies in: "subsystems/X/attr_serial" ->
 * "subsystems/X", "subsystems/X/namespaces/1/enable" -> "subsystems/X/namespaces/1",
 * "ports/2/subsystems/X" -> "ports/2". Allocated. */
char *unit_of_path(const char *path);
/* The object a namespace lies in ("subsystems/X" for "subsystems/X/namespaces/N"), else NULL. Allocated. */
char *unit_parent(const char *unit);
/* Whether unit names a namespace. */
bool unit_is_ns(const char *unit);

/* A port's identity across reloads and restarts, whatever id the kernel gave it: its transport,
 * address and service id ("tcp 10.0.0.1 4420"; the address family follows from the address).
 * Allocated. */
char *port_key(const struct nv_port *p);
/* Whether two ports are the same port (the same key). */
bool port_same(const struct nv_port *a, const struct nv_port *b);

#endif
