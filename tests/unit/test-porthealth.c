/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Port health: the one answer to "can this port serve?" that ANA, mDNS, status and STATUS= read.
 * The decision table, then the refresh against a scripted network (struct net_ops) and a live tree
 * in a scratch directory: carrier loss with the address kept, the address gone, a port nothing is
 * linked to (the review's B-4), an RDMA port without its device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "porthealth.h"
#include "unit.h"
#include "util.h"

static const struct port_obs up = { .addr_present = true, .link_up = true, .ifindex = 3, .rdma_dev = "rxe0" };

static void test_decision(void **state)
{
	struct port_obs down = up, gone = { 0 }, nordma = up;

	(void)state;
	down.link_up = false;
	nordma.rdma_dev[0] = '\0';
	assert_int_equal(port_health_of(OBJ_OK, false, false, &up, 1), PORT_SERVING);
	assert_int_equal(port_health_of(OBJ_OK, true, false, &up, 2), PORT_SERVING);
	assert_int_equal(port_health_of(OBJ_OK, false, false, &down, 1), PORT_LINK_DOWN);
	assert_int_equal(port_health_of(OBJ_OK, false, false, &gone, 1), PORT_NO_ADDRESS);
	assert_int_equal(port_health_of(OBJ_OK, true, false, &nordma, 1), PORT_NO_RDMA);
	assert_int_equal(port_health_of(OBJ_OK, false, false, &nordma, 1), PORT_SERVING);	/* TCP needs none */
	assert_int_equal(port_health_of(OBJ_OK, false, false, &up, 0), PORT_NOT_LINKED);
	assert_int_equal(port_health_of(OBJ_OK, false, true, &gone, 1), PORT_SERVING);	/* wildcard */
	assert_int_equal(port_health_of(OBJ_WAITING, false, false, &up, 1), PORT_NOT_LISTENING);
	assert_int_equal(port_health_of(OBJ_DEAD, true, false, &up, 1), PORT_NOT_LISTENING);
	/* ANA: inaccessible when it served and cannot; a port that never listened, or that nothing is
	 * linked to, has no host connected through it */
	assert_true(port_health_ana_down(PORT_LINK_DOWN, OBJ_OK));
	assert_true(port_health_ana_down(PORT_NO_ADDRESS, OBJ_OK));
	assert_true(port_health_ana_down(PORT_NO_RDMA, OBJ_OK));
	assert_true(port_health_ana_down(PORT_NOT_LISTENING, OBJ_DEAD));
	assert_false(port_health_ana_down(PORT_NOT_LISTENING, OBJ_WAITING));
	assert_false(port_health_ana_down(PORT_NOT_LINKED, OBJ_OK));
	assert_false(port_health_ana_down(PORT_SERVING, OBJ_OK));
}

/* The scripted network: one observation per address. */
struct fakenet {
	struct port_obs tcp, rdma;
	int fail;
};

static int observe(void *ud, const char *trtype, const char *adrfam, const char *traddr, struct port_obs *o)
{
	struct fakenet *n = ud;

	(void)adrfam;
	(void)traddr;
	if (n->fail)
		return n->fail;
	*o = streq(trtype, "rdma") ? n->rdma : n->tcp;
	return 0;
}

static void add_port(struct nv_model *m, unsigned id, const char *tr, const char *addr)
{
	struct nv_port *p = array_push(&m->ports, &m->nports, sizeof(*p));

	p->id = id;
	attrs_set(&p->attrs, "addr_trtype", tr);
	attrs_set(&p->attrs, "addr_adrfam", "ipv4");
	attrs_set(&p->attrs, "addr_traddr", addr);
	attrs_set(&p->attrs, "addr_trsvcid", "4420");
}

static void link_subsys(const char *nvmet, unsigned id, const char *nqn)
{
	_cleanup_free_ char *dir = xasprintf("%s/ports/%u/subsystems", nvmet, id), *l = path_join(dir, nqn);
	_cleanup_free_ char *cmd = xasprintf("mkdir -p '%s'", dir);

	assert_int_equal(system(cmd), 0);
	assert_int_equal(symlink("/nonexistent", l), 0);
}

static void test_refresh(void **state)
{
	char tmpl[] = "/tmp/porthealth.XXXXXX";
	struct nv_ctx ctx = { .nvmet = mkdtemp(tmpl) };
	struct nv_model model = { 0 };
	struct nv_config cfg = { .model = &model };
	struct fakenet net = { .tcp = up, .rdma = up };
	struct net_ops ops = { .observe = observe, .ud = &net };
	struct daemon d = { .ctx = &ctx, .cfg = &cfg, .net = &ops };
	struct obj_desc od[2];
	_cleanup_free_ char *k0 = NULL, *k1 = NULL, *cmd = NULL;

	(void)state;
	assert_non_null(ctx.nvmet);
	add_port(&model, 1, "tcp", "10.0.0.1");
	add_port(&model, 2, "rdma", "10.0.1.1");
	k0 = port_key(&model.ports[0]);
	k1 = port_key(&model.ports[1]);
	od[0] = (struct obj_desc){ .key = k0, .name = k0, .kind = OBJ_PORT };
	od[1] = (struct obj_desc){ .key = k1, .name = k1, .kind = OBJ_PORT, .rdma = true };
	objtab_config(&d.objs, od, 2, 0, 0);

	/* both listen, nothing linked yet: not serving, not advertised, ANA untouched (B-4) */
	port_health_refresh(&d, NULL);
	assert_int_equal(d.nports, 2);
	assert_int_equal(d.ports[0].health, PORT_NOT_LINKED);
	assert_false(d.ports[0].ana_down);
	assert_false(port_health_ana_changed(&d));
	link_subsys(ctx.nvmet, 1, "nqn.a");
	link_subsys(ctx.nvmet, 2, "nqn.a");
	port_health_refresh(&d, NULL);
	assert_int_equal(d.ports[0].health, PORT_SERVING);
	assert_int_equal(d.ports[1].health, PORT_SERVING);
	assert_string_equal(d.ports[1].obs.rdma_dev, "rxe0");
	assert_int_equal(d.ports[0].obs.ifindex, 3);

	/* carrier lost, address kept: the TCP port cannot serve, its ANA group goes inaccessible */
	net.tcp.link_up = false;
	port_health_refresh(&d, NULL);
	assert_int_equal(d.ports[0].health, PORT_LINK_DOWN);
	assert_true(d.ports[0].ana_down);
	assert_true(port_health_ana_changed(&d));
	model.ports[0].ana_down = true;	/* what the reconcile applies */
	assert_false(port_health_ana_changed(&d));
	/* getifaddrs failing says nothing new: the last answer stays */
	net.fail = -ENOMEM;
	net.tcp.link_up = true;
	port_health_refresh(&d, NULL);
	assert_int_equal(d.ports[0].health, PORT_LINK_DOWN);
	net.fail = 0;
	/* back: serving, ANA back to its own state */
	port_health_refresh(&d, NULL);
	assert_int_equal(d.ports[0].health, PORT_SERVING);
	assert_true(port_health_ana_changed(&d));
	model.ports[0].ana_down = false;
	/* the address removed */
	net.tcp.addr_present = false;
	port_health_refresh(&d, NULL);
	assert_int_equal(d.ports[0].health, PORT_NO_ADDRESS);
	assert_true(d.ports[0].ana_down);
	/* the RDMA device gone from under the address (no GID): RDMA port down, TCP unaffected */
	net.tcp = up;
	net.rdma.rdma_dev[0] = '\0';
	port_health_refresh(&d, NULL);
	assert_int_equal(d.ports[0].health, PORT_SERVING);
	assert_int_equal(d.ports[1].health, PORT_NO_RDMA);
	assert_string_equal(d.ports[1].obs.rdma_dev, "");
	assert_true(d.ports[1].ana_down);

	port_views_free(&d);
	objtab_free(&d.objs);
	model_free_contents(&model);
	cmd = xasprintf("rm -rf '%s'", ctx.nvmet);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision),
		cmocka_unit_test(test_refresh),
	};
	return cmocka_run_group_tests_name("porthealth", tests, NULL, NULL);
}
