/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Run a plan against configfs. Every completed operation is journaled; on the first failure the
 * journal is undone in reverse so the live target is left as it was. A port link refused with
 * EADDRNOTAVAIL is not a failure: the port waits for its address (nvmetd completes it later). */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "opdeps.h"
#include "unit.h"
#include "util.h"

static int real_mkdir(void *ud, const char *p) { return mkdir(p, 0755) < 0 ? -errno : 0; }
static int real_rmdir(void *ud, const char *p) { return rmdir(p) < 0 ? -errno : 0; }
static int real_write(void *ud, const char *p, const char *v) { return write_attr(p, v); }
static int real_symlink(void *ud, const char *t, const char *l) { return symlink(t, l) < 0 ? -errno : 0; }
static int real_unlink(void *ud, const char *p) { return unlink(p) < 0 ? -errno : 0; }

const struct cfs_ops cfs_real = {
	.mkdir = real_mkdir, .rmdir = real_rmdir, .write = real_write,
	.symlink = real_symlink, .unlink = real_unlink,
};

/* Apply (or, with inverse, undo) one operation. */
static int run(const struct cfs_ops *ops, const char *root, const struct op *o, bool inverse)
{
	_cleanup_free_ char *p = path_join(root, o->path);
	_cleanup_free_ char *t = o->value && (o->type == OP_LINK || o->type == OP_UNLINK) ? path_join(root, o->value) : NULL;
	int r;

	switch (o->type) {
	case OP_MKDIR:
		return inverse ? ops->rmdir(ops->ud, p) : ops->mkdir(ops->ud, p);
	case OP_RMDIR:
		if (!inverse)
			return ops->rmdir(ops->ud, p);
		r = ops->mkdir(ops->ud, p);
		/* write back what the directory held; "enable" last */
		for (int pass = 0; pass < 2 && r == 0; pass++)
			for (size_t i = 0; i < o->restore.n && r == 0; i++) {
				_cleanup_free_ char *ap = NULL;
				if (streq(o->restore.v[i].name, "enable") != (pass == 1))
					continue;
				ap = path_join(p, o->restore.v[i].name);
				r = ops->write(ops->ud, ap, o->restore.v[i].value);
				if (r == -ENOENT)
					r = 0;
			}
		return r;
	case OP_WRITE:
		if (inverse)
			return o->old ? ops->write(ops->ud, p, o->old) : 0;
		return ops->write(ops->ud, p, o->value);
	case OP_LINK:
		return inverse ? ops->unlink(ops->ud, p) : ops->symlink(ops->ud, t, p);
	case OP_UNLINK:
		return inverse ? ops->symlink(ops->ud, t, p) : ops->unlink(ops->ud, p);
	}
	return -EINVAL;
}

/* What an administrator should do about a failure. */
static const char *hint(const struct op *o, int err)
{
	const char *base = strrchr(o->path, '/');

	base = base ? base + 1 : o->path;
	if (o->type == OP_WRITE && streq(base, "enable") && (err == -ENODEV || err == -ENOENT || err == -ENXIO))
		return "is the SSD bound to the nvme driver, or does the backing file exist?";
	if (o->type == OP_WRITE && !strncmp(base, "dhchap_", 7) && err == -ENOENT)
		return "this kernel has no DH-HMAC-CHAP (CONFIG_NVME_TARGET_AUTH is off, as in Debian's 6.1 kernel)";
	if (o->type == OP_WRITE && streq(base, "addr_tsas") && err == -ENOENT)
		return "this kernel has no NVMe/TCP TLS (CONFIG_NVME_TARGET_TCP_TLS is off, as in Debian's 6.1 kernel): "
		       "remove the tls word or boot a kernel with it (Debian's 6.12)";
	if (o->type == OP_WRITE && streq(base, "addr_tsas") && err == -EINVAL)
		return "the kernel refused TLS 1.3 on this port: CONFIG_NVME_TARGET_TCP_TLS is off, or the .nvme keyring "
		       "(nvme-keyring module) was missing when the port was made (see dmesg)";
	if (o->type == OP_WRITE && attr_is_secret(o->path) && err == -EINVAL)
		return "the kernel refused the secret (see dmesg); make one with nvme gen-dhchap-key";
	if (o->type == OP_WRITE && streq(base, "enable") && err == -EROFS)
		return "its filesystem is mounted read-only: remount it rw (mount -o remount,rw) or use another file";
	if (o->type == OP_WRITE && streq(base, "enable") && (err == -EACCES || err == -EPERM))
		return "the kernel may not open it for writing (permissions, immutable file, or a security module)";
	if (o->type == OP_WRITE && streq(base, "enable") && err == -EINVAL)
		return "a file-backed namespace needs a filesystem with O_DIRECT (not tmpfs before Linux 6.6); "
		       "use a block device, e.g. losetup";
	if (o->type == OP_WRITE && streq(base, "enable") && err == -EBUSY)
		return "is the device mounted or in use by something else?";
	if (o->type == OP_WRITE && (streq(base, "attr_serial") || streq(base, "attr_model") ||
				    streq(base, "attr_version") || streq(base, "attr_firmware")) && err == -EINVAL)
		return "the kernel keeps identity attributes fixed once a host has discovered the subsystem; "
		       "remove and recreate the subsystem to change it";
	if (o->type == OP_WRITE && err == -EACCES && strncmp(o->path, "ports/", 6) == 0)
		return "the port is enabled: unlink its subsystems first";
	if (o->type == OP_LINK && o->port_link && err == -EINVAL)
		return "the transport refused the port's settings (queue size, inline data size); see dmesg";
	if (o->type == OP_LINK && o->port_link && err == -EPROTONOSUPPORT)
		return "the transport module is not loaded (modprobe nvmet-rdma or nvmet-tcp)";
	if (o->type == OP_RMDIR && err == -ENOTEMPTY)
		return "something outside nvmetcfg still links to it";
	return NULL;
}

static char *describe(const struct op *o, int err)
{
	const char *h = hint(o, err);
	const char *base = strrchr(o->path, '/');
	char *what;

	base = base ? base + 1 : o->path;
	switch (o->type) {
	case OP_WRITE:
		if (attr_is_secret(o->path))
			what = xasprintf("%s: %s = (secret from %s)", o->obj, base, o->why ? o->why : "?");
		else if (o->device && streq(base, "enable"))
			what = xasprintf("%s: %s", o->obj, o->device);
		else
			what = xasprintf("%s: %s = %s", o->obj, base, o->value);
		break;
	case OP_LINK:
		what = xasprintf("%s: link %s", o->obj, o->value);
		break;
	case OP_UNLINK:
		what = xasprintf("%s: unlink %s", o->obj, o->value);
		break;
	default:
		what = xasprintf("%s: %s %s", o->obj, op_name(o->type), o->path);
	}
	char *msg = xasprintf("%s: %s%s%s", what, strerror(-err), h ? " — " : "", h ? h : "");
	free(what);
	return msg;
}

static bool port_waiting(const struct exec_result *r, unsigned id)
{
	for (size_t i = 0; i < r->nwaiting; i++)
		if (r->waiting[i].id == id)
			return true;
	return false;
}

bool op_affects(const struct op *o, const char *unit)
{
	if (path_under(o->path, unit))
		return true;
	if ((o->type == OP_LINK || o->type == OP_UNLINK) && o->value && path_under(o->value, unit))
		return true;
	/* removing the subsystem of a namespace that stays (or a port) cannot succeed */
	return o->type == OP_RMDIR && path_under(unit, o->path);
}

/* An object failed: is o one of its own operations (undone with it), or one that cannot be done
 * without it (a link to it when it was to be created, the rmdir of its parent)? Links from other
 * objects to an object that exists stay theirs: a port that moves keeps serving a subsystem whose
 * attribute change failed (as it was). */
static bool failed_blocks(const struct op *o, const struct exec_failure *f)
{
	if (path_under(o->path, f->unit) || (o->type == OP_RMDIR && path_under(f->unit, o->path)))
		return true;
	return f->gone && o->type == OP_LINK && o->value && path_under(o->value, f->unit);
}

static bool held(const struct exec_opts *eo, const struct exec_result *res, const struct op *o)
{
	for (size_t k = 0; k < eo->nheld; k++)
		if (op_affects(o, eo->held[k]))
			return true;
	for (size_t k = 0; k < res->nfailed; k++)
		if (failed_blocks(o, &res->failed[k]))
			return true;
	return false;
}

/* Undo, in reverse, the done operations among ops[0..i) of object unit (all of them for NULL). */
static void undo(const struct cfs_ops *ops, const char *root, const struct plan *p, size_t i, bool *done,
		 const char *unit, struct exec_result *res)
{
	while (i-- > 0) {
		const struct op *o = &p->ops[i];
		int u;

		if (!done[i] || (unit && !path_under(o->path, unit)))
			continue; /* skipped, waiting or another object's: nothing to undo here */
		done[i] = false;
		res->writes--;
		u = run(ops, root, o, true);
		if (u < 0) {
			_cleanup_free_ char *m = describe(o, u);
			*(char **)array_push(&res->errors, &res->nerrors, sizeof(char *)) = xasprintf("rollback: %s", m);
			res->rollback_failed = true;
		}
	}
}

/* ---- the dispatcher ----
 * One thread (the caller's) owns the journal: it starts operations whose predecessors have finished
 * (opdeps.h) and whose phase is open, lowest plan index first, at most jobs in flight, and handles
 * each result as it is reported. Only the runner's workers make configfs calls besides it. */

enum op_state { ST_PENDING, ST_RUNNING, ST_DONE, ST_ABSENT, ST_WAIT, ST_HELD, ST_FAILED };

/* a min-heap of operation indices: ready operations start in plan order */
struct heap {
	size_t *v, n;
};

static void heap_push(struct heap *h, size_t x)
{
	size_t k = h->n++;

	while (k && h->v[(k - 1) / 2] > x) {
		h->v[k] = h->v[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	h->v[k] = x;
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->v[0], x = h->v[--h->n], k = 0;

	for (;;) {
		size_t c = 2 * k + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (h->v[c] >= x)
			break;
		h->v[k] = h->v[c];
		k = c;
	}
	if (h->n)
		h->v[k] = x;
	return top;
}

struct dispatch {
	const struct cfs_ops *ops;
	const char *root;
	const struct plan *p;
	const struct exec_opts *eo;
	struct exec_result *res;
	struct op_graph g;
	enum op_state *st;
	bool *done;			/* journal: done and not undone */
	struct heap ready;
	size_t *left;			/* per phase: operations not finished */
	unsigned phase;			/* the open phase */
	size_t nphases;
	size_t cursor;			/* verbose: operations before it are printed */
	size_t failed_at;		/* the first failure (without keep_going), or SIZE_MAX */
	int err;
	bool interrupted;		/* eo->stop was seen raised */
	size_t inflight;		/* started and not reported */
};

static int run_forward(void *arg, size_t i)
{
	struct dispatch *d = arg;
	return run(d->ops, d->root, &d->p->ops[i], false);
}

/* Print, in plan order, what has finished since the last call (verbose). */
static void print_progress(struct dispatch *d, bool all)
{
	for (; d->cursor < d->p->n; d->cursor++) {
		const struct op *o = &d->p->ops[d->cursor];
		enum op_state s = d->st[d->cursor];

		if (s == ST_PENDING || s == ST_RUNNING) {
			if (!all)
				break;
			continue;
		}
		if (s == ST_DONE)
			plan_print(&(struct plan){ .ops = (struct op *)o, .n = 1 }, stdout);
		else if (s == ST_WAIT)
			printf("  wait   %s (address not available yet)\n", o->path);
	}
}

/* Operation i is over (done, skipped, waiting, failed alone): its successors may become ready. */
static void finish(struct dispatch *d, size_t i)
{
	const struct op *o = &d->p->ops[i];

	d->left[o->phase]--;
	while (d->phase < d->nphases && !d->left[d->phase])
		d->phase++;
	for (size_t k = d->g.off[i]; k < d->g.off[i + 1]; k++)
		if (!--d->g.npred[d->g.succ[k]])
			heap_push(&d->ready, d->g.succ[k]);
}

/* The result r of operation i. */
static void handle(struct dispatch *d, size_t i, int r)
{
	const struct op *o = &d->p->ops[i];
	struct exec_result *res = d->res;

	if (r == -ENOENT && o->type == OP_WRITE && o->optional) {
		*(char **)array_push(&res->warnings, &res->nwarnings, sizeof(char *)) =
			xasprintf("%s: this kernel has no %s; %s not applied", o->obj, strrchr(o->path, '/') + 1,
				  o->why ? o->why : "");
		d->st[i] = ST_ABSENT;
	} else if (r == -EADDRNOTAVAIL && o->type == OP_LINK && o->port_link) {
		unsigned id = strtoul(o->path + 6, NULL, 10);
		if (!port_waiting(res, id)) {
			struct waiting_port *w = array_push(&res->waiting, &res->nwaiting, sizeof(*w));
			w->id = id;
		}
		d->st[i] = ST_WAIT;
	} else if (r < 0 && d->eo->keep_going) {
		/* this object alone goes back to how it was; the plan goes on without it (what depends
		 * on it has not started: it waits for this operation) */
		struct exec_failure *f = array_push(&res->failed, &res->nfailed, sizeof(*f));
		f->unit = unit_of_path(o->path);
		f->obj = xstrdup(o->obj);
		f->err = r;
		f->msg = describe(o, r);
		/* made by this plan: after the undo it does not exist, and nothing may link to it */
		for (size_t k = 0; k < d->p->n && !f->gone; k++)
			f->gone = d->p->ops[k].type == OP_MKDIR && streq(d->p->ops[k].path, f->unit);
		undo(d->ops, d->root, d->p, i, d->done, f->unit, res);
		if (!res->errmsg)
			res->errmsg = xstrdup(f->msg);
		d->st[i] = ST_FAILED;
	} else if (r < 0) {
		d->st[i] = ST_FAILED;
		if (d->failed_at == SIZE_MAX) {
			d->failed_at = i;
			d->err = r;
		} else {
			/* in flight when the first one failed: said, and undone with the rest */
			*(char **)array_push(&res->errors, &res->nerrors, sizeof(char *)) = describe(o, r);
		}
		return;	/* nothing more starts */
	} else {
		d->st[i] = ST_DONE;
		d->done[i] = true;
		res->writes++;
	}
	finish(d, i);
}

/* Whether nothing more may start: a failure (without keep_going), or the caller's stop flag (an
 * interruption: it is checked before each operation starts). */
static bool stopping(struct dispatch *d)
{
	if (!d->interrupted && d->eo->stop && *d->eo->stop)
		d->interrupted = true;
	return d->failed_at != SIZE_MAX || d->interrupted;
}

/* Run the plan: start what may start (ready, in the open phase, a slot free, nothing stopping it),
 * handle each result as it is reported, until nothing is in flight and nothing more starts. With
 * verbose, each operation is printed (in plan order) as soon as it and those before it are over. */
static void dispatch_run(struct dispatch *d, const struct exec_runner *rn, void *pool, unsigned jobs,
			 bool concurrent_ok)
{
	const struct plan *p = d->p;

	for (;;) {
		while (d->ready.n && p->ops[d->ready.v[0]].phase <= d->phase && d->inflight < jobs && !stopping(d)) {
			size_t i = heap_pop(&d->ready);
			const struct op *o = &p->ops[i];
			int r;

			if (held(d->eo, d->res, o)) {
				d->res->held_ops++;
				d->st[i] = ST_HELD;
				finish(d, i);
				continue;
			}
			d->st[i] = ST_RUNNING;
			if (rn->submit(pool, i, concurrent_ok && op_waits(o), &r))
				handle(d, i, r);
			else
				d->inflight++;
			if (d->eo->verbose)
				print_progress(d, false);
		}
		if (!d->inflight)
			break;
		{
			int r;
			size_t i = rn->wait(pool, &r);
			d->inflight--;
			handle(d, i, r);
		}
		if (d->eo->verbose)
			print_progress(d, false);
	}
}

static void dispatch_init(struct dispatch *d, const struct plan *p)
{
	d->st = xcalloc(p->n + 1, sizeof(enum op_state));
	d->done = xcalloc(p->n + 1, sizeof(bool));
	d->ready.v = xcalloc(p->n + 1, sizeof(size_t));
	d->failed_at = SIZE_MAX;
	op_graph_build(p, &d->g);
	for (size_t i = 0; i < p->n; i++)
		d->nphases = p->ops[i].phase + 1 > d->nphases ? p->ops[i].phase + 1 : d->nphases;
	d->left = xcalloc(d->nphases + 1, sizeof(size_t));
	for (size_t i = 0; i < p->n; i++) {
		d->left[p->ops[i].phase]++;
		if (!d->g.npred[i])
			heap_push(&d->ready, i);
	}
	while (d->phase < d->nphases && !d->left[d->phase])
		d->phase++;
}

static void dispatch_free(struct dispatch *d)
{
	op_graph_free(&d->g);
	free(d->st);
	free(d->done);
	free(d->ready.v);
	free(d->left);
}

int plan_execute(const struct cfs_ops *ops, const char *root, const struct plan *p, const struct exec_opts *eo,
		 struct exec_result *res)
{
	static const struct exec_opts none = { 0 };
	const struct exec_runner *rn;
	unsigned jobs;
	size_t waits = 0;
	void *pool;
	int r = 0;

	if (!eo)
		eo = &none;
	rn = eo->runner ? eo->runner : &exec_threads;
	jobs = eo->jobs ? eo->jobs : EXEC_JOBS_DEFAULT;
	memset(res, 0, sizeof(*res));

	struct dispatch d = { .ops = ops, .root = root, .p = p, .eo = eo, .res = res };
	dispatch_init(&d, p);
	/* a thread pays only when two waits can overlap: a plan with fewer runs all on this thread */
	for (size_t i = 0; i < p->n && waits < 2; i++)
		waits += op_waits(&p->ops[i]);
	pool = rn->open(rn, jobs, run_forward, &d);
	dispatch_run(&d, rn, pool, jobs, jobs > 1 && waits >= 2);
	rn->close(pool);
	if (eo->verbose)
		print_progress(&d, true);

	res->interrupted = d.interrupted;
	if (d.failed_at != SIZE_MAX || d.interrupted) {
		r = d.failed_at != SIZE_MAX ? d.err : -EINTR;
		res->errmsg = d.failed_at != SIZE_MAX ? describe(&p->ops[d.failed_at], r)
						      : xstrdup("interrupted: nothing more was started");
		/* Undo in reverse plan order what was done (skipped and waiting ops changed nothing):
		 * whatever an operation needed was done before it started, so is undone after it. With
		 * keep_going, an interruption undoes the objects that succeeded as well. */
		undo(ops, root, p, p->n, d.done, NULL, res);
		res->writes = 0;
	} else if (d.ready.n || d.phase < d.nphases) {
		/* cannot happen: every operation's predecessors come before it in the plan */
		res->errmsg = xasprintf("executor: %zu operations never became ready", d.ready.n);
		r = -EDEADLK;
	}
	dispatch_free(&d);
	return r;
}

void exec_result_free(struct exec_result *r)
{
	for (size_t i = 0; i < r->nwaiting; i++)
		free(r->waiting[i].reason);
	free(r->waiting);
	for (size_t i = 0; i < r->nfailed; i++) {
		free(r->failed[i].unit);
		free(r->failed[i].obj);
		free(r->failed[i].msg);
	}
	free(r->failed);
	free(r->errmsg);
	strv_free(r->errors, r->nerrors);
	strv_free(r->warnings, r->nwarnings);
	memset(r, 0, sizeof(*r));
}
