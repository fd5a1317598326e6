/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Executing a plan with a journal: everything done is undone when an operation fails (the whole
 * plan, or with keep_going the failing object alone). Independent operations run side by side. */
#ifndef NVMET_EXEC_H
#define NVMET_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "plan.h"

/* A port the kernel could not make listen yet (its address or RDMA device is missing). */
struct waiting_port {
	unsigned id;
	char *reason;		/* why, for people: "192.168.20.200 is not configured on any interface yet" */
};

/* An object whose operation the kernel refused while executing with keep_going: its operations
 * were undone (alone), the rest of the plan went on. */
struct exec_failure {
	char *unit;		/* the object, as its configfs path: "subsystems/X/namespaces/1", "ports/2" */
	char *obj;		/* "subsystem X: namespace 1" */
	int err;		/* negative errno */
	char *msg;		/* "subsystem X: namespace 1: /f.img: Read-only file system — hint" */
	bool gone;		/* the plan was creating it: after the rollback it does not exist */
	bool frozen;		/* refused before execution (plan.refused): only a new configuration fixes it */
};

/* Runs the operations the executor starts, up to jobs at a time. submit() starts operation i: it
 * may run it at once (returns 1, its result in *r) or leave it running (returns 0); wait() blocks
 * until one left running has finished and reports it. The executor marks `concurrent` the
 * operations worth running side by side (op_waits). exec_threads runs those on a pool of threads
 * and the others at once; tests supply a runner that finishes them in an order they choose. */
struct exec_runner {
	void *(*open)(const struct exec_runner *self, unsigned jobs, int (*fn)(void *arg, size_t i), void *arg);
	int (*submit)(void *pool, size_t i, bool concurrent, int *r);
	size_t (*wait)(void *pool, int *r);
	void (*close)(void *pool);
	void *ud;
};
extern const struct exec_runner exec_threads;

/* Operations in flight at most, by default. Measured in the Debian 6.12 guest (qemu TCG, 2 vCPUs;
 * bench/run.sh --jobs-sweep): clearing 1000 subsystems, one namespace each, took nvmetcfg 21.2 s one
 * at a time, 6.3 s with 4, 4.0 s with 8, 2.5 s with 16, 1.8 s with 32 and 1.9 s with 64 (the floor
 * keeps gaining, 0.8 -> 0.5 s, but nvmetcfg's own reading of the tree dominates by then). The waits
 * are the kernel's (reference drains, RCU grace periods), not CPU work, so the number does not
 * follow the CPU count. */
#define EXEC_JOBS_DEFAULT 32
#define EXEC_JOBS_MAX 256

struct exec_opts {
	bool verbose;		/* print each operation to stdout as soon as it and those before it in
				 * the plan are over (plan order, whatever order they finished in) */
	bool keep_going;	/* a failure rolls back its object only (nvmetd), not the whole plan */
	char *const *held;	/* objects (unit paths) whose operations are not started this time */
	size_t nheld;
	unsigned jobs;		/* operations in flight at most: 0 = EXEC_JOBS_DEFAULT, 1 = one at a time */
	const struct exec_runner *runner;	/* NULL = exec_threads */
	const volatile sig_atomic_t *stop;	/* NULL, or a flag a signal handler raises: checked before
						 * each operation starts; once raised, it is handled like a
						 * failure (nothing more starts, what is in flight finishes,
						 * everything done is undone, keep_going or not) */
};

struct exec_result {
	size_t writes;		/* configfs modifications made and kept */
	struct waiting_port *waiting;
	size_t nwaiting;
	char *errmsg;		/* "subsystem X: namespace 1: enable: No such device — hint" */
	char **errors;		/* what else failed, for people: operations in flight when the first
				 * failure came, each undo the kernel refused ("rollback: ...") */
	size_t nerrors;
	char **warnings;	/* what was left out: "subsystem X: this kernel has no attr_...; ... not applied" */
	size_t nwarnings;
	bool rollback_failed;	/* an undo failed (see errors): the target is partly applied */
	bool interrupted;	/* stopped by o->stop: everything done was undone (unless rollback_failed) */
	struct exec_failure *failed;	/* keep_going: the objects that failed (rolled back alone) */
	size_t nfailed;
	size_t held_ops;	/* operations not started because their object was held or had failed */
};

/* The filesystem calls a plan is executed with: the real ones, or a test double that behaves like
 * configfs (creates default groups and attributes on mkdir, can fail on demand). Paths are absolute;
 * functions return 0 or -errno. */
struct cfs_ops {
	int (*mkdir)(void *ud, const char *path);
	int (*rmdir)(void *ud, const char *path);
	int (*write)(void *ud, const char *path, const char *value);
	int (*symlink)(void *ud, const char *target, const char *linkpath);
	int (*unlink)(void *ud, const char *path);
	void *ud;
};
extern const struct cfs_ops cfs_real;

/* Returns 0 or the first failure's -errno (-EINTR when o->stop was raised and nothing failed).
 * Operations on independent objects may run side by side (opdeps.h); on the first failure (or the
 * stop flag) nothing more is started, what is in flight finishes, and every operation done is
 * undone, in reverse plan order. With keep_going, failures are collected in res->failed and 0 is
 * returned: what could be applied was. Nothing is logged: every message is in res. */
int plan_execute(const struct cfs_ops *ops, const char *nvmet_root, const struct plan *p,
		 const struct exec_opts *o, struct exec_result *res);

/* Whether operation o touches object unit (unit.h): it lies under it, links to it, or
 * removes a directory that contains it. */
bool op_affects(const struct op *o, const char *unit);
void exec_result_free(struct exec_result *r);

#endif
