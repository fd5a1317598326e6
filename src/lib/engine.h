/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The straight line: nvmf.conf -> desired model; configfs -> live model; diff -> plan -> execute.
 * nvmetcfg runs it once, nvmetd at start and on reload. */
#ifndef NVMET_ENGINE_H
#define NVMET_ENGINE_H

#include "nvmet.h"
#include "exec.h"
#include "tlskeys.h"

enum resolve_mode {
	RESOLVE_NONE,		/* parse only */
	RESOLVE_STRICT,		/* a missing device is an error; RAM disks only described (plan, check) */
	RESOLVE_APPLY,		/* as strict, and [Malloc] RAM disks are made (apply) */
	RESOLVE_TOLERANT,	/* a missing device disables its namespace (nvmetd, hotplug) */
};

/* Parse the config and resolve its devices. Problems go to rep. */
int engine_load(struct nv_ctx *c, const char *path, enum resolve_mode resolve, struct nv_config **cfg,
		struct nv_report *rep);

/* Resolve a loaded config's devices as engine_load does (RESOLVE_NONE: nothing). */
int engine_resolve(struct nv_ctx *c, struct nv_config *cfg, enum resolve_mode resolve, struct nv_report *rep);

/* Where engine_apply's error came from. */
enum apply_stage {
	APPLY_OK = 0,		/* no error */
	APPLY_PREPARE,		/* the kernel target could not be prepared or read (module, configfs mount, the
				 * live tree): nothing was changed */
	APPLY_UNSUPPORTED,	/* the kernel lacks what the config asks for (DH-HMAC-CHAP, TLS, a discovery
				 * NQN), or nvmetd's libraries do (libnvme for TLS): nothing was changed */
	APPLY_REFUSED,		/* the config asks an existing object for a change the kernel will not make
				 * (a frozen serial number, plan.refused): nothing was changed */
	APPLY_EXECUTE,		/* executing the plan: an operation the kernel refused, whatever its errno, or
				 * the stop flag (exec.interrupted); what was done is undone, all of it unless
				 * exec.rollback_failed */
};

struct apply_result {
	struct plan plan;	/* plan.notes: what the plan leaves out (for the caller to print) */
	struct exec_result exec;	/* exec.errors, exec.warnings: more for the caller to print */
	struct tls_plan keys;	/* the .nvme keyring's changes (TLS PSKs), beside the plan */
	enum apply_stage failed_in;	/* where the error came from; APPLY_OK when engine_apply returned 0 */
	char *errmsg;		/* why engine_apply failed, for people: the failing operation ("subsystem X:
				 * namespace 1: enable: No such device — hint") or why the target could not be
				 * used; NULL on success */
	char **warnings;	/* applied, with reservations: a transport module that did not load, a
				 * [Discovery] NQN this kernel cannot take (keep_going) */
	size_t nwarnings;
};

struct apply_opts {
	bool dry_run;		/* build the plan only */
	bool verbose;		/* print each operation to stdout as it is done (exec_opts.verbose) */
	bool keep_going;	/* a failing object is rolled back alone and the rest applied (nvmetd's way);
				 * without it the first failure rolls back everything (a human's transaction) */
	char *const *held;	/* objects not to touch this time (configfs paths, see unit.h) */
	size_t nheld;
	const volatile sig_atomic_t *stop;	/* NULL, or a flag a signal handler raises: the apply stops
						 * and undoes everything it did (exec_opts.stop) */
};

/* Bring the kernel to `desired` (NULL = empty: clear). Returns 0 when it was applied — still, some ports
 * may wait (res->exec.nwaiting, each with its reason) and with keep_going some objects may have
 * failed alone (res->exec.failed) — or -errno, with res->failed_in saying where it came from and
 * res->errmsg why: -EOPNOTSUPP when the kernel lacks what the config needs, the failing operation's
 * error (-EINTR: stopped), or why the target could not be read or prepared. Nothing is logged or
 * printed but the verbose progress: the caller reports res. */
int engine_apply(struct nv_ctx *c, struct nv_model *desired, const struct apply_opts *o, struct apply_result *res);
void apply_result_free(struct apply_result *r);

/* Unlink every subsystem from live port dp->id and link desired's (dp->subsys) again: what brings an
 * RDMA port back after its RDMA device went away and returned (the kernel does not re-listen by
 * itself). Reads the port's own links, not the tree. The first link, which enables the port, goes
 * alone: when it fails (the device went again) nothing more is tried and the port is left unlinked
 * for the next relink. Returns 0, -EADDRNOTAVAIL or -ENODEV (not back), or -errno. */
int engine_relink_port(struct nv_ctx *c, const struct nv_port *dp, struct exec_result *res);

/* nvmetcfg drain / resume: record (or drop) the drain of every port at address key ("10.0.0.1:4420",
 * see drain.h) and write their ANA group 1 state: inaccessible, or on resume the state desired gives
 * that address (optimized where it gives none). One journaled write per port that needs it; the
 * ports touched are listed in *ports ("port 1 (tcp ipv4 10.0.0.1 4420): optimized -> inaccessible").
 * Of o, verbose and stop count (o may be NULL). Returns 0, -ENOENT when no live port has that
 * address, or -errno (the writes undone and the record as it was). */
int engine_drain(struct nv_ctx *c, const char *key, bool drain, const struct nv_model *desired,
		 const struct apply_opts *o, struct exec_result *res, char ***ports, size_t *nports);

/* Only the ANA group states of desired's ports (ids from the last engine_apply), as port_ana_target()
 * gives them after drains and the role: one read per port, one journaled write per port whose state
 * differs (nvmetd, when nothing but a port's health changed). Returns 0 (res->writes says how many),
 * -ENOENT or -ESTALE when a port is not in the live tree as that id (a whole apply is needed), or the
 * write's -errno (undone). */
int engine_port_ana(struct nv_ctx *c, struct nv_model *desired, const struct apply_opts *o, struct exec_result *res);
/* Explain why a port is waiting ("192.168.20.200 is not configured on any interface"). */
char *engine_port_reason(const struct nv_port *p);

#endif
