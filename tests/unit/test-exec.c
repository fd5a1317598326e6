/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The concurrent executor. A scripted runner (the exec_runner seam) keeps every operation the
 * executor starts in flight and finishes them in an order the test chooses — first in first out,
 * last in first out, the failing one last, seeded random orders — so each interleaving is forced,
 * not hoped for. Against a fake configfs, for a clear, a change of every namespace's backing file
 * and a fresh apply, with a failure injected at every operation under every order:
 *   - no operation starts after the executor has seen the failure, at most jobs are in flight;
 *   - no operation starts before the ones it must follow (an independent pairwise reference: same
 *     object, an object and its namespaces, a link and what it points at, an earlier phase) have
 *     finished;
 *   - the tree is byte-identical to before (rollback), or with keep_going the failed object alone is
 *     as before and everything else is applied;
 *   - without a failure the tree is the one the sequential executor builds.
 * Then the same with the real thread pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "exit.h"
#include "faketree.h"
#include "opdeps.h"
#include "util.h"

enum order { FIFO, LIFO, FAILING_LAST, RANDOM };

/* The scripted runner: what it was asked to do, and in which order it finished things. */
struct script {
	enum order order;
	unsigned seed;
	unsigned jobs;
	struct faketree *t;
	int (*fn)(void *arg, size_t i);
	void *arg;
	size_t *inflight, ninflight;
	size_t max_inflight;
	size_t seq;			/* events so far */
	size_t *started, *finished;	/* per plan operation: event number, 0 = never */
	size_t cap;
	bool failure_seen;		/* reported a failure to the executor */
	size_t started_after_failure;
	const volatile sig_atomic_t *stop;	/* the apply's stop flag: nothing may start once it is up */
	size_t started_after_stop;
};

static void *s_open(const struct exec_runner *self, unsigned jobs, int (*fn)(void *arg, size_t i), void *arg)
{
	struct script *s = self->ud;

	s->fn = fn;
	s->arg = arg;
	s->jobs = jobs;
	return s;
}

static void grow(struct script *s, size_t i)
{
	if (i < s->cap)
		return;
	size_t cap = (i + 1) * 2;
	s->started = xrealloc(s->started, cap * sizeof(size_t));
	s->finished = xrealloc(s->finished, cap * sizeof(size_t));
	memset(s->started + s->cap, 0, (cap - s->cap) * sizeof(size_t));
	memset(s->finished + s->cap, 0, (cap - s->cap) * sizeof(size_t));
	s->cap = cap;
}

/* Everything is left in flight, whatever the executor would run at once: more interleavings than
 * the thread pool ever makes. */
static int s_submit(void *p, size_t i, bool concurrent, int *r)
{
	struct script *s = p;

	(void)concurrent;
	grow(s, i);
	s->started[i] = ++s->seq;
	if (s->failure_seen)
		s->started_after_failure++;
	if (s->stop && *s->stop)
		s->started_after_stop++;
	*(size_t *)array_push(&s->inflight, &s->ninflight, sizeof(size_t)) = i;
	if (s->ninflight > s->max_inflight)
		s->max_inflight = s->ninflight;
	return 0;
}

static size_t s_wait(void *p, int *r)
{
	struct script *s = p;
	size_t k = 0, i;

	assert_true(s->ninflight > 0);
	switch (s->order) {
	case FIFO:
		k = 0;
		break;
	case LIFO:
		k = s->ninflight - 1;
		break;
	case FAILING_LAST:
		/* in order, but the operation that is going to fail waits until it is alone */
		k = 0;
		if (s->ninflight > 1 && s->t->fail_at && s->t->calls + 1 == s->t->fail_at)
			k = 1;
		break;
	case RANDOM:
		s->seed = s->seed * 1103515245u + 12345u;
		k = (s->seed >> 16) % s->ninflight;
		break;
	}
	i = s->inflight[k];
	memmove(s->inflight + k, s->inflight + k + 1, (s->ninflight - k - 1) * sizeof(size_t));
	s->ninflight--;
	*r = s->fn(s->arg, i);	/* the operation happens now, between the others' */
	s->finished[i] = ++s->seq;
	if (*r < 0)
		s->failure_seen = true;
	return i;
}

static void s_close(void *p) { assert_int_equal(((struct script *)p)->ninflight, 0); }

struct env {
	struct faketree *t;
	struct nv_ctx *c;
	char *dir;
};

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));

	e->t = faketree_new(true);
	e->c = faketree_ctx(e->t);
	e->dir = xstrdup(e->t->root);
	for (int i = 0; i < 16; i++) {
		_cleanup_free_ char *f = xasprintf("%s/d%d.img", e->dir, i);
		faketree_disk(f);
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	ctx_free(e->c);
	faketree_free(e->t);
	free(e->dir);
	free(e);
	return 0;
}

/* n subsystems with two namespaces each on files d<off+2i>, d<off+2i+1>; one with a host ACL; two
 * ports. */
static char *conf(struct env *e, int n, int off)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fputs("[AIO]\n", f);
	for (int i = 0; i < 2 * n; i++)
		fprintf(f, "  AIO %s/d%d.img AIO%d\n", e->dir, (i + off) % 16, i);
	for (int i = 0; i < n; i++) {
		fprintf(f, "[Subsystem%d]\n  NQN nqn.x:s%d\n  Listen TCP 10.0.0.1:4420\n  Namespace AIO%d 1\n"
			   "  Namespace AIO%d 2\n", i + 1, i, 2 * i, 2 * i + 1);
		if (i == 1)
			fputs("  Listen RDMA 10.0.0.2:4420\n  AllowAnyHost No\n  Host nqn.h:1\n", f);
		else
			fputs("  AllowAnyHost Yes\n", f);
	}
	fclose(f);
	return out;
}

static struct nv_config *load(struct env *e, const char *text)
{
	struct nv_config *cfg = faketree_load(e->c, text);

	assert_non_null(cfg);
	return cfg;
}

/* Apply text (NULL: clear) with the given runner and jobs; the plan is kept in *plan if asked. */
static int apply(struct env *e, const char *text, const struct exec_runner *rn, unsigned jobs, bool keep_going,
		 struct apply_result *keep)
{
	struct nv_config *cfg = text ? load(e, text) : NULL;
	struct apply_result res;
	int r;

	e->c->runner = rn;
	e->c->jobs = jobs;
	r = apply_exit(engine_apply(e->c, cfg ? cfg->model : NULL, &(struct apply_opts){ .keep_going = keep_going }, &res),
		       &res);
	e->c->runner = NULL;
	e->c->jobs = 0;
	if (keep)
		*keep = res;
	else
		apply_result_free(&res);
	spdkconf_free(cfg);
	return r;
}

/* The reference: must b (later in the plan) wait for a? Same object, one inside the other, a link
 * and what it points at, or an earlier phase. Pairwise, independent of opdeps.c. */
static bool must_follow(const struct op *a, const struct op *b)
{
	char *ua[2], *ub[2];
	size_t na, nb;
	bool r = a->phase != b->phase;

	na = op_touches(a, ua);
	nb = op_touches(b, ub);
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			r |= path_under(ua[i], ub[j]) || path_under(ub[j], ua[i]);
	for (size_t i = 0; i < na; i++)
		free(ua[i]);
	for (size_t j = 0; j < nb; j++)
		free(ub[j]);
	return r;
}

static void check_order(const struct script *s, const struct plan *p, const char *what)
{
	for (size_t b = 0; b < p->n && b < s->cap; b++) {
		if (!s->started[b])
			continue;
		for (size_t a = 0; a < b; a++)
			if (a < s->cap && s->started[a] && must_follow(&p->ops[a], &p->ops[b]) &&
			    !(s->finished[a] && s->finished[a] < s->started[b]))
				fail_msg("%s: %s %s started before %s %s had finished", what, op_name(p->ops[b].type),
					 p->ops[b].path, op_name(p->ops[a].type), p->ops[a].path);
	}
}


static const char *order_name(enum order o)
{
	static const char *const n[] = { "fifo", "lifo", "failing-last", "random" };
	return n[o];
}

/* One scenario: from the tree `base` builds, apply `next` (NULL: clear) failing the k-th call
 * (0: none) under each order; check the rules above. */
static void scenario(struct env *e, const char *base, const char *next, bool keep_going, const char *seq_snap)
{
	static const struct { enum order o; unsigned seed; } orders[] = {
		{ FIFO, 0 }, { LIFO, 0 }, { FAILING_LAST, 0 }, { RANDOM, 1 }, { RANDOM, 2 },
	};
	size_t n;

	{
		struct apply_result res;
		assert_int_equal(apply(e, base, NULL, 1, false, NULL), EXIT_OK);
		struct nv_config *cfg = next ? load(e, next) : NULL;
		assert_int_equal(engine_apply(e->c, cfg ? cfg->model : NULL, &(struct apply_opts){ .dry_run = true }, &res), 0);
		n = res.plan.n;
		apply_result_free(&res);
		spdkconf_free(cfg);
	}
	assert_true(n > 10);
	for (size_t oi = 0; oi < ARRAY_SIZE(orders); oi++)
		for (size_t k = 0; k <= n; k++) {
			struct script s = { .order = orders[oi].o, .seed = orders[oi].seed, .t = e->t };
			const struct exec_runner rn = { s_open, s_submit, s_wait, s_close, &s };
			_cleanup_free_ char *before = NULL, *after = NULL, *what = NULL;
			struct apply_result res;
			int r;

			assert_int_equal(apply(e, base, NULL, 1, false, NULL), EXIT_OK);
			before = faketree_snapshot(e->t);
			what = xasprintf("%s, failure at call %zu of %zu", order_name(s.order), k, n);
			e->t->calls = 0;
			e->t->fail_at = k;
			e->t->fail_err = EIO;
			r = apply(e, next, &rn, 4, keep_going, &res);
			e->t->fail_at = 0;
			after = faketree_snapshot(e->t);
			check_order(&s, &res.plan, what);
			if (s.max_inflight > 4)
				fail_msg("%s: %zu operations in flight, jobs is 4", what, s.max_inflight);
			if (k == 0) {
				assert_int_equal(r, EXIT_OK);
				if (strcmp(after, seq_snap))
					fail_msg("%s: not the tree the sequential executor builds:\n%s\nvs\n%s", what, after,
						 seq_snap);
			} else if (!keep_going) {
				assert_int_equal(r, EXIT_FAILED);
				assert_int_equal(res.exec.writes, 0);
				if (s.started_after_failure)
					fail_msg("%s: %zu operations started after the failure was seen", what,
						 s.started_after_failure);
				if (strcmp(before, after))
					fail_msg("%s: the tree was not rolled back:\n%s\nvs\n%s", what, before, after);
			} else {
				assert_int_equal(r, EXIT_PARTIAL);
				assert_int_equal(res.exec.nfailed, 1);
				const char *unit = res.exec.failed[0].unit;
				/* the failed object as before */
				_cleanup_free_ char *b = faketree_subtree(before, unit), *a = faketree_subtree(after, unit);
				if (strcmp(a, b))
					fail_msg("%s: %s is not as before:\n%s\nvs\n%s", what, unit, b, a);
				/* everything else applied: what is left to do concerns that object only */
				struct nv_config *cfg = next ? load(e, next) : NULL;
				struct apply_result again;
				assert_int_equal(engine_apply(e->c, cfg ? cfg->model : NULL, &(struct apply_opts){ .dry_run = true },
							      &again), 0);
				for (size_t i = 0; i < again.plan.n; i++)
					if (!op_affects(&again.plan.ops[i], unit))
						fail_msg("%s (%s): %s %s was not applied", what, unit,
							 op_name(again.plan.ops[i].type), again.plan.ops[i].path);
				apply_result_free(&again);
				spdkconf_free(cfg);
			}
			apply_result_free(&res);
			free(s.inflight);
			free(s.started);
			free(s.finished);
		}
}

/* The tree the sequential executor makes of base then next. */
static char *sequential(struct env *e, const char *base, const char *next)
{
	assert_int_equal(apply(e, base, NULL, 1, false, NULL), EXIT_OK);
	assert_int_equal(apply(e, next, NULL, 1, false, NULL), EXIT_OK);
	return faketree_snapshot(e->t);
}

static void test_clear(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf(e, 4, 0), *seq = sequential(e, base, NULL);

	scenario(e, base, NULL, false, seq);
}

static void test_change_every_namespace(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf(e, 4, 0), *next = conf(e, 4, 8), *seq = sequential(e, base, next);

	scenario(e, base, next, false, seq);
}

static void test_fresh_apply(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *next = conf(e, 3, 0), *seq = sequential(e, NULL, next);

	scenario(e, NULL, next, false, seq);
}

static void test_keep_going(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf(e, 3, 0), *next = conf(e, 4, 6), *seq = sequential(e, base, next);

	scenario(e, base, next, true, seq);
}

/* The real pool (threads, timing-dependent interleavings): whatever the order, a failure at any
 * call rolls the whole clear back and a clean run clears. */
static void test_thread_pool(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf(e, 4, 0), *before = NULL;
	int calls;

	assert_int_equal(apply(e, base, NULL, 1, false, NULL), EXIT_OK);
	before = faketree_snapshot(e->t);
	e->t->calls = 0;
	assert_int_equal(apply(e, NULL, NULL, 8, false, NULL), EXIT_OK);
	calls = e->t->calls;
	assert_true(calls > 12);
	for (int k = 1; k <= calls; k++) {
		_cleanup_free_ char *now = NULL;

		assert_int_equal(apply(e, base, NULL, 1, false, NULL), EXIT_OK);
		e->t->calls = 0;
		e->t->fail_at = k;
		e->t->fail_err = EIO;
		assert_int_equal(apply(e, NULL, NULL, 8, false, NULL), EXIT_FAILED);
		e->t->fail_at = 0;
		now = faketree_snapshot(e->t);
		if (strcmp(before, now))
			fail_msg("threads, failure at call %d: the tree was not rolled back:\n%s\nvs\n%s", k, before, now);
	}
}

/* Apply base, then the plan that would clear it, as plan prints it. */
static char *apply_then_plan_clear(struct env *e, const char *base)
{
	struct apply_result res;
	char *planned = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(apply(e, base, NULL, 1, false, NULL), EXIT_OK);
	assert_int_equal(engine_apply(e->c, NULL, &(struct apply_opts){ .dry_run = true }, &res), 0);
	f = open_memstream(&planned, &len);
	assert_non_null(f);
	plan_print(&res.plan, f);
	fclose(f);
	apply_result_free(&res);
	return planned;
}

/* -v under a last-in-first-out finish order: the operations are listed in plan order all the same
 * (what plan prints, line for line). */
static void test_verbose_in_plan_order(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf(e, 4, 0), *printed = NULL, *planned = NULL;
	struct script s = { .order = LIFO, .t = e->t };
	const struct exec_runner rn = { s_open, s_submit, s_wait, s_close, &s };
	char tmpl[] = "/tmp/nvmet-verbose.XXXXXX";
	struct apply_result res;
	int fd = mkstemp(tmpl), saved;

	assert_true(fd >= 0);
	planned = apply_then_plan_clear(e, base);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	e->c->runner = &rn;
	e->c->jobs = 4;
	assert_int_equal(engine_apply(e->c, NULL, &(struct apply_opts){ .verbose = true }, &res), 0);
	e->c->runner = NULL;
	e->c->jobs = 0;
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	apply_result_free(&res);
	assert_true(s.max_inflight > 1);	/* finished out of order indeed */
	assert_int_equal(read_file(tmpl, &printed, NULL), 0);
	unlink(tmpl);
	close(fd);
	assert_string_equal(printed, planned);
	free(s.inflight);
	free(s.started);
	free(s.finished);
}

/* A configfs double around the fake tree: each call first runs a hook (which may raise a signal,
 * or look at what -v has printed so far), then does what the fake configfs does. */
struct hooked {
	struct cfs_ops ops;
	const struct cfs_ops *inner;
	void (*hook)(struct hooked *h, int call);	/* call: 1, 2, ... */
	int calls;
	int at;			/* stop: the call that raises the signal */
	const char *out;	/* verbose: the file stdout goes to, and what plan prints */
	const char *planned;
	int late;		/* verbose: calls made before the operations done were printed */
};

static int h_mkdir(void *ud, const char *p)
{
	struct hooked *h = ud;
	h->hook(h, __atomic_add_fetch(&h->calls, 1, __ATOMIC_SEQ_CST));
	return h->inner->mkdir(h->inner->ud, p);
}

static int h_rmdir(void *ud, const char *p)
{
	struct hooked *h = ud;
	h->hook(h, __atomic_add_fetch(&h->calls, 1, __ATOMIC_SEQ_CST));
	return h->inner->rmdir(h->inner->ud, p);
}

static int h_write(void *ud, const char *p, const char *v)
{
	struct hooked *h = ud;
	h->hook(h, __atomic_add_fetch(&h->calls, 1, __ATOMIC_SEQ_CST));
	return h->inner->write(h->inner->ud, p, v);
}

static int h_symlink(void *ud, const char *t, const char *l)
{
	struct hooked *h = ud;
	h->hook(h, __atomic_add_fetch(&h->calls, 1, __ATOMIC_SEQ_CST));
	return h->inner->symlink(h->inner->ud, t, l);
}

static int h_unlink(void *ud, const char *p)
{
	struct hooked *h = ud;
	h->hook(h, __atomic_add_fetch(&h->calls, 1, __ATOMIC_SEQ_CST));
	return h->inner->unlink(h->inner->ud, p);
}

static void hook_install(struct env *e, struct hooked *h, void (*hook)(struct hooked *h, int call))
{
	h->inner = &e->t->ops;
	h->hook = hook;
	h->ops = (struct cfs_ops){ h_mkdir, h_rmdir, h_write, h_symlink, h_unlink, h };
	e->c->ops = &h->ops;
}

static volatile sig_atomic_t stop_flag;

static void on_term(int sig) { stop_flag = sig; }

/* The at-th call sends SIGTERM to the process, as kill(1) or Ctrl-C would (the handler raises the
 * apply's stop flag). Process-directed: whichever thread makes the call, the signal goes to one
 * that does not block it — the caller's, before kill returns when it makes the call itself; a pool
 * worker waits until the handler has run, so the call does not end before the signal is seen. */
static void hook_kill(struct hooked *h, int call)
{
	if (call == h->at) {
		kill(getpid(), SIGTERM);
		for (int i = 0; i < 100000 && !stop_flag; i++)
			usleep(10);
	}
}

/* B-2: SIGTERM in the middle of the plan, at every call in turn, under the scripted runner (every
 * order) and the thread pool, with and without keep_going: nothing starts once the flag is up, the
 * tree is byte-identical to before, the result says interrupted and the exit status is 6. */
static void test_stop_mid_plan(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf(e, 3, 0), *next = conf(e, 4, 6), *before = NULL;
	struct sigaction sa = { .sa_handler = on_term }, old;
	struct apply_result res;
	size_t n;

	sigaction(SIGTERM, &sa, &old);
	assert_int_equal(apply(e, base, NULL, 1, false, NULL), EXIT_OK);
	before = faketree_snapshot(e->t);
	{
		struct nv_config *cfg = load(e, next);
		assert_int_equal(engine_apply(e->c, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), 0);
		n = res.plan.n;
		apply_result_free(&res);
		spdkconf_free(cfg);
	}
	assert_true(n > 10);
	for (int variant = 0; variant < 4; variant++)
		for (size_t k = 1; k < n; k++) {
			struct script s = { .order = variant == 1 ? LIFO : RANDOM, .seed = (unsigned)k, .t = e->t,
					    .stop = &stop_flag };
			const struct exec_runner rn = { s_open, s_submit, s_wait, s_close, &s };
			struct hooked h = { .at = (int)k };
			struct nv_config *cfg = load(e, next);
			_cleanup_free_ char *after = NULL;
			bool keep_going = variant == 2;
			int r;

			stop_flag = 0;
			hook_install(e, &h, hook_kill);
			e->c->runner = variant == 3 ? NULL : &rn;	/* 3: the real pool */
			e->c->jobs = variant == 3 ? 8 : 4;
			r = engine_apply(e->c, cfg->model, &(struct apply_opts){ .keep_going = keep_going, .stop = &stop_flag },
					 &res);
			e->c->runner = NULL;
			e->c->jobs = 0;
			e->c->ops = &e->t->ops;
			assert_int_equal(stop_flag, SIGTERM);
			assert_int_equal(r, -EINTR);
			assert_true(res.exec.interrupted);
			assert_false(res.exec.rollback_failed);
			assert_int_equal(res.failed_in, APPLY_EXECUTE);
			assert_int_equal(res.exec.writes, 0);
			assert_int_equal(apply_exit(r, &res), EXIT_INTERRUPTED);
			assert_int_equal(s.started_after_stop, 0);
			after = faketree_snapshot(e->t);
			if (strcmp(before, after))
				fail_msg("variant %d, SIGTERM at call %zu of %zu: the tree was not rolled back:\n%s\nvs\n%s",
					 variant, k, n, before, after);
			apply_result_free(&res);
			spdkconf_free(cfg);
			free(s.inflight);
			free(s.started);
			free(s.finished);
		}
	sigaction(SIGTERM, &old, NULL);
}

/* -v: at each configfs call, what has been printed (flushed here) is every operation done so far,
 * in plan order: the planned listing's first calls-1 lines (one call per operation, one at a time). */
static void hook_printed(struct hooked *h, int call)
{
	_cleanup_free_ char *printed = NULL;
	size_t lines = 0;
	const char *end = h->planned;

	fflush(stdout);
	assert_int_equal(read_file(h->out, &printed, NULL), 0);
	for (int i = 0; i < call - 1 && end && *end; i++) {
		end = strchr(end, '\n');
		end = end ? end + 1 : NULL;
	}
	lines = end ? (size_t)(end - h->planned) : strlen(h->planned);
	if (strlen(printed) != lines || strncmp(printed, h->planned, lines))
		h->late++;
}

/* B-6: each operation is printed as it completes, not all at the end of the plan. */
static void test_verbose_as_done(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf(e, 4, 0), *printed = NULL, *planned = NULL;
	char tmpl[] = "/tmp/nvmet-verbose.XXXXXX";
	struct hooked h = { .out = tmpl };
	struct apply_result res;
	int fd = mkstemp(tmpl), saved;

	assert_true(fd >= 0);
	planned = apply_then_plan_clear(e, base);
	h.planned = planned;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	hook_install(e, &h, hook_printed);
	e->c->jobs = 1;
	assert_int_equal(engine_apply(e->c, NULL, &(struct apply_opts){ .verbose = true }, &res), 0);
	e->c->jobs = 0;
	e->c->ops = &e->t->ops;
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	apply_result_free(&res);
	assert_true(h.calls > 10);
	assert_int_equal(read_file(tmpl, &printed, NULL), 0);
	unlink(tmpl);
	close(fd);
	assert_string_equal(printed, planned);
	if (h.late)
		fail_msg("%d of %d configfs calls came before the operations done were printed", h.late, h.calls);
}

/* B-7: the exit status says where the error came from, not what its errno was. */
static void test_exit_status(void **state)
{
	struct apply_result r = { 0 };

	(void)state;
	r.failed_in = APPLY_EXECUTE;
	assert_int_equal(apply_exit(-EINVAL, &r), EXIT_FAILED);	/* the kernel refused, rolled back */
	assert_int_equal(apply_exit(-EIO, &r), EXIT_FAILED);
	r.exec.rollback_failed = true;
	assert_int_equal(apply_exit(-EINVAL, &r), EXIT_ROLLBACK);
	r.exec.interrupted = true;
	assert_int_equal(apply_exit(-EINTR, &r), EXIT_ROLLBACK);
	r.exec.rollback_failed = false;
	assert_int_equal(apply_exit(-EINTR, &r), EXIT_INTERRUPTED);
	r.exec.interrupted = false;
	r.failed_in = APPLY_UNSUPPORTED;
	assert_int_equal(apply_exit(-EOPNOTSUPP, &r), EXIT_CONFIG);
	r.failed_in = APPLY_PREPARE;
	assert_int_equal(apply_exit(-ENOENT, &r), EXIT_FAILED);
	assert_int_equal(apply_exit(-EINVAL, &r), EXIT_FAILED);
	r.failed_in = APPLY_OK;
	r.exec.nwaiting = 1;
	assert_int_equal(apply_exit(0, &r), EXIT_WAITING);
	r.exec.nfailed = 1;
	assert_int_equal(apply_exit(0, &r), EXIT_PARTIAL);
	r.exec.rollback_failed = true;	/* keep-going: a failed object's undo failed too */
	assert_int_equal(apply_exit(0, &r), EXIT_ROLLBACK);
	assert_true(EXIT_ROLLBACK != EXIT_INTERRUPTED && EXIT_ROLLBACK > EXIT_PARTIAL && EXIT_INTERRUPTED > EXIT_PARTIAL);
}

/* B-7 through the engine: a kernel EINVAL while executing is rolled back (1, not the config error
 * 2); when the undos fail too the status is 5 and each failed undo is in the result, not logged. */
static void test_exit_status_applied(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf(e, 3, 0), *next = conf(e, 4, 6), *before = NULL;
	struct apply_result res;

	assert_int_equal(apply(e, base, NULL, 1, false, NULL), EXIT_OK);
	before = faketree_snapshot(e->t);
	e->t->calls = 0;
	e->t->fail_at = 5;
	e->t->fail_err = EINVAL;
	assert_int_equal(apply(e, next, NULL, 1, false, &res), EXIT_FAILED);
	assert_int_equal(res.failed_in, APPLY_EXECUTE);
	assert_non_null(res.errmsg);
	assert_non_null(strstr(res.errmsg, "Invalid argument"));
	assert_int_equal(res.exec.nerrors, 0);
	apply_result_free(&res);
	{
		_cleanup_free_ char *now = faketree_snapshot(e->t);
		assert_string_equal(before, now);
	}
	e->t->calls = 0;
	e->t->fail_at = 5;
	e->t->fail_on = true;
	assert_int_equal(apply(e, next, NULL, 1, false, &res), EXIT_ROLLBACK);
	assert_true(res.exec.rollback_failed);
	assert_true(res.exec.nerrors >= 1);
	for (size_t i = 0; i < res.exec.nerrors; i++)
		assert_int_equal(strncmp(res.exec.errors[i], "rollback: ", 10), 0);
	apply_result_free(&res);
	e->t->fail_at = 0;
	e->t->fail_on = false;
}

/* The dependency graph alone: each namespace's removal waits only for its subsystem's port links
 * (so all of them may run side by side), and each subsystem's removal for its own namespaces. */
static void test_graph(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *base = conf(e, 3, 0);
	struct apply_result res;
	struct op_graph g;

	(void)state;
	assert_int_equal(apply(e, base, NULL, 1, false, NULL), EXIT_OK);
	assert_int_equal(engine_apply(e->c, NULL, &(struct apply_opts){ .dry_run = true }, &res), 0);
	op_graph_build(&res.plan, &g);
	for (size_t i = 0; i < res.plan.n; i++) {
		const struct op *o = &res.plan.ops[i];
		size_t waits_for = g.npred[i];
		if (o->type == OP_RMDIR && strstr(o->path, "/namespaces/")) {
			assert_true(op_waits(o));
			assert_int_equal(waits_for, 1);	/* the unlink from the port... or nothing */
		}
		/* the reference agrees with every edge */
		for (size_t k = g.off[i]; k < g.off[i + 1]; k++)
			assert_true(must_follow(o, &res.plan.ops[g.succ[k]]));
	}
	op_graph_free(&g);
	apply_result_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_graph, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_every_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fresh_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_going, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verbose_in_plan_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verbose_as_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_mid_plan, setup, teardown),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test_setup_teardown(test_exit_status_applied, setup, teardown),
	};
	return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
