/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nvmetd itself (manager, reconcile, events, port health, state) on the fake configfs, its network
 * observed through a scripted struct net_ops: the reload soak (SIGHUP alternating two configurations
 * a thousand times: every reconcile converges, the heap in use stops growing, and under ASan/LSan
 * nothing leaks) and event storms (a burst of link changes, RDMA device removals and netlink overruns
 * costs one reconcile or health pass per quiet period: counted, never timed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "faketree.h"
#include "log.h"
#include "manager.h"
#include "objstate.h"
#include "plan.h"
#include "porthealth.h"
#include "unit.h"
#include "util.h"

struct env {
	struct faketree *t;
	struct daemon d;
	struct port_obs tcp;	/* what observe() reports for the TCP port's address */
	struct port_obs rdma;	/* ...and for an RDMA port's */
	char *conf[2];		/* the two configurations' texts */
	char *path;		/* nvmf.conf */
};

static int observe(void *ud, const char *trtype, const char *adrfam, const char *traddr, struct port_obs *o)
{
	struct env *e = ud;

	(void)adrfam;
	(void)traddr;
	*o = streq(trtype, "rdma") ? e->rdma : e->tcp;
	return 0;
}

/* K subsystems with a namespace each on one TCP port; configuration B moves every namespace to the
 * other file and gives it another NSID. */
static char *conf_text(struct env *e, unsigned k, int which)
{
	_cleanup_free_ char *d0 = path_join(e->t->root, "d0.img"), *d1 = path_join(e->t->root, "d1.img");
	char *s = xasprintf("[AIO]\n  AIO %s A0\n  AIO %s A1\n", d0, d1);

	for (unsigned i = 1; i <= k; i++) {
		char *n = xasprintf("%s[Subsystem%u]\n  NQN nqn.2016-06.io.spdk:s%u\n  SN S%u\n  Listen TCP 10.0.0.1:4420\n"
				    "  AllowAnyHost Yes\n  Namespace A%u %u\n", s, i, i, i, (i + (unsigned)which) % 2,
				    which ? i + 10 : i);
		free(s);
		s = n;
	}
	return s;
}

static void write_conf(struct env *e, int which)
{
	faketree_put(e->path, e->conf[which]);
}

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));
	_cleanup_free_ char *d0 = NULL, *d1 = NULL;

	e->t = faketree_new(true);
	d0 = path_join(e->t->root, "d0.img");
	d1 = path_join(e->t->root, "d1.img");
	faketree_disk(d0);
	faketree_disk(d1);
	e->conf[0] = conf_text(e, 2, 0);
	e->conf[1] = conf_text(e, 2, 1);
	e->path = path_join(e->t->root, "nvmf.conf");
	write_conf(e, 0);
	e->tcp = (struct port_obs){ .addr_present = true, .link_up = true, .ifindex = 2 };
	e->d.settings_path = "(test)";
	e->d.set.nvmf_conf = xstrdup(e->path);
	e->d.set.rpc_conf = path_join(e->t->root, "rpc.conf");
	e->d.set.state_file = path_join(e->t->root, "state.json");
	e->d.set.log_level = LOG_WARNING;
	e->d.ctx = faketree_ctx(e->t);
	e->d.net = &(const struct net_ops){ .observe = observe, .ud = NULL };
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	monitor_stop(&e->d.mon);	/* manager_stop's, if a failed test did not get there */
	manager_free(&e->d);	/* frees the context too */
	faketree_free(e->t);
	free(e->conf[0]);
	free(e->conf[1]);
	free(e->path);
	free(e);
	return 0;
}

/* Run the loop until nothing is pending or due now. */
static void run_pending(struct env *e)
{
	while (sd_event_run(e->d.ev, 0) > 0)
		;
}

static void start(struct env *e)
{
	static struct net_ops ops = { .observe = observe };

	ops.ud = e;
	e->d.net = &ops;
	assert_int_equal(manager_start(&e->d), 0);
	assert_null(e->d.target_error);
	run_pending(e);	/* what the start-up asked for after its reconcile (ANA follows port health) */
}

/* The burst's pass, now: the settle timer is made due (the quiet period is not waited for). */
static void settle(struct env *e)
{
	run_pending(e);
	if (e->d.settle_what) {
		assert_int_equal(sd_event_source_set_time(e->d.settle, 1), 0);
		run_pending(e);
	}
	assert_int_equal(e->d.settle_what, 0);
}

static void event(struct env *e, enum mon_event_type type, const char *name)
{
	struct mon_event ev = { .type = type, .name = name };

	e->d.mon.cb(e->d.mon.ud, &ev);
}

/* The tree nvmetd made equals what nvmetcfg would make of the same file: a plan of it is empty. */
static void assert_converged(struct env *e, int which)
{
	struct nv_config *cfg = faketree_load(e->d.ctx, e->conf[which]);
	struct apply_result res = { 0 };

	assert_non_null(cfg);
	assert_int_equal(engine_apply(e->d.ctx, cfg->model, &(struct apply_opts){ .dry_run = true }, &res), 0);
	if (res.plan.n)
		plan_print(&res.plan, stderr);
	assert_int_equal(res.plan.n, 0);
	apply_result_free(&res);
	spdkconf_free(cfg);
}

/* NVMETD_SOAK=N: another count (valgrind runs fewer) */
static unsigned soak_iterations(void)
{
	const char *n = getenv("NVMETD_SOAK");

	return n ? (unsigned)atoi(n) : 1000;
}

static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;	/* 0 under ASan, whose allocator is not malloc's: LSan checks then */
}

/* 1000 SIGHUPs alternating two configurations (every namespace and serial changes): each one
 * reconciles once and converges; the heap in use after the 1000th is not twice what it was after
 * the 100th, and LSan (the ASan build of the unit tests) finds nothing at exit. */
static void test_reload_soak(void **state)
{
	struct env *e = *state;
	size_t at100 = 0;

	start(e);
	assert_converged(e, 0);
	for (unsigned i = 1; i <= soak_iterations(); i++) {
		unsigned before = e->d.reconciles;

		write_conf(e, (int)(i % 2));
		assert_int_equal(raise(SIGHUP), 0);
		run_pending(e);
		assert_int_equal(e->d.reconciles, before + 1);
		assert_int_equal(e->d.last_err, 0);
		if (i % 250 == 0 || i == 1)
			assert_converged(e, (int)(i % 2));
		if (i == 100)
			at100 = heap_in_use();
	}
	/* loose: malloc counts its per-thread caches as in use; a leak of a reload's objects is not */
	assert_true(heap_in_use() <= 2 * at100);
	manager_stop(&e->d);
}

/* 200 link changes, each handled in a loop iteration of its own, while a port waits for its address:
 * nothing runs until the burst settles, then one reconcile. Without a waiting port, 200 changes cost
 * one health pass and no reconcile. */
static void test_link_storm(void **state)
{
	struct env *e = *state;
	unsigned rec, hp;

	e->t->no_addr = xstrdup("10.0.0.1");	/* the kernel cannot listen yet: the port waits */
	e->tcp.addr_present = false;
	start(e);
	e->d.settle_quiet = e->d.settle_max = 3600ULL * 1000000;	/* the test decides when it is over */
	if (e->d.timer)		/* nor does the waiting port's back-off run in between */
		assert_int_equal(sd_event_source_set_enabled(e->d.timer, SD_EVENT_OFF), 0);
	rec = e->d.reconciles;
	hp = e->d.health_passes;
	for (int i = 0; i < 200; i++) {
		event(e, MON_LINK_CHANGED, NULL);
		event(e, MON_ADDR_ADDED, NULL);
		run_pending(e);
	}
	assert_int_equal(e->d.reconciles, rec);
	assert_int_equal(e->d.health_passes, hp);
	free(e->t->no_addr);
	e->t->no_addr = NULL;	/* the address is there now */
	e->tcp.addr_present = true;
	settle(e);
	assert_int_equal(e->d.reconciles, rec + 1);
	assert_int_equal(e->d.health_passes, hp + 1);
	assert_int_equal(e->d.ports[0].health, PORT_SERVING);
	assert_converged(e, 0);

	rec = e->d.reconciles;
	hp = e->d.health_passes;
	for (int i = 0; i < 200; i++) {
		e->tcp.link_up = i % 2;
		event(e, MON_LINK_CHANGED, NULL);
		run_pending(e);
	}
	settle(e);
	assert_int_equal(e->d.reconciles, rec);
	assert_int_equal(e->d.health_passes, hp + 1);
	assert_int_equal(e->d.ports[0].health, PORT_SERVING);
	manager_stop(&e->d);
}

static char *ana_of(struct env *e, unsigned id)
{
	_cleanup_free_ char *p = xasprintf("%s/ports/%u/ana_groups/1/ana_state", e->d.ctx->nvmet, id);
	char *v = NULL;

	assert_int_equal(read_attr(p, &v), 0);
	return v;
}

/* A serving port's link goes down and comes back, each settled: its ANA group follows (inaccessible,
 * optimized again) with the port's own file written, no whole reconcile. A port the live tree lost
 * (its directory gone behind nvmetd's back) gets a whole reconcile instead. */
static void test_link_flap_writes_ana_only(void **state)
{
	struct env *e = *state;
	unsigned rec, id;
	char *v;

	start(e);
	e->d.settle_quiet = e->d.settle_max = 3600ULL * 1000000;
	id = e->d.cfg->model->ports[0].id;
	assert_true(id > 0);
	rec = e->d.reconciles;
	for (int i = 0; i < 20; i++) {
		e->tcp.link_up = i % 2;
		event(e, MON_LINK_CHANGED, NULL);
		settle(e);
		v = ana_of(e, id);
		assert_string_equal(v, i % 2 ? "optimized" : "inaccessible");
		free(v);
	}
	assert_int_equal(e->d.reconciles, rec);
	assert_converged(e, 0);

	/* the port's id now names nothing: the ANA pass cannot, a reconcile does */
	e->d.cfg->model->ports[0].id = id + 40;
	e->tcp.link_up = false;
	event(e, MON_LINK_CHANGED, NULL);
	settle(e);
	assert_int_equal(e->d.reconciles, rec + 1);
	v = ana_of(e, id);
	assert_string_equal(v, "inaccessible");
	free(v);
	manager_stop(&e->d);
}

/* The clock reaches o's damping or retry time: both moved to the timer's start, which fires now (the
 * daemon's clock is the system's: the test moves the deadlines, not time). */
static void fire_timer(struct env *e, struct obj *o)
{
	assert_non_null(e->d.timer);
	if (o->damped_until)
		o->damped_until = 1;
	if (o->next_retry)
		o->next_retry = 1;
	assert_int_equal(sd_event_source_set_time(e->d.timer, 1), 0);
	run_pending(e);
}

/* An RDMA device removed and added 30 times, each settled: the RDMA port dies and is relinked (its
 * links made again, its ANA group optimized again) each time, without a whole reconcile; from its
 * second death on (within FLAP_WINDOW_US of its relink) the device's return alone does not relink it:
 * the damping timer does. */
static void test_rdma_storm_relinks_only(void **state)
{
	struct env *e = *state;
	char *txt = xasprintf("%s  Listen RDMA 10.0.0.2:4420\n", e->conf[0]);
	unsigned rec, id = 0;
	struct obj *o;
	char *v;

	free(e->conf[0]);
	e->conf[0] = txt;
	write_conf(e, 0);
	e->rdma = (struct port_obs){ .addr_present = true, .link_up = true, .ifindex = 3, .rdma_dev = "rxe_t" };
	start(e);
	e->d.settle_quiet = e->d.settle_max = 3600ULL * 1000000;
	for (size_t i = 0; i < e->d.cfg->model->nports; i++)
		if (streq_ptr(attrs_get(&e->d.cfg->model->ports[i].attrs, "addr_trtype"), "rdma"))
			id = e->d.cfg->model->ports[i].id;
	assert_true(id > 0);
	_cleanup_free_ char *key = port_key(model_port(e->d.cfg->model, id));
	rec = e->d.reconciles;
	for (int i = 0; i < 30; i++) {
		e->rdma.rdma_dev[0] = 0;
		event(e, MON_RDMA_REMOVED, "rxe_t");
		settle(e);
		o = objtab_find(&e->d.objs, key);
		assert_int_equal(o->state, OBJ_DEAD);
		v = ana_of(e, id);
		assert_string_equal(v, "inaccessible");
		free(v);
		strcpy(e->rdma.rdma_dev, "rxe_t");
		event(e, MON_RDMA_ADDED, "rxe_t");
		settle(e);
		o = objtab_find(&e->d.objs, key);
		if (i > 0) {	/* damped */
			assert_int_equal(o->state, OBJ_DEAD);
			assert_true(o->damped_until > 0);
			fire_timer(e, o);
		}
		assert_int_equal(o->state, OBJ_OK);
		v = ana_of(e, id);
		assert_string_equal(v, "optimized");
		free(v);
	}
	assert_int_equal(e->d.reconciles, rec);
	assert_int_equal(e->d.relinks, 30);
	assert_converged(e, 0);

	/* back, but gone again before the port listens (its first link refused): nothing more is tried,
	 * the port stays dead and unlinked; its next return links the configuration's subsystems */
	e->rdma.rdma_dev[0] = 0;
	event(e, MON_RDMA_REMOVED, "rxe_t");
	settle(e);
	strcpy(e->rdma.rdma_dev, "rxe_t");
	e->t->no_addr = xstrdup("10.0.0.2");
	event(e, MON_RDMA_ADDED, "rxe_t");
	settle(e);
	fire_timer(e, objtab_find(&e->d.objs, key));
	assert_int_equal(objtab_find(&e->d.objs, key)->state, OBJ_DEAD);
	assert_int_equal(port_linked(e->d.ctx->nvmet, id), 0);
	free(e->t->no_addr);
	e->t->no_addr = NULL;
	event(e, MON_RDMA_ADDED, "rxe_t");
	settle(e);
	if (objtab_find(&e->d.objs, key)->state != OBJ_OK)
		fire_timer(e, objtab_find(&e->d.objs, key));	/* the failed relink's own retry */
	assert_int_equal(objtab_find(&e->d.objs, key)->state, OBJ_OK);
	assert_int_equal(e->d.reconciles, rec);
	assert_converged(e, 0);
	manager_stop(&e->d);
}

/* Netlink overruns, each read reporting one, and RDMA devices coming and going: one full resync
 * (the namespaces' devices looked up again) for the whole burst. */
static void test_overrun_resync_once(void **state)
{
	struct env *e = *state;
	unsigned rec;

	start(e);
	e->d.settle_quiet = e->d.settle_max = 3600ULL * 1000000;
	rec = e->d.reconciles;
	for (int i = 0; i < 50; i++) {
		event(e, MON_OVERRUN, NULL);
		event(e, MON_RDMA_REMOVED, "rxe_t");
		event(e, MON_RDMA_ADDED, "rxe_t");
		run_pending(e);
	}
	assert_int_equal(e->d.reconciles, rec);
	assert_true(e->d.resolve_due);
	settle(e);
	assert_int_equal(e->d.reconciles, rec + 1);
	assert_false(e->d.resolve_due);
	assert_converged(e, 0);
	manager_stop(&e->d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_soak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_storm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_flap_writes_ana_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rdma_storm_relinks_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrun_resync_once, setup, teardown),
	};

	log_init("test-daemon");
	log_set_level(LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
